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
 * the response written and the request ended by fcgi_io_held_end.
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
    HeldRequest *held;   /* the FastCGI request, answered by fcgi_io_held_end */
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

/* finish_parked ends parked request p for reason why, reading with db:
 * the client is gone (no answer), or the job is read and, unless a
 * notification named it without changing it (then the wait is parked
 * again), answered.  Frees p unless re-armed. */
static void finish_parked(Parked *p, WaitReason why, DbConn *db)
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
        r = p->read(&ar);
        if (r != NULL && why == WAIT_NOTIFIED && !changed(r, p->version)) {
            PQclear(r);
            response_free(res);
            waiters_rearm(w, &p->wait);
            return;
        }
        if (r != NULL)
            p->answer(&ar, r);
        PQclear(r);
        metrics_observe(ar.shared->metrics, ar.match.route, res->status,
                        clock_seconds() - ar.start);
        if (res->status >= 500)
            log_warn("[req %s] %s %s: %d", ar.req->id, ar.req->method, ar.req->path, res->status);
        else
            log_debug("[req %s] %s %s: %d after a long-poll", ar.req->id, ar.req->method,
                      ar.req->path, res->status);
    }
    waiters_leave(w, &p->wait);
    fcgi_io_held_end(p->held, res);
    response_free(res);
    free(p);
}

/* on_ready is the parked wait's callback, run by the listener thread,
 * which reads with its own connection. */
static void on_ready(Wait *wait, WaitReason why, void *arg)
{
    Parked *p = arg;

    (void)wait;
    finish_parked(p, why, p->ar.shared->wait_db);
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
        finish_parked(p, WAIT_STOPPING, ar->db); /* answered from here, with the job as it is */
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
