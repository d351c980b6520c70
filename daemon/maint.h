/* SPDX-License-Identifier: MIT */
/*
 * maint.h - maintenance in bounded batches.  Rescue puts jobs whose lease
 * expired back in the queue; every daemon runs it, so that a hung daemon
 * cannot stop the rescue of its own jobs (pgjob.rescue skips rows another
 * daemon is rescuing).  Expire turns terminal jobs past retention into
 * stubs and prune deletes old stubs: those are done by one daemon at a
 * time, the one holding a session advisory lock on its dispatcher
 * connection.
 */
#ifndef PGJOB_MAINT_H
#define PGJOB_MAINT_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"

/* maint_try_lock tries to become the maintainer on c.  Returns true when
 * this connection holds the lock (now or already).  On a statement error
 * it returns false with err filled. */
bool maint_try_lock(PGconn *c, bool *held, Error *err) __attribute__((warn_unused_result));

/* maint_rescue calls pgjob.rescue until a batch comes back short (at most
 * a few rounds) and adds its outcomes to *retried, *requeued (attempts
 * that never started) and *failed.  false with err on a statement error. */
bool maint_rescue(PGconn *c, int batch, long *retried, long *requeued, long *failed, Error *err)
    __attribute__((warn_unused_result));

/* maint_expire calls pgjob.expire the same way; adds to *expired. */
bool maint_expire(PGconn *c, int batch, long *expired, Error *err)
    __attribute__((warn_unused_result));

/* maint_prune calls pgjob.prune for stubs older than days; adds to *pruned. */
bool maint_prune(PGconn *c, int days, int batch, long *pruned, Error *err)
    __attribute__((warn_unused_result));

/* maint_cache_prune calls pgjob.result_cache_prune (sql/010_documents.sql)
 * for cached results older than max_seconds (0: the cache is off, all of
 * them) or beyond the newest max_rows; adds to *pruned. */
bool maint_cache_prune(PGconn *c, int max_seconds, int max_rows, int batch, long *pruned,
                       Error *err) __attribute__((warn_unused_result));

#endif
