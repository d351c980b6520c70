/* SPDX-License-Identifier: MIT */
/*
 * waiters.h - long-polls of one pgjob.fcgi process.  Every request thread
 * that holds a long-poll (GET /v1/jobs/{id}?wait=N, Prefer: wait=N) waits
 * here on its own condition variable; one listener thread per process,
 * with its own connection, LISTENs on channel pgjob_job and wakes the
 * waiters whose job a notification names.  So a process holds one
 * listening connection however many clients wait, and at most
 * max_waiters of its request threads wait at once: the others stay free
 * for plain requests.
 *
 * Notifications (sql/002_jobs.sql): every statement that changes jobs
 * sends one, whose payload is the changed job ids in lower case separated
 * by single spaces, or "*" when more than 200 changed.
 *
 * The listener waits in one place, a poll() on the connection's socket
 * and a stop pipe with a timeout of about a second.  A broken connection
 * is a state, not a crash: it is logged once (warning), retried every
 * second, and its return is logged (info).  While the listener is down,
 * waiters_sleep returns at least once a second so that the caller re-reads
 * its job (a bounded fallback); when it is back, every waiter is woken
 * once, since changes may have gone unnoticed meanwhile.
 *
 * The usage pattern of a route that long-polls:
 *
 *     Wait wait;
 *     bool waiting = waiters_enter(w, &wait, job_id);
 *     read the job;
 *     if (waiting && the job is not terminal) {
 *         long long deadline = waiters_now_ms() + seconds * 1000;
 *         while (waiters_sleep(w, &wait, deadline)) {
 *             re-read the job;
 *             if (it changed, or is terminal) break;
 *         }
 *     }
 *     waiters_leave(w, &wait);
 *     answer with the last read;
 *
 * Entering before the first read is what makes it race-free: a change
 * committed after that read sends its notification after the enter, so
 * the next sleep returns at once ("fired" is kept between calls).  When
 * waiters_enter returns false (max_waiters already wait, waiting is
 * disabled, or the process is stopping), the route answers at once.
 *
 * Locking: one mutex per Waiters guards the list of waiters, their
 * fields and the listener's up/down state; each Wait's condition variable
 * is waited on with that mutex.  It is the only lock of this module and no
 * other lock is taken while it is held (logging and every libpq call
 * happen outside it), so there is no lock order to get wrong; callers
 * must not hold a lock of their own that the listener could need (it
 * takes none of theirs).
 */
#ifndef PGJOB_WAITERS_H
#define PGJOB_WAITERS_H

#include <pthread.h>
#include <stdbool.h>

#include "error.h"
#include "uuid.h"

/* How often, at most, a waiter re-reads its job while the listener is
 * down, and how often the listener retries its connection, in ms. */
enum { WAITERS_FALLBACK_MS = 1000 };

typedef struct Waiters Waiters;

/* Wait is one waiting request, owned by the caller (on its stack) from
 * waiters_enter to waiters_leave.  Its fields are private to waiters.c,
 * which reads and writes them under the Waiters lock. */
typedef struct Wait {
    char job_id[UUID_TEXT_SIZE]; /* the awaited job, lower case */
    bool registered;             /* between a successful enter and its leave */
    bool fired;                  /* a notification named the job since the last sleep */
    bool sleeping;               /* inside waiters_sleep now */
    pthread_cond_t wake;         /* CLOCK_MONOTONIC; signalled when fired or stopping */
    struct Wait *prev, *next;    /* the Waiters list */
} Wait;

/* waiters_start returns a new Waiters for at most max_waiters waiters at
 * once, and starts its listener thread, which connects with conninfo
 * (db_connect; "" is libpq's environment) and LISTENs on pgjob_job.  The
 * connection is made in the thread, so a database that is down now does
 * not fail the start: the listener keeps retrying (see above).
 * max_waiters 0 disables waiting: no thread and no connection, and every
 * waiters_enter returns false.
 * Test seam: conninfo NULL starts no listener thread either; the listener
 * counts as up and only waiters_notify (and waiters_set_listening) wake
 * waiters, so the unit tests need no PostgreSQL.
 * Returns NULL with err filled (500) when out of memory or when the
 * thread cannot be started.  Free with waiters_stop. */
Waiters *waiters_start(const char *conninfo, int max_waiters, Error *err);

/* waiters_shutdown wakes every waiter (their sleeps return false) and
 * makes every later waiters_enter fail, without freeing anything: call it
 * when the process starts to stop, before joining the request threads,
 * so a held long-poll is answered at once.  NULL is fine. */
void waiters_shutdown(Waiters *w);

/* waiters_stop wakes every waiter (their waiters_sleep returns false and
 * later waiters_enter calls fail), stops and joins the listener thread,
 * which closes its connection, waits until every waiter has called
 * waiters_leave, and frees w.  NULL is fine. */
void waiters_stop(Waiters *w);

/* waiters_enter registers wait (caller-owned, uninitialised) for job_id (a
 * uuid of either case, borrowed).  Returns false, leaving nothing to
 * undo, when w is NULL or disabled, max_waiters already wait, the process
 * is stopping, or job_id is not a uuid: the caller then answers at once.
 * waiters_leave is needed (and harmless) either way. */
bool waiters_enter(Waiters *w, Wait *wait, const char *job_id) __attribute__((warn_unused_result));

/* waiters_sleep blocks the caller until one of:
 *   - a notification named the job since enter or the previous sleep:
 *     true (re-read the job);
 *   - the listener is down and WAITERS_FALLBACK_MS passed: true (re-read
 *     the job; the change may have been missed);
 *   - deadline_ms (CLOCK_MONOTONIC, waiters_now_ms) passed, or the
 *     process is stopping: false (answer with what was read last).
 * Call it only between a successful waiters_enter and waiters_leave, from
 * one thread at a time per Wait. */
bool waiters_sleep(Waiters *w, Wait *wait, long long deadline_ms);

/* waiters_leave unregisters wait; a wait whose waiters_enter failed is
 * left alone.  Afterwards wait may go out of scope. */
void waiters_leave(Waiters *w, Wait *wait);

/* waiters_count returns the number of registered waiters now (the
 * pgjob_waiters gauge); 0 for NULL. */
int waiters_count(const Waiters *w);

/* waiters_sleeping returns how many of them are inside waiters_sleep
 * now; 0 for NULL.  For tests, which wait for sleepers before they
 * notify. */
int waiters_sleeping(const Waiters *w);

/* waiters_notify wakes every registered waiter whose job payload names
 * (waiters_payload_names).  The listener thread calls it for each
 * notification it reads; tests call it to inject one.  payload is
 * borrowed. */
void waiters_notify(Waiters *w, const char *payload);

/* waiters_set_listening records whether the listener is up (LISTEN in
 * place).  Going down makes sleepers fall back to WAITERS_FALLBACK_MS
 * ticks; coming back up after being down wakes every waiter once.  The
 * listener thread calls it; tests call it to simulate a broken
 * connection. */
void waiters_set_listening(Waiters *w, bool up);

/* waiters_payload_names says whether a pgjob_job payload names job_id:
 * the payload is "*", or one of its space-separated tokens equals job_id
 * exactly (the ids are lower case on both sides).  NULL or empty
 * arguments name nothing. */
bool waiters_payload_names(const char *payload, const char *job_id);

/* waiters_now_ms returns CLOCK_MONOTONIC in milliseconds, the clock of
 * waiters_sleep's deadline. */
long long waiters_now_ms(void);

#endif
