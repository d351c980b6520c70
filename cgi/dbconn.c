/* SPDX-License-Identifier: MIT */
/* dbconn.c - lazy connection, prepared statements, SQLSTATE to HTTP. */
#include "dbconn.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "schema.h"
#include "strnum.h"

/* Statement is one row of the statement table. */
typedef struct Statement {
    const char *name;
    const char *sql;
    int nparams;
} Statement;

/* The columns of a job as the API shows it (pgjob.job_fields); a
 * function returning pgjob.job rows gives the same names, with results
 * left out from $3 bytes on. */
#define JOB_FIELDS                                                                        \
    "id, type, status, item_count, items_done, items_failed, results, results_bytes, "    \
    "error, metadata, attempt_count, max_attempts, priority, run_at, created_at, "        \
    "started_at, completed_at, updated_at, expires_at, processing_ms, validation_flags, " \
    "confidence, model, cache_hit, version, idempotency_key"
#define JOB_ROW_FIELDS                                                                    \
    "id, type, status, item_count, items_done, items_failed,"                             \
    " CASE WHEN results_bytes < $3::bigint THEN results END AS results, results_bytes, "  \
    "error, metadata, attempt_count, max_attempts, priority, run_at, created_at, "        \
    "started_at, completed_at, updated_at, expires_at, processing_ms, validation_flags, " \
    "confidence, model, cache_hit, version, idempotency_key"

/* The columns of pgjob.submit's row s around its results, which are left
 * out from large_result_bytes on (a CASE on the statement's parameter). */
#define SUBMITTED_HEAD                                                         \
    "s.created, (s.job).id, (s.job).type, (s.job).status, (s.job).item_count," \
    " (s.job).items_done, (s.job).items_failed,"
#define SUBMITTED_TAIL                                                        \
    " (s.job).results_bytes, (s.job).error,"                                  \
    " (s.job).metadata, (s.job).attempt_count, (s.job).max_attempts,"         \
    " (s.job).priority, (s.job).run_at, (s.job).created_at,"                  \
    " (s.job).started_at, (s.job).completed_at, (s.job).updated_at,"          \
    " (s.job).expires_at, (s.job).processing_ms, (s.job).validation_flags,"   \
    " (s.job).confidence, (s.job).model, (s.job).cache_hit, (s.job).version," \
    " (s.job).idempotency_key"

static const Statement statements[STMT_COUNT] = {
    [STMT_KEY_LOOKUP] = {"key_lookup",
                         "SELECT account_id, key_id FROM pgjob.api_key_lookup($1::bytea)", 1},
    /* items and metadata are taken from the request body as the client
     * wrote it, so numbers keep every digit. */
    [STMT_SUBMIT] = {"submit",
                     "SELECT " SUBMITTED_HEAD " CASE WHEN (s.job).results_bytes < $10::bigint THEN "
                     "(s.job).results END AS results," SUBMITTED_TAIL
                     " FROM pgjob.submit($1::bigint, $2, ($3::jsonb) -> 'items', $4::integer,"
                     " $5::timestamptz, $6::integer,"
                     " coalesce(($3::jsonb) -> 'metadata', '{}'::jsonb), $7, $8::bigint,"
                     " make_interval(days => $9::integer)) AS s",
                     10},
    /* STMT_SUBMIT with the key looked up in the same statement, for a
     * caller whose key was found live lately (keycache.h): no row means
     * the key is not live now (pgjob.api_key_lookup says which keys are),
     * and then submit never ran.  api_key_lookup is a plain SQL function,
     * inlined by the planner. */
    [STMT_SUBMIT_KEY] =
        {"submit_key",
         "SELECT k.account_id AS auth_account, k.key_id AS auth_key, " SUBMITTED_HEAD
         " CASE WHEN (s.job).results_bytes < $9::bigint THEN (s.job).results END AS "
         "results," SUBMITTED_TAIL " FROM pgjob.api_key_lookup($1::bytea) AS k"
         " CROSS JOIN LATERAL pgjob.submit(k.account_id, $2, ($3::jsonb) -> 'items', $4::integer,"
         " $5::timestamptz, $6::integer,"
         " coalesce(($3::jsonb) -> 'metadata', '{}'::jsonb), $7, k.key_id,"
         " make_interval(days => $8::integer)) AS s",
         9},
    [STMT_GET_JOB] = {"get_job",
                      "SELECT " JOB_FIELDS " FROM pgjob.get_job($1::bigint, $2::uuid, $3::bigint)",
                      3},
    /* The status read, the hot path, in one round trip: no row means the
     * key is not live (pgjob.api_key_lookup says which keys are), a row
     * with a null id an unknown job.  api_key_lookup is a plain SQL
     * function, inlined by the planner. */
    [STMT_GET_JOB_KEY] = {"get_job_key",
                          "SELECT k.account_id AS auth_account, j.*"
                          " FROM pgjob.api_key_lookup($1::bytea) k"
                          " LEFT JOIN LATERAL pgjob.get_job(k.account_id, $2::uuid, $3::bigint) j"
                          " ON true",
                          3},
    [STMT_LIST_JOBS] = {"list_jobs",
                        "SELECT " JOB_FIELDS
                        " FROM pgjob.list_jobs($1::bigint, $2, $3, $4::timestamptz,"
                        " $5::timestamptz, $6::uuid, $7::integer)",
                        7},
    [STMT_CANCEL] = {"cancel", "SELECT " JOB_ROW_FIELDS " FROM pgjob.cancel($1::bigint, $2::uuid)",
                     3},
    [STMT_PAUSE] = {"pause", "SELECT " JOB_ROW_FIELDS " FROM pgjob.pause($1::bigint, $2::uuid)", 3},
    [STMT_RESUME] = {"resume", "SELECT " JOB_ROW_FIELDS " FROM pgjob.resume($1::bigint, $2::uuid)",
                     3},
    [STMT_GET_RESULTS] = {"get_results",
                          "SELECT results, total, status, version"
                          " FROM pgjob.get_results($1::bigint, $2::uuid, $3::integer,"
                          " $4::integer)",
                          4},
    [STMT_QUEUE_DEPTH] = {"queue_depth", "SELECT status, jobs FROM pgjob.queue_depth()", 0},
    /* An API profile's read: no row means the key is not live; else the
     * key's account and id, the job's owner (account and creating key;
     * NULL: no such job) and the job when it is the key's account's,
     * with its results as one output per item, the first item's output
     * and the error's message, as the profiles show them. */
    [STMT_PROFILE_JOB] =
        {"profile_job",
         "SELECT k.account_id AS auth_account, k.key_id AS auth_key,"
         " o.account_id AS owner_account, o.api_key_id AS owner_key, j.*,"
         " (SELECT coalesce(jsonb_agg(coalesce(nullif(e.value -> 'output', 'null'::jsonb),"
         "  jsonb_build_object('error', e.value -> 'error')) ORDER BY e.n), '[]'::jsonb)"
         "  FROM jsonb_array_elements(j.results) WITH ORDINALITY AS e(value, n)) AS outputs,"
         " j.results -> 0 -> 'output' AS first_output, j.error ->> 'message' AS error_message"
         " FROM pgjob.api_key_lookup($1::bytea) k"
         " LEFT JOIN pgjob.job o ON o.id = $2::uuid"
         " LEFT JOIN LATERAL pgjob.get_job(k.account_id, $2::uuid, $3::bigint) j ON true",
         3},
    /* STMT_SUBMIT with the items under the body's key $11 (a profile's
     * "transactions"), and no metadata. */
    [STMT_PROFILE_SUBMIT] = {"profile_submit",
                             "SELECT " SUBMITTED_HEAD
                             " CASE WHEN (s.job).results_bytes < $10::bigint THEN (s.job).results "
                             "END AS results," SUBMITTED_TAIL
                             " FROM pgjob.submit($1::bigint, $2, ($3::jsonb) -> $11, $4::integer,"
                             " $5::timestamptz, $6::integer, '{}'::jsonb, $7, $8::bigint,"
                             " make_interval(days => $9::integer)) AS s",
                             11},
    [STMT_OUTCOME_COUNTS] = {"outcome_counts",
                             "SELECT type, outcome, jobs FROM pgjob.outcome_counts()", 0},
    /* The body is parsed once (the lateral subquery), and the document's
     * bytes decoded from it by the database: the front end sends them
     * once, inside the body. */
    [STMT_SUBMIT_DOCUMENT] =
        {"submit_document",
         "SELECT " SUBMITTED_HEAD " CASE WHEN (s.job).results_bytes < $10::bigint THEN "
         "(s.job).results END AS results," SUBMITTED_TAIL ","
         /* The profiles' "result" of a job answered from the cache. */
         " CASE WHEN (s.job).results_bytes < $10::bigint THEN (s.job).results -> 0 -> 'output'"
         " END AS first_output"
         " FROM (SELECT $3::jsonb AS b) AS body,"
         " LATERAL (SELECT body.b #> '{items,0}' AS i) AS item,"
         " LATERAL pgjob.submit_document($1::bigint, $2,"
         "  jsonb_build_array(item.i - 'file_base64' - 'data_base64' - 'text' - 'content_type'"
         "   - 'size_bytes' || $11::jsonb),"
         "  $4::integer, $5::timestamptz, $6::integer,"
         "  CASE WHEN jsonb_typeof(body.b -> 'metadata') = 'object' THEN body.b -> 'metadata'"
         "   ELSE '{}'::jsonb END,"
         "  $7, $8::bigint, make_interval(days => $9::integer),"
         "  CASE WHEN item.i ? 'text' THEN convert_to(item.i ->> 'text', 'UTF8')"
         "   ELSE decode(coalesce(item.i ->> 'file_base64', item.i ->> 'data_base64'), 'base64')"
         "  END,"
         "  $12,"
         "  CASE WHEN jsonb_typeof(item.i -> 'options') = 'object' THEN item.i -> 'options'"
         "   ELSE '{}'::jsonb END,"
         "  CASE WHEN $13::integer > 0 THEN make_interval(secs => $13::integer) END,"
         "  $14::boolean, $15) AS s",
         15},
    /* The response body itself, so that the front end sends it from the
     * result without a copy. */
    [STMT_ALL_RESULTS] = {"all_results",
                          "SELECT json_build_object('job_id', $2::uuid, 'status', status,"
                          " 'total', coalesce(total, 0),"
                          " 'results', coalesce(results, '[]'::jsonb))::text || E'\\n'"
                          " FROM pgjob.get_all_results($1::bigint, $2::uuid)",
                          2},
    [STMT_SUBMIT_GROUP] =
        {"submit_group",
         "SELECT s.n, s.auth_account, s.auth_key, " SUBMITTED_HEAD
         " CASE WHEN (s.job).results_bytes < $10::bigint THEN (s.job).results END AS "
         "results," SUBMITTED_TAIL
         " FROM pgjob.submit_group($1::bigint[], $2::bytea[], $3::bigint[], $4::text[],"
         " $5::jsonb[], $6::integer[], $7::timestamptz[], $8::integer[],"
         " make_interval(days => $9::integer)) AS s ORDER BY s.n",
         10},
};

struct DbConn {
    PGconn *conn;
    char *conninfo;
    int statement_timeout_seconds; /* set on each new session; 0: the server's */
    long long retry_at_ms;         /* no connection attempt before this, monotonic ms */
    long long failed_at_ms;        /* when mark_down last dropped it, monotonic ms */
    bool down;                     /* the last attempt or statement found the database down */
    char last_state[6];            /* the SQLSTATE of the last failed statement; "" if none */
};

DbConn *dbconn_new(const char *conninfo, int statement_timeout_seconds)
{
    DbConn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->statement_timeout_seconds = statement_timeout_seconds;
    c->conninfo = strdup(conninfo ? conninfo : "");
    if (c->conninfo == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void dbconn_free(DbConn *c)
{
    if (c == NULL)
        return;
    if (c->conn != NULL)
        PQfinish(c->conn);
    free(c->conninfo);
    free(c);
}

bool dbconn_is_up(const DbConn *c)
{
    return c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK;
}

/* mark_down drops the connection after err (503) and logs the outage once. */
static void mark_down(DbConn *c, const Error *err)
{
    if (!c->down)
        log_warn("database unavailable: %s", err->message);
    c->down = true;
    if (c->conn != NULL)
        PQfinish(c->conn);
    c->conn = NULL;
    c->failed_at_ms = clock_ms();
    c->retry_at_ms = c->failed_at_ms + 1000;
}

const char *dbconn_last_sqlstate(const DbConn *c)
{
    return c->last_state;
}

void dbconn_retry_if_down_before(DbConn *c, long long since_ms)
{
    if (c->conn == NULL && c->down && c->failed_at_ms < since_ms)
        c->retry_at_ms = 0;
}

/* prepare_all prepares every statement on a new connection. */
static bool prepare_all(DbConn *c, Error *err)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        PGresult *r =
            PQprepare(c->conn, statements[i].name, statements[i].sql, statements[i].nparams, NULL);
        bool ok = db_command_ok(r);
        if (!ok)
            db_error(c->conn, r, "preparing statements", err);
        PQclear(r);
        if (!ok)
            return false;
    }
    return true;
}

/* bound_statements sets the session's statement_timeout: a statement
 * stuck behind a lock or on an overloaded server then fails (SQLSTATE
 * 57014) and frees the thread, instead of holding it until the web
 * server gives up on the request. */
static bool bound_statements(DbConn *c, Error *err)
{
    char ms[32];
    const char *params[1] = {ms};

    if (c->statement_timeout_seconds <= 0)
        return true;
    snprintf(ms, sizeof(ms), "%lld", (long long)c->statement_timeout_seconds * 1000);
    return db_run(c->conn, "SELECT set_config('statement_timeout', $1, false)", 1, params,
                  "setting statement_timeout", err);
}

/* ensure_connected opens and prepares the connection if needed. */
static bool ensure_connected(DbConn *c, Error *err)
{
    if (c->conn != NULL)
        return true;
    if (clock_ms() < c->retry_at_ms) {
        error_set(err, 503, "db_unavailable", "the database is unavailable");
        return false;
    }
    c->conn = db_connect(c->conninfo, "pgjob.fcgi", err);
    if (c->conn != NULL &&
        (!bound_statements(c, err) || !schema_check(c->conn, err) || !prepare_all(c, err))) {
        if (err->status != 503) {
            log_error("%s", err->message);
            error_set(err, 503, "db_unavailable",
                      "the database schema does not match this pgjob: run pgjobctl migrate");
        }
        PQfinish(c->conn);
        c->conn = NULL;
    }
    if (c->conn == NULL) {
        mark_down(c, err);
        error_set(err, 503, "db_unavailable", "the database is unavailable");
        return false;
    }
    if (c->down)
        log_info("database is back");
    c->down = false;
    return true;
}

/* The SQLSTATE of a statement canceled by statement_timeout or
 * pg_cancel_backend. */
#define SQLSTATE_QUERY_CANCELED "57014"

/* pj_code returns the Error code of a PJ SQLSTATE with status. */
static const char *pj_code(int status, const char *field)
{
    switch (status) {
        case 400:
            return "invalid_field";
        case 404:
            return "job_not_found";
        case 409:
            return "invalid_state";
        case 410:
            return "expired";
        case 422:
            if (strcmp(field, "idempotency_key") == 0)
                return "idempotency_key_reused";
            if (strcmp(field, "items") == 0)
                return "invalid_items";
            return "unprocessable";
    }
    return "error";
}

/* map_error fills err (and field) from a failed statement's result. */
static void map_error(DbConn *c, const PGresult *r, StmtId id, Error *err, char *field)
{
    const char *state = db_sqlstate(r);
    long status;

    snprintf(c->last_state, sizeof(c->last_state), "%s", state);
    if (strncmp(state, "PJ", 2) == 0 && strnum_long(state + 2, 400, 499, &status)) {
        const char *column = r ? PQresultErrorField(r, PG_DIAG_COLUMN_NAME) : NULL;
        snprintf(field, DB_FIELD_SIZE, "%s", column ? column : "");
        error_set(err, (int)status, pj_code((int)status, field), "%s", db_message(r));
        return;
    }
    db_error(c->conn, r, statements[id].name, err);
    /* query_canceled: statement_timeout fired (or an operator canceled
     * the statement).  The statement was rolled back and the session is
     * fine: the client may try again soon. */
    if (strcmp(state, SQLSTATE_QUERY_CANCELED) == 0 && PQstatus(c->conn) == CONNECTION_OK) {
        log_warn("%s", err->message);
        error_set(err, 503, "db_timeout",
                  "the database did not finish the request in time; try again later");
        return;
    }
    if (err->status == 503 || PQstatus(c->conn) != CONNECTION_OK) {
        mark_down(c, err);
        error_set(err, 503, "db_unavailable", "the database is unavailable");
        return;
    }
    log_error("%s", err->message);
    error_set(err, 500, "internal_error", "the request failed; see the server log");
}

/* is_read says whether statement id only reads, so it may be sent again
 * when the connection broke under it: a write might have been done. */
static bool is_read(StmtId id)
{
    return id == STMT_KEY_LOOKUP || id == STMT_GET_JOB || id == STMT_GET_JOB_KEY ||
           id == STMT_LIST_JOBS || id == STMT_GET_RESULTS || id == STMT_QUEUE_DEPTH ||
           id == STMT_PROFILE_JOB || id == STMT_OUTCOME_COUNTS;
}

/* exec_once runs the statement on the current connection. */
static PGresult *exec_once(DbConn *c, StmtId id, const char *const *params, Error *err, char *field)
{
    PGresult *r =
        PQexecPrepared(c->conn, statements[id].name, statements[id].nparams, params, NULL, NULL, 0);
    if (db_tuples_ok(r))
        return r;
    map_error(c, r, id, err, field);
    PQclear(r);
    return NULL;
}

/* closed_while_idle says whether the server sent anything on c's idle
 * connection: nothing is due between statements (this connection does not
 * LISTEN), so input there is nearly always the server ending the session
 * (a restart, pg_terminate_backend) and its end of file.  A poll, no round
 * trip. */
static bool closed_while_idle(const DbConn *c)
{
    struct pollfd p = {.fd = PQsocket(c->conn), .events = POLLIN};

    return p.fd < 0 || poll(&p, 1, 0) != 0;
}

PGresult *dbconn_exec(DbConn *c, StmtId id, const char *const *params, Error *err, char *field)
{
    bool was_connected = c->conn != NULL;
    PGresult *r;

    field[0] = '\0';
    c->last_state[0] = '\0';
    /* A write is never sent twice (it may have run before the connection
     * broke), so a connection the server closed while idle is replaced
     * before a write, as a read's retry below would replace it.  (A submit
     * with a recently seen key is a request's first statement.) */
    if (was_connected && !is_read(id) && closed_while_idle(c)) {
        log_info("database connection closed while idle; reconnecting");
        PQfinish(c->conn);
        c->conn = NULL;
        c->retry_at_ms = 0;
    }
    if (!ensure_connected(c, err))
        return NULL;
    r = exec_once(c, id, params, err, field);
    /* A connection that broke while idle (PostgreSQL restarted) is only
     * found out by the next statement: reconnect at once and run a read
     * again, rather than answer 503 while the database is back. */
    if (r == NULL && err->status == 503 && was_connected && is_read(id)) {
        c->retry_at_ms = 0;
        c->last_state[0] = '\0';
        error_clear(err);
        if (ensure_connected(c, err))
            r = exec_once(c, id, params, err, field);
    }
    return r;
}
