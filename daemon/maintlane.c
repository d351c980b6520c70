/* SPDX-License-Identifier: MIT */
/*
 * maintlane.c - the dispatcher's maintenance connection.
 *
 * Rescue, the maintenance lock, expiry, the result cache's bound and
 * pruning run on a connection of their own, one statement at a time, sent
 * without waiting like the lanes' statements: the loop polls its socket
 * and reads the answer when it has come.  So a slow maintenance statement
 * (a lock held on the table it touches, a large backlog, an overloaded
 * database) holds up neither claims nor outcomes nor the renewal of
 * prefetched leases, which go on the lanes.
 *
 * The connection holds the maintenance lock (maint.h), so the daemon
 * that holds it is the maintainer for as long as this connection lives.
 * Its session's statement_timeout is DISPATCH_WAIT_MS: a statement that
 * takes longer is canceled by the server and tried again at its next
 * turn, and the connection (and the lock) stays.  A statement without any
 * answer in MAINT_WAIT_MS (a database that silently drops packets) loses
 * the connection; it is made again a second later.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "dispatcher.h"
#include "log.h"

/* MAINT_WAIT_MS: how long the answer of a maintenance statement may take
 * to come before the connection is taken as lost; past the server's own
 * statement_timeout, which normally answers first. */
#define MAINT_WAIT_MS (2 * DISPATCH_WAIT_MS)

/* The SQLSTATE of a statement canceled by statement_timeout. */
#define SQLSTATE_QUERY_CANCELED "57014"

static MaintArgs maint_args(const Dispatcher *d)
{
    MaintArgs a = {
        .batch = d->cfg->maintenance_batch,
        .prune_after_days = d->cfg->prune_after_days,
        .cache_seconds = d->cfg->result_cache_seconds,
        .cache_entries = d->cfg->result_cache_entries,
        .statement_ms = DISPATCH_WAIT_MS,
    };
    return a;
}

/* lost closes the maintenance connection after why; it is made again a
 * second later.  The maintenance lock goes with it. */
static void lost(Dispatcher *d, const char *why)
{
    MaintLane *m = &d->maint;

    log_warn("maintenance connection lost (%s); connecting again", why);
    if (m->conn != NULL)
        PQfinish(m->conn);
    m->conn = NULL;
    m->step = MAINT_NONE;
    m->next = MAINT_NONE;
    m->round = 0;
    m->retry_at = clock_ms() + 1000;
    d->rescue_first = false;
    if (d->maintainer)
        log_info("this daemon is no longer the maintainer");
    d->maintainer = false;
}

/* connect_lane opens the maintenance connection.  With set_up, the
 * session is set up and the lock tried at once, waiting for the answers
 * (at the dispatcher's own (re)connect, which waits anyway); otherwise
 * the set-up is the connection's first statement, sent without waiting. */
static bool connect_lane(Dispatcher *d, bool set_up)
{
    MaintLane *m = &d->maint;
    Error err = {0};
    char ms[24];
    const char *params[1] = {ms};

    m->conn = db_connect(d->cfg->database, "pgjobd maintenance", &err);
    if (m->conn != NULL && set_up) {
        snprintf(ms, sizeof(ms), "%d", DISPATCH_WAIT_MS);
        if (!db_run(m->conn, "SELECT set_config('statement_timeout', $1, false)", 1, params,
                    "maintenance connection set-up", &err) ||
            !maint_try_lock(m->conn, &d->maintainer, &err)) {
            PQfinish(m->conn);
            m->conn = NULL;
        }
    }
    if (m->conn == NULL) {
        log_warn("no maintenance connection (%s); trying again in a second", err.message);
        m->retry_at = clock_ms() + 1000;
        d->rescue_first = false;
        return false;
    }
    m->next = set_up ? MAINT_NONE : MAINT_SETUP;
    m->round = 0;
    return true;
}

void maintlane_open(Dispatcher *d)
{
    if (d->maint.conn == NULL)
        connect_lane(d, true);
}

/* due_step picks the statement whose turn it is and starts its timer;
 * MAINT_NONE when none is due. */
static MaintStep due_step(Dispatcher *d, long long now)
{
    const Config *cfg = d->cfg;

    if (now >= d->next_rescue && !d->flush_first) {
        d->next_rescue = now + cfg->rescue_interval_seconds * 1000LL;
        return MAINT_RESCUE;
    }
    if (!d->maintainer && now >= d->next_lock) {
        d->next_lock = now + cfg->rescue_interval_seconds * 1000LL;
        return MAINT_LOCK;
    }
    if (d->maintainer && now >= d->next_expire) {
        d->next_expire = now + cfg->expire_interval_seconds * 1000LL;
        return MAINT_EXPIRE;
    }
    if (d->maintainer && now >= d->next_prune) {
        d->next_prune = now + cfg->prune_interval_seconds * 1000LL;
        return MAINT_PRUNE;
    }
    return MAINT_NONE;
}

void maintlane_start(Dispatcher *d, long long now)
{
    MaintLane *m = &d->maint;

    if (d->conn == NULL || m->step != MAINT_NONE)
        return;
    if (m->conn == NULL &&
        (now < m->retry_at || maintlane_wakeup(d, now) > now || !connect_lane(d, false)))
        return;
    MaintStep step = m->next;
    if (step == MAINT_NONE) {
        step = due_step(d, now);
        m->round = 0;
    }
    if (step == MAINT_NONE)
        return;
    MaintArgs args = maint_args(d);
    m->step = step;
    m->next = MAINT_NONE;
    m->failed = false;
    m->handled = 0;
    m->sent_ms = clock_ms();
    if (!maint_send(m->conn, step, &args))
        lost(d, PQerrorMessage(m->conn));
}

/* take handles one result of the statement in flight. */
static void take(Dispatcher *d, const PGresult *r)
{
    MaintLane *m = &d->maint;
    MaintCounts c = {0};
    Error err = {0};
    long n = maint_read(m->conn, m->step, r, &c, &err);

    if (n < 0) {
        m->failed = true;
        if (strcmp(db_sqlstate(r), SQLSTATE_QUERY_CANCELED) == 0)
            log_warn("%s took longer than %d ms and was canceled; it runs again at its next turn",
                     maint_step_name(m->step), DISPATCH_WAIT_MS);
        else if (PQstatus(m->conn) == CONNECTION_OK && err.status != 503)
            log_error("%s", err.message);
        return;
    }
    m->handled += n;
    Stats *s = &d->stats;
    s->rescued += c.retried;
    s->rescue_requeued += c.requeued;
    s->rescue_failed += c.failed;
    s->expired += c.expired;
    s->pruned += c.pruned;
    if (m->step == MAINT_RESCUE && n > 0) {
        log_info("rescued %ld jobs whose lease expired (%ld had not started)", n, c.requeued);
        claim_want_all(d);
    }
    if (m->step == MAINT_LOCK && c.locked && !d->maintainer) {
        d->maintainer = true;
        log_info("this daemon is now the maintainer (expiry and pruning)");
    }
    if (m->step == MAINT_CACHE_PRUNE && c.cached > 0)
        log_debug("deleted %ld results from the result cache", c.cached);
}

/* done ends the statement once its answer is read, and says what must
 * follow at once: another round of a batch that came back full, or the
 * result cache's bound after expiry. */
static void done(Dispatcher *d)
{
    MaintLane *m = &d->maint;
    bool batched = m->step == MAINT_RESCUE || m->step == MAINT_EXPIRE ||
                   m->step == MAINT_CACHE_PRUNE || m->step == MAINT_PRUNE;

    m->round++;
    if (m->step == MAINT_RESCUE &&
        (m->failed || m->handled < d->cfg->maintenance_batch || m->round >= MAINT_ROUNDS))
        d->rescue_first = false;
    if (m->failed) {
        m->next = MAINT_NONE;
    } else if (batched && m->handled >= d->cfg->maintenance_batch && m->round < MAINT_ROUNDS) {
        m->next = m->step;
    } else if (m->step == MAINT_EXPIRE) {
        m->next = MAINT_CACHE_PRUNE;
        m->round = 0;
    } else if (m->step == MAINT_SETUP) {
        m->next = MAINT_LOCK;
        m->round = 0;
    } else {
        m->next = MAINT_NONE;
    }
    m->step = MAINT_NONE;
}

void maintlane_poll(Dispatcher *d)
{
    MaintLane *m = &d->maint;
    char why[64];

    if (m->step == MAINT_NONE)
        return;
    if (!PQconsumeInput(m->conn)) {
        lost(d, PQerrorMessage(m->conn));
        return;
    }
    while (!PQisBusy(m->conn)) {
        PGresult *r = PQgetResult(m->conn);
        if (r == NULL) {
            bool broken = PQstatus(m->conn) != CONNECTION_OK;
            done(d);
            if (broken)
                lost(d, PQerrorMessage(m->conn));
            return;
        }
        take(d, r);
        PQclear(r);
    }
    if (clock_ms() - m->sent_ms > MAINT_WAIT_MS) {
        snprintf(why, sizeof(why), "no answer within %d ms", MAINT_WAIT_MS);
        lost(d, why);
    }
}

static long long earliest(long long a, long long b)
{
    return a < b ? a : b;
}

long long maintlane_wakeup(const Dispatcher *d, long long now)
{
    const MaintLane *m = &d->maint;
    long long t = LLONG_MAX;

    if (d->conn == NULL || m->step != MAINT_NONE)
        return LLONG_MAX;
    if (m->next != MAINT_NONE)
        return now;
    if (!d->flush_first)
        t = earliest(t, d->next_rescue);
    if (!d->maintainer)
        t = earliest(t, d->next_lock);
    else
        t = earliest(t, earliest(d->next_expire, d->next_prune));
    if (m->conn == NULL && t < m->retry_at)
        t = m->retry_at;
    return t;
}

int maintlane_socket(const Dispatcher *d)
{
    return d->maint.step != MAINT_NONE ? PQsocket(d->maint.conn) : -1;
}

void maintlane_close(Dispatcher *d)
{
    if (d->maint.conn != NULL)
        PQfinish(d->maint.conn);
    d->maint.conn = NULL;
    d->maint.step = MAINT_NONE;
    d->maint.next = MAINT_NONE;
    d->maintainer = false;
    d->rescue_first = false;
}
