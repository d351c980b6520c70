/* SPDX-License-Identifier: MIT */
/* waiters.c holds a process's long-polls and the one thread that LISTENs for them. */
#include "waiters.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
    pthread_cond_t drained;    /* signalled when count drops to 0 while stopping */
    Wait *head;                /* registered waiters, newest first */
    int count;                 /* registered waiters */
    int threads;               /* of them holding their thread (waiters_enter) */
    int parked;                /* of them parked with the listener */
    int sleeping;              /* of them inside waiters_sleep */
    bool listening;            /* LISTEN is in place (always true without a thread) */
    long long listening_since; /* when it last came up after being down; 0: never */
    bool stopping;             /* waiters_shutdown (or waiters_stop) was called */
    bool closed;               /* waiters_stop was called: not even an answer parks now */

    /* Set once by waiters_start. */
    int max_waiters;
    int max_threads;
    char *conninfo;   /* the listener's; NULL: it makes no connection (test seam) */
    int stop_pipe[2]; /* waiters_stop writes a byte to [1]; the listener polls [0] */
    int epoll_fd;     /* the listener's: stop pipe, wake_fd, its connection, parked clients */
    int wake_fd;      /* an eventfd: a wait was parked or fired, recompute */
    pthread_t thread; /* the listener, when thread_started */
    bool thread_started;
};

/* Listener is the listener thread's own state, never shared. */
typedef struct Listener {
    Waiters *w;
    PGconn *conn;           /* NULL while down */
    long long reconnect_at; /* next connection attempt while down, waiters_now_ms */
    long long tick_at;      /* while down: when parked waits re-read next */
    bool down_logged;       /* the outage was logged; log its end */
} Listener;

/* The epoll tags of the listener's own descriptors; a parked wait's tag
 * is its Wait. */
static char tag_stop, tag_wake, tag_conn;

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

/* wake_listener makes the listener recompute its parked waits (an
 * eventfd write never blocks short of 2^64 - 2 pending wake-ups). */
static void wake_listener(Waiters *w)
{
    uint64_t one = 1;

    if (w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof one) != (ssize_t)sizeof one)
        log_debug("[waiters] cannot wake the listener: %s", strerror(errno));
}

/* fire marks x fired and wakes whoever waits for it; the lock is held.
 * Returns whether x is parked (the listener must look). */
static bool fire(Wait *x)
{
    x->fired = true;
    if (!x->parked)
        pthread_cond_signal(&x->wake);
    return x->parked;
}

/* fire_all marks every waiter fired and wakes it; the lock is held.
 * Returns whether one of them is parked. */
static bool fire_all(Waiters *w)
{
    bool parked = false;

    for (Wait *x = w->head; x != NULL; x = x->next)
        parked |= fire(x);
    return parked;
}

/* The most job ids of a payload sorted for lookup (sql/002_jobs.sql sends
 * at most 200, else "*"); a longer one is matched token by token. */
enum { NOTIFY_SORTED_MAX = 256, JOB_ID_LEN = UUID_TEXT_SIZE - 1 };

static int compare_ids(const void *a, const void *b)
{
    return memcmp(*(const char *const *)a, *(const char *const *)b, JOB_ID_LEN);
}

/* payload_ids collects the job ids of payload (tokens of JOB_ID_LEN
 * characters) into ids, sorted.  Returns their count, or -1 when the
 * payload is "*", has more than NOTIFY_SORTED_MAX tokens or a token of
 * another length: then waiters_payload_names decides per waiter. */
static int payload_ids(const char *payload, const char *ids[NOTIFY_SORTED_MAX])
{
    int n = 0;

    for (const char *p = payload; *p != '\0';) {
        size_t len = strcspn(p, " ");

        if (len > 0) {
            if (len != JOB_ID_LEN || n == NOTIFY_SORTED_MAX)
                return -1;
            ids[n++] = p;
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    qsort(ids, (size_t)n, sizeof ids[0], compare_ids);
    return n;
}

void waiters_notify(Waiters *w, const char *payload)
{
    const char *ids[NOTIFY_SORTED_MAX];
    int woken = 0, n;
    bool parked = false;

    if (w == NULL || payload == NULL)
        return;
    /* Sorted once, each waiter is a binary search: a busy queue's
     * notifications cost little even with thousands of waiters. */
    n = payload_ids(payload, ids);
    pthread_mutex_lock(&w->lock);
    for (Wait *x = w->head; x != NULL; x = x->next) {
        const char *key = x->job_id;
        bool named = n >= 0 ? bsearch(&key, ids, (size_t)n, sizeof ids[0], compare_ids) != NULL
                            : waiters_payload_names(payload, x->job_id);
        if (named) {
            parked |= fire(x);
            woken++;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (parked)
        wake_listener(w);
    if (woken > 0)
        log_debug("[waiters] a job change woke %d waiter(s)", woken);
}

void waiters_set_listening(Waiters *w, bool up)
{
    bool parked = false;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    if (up && !w->listening) {
        /* Changes may have gone unnoticed while down: re-read them all. */
        w->listening = true;
        w->listening_since = waiters_now_ms();
        parked = fire_all(w);
    } else if (!up && w->listening) {
        /* Sleepers recompute their wait: at most WAITERS_FALLBACK_MS now;
         * the listener ticks parked waits itself. */
        w->listening = false;
        for (Wait *x = w->head; x != NULL; x = x->next)
            pthread_cond_signal(&x->wake);
        parked = w->parked > 0;
    }
    pthread_mutex_unlock(&w->lock);
    if (parked)
        wake_listener(w);
}

/* enter registers wait; holds_thread: for waiters_sleep (waiters_enter).
 * job_id NULL: an answer being written, which awaits no job
 * (waiters_park_write). */
static bool enter(Waiters *w, Wait *wait, const char *job_id, bool holds_thread)
{
    pthread_condattr_t attr;
    bool ok = false;

    memset(wait, 0, sizeof *wait);
    wait->fd = -1;
    wait->holds_thread = holds_thread;
    if (w == NULL || w->max_waiters <= 0 ||
        (job_id != NULL && !uuid_normalize(job_id, strlen(job_id), wait->job_id)))
        return false;
    if (pthread_condattr_init(&attr) != 0)
        return false;
    ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&wait->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok)
        return false;

    pthread_mutex_lock(&w->lock);
    /* An answer being written is still taken while stopping: the
     * listener writes those to their deadline before it ends. */
    ok = (!w->stopping || (job_id == NULL && !w->closed)) && w->count < w->max_waiters &&
         (!holds_thread || w->threads < w->max_threads);
    if (ok) {
        wait->next = w->head;
        if (w->head != NULL)
            w->head->prev = wait;
        w->head = wait;
        w->count++;
        w->threads += holds_thread;
        wait->registered = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (!ok)
        pthread_cond_destroy(&wait->wake);
    return ok;
}

bool waiters_enter(Waiters *w, Wait *wait, const char *job_id)
{
    return job_id != NULL && enter(w, wait, job_id, true);
}

bool waiters_reserve(Waiters *w, Wait *wait, const char *job_id)
{
    return job_id != NULL && enter(w, wait, job_id, false);
}

/* watch adds a parked wait's connection to the listener's epoll set, for
 * one event: its peer closing it, or sending anything (an abort). */
static bool watch(Waiters *w, Wait *wait)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = wait};

    if (wait->writing)
        ev.events |= EPOLLOUT;

    return epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, wait->fd, &ev) == 0;
}

bool waiters_park(Waiters *w, Wait *wait, int fd, long long deadline_ms, WaitReady ready, void *arg)
{
    if (w == NULL || wait == NULL || !wait->registered || wait->holds_thread || fd < 0 ||
        w->epoll_fd < 0)
        return false;
    wait->fd = fd;
    wait->deadline_ms = deadline_ms;
    wait->ready = ready;
    wait->ready_arg = arg;
    /* Watched before it counts as parked: an event that comes first only
     * marks it gone, and the listener looks at parked waits only. */
    if (!watch(w, wait)) {
        log_warn("[waiters] cannot watch a parked connection: %s", strerror(errno));
        wait->fd = -1;
        return false;
    }
    pthread_mutex_lock(&w->lock);
    bool closed = w->closed; /* the listener may be gone: park nothing more */
    if (!closed) {
        wait->parked = true;
        wait->taken = false;
        w->parked++;
    }
    pthread_mutex_unlock(&w->lock);
    if (closed) {
        (void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        wait->fd = -1;
        return false;
    }
    wake_listener(w);
    return true;
}

bool waiters_park_write(Waiters *w, Wait *wait, int fd, long long deadline_ms, WaitReady ready,
                        void *arg)
{
    if (!enter(w, wait, NULL, false))
        return false;
    wait->writing = true;
    if (waiters_park(w, wait, fd, deadline_ms, ready, arg))
        return true;
    waiters_leave(w, wait);
    return false;
}

/* rearm parks wait again from its callback; db_down: its re-read found
 * the database down (waiters_rearm_db_down). */
static void rearm(Waiters *w, Wait *wait, bool db_down)
{
    bool watched = watch(w, wait);

    pthread_mutex_lock(&w->lock);
    if (!watched)
        wait->gone = true; /* cannot watch it: end it as if its client left */
    wait->db_down = db_down;
    wait->retry_at_ms = db_down ? waiters_now_ms() + WAITERS_FALLBACK_MS : 0;
    wait->taken = false;
    pthread_mutex_unlock(&w->lock);
    if (!watched)
        log_warn("[waiters] cannot watch a parked connection again: %s", strerror(errno));
}

void waiters_rearm(Waiters *w, Wait *wait)
{
    rearm(w, wait, false);
}

void waiters_rearm_db_down(Waiters *w, Wait *wait)
{
    rearm(w, wait, true);
}

long long waiters_listening_since(const Waiters *w)
{
    Waiters *m = (Waiters *)w; /* locking is not a change of the value */
    long long since;

    if (w == NULL)
        return 0;
    pthread_mutex_lock(&m->lock);
    since = m->listening_since;
    pthread_mutex_unlock(&m->lock);
    return since;
}

void waiters_rearm_write(Waiters *w, Wait *wait, long long deadline_ms)
{
    bool watched;

    pthread_mutex_lock(&w->lock);
    wait->writing = true;
    wait->writable = false;
    wait->deadline_ms = deadline_ms;
    pthread_mutex_unlock(&w->lock);
    watched = watch(w, wait); /* for EPOLLOUT now */
    pthread_mutex_lock(&w->lock);
    if (!watched)
        wait->gone = true; /* cannot watch it: end it as if its client left */
    wait->taken = false;
    pthread_mutex_unlock(&w->lock);
    if (!watched)
        log_warn("[waiters] cannot watch a connection being answered: %s", strerror(errno));
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
    w->threads -= wait->holds_thread;
    if (wait->parked) {
        wait->parked = false;
        w->parked--;
    }
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

int waiters_parked(const Waiters *w)
{
    Waiters *m = (Waiters *)w;
    int n;

    if (w == NULL)
        return 0;
    pthread_mutex_lock(&m->lock);
    n = m->parked;
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
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_conn};
    if (epoll_ctl(l->w->epoll_fd, EPOLL_CTL_ADD, PQsocket(c), &ev) != 0) {
        log_warn("[waiters] cannot watch the listener's connection: %s", strerror(errno));
        PQfinish(c);
        l->down_logged = true;
        l->reconnect_at = waiters_now_ms() + WAITERS_FALLBACK_MS;
        return;
    }
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
    (void)epoll_ctl(l->w->epoll_fd, EPOLL_CTL_DEL, PQsocket(l->conn), NULL);
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

/* due_again says whether parked wait x, whose answer is not under way,
 * is to be re-read now; the lock is held.  tick: the listener is down
 * and WAITERS_FALLBACK_MS passed.  A wait whose last re-read found the
 * database down skips the ticks: it waits for the listener to come back
 * (which fires it), or, with the listener up, for its retry time. */
static bool due_again(const Waiters *w, const Wait *x, bool tick, long long now)
{
    if (x->fired)
        return true;
    if (x->db_down)
        return w->listening && now >= x->retry_at_ms;
    return tick;
}

/* run_ready runs the callbacks of the parked waits that are due: fired
 * (or, while the listener is down, every WAITERS_FALLBACK_MS, unless
 * their last re-read found the database down: see due_again), gone,
 * past their deadline, writable while their answer is written, or,
 * when stopping, all of them whose answer is not under way.  Each is taken out
 * of the epoll set first; its callback leaves or re-arms it. */
static void run_ready(Listener *l)
{
    Waiters *w = l->w;
    Wait *batch = NULL, **tail = &batch;
    long long now = waiters_now_ms();

    pthread_mutex_lock(&w->lock);
    bool tick = !w->listening && w->parked > 0 && now >= l->tick_at;
    if (tick)
        l->tick_at = now + WAITERS_FALLBACK_MS;
    for (Wait *x = w->head; x != NULL; x = x->next) {
        if (!x->parked || x->taken)
            continue;
        if (x->gone)
            x->why = WAIT_GONE;
        else if (x->writing && x->writable)
            x->why = WAIT_WRITABLE;
        else if (w->stopping && !x->writing)
            x->why = WAIT_STOPPING; /* an answer under way goes on to its deadline */
        else if (!x->writing && due_again(w, x, tick, now))
            x->why = WAIT_NOTIFIED;
        else if (now >= x->deadline_ms)
            x->why = WAIT_DEADLINE;
        else
            continue;
        x->fired = false;
        x->writable = false;
        x->db_down = false; /* until its callback finds the database down again */
        x->taken = true;
        x->ready_next = NULL;
        *tail = x;
        tail = &x->ready_next;
    }
    pthread_mutex_unlock(&w->lock);

    /* Taken: only this thread touches them now, until they are re-armed. */
    while (batch != NULL) {
        Wait *x = batch;
        batch = x->ready_next;
        (void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, x->fd, NULL);
        x->ready(x, x->why, x->ready_arg);
    }
}

/* next_timeout is how long the listener may wait, in ms: until the
 * earliest deadline of a parked wait (or, while the listener is up, the
 * retry time of one that found the database down), and
 * WAITERS_FALLBACK_MS at most.  While the listener is down such a wait
 * adds nothing: nothing spins until the database is back. */
static int next_timeout(Listener *l)
{
    Waiters *w = l->w;
    long long now = waiters_now_ms(), until = now + WAITERS_FALLBACK_MS;

    if (l->conn == NULL && w->conninfo != NULL && l->reconnect_at < until)
        until = l->reconnect_at;
    pthread_mutex_lock(&w->lock);
    for (Wait *x = w->head; x != NULL; x = x->next) {
        if (!x->parked || x->taken)
            continue;
        if (x->deadline_ms < until)
            until = x->deadline_ms;
        if (x->db_down && !x->writing && w->listening && x->retry_at_ms < until)
            until = x->retry_at_ms;
    }
    pthread_mutex_unlock(&w->lock);
    return until <= now ? 0 : (int)(until - now);
}

/* listener_wait is the one place the listener waits: the stop pipe, the
 * wake-up eventfd, the connection's socket while connected and every
 * parked connection, with a timeout of at most WAITERS_FALLBACK_MS.
 * Reads what arrived; marks the parked waits whose client left.  Returns
 * false when stopping. */
static bool listener_wait(Listener *l)
{
    enum { EVENTS = 64 };
    struct epoll_event ev[EVENTS];
    bool stop = false;
    int n = epoll_wait(l->w->epoll_fd, ev, EVENTS, next_timeout(l));

    if (n < 0) {
        if (errno != EINTR)
            log_warn("[waiters] epoll_wait: %s", strerror(errno));
        return true;
    }
    for (int i = 0; i < n; i++) {
        void *tag = ev[i].data.ptr;
        if (tag == &tag_stop) {
            /* Read, so that the answers still being written after the
             * stop are waited for without spinning (listener_main). */
            char byte;
            if (read(l->w->stop_pipe[0], &byte, 1) < 0)
                log_debug("[waiters] cannot read the stop pipe: %s", strerror(errno));
            stop = true;
        } else if (tag == &tag_wake) {
            uint64_t count;
            if (read(l->w->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
                log_debug("[waiters] cannot read the wake-up count: %s", strerror(errno));
        } else if (tag == &tag_conn) {
            if (l->conn == NULL)
                continue;
            if (!PQconsumeInput(l->conn) || PQstatus(l->conn) == CONNECTION_BAD)
                listener_drop(l);
            else
                listener_take(l);
        } else {
            /* A parked client connection: the peer closed it or aborted
             * the request (a FastCGI server sends nothing else), or,
             * while its answer is written, it takes more. */
            Wait *x = tag;
            uint32_t e = ev[i].events;
            pthread_mutex_lock(&l->w->lock);
            if (x->writing && (e & EPOLLOUT) && !(e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                x->writable = true;
            else
                x->gone = true;
            pthread_mutex_unlock(&l->w->lock);
        }
    }
    return !stop;
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
        if (l.w->conninfo != NULL && l.conn == NULL && waiters_now_ms() >= l.reconnect_at &&
            !stopping(l.w))
            listener_connect(&l);
        /* LISTEN's own answer may have brought notifications along. */
        if (l.conn != NULL)
            listener_take(&l);
        run_ready(&l);
        if (!listener_wait(&l))
            break;
    }
    /* Nothing parks any more (waiters_stop): answer what is still parked,
     * and finish writing the answers under way, each within its deadline
     * (a notification no longer matters). */
    run_ready(&l);
    while (waiters_parked(l.w) > 0) {
        (void)listener_wait(&l);
        run_ready(&l);
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
    w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event stop_ev = {.events = EPOLLIN, .data.ptr = &tag_stop};
    struct epoll_event wake_ev = {.events = EPOLLIN, .data.ptr = &tag_wake};
    if (w->wake_fd < 0 || w->epoll_fd < 0 ||
        epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->stop_pipe[0], &stop_ev) != 0 ||
        epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &wake_ev) != 0) {
        error_set(err, 500, "internal_error", "cannot set up the listener's epoll: %s",
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

Waiters *waiters_start(const char *conninfo, int max_waiters, int max_threads, Error *err)
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
    w->epoll_fd = w->wake_fd = -1;
    w->max_waiters = max_waiters > 0 ? max_waiters : 0;
    w->max_threads = max_threads > 0 ? max_threads : 0;
    w->listening = true;
    if (w->max_waiters == 0)
        return w;

    if (conninfo != NULL) {
        w->listening = false; /* until the thread's LISTEN is in place */
        w->conninfo = strdup(conninfo);
        if (w->conninfo == NULL) {
            error_set(err, 500, "out_of_memory", "out of memory");
            goto fail;
        }
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
    bool parked = w->parked > 0;
    pthread_mutex_unlock(&w->lock);
    /* The listener answers the parked ones (WAIT_STOPPING). */
    if (parked)
        wake_listener(w);
}

void waiters_stop(Waiters *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->closed = true;
    pthread_mutex_unlock(&w->lock);
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
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    if (w->epoll_fd >= 0)
        close(w->epoll_fd);
    pthread_cond_destroy(&w->drained);
    pthread_mutex_destroy(&w->lock);
    free(w->conninfo);
    free(w);
}
