/* SPDX-License-Identifier: MIT */
/*
 * main.c is pgjobctl, the operator's tool: global options, then one
 * subcommand looked up in the command table below.
 *
 * Exit codes: see ctl.h and usage_tail below (also pgjobctl(1)).
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
    {"status", status_main, "schema version, queue depth, daemons holding leases"},
    {"account", account_main, "create | list | show accounts"},
    {"key", key_main, "create | list | revoke | rotate | import API keys"},
    {"job", job_main, "show | list | cancel | pause | resume | retry jobs"},
    {"submit", submit_main, "submit a job from a JSON file or stdin"},
    {"wait", wait_main, "wait for a job to finish; the exit status tells how"},
    {"report", report_main, "list the reports, or print one"},
};

static const char usage_head[] =
    "pgjobctl - operate a pgjob installation\n"
    "\n"
    "usage: pgjobctl [-v | -q] [--config FILE] [--database CONNINFO] [--json] COMMAND [OPTIONS]\n"
    "       pgjobctl help [COMMAND] | --help | --version\n"
    "\n"
    "commands:\n";

static const char usage_tail[] =
    "\n"
    "Run 'pgjobctl COMMAND --help' for a command's options.\n"
    "\n"
    "options:\n"
    "  -v, --verbose            also log debugging detail (server notices)\n"
    "  -q, --quiet              log errors only\n"
    "  -c, --config FILE        read FILE (default: $PGJOB_CONFIG, else no file)\n"
    "  -d, --database CONNINFO  libpq connection string or postgresql:// URL\n"
    "  -j, --json               print one JSON document instead of a table\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "The database is --database, else the database key of pgjob.conf (which\n"
    "$PGJOB_DATABASE overrides), else the standard libpq environment (PGHOST,\n"
    "PGPORT, PGDATABASE, PGUSER, PGPASSWORD...).  Options after COMMAND may\n"
    "be given before it too.\n"
    "\n"
    "exit status: 0 success; 1 refused or failed (no such account, key or job,\n"
    "a state that forbids it); 2 bad command line or input, nothing done;\n"
    "69 cannot connect to the database; 75 connection lost on the way;\n"
    "78 bad configuration.  wait: 0 completed, 1 failed, 3 canceled,\n"
    "4 expired, 5 timed out.\n";

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

/* run_help is "pgjobctl help [COMMAND]": the main --help, or COMMAND's. */
static int run_help(int argc, char **argv)
{
    const Command *cmd;
    char name[64];
    char *help_argv[3];

    if (argc < 2) {
        print_usage();
        return CTL_EXIT_OK;
    }
    if (argc > 2) {
        log_error("help takes at most one command (see 'pgjobctl --help')");
        return CTL_EXIT_USAGE;
    }
    cmd = find_command(argv[1]);
    if (cmd == NULL) {
        log_error("unknown command '%s' (see 'pgjobctl --help')",
                  log_sanitize(name, sizeof name, argv[1]));
        return CTL_EXIT_USAGE;
    }
    help_argv[0] = argv[1];
    help_argv[1] = (char *)"--help";
    help_argv[2] = NULL;
    return cmd->run(2, help_argv);
}

/* parse_global handles the options before the subcommand.  Returns -1 to
 * go on with argv[optind], or an exit code to stop with. */
static int parse_global(int argc, char **argv)
{
    static const struct option options[] = {
        {"verbose", no_argument, NULL, 'v'},      {"quiet", no_argument, NULL, 'q'},
        {"config", required_argument, NULL, 'c'}, {"database", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    int opt;

    opterr = 0;
    /* '+': stop at the subcommand, whose options are its own. */
    while ((opt = getopt_long(argc, argv, "+:vqc:d:jhV", options, NULL)) != -1) {
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
            case 'c':
                ctl_options.config = optarg;
                break;
            case 'd':
                ctl_options.database = optarg;
                break;
            case 'j':
                ctl_options.json = true;
                break;
            case ':':
                log_error("%s needs a value (see 'pgjobctl --help')", argv[optind - 1]);
                return CTL_EXIT_USAGE;
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
    if (strcmp(argv[optind], "help") == 0)
        return finish(run_help(argc - optind, argv + optind));
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        log_error("unknown command '%s' (see 'pgjobctl --help')",
                  log_sanitize(name, sizeof name, argv[optind]));
        return CTL_EXIT_USAGE;
    }
    rc = finish(cmd->run(argc - optind, argv + optind));
    ctl_cleanup();
    return rc;
}
