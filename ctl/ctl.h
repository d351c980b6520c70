/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - what pgjobctl's subcommands share: the documented exit codes,
 * the options every subcommand takes (--config, --database, --json,
 * --help), how a subcommand finds its database, how a database error
 * becomes an exit code, and each subcommand's entry point (listed in the
 * command table of ctl/main.c).
 */
#ifndef PGJOB_CTL_H
#define PGJOB_CTL_H

#include <getopt.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"

/* Exit codes of pgjobctl, as its --help and pgjobctl(1) say.  wait adds
 * its own (wait.c): 1 failed, 3 canceled, 4 expired, 5 timeout. */
enum {
    CTL_EXIT_OK = 0, /* done */
    CTL_EXIT_RUNTIME =
        1, /* refused (no such account, key or job; a state that forbids it) or failed */
    CTL_EXIT_USAGE = 2,        /* bad command line or input; nothing was done */
    CTL_EXIT_UNAVAILABLE = 69, /* cannot connect to the database (EX_UNAVAILABLE) */
    CTL_EXIT_TEMPFAIL = 75,    /* the connection was lost on the way; try again (EX_TEMPFAIL) */
    CTL_EXIT_CONFIG = 78       /* pgjob.conf or PGJOB_* is invalid (EX_CONFIG) */
};

/* CtlOptions holds the options any subcommand (or pgjobctl itself,
 * before the subcommand) may be given. */
typedef struct CtlOptions {
    const char *config;   /* --config FILE; NULL: $PGJOB_CONFIG, else none */
    const char *database; /* --database CONNINFO; NULL: the configuration's */
    bool json;            /* --json: one JSON document on stdout */
} CtlOptions;

/* The options of this run, filled by main.c and the subcommands. */
extern CtlOptions ctl_options;

/* The long options every subcommand accepts, to end its option array
 * with: --config (-c), --database (-d), --json (-j), --help (-h). */
#define CTL_COMMON_OPTIONS                                                                \
    {"config", required_argument, NULL, 'c'}, {"database", required_argument, NULL, 'd'}, \
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},               \
    {                                                                                     \
        NULL, 0, NULL, 0                                                                  \
    }

/* The short options of CTL_COMMON_OPTIONS, for getopt's option string. */
#define CTL_COMMON_SHORT "c:d:jh"

/* The lines of --help that describe CTL_COMMON_OPTIONS. */
#define CTL_COMMON_HELP                                                             \
    "  -c, --config FILE        read FILE (default: $PGJOB_CONFIG, else no file)\n" \
    "  -d, --database CONNINFO  libpq connection string or postgresql:// URL\n"     \
    "                           (default: the configuration's database, else\n"     \
    "                           $PGJOB_DATABASE, else PGHOST, PGDATABASE...)\n"     \
    "  -j, --json               print one JSON document instead of a table\n"       \
    "  -h, --help               show this help\n"

/* ctl_common_option handles one option of CTL_COMMON_OPTIONS or a getopt
 * error, for a subcommand whose --help text is usage.  Returns -1 when
 * parsing goes on, or the exit code to stop with (after --help, or a bad
 * option).  command names the subcommand in messages ("key create"). */
int ctl_common_option(int opt, const char *command, const char *usage, char **argv);

/* CtlOptionFn handles one option of a subcommand's own (opt is its short
 * letter, arg its value or NULL); returns -1 to go on or an exit code. */
typedef int (*CtlOptionFn)(int opt, const char *arg, void *ctx);

/* ctl_parse_options parses argv (argv[0] is the subcommand or verb) with
 * getopt_long: the subcommand's own options (shorts, longs, which must
 * end with CTL_COMMON_OPTIONS) go to on_option, the common ones to
 * ctl_common_option.  Options and operands may come in any order.
 * Returns -1 when all went well (the operands are argv[optind..argc-1]),
 * else the exit code to stop with. */
int ctl_parse_options(int argc, char **argv, const char *command, const char *usage,
                      const char *shorts, const struct option *longs, CtlOptionFn on_option,
                      void *ctx);

/* ctl_connect loads the configuration (--config, else $PGJOB_CONFIG, with
 * the PGJOB_* overrides) and connects to --database, else its database,
 * else the PG* environment.  utc: make the session's TimeZone UTC (every
 * command but report, whose days are the session's).  DateStyle is ISO.
 * Returns CTL_EXIT_OK with *out set, or an exit code after logging why
 * (CTL_EXIT_CONFIG, CTL_EXIT_UNAVAILABLE, CTL_EXIT_USAGE for a malformed
 * --database). */
int ctl_connect(PGconn **out, bool utc);

/* ctl_config returns the configuration ctl_connect loaded (borrowed), or
 * NULL before. */
const Config *ctl_config(void);

/* ctl_cleanup frees the loaded configuration; main calls it at exit. */
void ctl_cleanup(void);

/* ctl_db_failure logs why the statement whose result is r failed on c,
 * prefixed by context, and returns the exit code it means: the PJ400 and
 * PJ422 errors of sql/ and data exceptions (class 22: a malformed time,
 * a number out of range) are CTL_EXIT_USAGE (bad input, nothing done), a
 * lost connection CTL_EXIT_TEMPFAIL, anything else CTL_EXIT_RUNTIME.  r
 * may be NULL; it is not cleared. */
int ctl_db_failure(PGconn *c, const PGresult *r, const char *context);

/* ctl_usage_error logs "<command>: <printf-style why>" and a pointer to
 * that command's --help, and returns CTL_EXIT_USAGE, so that a subcommand
 * can "return ctl_usage_error(...)". */
int ctl_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ctl_parse_duration parses a duration: a whole number followed by s, m,
 * h or d (seconds when there is no unit), "90d", "24h", "300".  Stores
 * seconds in *seconds; false when text is no such duration or above 100
 * years. */
bool ctl_parse_duration(const char *text, long *seconds);

/* ctl_account_id turns an --account argument into an account id: digits
 * are the id; anything else is an account name, looked up on c.  Fills
 * id (a buffer of 24 bytes) and returns CTL_EXIT_OK, or logs why not and
 * returns an exit code (CTL_EXIT_RUNTIME for an unknown name). */
int ctl_account_id(PGconn *c, const char *arg, char id[24]);

/* ctl_is_uuid says whether text is a UUID in its 8-4-4-4-12 hex form. */
bool ctl_is_uuid(const char *text);

/* Subcommand entry points: argv[0] is the subcommand's name; each returns
 * an exit code. */
int migrate_main(int argc, char **argv);
int status_main(int argc, char **argv);
int account_main(int argc, char **argv);
int key_main(int argc, char **argv);
int job_main(int argc, char **argv);
int submit_main(int argc, char **argv);
int wait_main(int argc, char **argv);
int report_main(int argc, char **argv);

#endif
