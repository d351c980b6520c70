/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - what pgjobctl's subcommands share: the documented exit codes,
 * how a subcommand finds its database, and each subcommand's entry point
 * (listed in the command table of ctl/main.c).
 */
#ifndef PGJOB_CTL_H
#define PGJOB_CTL_H

#include <libpq-fe.h>

/* Exit codes of pgjobctl, as its --help says. */
enum {
    CTL_EXIT_OK = 0,      /* done */
    CTL_EXIT_RUNTIME = 1, /* the database or the system failed, or refused the change */
    CTL_EXIT_USAGE = 2    /* bad command line; nothing was done */
};

/* ctl_connect connects for a subcommand: to database (the --database
 * option) if not NULL, else to $PGJOB_DATABASE if set, else through the
 * standard libpq variables (PGHOST, PGDATABASE, ...).  Returns a new
 * connection (close with PQfinish), or NULL after logging why. */
PGconn *ctl_connect(const char *database);

/* ctl_usage_error logs "<command>: <printf-style why>" and a pointer to
 * that command's --help, and returns CTL_EXIT_USAGE, so that a subcommand
 * can "return ctl_usage_error(...)". */
int ctl_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Subcommand entry points: argv[0] is the subcommand's name; each returns
 * a CTL_EXIT_* code. */
int migrate_main(int argc, char **argv);

#endif
