/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the worker threads.  The dispatcher pushes claimed jobs; each
 * free worker takes one, runs it (run.h) on its own connection and queues
 * the outcome, then writes a byte to the dispatcher's wake-up pipe.  A
 * slow job holds only its own worker.
 */
#ifndef PGJOB_POOL_H
#define PGJOB_POOL_H

#include <stdbool.h>

#include "error.h"
#include "job.h"

typedef struct Pool Pool;

/* pool_start starts `workers` threads.  conninfo is copied; wake_fd is the
 * write end of the dispatcher's wake-up pipe (non-blocking), borrowed for
 * the pool's lifetime.  Returns a new pool (end it with pool_stop) or NULL
 * with err filled. */
Pool *pool_start(const char *conninfo, int workers, int wake_fd, Error *err);

/* pool_set_lease sets the lease and heartbeat periods used from the next
 * heartbeat on (after a reload). */
void pool_set_lease(Pool *p, int lease_seconds, int heartbeat_seconds);

/* pool_push queues the jobs of a list linked by ->next (stolen; NULL is
 * fine) for the free workers, in order, taking the lock once. */
void pool_push(Pool *p, Job *jobs);

/* pool_take_outcomes returns every finished outcome, oldest first, as a
 * list linked by ->next (the caller owns them and frees each with
 * outcome_free), or NULL when there is none. */
Outcome *pool_take_outcomes(Pool *p);

/* JobRef names one attempt of a job. */
typedef struct JobRef {
    char id[40];
    int attempt;
} JobRef;

/* pool_due_renewals copies into refs[0..max) the jobs waiting in the queue
 * whose lease was last renewed before before_ms, marks them renewed at
 * now_ms (the caller renews them at once), and returns how many. */
size_t pool_due_renewals(Pool *p, long long before_ms, long long now_ms, JobRef *refs, size_t max);

/* pool_drop takes the job id out of the queue, if it still waits there,
 * and turns it into an OUTCOME_NONE outcome (its attempt lost the job). */
void pool_drop(Pool *p, const char *id);

/* pool_abort makes every running job stop at its next progress call and
 * be handed back, and turns every queued job into a release outcome. */
void pool_abort(Pool *p);

/* pool_stop waits for the workers to finish what they run (call
 * pool_abort first to make that quick), ends the threads and frees the
 * pool with any outcome left in it.  NULL is fine. */
void pool_stop(Pool *p);

#endif
