/* SPDX-License-Identifier: MIT */
/*
 * dbconn.h - a front-end thread's database connection and its prepared
 * statements.  The connection is opened on first use and prepared then;
 * when it breaks, it is dropped and requests answer 503 with Retry-After
 * until a new one succeeds (tried at most once a second per thread), so
 * the process recovers by itself when PostgreSQL is back.
 *
 * Errors of the SQL functions map to HTTP through their SQLSTATE: class PJ
 * carries the status in its last three characters (sql/002_jobs.sql); the
 * statement's COLUMN field names the request field at fault.
 */
#ifndef PGJOB_DBCONN_H
#define PGJOB_DBCONN_H

#include <libpq-fe.h>

#include "error.h"

/* The statements a front end runs, one SQL function call each. */
typedef enum StmtId {
    STMT_KEY_LOOKUP,  /* $1 key hash (bytea) */
    STMT_SUBMIT,      /* account, type, body (items and metadata are read from it),
                         priority, run_at, max_attempts, idempotency key, api key id,
                         retention (days), inline max bytes */
    STMT_SUBMIT_KEY,  /* STMT_SUBMIT's, with the key hash for account and api key id:
                         key hash, type, body, priority, run_at, max_attempts,
                         idempotency key, retention (days), inline max bytes; no row:
                         the key is not live (nothing was written) */
    STMT_GET_JOB,     /* account, job id, inline max bytes */
    STMT_GET_JOB_KEY, /* key hash, job id, inline max bytes: key lookup and read at once */
    STMT_LIST_JOBS,   /* account, status, type, created_after, before_created, before_id, limit */
    STMT_CANCEL,      /* account, job id, inline max bytes */
    STMT_PAUSE,       /* account, job id, inline max bytes */
    STMT_RESUME,      /* account, job id, inline max bytes */
    STMT_GET_RESULTS, /* account, job id, offset, limit */
    STMT_QUEUE_DEPTH, /* none */
    STMT_PROFILE_JOB, /* key hash, job id, inline max bytes (NULL: always): an API profile's
                         read (profile_api.c): the key, the job's owner and the job at once */
    STMT_PROFILE_SUBMIT, /* STMT_SUBMIT's parameters and the body key holding the items */
    STMT_OUTCOME_COUNTS, /* none */
    /* A document job: STMT_SUBMIT's ten, then the stored item's added
     * fields (document.h), the media type, the cache age in seconds (0:
     * off) and whether the cache is shared; the bytes are read from the
     * body's items[0] (file_base64, data_base64 or text). */
    STMT_SUBMIT_DOCUMENT,
    STMT_ALL_RESULTS, /* account (NULL: a signed URL), job id: every result at once */
    /* Many submits without an idempotency key at once (submit_group.h), as
     * PostgreSQL array literals of one element each: accounts (NULL: look
     * up the key hash), key hashes, key ids, types, bodies, priorities,
     * run_ats, max_attempts; then retention (days) and inline max bytes.
     * One row per submit in order: STMT_SUBMIT_KEY's columns after n. */
    STMT_SUBMIT_GROUP,
    STMT_COUNT
} StmtId;

/* The size of DbFailure.field, NUL included. */
enum { DB_FIELD_SIZE = 64 };

typedef struct DbConn DbConn;

/* dbconn_new returns a new, not yet connected DbConn for conninfo
 * (copied; "" means libpq's environment) whose session bounds every
 * statement to statement_timeout_seconds (PostgreSQL's
 * statement_timeout, set once connected; 0: the server's own), or NULL
 * when out of memory. */
DbConn *dbconn_new(const char *conninfo, int statement_timeout_seconds);

/* dbconn_free closes the connection and frees c; NULL is fine. */
void dbconn_free(DbConn *c);

/* dbconn_exec runs statement id with its text parameters (NULL entries
 * are SQL NULL).  Returns a new PGresult with rows (PQclear it), or NULL
 * with err filled and, when the error names one, the request field in
 * field[DB_FIELD_SIZE] (else ""):
 *   PJxxx                  status xxx; code by status (invalid_field,
 *                          job_not_found, invalid_state, expired,
 *                          unprocessable, idempotency_key_reused)
 *   unreachable database   503 db_unavailable (the connection is dropped)
 *   statement_timeout or   503 db_timeout (the connection is kept: the
 *   a canceled statement       statement was rolled back, the session is fine)
 *   anything else          500 db_error (logged with the request id)
 * The server's message is the error's detail for PJ errors only. */
PGresult *dbconn_exec(DbConn *c, StmtId id, const char *const *params, Error *err, char *field);

/* dbconn_is_up says whether c holds a working connection now (without a
 * round trip). */
bool dbconn_is_up(const DbConn *c);

/* dbconn_last_sqlstate is the SQLSTATE the server gave the statement of
 * c's last dbconn_exec when it failed, or "" when it gave none: the
 * failure was libpq's own (out of memory, a lost connection, no
 * connection), and a statement that was sent may have been done. */
const char *dbconn_last_sqlstate(const DbConn *c);

/* dbconn_retry_if_down_before lets c's next statement connect at once,
 * rather than answer 503 until its retry time, when c has no connection
 * because its last attempt or statement failed before since_ms
 * (clock_ms): the caller learned that the database was up at since_ms
 * (the long-poll listener reconnected).  So one attempt is made per such
 * news, however many requests follow. */
void dbconn_retry_if_down_before(DbConn *c, long long since_ms);

#endif
