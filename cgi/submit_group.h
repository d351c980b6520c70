/* SPDX-License-Identifier: MIT */
/*
 * submit_group.h - the group submit of one pgjob.fcgi process.
 *
 * Most of what a submit costs the database is paid once per statement
 * (sql/018_submit_group.sql says what), so the submits of one process
 * are written together: a thread of the group's own, the writer, writes
 * every submit that waits, in one call of pgjob.submit_group; another,
 * the answerer, answers each while the writer writes the next ones,
 * which gathered meanwhile.  It works as a
 * database's group commit does.  An idle process adds no statement: a
 * submit that finds nothing waiting beside it is written alone, with
 * STMT_SUBMIT (or STMT_SUBMIT_KEY), exactly as before.
 *
 * A request thread either hands its submit over and goes back to accept
 * (submit_group_hand: the group answers the request, so a group is
 * bounded by the requests that arrive, not by the request threads), or
 * waits for the answer (submit_group_run).
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

/* The most submits, and the most bytes of bodies, one statement writes:
 * the rest of a long queue waits for the next statement, so that no
 * statement grows with a backlog (and risks statement_timeout, which
 * would fail every submit of it). */
enum { SUBMIT_GROUP_STATEMENT_MAX = 256, SUBMIT_GROUP_STATEMENT_BYTES = 4 * 1024 * 1024 };

/* The most submits handed to a group (submit_group_hand) and not yet
 * answered.  Each holds its client connection and its body, so past this
 * submit_group_hand refuses, and the request thread writes its submit
 * itself: it is then busy, which slows what it accepts (back-pressure). */
enum { SUBMIT_GROUP_QUEUE_MAX = 512 };

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
    long long refused;    /* hands refused: SUBMIT_GROUP_QUEUE_MAX were unanswered */
} GroupCounts;

/* submit_group_new returns a new group, with its two threads started,
 * or NULL when out of memory or when a thread cannot be started.  Its
 * writes go through a database connection of its own, for conninfo
 * (dbconn_new's arguments), used by the writer only: one backend, kept
 * warm, writes every group. */
SubmitGroup *submit_group_new(const char *conninfo, int statement_timeout_seconds);

/* submit_group_free stops taking submits, lets the writer write and the
 * answerer answer every one that waits, joins them and frees g.  No thread may hand
 * g a submit any more.  NULL is fine. */
void submit_group_free(SubmitGroup *g);

/* GroupAnswered is a submit's answer, called once by the answerer thread:
 * what dbconn_exec of STMT_SUBMIT_KEY would have returned (when
 * params[0] is "") or of STMT_SUBMIT (otherwise): r, a new PGresult of one
 * row (with auth_account and auth_key too when the key was looked up),
 * no row when the key looked up is not live, or NULL with err and field
 * (borrowed for the call) filled.  The callee owns r.  It must not wait
 * for anything slow: the answers after it wait for it. */
typedef void (*GroupAnswered)(void *arg, PGresult *r, const Error *err, const char *field);

/* submit_group_hand hands s (borrowed, with everything it points at,
 * until answered is called) to the writer; answered(arg, ...) is called
 * once it is written.  False, with nothing done, when out of memory,
 * when g is stopping, or when SUBMIT_GROUP_QUEUE_MAX handed submits are
 * not answered yet. */
bool submit_group_hand(SubmitGroup *g, const GroupSubmit *s, GroupAnswered answered, void *arg)
    __attribute__((warn_unused_result));

/* submit_group_run writes s, with whatever submits gather beside it, and
 * waits for the answer: the one GroupAnswered describes, returned (the
 * caller owns it), with err and field (DB_FIELD_SIZE) filled when NULL.
 * err's code is "out_of_resources" only when s could not be queued at
 * all (out of memory, or g stopping): then nothing was written, and the
 * caller may write s another way. */
PGresult *submit_group_run(SubmitGroup *g, const GroupSubmit *s, Error *err, char *field);

/* submit_alone writes s by itself, with STMT_SUBMIT_KEY (params[0] "")
 * or STMT_SUBMIT, as submit_group_run answers; the idempotency key may be
 * set.  The way every submit that may not be grouped is written. */
PGresult *submit_alone(DbConn *db, const GroupSubmit *s, Error *err, char *field);

/* submit_group_counts reads g's counts; g NULL reads zeros. */
GroupCounts submit_group_counts(SubmitGroup *g);

#endif
