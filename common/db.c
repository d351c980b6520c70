/* SPDX-License-Identifier: MIT */
/* db.c connects to PostgreSQL and turns libpq results into Errors. */
#include "db.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

/* notice_receiver sends a server notice to the log instead of libpq's
 * default of printing it raw on stderr.  Only WARNING is worth showing by
 * default; NOTICE and below ("relation already exists, skipping") are
 * debugging detail. */
static void notice_receiver(void *arg, const PGresult *r)
{
    const char *severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    char msg[512];

    (void)arg;
    log_sanitize(msg, sizeof msg, db_message(r));
    if (severity != NULL && strcmp(severity, "WARNING") == 0)
        log_warn("server warning: %s", msg);
    else
        log_debug("server notice: %s", msg);
}

/* is_expanded says whether libpq expands conninfo as a connection string
 * or URL rather than taking it as a database name (its own rule). */
static bool is_expanded(const char *conninfo)
{
    return strchr(conninfo, '=') != NULL || strncmp(conninfo, "postgresql://", 13) == 0 ||
           strncmp(conninfo, "postgres://", 11) == 0;
}

/* hide_quoted copies src into dst[size] with each double-quoted part
 * longer than one character replaced by "...": libpq's parse errors quote
 * the piece of conninfo they stumbled on, which may be a password, but a
 * quoted single character ("=") is libpq's own text and says what is
 * missing. */
static void hide_quoted(char *dst, size_t size, const char *src)
{
    size_t pos = 0;

    while (*src != '\0' && pos + 6 < size) {
        const char *close = *src == '"' ? strchr(src + 1, '"') : NULL;

        if (*src != '"') {
            dst[pos++] = *src++;
        } else if (close != NULL && close - src <= 2) {
            memcpy(dst + pos, src, (size_t)(close - src) + 1); /* at most 3 bytes */
            pos += (size_t)(close - src) + 1;
            src = close + 1;
        } else {
            memcpy(dst + pos, "\"...\"", 5);
            pos += 5;
            src = close != NULL ? close + 1 : src + strlen(src);
        }
    }
    dst[pos] = '\0';
}

/* conninfo_valid checks an expanded conninfo before connecting, so that a
 * malformed one is reported without echoing its contents. */
static bool conninfo_valid(const char *conninfo, Error *err)
{
    char *msg = NULL;
    char safe[256];
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);

    if (opts != NULL) {
        PQconninfoFree(opts);
        return true;
    }
    hide_quoted(safe, sizeof safe, msg != NULL ? msg : "out of memory");
    error_set(err, 500, "bad_conninfo", "invalid database connection string: %s", safe);
    PQfreemem(msg);
    return false;
}

/* The connection settings db_connect gives unless conninfo sets them
 * (later keywords override earlier ones, and conninfo comes after). */
static const char *const bounded_keys[] = {
    "connect_timeout",     "keepalives",       "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
};
static const char *const bounded_values[] = {"5", "1", "5", "2", "3", "10000"};
enum { BOUNDED_COUNT = sizeof(bounded_keys) / sizeof(bounded_keys[0]) };

PGconn *db_connect(const char *conninfo, const char *application_name, Error *err)
{
    const char *keys[BOUNDED_COUNT + 4];
    const char *values[BOUNDED_COUNT + 4];
    int n = 0;
    PGconn *c;

    for (; n < BOUNDED_COUNT; n++) {
        keys[n] = bounded_keys[n];
        values[n] = bounded_values[n];
    }
    if (conninfo != NULL && conninfo[0] != '\0') {
        if (is_expanded(conninfo) && !conninfo_valid(conninfo, err))
            return NULL;
        keys[n] = "dbname";
        values[n++] = conninfo;
    }
    keys[n] = "fallback_application_name";
    values[n++] = application_name != NULL ? application_name : "pgjob";
    keys[n] = "client_encoding";
    values[n++] = "UTF8";
    keys[n] = NULL;
    values[n] = NULL;

    c = PQconnectdbParams(keys, values, 1);
    if (c == NULL) {
        error_set(err, 503, "db_unavailable", "cannot connect to the database: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        error_set(err, 503, "db_unavailable", "cannot connect to the database: %s",
                  PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeReceiver(c, notice_receiver, NULL);
    return c;
}

/* The bound of db_bound_waits, per thread; 0: none. */
static _Thread_local long wait_bound_ms;

void db_bound_waits(long ms)
{
    wait_bound_ms = ms > 0 ? ms : 0;
}

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* await_answer waits until c's answer is in, or breaks the connection
 * (shutdown of its socket: libpq then fails at once) when it does not
 * come within wait_bound_ms. */
static void await_answer(PGconn *c)
{
    long long deadline = monotonic_ms() + wait_bound_ms;

    while (PQisBusy(c)) {
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        long long left = deadline - monotonic_ms();
        int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            log_warn("the database did not answer within %ld ms: dropping the connection",
                     wait_bound_ms);
            shutdown(PQsocket(c), SHUT_RDWR);
            return;
        }
        if (ready < 0 || !PQconsumeInput(c))
            return;
    }
}

PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = NULL, *r;

    if (wait_bound_ms == 0 || PQsocket(c) < 0)
        return PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    /* PQexecParams's way, with a bounded wait: the first error result
     * wins, else the last result. */
    if (!PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0))
        return PQmakeEmptyPGresult(c, PGRES_FATAL_ERROR);
    await_answer(c);
    while ((r = PQgetResult(c)) != NULL) {
        if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR) {
            PQclear(r);
            continue;
        }
        PQclear(res);
        res = r;
    }
    return res;
}

bool db_run(PGconn *c, const char *sql, int nparams, const char *const *params, const char *context,
            Error *err)
{
    PGresult *r = db_exec(c, sql, nparams, params);
    bool ok = db_command_ok(r) || db_tuples_ok(r);

    if (!ok)
        db_error(c, r, context, err);
    PQclear(r);
    return ok;
}

bool db_command_ok(const PGresult *r)
{
    return r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
}

bool db_tuples_ok(const PGresult *r)
{
    return r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK;
}

const char *db_sqlstate(const PGresult *r)
{
    const char *s = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return s != NULL ? s : "";
}

const char *db_message(const PGresult *r)
{
    const char *s = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    return s != NULL ? s : "";
}

int db_status_for_sqlstate(const char *sqlstate)
{
    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return 500;
    if (strncmp(sqlstate, "08", 2) == 0)
        return 503;
    if (strncmp(sqlstate, "57P0", 4) == 0 && sqlstate[4] >= '1' && sqlstate[4] <= '5')
        return 503;
    return 500;
}

/* client_message is libpq's own account of a failure that has no
 * SQLSTATE: the result's message, else the connection's, else the result
 * status.  Borrowed from r or c. */
static const char *client_message(PGconn *c, const PGresult *r)
{
    if (r != NULL && PQresultErrorMessage(r)[0] != '\0')
        return PQresultErrorMessage(r);
    if (PQerrorMessage(c)[0] != '\0')
        return PQerrorMessage(c);
    return r != NULL ? PQresStatus(PQresultStatus(r)) : "no result";
}

void db_error(PGconn *c, const PGresult *r, const char *context, Error *err)
{
    const char *state = db_sqlstate(r);
    int status;

    if (state[0] == '\0') {
        status = PQstatus(c) == CONNECTION_OK ? 500 : 503;
        error_set(err, status, status == 503 ? "db_unavailable" : "db_error", "%s: %s", context,
                  client_message(c, r));
        return;
    }
    status = db_status_for_sqlstate(state);
    error_set(err, status, status == 503 ? "db_unavailable" : "db_error", "%s: %s (SQLSTATE %s)",
              context, db_message(r), state);
}
