/* SPDX-License-Identifier: MIT */
/*
 * submit_group.h - the group submit of one pgjob.fcgi process.
 *
 * Most of what a submit costs the database is paid once per statement
 * (sql/018_submit_group.sql says what), so the submits that this
 * process's request threads make while one is being written are gathered
 * and written together, by one call of pgjob.submit_group.  It works as
 * a group commit does: a thread that finds nothing being written writes
 * at once, its own submit and whatever has gathered; the others wait for
 * that write to end, and the first of them whose submit is still unwritten
 * then writes the next group.  An idle process adds no wait: a lone
 * submit is written alone, with STMT_SUBMIT (or STMT_SUBMIT_KEY), exactly
 * as before.
 *
 * Every submit gets the answer it would have had alone.  A group that
 * pgjob.submit_group refuses (a submission that breaks a rule, a body the
 * database cannot read) was not written, so its submits are then written
 * one by one and each gets its own answer.  A group that fails because
 * the database is unreachable or timed out gives each submit that error,
 * as a lone submit would have had; none is tried again, because a broken
 * connection does not say whether the statement was committed.
 *
 * Only submits without an idempotency key, of bodies up to
 * SUBMIT_GROUP_BODY_MAX bytes, are grouped (api_jobs.c).
 */
#ifndef PGJOB_SUBMIT_GROUP_H
#define PGJOB_SUBMIT_GROUP_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "dbconn.h"
#include "error.h"

typedef struct SubmitGroup SubmitGroup;

/* A submit whose body is longer than this is written alone, on its
 * thread's connection: a large write would hold up every submit of the
 * group behind it. */
enum { SUBMIT_GROUP_BODY_MAX = 64 * 1024 };

/* GroupSubmit is one submit: STMT_SUBMIT's ten parameters, in its order
 * (account, type, body, priority, run_at, max_attempts, idempotency key
 * (NULL for a group), api key id, retention days, inline max bytes), and the
 * caller's key hash.  params[0] "" means the account is not known yet:
 * the key is looked up with the submit, as STMT_SUBMIT_KEY does.  The
 * retention days and inline max bytes must be the same for every submit
 * of a process (they come from its configuration).  All borrowed. */
typedef struct GroupSubmit {
    const char *params[10];
    const char *key_hash;
} GroupSubmit;

/* GroupCounts is what a group submit did so far, for the metrics. */
typedef struct GroupCounts {
    int waiting;          /* submits waiting for a group write now */
    long long statements; /* statements that wrote two submits or more */
    long long grouped;    /* submits those statements wrote */
} GroupCounts;

/* submit_group_new returns a new group, or NULL when out of memory.  Its
 * writes go through a database connection of its own, for conninfo
 * (dbconn_new's arguments), used by one writing thread at a time: one
 * backend, kept warm, writes every group.  A thread waits with one submit
 * at most, so a group holds at most as many submits as the process has
 * request threads. */
SubmitGroup *submit_group_new(const char *conninfo, int statement_timeout_seconds);

/* submit_group_free frees g, which no thread may be using; NULL is fine. */
void submit_group_free(SubmitGroup *g);

/* submit_group_run writes s, with whatever submits gather beside it.
 * Returns what dbconn_exec of STMT_SUBMIT_KEY would have
 * (when params[0] is "") or of STMT_SUBMIT (otherwise): a new PGresult
 * of one row (with auth_account and auth_key too when the key was looked
 * up), no row when the key looked up is not live, or NULL with err and
 * field (DB_FIELD_SIZE) filled. */
PGresult *submit_group_run(SubmitGroup *g, const GroupSubmit *s, Error *err, char *field);

/* submit_alone writes s by itself, with STMT_SUBMIT_KEY (params[0] "")
 * or STMT_SUBMIT, as submit_group_run answers; the idempotency key may be
 * set.  The way every submit that may not be grouped is written. */
PGresult *submit_alone(DbConn *db, const GroupSubmit *s, Error *err, char *field);

/* submit_group_counts reads g's counts; g NULL reads zeros. */
GroupCounts submit_group_counts(SubmitGroup *g);

#endif
