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
    int claiming;   /* asked for by claims in flight */
    int got;        /* rows of this type in the claim being handed out */
    bool saturated; /* its last claim filled it to the limit: more may wait */
    bool want;      /* limited type: worth a claim (see Dispatcher.want) */
    bool deep;      /* limited type: its last claim came back full */
} TypeSlot;

/* A lane is one connection with at most one statement in flight, sent
 * without waiting: a claim round or a batch of outcomes.  Lane 0 is the
 * main connection (it also LISTENs and runs maintenance, which waits for
 * the lane to be idle); lane 1 is a second connection opened on first
 * use.  Two lanes let PostgreSQL record one batch, or run a second claim,
 * while a claim runs, as two clients of the plain SQL loop would. */
#define LANES 2

/* MAX_CLAIM_GROUPS bounds the pgjob.claim() calls of one claim round:
 * one for the types without a limit, one per limited type with room. */
#define MAX_CLAIM_GROUPS 16

typedef enum LaneWork {
    LANE_IDLE,
    LANE_CLAIM,  /* a claim round; its reservations are in want and slot_want */
    LANE_RECORD, /* a batch of outcomes, owned in batch */
} LaneWork;

typedef struct Lane {
    LaneWork work;
    Outcome **batch; /* LANE_RECORD: the outcomes being recorded */
    size_t nbatch;
    int want;       /* LANE_CLAIM: jobs asked for of the types without a limit */
    int *slot_want; /* LANE_CLAIM: jobs asked for per limited type, [nslots] */
} Lane;

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
    int claiming; /* jobs asked for by claims in flight */
    Outcome **pending;
    size_t npending, pending_cap;
    long long pending_since; /* when the oldest pending outcome came back */
    Lane lanes[LANES];
    PGconn *rec;            /* lane 1's connection; NULL until used or after a loss */
    long long rec_retry_at; /* monotonic ms */

    /* Whether a claim is worth making, per claim group: the types without
     * a limit (here) and each limited type (in its slot).  A notification
     * naming the type, the poll interval, a rescue or a freed slot sets
     * want; a claim round clears it unless the group is deep, i.e. its
     * last claim came back full, so that while a queue is deep the next
     * claim starts before the last one is answered. */
    bool want, deep;
    bool has_unlimited;  /* some type has no limit */
    unsigned claim_turn; /* alternates which group a round serves first */
    long long next_poll, next_rescue, next_expire, next_prune, next_stats, next_watchdog;
    long long next_renew;
    long long watchdog_ms; /* half of WATCHDOG_USEC; 0: off */

    ShutdownMode mode;
    bool aborted;          /* pool_abort was called */
    long long deadline;    /* end of the grace period, monotonic ms */
    char worker_name[128]; /* host:pid, recorded with each lease */
    Stats stats;
} Dispatcher;

/* ---- claim wants ---- */

/* want_all marks every claim group worth a claim. */
static void want_all(Dispatcher *d)
{
    d->want = true;
    for (size_t i = 0; i < d->nslots; i++)
        d->slots[i].want = true;
}

/* want_type marks the claim group of one type worth a claim. */
static void want_type(Dispatcher *d, TypeSlot *slot)
{
    if (slot->limit > 0)
        slot->want = true;
    else
        d->want = true;
}

/* ---- connection ---- */

/* drop_connection closes the connection after an error and schedules a
 * reconnect; logged once per outage. */
static void lane_abandon(Dispatcher *d, int i);

static void drop_connection(Dispatcher *d, const char *why)
{
    lane_abandon(d, 0);
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
    want_all(d);
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
                want_type(d, slot);
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

/* The statement that records a batch of each kind. */
static const char *const batch_sql[] = {
    [OUTCOME_COMPLETE] = "SELECT id, outcome FROM pgjob.complete($1::jsonb)",
    [OUTCOME_FAIL] = "SELECT id, outcome FROM pgjob.fail($1::jsonb, $2::interval, $3::interval)",
    [OUTCOME_RELEASE] = "SELECT id, outcome FROM pgjob.release($1::jsonb)",
};

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
    text = entries ? json_dumps(entries, JOB_JSON_FLAGS) : NULL;
    json_decref(entries);
    return text;
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

/* take_batch moves up to max pending outcomes of the kind of the oldest
 * one into batch and returns how many. */
static size_t take_batch(Dispatcher *d, Outcome **batch, size_t max)
{
    OutcomeKind kind = d->pending[0]->kind;
    size_t n = 0, keep = 0;

    for (size_t j = 0; j < d->npending; j++) {
        Outcome *o = d->pending[j];
        if (o->kind == kind && n < max)
            batch[n++] = o;
        else
            d->pending[keep++] = o;
    }
    d->npending = keep;
    if (keep > 0)
        d->pending_since = clock_ms();
    return n;
}

/* ---- claims ---- */

/* capacity is how many jobs the daemon holds at once: one per worker,
 * plus the prefetched ones waiting for a worker. */
static int capacity(const Dispatcher *d)
{
    return d->cfg->workers + d->cfg->prefetch;
}

/* free_slots is how many jobs a claim may take now: the capacity less
 * the jobs held and those asked for by claims in flight.  Outcomes
 * waiting to be recorded hold memory too: up to a capacity's worth of
 * them may wait without slowing claims, more take slots. */
static int free_slots(const Dispatcher *d)
{
    int unrecorded = (int)d->npending;

    for (int i = 0; i < LANES; i++)
        unrecorded += (int)d->lanes[i].nbatch;
    return capacity(d) - d->running - d->claiming -
           (unrecorded > capacity(d) ? unrecorded - capacity(d) : 0);
}

/* claim_wanted says whether some claim group is worth a claim and has room. */
static bool claim_wanted(const Dispatcher *d)
{
    if (d->has_unlimited && d->want)
        return true;
    for (size_t i = 0; i < d->nslots; i++) {
        const TypeSlot *s = &d->slots[i];
        if (s->limit > 0 && s->want && s->limit - s->running - s->claiming > 0)
            return true;
    }
    return false;
}

/* claim_due says whether a wanted claim should be made now.  While every
 * worker is busy and jobs wait for them in the daemon, a claim waits
 * until half a batch of slots is free: one claim of 50 jobs costs about
 * what one of 2 does, so small claims behind a full queue only waste
 * round trips.  An idle worker claims at once, whatever is free. */
static bool claim_due(const Dispatcher *d)
{
    int room = free_slots(d);
    int batch = d->cfg->claim_batch < capacity(d) ? d->cfg->claim_batch : capacity(d);

    if (d->mode != SHUTDOWN_NONE || room <= 0 || !claim_wanted(d))
        return false;
    return d->running + d->claiming < d->cfg->workers || room >= (batch + 1) / 2;
}

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

/* ClaimCall is one claim statement: a pgjob.claim() call for the types
 * without a limit, then one per limited type with room, as one UNION ALL,
 * so a claim round is one round trip on one lane. */
typedef struct ClaimCall {
    char sql[64 + MAX_CLAIM_GROUPS * 160];
    const char *params[3 + 2 * MAX_CLAIM_GROUPS];
    char wants[MAX_CLAIM_GROUPS][16];
    char literals[MAX_CLAIM_GROUPS][1024];
    char lease[16];
    int nparams;
} ClaimCall;

/* add_group appends one pgjob.claim() call for want jobs of the types in
 * the literal already in call->literals[g]. */
static void add_group(Dispatcher *d, ClaimCall *call, int g, int want)
{
    size_t len = strlen(call->sql);

    snprintf(call->wants[g], sizeof(call->wants[g]), "%d", want);
    call->params[call->nparams] = call->wants[g];
    call->params[call->nparams + 1] = call->literals[g];
    snprintf(call->sql + len, sizeof(call->sql) - len,
             "%sSELECT " JOB_CLAIM_COLUMNS
             " FROM pgjob.claim($1, $%d::integer, $%d::text[],"
             " make_interval(secs => $2::integer))",
             g > 0 ? " UNION ALL " : "", call->nparams + 1, call->nparams + 2);
    call->nparams += 2;
    d->claiming += want;
}

/* plan_unlimited adds the claim of the types without a limit. */
static void plan_unlimited(Dispatcher *d, Lane *lane, ClaimCall *call, int *g, int *left)
{
    int batch = d->cfg->claim_batch;

    if (!d->has_unlimited || !d->want || *left <= 0 || *g == MAX_CLAIM_GROUPS)
        return;
    d->want = d->deep;
    if (!types_literal(d, NULL, call->literals[*g], sizeof(call->literals[*g]))) {
        log_error("the list of job types is too long to claim them");
        return;
    }
    lane->want = *left < batch ? *left : batch;
    add_group(d, call, (*g)++, lane->want);
    *left -= lane->want;
}

/* plan_limited adds one claim per limited type with room. */
static void plan_limited(Dispatcher *d, Lane *lane, ClaimCall *call, int *g, int *left)
{
    int batch = d->cfg->claim_batch;

    for (size_t i = 0; i < d->nslots && *g < MAX_CLAIM_GROUPS; i++) {
        TypeSlot *s = &d->slots[i];
        int room = s->limit - s->running - s->claiming;
        if (s->limit == 0 || !s->want || room <= 0 || *left <= 0)
            continue;
        s->want = s->deep;
        if (!types_literal(d, s, call->literals[*g], sizeof(call->literals[*g])))
            continue;
        int want = room < *left ? room : *left;
        want = want < batch ? want : batch;
        lane->slot_want[i] = want;
        s->claiming += want;
        add_group(d, call, (*g)++, want);
        *left -= want;
    }
}

/* plan_claim fills call and the lane's reservations for a claim of the
 * free slots by the groups worth a claim; false when there is none.
 * Rounds alternate between serving the types without a limit first and
 * the limited ones first, so neither can take every slot for good. */
static bool plan_claim(Dispatcher *d, Lane *lane, ClaimCall *call)
{
    int left = free_slots(d);
    int g = 0;

    call->sql[0] = '\0';
    snprintf(call->lease, sizeof(call->lease), "%d", d->cfg->lease_seconds);
    call->params[0] = d->worker_name;
    call->params[1] = call->lease;
    call->nparams = 2;
    lane->want = 0;
    for (size_t i = 0; i < d->nslots; i++)
        lane->slot_want[i] = 0;
    if (d->claim_turn++ % 2 == 0) {
        plan_unlimited(d, lane, call, &g, &left);
        plan_limited(d, lane, call, &g, &left);
    } else {
        plan_limited(d, lane, call, &g, &left);
        plan_unlimited(d, lane, call, &g, &left);
    }
    return g > 0;
}

/* end_claim gives back the reservations of the lane's claim. */
static void end_claim(Dispatcher *d, Lane *lane)
{
    d->claiming -= lane->want;
    lane->want = 0;
    for (size_t i = 0; i < d->nslots; i++) {
        d->claiming -= lane->slot_want[i];
        d->slots[i].claiming -= lane->slot_want[i];
        lane->slot_want[i] = 0;
    }
}

/* hand_out gives the claimed rows to the pool and notes which claim
 * groups came back full (more may be waiting). */
static void hand_out(Dispatcher *d, const Lane *lane, const PGresult *r)
{
    int n = PQntuples(r), unlimited = 0;

    for (size_t i = 0; i < d->nslots; i++)
        d->slots[i].got = 0;
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
        if (slot->limit > 0)
            slot->got++;
        else
            unlimited++;
        pool_push(d->pool, job);
    }
    if (lane->want > 0) {
        d->deep = unlimited >= lane->want;
        d->want = d->want || d->deep;
    }
    for (size_t i = 0; i < d->nslots; i++) {
        TypeSlot *s = &d->slots[i];
        if (lane->slot_want[i] == 0)
            continue;
        s->deep = s->got >= lane->slot_want[i];
        s->want = s->want || s->deep;
        /* Claimed up to its limit: more may wait when a slot frees. */
        s->saturated = s->deep && s->running >= s->limit;
    }
}

/* ---- lanes ---- */

/* lane_conn is the connection of lane i: the main one, or the second. */
static PGconn *lane_conn(const Dispatcher *d, int i)
{
    return i == 0 ? d->conn : d->rec;
}

/* lane_abandon ends the lane's work without its answer: outcomes being
 * recorded go back to pending (the fencing check makes a second write
 * safe); a claim's jobs, if it took any, come back when their lease
 * expires. */
static void lane_abandon(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];

    if (lane->work == LANE_CLAIM) {
        log_warn("a claim was cut off; jobs it took, if any, are rescued when their lease expires");
        end_claim(d, lane);
    }
    for (size_t j = 0; j < lane->nbatch; j++)
        add_pending(d, lane->batch[j]);
    free(lane->batch);
    lane->batch = NULL;
    lane->nbatch = 0;
    lane->work = LANE_IDLE;
}

/* lane_lost handles a broken lane connection: the main one is dropped
 * and reconnected with backoff; the second is closed and tried again a
 * second later, while the main lane carries all the work. */
static void lane_lost(Dispatcher *d, int i, const char *why)
{
    if (i == 0) {
        drop_connection(d, why);
        return;
    }
    log_warn("second connection lost (%s); the main one carries on", why);
    lane_abandon(d, i);
    PQfinish(d->rec);
    d->rec = NULL;
    d->rec_retry_at = clock_ms() + 1000;
}

/* lane_idle says whether lane i could take a statement now or after
 * connecting. */
static bool lane_idle(const Dispatcher *d, int i)
{
    if (d->conn == NULL || d->lanes[i].work != LANE_IDLE)
        return false;
    return i == 0 || d->rec != NULL || clock_ms() >= d->rec_retry_at;
}

/* lane_free says whether lane i can take a statement now; the second
 * lane connects on first use. */
static bool lane_free(Dispatcher *d, int i)
{
    Error err = {0};

    if (!lane_idle(d, i))
        return false;
    if (i == 0 || d->rec != NULL)
        return true;
    d->rec = db_connect(d->cfg->database, "pgjobd lane", &err);
    if (d->rec == NULL) {
        log_debug("no second connection (%s); the main one carries on", err.message);
        d->rec_retry_at = clock_ms() + 1000;
        return false;
    }
    return true;
}

/* lane_record starts recording a batch of pending outcomes on lane i. */
static void lane_record(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];
    size_t max_n = (size_t)d->cfg->complete_batch;
    char base[32], max[32];

    lane->batch = malloc(max_n * sizeof(*lane->batch));
    if (lane->batch == NULL) {
        log_error("out of memory starting to record %zu outcomes; trying later", d->npending);
        return;
    }
    lane->nbatch = take_batch(d, lane->batch, max_n);
    lane->work = LANE_RECORD;
    OutcomeKind kind = lane->batch[0]->kind;
    size_t n = lane->nbatch;
    char *text = encode_batch(lane->batch, n);
    if (text == NULL) {
        log_error("out of memory encoding %zu outcomes; writing them later", n);
        lane_abandon(d, i);
        return;
    }
    snprintf(base, sizeof(base), "%d milliseconds", d->cfg->backoff_base_ms);
    snprintf(max, sizeof(max), "%d milliseconds", d->cfg->backoff_max_ms);
    const char *params[3] = {text, base, max};
    int sent = PQsendQueryParams(lane_conn(d, i), batch_sql[kind], kind == OUTCOME_FAIL ? 3 : 1,
                                 NULL, params, NULL, NULL, 0);
    free(text);
    if (!sent)
        lane_lost(d, i, PQerrorMessage(lane_conn(d, i)));
}

/* lane_claim starts a claim round on lane i. */
static void lane_claim(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];
    ClaimCall call;

    d->next_poll = clock_ms() + d->cfg->poll_interval_ms;
    if (!plan_claim(d, lane, &call))
        return;
    lane->work = LANE_CLAIM;
    if (!PQsendQueryParams(lane_conn(d, i), call.sql, call.nparams, NULL, call.params, NULL, NULL,
                           0))
        lane_lost(d, i, PQerrorMessage(lane_conn(d, i)));
}

/* lane_answer handles one result of lane i's statement. */
static void lane_answer(Dispatcher *d, int i, PGresult *r)
{
    Lane *lane = &d->lanes[i];
    PGconn *conn = lane_conn(d, i);
    Error err = {0};

    if (db_tuples_ok(r)) {
        if (lane->work == LANE_CLAIM) {
            hand_out(d, lane, r);
        } else {
            for (int j = 0; j < PQntuples(r); j++)
                count_result(d, PQgetvalue(r, j, 0), PQgetvalue(r, j, 1));
        }
        return;
    }
    db_error(conn, r, lane->work == LANE_CLAIM ? "claim" : "recording outcomes", &err);
    if (PQstatus(conn) != CONNECTION_OK || err.status == 503) {
        lane_lost(d, i, err.message);
    } else if (lane->work == LANE_RECORD) {
        log_error("%s; %zu outcomes dropped, their leases will expire", err.message, lane->nbatch);
    } else {
        log_error("%s", err.message);
    }
}

/* lane_done ends the lane's work once its answer is read. */
static void lane_done(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];

    if (lane->work == LANE_CLAIM)
        end_claim(d, lane);
    for (size_t j = 0; j < lane->nbatch; j++)
        outcome_free(lane->batch[j]);
    free(lane->batch);
    lane->batch = NULL;
    lane->nbatch = 0;
    lane->work = LANE_IDLE;
}

/* lane_poll reads what has come of lane i's statement, if anything. */
static void lane_poll(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];
    PGconn *conn = lane_conn(d, i);

    if (lane->work == LANE_IDLE)
        return;
    if (!PQconsumeInput(conn)) {
        lane_lost(d, i, PQerrorMessage(conn));
        return;
    }
    while (lane->work != LANE_IDLE && !PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (r == NULL) {
            lane_done(d, i);
            return;
        }
        lane_answer(d, i, r);
        PQclear(r);
    }
}

/* lane_settle waits for lane i's statement to end and handles its
 * answer, for a statement on the main connection that cannot wait for
 * its next idle moment (a reload's merchant table, before READY=1). */
static void lane_settle(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];

    while (lane->work != LANE_IDLE) {
        PGresult *r = PQgetResult(lane_conn(d, i));
        if (r == NULL) {
            lane_done(d, i);
            break;
        }
        lane_answer(d, i, r);
        PQclear(r);
    }
}

/* start_work gives the free lanes work: outcomes first (they free memory
 * and tell clients sooner), preferably on the second lane, then claims.
 * With both lanes busy, a claim runs while the previous batch is
 * recorded, or two claims run at once while the queue is deep. */
static void start_work(Dispatcher *d)
{
    for (int i = LANES - 1; i >= 0; i--) {
        if (flush_due(d) && lane_free(d, i))
            lane_record(d, i);
    }
    for (int i = 0; i < LANES; i++) {
        if (claim_due(d) && lane_free(d, i))
            lane_claim(d, i);
    }
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
    char *text = entries ? json_dumps(entries, JOB_JSON_FLAGS) : NULL;
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

/* want_named_types marks the claim groups of the types a pgjob_ready
 * payload names (space-separated, or "*" for all). */
static void want_named_types(Dispatcher *d, const char *payload)
{
    if (strcmp(payload, "*") == 0) {
        want_all(d);
        return;
    }
    for (size_t i = 0; i < d->nslots; i++) {
        size_t len = strlen(d->slots[i].type);
        for (const char *p = strstr(payload, d->slots[i].type); p != NULL;
             p = strstr(p + 1, d->slots[i].type)) {
            bool starts = p == payload || p[-1] == ' ';
            bool ends = p[len] == '\0' || p[len] == ' ';
            if (starts && ends) {
                want_type(d, &d->slots[i]);
                break;
            }
        }
    }
}

/* take_notifications handles the notifications libpq holds: those a
 * query's answer brought along, and those PQconsumeInput read. */
static void take_notifications(Dispatcher *d)
{
    PGnotify *n;

    while ((n = PQnotifies(d->conn)) != NULL) {
        want_named_types(d, n->extra);
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

    bool idle = lane_idle(d, 0) || lane_idle(d, 1);

    if (d->conn == NULL)
        return earliest(t, d->reconnect_at);
    if (idle && claim_due(d))
        return now;
    if (idle && d->npending > 0)
        t = earliest(t, d->pending_since + d->cfg->flush_delay_ms);
    t = earliest(t, d->next_poll);
    t = earliest(t, d->next_stats);
    if (d->watchdog_ms > 0)
        t = earliest(t, d->next_watchdog);
    if (d->mode != SHUTDOWN_NONE && !d->aborted)
        t = earliest(t, d->deadline);
    /* Maintenance waits for the main lane; its answer wakes the loop. */
    if (!lane_idle(d, 0))
        return t;
    t = earliest(t, d->next_rescue);
    if (d->cfg->prefetch > 0)
        t = earliest(t, d->next_renew);
    if (d->maintainer)
        t = earliest(t, earliest(d->next_expire, d->next_prune));
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
    if (d->lanes[1].work != LANE_IDLE && PQsocket(d->rec) >= 0) {
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
        want_all(d);
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
            want_all(d);
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
        lane_settle(d, 0);
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
    if (d->mode == SHUTDOWN_NONE || d->running > 0 || d->lanes[0].work != LANE_IDLE ||
        d->lanes[1].work != LANE_IDLE)
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
        d->has_unlimited = d->has_unlimited || d->slots[i].limit == 0;
    }
    d->nslots = n;
    for (int i = 0; i < LANES; i++) {
        d->lanes[i].slot_want = calloc(n > 0 ? n : 1, sizeof(int));
        if (d->lanes[i].slot_want == NULL) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return false;
        }
    }
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
    for (int i = 0; i < LANES; i++) {
        for (size_t j = 0; j < d->lanes[i].nbatch; j++)
            outcome_free(d->lanes[i].batch[j]);
        free(d->lanes[i].batch);
        free(d->lanes[i].slot_want);
    }
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
        for (int i = 0; i < LANES; i++)
            lane_poll(&d, i);
        if (finished(&d))
            break;
        if (lane_idle(&d, 0)) {
            maintain(&d, now);
            if (d.conn != NULL && cfg->prefetch > 0)
                renew_waiting(&d, now);
        }
        start_work(&d);
        tick(&d, now);
        wait_for_events(&d);
    }
    status_line(&d, line, sizeof(line));
    log_info("stopped: %s", line);
out:
    stop(&d);
    return status;
}
