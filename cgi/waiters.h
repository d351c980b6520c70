/* SPDX-License-Identifier: MIT */
/*
 * waiters.h - long-polls of one pgjob.fcgi process.  One listener thread
 * per process, with its own connection, LISTENs on channel pgjob_job and
 * wakes the waiters whose job a notification names, so a process holds
 * one listening connection however many clients wait.  A waiter is
 * either parked (a read: no thread held, see below; at most max_waiters
 * per process) or a request thread sleeping on its own condition
 * variable (a submit's Prefer: wait; at most max_threads of them, so
 * that the other threads stay free for plain requests).
 *
 * Notifications (sql/002_jobs.sql): every statement that changes jobs
 * sends one, whose payload is the changed job ids in lower case separated
 * by single spaces, or "*" when more than 200 changed.
 *
 * The listener waits in one place, an epoll_wait on the connection's
 * socket, a stop pipe, a wake-up eventfd and the parked connections, with
 * a timeout of about a second at most.  A broken connection
 * is a state, not a crash: it is logged once (warning), retried every
 * second, and its return is logged (info).  While the listener is down,
 * waiters_sleep returns at least once a second so that the caller re-reads
 * its job (a bounded fallback); when it is back, every waiter is woken
 * once, since changes may have gone unnoticed meanwhile.
 *
 * The usage pattern of a route whose wait holds its thread:
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
 * Parked waits (waiters_reserve, waiters_park): a long-poll read does not
 * hold its request thread.  It reserves a wait, reads its job, and parks
 * the wait with the file descriptor of its client connection, a deadline
 * and a callback; the request thread goes back to accept.  The listener
 * thread watches every parked connection (epoll) and runs the callback,
 * one at a time, when a notification names the job (or the listener was
 * down, see above), at the deadline, when the process stops, or when the
 * client connection closes.  The callback re-reads the job and either
 * answers or parks the wait again (waiters_rearm).  An answer is written
 * without blocking: what the connection does not take at once is written
 * as it drains (waiters_rearm_write), and the wait leaves
 * (waiters_leave) once it is all written, the client is gone or the
 * write's deadline passed.  So one process holds up to max_waiters
 * long-polls with a handful of threads.  A callback whose re-read finds
 * the database down parks its wait again with waiters_rearm_db_down:
 * it then skips the ticks of a listener that is down and runs again once
 * the listener reconnects (or at its deadline), so that a database
 * restart does not answer every parked wait 503 at once, and nothing
 * spins while it is down.  Only a wait that holds its
 * thread (waiters_enter: Prefer: wait on a submit) is also bounded by
 * max_threads.
 *
 * Locking: one mutex per Waiters guards the list of waiters, their
 * fields and the listener's up/down state; each Wait's condition variable
 * is waited on with that mutex.  It is the only lock of this module and no
 * other lock is taken while it is held (logging, every libpq call and
 * every parked wait's callback happen outside it), so there is no lock
 * order to get wrong; callers must not hold a lock of their own that the
 * listener could need (it takes none of theirs).
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

/* WaitReason is why the listener runs a parked wait's callback. */
typedef enum WaitReason {
    WAIT_NOTIFIED, /* a notification named the job, or changes may have gone unnoticed */
    WAIT_DEADLINE, /* its deadline passed */
    WAIT_STOPPING, /* the process is stopping: answer with the job as it is now */
    WAIT_GONE,     /* its client connection closed (or aborted the request) */
    WAIT_WRITABLE, /* its connection takes more of its answer (waiters_rearm_write) */
} WaitReason;

struct Wait;

/* WaitReady is a parked wait's callback, run by the listener thread
 * without the lock.  It must end with waiters_leave (and may then free
 * the Wait) or waiters_rearm. */
typedef void (*WaitReady)(struct Wait *wait, WaitReason why, void *arg);

/* Wait is one waiting request, owned by the caller from waiters_enter
 * (on its stack) or waiters_reserve (on the heap, for a parked wait) to
 * waiters_leave.  Its fields are private to waiters.c, which reads and
 * writes them under the Waiters lock. */
typedef struct Wait {
    char job_id[UUID_TEXT_SIZE]; /* the awaited job, lower case */
    bool registered;             /* between a successful enter and its leave */
    bool fired;                  /* a notification named the job since the last sleep */
    bool sleeping;               /* inside waiters_sleep now */
    bool holds_thread;           /* entered with waiters_enter (counts against max_threads) */
    bool parked;                 /* handed to the listener (waiters_park, waiters_rearm) */
    bool taken;                  /* the listener is running its callback */
    bool gone;                   /* its client connection closed while parked */
    bool writing;                /* its answer is being written (waiters_rearm_write) */
    bool writable;               /* writing, and its connection takes more */
    bool db_down;                /* its last re-read found the database down */
    long long retry_at_ms;       /* db_down, the listener up: re-read it from then on */
    WaitReason why;              /* the reason of the callback being run */
    int fd;                      /* the parked client connection, watched by the listener */
    long long deadline_ms;       /* a parked wait's deadline (waiters_now_ms) */
    WaitReady ready;             /* a parked wait's callback, and its argument */
    void *ready_arg;
    pthread_cond_t wake; /* CLOCK_MONOTONIC; signalled when fired or stopping (waiters_enter) */
    struct Wait *prev, *next; /* the Waiters list */
    struct Wait *ready_next;  /* the listener's batch of callbacks to run */
} Wait;

/* waiters_start returns a new Waiters for at most max_waiters waiters at
 * once, of which at most max_threads hold their thread (waiters_enter),
 * and starts its listener thread, which connects with conninfo
 * (db_connect; "" is libpq's environment) and LISTENs on pgjob_job.  The
 * connection is made in the thread, so a database that is down now does
 * not fail the start: the listener keeps retrying (see above).
 * max_waiters 0 disables waiting: no thread and no connection, and every
 * waiters_enter and waiters_reserve returns false.
 * Test seam: with conninfo NULL the listener thread makes no connection;
 * it counts as up and only waiters_notify (and waiters_set_listening)
 * wake waiters, so the unit tests need no PostgreSQL.
 * Returns NULL with err filled (500) when out of memory or when the
 * thread cannot be started.  Free with waiters_stop. */
Waiters *waiters_start(const char *conninfo, int max_waiters, int max_threads, Error *err);

/* waiters_shutdown wakes every waiter (their sleeps return false) and
 * makes every later waiters_enter fail, without freeing anything: call it
 * when the process starts to stop, before joining the request threads,
 * so a held long-poll is answered at once.  NULL is fine. */
void waiters_shutdown(Waiters *w);

/* waiters_stop wakes every waiter (their waiters_sleep returns false and
 * later waiters_enter calls fail), runs the callback of every parked wait
 * (WAIT_STOPPING) in the listener thread, lets the answers under way
 * (waiters_rearm_write) finish or reach their deadline, stops and joins
 * that thread,
 * which closes its connection, waits until every waiter has called
 * waiters_leave, and frees w.  Call it once no thread parks any more.
 * NULL is fine. */
void waiters_stop(Waiters *w);

/* waiters_enter registers wait (caller-owned, uninitialised) for job_id (a
 * uuid of either case, borrowed), a wait that holds its thread
 * (waiters_sleep).  Returns false, leaving nothing to undo, when w is
 * NULL or disabled, max_waiters already wait or max_threads already hold
 * their thread, the process is stopping, or job_id is not a uuid: the
 * caller then answers at once.  waiters_leave is needed (and harmless)
 * either way. */
bool waiters_enter(Waiters *w, Wait *wait, const char *job_id) __attribute__((warn_unused_result));

/* waiters_reserve is waiters_enter for a wait that will be parked
 * (waiters_park): it is bounded by max_waiters only.  Notifications are
 * recorded from now on, so read the job after it, then park. */
bool waiters_reserve(Waiters *w, Wait *wait, const char *job_id)
    __attribute__((warn_unused_result));

/* waiters_park hands the reserved wait to the listener thread, which
 * from now on owns it: it runs ready(wait, why, arg) when a notification
 * named the job since the reserve (or since the last callback), at
 * deadline_ms, when the process stops, or when fd (the client
 * connection, borrowed until the callback) is closed by the peer.  The
 * caller must touch neither wait nor what arg names afterwards.  Returns
 * false, leaving the wait reserved (the caller answers and leaves), when
 * fd cannot be watched or waiters_stop has begun. */
bool waiters_park(Waiters *w, Wait *wait, int fd, long long deadline_ms, WaitReady ready, void *arg)
    __attribute__((warn_unused_result));

/* waiters_park_write registers wait (caller-owned, uninitialised) for
 * an answer already made, that fd (a held request's connection, borrowed
 * until the callback) did not take at once, and hands it to the listener
 * as waiters_rearm_write does: ready(wait, why, arg) runs with
 * WAIT_WRITABLE when the connection takes more, and when the client
 * leaves or at deadline_ms.  It awaits no job and counts against
 * max_waiters.  The caller then touches neither wait nor what arg names.
 * Taken while the process stops too (after waiters_shutdown), but not
 * once waiters_stop was called; waiters_stop writes it to its end or its
 * deadline first.  False, with nothing to undo, when waiting is
 * disabled, max_waiters wait already, or fd cannot be watched. */
bool waiters_park_write(Waiters *w, Wait *wait, int fd, long long deadline_ms, WaitReady ready,
                        void *arg) __attribute__((warn_unused_result));

/* waiters_rearm parks again, from its callback, a wait whose job did not
 * change (a notification of another job's batch, "*"): same connection,
 * deadline and callback. */
void waiters_rearm(Waiters *w, Wait *wait);

/* waiters_rearm_db_down parks again, from its callback, a wait whose
 * re-read failed because the database is unreachable (a restart, an
 * outage): its client gets no 503 yet.  While the listener is down the
 * wait is not re-read (the listener's own reconnection attempts, once a
 * second, are the probe); it runs again (WAIT_NOTIFIED) when the
 * listener reconnects, when a notification names its job, or, should
 * the listener be up all along, WAITERS_FALLBACK_MS later; at its
 * deadline it runs with WAIT_DEADLINE as usual, to answer with the job
 * or, the database still being down, with the 503. */
void waiters_rearm_db_down(Waiters *w, Wait *wait);

/* waiters_listening_since returns when the listener last (re)connected
 * and LISTENed (waiters_now_ms), 0 if it never did (or makes no
 * connection).  A database connection that failed before then may try
 * again at once: the database was up then. */
long long waiters_listening_since(const Waiters *w);

/* waiters_rearm_write parks again, from its callback, a wait whose
 * answer did not fit into its connection at once: the listener runs the
 * callback with WAIT_WRITABLE when the connection takes more, and as
 * usual when the client leaves, the process stops or at deadline_ms (the
 * time the answer may take); notifications no longer run it.  So a
 * client that reads slowly holds its slot, never the listener. */
void waiters_rearm_write(Waiters *w, Wait *wait, long long deadline_ms);

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

/* waiters_parked returns how many of them are parked now; 0 for NULL. */
int waiters_parked(const Waiters *w);

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
