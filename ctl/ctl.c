/* SPDX-License-Identifier: MIT */
/* ctl.c holds what pgjobctl's subcommands share: finding the database and usage errors. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "error.h"
#include "log.h"

PGconn *ctl_connect(const char *database)
{
    Error err;
    const char *conninfo = database != NULL ? database : getenv("PGJOB_DATABASE");
    PGconn *c;

    error_clear(&err);
    c = db_connect(conninfo, "pgjobctl", &err);
    if (c == NULL)
        log_error("%s", err.message);
    return c;
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
