/* SPDX-License-Identifier: MIT */
/*
 * maint.h - the maintenance statements, in bounded batches.  Rescue puts
 * jobs whose lease expired back in the queue; every daemon runs it, so
 * that a hung daemon cannot stop the rescue of its own jobs (pgjob.rescue
 * skips rows another daemon is rescuing).  Expire turns terminal jobs
 * past retention into stubs, the result cache is bounded and prune
 * deletes old stubs: those are done by one daemon at a time, the one
 * holding a session advisory lock on its maintenance connection.
 *
 * The statements are sent without waiting (maint_send) and their answers
 * read when they come (maint_read): the dispatcher runs them on a
 * connection of their own (maintlane.c), so a slow one never holds up
 * claims, outcomes or renewals.  maint_try_lock is the one blocking call,
 * for setting up that connection.
 */
#ifndef PGJOB_MAINT_H
#define PGJOB_MAINT_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"

/* MaintStep names one maintenance statement. */
typedef enum MaintStep {
    MAINT_NONE,        /* no statement */
    MAINT_SETUP,       /* a new connection's statement_timeout */
    MAINT_RESCUE,      /* pgjob.rescue: every daemon */
    MAINT_LOCK,        /* pg_try_advisory_lock: try to become the maintainer */
    MAINT_EXPIRE,      /* pgjob.expire: the maintainer */
    MAINT_CACHE_PRUNE, /* pgjob.result_cache_prune: the maintainer, after expire */
    MAINT_PRUNE,       /* pgjob.prune: the maintainer */
} MaintStep;

/* MAINT_ROUNDS bounds the statements of one step in a row: a backlog
 * larger than this many batches waits for the step's next turn. */
enum { MAINT_ROUNDS = 10 };

/* MaintArgs are the configuration values the statements take. */
typedef struct MaintArgs {
    int batch;            /* maintenance_batch */
    int prune_after_days; /* prune_after_days */
    int cache_seconds;    /* result_cache_seconds; 0: the cache is off */
    int cache_entries;    /* result_cache_entries */
    long statement_ms;    /* MAINT_SETUP: the session's statement_timeout, ms */
} MaintArgs;

/* MaintCounts add up what the statements did. */
typedef struct MaintCounts {
    long retried, requeued, failed; /* rescue: back in line, never started, failed for good */
    long expired, cached, pruned;   /* expire, result cache prune, prune */
    bool locked;                    /* MAINT_LOCK: the lock is held on this connection */
} MaintCounts;

/* maint_step_name is the step's name for the log. */
const char *maint_step_name(MaintStep step);

/* maint_send sends step's statement on c without waiting for it.  false
 * when it could not be sent (the connection is broken). */
bool maint_send(PGconn *c, MaintStep step, const MaintArgs *args);

/* maint_read takes one result r of step's statement: adds what it did to
 * *counts and returns the rows it handled (a round of args->batch rows or
 * more means more may wait), or -1 with err filled when r is an error. */
long maint_read(PGconn *c, MaintStep step, const PGresult *r, MaintCounts *counts, Error *err);

/* maint_try_lock tries to become the maintainer on c, waiting for the
 * answer.  Returns true when this connection holds the lock (now or
 * already).  On a statement error it returns false with err filled. */
bool maint_try_lock(PGconn *c, bool *held, Error *err) __attribute__((warn_unused_result));

#endif
