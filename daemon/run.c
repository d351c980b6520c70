/* SPDX-License-Identifier: MIT */
/*
 * run.c - one attempt from start to outcome.
 *
 * The handler calls progress() after each item and at least every second
 * or so.  progress() renews the lease once heartbeat_seconds have passed
 * since the last renewal, sending the checkpoint when items were done
 * since: items_done and the results added since the last checkpoint the
 * database confirmed (after a failed heartbeat the next one sends again
 * from the same index, which the SQL makes idempotent).  It tells the
 * handler to stop when the daemon aborts (shutdown) or the heartbeat
 * says the job was canceled, paused or lost.  A database error on a
 * heartbeat does not stop the job: it is logged, the connection is
 * retried later, and the lease may run out, in which case the completion
 * is refused by the fencing check.
 */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "lease.h"
#include "log.h"

/* Why a run stopped early. */
typedef enum StopReason { STOP_NONE, STOP_ABORT, STOP_LEASE } StopReason;

/* RunState is the progress callback's argument. */
typedef struct RunState {
    RunEnv *env;
    RunConn *rc;
    Job *job;
    HandlerOutput *out;
    long long last_beat_ms; /* last renewal, or the claim */
    size_t sent_done;       /* items_done of the last checkpoint sent */
    size_t sent_results;    /* results the database confirmed holding */
    StopReason stop;
    LeaseState lease;
    PGresult *document; /* the fetched document's bytes, lent to the handler */
} RunState;

void run_conn_close(RunConn *rc)
{
    if (rc->conn != NULL)
        PQfinish(rc->conn);
    rc->conn = NULL;
}

/* run_conn_get returns the worker's connection, opening it if it may;
 * NULL while the database is unreachable. */
static PGconn *run_conn_get(RunEnv *env, RunConn *rc)
{
    Error err = {0};
    char appname[32];

    if (rc->conn != NULL)
        return rc->conn;
    if (clock_ms() < rc->retry_at_ms)
        return NULL;
    snprintf(appname, sizeof(appname), "pgjobd worker %d", rc->index);
    rc->conn = db_connect(env->conninfo, appname, &err);
    if (rc->conn == NULL) {
        log_warn("[worker %d] cannot connect for heartbeats: %s", rc->index, err.message);
        rc->retry_at_ms = clock_ms() + 1000;
    }
    return rc->conn;
}

/* beat sends one heartbeat for the run, with the checkpoint when items
 * were done since the last one.  Returns the lease state. */
static LeaseState beat(RunState *rs, size_t items_done)
{
    Error err = {0};
    PGconn *c = run_conn_get(rs->env, rs->rc);
    const json_t *results = NULL;
    int lease = atomic_load(&rs->env->lease_seconds);

    if (c == NULL)
        return LEASE_UNKNOWN;
    size_t have = json_array_size(rs->out->results);

    if (items_done != rs->sent_done && items_done <= have)
        results = rs->out->results;
    /* Handlers only append; should the array ever be shorter than what
     * was confirmed, send it whole. */
    if (rs->sent_results > have)
        rs->sent_results = 0;
    LeaseState s = lease_heartbeat(c, rs->job, lease, items_done, results_failed(results), results,
                                   rs->sent_results, &err);
    if (s == LEASE_UNKNOWN) {
        log_warn("[job %s] heartbeat failed: %s", rs->job->id, err.message);
        if (PQstatus(c) != CONNECTION_OK)
            run_conn_close(rs->rc);
        else
            rs->sent_results = 0; /* refused (e.g. PJ409): the next one sends all */
        return s;
    }
    rs->last_beat_ms = clock_ms();
    if (results != NULL) {
        rs->sent_done = items_done;
        rs->sent_results = have;
    }
    return s;
}

/* progress is the HandlerContext callback. */
static bool progress(void *arg, size_t items_done)
{
    RunState *rs = arg;
    long long every = (long long)atomic_load(&rs->env->heartbeat_seconds) * 1000;

    if (atomic_load(&rs->env->abort)) {
        /* Save the work done so far before handing the job back. */
        if (items_done != rs->sent_done)
            beat(rs, items_done);
        rs->stop = STOP_ABORT;
        return false;
    }
    if (clock_ms() - rs->last_beat_ms < every)
        return true;
    LeaseState s = beat(rs, items_done);
    if (s == LEASE_RUNNING || s == LEASE_UNKNOWN)
        return true;
    log_info("[job %s] stopping attempt %d: the job is %s", rs->job->id, rs->job->attempt,
             lease_state_name(s));
    rs->stop = STOP_LEASE;
    rs->lease = s;
    return false;
}

/* The fenced read of a job's document; binary results, so the bytes
 * arrive as they are, not hex-encoded. */
static const char document_sql[] =
    "SELECT held, bytes FROM pgjob.document_fetch($1::uuid, $2::integer)";

/* document is the HandlerContext callback that fetches the job's
 * document on the worker's connection. */
static HandlerDocument document(void *arg, const unsigned char **bytes, size_t *len, Error *err)
{
    RunState *rs = arg;
    PGconn *c = run_conn_get(rs->env, rs->rc);
    char attempt[16];
    HandlerDocument result = HANDLER_DOC_ERROR;

    *bytes = NULL;
    *len = 0;
    PQclear(rs->document); /* a second fetch ends the loan of the first */
    rs->document = NULL;
    if (c == NULL) {
        error_set(err, 503, "db_unavailable", "no database connection to fetch the document");
        return HANDLER_DOC_ERROR;
    }
    snprintf(attempt, sizeof(attempt), "%d", rs->job->attempt);
    const char *params[2] = {rs->job->id, attempt};
    PGresult *r = PQexecParams(c, document_sql, 2, NULL, params, NULL, NULL, 1);
    if (!db_tuples_ok(r) || PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 1) {
        db_error(c, r, "document fetch", err);
        if (PQstatus(c) != CONNECTION_OK)
            run_conn_close(rs->rc);
    } else if (PQgetvalue(r, 0, 0)[0] == 0) {
        /* As a heartbeat that found the job gone: nothing to hand back. */
        log_info("[job %s] not starting attempt %d: the job is no longer this attempt's",
                 rs->job->id, rs->job->attempt);
        rs->stop = STOP_LEASE;
        result = HANDLER_DOC_LOST;
    } else if (PQgetisnull(r, 0, 1)) {
        result = HANDLER_DOC_NONE;
    } else {
        /* Lent, not copied: a 10 MB PDF is held once; run_job clears the
         * result when the handler has returned. */
        *len = (size_t)PQgetlength(r, 0, 1);
        *bytes = (const unsigned char *)PQgetvalue(r, 0, 1);
        rs->document = r;
        return HANDLER_DOC_OK;
    }
    PQclear(r);
    return result;
}

/* lease_still_held renews the lease of a job that waited in the daemon's
 * queue (prefetch) for a heartbeat period or more since its last renewal
 * (the dispatcher renews waiting jobs too), so it does not start on a
 * lease about to run out.  false when the job is no longer this
 * attempt's. */
static bool lease_still_held(RunState *rs)
{
    long long every = (long long)atomic_load(&rs->env->heartbeat_seconds) * 1000;

    if (clock_ms() - rs->job->renewed_ms < every)
        return true;
    LeaseState s = beat(rs, rs->job->items_done);
    if (s == LEASE_RUNNING || s == LEASE_UNKNOWN)
        return true;
    log_info("[job %s] not starting attempt %d: the job is %s", rs->job->id, rs->job->attempt,
             lease_state_name(s));
    rs->stop = STOP_LEASE;
    return false;
}

/* finish turns a handler's return into the outcome of the run. */
static Outcome *finish(RunState *rs, HandlerStatus status, const Error *err, long long ms)
{
    Job *job = rs->job;
    HandlerOutput *out = rs->out;
    Outcome *o;

    switch (status) {
        case HANDLER_OK:
            if (json_array_size(out->results) != job->item_count) {
                o = outcome_new(OUTCOME_FAIL, job);
                if (o != NULL) {
                    o->fatal = true;
                    o->processing_ms = ms;
                    error_set(&o->error, 500, "handler_error",
                              "handler %s returned %zu results for %zu items", job->type,
                              json_array_size(out->results), job->item_count);
                }
                return o;
            }
            o = outcome_new(OUTCOME_COMPLETE, job);
            if (o == NULL)
                return NULL;
            o->results = json_incref(out->results);
            o->validation_flags = json_incref(out->validation_flags);
            o->confidence = out->confidence;
            memcpy(o->model, out->model, sizeof(o->model));
            o->model[sizeof(o->model) - 1] = '\0';
            o->cache_hit = out->cache_hit;
            o->processing_ms = ms;
            return o;
        case HANDLER_RETRY:
        case HANDLER_FATAL:
            o = outcome_new(OUTCOME_FAIL, job);
            if (o == NULL)
                return NULL;
            o->fatal = status == HANDLER_FATAL;
            o->processing_ms = ms;
            o->error = *err;
            if (o->error.code[0] == '\0')
                error_set(&o->error, 500, "handler_error", "the handler failed without a reason");
            return o;
        case HANDLER_STOPPED:
            break;
    }
    return outcome_new(rs->stop == STOP_LEASE ? OUTCOME_NONE : OUTCOME_RELEASE, job);
}

Outcome *run_job(RunEnv *env, RunConn *rc, Job *job)
{
    HandlerOutput out = {
        .results = json_copy(job->results),
        .validation_flags = json_array(),
        .confidence = -1,
        .cache_hit = -1,
    };
    RunState rs = {
        .env = env,
        .rc = rc,
        .job = job,
        .out = &out,
        .last_beat_ms = clock_ms(),
        .sent_done = job->items_done,
        .sent_results = json_array_size(job->results),
    };
    HandlerContext ctx = {
        .progress = progress, .arg = &rs, .settings = job->settings, .document = document};
    HandlerJob hj = {
        .id = job->id,
        .type = job->type,
        .attempt = job->attempt,
        .items = job->items,
        .metadata = job->metadata,
        .items_done = job->items_done,
        .results = job->results,
    };
    Error err = {0};
    HandlerStatus status;
    long long ms = 0;
    Outcome *o;

    if (out.results == NULL || out.validation_flags == NULL) {
        status = HANDLER_RETRY;
        error_set(&err, 500, "out_of_memory", "out of memory starting the job");
    } else if (atomic_load(&env->abort)) {
        rs.stop = STOP_ABORT;
        status = HANDLER_STOPPED;
    } else if (!lease_still_held(&rs)) {
        status = HANDLER_STOPPED;
    } else {
        log_debug("[job %s] attempt %d of %s starts at item %zu", job->id, job->attempt, job->type,
                  job->items_done);
        long long t0 = clock_ms();
        status = job->handler->run(&ctx, &hj, &out, &err);
        ms = clock_ms() - t0;
    }
    PQclear(rs.document); /* the handler is done with the document's bytes */
    o = finish(&rs, status, &err, ms);
    json_decref(out.results);
    json_decref(out.validation_flags);
    return o;
}
