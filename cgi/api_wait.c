/* SPDX-License-Identifier: MIT */
/*
 * api_wait.c - a long-poll read that does not hold its request thread
 * (api_long_poll, api_request.h).  The request thread reserves a wait
 * (waiters.h), reads the job again and, when it has not changed, holds
 * the request (request_hold: the FastCGI request and its connection move
 * to the heap) and parks it with the listener thread; it goes back to
 * accept.  The listener runs finish_parked for it when the job may have
 * changed, at the deadline, when the process stops, or when the client
 * leaves: one read of the job on the listener's own connection, the
 * route's own answer (the same code as a read that does not wait), and
 * the response written without blocking (fcgi_io_held_send): what the
 * connection does not take at once is written as it drains
 * (waiters_rearm_write), within FCGI_IO_HELD_WRITE_MS, so a client that
 * reads slowly never holds the listener and the other parked requests.
 *
 * A re-read that finds the database unreachable (PostgreSQL restarting)
 * does not answer 503: the wait stays parked and is re-read once the
 * listener has reconnected, which tells that the database is back
 * (waiters_rearm_db_down); only at its deadline, the database still
 * down, does it answer 503 with Retry-After.  So a restart does not send
 * every parked client back at once to retry together.
 *
 * A parked request holds no database connection and no thread: its
 * Parked record, the held request (libfcgi's buffers included) and the
 * client connection's file descriptor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_request.h"
#include "clock.h"
#include "fcgi_io.h"
#include "jobstatus.h"
#include "log.h"

/* Parked is one parked long-poll, owned by the listener once parked. */
typedef struct Parked {
    Wait wait;           /* its registration; the listener's callback names it */
    ApiRequest ar;       /* the request as the route left it (res and db set per use) */
    HeldRequest *held;   /* the FastCGI request, answered by fcgi_io_held_send */
    bool answered;       /* its answer is made and being written */
    char version[24];    /* the version the client has seen, as text */
    ApiJobRead read;     /* the route's read of the job */
    ApiJobAnswer answer; /* the route's answer */
} Parked;

/* column returns the text of column name in row 0 of r, NULL if null. */
static const char *column(const PGresult *r, const char *name)
{
    int c = PQfnumber(r, name);
    return c < 0 || PQntuples(r) < 1 || PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
}

/* changed says whether the job in r is finished or at another version
 * than seen: a long-poll read answers then. */
static bool changed(const PGresult *r, const char *seen)
{
    const char *version = column(r, "version");

    return jobstatus_word_terminal(column(r, "status")) ||
           (version != NULL && strcmp(version, seen) != 0);
}

/* end_parked gives p's slot back, closes its connection and frees it. */
static void end_parked(Parked *p)
{
    waiters_leave(p->ar.shared->waiters, &p->wait);
    fcgi_io_held_close(p->held);
    free(p);
}

/* send_parked writes what is left of p's answer, waiting at most wait_ms
 * (0 in the listener, which must never block): when the connection takes
 * no more and wait_ms is 0, the rest is written as it drains
 * (waiters_rearm_write); otherwise p ends. */
static void send_parked(Parked *p, long wait_ms)
{
    HeldSend sent = fcgi_io_held_send(p->held, wait_ms);

    if (sent == HELD_PENDING && wait_ms == 0) {
        waiters_rearm_write(p->ar.shared->waiters, &p->wait, clock_ms() + FCGI_IO_HELD_WRITE_MS);
        return;
    }
    if (sent == HELD_PENDING)
        log_debug("[req %s] the client did not read its long-poll's answer in time", p->ar.req->id);
    end_parked(p);
}

/* finish_parked ends parked request p for reason why, reading with db:
 * the client is gone (no answer), or the job is read and, unless a
 * notification named it without changing it (then the wait is parked
 * again), answered: written within wait_ms, or, with 0, as its
 * connection drains (send_parked).  Frees p unless re-armed. */
static void finish_parked(Parked *p, WaitReason why, DbConn *db, long wait_ms)
{
    Waiters *w = p->ar.shared->waiters;
    ApiRequest ar = p->ar;
    Response *res = NULL;
    PGresult *r = NULL;

    if (why != WAIT_GONE) {
        res = response_new();
        if (res == NULL)
            log_error("[req %s] out of memory answering a long-poll", ar.req->id);
    }
    if (res != NULL) {
        ar.db = db;
        ar.res = res;
        /* A connection given up on before the listener reconnected may
         * try again now: the database was back then. */
        dbconn_retry_if_down_before(db, waiters_listening_since(w));
        r = p->read(&ar);
        if (r != NULL && why == WAIT_NOTIFIED && !changed(r, p->version)) {
            PQclear(r);
            response_free(res);
            waiters_rearm(w, &p->wait);
            return;
        }
        if (r == NULL && why == WAIT_NOTIFIED && res->status == 503 && !dbconn_is_up(db)) {
            /* The database is unreachable (a restart): the client keeps
             * waiting, and is answered once it is back, or at the
             * deadline (then the 503, should it still be down). */
            log_debug("[req %s] long-poll re-read found the database down; still parked",
                      ar.req->id);
            response_free(res);
            waiters_rearm_db_down(w, &p->wait);
            return;
        }
        if (r != NULL)
            p->answer(&ar, r);
        PQclear(r);
        api_count(&ar, " after a long-poll");
    }
    if (res != NULL && fcgi_io_held_answer(p->held, res)) {
        response_free(res);
        p->answered = true;
        send_parked(p, wait_ms);
        return;
    }
    if (res == NULL)
        log_debug("[req %s] the client went away while its long-poll was parked", ar.req->id);
    response_free(res);
    end_parked(p);
}

/* on_ready is the parked wait's callback, run by the listener thread,
 * which reads with its own connection and never blocks on a client.
 * Once answered, it writes more as the connection drains, until the
 * client leaves or the deadline of the write. */
static void on_ready(Wait *wait, WaitReason why, void *arg)
{
    Parked *p = arg;

    (void)wait;
    if (!p->answered)
        finish_parked(p, why, p->ar.shared->wait_db, 0);
    else if (why == WAIT_WRITABLE)
        send_parked(p, 0);
    else {
        log_debug("[req %s] long-poll answer not written: %s", p->ar.req->id,
                  why == WAIT_GONE ? "the client went away" : "the client did not read it in time");
        end_parked(p);
    }
}

/* How long api_send_held's caller waits for a client to take its answer
 * when the listener cannot take it over, in ms. */
enum { SEND_HELD_WAIT_MS = 100 };

/* Sending is a held request's answer that its connection did not take
 * at once (api_send_held), written by the listener as it drains. */
typedef struct Sending {
    Wait wait;
    Waiters *waiters;
    HeldRequest *held;
} Sending;

/* on_writable is a Sending's callback, run by the listener thread. */
static void on_writable(Wait *wait, WaitReason why, void *arg)
{
    Sending *s = arg;

    (void)wait;
    if (why == WAIT_WRITABLE && fcgi_io_held_send(s->held, 0) == HELD_PENDING) {
        waiters_rearm_write(s->waiters, &s->wait, clock_ms() + FCGI_IO_HELD_WRITE_MS);
        return;
    }
    if (why != WAIT_WRITABLE)
        log_debug("[req %s] answer not written: %s", fcgi_io_held_request(s->held)->id,
                  why == WAIT_GONE ? "the client went away" : "the client did not read it in time");
    waiters_leave(s->waiters, &s->wait);
    fcgi_io_held_close(s->held);
    free(s);
}

void api_send_held(const ApiShared *shared, HeldRequest *held)
{
    Sending *s;

    if (fcgi_io_held_send(held, 0) != HELD_PENDING) {
        fcgi_io_held_close(held);
        return;
    }
    s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->waiters = shared->waiters;
        s->held = held;
        if (waiters_park_write(shared->waiters, &s->wait, fcgi_io_held_fd(held),
                               clock_ms() + FCGI_IO_HELD_WRITE_MS, on_writable, s))
            return;
        free(s);
    }
    /* The listener cannot take it (max_waiters is 0 or every slot is
     * taken; or out of memory, or the process is past stopping its
     * listener): this thread waits a little for the client to take it,
     * then gives up on it rather than hold up the answers behind it. */
    if (fcgi_io_held_send(held, SEND_HELD_WAIT_MS) == HELD_PENDING)
        log_warn(
            "[req %s] answer not written: the client did not read it within %d ms, and "
            "the long-poll listener could not take it over (for example max_waiters is "
            "0 or all taken)",
            fcgi_io_held_request(held)->id, SEND_HELD_WAIT_MS);
    fcgi_io_held_close(held);
}

void api_long_poll(ApiRequest *ar, PGresult *r, int seconds, ApiJobRead read, ApiJobAnswer answer)
{
    Waiters *w = ar->shared->waiters;
    long long deadline = clock_ms() + (long long)seconds * 1000;
    Parked *p = NULL;
    HeldRequest *held;

    if (seconds <= 0 || jobstatus_word_terminal(column(r, "status")))
        goto answer_now;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        goto answer_now;
    if (!waiters_reserve(w, &p->wait, ar->match.id)) {
        /* max_waiters wait already, or the process is stopping. */
        free(p);
        p = NULL;
        goto answer_now;
    }
    /* Registered first, read again: a change committed after the first
     * read is in this one, or its notification fires the wait. */
    snprintf(p->version, sizeof p->version, "%s", column(r, "version") ? column(r, "version") : "");
    PQclear(r);
    r = read(ar);
    if (r == NULL || changed(r, p->version))
        goto leave;
    held = request_hold(ar->req);
    if (held == NULL)
        goto leave;
    PQclear(r);
    p->ar = *ar;
    p->ar.res = NULL;
    p->ar.db = NULL;
    p->held = held;
    p->read = read;
    p->answer = answer;
    ar->parked = true;
    if (!waiters_park(w, &p->wait, fcgi_io_held_fd(held), deadline, on_ready, p))
        /* Answered from here, with the job as it is; this thread may
         * wait for the client to take it. */
        finish_parked(p, WAIT_STOPPING, ar->db, FCGI_IO_HELD_WRITE_MS);
    return;
leave:
    waiters_leave(w, &p->wait);
    free(p);
    if (r == NULL)
        return; /* the failed read rendered the response */
answer_now:
    answer(ar, r);
    PQclear(r);
}
