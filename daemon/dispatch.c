/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the dispatcher: claim, hand out, record, maintain.
 *
 * Wording: a slot is a worker thread; `running` counts the jobs handed to
 * the pool whose outcome has not come back yet.  `pending` holds outcomes
 * that came back and are not yet written to the database: they survive a
 * lost connection and are written after the reconnect (the fencing check
 * makes a late write safe).
 *
 * One pass of the loop: act on signals, (re)connect, collect outcomes,
 * write them in batches, claim for the free slots, run due timers, then
 * wait.  The loop claims when a notification names one of its types,
 * when the poll interval passed, or right after a claim came back full.
 */
#include "dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "enrich_load.h"
#include "handlers.h"
#include "log.h"
#include "maint.h"
#include "pool.h"
#include "run.h"
#include "schema.h"
#include "sdnotify.h"
#include "signals.h"
#include "strnum.h"

extern char **environ;

typedef enum ShutdownMode {
    SHUTDOWN_NONE,  /* running */
    SHUTDOWN_DRAIN, /* no more claims; jobs finish until the grace period ends */
    SHUTDOWN_FAST,  /* every job is stopped and handed back now */
} ShutdownMode;

/* TypeSlot counts the running jobs of one claimed type against its limit. */
typedef struct TypeSlot {
    const char *type; /* borrowed from the handler table */
    int limit;        /* 0: none */
    int running;
    bool saturated; /* its last claim filled it to the limit: more may wait */
} TypeSlot;

/* Stats are the counters of the summary line and STATUS=. */
typedef struct Stats {
    long claimed, completed, retried, failed, released, lost;
    long rescued, rescue_failed, expired, pruned;
} Stats;

typedef struct Dispatcher {
    Config *cfg;
    const char *config_path;
    HandlerTable *handlers;
    TypeSlot *slots;
    size_t nslots;
    Pool *pool;
    int wake[2]; /* [0] read end, polled; [1] write end, for workers and signals */

    PGconn *conn;
    bool maintainer;        /* holds the maintenance lock on conn */
    bool ready_sent;        /* READY=1 was sent */
    bool merchants_due;     /* pgjob.merchant is to be (re)read: at start and on SIGHUP */
    bool down_logged;       /* the database is known to be down */
    long long reconnect_at; /* monotonic ms */
    int reconnect_delay_ms;

    int running;
    Outcome **pending;
    size_t npending, pending_cap;
    /* The recording connection: a batch of outcomes is sent there without
     * waiting, so PostgreSQL records it while the next claim runs on
     * conn.  One batch at a time; without it, batches go on conn. */
    PGconn *rec;
    Outcome **inflight; /* the batch being recorded on rec; NULL when none */
    size_t ninflight;
    long long rec_retry_at;  /* monotonic ms */
    long long pending_since; /* when the oldest pending outcome came back */

    bool want_claim;
    long long next_poll, next_rescue, next_expire, next_prune, next_stats, next_watchdog;
    long long next_renew;
    long long watchdog_ms; /* half of WATCHDOG_USEC; 0: off */

    ShutdownMode mode;
    bool aborted;          /* pool_abort was called */
    long long deadline;    /* end of the grace period, monotonic ms */
    char worker_name[128]; /* host:pid, recorded with each lease */
    Stats stats;
} Dispatcher;

/* ---- connection ---- */

/* drop_connection closes the connection after an error and schedules a
 * reconnect; logged once per outage. */
static void drop_connection(Dispatcher *d, const char *why)
{
    if (!d->down_logged)
        log_warn("database connection lost (%s); reconnecting with backoff", why);
    d->down_logged = true;
    if (d->conn != NULL)
        PQfinish(d->conn);
    d->conn = NULL;
    d->maintainer = false;
    d->reconnect_delay_ms = 100;
    d->reconnect_at = clock_ms() + d->reconnect_delay_ms;
}

/* statement_failed handles a failed statement: a broken connection is
 * dropped, anything else is logged. */
static void statement_failed(Dispatcher *d, const Error *err)
{
    if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK || err->status == 503)
        drop_connection(d, err->message);
    else
        log_error("%s", err->message);
}

/* set_up_connection checks the schema, LISTENs and takes the maintenance
 * lock on a new connection. */
static bool set_up_connection(Dispatcher *d, Error *err)
{
    if (!schema_check(d->conn, err))
        return false;
    if (d->cfg->listen && !db_run(d->conn, "LISTEN pgjob_ready", 0, NULL, "listen", err))
        return false;
    if (!maint_try_lock(d->conn, &d->maintainer, err))
        return false;
    if (PQsetnonblocking(d->conn, 0) != 0) {
        error_set(err, 500, "db_error", "cannot set the connection blocking");
        return false;
    }
    return true;
}

/* load_merchants reads pgjob.merchant into a new merchant table and
 * hands it to the workers; each job keeps the table it started with.  On
 * a lost connection the load is tried again after the reconnect; on any
 * other failure the current table stays. */
static void load_merchants(Dispatcher *d)
{
    Error err = {0};
    EnrichTable *t = enrich_load(d->conn, (size_t)d->cfg->enrich_cache_entries, &err);

    if (t == NULL && (PQstatus(d->conn) != CONNECTION_OK || err.status == 503)) {
        statement_failed(d, &err);
        return;
    }
    d->merchants_due = false;
    if (t == NULL) {
        log_error("cannot load the merchant table, keeping the current one: %s", err.message);
        return;
    }
    /* Logged after the swap, so that a job submitted after the line is
     * seen uses the new table.  The slot keeps t alive for the log. */
    enrich_slot_set(handlers_enrich_slot(d->handlers), t);
    enrich_log_table(t, "merchant table loaded");
}

/* try_connect opens the dispatcher connection when a retry is due. */
static void try_connect(Dispatcher *d)
{
    Error err = {0};
    long long now = clock_ms();

    if (now < d->reconnect_at)
        return;
    d->conn = db_connect(d->cfg->database, "pgjobd", &err);
    if (d->conn != NULL && !set_up_connection(d, &err)) {
        PQfinish(d->conn);
        d->conn = NULL;
    }
    if (d->conn == NULL) {
        if (!d->down_logged)
            log_warn("database unavailable: %s; retrying", err.message);
        d->down_logged = true;
        d->reconnect_delay_ms = d->reconnect_delay_ms < 100 ? 100 : d->reconnect_delay_ms * 2;
        if (d->reconnect_delay_ms > d->cfg->reconnect_max_seconds * 1000)
            d->reconnect_delay_ms = d->cfg->reconnect_max_seconds * 1000;
        d->reconnect_at = now + d->reconnect_delay_ms;
        return;
    }
    log_info("connected to the database%s%s", d->cfg->listen ? ", listening" : ", polling only",
             d->maintainer ? ", maintainer" : "");
    d->down_logged = false;
    d->reconnect_delay_ms = 0;
    d->want_claim = true;
    d->next_rescue = now; /* at start-up and after an outage, rescue first */
    /* The merchants are read before READY=1: a ready daemon enriches with
     * the database's table. */
    if (d->merchants_due)
        load_merchants(d);
    if (d->conn == NULL)
        return;
    if (!d->ready_sent) {
        if (!sdnotify_send("READY=1"))
            log_warn("cannot notify systemd: %s", strerror(errno));
        d->ready_sent = true;
    }
}

/* ---- outcomes ---- */

static TypeSlot *slot_of(Dispatcher *d, const char *type)
{
    for (size_t i = 0; i < d->nslots; i++) {
        if (strcmp(d->slots[i].type, type) == 0)
            return &d->slots[i];
    }
    return NULL;
}

/* add_pending keeps o until it is written; false (o freed) on no memory. */
static bool add_pending(Dispatcher *d, Outcome *o)
{
    if (d->npending == d->pending_cap) {
        size_t cap = d->pending_cap ? d->pending_cap * 2 : 64;
        Outcome **p = realloc(d->pending, cap * sizeof(*p));
        if (p == NULL) {
            log_error("[job %s] out of memory keeping its outcome; its lease will expire",
                      o->job->id);
            outcome_free(o);
            return false;
        }
        d->pending = p;
        d->pending_cap = cap;
    }
    if (d->npending == 0)
        d->pending_since = clock_ms();
    d->pending[d->npending++] = o;
    return true;
}

/* collect_outcomes moves finished outcomes from the pool to pending. */
static void collect_outcomes(Dispatcher *d)
{
    Outcome *o;

    while ((o = pool_pop_outcome(d->pool)) != NULL) {
        TypeSlot *slot = slot_of(d, o->job->type);
        d->running--;
        if (slot != NULL) {
            slot->running--;
            /* A limited type at its limit left work queued: claim now. */
            if (slot->saturated)
                d->want_claim = true;
            slot->saturated = false;
        }
        if (o->kind == OUTCOME_NONE) {
            d->stats.lost++;
            outcome_free(o);
            continue;
        }
        add_pending(d, o);
    }
}

/* count_result adds one row of a batch call's answer to the counters. */
static void count_result(Dispatcher *d, const char *id, const char *outcome)
{
    char safe[48];

    if (strcmp(outcome, "completed") == 0)
        d->stats.completed++;
    else if (strcmp(outcome, "retrying") == 0)
        d->stats.retried++;
    else if (strcmp(outcome, "failed") == 0)
        d->stats.failed++;
    else if (strcmp(outcome, "released") == 0)
        d->stats.released++;
    else {
        d->stats.lost++;
        log_info("[job %s] outcome not recorded: the attempt no longer holds the job",
                 log_sanitize(safe, sizeof(safe), id));
    }
}

/* write_batch writes the outcomes batch[0..n) (all of one kind) with one
 * call.  Returns false when the connection broke (the outcomes stay
 * pending); true when they were written or refused for good (logged). */
/* The statement that records a batch of each kind. */
static const char *const batch_sql[] = {
    [OUTCOME_COMPLETE] = "SELECT id, outcome FROM pgjob.complete($1::jsonb)",
    [OUTCOME_FAIL] = "SELECT id, outcome FROM pgjob.fail($1::jsonb, $2::interval, $3::interval)",
    [OUTCOME_RELEASE] = "SELECT id, outcome FROM pgjob.release($1::jsonb)",
};

/* BatchCall is the statement and parameters that record one batch. */
typedef struct BatchCall {
    const char *sql;
    int nparams;
    const char *params[3]; /* the entries' JSON text (borrowed), then the backoff */
    char base[32], max[32];
} BatchCall;

/* batch_call fills call for a batch of kind whose entries are text. */
static void batch_call(const Dispatcher *d, OutcomeKind kind, const char *text, BatchCall *call)
{
    snprintf(call->base, sizeof(call->base), "%d milliseconds", d->cfg->backoff_base_ms);
    snprintf(call->max, sizeof(call->max), "%d milliseconds", d->cfg->backoff_max_ms);
    call->sql = batch_sql[kind];
    call->nparams = kind == OUTCOME_FAIL ? 3 : 1;
    call->params[0] = text;
    call->params[1] = call->base;
    call->params[2] = call->max;
}

/* encode_batch returns the new JSON text of batch[0..n) (free()), or NULL
 * when out of memory. */
static char *encode_batch(Outcome **batch, size_t n)
{
    json_t *entries = json_array();
    char *text;

    for (size_t i = 0; i < n && entries != NULL; i++) {
        if (json_array_append_new(entries, outcome_entry(batch[i])) != 0) {
            json_decref(entries);
            entries = NULL;
        }
    }
    text = entries ? json_dumps(entries, JSON_COMPACT) : NULL;
    json_decref(entries);
    return text;
}

/* write_batch records batch[0..n) (all one kind) on conn, waiting for the
 * answer.  Returns false when the connection broke (the outcomes stay
 * pending); true when they were written or refused for good (logged). */
static bool write_batch(Dispatcher *d, Outcome **batch, size_t n)
{
    Error err = {0};
    char *text = encode_batch(batch, n);
    PGresult *r = NULL;
    bool ok = true;

    if (text == NULL) {
        log_error("out of memory encoding %zu outcomes; their leases will expire", n);
        goto out;
    }
    BatchCall call;
    batch_call(d, batch[0]->kind, text, &call);
    r = db_exec(d->conn, call.sql, call.nparams, call.params);
    if (!db_tuples_ok(r)) {
        db_error(d->conn, r, "recording outcomes", &err);
        if (PQstatus(d->conn) != CONNECTION_OK || err.status == 503) {
            ok = false;
            drop_connection(d, err.message);
        } else {
            log_error("%s; %zu outcomes dropped, their leases will expire", err.message, n);
        }
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++)
        count_result(d, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
out:
    PQclear(r);
    free(text);
    return ok;
}

/* ---- the recording connection ---- */

/* rec_broken puts the batch in flight back in pending and drops rec; a
 * new one is tried a second later. */
static void rec_broken(Dispatcher *d, const char *why)
{
    log_warn("recording connection lost (%s); its batch will be written again", why);
    for (size_t i = 0; i < d->ninflight; i++)
        add_pending(d, d->inflight[i]);
    free(d->inflight);
    d->inflight = NULL;
    d->ninflight = 0;
    if (d->rec != NULL)
        PQfinish(d->rec);
    d->rec = NULL;
    d->rec_retry_at = clock_ms() + 1000;
}

/* rec_send starts recording batch[0..n) on rec without waiting; the
 * outcomes move to inflight.  false (nothing taken) when rec cannot be
 * had: the caller writes the batch on conn instead. */
static bool rec_send(Dispatcher *d, Outcome **batch, size_t n)
{
    Error err = {0};

    if (d->rec == NULL) {
        if (clock_ms() < d->rec_retry_at)
            return false;
        d->rec = db_connect(d->cfg->database, "pgjobd recorder", &err);
        if (d->rec == NULL) {
            d->rec_retry_at = clock_ms() + 1000;
            return false;
        }
    }
    d->inflight = malloc(n * sizeof(*d->inflight));
    char *text = d->inflight ? encode_batch(batch, n) : NULL;
    if (text == NULL) {
        free(d->inflight);
        d->inflight = NULL;
        return false;
    }
    BatchCall call;
    batch_call(d, batch[0]->kind, text, &call);
    int sent = PQsendQueryParams(d->rec, call.sql, call.nparams, NULL, call.params, NULL, NULL, 0);
    free(text);
    if (!sent) {
        free(d->inflight);
        d->inflight = NULL;
        log_warn("recording connection lost (%s); writing on the main one", PQerrorMessage(d->rec));
        PQfinish(d->rec);
        d->rec = NULL;
        d->rec_retry_at = clock_ms() + 1000;
        return false;
    }
    memcpy(d->inflight, batch, n * sizeof(*batch));
    d->ninflight = n;
    return true;
}

/* rec_poll reads the answer of the batch in flight, if it has come: its
 * rows are counted and its outcomes freed. */
static void rec_poll(Dispatcher *d)
{
    Error err = {0};
    PGresult *r;

    if (d->inflight == NULL)
        return;
    if (!PQconsumeInput(d->rec)) {
        rec_broken(d, PQerrorMessage(d->rec));
        return;
    }
    while (!PQisBusy(d->rec)) {
        r = PQgetResult(d->rec);
        if (r == NULL) {
            for (size_t i = 0; i < d->ninflight; i++)
                outcome_free(d->inflight[i]);
            free(d->inflight);
            d->inflight = NULL;
            d->ninflight = 0;
            return;
        }
        if (db_tuples_ok(r)) {
            for (int i = 0; i < PQntuples(r); i++)
                count_result(d, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        } else {
            db_error(d->rec, r, "recording outcomes", &err);
            if (PQstatus(d->rec) != CONNECTION_OK || err.status == 503) {
                PQclear(r);
                rec_broken(d, err.message);
                return;
            }
            log_error("%s; %zu outcomes dropped, their leases will expire", err.message,
                      d->ninflight);
        }
        PQclear(r);
    }
}

/* flush_due says whether the pending outcomes should be written now: a
 * full batch, nothing else running that could join the batch, a shutdown,
 * or the oldest has waited flush_delay_ms. */
static bool flush_due(const Dispatcher *d)
{
    if (d->npending == 0)
        return false;
    return d->npending >= (size_t)d->cfg->complete_batch || d->running == 0 ||
           d->mode != SHUTDOWN_NONE || clock_ms() - d->pending_since >= d->cfg->flush_delay_ms;
}

/* flush_outcomes writes every pending outcome, batched by kind. */
static void flush_outcomes(Dispatcher *d)
{
    static const OutcomeKind kinds[] = {OUTCOME_COMPLETE, OUTCOME_FAIL, OUTCOME_RELEASE};
    size_t batch_max = (size_t)d->cfg->complete_batch;
    Outcome **batch;

    if (d->inflight != NULL || !flush_due(d))
        return;
    batch = malloc(batch_max * sizeof(*batch));
    if (batch == NULL)
        return;
    for (size_t k = 0; k < 3 && d->conn != NULL; k++) {
        size_t i = 0;
        while (i < d->npending && d->conn != NULL) {
            /* Take up to batch_max outcomes of this kind, keep the rest. */
            size_t n = 0, keep = 0;
            for (size_t j = 0; j < d->npending; j++) {
                Outcome *o = d->pending[j];
                if (o->kind == kinds[k] && n < batch_max)
                    batch[n++] = o;
                else
                    d->pending[keep++] = o;
            }
            if (n == 0)
                break;
            d->npending = keep;
            if (rec_send(d, batch, n)) {
                /* One batch in flight at a time; the rest waits for it. */
                free(batch);
                return;
            }
            bool written = write_batch(d, batch, n);
            for (size_t j = 0; j < n; j++) {
                if (written)
                    outcome_free(batch[j]);
                else
                    d->pending[d->npending++] = batch[j];
            }
            i = 0;
        }
    }
    free(batch);
    if (d->npending > 0)
        d->pending_since = clock_ms();
}

/* ---- claims ---- */

/* types_literal writes the text[] literal of the claimable types into
 * buf: the unlimited ones when only is NULL, else just only. */
static bool types_literal(Dispatcher *d, const TypeSlot *only, char *buf, size_t size)
{
    size_t len = 0;
    int n;
    bool any = false;

    buf[len++] = '{';
    for (size_t i = 0; i < d->nslots; i++) {
        const TypeSlot *s = &d->slots[i];
        if (only != NULL ? s != only : s->limit > 0)
            continue;
        n = snprintf(buf + len, size - len, "%s\"%s\"", any ? "," : "", s->type);
        if (n < 0 || (size_t)n >= size - len)
            return false;
        len += (size_t)n;
        any = true;
    }
    if (!any || len + 2 > size)
        return false;
    buf[len++] = '}';
    buf[len] = '\0';
    return true;
}

/* hand_out gives the claimed rows to the pool; returns how many. */
static int hand_out(Dispatcher *d, const PGresult *r)
{
    int n = PQntuples(r);

    for (int i = 0; i < n; i++) {
        Error err = {0};
        Job *job = job_from_row(r, i, &err);
        if (job == NULL) {
            log_error("%s; its lease will expire", err.message);
            continue;
        }
        job->handler = handlers_find(d->handlers, job->type, &job->settings);
        TypeSlot *slot = slot_of(d, job->type);
        if (job->handler == NULL || slot == NULL) {
            Outcome *o = outcome_new(OUTCOME_FAIL, job);
            if (o != NULL) {
                o->fatal = true;
                error_set(&o->error, 500, "no_handler", "no handler for job type %s", o->job->type);
                add_pending(d, o);
            }
            continue;
        }
        job->renewed_ms = clock_ms();
        d->stats.claimed++;
        d->running++;
        slot->running++;
        pool_push(d->pool, job);
    }
    return n;
}

/* claim_some claims up to limit jobs of the types in literal; returns the
 * number claimed, or -1 when the statement failed. */
static int claim_some(Dispatcher *d, const char *literal, int limit)
{
    static const char sql[] = "SELECT " JOB_CLAIM_COLUMNS
                              " FROM pgjob.claim($1, $2::integer, $3::text[],"
                              " make_interval(secs => $4::integer))";
    char nbuf[16], lease[16];
    Error err = {0};
    int n = -1;

    snprintf(nbuf, sizeof(nbuf), "%d", limit);
    snprintf(lease, sizeof(lease), "%d", d->cfg->lease_seconds);
    const char *params[4] = {d->worker_name, nbuf, literal, lease};
    PGresult *r = db_exec(d->conn, sql, 4, params);
    if (!db_tuples_ok(r)) {
        db_error(d->conn, r, "claim", &err);
        statement_failed(d, &err);
    } else {
        n = hand_out(d, r);
    }
    PQclear(r);
    return n;
}

/* capacity is how many jobs the daemon holds at once: one per worker,
 * plus the prefetched ones waiting for a worker. */
static int capacity(const Dispatcher *d)
{
    return d->cfg->workers + d->cfg->prefetch;
}

/* claim claims for the free slots: one call for the types without a
 * limit, one per limited type that has room. */
static void claim(Dispatcher *d)
{
    char literal[4096];
    /* Outcomes waiting to be recorded hold memory too: up to a capacity's
     * worth of them may wait without slowing claims, more take slots. */
    int unrecorded = (int)(d->npending + d->ninflight);
    int free_slots =
        capacity(d) - d->running - (unrecorded > capacity(d) ? unrecorded - capacity(d) : 0);
    int batch = d->cfg->claim_batch;
    bool full = false;

    if (free_slots <= 0)
        return;
    d->next_poll = clock_ms() + d->cfg->poll_interval_ms;
    if (types_literal(d, NULL, literal, sizeof(literal))) {
        int want = free_slots < batch ? free_slots : batch;
        int got = claim_some(d, literal, want);
        if (got < 0)
            return;
        free_slots -= got;
        full = got == want;
    }
    for (size_t i = 0; i < d->nslots && free_slots > 0 && d->conn != NULL; i++) {
        TypeSlot *s = &d->slots[i];
        int room = s->limit - s->running;
        if (s->limit == 0 || room <= 0 || !types_literal(d, s, literal, sizeof(literal)))
            continue;
        int want = room < free_slots ? room : free_slots;
        want = want < batch ? want : batch;
        int got = claim_some(d, literal, want);
        if (got < 0)
            return;
        free_slots -= got;
        full = full || got == want;
        s->saturated = got == room;
    }
    /* A full claim suggests more is waiting: claim again when slots free. */
    d->want_claim = full;
}

/* ---- leases of prefetched jobs ---- */

/* renew_waiting renews the leases of the claimed jobs still waiting for a
 * worker (prefetch), once a heartbeat period, and drops those whose
 * attempt lost the job meanwhile. */
static void renew_waiting(Dispatcher *d, long long now)
{
    static const char sql[] =
        "SELECT id, state FROM pgjob.renew($1::jsonb, make_interval(secs => $2::integer))";
    long long every = d->cfg->heartbeat_seconds * 1000LL;
    JobRef refs[256];
    char lease[16];
    Error err = {0};
    size_t n;

    if (now < d->next_renew)
        return;
    d->next_renew = now + every / 2;
    n = pool_due_renewals(d->pool, now - every, now, refs, sizeof(refs) / sizeof(refs[0]));
    if (n == 0)
        return;
    json_t *entries = json_array();
    for (size_t i = 0; i < n && entries != NULL; i++) {
        if (json_array_append_new(entries, json_pack("{s:s, s:i}", "id", refs[i].id, "attempt",
                                                     refs[i].attempt)) != 0) {
            json_decref(entries);
            entries = NULL;
        }
    }
    char *text = entries ? json_dumps(entries, JSON_COMPACT) : NULL;
    json_decref(entries);
    if (text == NULL) {
        log_error("out of memory renewing %zu leases", n);
        return;
    }
    snprintf(lease, sizeof(lease), "%d", d->cfg->lease_seconds);
    const char *params[2] = {text, lease};
    PGresult *r = db_exec(d->conn, sql, 2, params);
    free(text);
    if (!db_tuples_ok(r)) {
        db_error(d->conn, r, "renewing leases", &err);
        PQclear(r);
        statement_failed(d, &err);
        return;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 1), "running") != 0)
            pool_drop(d->pool, PQgetvalue(r, i, 0));
    }
    PQclear(r);
}

/* ---- notifications and waiting ---- */

/* names_our_type says whether a pgjob_ready payload names a type we claim. */
static bool names_our_type(Dispatcher *d, const char *payload)
{
    if (strcmp(payload, "*") == 0)
        return true;
    for (size_t i = 0; i < d->nslots; i++) {
        size_t len = strlen(d->slots[i].type);
        for (const char *p = strstr(payload, d->slots[i].type); p != NULL;
             p = strstr(p + 1, d->slots[i].type)) {
            bool starts = p == payload || p[-1] == ' ';
            bool ends = p[len] == '\0' || p[len] == ' ';
            if (starts && ends)
                return true;
        }
    }
    return false;
}

/* take_notifications handles the notifications libpq holds: those a
 * query's answer brought along, and those PQconsumeInput read. */
static void take_notifications(Dispatcher *d)
{
    PGnotify *n;

    while ((n = PQnotifies(d->conn)) != NULL) {
        if (names_our_type(d, n->extra))
            d->want_claim = true;
        PQfreemem(n);
    }
}

/* read_notifications reads what arrived on the connection's socket. */
static void read_notifications(Dispatcher *d)
{
    if (d->conn == NULL)
        return;
    if (!PQconsumeInput(d->conn)) {
        drop_connection(d, PQerrorMessage(d->conn));
        return;
    }
    take_notifications(d);
}

static long long earliest(long long a, long long b)
{
    return a < b ? a : b;
}

/* next_wakeup is when the loop has something to do without an event. */
static long long next_wakeup(Dispatcher *d, long long now)
{
    long long t = now + d->cfg->poll_interval_ms;

    if (d->want_claim && d->running < capacity(d) && d->mode == SHUTDOWN_NONE)
        return now;
    if (d->npending > 0 && d->conn != NULL)
        t = earliest(t, d->pending_since + d->cfg->flush_delay_ms);
    if (d->conn == NULL)
        return earliest(t, d->reconnect_at);
    t = earliest(t, d->next_poll);
    t = earliest(t, d->next_rescue);
    t = earliest(t, d->next_stats);
    if (d->cfg->prefetch > 0)
        t = earliest(t, d->next_renew);
    if (d->maintainer)
        t = earliest(t, earliest(d->next_expire, d->next_prune));
    if (d->watchdog_ms > 0)
        t = earliest(t, d->next_watchdog);
    if (d->mode != SHUTDOWN_NONE && !d->aborted)
        t = earliest(t, d->deadline);
    return t;
}

/* wait_for_events is the one place the dispatcher waits. */
static void wait_for_events(Dispatcher *d)
{
    struct pollfd fds[3] = {{.fd = d->wake[0], .events = POLLIN}};
    nfds_t nfds = 1;
    long long now = clock_ms(), timeout;
    char drain[256];

    /* A notification that came in with a query's answer is already read
     * from the socket: handle it before waiting on the socket. */
    if (d->conn != NULL)
        take_notifications(d);
    timeout = next_wakeup(d, now) - now;

    if (d->conn != NULL && PQsocket(d->conn) >= 0) {
        fds[nfds].fd = PQsocket(d->conn);
        fds[nfds++].events = POLLIN;
    }
    if (d->inflight != NULL && PQsocket(d->rec) >= 0) {
        fds[nfds].fd = PQsocket(d->rec);
        fds[nfds++].events = POLLIN;
    }
    if (timeout < 0)
        timeout = 0;
    if (poll(fds, nfds, (int)timeout) < 0 && errno != EINTR)
        log_warn("poll: %s", strerror(errno));
    while (read(d->wake[0], drain, sizeof(drain)) > 0) {
    }
    if (clock_ms() >= d->next_poll)
        d->want_claim = true;
    read_notifications(d);
}

/* ---- timers ---- */

/* maintain runs the due maintenance.  Every daemon rescues expired
 * leases (pgjob.rescue skips rows another daemon is handling), so a hung
 * daemon never stops the rescue of its own jobs; expiry and pruning are
 * done only by the daemon holding the maintenance lock, and a hung
 * maintainer merely delays them. */
static void maintain(Dispatcher *d, long long now)
{
    Error err = {0};
    bool ok = true;

    if (now >= d->next_rescue) {
        d->next_rescue = now + d->cfg->rescue_interval_seconds * 1000LL;
        long before = d->stats.rescued + d->stats.rescue_failed;
        ok = maint_rescue(d->conn, d->cfg->maintenance_batch, &d->stats.rescued,
                          &d->stats.rescue_failed, &err);
        if (ok && d->stats.rescued + d->stats.rescue_failed > before) {
            log_info("rescued %ld jobs whose lease expired",
                     d->stats.rescued + d->stats.rescue_failed - before);
            d->want_claim = true;
        }
        if (ok && !d->maintainer) {
            ok = maint_try_lock(d->conn, &d->maintainer, &err);
            if (ok && d->maintainer)
                log_info("this daemon is now the maintainer (expiry and pruning)");
        }
    }
    if (ok && d->maintainer && now >= d->next_expire) {
        d->next_expire = now + d->cfg->expire_interval_seconds * 1000LL;
        ok = maint_expire(d->conn, d->cfg->maintenance_batch, &d->stats.expired, &err);
    }
    if (ok && d->maintainer && now >= d->next_prune) {
        d->next_prune = now + d->cfg->prune_interval_seconds * 1000LL;
        ok = maint_prune(d->conn, d->cfg->prune_after_days, d->cfg->maintenance_batch,
                         &d->stats.pruned, &err);
    }
    if (!ok)
        statement_failed(d, &err);
}

/* status_line writes the counters into buf. */
static void status_line(const Dispatcher *d, char *buf, size_t size)
{
    const Stats *s = &d->stats;
    snprintf(buf, size,
             "running=%d/%d claimed=%ld completed=%ld retried=%ld failed=%ld released=%ld"
             " lost=%ld rescued=%ld expired=%ld pruned=%ld pending=%zu db=%s",
             d->running, d->cfg->workers, s->claimed, s->completed, s->retried, s->failed,
             s->released, s->lost, s->rescued + s->rescue_failed, s->expired, s->pruned,
             d->npending, d->conn != NULL ? "up" : "down");
}

static void tick(Dispatcher *d, long long now)
{
    char line[512];

    if (now >= d->next_stats) {
        d->next_stats = now + d->cfg->stats_period_seconds * 1000LL;
        status_line(d, line, sizeof(line));
        log_info("stats: %s", line);
        if (!sdnotify_sendf("STATUS=%s", line))
            log_debug("cannot send STATUS to systemd");
    }
    if (d->watchdog_ms > 0 && now >= d->next_watchdog) {
        d->next_watchdog = now + d->watchdog_ms;
        if (!sdnotify_send("WATCHDOG=1"))
            log_warn("cannot send WATCHDOG=1 to systemd");
    }
}

/* ---- signals ---- */

static void reload(Dispatcher *d)
{
    Error err = {0};
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (!sdnotify_sendf("RELOADING=1\nMONOTONIC_USEC=%llu",
                        (unsigned long long)ts.tv_sec * 1000000ULL +
                            (unsigned long long)ts.tv_nsec / 1000ULL))
        log_debug("cannot send RELOADING=1 to systemd");
    Config *fresh = config_load(d->config_path, environ, &err);
    if (fresh == NULL) {
        log_error("reload failed, keeping the current configuration: %s", err.message);
    } else {
        config_log_changes(d->cfg, fresh);
        config_copy_reloadable(d->cfg, fresh);
        config_free(fresh);
        log_set_level((LogLevel)d->cfg->log_level);
        pool_set_lease(d->pool, d->cfg->lease_seconds, d->cfg->heartbeat_seconds);
        log_info("configuration reloaded");
    }
    /* The merchant table is reloaded even when the file was bad: it does
     * not depend on it (but for the cache size). */
    d->merchants_due = true;
    if (d->conn != NULL)
        load_merchants(d);
    else
        log_warn("database unavailable: the merchant table will be reloaded after the reconnect");
    if (!sdnotify_send("READY=1"))
        log_debug("cannot send READY=1 to systemd");
}

static void check_signals(Dispatcher *d)
{
    int terms = signals_terms();

    if (signals_take_hup() && d->mode == SHUTDOWN_NONE)
        reload(d);
    if (d->mode == SHUTDOWN_NONE && terms >= 1 && !signals_quit()) {
        d->mode = SHUTDOWN_DRAIN;
        d->deadline = clock_ms() + d->cfg->shutdown_grace_seconds * 1000LL;
        log_info("shutting down: %d jobs running, grace period %d s", d->running,
                 d->cfg->shutdown_grace_seconds);
        if (!sdnotify_send("STOPPING=1"))
            log_debug("cannot send STOPPING=1 to systemd");
    }
    if (d->mode != SHUTDOWN_FAST && (terms >= 2 || signals_quit())) {
        if (d->mode == SHUTDOWN_NONE && !sdnotify_send("STOPPING=1"))
            log_debug("cannot send STOPPING=1 to systemd");
        d->mode = SHUTDOWN_FAST;
        d->deadline = clock_ms();
        log_info("fast shutdown: handing back %d running jobs", d->running);
    }
    if (d->mode != SHUTDOWN_NONE && !d->aborted && clock_ms() >= d->deadline) {
        if (d->running > 0)
            log_info("grace period over: handing back %d running jobs", d->running);
        pool_abort(d->pool);
        d->aborted = true;
    }
}

/* finished says whether a shutdown is complete: nothing runs and every
 * outcome is written, or the database stayed away past the deadline. */
static bool finished(Dispatcher *d)
{
    if (d->mode == SHUTDOWN_NONE || d->running > 0 || d->inflight != NULL)
        return false;
    if (d->npending == 0)
        return true;
    if (d->conn == NULL && d->aborted && clock_ms() >= d->deadline + 5000) {
        log_warn(
            "database unavailable: %zu outcomes not recorded; those jobs will be"
            " rescued when their lease expires",
            d->npending);
        return true;
    }
    return false;
}

/* ---- set-up and the loop ---- */

static bool make_slots(Dispatcher *d, Error *err)
{
    const char *const *types;
    size_t n = handlers_types(d->handlers, &types);

    d->slots = calloc(n, sizeof(TypeSlot));
    if (d->slots == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        d->slots[i].type = types[i];
        d->slots[i].limit = config_type_limit(d->cfg, types[i]);
    }
    d->nslots = n;
    return true;
}

static bool make_wake_pipe(Dispatcher *d, Error *err)
{
    if (pipe(d->wake) != 0) {
        error_set(err, 500, "pipe_failed", "pipe: %s", strerror(errno));
        return false;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(d->wake[i], F_GETFL);
        if (fl < 0 || fcntl(d->wake[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(d->wake[i], F_SETFD, FD_CLOEXEC) < 0) {
            error_set(err, 500, "pipe_failed", "fcntl: %s", strerror(errno));
            return false;
        }
    }
    return true;
}

static bool start(Dispatcher *d, Error *err)
{
    char host[64] = "localhost";
    uint64_t wd = sdnotify_watchdog_usec();

    gethostname(host, sizeof(host) - 1);
    snprintf(d->worker_name, sizeof(d->worker_name), "%s:%ld", host, (long)getpid());
    d->handlers = handlers_new(d->cfg, err);
    if (d->handlers == NULL || !make_slots(d, err) || !make_wake_pipe(d, err))
        return false;
    /* The built-in merchants until pgjob.merchant is read (after the
     * first connection, before READY=1). */
    EnrichTable *merchants =
        enrich_table_embedded((size_t)d->cfg->enrich_cache_entries, NULL, NULL);
    if (merchants == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory building the merchant table");
        return false;
    }
    enrich_slot_set(handlers_enrich_slot(d->handlers), merchants);
    d->merchants_due = true;
    if (!signals_install(d->wake[1])) {
        error_set(err, 500, "signals", "sigaction: %s", strerror(errno));
        return false;
    }
    d->pool = pool_start(d->cfg->database, d->cfg->workers, d->wake[1], err);
    if (d->pool == NULL)
        return false;
    pool_set_lease(d->pool, d->cfg->lease_seconds, d->cfg->heartbeat_seconds);
    d->watchdog_ms = (long long)(wd / 2000);
    long long now = clock_ms();
    d->next_stats = now + d->cfg->stats_period_seconds * 1000LL;
    d->next_expire = now;
    d->next_prune = now;
    d->next_poll = now;
    return true;
}

static void stop(Dispatcher *d)
{
    pool_stop(d->pool);
    for (size_t i = 0; i < d->npending; i++)
        outcome_free(d->pending[i]);
    free(d->pending);
    for (size_t i = 0; i < d->ninflight; i++)
        outcome_free(d->inflight[i]);
    free(d->inflight);
    if (d->rec != NULL)
        PQfinish(d->rec);
    if (d->conn != NULL)
        PQfinish(d->conn);
    free(d->slots);
    handlers_free(d->handlers);
    for (int i = 0; i < 2; i++) {
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    }
}

int dispatch_run(Config *cfg, const char *config_path)
{
    Dispatcher d = {.cfg = cfg, .config_path = config_path, .wake = {-1, -1}};
    Error err = {0};
    int status = 0;
    char line[512];

    if (!start(&d, &err)) {
        log_error("cannot start: %s", err.message);
        status = 1;
        goto out;
    }
    log_info("started with %d workers (%s)", cfg->workers, d.worker_name);
    for (;;) {
        long long now = clock_ms();
        check_signals(&d);
        if (d.conn == NULL)
            try_connect(&d);
        collect_outcomes(&d);
        rec_poll(&d);
        if (d.conn != NULL)
            flush_outcomes(&d);
        if (finished(&d))
            break;
        if (d.conn != NULL && d.mode == SHUTDOWN_NONE && d.want_claim)
            claim(&d);
        if (d.conn != NULL)
            maintain(&d, now);
        if (d.conn != NULL && cfg->prefetch > 0)
            renew_waiting(&d, now);
        tick(&d, now);
        wait_for_events(&d);
    }
    status_line(&d, line, sizeof(line));
    log_info("stopped: %s", line);
out:
    stop(&d);
    return status;
}
