/* SPDX-License-Identifier: MIT */
/* maint.c - rescue, expire and prune in bounded batches, by the daemon
 * that holds the maintenance lock. */
#include "maint.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "strnum.h"

/* The advisory lock key: "pgjobmnt" read as a number. */
#define MAINT_LOCK_KEY "7021802203479838068"

/* Rounds per call: a backlog larger than this many batches waits for the
 * next timer, so one call never holds the dispatcher long. */
enum { MAINT_ROUNDS = 10 };

bool maint_try_lock(PGconn *c, bool *held, Error *err)
{
    const char *params[1] = {MAINT_LOCK_KEY};
    PGresult *r;

    if (*held)
        return true;
    r = db_exec(c, "SELECT pg_try_advisory_lock($1::bigint)", 1, params);
    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        db_error(c, r, "maintenance lock", err);
        PQclear(r);
        return false;
    }
    *held = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return true;
}

/* count_rounds runs sql (which returns one integer, the rows it handled)
 * until a round handles fewer than batch rows; adds them to *total. */
static bool count_rounds(PGconn *c, const char *sql, int nparams, const char *const *params,
                         int batch, long *total, const char *what, Error *err)
{
    for (int round = 0; round < MAINT_ROUNDS; round++) {
        PGresult *r = db_exec(c, sql, nparams, params);
        long n = 0;
        if (!db_tuples_ok(r) || PQntuples(r) != 1 ||
            !strnum_long(PQgetvalue(r, 0, 0), 0, 1000000000, &n)) {
            db_error(c, r, what, err);
            PQclear(r);
            return false;
        }
        PQclear(r);
        *total += n;
        if (n < batch)
            break;
    }
    return true;
}

bool maint_rescue(PGconn *c, int batch, long *retried, long *requeued, long *failed, Error *err)
{
    static const char sql[] =
        "SELECT count(*) FILTER (WHERE outcome = 'retrying'),"
        "       count(*) FILTER (WHERE outcome = 'failed'),"
        "       count(*) FILTER (WHERE outcome = 'requeued')"
        "  FROM pgjob.rescue($1::integer)";
    char limit[16];
    const char *params[1] = {limit};

    snprintf(limit, sizeof(limit), "%d", batch);
    for (int round = 0; round < MAINT_ROUNDS; round++) {
        PGresult *r = db_exec(c, sql, 1, params);
        long a = 0, b = 0, q = 0;
        if (!db_tuples_ok(r) || PQntuples(r) != 1 ||
            !strnum_long(PQgetvalue(r, 0, 0), 0, 1000000000, &a) ||
            !strnum_long(PQgetvalue(r, 0, 1), 0, 1000000000, &b) ||
            !strnum_long(PQgetvalue(r, 0, 2), 0, 1000000000, &q)) {
            db_error(c, r, "rescue", err);
            PQclear(r);
            return false;
        }
        PQclear(r);
        *retried += a;
        *failed += b;
        *requeued += q;
        if (a + b + q < batch)
            break;
    }
    return true;
}

bool maint_expire(PGconn *c, int batch, long *expired, Error *err)
{
    char limit[16];
    const char *params[1] = {limit};

    snprintf(limit, sizeof(limit), "%d", batch);
    return count_rounds(c, "SELECT pgjob.expire($1::integer)", 1, params, batch, expired, "expire",
                        err);
}

bool maint_prune(PGconn *c, int days, int batch, long *pruned, Error *err)
{
    char limit[16], age[16];
    const char *params[2] = {age, limit};

    snprintf(limit, sizeof(limit), "%d", batch);
    snprintf(age, sizeof(age), "%d", days);
    return count_rounds(c, "SELECT pgjob.prune(make_interval(days => $1::integer), $2::integer)", 2,
                        params, batch, pruned, "prune", err);
}

bool maint_cache_prune(PGconn *c, int max_seconds, int max_rows, int batch, long *pruned,
                       Error *err)
{
    char limit[16], age[16], rows[16];
    const char *params[3] = {max_seconds > 0 ? age : NULL, rows, limit};

    snprintf(limit, sizeof(limit), "%d", batch);
    snprintf(age, sizeof(age), "%d", max_seconds);
    snprintf(rows, sizeof(rows), "%d", max_rows);
    /* result_cache_seconds 0 turns the cache off: what it holds is of no
     * use, so the age bound is then "any". */
    return count_rounds(c,
                        "SELECT pgjob.result_cache_prune(coalesce(make_interval(secs =>"
                        " $1::integer), interval '0'), $2::bigint, $3::integer)",
                        3, params, batch, pruned, "result cache prune", err);
}
