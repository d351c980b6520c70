/* SPDX-License-Identifier: MIT */
/*
 * report.c is "pgjobctl report": the reporting views of schema pgjob,
 * found in the catalog (every view named report_*), printed as tables.
 *
 * A view's name is never taken from the command line into SQL: NAME is
 * looked up in pg_class with a parameter, and the query is built from the
 * names the catalog returns, each quoted by PQescapeIdentifier.  A time range
 * (--from, --to) goes to the function of the same name, report_NAME(from
 * timestamptz, to timestamptz), when the schema has one; else to the
 * view's day or hour column; both bounds are parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "table.h"

static const char report_usage[] =
    "usage: pgjobctl report list\n"
    "       pgjobctl report NAME [--from TIME] [--to TIME]\n"
    "\n"
    "list  lists the reports: the views of schema pgjob named report_*, with\n"
    "      their time column and whether they take a range\n"
    "NAME  prints the view pgjob.report_NAME.  With --from or --to, only the\n"
    "      rows of [from, to): through the function pgjob.report_NAME(from, to)\n"
    "      when there is one, else on the view's day or hour column.  Days and\n"
    "      hours are those of the session's TimeZone (PGTZ sets it).\n"
    "\n"
    "  -f, --from TIME   start of the range (2026-12-01, 2026-12-01T08:00:00Z)\n"
    "  -t, --to TIME     end of the range, excluded\n"
    "\n" CTL_COMMON_HELP;

static const char list_sql[] =
    "SELECT substr(c.relname, 8) AS name,"
    "       (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid"
    "           AND a.attname IN ('day', 'hour') AND NOT a.attisdropped"
    "         ORDER BY a.attnum LIMIT 1) AS time_column,"
    "       EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = c.relnamespace"
    "                  AND p.proname = c.relname"
    "                  AND p.proargtypes = '1184 1184'::oidvector) AS takes_range,"
    "       obj_description(c.oid, 'pg_class') AS description"
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'pgjob' AND c.relkind IN ('v', 'm') AND c.relname LIKE 'report\\_%'"
    " ORDER BY c.relname";

static const char find_sql[] =
    "SELECT c.relname,"
    "       (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid"
    "           AND a.attname IN ('day', 'hour') AND NOT a.attisdropped"
    "         ORDER BY a.attnum LIMIT 1),"
    "       EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = c.relnamespace"
    "                  AND p.proname = c.relname"
    "                  AND p.proargtypes = '1184 1184'::oidvector)"
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'pgjob' AND c.relkind IN ('v', 'm') AND c.relname = 'report_' || $1";

typedef struct ReportArgs {
    const char *from, *to;
} ReportArgs;

static int report_option(int opt, const char *arg, void *ctx)
{
    ReportArgs *a = ctx;

    if (opt == 'f')
        a->from = arg;
    else if (opt == 't')
        a->to = arg;
    else
        return CTL_EXIT_USAGE;
    return -1;
}

/* name_ok says whether name can be a report's name: 1 to 55 of a-z 0-9 _. */
static bool name_ok(const char *name)
{
    size_t len = strlen(name);
    return len >= 1 && len <= 55 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* run_report prints the report name on c. */
static int run_report(PGconn *c, const char *name, const ReportArgs *a)
{
    const char *p[1] = {name};
    const char *range[2] = {a->from != NULL ? a->from : "-infinity",
                            a->to != NULL ? a->to : "infinity"};
    PGresult *r = db_exec(c, find_sql, 1, p);
    char sql[512];
    bool ranged = a->from != NULL || a->to != NULL;
    int rc;

    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        if (db_tuples_ok(r)) {
            log_error("report: no report named %s (see 'pgjobctl report list')", name);
            rc = CTL_EXIT_USAGE;
        } else {
            rc = ctl_db_failure(c, r, "report");
        }
        PQclear(r);
        return rc;
    }
    /* The view (or its function) and its time column, each quoted as an
     * identifier; the schema is pgjob. */
    const char *relname = PQgetvalue(r, 0, 0), *colname = PQgetvalue(r, 0, 1);
    bool has_column = !PQgetisnull(r, 0, 1), takes_range = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    char *view = PQescapeIdentifier(c, relname, strlen(relname));
    char *column = has_column ? PQescapeIdentifier(c, colname, strlen(colname)) : NULL;
    PQclear(r);
    if (view == NULL || (has_column && column == NULL)) {
        PQfreemem(view);
        PQfreemem(column);
        return ctl_db_failure(c, NULL, "report");
    }
    if (!ranged)
        snprintf(sql, sizeof sql, "SELECT * FROM pgjob.%s", view);
    else if (takes_range)
        snprintf(sql, sizeof sql, "SELECT * FROM pgjob.%s($1::timestamptz, $2::timestamptz)", view);
    else if (has_column)
        snprintf(sql, sizeof sql,
                 "SELECT * FROM pgjob.%s WHERE %s >= $1::timestamptz AND %s < $2::timestamptz",
                 view, column, column);
    else
        sql[0] = '\0';
    PQfreemem(view);
    PQfreemem(column);
    if (sql[0] == '\0')
        return ctl_usage_error("report",
                               "report %s has no day or hour column: it takes no "
                               "--from or --to",
                               name);
    return table_run_rows(c, sql, ranged ? 2 : 0, range, "report");
}

int report_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        CTL_COMMON_OPTIONS,
    };
    ReportArgs a = {NULL, NULL};
    const char *name;
    PGconn *c;
    int rc;

    rc = ctl_parse_options(argc, argv, "report", report_usage, "f:t:", options, report_option, &a);
    if (rc >= 0)
        return rc;
    if (argc - optind != 1)
        return ctl_usage_error("report", "give list or one report NAME");
    name = argv[optind];
    if (strncmp(name, "report_", 7) == 0)
        name += 7;
    if (strcmp(name, "list") != 0 && !name_ok(name))
        return ctl_usage_error("report", "a report's name is lower-case letters, digits and _");
    if (strcmp(name, "list") == 0 && (a.from != NULL || a.to != NULL))
        return ctl_usage_error("report", "list takes no --from or --to");
    if ((rc = ctl_connect(&c, false)) != CTL_EXIT_OK)
        return rc;
    if (strcmp(name, "list") == 0)
        rc = table_run_rows(c, list_sql, 0, NULL, "report list");
    else
        rc = run_report(c, name, &a);
    PQfinish(c);
    return rc;
}
