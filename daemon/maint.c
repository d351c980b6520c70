/* SPDX-License-Identifier: MIT */
/* maint.c - the maintenance statements: rescue, the maintenance lock,
 * expire, the result cache's bound and prune (see maint.h). */
#include "maint.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "strnum.h"

/* The advisory lock key: "pgjobmnt" read as a number. */
#define MAINT_LOCK_KEY "7021802203479838068"

/* The statement of each step; each answers one row. */
static const char *const step_sql[] = {
    [MAINT_SETUP] = "SELECT set_config('statement_timeout', $1, false)",
    [MAINT_RESCUE] =
        "SELECT count(*) FILTER (WHERE outcome = 'retrying'),"
        "       count(*) FILTER (WHERE outcome = 'failed'),"
        "       count(*) FILTER (WHERE outcome = 'requeued')"
        "  FROM pgjob.rescue($1::integer)",
    [MAINT_LOCK] = "SELECT pg_try_advisory_lock($1::bigint)",
    [MAINT_EXPIRE] = "SELECT pgjob.expire($1::integer)",
    /* result_cache_seconds 0 turns the cache off: what it holds is of no
     * use, so the age bound is then "any". */
    [MAINT_CACHE_PRUNE] =
        "SELECT pgjob.result_cache_prune(coalesce(make_interval(secs =>"
        " $1::integer), interval '0'), $2::bigint, $3::integer)",
    [MAINT_PRUNE] = "SELECT pgjob.prune(make_interval(days => $1::integer), $2::integer)",
};

const char *maint_step_name(MaintStep step)
{
    switch (step) {
        case MAINT_SETUP:
            return "maintenance connection set-up";
        case MAINT_RESCUE:
            return "rescue";
        case MAINT_LOCK:
            return "maintenance lock";
        case MAINT_EXPIRE:
            return "expire";
        case MAINT_CACHE_PRUNE:
            return "result cache prune";
        case MAINT_PRUNE:
            return "prune";
        case MAINT_NONE:
            break;
    }
    return "none";
}

bool maint_send(PGconn *c, MaintStep step, const MaintArgs *args)
{
    char batch[16], days[16], age[16], rows[16], ms[24];
    const char *params[3] = {NULL, NULL, NULL};
    int n = 1;

    snprintf(batch, sizeof(batch), "%d", args->batch);
    switch (step) {
        case MAINT_SETUP:
            snprintf(ms, sizeof(ms), "%ld", args->statement_ms);
            params[0] = ms;
            break;
        case MAINT_RESCUE:
        case MAINT_EXPIRE:
            params[0] = batch;
            break;
        case MAINT_LOCK:
            params[0] = MAINT_LOCK_KEY;
            break;
        case MAINT_CACHE_PRUNE:
            snprintf(age, sizeof(age), "%d", args->cache_seconds);
            snprintf(rows, sizeof(rows), "%d", args->cache_entries);
            params[0] = args->cache_seconds > 0 ? age : NULL;
            params[1] = rows;
            params[2] = batch;
            n = 3;
            break;
        case MAINT_PRUNE:
            snprintf(days, sizeof(days), "%d", args->prune_after_days);
            params[0] = days;
            params[1] = batch;
            n = 2;
            break;
        case MAINT_NONE:
            return false;
    }
    return PQsendQueryParams(c, step_sql[step], n, NULL, params, NULL, NULL, 0) == 1;
}

/* read_count reads column col of r's one row as a count. */
static bool read_count(const PGresult *r, int col, long *n)
{
    return strnum_long(PQgetvalue(r, 0, col), 0, 1000000000, n);
}

long maint_read(PGconn *c, MaintStep step, const PGresult *r, MaintCounts *counts, Error *err)
{
    long a = 0, b = 0, q = 0;
    bool ok = db_tuples_ok(r) && PQntuples(r) == 1;

    if (ok && step == MAINT_SETUP)
        return 1;
    if (ok && step == MAINT_LOCK) {
        counts->locked = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        return 1;
    }
    if (ok && step == MAINT_RESCUE)
        ok = PQnfields(r) == 3 && read_count(r, 0, &a) && read_count(r, 1, &b) &&
             read_count(r, 2, &q);
    else if (ok)
        ok = read_count(r, 0, &a);
    if (!ok) {
        db_error(c, r, maint_step_name(step), err);
        return -1;
    }
    switch (step) {
        case MAINT_RESCUE:
            counts->retried += a;
            counts->failed += b;
            counts->requeued += q;
            return a + b + q;
        case MAINT_EXPIRE:
            counts->expired += a;
            break;
        case MAINT_CACHE_PRUNE:
            counts->cached += a;
            break;
        case MAINT_PRUNE:
            counts->pruned += a;
            break;
        case MAINT_SETUP:
        case MAINT_LOCK:
        case MAINT_NONE:
            break;
    }
    return a;
}

bool maint_try_lock(PGconn *c, bool *held, Error *err)
{
    const char *params[1] = {MAINT_LOCK_KEY};
    PGresult *r;

    if (*held)
        return true;
    r = db_exec(c, step_sql[MAINT_LOCK], 1, params);
    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        db_error(c, r, "maintenance lock", err);
        PQclear(r);
        return false;
    }
    *held = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return true;
}
