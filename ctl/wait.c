/* SPDX-License-Identifier: MIT */
/*
 * wait.c is "pgjobctl wait": wait until a job is terminal, print it, and
 * tell the outcome by the exit status - the command-line counterpart of
 * an SDK's poll_job().
 *
 * It LISTENs on pgjob_job, the channel every transition notifies with the
 * ids of the jobs it changed (sql/002_jobs.sql), and reads the job again
 * when its id (or '*') arrives.  It also polls, with a backoff from 0.5 s
 * doubling to 8 s, so that it finishes even where notifications cannot
 * arrive (a pooler in transaction mode, a lost notification).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "table.h"

/* wait's exit codes besides CTL_EXIT_*: the job's outcome. */
enum {
    WAIT_COMPLETED = 0,
    WAIT_FAILED = 1,
    WAIT_CANCELED = 3,
    WAIT_EXPIRED = 4,
    WAIT_TIMEOUT = 5,
};

/* The polling backoff, ms. */
enum { WAIT_POLL_FIRST_MS = 500, WAIT_POLL_MAX_MS = 8000 };

static const char wait_usage[] =
    "usage: pgjobctl wait JOB_ID [--timeout DURATION]\n"
    "\n"
    "Waits until the job is completed, failed, canceled or expired, prints it\n"
    "and exits with a status that tells which.  It listens for the job's\n"
    "changes (LISTEN pgjob_job) and polls too, every 0.5 s doubling to 8 s.\n"
    "When the time runs out it prints the job as it is and exits 5.\n"
    "\n"
    "  -t, --timeout DURATION   give up after this long: 300 (seconds), 10m, 1h\n"
    "                           (default 300; 0 looks once)\n"
    "\n" CTL_COMMON_HELP
    "\n"
    "exit status: 0 completed, 1 failed, 2 bad arguments or no such job,\n"
    "3 canceled, 4 expired, 5 timed out, 69 cannot connect to the database,\n"
    "75 the connection was lost while waiting, 78 bad configuration\n";

static const char status_sql[] = "SELECT j.status FROM pgjob.job j WHERE j.id = $1::uuid";
static const char show_sql[] = "SELECT " JOB_COLUMNS " FROM pgjob.job j WHERE j.id = $1::uuid";

static int wait_option(int opt, const char *arg, void *ctx)
{
    const char **timeout = ctx;

    if (opt != 't')
        return CTL_EXIT_USAGE;
    *timeout = arg;
    return -1;
}

/* outcome_of maps a status word to wait's exit code; -1 while it lives. */
static int outcome_of(const char *status)
{
    if (strcmp(status, "completed") == 0)
        return WAIT_COMPLETED;
    if (strcmp(status, "failed") == 0)
        return WAIT_FAILED;
    if (strcmp(status, "canceled") == 0)
        return WAIT_CANCELED;
    if (strcmp(status, "expired") == 0)
        return WAIT_EXPIRED;
    return -1;
}

/* db_lost maps a failed statement to wait's exit code: a lost connection
 * is CTL_EXIT_TEMPFAIL, anything else too (the outcome is unknown). */
static int db_lost(PGconn *c, const PGresult *r, const char *context)
{
    int rc = ctl_db_failure(c, r, context);
    return rc == CTL_EXIT_USAGE ? CTL_EXIT_USAGE : CTL_EXIT_TEMPFAIL;
}

/* read_status stores the job's status word in status[16]; returns -1 on
 * success or an exit code (2: no such job). */
static int read_status(PGconn *c, const char *id, char status[16])
{
    const char *p[1] = {id};
    PGresult *r = db_exec(c, status_sql, 1, p);
    int rc = -1;

    if (!db_tuples_ok(r)) {
        rc = db_lost(c, r, "wait");
    } else if (PQntuples(r) == 0) {
        log_error("wait: no job %s", id);
        rc = CTL_EXIT_USAGE;
    } else {
        snprintf(status, 16, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

/* print_job prints the job and returns the exit code of its status (or
 * timed_out when it is still live). */
static int print_job(PGconn *c, const char *id, int timed_out)
{
    const char *p[1] = {id};
    PGresult *r = table_query(c, show_sql, 1, p);
    int rc;

    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        rc = db_tuples_ok(r) ? CTL_EXIT_TEMPFAIL : db_lost(c, r, "wait");
    } else {
        table_print_record(r, 0);
        rc = outcome_of(PQgetvalue(r, 0, PQfnumber(r, "status")));
        if (rc < 0)
            rc = timed_out;
    }
    PQclear(r);
    return rc;
}

/* heard_of waits up to ms for a notification naming id (or '*'); true
 * when one came, false on timeout.  *lost is set when the connection
 * broke. */
static bool heard_of(PGconn *c, const char *id, long long ms, bool *lost)
{
    struct pollfd pfd = {PQsocket(c), POLLIN, 0};
    long long until = clock_ms() + ms;
    PGnotify *n;
    bool heard = false;

    *lost = false;
    /* Notifications that came in with the last statement's answer. */
    while ((n = PQnotifies(c)) != NULL) {
        heard = heard || strcmp(n->extra, "*") == 0 || strstr(n->extra, id) != NULL;
        PQfreemem(n);
    }
    while (!heard) {
        long long left = until - clock_ms();
        if (left <= 0)
            return false;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)left) < 0) {
            if (errno == EINTR)
                continue;
            *lost = true;
            return false;
        }
        if (pfd.revents == 0)
            continue;
        if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
            *lost = true;
            return false;
        }
        while ((n = PQnotifies(c)) != NULL) {
            heard = heard || strcmp(n->extra, "*") == 0 || strstr(n->extra, id) != NULL;
            PQfreemem(n);
        }
    }
    return true;
}

/* run_wait waits on c until the job is terminal or timeout_ms passed. */
static int run_wait(PGconn *c, const char *id, long long timeout_ms)
{
    long long deadline = clock_ms() + timeout_ms;
    long long backoff = WAIT_POLL_FIRST_MS;
    char status[16];
    Error err;
    int rc;

    error_clear(&err);
    if (!db_run(c, "LISTEN pgjob_job", 0, NULL, "LISTEN pgjob_job", &err)) {
        if (err.status == 503) {
            log_error("%s", err.message);
            return CTL_EXIT_TEMPFAIL;
        }
        log_debug("polling only: %s", err.message);
    }
    for (;;) {
        bool lost = false;
        long long left;

        if ((rc = read_status(c, id, status)) >= 0)
            return rc;
        if (outcome_of(status) >= 0)
            return print_job(c, id, WAIT_TIMEOUT);
        left = deadline - clock_ms();
        if (left <= 0)
            break;
        if (heard_of(c, id, backoff < left ? backoff : left, &lost)) {
            log_debug("wait: notified of a change of job %s", id);
        } else {
            if (lost) {
                log_error("wait: lost the connection to the database: %s", PQerrorMessage(c));
                return CTL_EXIT_TEMPFAIL;
            }
            backoff = backoff * 2 < WAIT_POLL_MAX_MS ? backoff * 2 : WAIT_POLL_MAX_MS;
        }
    }
    log_error("wait: job %s is still %s after the timeout", id, status);
    return print_job(c, id, WAIT_TIMEOUT);
}

int wait_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"timeout", required_argument, NULL, 't'},
        CTL_COMMON_OPTIONS,
    };
    const char *timeout = NULL;
    char id[37];
    long seconds = 300;
    PGconn *c;
    int rc;

    rc = ctl_parse_options(argc, argv, "wait", wait_usage, "t:", options, wait_option, &timeout);
    if (rc >= 0)
        return rc;
    if (argc - optind != 1 || !ctl_is_uuid(argv[optind]))
        return ctl_usage_error("wait", "give one JOB_ID (a UUID)");
    if (timeout != NULL && !ctl_parse_duration(timeout, &seconds))
        return ctl_usage_error("wait", "--timeout wants a duration like 300, 10m or 1h");
    /* Notifications name jobs in lower case. */
    for (size_t i = 0; i < sizeof id; i++)
        id[i] = (char)(argv[optind][i] >= 'A' && argv[optind][i] <= 'F' ? argv[optind][i] + 32
                                                                        : argv[optind][i]);
    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    rc = run_wait(c, id, (long long)seconds * 1000);
    PQfinish(c);
    return rc;
}
