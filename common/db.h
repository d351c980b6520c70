/* SPDX-License-Identifier: MIT */
/*
 * db.h - connecting to PostgreSQL and reading results.  Every statement
 * with a value in it goes through db_exec's parameters; no value is ever
 * formatted into SQL text.  Failures become an Error: status 503
 * ("db_unavailable") when the database cannot be reached or is shutting
 * down, 500 ("db_error") otherwise; the SQLSTATE and the server's message
 * stay readable from the PGresult through db_sqlstate and db_message for
 * callers that map their own codes (such as the "PJ" class of sql/).
 */
#ifndef PGJOB_DB_H
#define PGJOB_DB_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"

/* db_connect opens a connection.  conninfo is a libpq connection string
 * ("host=... dbname=...") or URL ("postgresql://..."), or a bare database
 * name; NULL or "" means the standard libpq environment (PGHOST,
 * PGDATABASE, PGUSER, ...).  application_name is only a fallback: the
 * conninfo or PGAPPNAME win.  The client encoding is always UTF8, and
 * server notices go to log_debug (warnings to log_warn).  Returns a new
 * connection (the caller closes it with PQfinish) or NULL with err filled:
 * 503 db_unavailable with libpq's reason, or 500 bad_conninfo for a
 * malformed conninfo, whose quoted parts are hidden (they may hold a
 * password).  Unless conninfo says otherwise, the connection gives up
 * connecting after connect_timeout (5 s) and sends TCP keepalives (after
 * 5 s idle, every 2 s, dead after 3 unanswered; unacknowledged data:
 * tcp_user_timeout 10 s), so a dead host is noticed. */
PGconn *db_connect(const char *conninfo, const char *application_name, Error *err);

/* db_exec runs one statement with nparams text parameters ($1...; a NULL
 * entry is SQL NULL), letting the server infer their types (cast in the
 * SQL where it matters).  Returns a new result the caller must PQclear, or
 * NULL when libpq could not even build one (out of memory, or the
 * connection is gone): pass it to db_error all the same.  When the calling
 * thread set a bound (db_bound_waits), an answer that does not come within
 * it breaks the connection (logged): the result is then an error and
 * PQstatus(c) is CONNECTION_BAD, as after any lost connection. */
PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params);

/* db_bound_waits bounds how long db_exec and db_run wait for an answer in
 * the calling thread, in ms (0: no bound, the default).  TCP keepalives
 * (db_connect) find a dead peer only while the line is idle; a database
 * host that silently drops packets while a statement is in flight would
 * otherwise hold the thread for good.  pgjobd's dispatcher and workers set
 * it; pgjobctl (migrations may take long) does not. */
void db_bound_waits(long ms);

/* db_run is db_exec for a statement whose rows are not needed: it clears
 * the result and returns true if it succeeded (a command or a query),
 * else fills err through db_error with context and returns false. */
bool db_run(PGconn *c, const char *sql, int nparams, const char *const *params, const char *context,
            Error *err) __attribute__((warn_unused_result));

/* db_command_ok says whether r is a successful command (PGRES_COMMAND_OK).
 * r may be NULL (false). */
bool db_command_ok(const PGresult *r);

/* db_tuples_ok says whether r is a successful query (PGRES_TUPLES_OK).
 * r may be NULL (false). */
bool db_tuples_ok(const PGresult *r);

/* db_sqlstate returns r's five-character SQLSTATE, or "" when r is NULL or
 * has none (a success, or an error raised inside libpq).  Borrowed from r:
 * valid until r is cleared. */
const char *db_sqlstate(const PGresult *r);

/* db_message returns the server's one-line primary error message of r, or
 * "" when there is none.  Borrowed from r: valid until r is cleared. */
const char *db_message(const PGresult *r);

/* db_status_for_sqlstate maps a SQLSTATE to the HTTP status of a failure:
 * 503 for connection exceptions (class 08) and operator intervention
 * shutdowns (57P01..57P05, "57P0x"), 500 for anything else, "" and NULL
 * included. */
int db_status_for_sqlstate(const char *sqlstate);

/* db_error fills err for a failed statement: "<context>: <server message>
 * (SQLSTATE xxxxx)", status from db_status_for_sqlstate, code
 * "db_unavailable" (503) or "db_error" (500).  With r NULL or without a
 * SQLSTATE it uses libpq's message on c, and 503 if c is no longer
 * connected.  Does not clear r. */
void db_error(PGconn *c, const PGresult *r, const char *context, Error *err);

#endif
