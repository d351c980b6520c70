/* SPDX-License-Identifier: MIT */
/*
 * lanes.c - the dispatcher's statements in flight, and its outcomes.
 *
 * Outcomes come back from the pool into `pending` and are recorded in
 * batches of one kind (complete, fail, release).  Every statement goes on
 * a lane without waiting; the loop polls the lanes' sockets and handles
 * an answer when it has come.  The renewal of prefetched jobs' leases
 * takes the first free lane when it is due, ahead of outcomes and claims:
 * behind claim rounds under a deep queue it would starve, and a lease not
 * renewed gets its job rescued while it waits in the daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "dispatcher.h"
#include "log.h"
#include "pool.h"

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

/* The statement that renews the leases of prefetched jobs. */
static const char renew_sql[] =
    "SELECT id, state FROM pgjob.renew($1::jsonb, make_interval(secs => $2::integer))";

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

/* ---- lanes ---- */

/* lane_conn is the connection of lane i: the main one, or its own. */
static PGconn *lane_conn(const Dispatcher *d, int i)
{
    return i == 0 ? d->conn : d->lanes[i].conn;
}

/* lane_abandon ends the lane's work without its answer: outcomes being
 * recorded go back to pending (the fencing check makes a second write
 * safe); a claim's jobs, if it took any, come back when their lease
 * expires. */
void lane_abandon(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];

    if (lane->work == LANE_CLAIM) {
        log_warn("a claim was cut off; jobs it took, if any, are rescued when their lease expires");
        claim_cut_off(d, lane);
        claim_end(d, lane);
    }
    for (size_t j = 0; j < lane->nbatch; j++)
        pending_add(d, lane->batch[j]);
    lane->nbatch = 0;
    /* A renewal cut off is sent again at once: its leases count as
     * renewed, and would otherwise wait a heartbeat period more. */
    for (size_t j = 0; j < lane->nrenew && d->nrenew_again < RENEW_MAX; j++)
        d->renew_again[d->nrenew_again++] = lane->renew[j];
    lane->nrenew = 0;
    lane->work = LANE_IDLE;
}

/* lane_lost handles a broken lane connection: the main one is dropped
 * and reconnected with backoff; another is closed and tried again a
 * second later, while the other lanes carry the work. */
static void lane_lost(Dispatcher *d, int i, const char *why)
{
    if (i == 0) {
        lane_drop_main(d, why);
        return;
    }
    log_warn("lane %d's connection lost (%s); the others carry on", i, why);
    lane_abandon(d, i);
    PQfinish(d->lanes[i].conn);
    d->lanes[i].conn = NULL;
    d->lanes[i].retry_at = clock_ms() + 1000;
}

/* lane_idle says whether lane i could take a statement now or after
 * connecting. */
bool lane_idle(const Dispatcher *d, int i)
{
    if (d->conn == NULL || d->lanes[i].work != LANE_IDLE)
        return false;
    return i == 0 || d->lanes[i].conn != NULL || clock_ms() >= d->lanes[i].retry_at;
}

/* lane_free says whether lane i can take a statement now; a lane other
 * than the main one connects on first use. */
static bool lane_free(Dispatcher *d, int i)
{
    Error err = {0};

    if (!lane_idle(d, i))
        return false;
    if (i == 0 || d->lanes[i].conn != NULL)
        return true;
    d->lanes[i].conn = db_connect(d->cfg->database, "pgjobd lane", &err);
    if (d->lanes[i].conn == NULL) {
        log_debug("no connection for lane %d (%s); the others carry on", i, err.message);
        d->lanes[i].retry_at = clock_ms() + 1000;
        return false;
    }
    return true;
}

/* renew_due says whether the leases of prefetched jobs are due for a
 * renewal. */
static bool renew_due(const Dispatcher *d)
{
    return d->nrenew_again > 0 || (d->cfg->prefetch > 0 && clock_ms() >= d->next_renew);
}

/* lane_renew renews, on lane i, the leases of the claimed jobs still
 * waiting for a worker that were not renewed for a heartbeat period;
 * their answer drops those whose attempt lost the job meanwhile.  The
 * lane stays idle when there is none. */
static void lane_renew(Dispatcher *d, int i)
{
    long long now = clock_ms(), every = d->cfg->heartbeat_seconds * 1000LL;
    JobRef *refs = d->lanes[i].renew;
    char lease[16];
    size_t n = d->nrenew_again;

    memcpy(refs, d->renew_again, n * sizeof(refs[0]));
    d->nrenew_again = 0;
    if (now >= d->next_renew) {
        d->next_renew = now + every / 2;
        n += pool_due_renewals(d->pool, now - every, now, refs + n, RENEW_MAX - n);
    }
    d->lanes[i].nrenew = n;
    if (n == 0)
        return;
    json_t *entries = json_array();
    for (size_t j = 0; j < n && entries != NULL; j++) {
        if (json_array_append_new(entries, json_pack("{s:s, s:i}", "id", refs[j].id, "attempt",
                                                     refs[j].attempt)) != 0) {
            json_decref(entries);
            entries = NULL;
        }
    }
    char *text = entries ? json_dumps(entries, JOB_JSON_FLAGS) : NULL;
    json_decref(entries);
    if (text == NULL) {
        log_error("out of memory renewing %zu leases", n);
        d->lanes[i].nrenew = 0;
        return;
    }
    snprintf(lease, sizeof(lease), "%d", d->cfg->lease_seconds);
    const char *params[2] = {text, lease};
    d->lanes[i].work = LANE_RENEW;
    d->lanes[i].sent_ms = now;
    int sent = PQsendQueryParams(lane_conn(d, i), renew_sql, 2, NULL, params, NULL, NULL, 0);
    free(text);
    if (!sent)
        lane_lost(d, i, PQerrorMessage(lane_conn(d, i)));
}

/* lane_record starts recording a batch of pending outcomes on lane i. */
static void lane_record(Dispatcher *d, int i)
{
    Lane *lane = &d->lanes[i];
    size_t max_n = (size_t)d->cfg->complete_batch;
    char base[32], max[32];

    if (max_n > RECORD_BATCH_MAX)
        max_n = RECORD_BATCH_MAX;
    lane->nbatch = take_batch(d, lane->batch, max_n);
    lane->work = LANE_RECORD;
    lane->sent_ms = clock_ms();
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
    ClaimSend sent;

    d->next_poll = clock_ms() + d->cfg->poll_interval_ms;
    sent = claim_send(d, &d->lanes[i], lane_conn(d, i));
    if (sent == CLAIM_NONE)
        return;
    d->lanes[i].work = LANE_CLAIM;
    d->lanes[i].sent_ms = clock_ms();
    if (sent == CLAIM_SEND_FAILED)
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
            claim_hand_out(d, lane, r);
        } else if (lane->work == LANE_RENEW) {
            for (int j = 0; j < PQntuples(r); j++) {
                if (strcmp(PQgetvalue(r, j, 1), "running") != 0)
                    pool_drop(d->pool, PQgetvalue(r, j, 0));
            }
        } else {
            for (int j = 0; j < PQntuples(r); j++)
                count_result(d, PQgetvalue(r, j, 0), PQgetvalue(r, j, 1));
        }
        return;
    }
    db_error(conn, r,
             lane->work == LANE_CLAIM   ? "claim"
             : lane->work == LANE_RENEW ? "renewing leases"
                                        : "recording outcomes",
             &err);
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
        claim_end(d, lane);
    for (size_t j = 0; j < lane->nbatch; j++)
        outcome_free(lane->batch[j]);
    lane->nbatch = 0;
    lane->nrenew = 0;
    lane->work = LANE_IDLE;
}

/* lane_read handles the answer of lane i's statement: what has come of
 * it (wait false), or all of it, waiting as long as it takes (wait true;
 * the connection is in blocking mode). */
static void lane_read(Dispatcher *d, int i, bool wait)
{
    Lane *lane = &d->lanes[i];
    PGconn *conn = lane_conn(d, i);

    if (lane->work == LANE_IDLE)
        return;
    if (!wait && !PQconsumeInput(conn)) {
        lane_lost(d, i, PQerrorMessage(conn));
        return;
    }
    while (lane->work != LANE_IDLE && (wait || !PQisBusy(conn))) {
        PGresult *r = PQgetResult(conn);
        if (r == NULL) {
            lane_done(d, i);
            return;
        }
        lane_answer(d, i, r);
        PQclear(r);
    }
}

void lane_poll(Dispatcher *d, int i)
{
    char why[64];

    lane_read(d, i, false);
    if (d->lanes[i].work != LANE_IDLE && clock_ms() - d->lanes[i].sent_ms > DISPATCH_WAIT_MS) {
        snprintf(why, sizeof(why), "no answer within %d ms", DISPATCH_WAIT_MS);
        lane_lost(d, i, why);
    }
}

/* A reload's merchant table, before READY=1, cannot wait for the main
 * lane's next idle moment. */
void lane_settle(Dispatcher *d, int i)
{
    lane_read(d, i, true);
}

/* lane_start_work gives the free lanes work: a due renewal of prefetched
 * leases first, on the first free lane, so that it waits for at most one
 * statement however busy claims keep the lanes; then outcomes (they free
 * memory and tell clients sooner), on lane 1, then the later ones, the
 * main lane last; then claims, on the main lane first.  So a claim runs
 * while the previous batch is recorded, and while the queue is deep
 * claims run side by side; the third lane connects only when the other
 * two are busy. */
void lane_start_work(Dispatcher *d)
{
    for (int i = 0; i < LANES && renew_due(d); i++) {
        if (lane_free(d, i))
            lane_renew(d, i);
    }
    for (int k = 1; k <= LANES; k++) {
        int i = k % LANES;
        if (flush_due(d) && lane_free(d, i))
            lane_record(d, i);
    }
    for (int i = 0; i < LANES; i++) {
        if (claim_due(d) && lane_free(d, i))
            lane_claim(d, i);
    }
}

/* lane_drop_main closes the main connection after an error (lane 0's
 * work is abandoned) and schedules a reconnect; logged once per outage. */
void lane_drop_main(Dispatcher *d, const char *why)
{
    lane_abandon(d, 0);
    if (!d->down_logged)
        log_warn("database connection lost (%s); reconnecting with backoff", why);
    d->down_logged = true;
    if (d->conn != NULL)
        PQfinish(d->conn);
    d->conn = NULL;
    /* The database is taken as lost: the maintenance connection goes too
     * (an idle one would find out only at its next statement), and is
     * made again with the main one. */
    maintlane_close(d);
    d->reconnect_delay_ms = 100;
    d->reconnect_at = clock_ms() + d->reconnect_delay_ms;
}
