/* SPDX-License-Identifier: MIT */
/*
 * status.c is "pgjobctl status": where an installation stands, read only:
 * the schema version, the migrations applied, the live jobs by status,
 * the workers holding leases, and the pgjob programs connected to the
 * database, with the one holding pgjobd's maintenance lock (as far as the
 * role may see other sessions in pg_stat_activity).
 */
#include <stdio.h>

#include "ctl.h"
#include "db.h"
#include "error.h"
#include "log.h"
#include "schema.h"
#include "table.h"

/* pgjobd's maintenance lock: the advisory lock key of daemon/maint.c
 * (MAINT_LOCK_KEY, "pgjobmnt" read as a number).  test_ctl.py checks that
 * status sees a running pgjobd hold it. */
#define MAINT_LOCK_KEY "7021802203479838068"

static const char status_usage[] =
    "usage: pgjobctl status [OPTIONS]\n"
    "\n"
    "Prints, changing nothing: the schema version (and what this pgjobctl\n"
    "knows), the migrations applied, the live jobs by status (queued with how\n"
    "many are due, processing, paused), the workers holding leases, and the\n"
    "pgjob programs connected to the database, marking the pgjobd that holds\n"
    "the maintenance lock (rescue, expiry, pruning).  Other roles' sessions\n"
    "show only if this role may see them (pg_read_all_stats).\n"
    "\n" CTL_COMMON_HELP;

static const char schema_sql[] =
    "SELECT coalesce(max(m.version), 0) AS version, count(*) AS applied,"
    "       $1::integer AS known, greatest($1::integer - coalesce(max(m.version), 0), 0) AS pending"
    "  FROM pgjob.schema_migration m";
static const char unmigrated_sql[] =
    "SELECT 0 AS version, 0 AS applied, $1::integer AS known, $1::integer AS pending";
static const char migrations_sql[] =
    "SELECT m.version, m.name, m.applied_at FROM pgjob.schema_migration m ORDER BY m.version";
static const char queue_sql[] =
    "SELECT q.status, q.jobs,"
    "       CASE q.status WHEN 'queued' THEN"
    "            (SELECT count(*) FROM pgjob.ready r WHERE r.run_at <= now()) END AS due,"
    "       CASE q.status WHEN 'queued' THEN (SELECT min(r.run_at) FROM pgjob.ready r) END"
    "            AS oldest_run_at"
    "  FROM pgjob.queue_depth() q";
static const char leases_sql[] =
    "SELECT l.worker, count(*) AS jobs, min(l.lease_until) AS first_lease_end,"
    "       max(l.lease_until) AS last_lease_end"
    "  FROM pgjob.lease l GROUP BY l.worker ORDER BY l.worker";
static const char programs_sql[] =
    "SELECT a.pid, a.application_name AS program, a.usename AS role, a.client_addr,"
    "       a.backend_start,"
    "       EXISTS (SELECT 1 FROM pg_locks l"
    "                WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted"
    "                  AND l.objsubid = 1"
    "                  AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint)"
    "            AS maintenance"
    "  FROM pg_stat_activity a"
    " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
    "   AND (a.application_name LIKE 'pgjob%' OR EXISTS ("
    "        SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory'"
    "           AND l.granted AND l.objsubid = 1"
    "           AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint))"
    " ORDER BY a.application_name, a.pid";

/* SectionParam is the one parameter a section's query takes, if any. */
typedef enum SectionParam {
    PARAM_NONE,  /* no parameter */
    PARAM_KNOWN, /* the latest schema version this pgjobctl knows */
    PARAM_LOCK   /* the maintenance lock's key */
} SectionParam;

/* Section is one part of the status. */
typedef struct Section {
    const char *name;
    const char *sql;
    SectionParam param;
} Section;

static int no_options(int opt, const char *arg, void *ctx)
{
    (void)opt;
    (void)arg;
    (void)ctx;
    return CTL_EXIT_USAGE;
}

/* print_sections prints each section; stops at the first failure. */
static int print_sections(PGconn *c, const Section *sections, size_t n, const char *known)
{
    bool first = true;
    int rc = CTL_EXIT_OK;

    if (ctl_options.json)
        putchar('{');
    for (size_t i = 0; i < n && rc == CTL_EXIT_OK; i++) {
        const char *p[1] = {sections[i].param == PARAM_LOCK ? MAINT_LOCK_KEY : known};
        PGresult *r = table_query(c, sections[i].sql, sections[i].param != PARAM_NONE, p);
        if (db_tuples_ok(r)) {
            table_print_section(sections[i].name, r, first);
            first = false;
        } else {
            rc = ctl_db_failure(c, r, "status");
        }
        PQclear(r);
    }
    if (ctl_options.json)
        puts("}");
    return rc;
}

int status_main(int argc, char **argv)
{
    static const struct option options[] = {CTL_COMMON_OPTIONS};
    static const Section full[] = {
        {"schema", schema_sql, PARAM_KNOWN},    {"migrations", migrations_sql, PARAM_NONE},
        {"queue", queue_sql, PARAM_NONE},       {"leases", leases_sql, PARAM_NONE},
        {"programs", programs_sql, PARAM_LOCK},
    };
    static const Section bare[] = {{"schema", unmigrated_sql, PARAM_KNOWN}};
    char known[16];
    Error err;
    PGconn *c;
    int rc, version = 0;

    rc = ctl_parse_options(argc, argv, "status", status_usage, "", options, no_options, NULL);
    if (rc >= 0)
        return rc;
    if (argc - optind != 0)
        return ctl_usage_error("status", "takes no operand");
    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    error_clear(&err);
    snprintf(known, sizeof known, "%d", schema_latest());
    if (!schema_version(c, &version, &err)) {
        log_error("status: %s", err.message);
        rc = err.status == 503 ? CTL_EXIT_TEMPFAIL : CTL_EXIT_RUNTIME;
    } else if (version == 0) {
        rc = print_sections(c, bare, 1, known);
        log_warn("the database has no pgjob schema: run pgjobctl migrate");
    } else {
        rc = print_sections(c, full, sizeof full / sizeof full[0], known);
    }
    PQfinish(c);
    return rc;
}
