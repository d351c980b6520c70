/* SPDX-License-Identifier: MIT */
/*
 * job.c is "pgjobctl job show|list|cancel|pause|resume|retry".  An
 * operator acts for the job's account, through the same SQL functions as
 * the API (pgjob.cancel, pause, resume, and pgjob.retry of
 * sql/008_keys.sql), each one statement: the job's account is found in
 * the statement that calls the function.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "job.h"
#include "jobstatus.h"
#include "strnum.h"
#include "table.h"

static const char job_usage[] =
    "usage: pgjobctl job show JOB_ID\n"
    "       pgjobctl job list [--account ACCOUNT] [--status STATUS] [--type TYPE] [--limit N]\n"
    "       pgjobctl job cancel JOB_ID [--reason TEXT]\n"
    "       pgjobctl job pause JOB_ID\n"
    "       pgjobctl job resume JOB_ID\n"
    "       pgjobctl job retry JOB_ID [--failed-items-only]\n"
    "\n"
    "show    prints one job, its results and the retries made of it\n"
    "list    lists jobs newest first (without --account it reads every account's)\n"
    "cancel  stops a queued, paused or running job for good\n"
    "pause   holds a queued or running job; resume queues it again\n"
    "retry   submits a NEW job from a failed or canceled one (its items, type,\n"
    "        priority, attempts and metadata), linked to it by retry_of, and\n"
    "        prints it; the original never changes.  --failed-items-only: only\n"
    "        the items that did not succeed (also from a completed job);\n"
    "        retry_items lists their indexes in the original\n"
    "\n"
    "  -a, --account ACCOUNT   list: the account's id or name\n"
    "  -s, --status STATUS     list: queued, processing, paused, completed,\n"
    "                          failed, canceled or expired\n"
    "  -t, --type TYPE         list: the job type\n"
    "  -l, --limit N           list: at most N jobs, 1 to 1000 (default 50)\n"
    "  -r, --reason TEXT       cancel: the message of the job's error\n"
    "  -f, --failed-items-only retry: only the items that did not succeed\n"
    "\n" CTL_COMMON_HELP;

static const char show_sql[] = "SELECT " JOB_COLUMNS " FROM pgjob.job j WHERE j.id = $1::uuid";

static const char list_sql[] = "SELECT " JOB_LIST_COLUMNS
                               "  FROM pgjob.job j"
                               " WHERE ($1::bigint IS NULL OR j.account_id = $1::bigint)"
                               "   AND ($2::text IS NULL OR j.status = $2::text)"
                               "   AND ($3::text IS NULL OR j.type = $3::text)"
                               " ORDER BY j.created_at DESC, j.id DESC LIMIT $4::integer";

static const char cancel_sql[] =
    "SELECT " JOB_COLUMNS
    " FROM pgjob.job o,"
    " LATERAL pgjob.cancel(o.account_id, o.id, $2::text) j WHERE o.id = $1::uuid";
static const char pause_sql[] = "SELECT " JOB_COLUMNS
                                " FROM pgjob.job o,"
                                " LATERAL pgjob.pause(o.account_id, o.id) j WHERE o.id = $1::uuid";
static const char resume_sql[] =
    "SELECT " JOB_COLUMNS
    " FROM pgjob.job o,"
    " LATERAL pgjob.resume(o.account_id, o.id) j WHERE o.id = $1::uuid";
static const char retry_sql[] =
    "SELECT " JOB_COLUMNS
    " FROM pgjob.job o,"
    " LATERAL pgjob.retry(o.account_id, o.id, $2::boolean) j WHERE o.id = $1::uuid";

/* JobArgs are job's own options. */
typedef struct JobArgs {
    const char *account, *status, *type, *limit, *reason;
    bool failed_only;
} JobArgs;

static int job_option(int opt, const char *arg, void *ctx)
{
    JobArgs *a = ctx;

    switch (opt) {
        case 'a':
            a->account = arg;
            break;
        case 's':
            a->status = arg;
            break;
        case 't':
            a->type = arg;
            break;
        case 'l':
            a->limit = arg;
            break;
        case 'r':
            a->reason = arg;
            break;
        case 'f':
            a->failed_only = true;
            break;
        default:
            return CTL_EXIT_USAGE;
    }
    return -1;
}

/* check_list checks list's filters. */
static int check_list(const JobArgs *a)
{
    JobStatus s;
    int n;

    if (a->status != NULL && !jobstatus_parse(a->status, &s))
        return ctl_usage_error("job list",
                               "--status is one of queued, processing, paused, "
                               "completed, failed, canceled, expired");
    if (a->limit != NULL && !strnum_int(a->limit, 1, 1000, &n))
        return ctl_usage_error("job list", "--limit is a number from 1 to 1000");
    if (a->type != NULL && (strlen(a->type) == 0 || strlen(a->type) > 64))
        return ctl_usage_error("job list", "--type is a job type of 1 to 64 characters");
    return -1;
}

/* run_list lists jobs. */
static int run_list(PGconn *c, const JobArgs *a)
{
    char account[24];
    const char *p[4] = {NULL, a->status, a->type, a->limit != NULL ? a->limit : "50"};
    int rc;

    if (a->account != NULL) {
        if ((rc = ctl_account_id(c, a->account, account)) != CTL_EXIT_OK)
            return rc;
        p[0] = account;
    }
    return table_run_rows(c, list_sql, 4, p, "job list");
}

/* run_one runs an action on the job id. */
static int run_one(PGconn *c, const char *verb, const char *id, const JobArgs *a)
{
    char context[32], missing[80];
    const char *p[2] = {id, NULL};
    const char *sql = show_sql;
    int n = 1;

    snprintf(context, sizeof context, "job %s", verb);
    snprintf(missing, sizeof missing, "no job %s", id);
    if (strcmp(verb, "cancel") == 0) {
        sql = cancel_sql;
        p[1] = a->reason;
        n = 2;
    } else if (strcmp(verb, "pause") == 0) {
        sql = pause_sql;
    } else if (strcmp(verb, "resume") == 0) {
        sql = resume_sql;
    } else if (strcmp(verb, "retry") == 0) {
        sql = retry_sql;
        p[1] = a->failed_only ? "true" : "false";
        n = 2;
    }
    return table_run_record(c, sql, n, p, context, missing);
}

int job_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"account", required_argument, NULL, 'a'},
        {"status", required_argument, NULL, 's'},
        {"type", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'l'},
        {"reason", required_argument, NULL, 'r'},
        {"failed-items-only", no_argument, NULL, 'f'},
        CTL_COMMON_OPTIONS,
    };
    static const char shorts[] = "a:s:t:l:r:f";
    static const char *const verbs[] = {"show", "list", "cancel", "pause", "resume", "retry"};
    const char *verb;
    bool known = false, is_list;
    JobArgs a = {0};
    PGconn *c;
    int rc, count;

    /* Options may come anywhere: the action is the first operand. */
    rc = ctl_parse_options(argc, argv, "job", job_usage, shorts, options, job_option, &a);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return ctl_usage_error("job", "say show, list, cancel, pause, resume or retry");
    verb = argv[optind];
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        known = known || strcmp(verb, verbs[i]) == 0;
    if (!known)
        return ctl_usage_error("job", "unknown action '%.40s'", verb);
    is_list = strcmp(verb, "list") == 0;
    count = argc - optind - 1;
    if (!is_list && (a.account != NULL || a.status != NULL || a.type != NULL || a.limit != NULL))
        return ctl_usage_error("job", "--account, --status, --type and --limit are for list");
    if (a.reason != NULL && strcmp(verb, "cancel") != 0)
        return ctl_usage_error("job", "--reason is for cancel");
    if (a.failed_only && strcmp(verb, "retry") != 0)
        return ctl_usage_error("job", "--failed-items-only is for retry");
    if (is_list) {
        if (count != 0)
            return ctl_usage_error("job", "list takes no operand");
        if ((rc = check_list(&a)) >= 0)
            return rc;
    } else if (count != 1 || !ctl_is_uuid(argv[optind + 1])) {
        return ctl_usage_error("job", "%s takes one JOB_ID (a UUID)", verb);
    }

    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    rc = is_list ? run_list(c, &a) : run_one(c, verb, argv[optind + 1], &a);
    PQfinish(c);
    return rc;
}
