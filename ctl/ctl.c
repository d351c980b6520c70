/* SPDX-License-Identifier: MIT */
/* ctl.c holds what pgjobctl's subcommands share: options, the database, errors and exit codes. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "log.h"
#include "strnum.h"

extern char **environ;

CtlOptions ctl_options = {NULL, NULL, false};

/* The configuration ctl_connect loaded; freed by ctl_cleanup. */
static Config *loaded;

const Config *ctl_config(void)
{
    return loaded;
}

void ctl_cleanup(void)
{
    config_free(loaded);
    loaded = NULL;
}

int ctl_parse_options(int argc, char **argv, const char *command, const char *usage,
                      const char *shorts, const struct option *longs, CtlOptionFn on_option,
                      void *ctx)
{
    char optstring[64];
    int opt, rc;

    snprintf(optstring, sizeof optstring, ":%s%s", shorts, CTL_COMMON_SHORT);
    opterr = 0;
    optind = 0; /* glibc: start a fresh scan of this argv */
    while ((opt = getopt_long(argc, argv, optstring, longs, NULL)) != -1) {
        if (strchr(CTL_COMMON_SHORT, opt) != NULL || opt == ':' || opt == '?')
            rc = ctl_common_option(opt, command, usage, argv);
        else
            rc = on_option(opt, optarg, ctx);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

int ctl_common_option(int opt, const char *command, const char *usage, char **argv)
{
    switch (opt) {
        case 'c':
            ctl_options.config = optarg;
            return -1;
        case 'd':
            ctl_options.database = optarg;
            return -1;
        case 'j':
            ctl_options.json = true;
            return -1;
        case 'h':
            fputs(usage, stdout);
            return CTL_EXIT_OK;
        case ':':
            return ctl_usage_error(command, "%s needs a value", argv[optind - 1]);
        default:
            return ctl_usage_error(command, "unknown option %s", argv[optind - 1]);
    }
}

/* load_config loads the configuration (file, then PGJOB_* overrides)
 * into loaded; false after logging why it is invalid. */
static bool load_config(void)
{
    const char *path = ctl_options.config;
    Error err;

    error_clear(&err);
    if (path == NULL)
        path = getenv("PGJOB_CONFIG");
    if (path != NULL && path[0] == '\0')
        path = NULL;
    ctl_cleanup();
    loaded = config_load(path, environ, &err);
    if (loaded == NULL) {
        log_error("%s", err.message);
        return false;
    }
    return true;
}

int ctl_connect(PGconn **out, bool utc)
{
    static const char session_utc[] =
        "SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO', false)";
    static const char session_iso[] = "SELECT set_config('DateStyle', 'ISO', false)";
    const char *conninfo;
    Error err;
    PGconn *c;

    if (!load_config())
        return CTL_EXIT_CONFIG;
    conninfo = ctl_options.database != NULL ? ctl_options.database : loaded->database;
    error_clear(&err);
    c = db_connect(conninfo, "pgjobctl", &err);
    if (c == NULL) {
        log_error("%s", err.message);
        if (strcmp(err.code, "bad_conninfo") == 0)
            return ctl_options.database != NULL ? CTL_EXIT_USAGE : CTL_EXIT_CONFIG;
        return CTL_EXIT_UNAVAILABLE;
    }
    if (!db_run(c, utc ? session_utc : session_iso, 0, NULL, "setting up the session", &err)) {
        log_error("%s", err.message);
        PQfinish(c);
        return err.status == 503 ? CTL_EXIT_UNAVAILABLE : CTL_EXIT_RUNTIME;
    }
    *out = c;
    return CTL_EXIT_OK;
}

int ctl_db_failure(PGconn *c, const PGresult *r, const char *context)
{
    const char *state = db_sqlstate(r);
    char msg[512];
    Error err;

    if (strncmp(state, "PJ", 2) == 0) {
        /* The state machine's own refusals: their message says it all. */
        log_error("%s: %s", context, log_sanitize(msg, sizeof msg, db_message(r)));
        if (strcmp(state, "PJ400") == 0 || strcmp(state, "PJ422") == 0)
            return CTL_EXIT_USAGE;
        return CTL_EXIT_RUNTIME;
    }
    if (strncmp(state, "22", 2) == 0) {
        /* A data exception: a value from the command line or the input
         * that PostgreSQL could not take (a malformed time, a number
         * out of range). */
        log_error("%s: %s", context, log_sanitize(msg, sizeof msg, db_message(r)));
        return CTL_EXIT_USAGE;
    }
    error_clear(&err);
    db_error(c, r, context, &err);
    log_error("%s", err.message);
    return err.status == 503 ? CTL_EXIT_TEMPFAIL : CTL_EXIT_RUNTIME;
}

int ctl_usage_error(const char *command, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    log_error("%s: %s (see 'pgjobctl %s --help')", command, why, command);
    return CTL_EXIT_USAGE;
}

bool ctl_parse_duration(const char *text, long *seconds)
{
    static const long max = 100L * 366 * 86400;
    char number[24];
    size_t len = text != NULL ? strlen(text) : 0;
    long unit = 1, n;

    if (len == 0 || len >= sizeof number)
        return false;
    memcpy(number, text, len + 1);
    switch (number[len - 1]) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            unit = 0;
            break;
    }
    if (unit != 0)
        number[len - 1] = '\0';
    else
        unit = 1;
    if (number[0] < '0' || number[0] > '9' || !strnum_long(number, 0, max / unit, &n))
        return false;
    *seconds = n * unit;
    return true;
}

int ctl_account_id(PGconn *c, const char *arg, char id[24])
{
    static const char by_name[] = "SELECT id FROM pgjob.account WHERE name = $1";
    const char *params[1] = {arg};
    char shown[128];
    long n;
    PGresult *r;
    int rc;

    if (arg[0] >= '0' && arg[0] <= '9' && strnum_long(arg, 1, 9223372036854775807L, &n)) {
        snprintf(id, 24, "%ld", n);
        return CTL_EXIT_OK;
    }
    r = db_exec(c, by_name, 1, params);
    if (!db_tuples_ok(r)) {
        rc = ctl_db_failure(c, r, "finding the account");
    } else if (PQntuples(r) == 0) {
        log_error("no account is named \"%s\"", log_sanitize(shown, sizeof shown, arg));
        rc = CTL_EXIT_RUNTIME;
    } else {
        snprintf(id, 24, "%s", PQgetvalue(r, 0, 0));
        rc = CTL_EXIT_OK;
    }
    PQclear(r);
    return rc;
}

bool ctl_is_uuid(const char *text)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(text) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        char ch = text[i];
        bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        if (shape[i] == '-' ? ch != '-' : !hex)
            return false;
    }
    return true;
}
