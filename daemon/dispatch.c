/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the dispatcher: claim, hand out, record, maintain.
 *
 * The dispatcher's state and its other files: see dispatcher.h.
 *
 * One pass of the loop: act on signals, (re)connect, collect outcomes,
 * read the lanes' and the maintenance connection's answers, send the due
 * maintenance statement on its connection, give the free lanes statements
 * (a due renewal of prefetched leases, outcome batches, then claims), run
 * the timers, then wait in one poll() on the wake-up pipe and the
 * connections' sockets.  Claims, outcomes, renewals and maintenance never
 * make it wait; it does wait to set up a connection and for the
 * handlers' data on a reload.
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
#include "dispatcher.h"
#include "handlers/handlers.h"
#include "log.h"
#include "pool.h"
#include "run.h"
#include "schema.h"
#include "sdnotify.h"
#include "signals.h"
#include "strnum.h"

extern char **environ;

/* SHUTDOWN_GIVE_UP_MS: how long past the grace period a shutdown waits
 * for the database to record the last outcomes. */
#define SHUTDOWN_GIVE_UP_MS 5000

/* publish hands the counters to the metrics server (metrics_listen): once
 * a loop pass, and before READY=1 so that a scrape after it sees them. */
static void publish(const Dispatcher *d)
{
    const Stats *s = &d->stats;
    ExporterCounts c = {
        .claimed = s->claimed,
        .completed = s->completed,
        .retried = s->retried,
        .failed = s->failed,
        .released = s->released,
        .lost = s->lost,
        .rescued = s->rescued,
        .rescue_failed = s->rescue_failed,
        .expired = s->expired,
        .pruned = s->pruned,
        .running = d->running,
        .workers = d->cfg->workers,
        .pending = d->npending,
        .database_up = d->conn != NULL,
        .maintainer = d->conn != NULL && d->maintainer,
    };

    exporter_publish(d->exporter, &c);
}

/* ---- connection ---- */

/* statement_failed handles a failed statement: a broken connection is
 * dropped, anything else is logged. */
static void statement_failed(Dispatcher *d, const Error *err)
{
    if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK || err->status == 503)
        lane_drop_main(d, err->message);
    else
        log_error("%s", err->message);
}

/* watchdog tells systemd the loop is alive when it is due: called once
 * a pass and before each wait for the database that may last up to
 * DISPATCH_WAIT_MS. */
static void watchdog(Dispatcher *d)
{
    long long now = clock_ms();

    if (d->watchdog_ms > 0 && now >= d->next_watchdog) {
        d->next_watchdog = now + d->watchdog_ms;
        if (!sdnotify_send("WATCHDOG=1"))
            log_warn("cannot send WATCHDOG=1 to systemd");
    }
}

/* set_up_connection checks the schema and LISTENs on a new connection. */
static bool set_up_connection(Dispatcher *d, Error *err)
{
    if (!schema_check(d->conn, err))
        return false;
    if (d->cfg->listen && !db_run(d->conn, "LISTEN pgjob_ready", 0, NULL, "listen", err))
        return false;
    if (PQsetnonblocking(d->conn, 0) != 0) {
        error_set(err, 500, "db_error", "cannot set the connection blocking");
        return false;
    }
    return true;
}

/* load_handlers reads what the handlers keep in the database (the
 * merchant table) and hands it to the workers; on a lost connection it is
 * tried again after the reconnect. */
static void load_handlers(Dispatcher *d)
{
    Error err = {0};

    if (!handlers_load(d->handlers, d->conn, &err)) {
        statement_failed(d, &err);
        return;
    }
    d->handlers_due = false;
}

/* try_connect opens the dispatcher connection when a retry is due. */
static void try_connect(Dispatcher *d)
{
    Error err = {0};
    long long now = clock_ms();

    if (now < d->reconnect_at)
        return;
    watchdog(d);
    d->conn = db_connect(d->cfg->database, "pgjobd", &err);
    watchdog(d);
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
    /* The maintenance connection, with the maintenance lock if no other
     * daemon holds it.  Its first rescue comes before the first claim, so
     * that jobs handed back by a dead daemon keep their place in line
     * (cleared when that rescue is answered, or cannot be made). */
    d->rescue_first = true;
    watchdog(d);
    maintlane_open(d);
    watchdog(d);
    log_info("connected to the database%s%s", d->cfg->listen ? ", listening" : ", polling only",
             d->maintainer ? ", maintainer" : "");
    d->down_logged = false;
    d->reconnect_delay_ms = 0;
    claim_want_all(d);
    /* At start-up and after an outage, rescue first, but only once the
     * outcomes held through the outage are recorded (dispatch_run): their
     * leases may have run out meanwhile, and a rescue would throw that
     * finished work away and run it again. */
    d->next_rescue = now;
    d->flush_first = true;
    /* The handlers' data is read before READY=1: a ready daemon enriches
     * with the database's merchant table. */
    if (d->handlers_due)
        load_handlers(d);
    if (d->conn == NULL)
        return;
    if (!d->ready_sent) {
        publish(d);
        if (!sdnotify_send("READY=1"))
            log_warn("cannot notify systemd: %s", strerror(errno));
        d->ready_sent = true;
    }
}

/* ---- notifications and waiting ---- */

/* take_notifications handles the notifications libpq holds: those a
 * query's answer brought along, and those PQconsumeInput read. */
static void take_notifications(Dispatcher *d)
{
    PGnotify *n;

    while ((n = PQnotifies(d->conn)) != NULL) {
        claim_want_named(d, n->extra);
        PQfreemem(n);
    }
}

/* read_notifications reads what arrived on the connection's socket. */
static void read_notifications(Dispatcher *d)
{
    if (d->conn == NULL)
        return;
    if (!PQconsumeInput(d->conn)) {
        lane_drop_main(d, PQerrorMessage(d->conn));
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

    bool idle = false;

    for (int i = 0; i < LANES; i++)
        idle = idle || lane_idle(d, i);

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
    if (d->mode != SHUTDOWN_NONE)
        t = earliest(t, d->aborted ? d->deadline + SHUTDOWN_GIVE_UP_MS : d->deadline);
    /* A renewal waits for a free lane, whose answer wakes the loop. */
    if (idle && d->cfg->prefetch > 0)
        t = earliest(t, d->next_renew);
    /* A rescue held back for outcomes waits for their answer, which wakes
     * the loop, as does the answer of a maintenance statement. */
    return earliest(t, maintlane_wakeup(d, now));
}

/* wait_for_events is the one place the dispatcher waits. */
static void wait_for_events(Dispatcher *d)
{
    struct pollfd fds[LANES + 2] = {{.fd = d->wake[0], .events = POLLIN}};
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
    for (int i = 1; i < LANES; i++) {
        if (d->lanes[i].work != LANE_IDLE && PQsocket(d->lanes[i].conn) >= 0) {
            fds[nfds].fd = PQsocket(d->lanes[i].conn);
            fds[nfds++].events = POLLIN;
        }
    }
    if (maintlane_socket(d) >= 0) {
        fds[nfds].fd = maintlane_socket(d);
        fds[nfds++].events = POLLIN;
    }
    if (timeout < 0)
        timeout = 0;
    if (poll(fds, nfds, (int)timeout) < 0 && errno != EINTR)
        log_warn("poll: %s", strerror(errno));
    while (read(d->wake[0], drain, sizeof(drain)) > 0) {
    }
    if (clock_ms() >= d->next_poll)
        claim_want_all(d);
    read_notifications(d);
}

/* ---- timers ---- */

/* unrecorded counts the outcomes not yet written: pending, or in a batch
 * on a lane. */
static size_t unrecorded(const Dispatcher *d)
{
    size_t n = d->npending;

    for (int i = 0; i < LANES; i++)
        n += d->lanes[i].nbatch;
    return n;
}

/* status_line writes the counters into buf. */
static void status_line(const Dispatcher *d, char *buf, size_t size)
{
    const Stats *s = &d->stats;
    snprintf(buf, size,
             "running=%d/%d claimed=%ld completed=%ld retried=%ld failed=%ld released=%ld"
             " lost=%ld rescued=%ld expired=%ld pruned=%ld pending=%zu db=%s",
             d->running, d->cfg->workers, s->claimed, s->completed, s->retried, s->failed,
             s->released, s->lost, s->rescued + s->rescue_requeued + s->rescue_failed, s->expired,
             s->pruned, d->npending, d->conn != NULL ? "up" : "down");
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
    watchdog(d);
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
    /* The handlers' data is reloaded even when the file was bad: it does
     * not depend on it (but for the merchant cache's size). */
    d->handlers_due = true;
    if (d->conn != NULL)
        lane_settle(d, 0);
    if (d->conn != NULL)
        load_handlers(d);
    else
        log_warn("database unavailable: the handlers' data will be reloaded after the reconnect");
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
 * outcome is written, or the database stayed away (or did not answer)
 * past the deadline. */
static bool finished(Dispatcher *d)
{
    size_t left = unrecorded(d);
    bool busy = false;

    if (d->mode == SHUTDOWN_NONE || d->running > 0)
        return false;
    for (int i = 0; i < LANES; i++)
        busy = busy || d->lanes[i].work != LANE_IDLE;
    if (!busy && left == 0)
        return true;
    if (d->aborted && clock_ms() >= d->deadline + SHUTDOWN_GIVE_UP_MS) {
        log_warn(
            "%zu outcomes not recorded (the database is unavailable or does not"
            " answer); those jobs will be rescued when their lease expires",
            left);
        return true;
    }
    return false;
}

/* ---- set-up and the loop ---- */

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
    if (d->handlers == NULL || !claim_init(d, err) || !make_wake_pipe(d, err))
        return false;
    /* The handlers' built-in data until the database's is read (after
     * the first connection, before READY=1). */
    d->handlers_due = true;
    if (!signals_install(d->wake[1])) {
        error_set(err, 500, "signals", "sigaction: %s", strerror(errno));
        return false;
    }
    d->pool = pool_start(d->cfg->database, d->cfg->workers, d->wake[1], err);
    if (d->pool == NULL)
        return false;
    pool_set_lease(d->pool, d->cfg->lease_seconds, d->cfg->heartbeat_seconds);
    if (d->cfg->metrics_listen[0] != '\0') {
        d->exporter = exporter_start(d->cfg->metrics_listen, err);
        if (d->exporter == NULL)
            return false;
        log_info("serving GET /metrics on %s", d->cfg->metrics_listen);
    }
    /* A third of systemd's period: one wait for the database
     * (DISPATCH_WAIT_MS) may come between two pings. */
    d->watchdog_ms = (long long)(wd / 3000);
    db_bound_waits(DISPATCH_WAIT_MS);
    long long now = clock_ms();
    d->next_stats = now + d->cfg->stats_period_seconds * 1000LL;
    d->next_expire = now;
    d->next_prune = now;
    d->next_lock = now;
    d->next_poll = now;
    return true;
}

static void stop(Dispatcher *d)
{
    exporter_stop(d->exporter);
    pool_stop(d->pool);
    for (size_t i = 0; i < d->npending; i++)
        outcome_free(d->pending[i]);
    free(d->pending);
    for (int i = 0; i < LANES; i++) {
        for (size_t j = 0; j < d->lanes[i].nbatch; j++)
            outcome_free(d->lanes[i].batch[j]);
    }
    for (int i = 1; i < LANES; i++) {
        if (d->lanes[i].conn != NULL)
            PQfinish(d->lanes[i].conn);
    }
    maintlane_close(d);
    if (d->conn != NULL)
        PQfinish(d->conn);
    claim_free(d);
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
        /* 78 (EX_CONFIG) when the configuration must change first: the
         * unit's RestartPreventExitStatus=78 stops a restart loop. */
        status = strcmp(err.code, CONFIG_ERROR_CODE) == 0 ? CONFIG_EXIT_CODE : 1;
        goto out;
    }
    log_info("started with %d workers (%s)", cfg->workers, d.worker_name);
    for (;;) {
        long long now = clock_ms();
        check_signals(&d);
        if (d.conn == NULL)
            try_connect(&d);
        claim_take_outcomes(&d);
        for (int i = 0; i < LANES; i++)
            lane_poll(&d, i);
        maintlane_poll(&d);
        if (finished(&d))
            break;
        /* The rescue after a (re)connect waits for the outcomes held
         * through the outage: see try_connect. */
        if (d.flush_first && unrecorded(&d) == 0)
            d.flush_first = false;
        maintlane_start(&d, now);
        lane_start_work(&d);
        tick(&d, now);
        publish(&d);
        wait_for_events(&d);
    }
    status_line(&d, line, sizeof(line));
    log_info("stopped: %s", line);
out:
    stop(&d);
    return status;
}
