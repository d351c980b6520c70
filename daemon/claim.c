/* SPDX-License-Identifier: MIT */
/*
 * claim.c - what the dispatcher claims, and handing claimed jobs out.
 *
 * Jobs are claimed in groups: the types without a concurrency limit in
 * one pgjob.claim() call, each limited type with room in a call of its
 * own, all the calls of a round in one statement.  A group is claimed
 * when it is worth it (want: a notification named the type, the poll
 * interval passed, a rescue, a freed slot of a saturated type, or its
 * last claim came back full) and slots are free for it.  Slots asked for
 * by a claim in flight are reserved until its answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dispatcher.h"
#include "log.h"

/* MAX_CLAIM_GROUPS bounds the pgjob.claim() calls of one claim round:
 * one for the types without a limit, one per limited type with room. */
#define MAX_CLAIM_GROUPS 16

/* claim_want_all marks every claim group worth a claim. */
void claim_want_all(Dispatcher *d)
{
    d->want = true;
    for (size_t i = 0; i < d->nslots; i++)
        d->slots[i].want = true;
}

/* claim_want_type marks the claim group of one type worth a claim. */
void claim_want_type(Dispatcher *d, TypeSlot *slot)
{
    if (slot->limit > 0)
        slot->want = true;
    else
        d->want = true;
}

TypeSlot *claim_slot_of(Dispatcher *d, const char *type)
{
    for (size_t i = 0; i < d->nslots; i++) {
        if (strcmp(d->slots[i].type, type) == 0)
            return &d->slots[i];
    }
    return NULL;
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
    if (d->unlimited_types != NULL && d->want)
        return true;
    for (size_t i = 0; i < d->nslots; i++) {
        const TypeSlot *s = &d->slots[i];
        if (s->limit > 0 && s->want && s->limit - s->running - s->claiming > 0)
            return true;
    }
    return false;
}

/* claim_due says whether a wanted claim should be made now.  While every
 * worker is busy, a claim waits until a whole batch of slots is free (or
 * all of prefetch, when it is less than a batch): a
 * claim of 50 jobs costs about what one of 100 does, so smaller claims
 * behind a busy pool only waste round trips (measured: half-batch claims
 * made a fifth more statements at batch 10).  With prefetch of two
 * batches one claim is thus in flight while a batch is worked off.  An
 * idle worker claims at once, whatever is free. */
bool claim_due(const Dispatcher *d)
{
    int room = free_slots(d);
    /* a whole batch, or all the prefetch when that is smaller */
    int enough = d->cfg->claim_batch < d->cfg->prefetch ? d->cfg->claim_batch : d->cfg->prefetch;

    if (d->mode != SHUTDOWN_NONE || d->rescue_first || room <= 0 || !claim_wanted(d))
        return false;
    return d->running + d->claiming < d->cfg->workers || room >= (enough > 0 ? enough : 1);
}

/* types_literal returns a new text[] literal (free()) of the claimable
 * types: the unlimited ones when only is NULL, else just only; NULL when
 * there are none (or no memory: err says which). */
static char *types_literal(const Dispatcher *d, const TypeSlot *only, Error *err)
{
    size_t size = 3, len = 0;
    char *buf;

    for (size_t i = 0; i < d->nslots; i++)
        size += strlen(d->slots[i].type) + 3;
    buf = malloc(size);
    if (buf == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    buf[len++] = '{';
    for (size_t i = 0; i < d->nslots; i++) {
        const TypeSlot *s = &d->slots[i];
        if (only != NULL ? s != only : s->limit > 0)
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", len > 1 ? "," : "", s->type);
    }
    if (len == 1) {
        free(buf);
        return NULL;
    }
    buf[len++] = '}';
    buf[len] = '\0';
    return buf;
}

bool claim_init(Dispatcher *d, Error *err)
{
    const char *const *types;
    size_t n = handlers_types(d->handlers, &types);

    d->slots = calloc(n > 0 ? n : 1, sizeof(TypeSlot));
    if (d->slots == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    d->nslots = n;
    for (size_t i = 0; i < n; i++) {
        d->slots[i].type = types[i];
        d->slots[i].limit = config_type_limit(d->cfg, types[i]);
    }
    for (size_t i = 0; i < n; i++) {
        TypeSlot *s = &d->slots[i];
        if (s->limit > 0 && (s->types = types_literal(d, s, err)) == NULL)
            return false;
    }
    d->unlimited_types = types_literal(d, NULL, err);
    if (d->unlimited_types == NULL && err->status != 0)
        return false;
    for (int i = 0; i < LANES; i++) {
        d->lanes[i].slot_want = calloc(n > 0 ? n : 1, sizeof(int));
        if (d->lanes[i].slot_want == NULL) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return false;
        }
    }
    return true;
}

void claim_free(Dispatcher *d)
{
    for (size_t i = 0; d->slots != NULL && i < d->nslots; i++)
        free(d->slots[i].types);
    free(d->slots);
    free(d->unlimited_types);
    for (int i = 0; i < LANES; i++)
        free(d->lanes[i].slot_want);
}

/* ClaimCall is one claim statement: a pgjob.claim() call for the types
 * without a limit, then one per limited type with room, as one UNION ALL,
 * so a claim round is one round trip on one lane. */
typedef struct ClaimCall {
    char sql[MAX_CLAIM_GROUPS * 256];
    const char *params[2 + 3 * MAX_CLAIM_GROUPS];
    char wants[MAX_CLAIM_GROUPS][16];
    char starts[MAX_CLAIM_GROUPS][16];
    char lease[16];
    int groups;
    int nparams;
    int idle; /* workers no job is held or claimed for: the jobs they get start at once */
} ClaimCall;

/* add_group appends one pgjob.claim() call for want jobs of the types
 * the text[] literal names and reserves the jobs; false, with nothing
 * added, when the round is full.  The first of them, as many as there
 * are idle workers left, are claimed as started attempts: the pool hands
 * jobs out in claim order, so those run at once; the others are
 * prefetched, and an attempt that dies before it starts is not counted
 * as a failure (sql/011_hardening.sql). */
static bool add_group(Dispatcher *d, ClaimCall *call, const char *types, int want)
{
    size_t len = strlen(call->sql);

    if (call->groups == MAX_CLAIM_GROUPS)
        return false;
    /* at most 200 bytes a group: sql has room for MAX_CLAIM_GROUPS */
    snprintf(call->sql + len, sizeof(call->sql) - len,
             "%sSELECT " JOB_CLAIM_COLUMNS
             " FROM pgjob.claim($1, $%d::integer, $%d::text[],"
             " make_interval(secs => $2::integer), $%d::integer)",
             call->groups > 0 ? " UNION ALL " : "", call->nparams + 1, call->nparams + 2,
             call->nparams + 3);
    int start = want < call->idle ? want : call->idle;
    call->idle -= start;
    snprintf(call->wants[call->groups], sizeof(call->wants[0]), "%d", want);
    snprintf(call->starts[call->groups], sizeof(call->starts[0]), "%d", start);
    call->params[call->nparams] = call->wants[call->groups];
    call->params[call->nparams + 1] = types;
    call->params[call->nparams + 2] = call->starts[call->groups];
    call->nparams += 3;
    call->groups++;
    d->claiming += want;
    return true;
}

/* plan_unlimited adds the claim of the types without a limit. */
static void plan_unlimited(Dispatcher *d, Lane *lane, ClaimCall *call, int *left)
{
    int batch = d->cfg->claim_batch;
    int want = *left < batch ? *left : batch;

    if (d->unlimited_types == NULL || !d->want || want <= 0 ||
        !add_group(d, call, d->unlimited_types, want))
        return;
    d->want = d->deep;
    lane->want = want;
    *left -= want;
}

/* plan_limited adds one claim per limited type with room, starting at a
 * type that turns with each round, so that one type's deep queue cannot
 * keep the slots from the types after it.  A type that does not fit in
 * this round stays wanted for a later one. */
static void plan_limited(Dispatcher *d, Lane *lane, ClaimCall *call, int *left)
{
    int batch = d->cfg->claim_batch;
    size_t first = d->nslots > 0 ? d->limited_turn++ % d->nslots : 0;

    for (size_t k = 0; k < d->nslots; k++) {
        size_t i = (first + k) % d->nslots;
        TypeSlot *s = &d->slots[i];
        int room = s->limit - s->running - s->claiming;
        int want = room < *left ? room : *left;
        want = want < batch ? want : batch;
        if (s->limit == 0 || !s->want || want <= 0 || !add_group(d, call, s->types, want))
            continue;
        s->want = s->deep;
        lane->slot_want[i] = want;
        s->claiming += want;
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

    call->sql[0] = '\0';
    call->groups = 0;
    snprintf(call->lease, sizeof(call->lease), "%d", d->cfg->lease_seconds);
    call->params[0] = d->worker_name;
    call->params[1] = call->lease;
    call->nparams = 2;
    call->idle = d->cfg->workers - d->running - d->claiming;
    if (call->idle < 0)
        call->idle = 0;
    lane->want = 0;
    for (size_t i = 0; i < d->nslots; i++)
        lane->slot_want[i] = 0;
    if (d->claim_turn++ % 2 == 0) {
        plan_unlimited(d, lane, call, &left);
        plan_limited(d, lane, call, &left);
    } else {
        plan_limited(d, lane, call, &left);
        plan_unlimited(d, lane, call, &left);
    }
    return call->groups > 0;
}

/* claim_cut_off marks the groups of a claim that got no answer (its
 * connection broke) worth a claim again: whatever made them wanted, a
 * notification say, would be lost otherwise. */
void claim_cut_off(Dispatcher *d, const Lane *lane)
{
    if (lane->want > 0)
        d->want = true;
    for (size_t i = 0; i < d->nslots; i++) {
        if (lane->slot_want[i] > 0)
            d->slots[i].want = true;
    }
}

/* claim_end gives back the reservations of the lane's claim. */
void claim_end(Dispatcher *d, Lane *lane)
{
    d->claiming -= lane->want;
    lane->want = 0;
    for (size_t i = 0; i < d->nslots; i++) {
        d->claiming -= lane->slot_want[i];
        d->slots[i].claiming -= lane->slot_want[i];
        lane->slot_want[i] = 0;
    }
}

/* fail_unreadable fails at once, for good, a claimed job whose row
 * job_from_row could not read (err says why): its items would not read
 * better on a later attempt, and waiting for its lease to expire only
 * delays the answer.  The front end refuses such items (common/jsonnum.h),
 * so this is for rows written some other way. */
static void fail_unreadable(Dispatcher *d, const PGresult *r, int row, const Error *err)
{
    Job *stub = job_stub_from_row(r, row);
    Outcome *o;

    if (stub == NULL) {
        log_error("%s; the claimed row has no readable id: its lease will expire", err->message);
        return;
    }
    log_error("[job %s] %s; failing it", stub->id, err->message);
    o = outcome_new(OUTCOME_FAIL, stub);
    if (o == NULL)
        return;
    o->fatal = true;
    o->error = *err;
    pending_add(d, o);
}

/* claim_hand_out gives the claimed rows to the pool and notes which claim
 * groups came back full (more may be waiting). */
void claim_hand_out(Dispatcher *d, const Lane *lane, const PGresult *r)
{
    int n = PQntuples(r), unlimited = 0;
    Job *jobs = NULL, **tail = &jobs; /* handed to the pool at once */

    for (size_t i = 0; i < d->nslots; i++)
        d->slots[i].got = 0;
    for (int i = 0; i < n; i++) {
        Error err = {0};
        Job *job = job_from_row(r, i, &err);
        if (job == NULL) {
            fail_unreadable(d, r, i, &err);
            continue;
        }
        job->handler = handlers_find(d->handlers, job->type, &job->settings);
        TypeSlot *slot = claim_slot_of(d, job->type);
        if (job->handler == NULL || slot == NULL) {
            Outcome *o = outcome_new(OUTCOME_FAIL, job);
            if (o != NULL) {
                o->fatal = true;
                error_set(&o->error, 500, "no_handler", "no handler for job type %s", o->job->type);
                pending_add(d, o);
            }
            continue;
        }
        if (d->mode != SHUTDOWN_NONE) {
            /* A claim that was in flight when the shutdown began: its jobs
             * are handed back at once, never started. */
            d->stats.claimed++;
            Outcome *o = outcome_new(OUTCOME_RELEASE, job);
            if (o != NULL)
                pending_add(d, o);
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
        job->next = NULL;
        *tail = job;
        tail = &job->next;
    }
    pool_push(d->pool, jobs);
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

/* claim_send plans a claim round of the free slots and sends it on conn
 * without waiting.  CLAIM_SENT and CLAIM_SEND_FAILED leave the slots
 * reserved in lane (claim_end gives them back). */
ClaimSend claim_send(Dispatcher *d, Lane *lane, PGconn *conn)
{
    ClaimCall call;

    if (!plan_claim(d, lane, &call))
        return CLAIM_NONE;
    if (!PQsendQueryParams(conn, call.sql, call.nparams, NULL, call.params, NULL, NULL, 0))
        return CLAIM_SEND_FAILED;
    return CLAIM_SENT;
}

/* claim_want_named marks the claim groups of the types a pgjob_ready
 * payload names (space-separated, or "*" for all). */
void claim_want_named(Dispatcher *d, const char *payload)
{
    if (strcmp(payload, "*") == 0) {
        claim_want_all(d);
        return;
    }
    for (size_t i = 0; i < d->nslots; i++) {
        size_t len = strlen(d->slots[i].type);
        for (const char *p = strstr(payload, d->slots[i].type); p != NULL;
             p = strstr(p + 1, d->slots[i].type)) {
            bool starts = p == payload || p[-1] == ' ';
            bool ends = p[len] == '\0' || p[len] == ' ';
            if (starts && ends) {
                claim_want_type(d, &d->slots[i]);
                break;
            }
        }
    }
}

/* claim_take_outcomes takes the finished outcomes from the pool, gives
 * their slots back, and keeps them in pending until recorded. */
void claim_take_outcomes(Dispatcher *d)
{
    Outcome *o, *next;

    for (o = pool_take_outcomes(d->pool); o != NULL; o = next) {
        next = o->next;
        o->next = NULL;
        TypeSlot *slot = claim_slot_of(d, o->job->type);
        d->running--;
        if (slot != NULL) {
            slot->running--;
            /* A limited type at its limit left work queued: claim now. */
            if (slot->saturated)
                claim_want_type(d, slot);
            slot->saturated = false;
        }
        if (o->kind == OUTCOME_COMPLETE || o->kind == OUTCOME_FAIL)
            exporter_observe(d->exporter, o->job->type, o->kind == OUTCOME_COMPLETE,
                             o->processing_ms);
        if (o->kind == OUTCOME_NONE) {
            d->stats.lost++;
            outcome_free(o);
            continue;
        }
        pending_add(d, o);
    }
}
