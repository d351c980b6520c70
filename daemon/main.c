/* SPDX-License-Identifier: MIT */
/*
 * main.c - pgjobd, the pgjob worker daemon: options, configuration, then
 * the dispatcher loop.  It never daemonizes: run it under systemd
 * (Type=notify) or in a terminal.
 *
 * Exit status: 0 clean shutdown, 1 runtime failure, 2 usage, 78
 * configuration error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"
#include "handlers/handlers.h"
#include "log.h"
#include "sdnotify.h"

#ifndef PGJOB_VERSION
#define PGJOB_VERSION "0.0.0-dev"
#endif

extern char **environ;

static void usage(FILE *out)
{
    fputs(
        "Usage: pgjobd [--config FILE] [--check-config | --print-config]\n"
        "       pgjobd --version | --help\n"
        "\n"
        "Claims jobs from the pgjob schema in PostgreSQL and runs them.\n"
        "\n"
        "  -c, --config FILE   read FILE (default: $PGJOB_CONFIG, else no file:\n"
        "                      built-in defaults and PGJOB_* variables)\n"
        "      --check-config  check the configuration and exit\n"
        "      --print-config  print the whole configuration and exit\n"
        "  -V, --version       print the version and exit\n"
        "  -h, --help          print this help and exit\n"
        "\n"
        "Signals: TERM/INT drain and exit (twice: fast), QUIT fast exit, HUP reload\n"
        "(the configuration and the merchant table pgjob.merchant).\n"
        "Exit status: 0 clean exit, 1 runtime failure, 2 usage, 78 configuration error.\n",
        out);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
        {"print-config", no_argument, NULL, 'p'}, {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *path = getenv("PGJOB_CONFIG");
    bool check = false, print = false;
    Error err = {0};
    int opt, status;

    log_set_program("pgjobd");
    while ((opt = getopt_long(argc, argv, "c:Vh", options, NULL)) != -1) {
        switch (opt) {
            case 'c':
                path = optarg;
                break;
            case 'k':
                check = true;
                break;
            case 'p':
                print = true;
                break;
            case 'V':
                printf("pgjobd %s\n", PGJOB_VERSION);
                return 0;
            case 'h':
                usage(stdout);
                return 0;
            default:
                usage(stderr);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pgjobd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (path != NULL && path[0] == '\0')
        path = NULL;

    Config *cfg = config_load(path, environ, &err);
    if (cfg == NULL) {
        log_error("%s", err.message);
        return CONFIG_EXIT_CODE;
    }
    /* A type in `types` without a handler is a configuration error too. */
    HandlerTable *table = handlers_new(cfg, &err);
    if (table == NULL) {
        log_error("%s%s%s", cfg->path ? cfg->path : "", cfg->path ? ": " : "", err.message);
        config_free(cfg);
        return strcmp(err.code, CONFIG_ERROR_CODE) == 0 ? CONFIG_EXIT_CODE : 1;
    }
    handlers_free(table);
    if (check || print) {
        if (print)
            config_print(cfg, stdout);
        else
            printf("configuration ok\n");
        config_free(cfg);
        return 0;
    }
    log_set_level((LogLevel)cfg->log_level);
    if (sdnotify_under_systemd() && sdnotify_watchdog_usec() == 0)
        log_debug("running under systemd without a watchdog");
    log_info("pgjobd %s starting", PGJOB_VERSION);
    status = dispatch_run(cfg, path);
    config_free(cfg);
    return status;
}
