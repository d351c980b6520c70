/* SPDX-License-Identifier: MIT */
/*
 * main.c is pgjobctl, the operator's tool: global options, then one
 * subcommand looked up in the command table below.
 *
 * Exit codes (also in --help): 0 success, 1 runtime or database error
 * (including a refused change), 2 usage error (nothing was done).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "schema.h"

#ifndef PGJOB_VERSION
#define PGJOB_VERSION "0.0.0-dev"
#endif

/* Command is one row of the subcommand table. */
typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is name; returns a CTL_EXIT_* code */
    const char *summary;               /* one line for --help */
} Command;

static const Command commands[] = {
    {"migrate", migrate_main, "apply the schema migrations the database lacks (--status: list)"},
};

static const char usage_head[] =
    "pgjobctl - operate a pgjob installation\n"
    "\n"
    "usage: pgjobctl [-v | -q] COMMAND [OPTIONS]\n"
    "       pgjobctl --help | --version\n"
    "\n"
    "commands:\n";

static const char usage_tail[] =
    "\n"
    "Run 'pgjobctl COMMAND --help' for a command's options.\n"
    "\n"
    "options:\n"
    "  -v, --verbose   also log debugging detail (server notices)\n"
    "  -q, --quiet     log errors only\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version\n"
    "\n"
    "The database is --database CONNINFO (a libpq connection string or a\n"
    "postgresql:// URL), else $PGJOB_DATABASE, else the standard libpq\n"
    "environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD...).\n"
    "\n"
    "exit status: 0 success, 1 runtime or database error, 2 usage error\n";

/* print_usage prints --help, with one line per row of the command table. */
static void print_usage(void)
{
    fputs(usage_head, stdout);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs(usage_tail, stdout);
}

/* find_command returns the row of the table named name, or NULL. */
static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* parse_global handles the options before the subcommand.  Returns -1 to
 * go on with argv[optind], or an exit code to stop with. */
static int parse_global(int argc, char **argv)
{
    static const struct option options[] = {
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    opterr = 0;
    /* '+': stop at the subcommand, whose options are its own. */
    while ((opt = getopt_long(argc, argv, "+vqhV", options, NULL)) != -1) {
        switch (opt) {
            case 'v':
                log_set_level(LOG_LEVEL_DEBUG);
                break;
            case 'q':
                log_set_level(LOG_LEVEL_ERROR);
                break;
            case 'h':
                print_usage();
                return CTL_EXIT_OK;
            case 'V':
                printf("pgjobctl (pgjob) %s, schema version %d\n", PGJOB_VERSION, schema_latest());
                return CTL_EXIT_OK;
            default:
                log_error("unknown option %s (see 'pgjobctl --help')", argv[optind - 1]);
                return CTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        log_error("no command given (see 'pgjobctl --help')");
        return CTL_EXIT_USAGE;
    }
    return -1;
}

/* finish flushes stdout and turns a failed write (a full disk, a closed
 * pipe) into a runtime error, so that "pgjobctl ... > file" cannot fail
 * silently. */
static int finish(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_error("cannot write to standard output");
        return rc == CTL_EXIT_OK ? CTL_EXIT_RUNTIME : rc;
    }
    return rc;
}

int main(int argc, char **argv)
{
    const Command *cmd;
    char name[64];
    int rc;

    log_set_program("pgjobctl");
    rc = parse_global(argc, argv);
    if (rc >= 0)
        return finish(rc);
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        log_error("unknown command '%s' (see 'pgjobctl --help')",
                  log_sanitize(name, sizeof name, argv[optind]));
        return CTL_EXIT_USAGE;
    }
    return finish(cmd->run(argc - optind, argv + optind));
}
