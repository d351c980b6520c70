/* SPDX-License-Identifier: MIT */
/* waiters.c holds a process's long-polls and the one thread that LISTENs for them. */
#include "waiters.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "log.h"

/* The channel of sql/002_jobs.sql's notify_jobs. */
#define WAITERS_CHANNEL "pgjob_job"

struct Waiters {
    /* Guarded by lock. */
    pthread_mutex_t lock;
    pthread_cond_t drained; /* signalled when count drops to 0 while stopping */
    Wait *head;             /* registered waiters, newest first */
    int count;              /* registered waiters */
    int sleeping;           /* of them inside waiters_sleep */
    bool listening;         /* LISTEN is in place (always true without a thread) */
    bool stopping;          /* waiters_stop was called */

    /* Set once by waiters_start. */
    int max_waiters;
    char *conninfo;   /* the listener's; NULL: no listener thread */
    int stop_pipe[2]; /* waiters_stop writes a byte to [1]; the listener polls [0] */
    pthread_t thread; /* the listener, when thread_started */
    bool thread_started;
};

/* Listener is the listener thread's own state, never shared. */
typedef struct Listener {
    Waiters *w;
    PGconn *conn;           /* NULL while down */
    long long reconnect_at; /* next connection attempt while down, waiters_now_ms */
    bool down_logged;       /* the outage was logged; log its end */
} Listener;

long long waiters_now_ms(void)
{
    return clock_ms();
}

bool waiters_payload_names(const char *payload, const char *job_id)
{
    size_t idlen = job_id != NULL ? strlen(job_id) : 0;
    const char *p = payload;

    if (p == NULL || idlen == 0)
        return false;
    while (*p != '\0') {
        size_t len = strcspn(p, " ");

        if ((len == 1 && p[0] == '*') || (len == idlen && memcmp(p, job_id, len) == 0))
            return true;
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* ---- the waiters ---- */

/* fire_all marks every waiter fired and wakes it; the lock is held. */
static void fire_all(Waiters *w)
{
    for (Wait *x = w->head; x != NULL; x = x->next) {
        x->fired = true;
        pthread_cond_signal(&x->wake);
    }
}

void waiters_notify(Waiters *w, const char *payload)
{
    int woken = 0;

    if (w == NULL || payload == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    for (Wait *x = w->head; x != NULL; x = x->next) {
        if (waiters_payload_names(payload, x->job_id)) {
            x->fired = true;
            pthread_cond_signal(&x->wake);
            woken++;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (woken > 0)
        log_debug("[waiters] a job change woke %d waiter(s)", woken);
}

void waiters_set_listening(Waiters *w, bool up)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    if (up && !w->listening) {
        /* Changes may have gone unnoticed while down: re-read them all. */
        w->listening = true;
        fire_all(w);
    } else if (!up && w->listening) {
        /* Sleepers recompute their wait: at most WAITERS_FALLBACK_MS now. */
        w->listening = false;
        for (Wait *x = w->head; x != NULL; x = x->next)
            pthread_cond_signal(&x->wake);
    }
    pthread_mutex_unlock(&w->lock);
}

bool waiters_enter(Waiters *w, Wait *wait, const char *job_id)
{
    pthread_condattr_t attr;
    bool ok = false;

    wait->registered = false;
    wait->fired = false;
    wait->sleeping = false;
    wait->prev = wait->next = NULL;
    if (w == NULL || w->max_waiters <= 0 || job_id == NULL ||
        !uuid_normalize(job_id, strlen(job_id), wait->job_id))
        return false;
    if (pthread_condattr_init(&attr) != 0)
        return false;
    ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&wait->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok)
        return false;

    pthread_mutex_lock(&w->lock);
    ok = !w->stopping && w->count < w->max_waiters;
    if (ok) {
        wait->next = w->head;
        if (w->head != NULL)
            w->head->prev = wait;
        w->head = wait;
        w->count++;
        wait->registered = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (!ok)
        pthread_cond_destroy(&wait->wake);
    return ok;
}

/* timespec_at converts a waiters_now_ms time to a CLOCK_MONOTONIC timespec. */
static struct timespec timespec_at(long long ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    return ts;
}

bool waiters_sleep(Waiters *w, Wait *wait, long long deadline_ms)
{
    long long tick = -1; /* while the listener is down: when to return anyway */
    bool woke = false;

    if (w == NULL || wait == NULL || !wait->registered)
        return false;
    pthread_mutex_lock(&w->lock);
    wait->sleeping = true;
    w->sleeping++;
    for (;;) {
        long long now = waiters_now_ms(), until = deadline_ms;
        struct timespec ts;

        if (wait->fired) {
            woke = true;
            break;
        }
        if (w->stopping || now >= deadline_ms)
            break;
        if (w->listening) {
            tick = -1;
        } else {
            if (tick < 0)
                tick = now + WAITERS_FALLBACK_MS;
            if (now >= tick) {
                woke = true;
                break;
            }
            if (tick < until)
                until = tick;
        }
        ts = timespec_at(until);
        pthread_cond_timedwait(&wait->wake, &w->lock, &ts); /* the loop rechecks everything */
    }
    wait->fired = false;
    wait->sleeping = false;
    w->sleeping--;
    pthread_mutex_unlock(&w->lock);
    return woke;
}

void waiters_leave(Waiters *w, Wait *wait)
{
    if (w == NULL || wait == NULL || !wait->registered)
        return;
    pthread_mutex_lock(&w->lock);
    if (wait->prev != NULL)
        wait->prev->next = wait->next;
    else
        w->head = wait->next;
    if (wait->next != NULL)
        wait->next->prev = wait->prev;
    wait->prev = wait->next = NULL;
    wait->registered = false;
    w->count--;
    if (w->count == 0 && w->stopping)
        pthread_cond_broadcast(&w->drained);
    pthread_mutex_unlock(&w->lock);
    /* Unlinked: nothing signals it any more. */
    pthread_cond_destroy(&wait->wake);
}

int waiters_count(const Waiters *w)
{
    Waiters *m = (Waiters *)w; /* locking is not a change of the value */
    int n;

    if (w == NULL)
        return 0;
    pthread_mutex_lock(&m->lock);
    n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int waiters_sleeping(const Waiters *w)
{
    Waiters *m = (Waiters *)w;
    int n;

    if (w == NULL)
        return 0;
    pthread_mutex_lock(&m->lock);
    n = m->sleeping;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* ---- the listener thread ---- */

/* log_reason writes libpq's or the Error's multi-line text into buf as one
 * sanitised clause: each run of white space becomes one space. */
static const char *log_reason(char *buf, size_t size, const char *text)
{
    char line[512];
    size_t n = 0;

    for (const char *p = text != NULL ? text : ""; *p != '\0' && n + 1 < sizeof line; p++) {
        bool space = *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';

        if (!space)
            line[n++] = *p;
        else if (n > 0 && line[n - 1] != ' ')
            line[n++] = ' ';
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    return log_sanitize(buf, size, line);
}

/* listener_connect connects and LISTENs; on failure it logs (the first
 * failure of an outage as a warning) and schedules the next attempt. */
static void listener_connect(Listener *l)
{
    Error err = {0};
    char reason[512];
    PGconn *c = db_connect(l->w->conninfo, "pgjob.fcgi listener", &err);

    if (c != NULL &&
        !db_run(c, "LISTEN " WAITERS_CHANNEL, 0, NULL, "LISTEN " WAITERS_CHANNEL, &err)) {
        PQfinish(c);
        c = NULL;
    }
    if (c == NULL) {
        log_reason(reason, sizeof reason, err.message);
        if (!l->down_logged)
            log_warn(
                "[waiters] long-poll listener cannot connect: %s; waiting clients re-read "
                "their job every second, retrying every second",
                reason);
        else
            log_debug("[waiters] long-poll listener still cannot connect: %s", reason);
        l->down_logged = true;
        l->reconnect_at = waiters_now_ms() + WAITERS_FALLBACK_MS;
        return;
    }
    if (l->down_logged)
        log_info("[waiters] long-poll listener is back: listening on " WAITERS_CHANNEL
                 ", waking every waiter once");
    else
        log_info("[waiters] long-poll listener: listening on " WAITERS_CHANNEL);
    l->down_logged = false;
    l->conn = c;
    waiters_set_listening(l->w, true);
}

/* listener_drop closes a broken connection (logged once) and falls back
 * to ticks until the next attempt, made at once. */
static void listener_drop(Listener *l)
{
    char reason[512];

    log_reason(reason, sizeof reason, PQerrorMessage(l->conn));
    log_warn(
        "[waiters] long-poll listener lost its connection: %s; waiting clients re-read "
        "their job every second until it is back",
        reason);
    l->down_logged = true;
    PQfinish(l->conn);
    l->conn = NULL;
    l->reconnect_at = waiters_now_ms();
    waiters_set_listening(l->w, false);
}

/* listener_take hands on the notifications libpq holds: those a query's
 * answer brought along and those PQconsumeInput read. */
static void listener_take(Listener *l)
{
    PGnotify *n;

    while ((n = PQnotifies(l->conn)) != NULL) {
        if (strcmp(n->relname, WAITERS_CHANNEL) == 0)
            waiters_notify(l->w, n->extra);
        PQfreemem(n);
    }
}

/* listener_wait is the one place the listener waits: the stop pipe, the
 * connection's socket while connected, and a timeout of at most
 * WAITERS_FALLBACK_MS.  Reads what arrived.  Returns false when stopping. */
static bool listener_wait(Listener *l)
{
    struct pollfd fds[2] = {{.fd = l->w->stop_pipe[0], .events = POLLIN}, {.fd = -1}};
    long long timeout = WAITERS_FALLBACK_MS;

    if (l->conn != NULL) {
        fds[1].fd = PQsocket(l->conn);
        fds[1].events = POLLIN;
    } else {
        timeout = l->reconnect_at - waiters_now_ms();
        if (timeout < 0)
            timeout = 0;
        if (timeout > WAITERS_FALLBACK_MS)
            timeout = WAITERS_FALLBACK_MS;
    }
    if (poll(fds, 2, (int)timeout) < 0) {
        if (errno != EINTR)
            log_warn("[waiters] poll: %s", strerror(errno));
        return true;
    }
    if (fds[0].revents != 0)
        return false;
    if (l->conn != NULL && fds[1].revents != 0) {
        if (!PQconsumeInput(l->conn) || PQstatus(l->conn) == CONNECTION_BAD)
            listener_drop(l);
        else
            listener_take(l);
    }
    return true;
}

/* stopping says whether waiters_stop was called; a connection attempt
 * can block, so none is begun then. */
static bool stopping(Waiters *w)
{
    bool s;

    pthread_mutex_lock(&w->lock);
    s = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return s;
}

static void *listener_main(void *arg)
{
    Listener l = {.w = arg};

    for (;;) {
        if (l.conn == NULL && waiters_now_ms() >= l.reconnect_at && !stopping(l.w))
            listener_connect(&l);
        /* LISTEN's own answer may have brought notifications along. */
        if (l.conn != NULL)
            listener_take(&l);
        if (!listener_wait(&l))
            break;
    }
    PQfinish(l.conn);
    return NULL;
}

/* ---- start and stop ---- */

/* set_cloexec marks fd close-on-exec, so exec'd children do not inherit it. */
static bool set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    return flags >= 0 && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0;
}

/* start_listener creates the stop pipe and the thread, with every signal
 * blocked so that process signals go to the threads that handle them. */
static bool start_listener(Waiters *w, Error *err)
{
    sigset_t all, old;
    int rc;

    if (pipe(w->stop_pipe) != 0) {
        w->stop_pipe[0] = w->stop_pipe[1] = -1;
        error_set(err, 500, "internal_error", "cannot create the listener's pipe: %s",
                  strerror(errno));
        return false;
    }
    if (!set_cloexec(w->stop_pipe[0]) || !set_cloexec(w->stop_pipe[1])) {
        error_set(err, 500, "internal_error", "cannot set up the listener's pipe: %s",
                  strerror(errno));
        return false;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, listener_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        error_set(err, 500, "internal_error", "cannot start the listener thread: %s", strerror(rc));
        return false;
    }
    w->thread_started = true;
    return true;
}

Waiters *waiters_start(const char *conninfo, int max_waiters, Error *err)
{
    Waiters *w = calloc(1, sizeof(*w));
    pthread_condattr_t attr;

    if (w == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_cond_init(&w->drained, &attr);
    pthread_condattr_destroy(&attr);
    w->stop_pipe[0] = w->stop_pipe[1] = -1;
    w->max_waiters = max_waiters > 0 ? max_waiters : 0;
    w->listening = true;
    if (w->max_waiters == 0 || conninfo == NULL)
        return w;

    w->listening = false; /* until the thread's LISTEN is in place */
    w->conninfo = strdup(conninfo);
    if (w->conninfo == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    if (!start_listener(w, err))
        goto fail;
    return w;
fail:
    waiters_stop(w);
    return NULL;
}

void waiters_shutdown(Waiters *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    for (Wait *x = w->head; x != NULL; x = x->next)
        pthread_cond_signal(&x->wake);
    pthread_mutex_unlock(&w->lock);
}

void waiters_stop(Waiters *w)
{
    if (w == NULL)
        return;
    waiters_shutdown(w);

    if (w->thread_started) {
        if (write(w->stop_pipe[1], "x", 1) != 1)
            log_warn("[waiters] cannot wake the listener: %s", strerror(errno));
        pthread_join(w->thread, NULL);
    }
    pthread_mutex_lock(&w->lock);
    while (w->count > 0)
        pthread_cond_wait(&w->drained, &w->lock);
    pthread_mutex_unlock(&w->lock);

    if (w->stop_pipe[0] >= 0)
        close(w->stop_pipe[0]);
    if (w->stop_pipe[1] >= 0)
        close(w->stop_pipe[1]);
    pthread_cond_destroy(&w->drained);
    pthread_mutex_destroy(&w->lock);
    free(w->conninfo);
    free(w);
}
