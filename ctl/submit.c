/* SPDX-License-Identifier: MIT */
/*
 * submit.c is "pgjobctl submit": one job from a JSON body like the one of
 * POST /v1/jobs, read from a file or stdin, submitted for an account
 * through pgjob.submit.  The body's fields are checked here as the front
 * end checks them (known fields, JSON types, a type this installation
 * runs); ranges are pgjob.submit's.  The front end's per-type item rules
 * are not applied: a bad item fails in the handler, as one item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "job.h"
#include "jobtypes.h"
#include "log.h"
#include "table.h"

static const char submit_usage[] =
    "usage: pgjobctl submit --account ACCOUNT [--type TYPE] [FILE | -]\n"
    "\n"
    "Submits one job for the account from a JSON body like the one of\n"
    "POST /v1/jobs, read from FILE or, without FILE or with -, from stdin:\n"
    "  {\"type\": \"enrich\", \"items\": [...], \"priority\": 0, \"max_attempts\": 3,\n"
    "   \"run_at\": \"2026-12-01T10:00:00Z\", \"metadata\": {...}}\n"
    "items is required; the type comes from --type or the body (both: they\n"
    "must agree) and must be one this installation runs.  Prints the job.\n"
    "Jobs keep their results for retention_days of pgjob.conf.\n"
    "\n"
    "  -a, --account ACCOUNT    the account's id or name\n"
    "  -t, --type TYPE          the job type\n"
    "\n" CTL_COMMON_HELP;

/* The most bytes read from the body's file. */
enum { SUBMIT_MAX_BODY = 64 * 1024 * 1024 };

static const char submit_sql[] =
    "SELECT " JOB_COLUMNS
    "  FROM pgjob.submit($1::bigint, $2::text, ($3::jsonb) -> 'items',"
    "                    coalesce((($3::jsonb) ->> 'priority')::integer, 0),"
    "                    (($3::jsonb) ->> 'run_at')::timestamptz,"
    "                    coalesce((($3::jsonb) ->> 'max_attempts')::integer, 3),"
    "                    coalesce(nullif(($3::jsonb) -> 'metadata', 'null'::jsonb), '{}'),"
    "                    NULL, NULL, make_interval(days => $4::integer)) s,"
    "       LATERAL (SELECT (s.job).*) j";

typedef struct SubmitArgs {
    const char *account, *type;
} SubmitArgs;

static int submit_option(int opt, const char *arg, void *ctx)
{
    SubmitArgs *a = ctx;

    if (opt == 'a')
        a->account = arg;
    else if (opt == 't')
        a->type = arg;
    else
        return CTL_EXIT_USAGE;
    return -1;
}

/* read_body reads all of path ("-": stdin) into a new NUL-terminated
 * buffer (free it); NULL after logging why. */
static char *read_body(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap), *bigger;

    if (f == stdin && isatty(STDIN_FILENO))
        log_info("submit: reading the JSON body from the terminal; end it with Ctrl-D");
    if (f == NULL || buf == NULL) {
        log_error("submit: cannot read %s", f == NULL ? path : "(out of memory)");
        free(buf);
        return NULL;
    }
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (len + 1 == cap) {
            if (cap >= SUBMIT_MAX_BODY || (bigger = realloc(buf, cap * 2)) == NULL) {
                log_error("submit: %s is larger than %d bytes", path, SUBMIT_MAX_BODY);
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf != NULL && ferror(f)) {
        log_error("submit: cannot read %s", path);
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* type_runs says whether this installation runs type (a built-in handler
 * or an exec type of the configuration). */
static bool type_runs(const char *type)
{
    size_t n = 0;
    const char **types = jobtypes_all(ctl_config(), &n);
    bool found = false;

    for (size_t i = 0; types != NULL && i < n; i++)
        found = found || strcmp(types[i], type) == 0;
    free(types);
    return found;
}

/* check_body checks the parsed body and finds its type (borrowed from
 * body or args) in *type. */
static int check_body(const json_t *body, const SubmitArgs *a, const char **type)
{
    static const char *const fields[] = {"type",         "items",  "priority",
                                         "max_attempts", "run_at", "metadata"};
    const char *key;
    json_t *v;

    if (!json_is_object(body))
        return ctl_usage_error("submit", "the body is not a JSON object");
    json_object_foreach((json_t *)body, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            known = known || strcmp(key, fields[i]) == 0;
        if (!known)
            return ctl_usage_error("submit", "unknown field \"%.64s\" in the body", key);
    }
    v = json_object_get(body, "type");
    if (v != NULL && !json_is_null(v) && !json_is_string(v))
        return ctl_usage_error("submit", "type must be a string");
    *type = json_is_string(v) ? json_string_value(v) : NULL;
    if (a->type != NULL && *type != NULL && strcmp(a->type, *type) != 0)
        return ctl_usage_error("submit", "--type %.64s and the body's type %.64s differ", a->type,
                               *type);
    if (a->type != NULL)
        *type = a->type;
    if (*type == NULL)
        return ctl_usage_error("submit", "no type: give --type or \"type\" in the body");
    if (!json_is_array(json_object_get(body, "items")))
        return ctl_usage_error("submit", "items must be an array");
    v = json_object_get(body, "priority");
    if (v != NULL && !json_is_null(v) && !json_is_integer(v))
        return ctl_usage_error("submit", "priority must be an integer");
    v = json_object_get(body, "max_attempts");
    if (v != NULL && !json_is_null(v) && !json_is_integer(v))
        return ctl_usage_error("submit", "max_attempts must be an integer");
    v = json_object_get(body, "run_at");
    if (v != NULL && !json_is_null(v) && !json_is_string(v))
        return ctl_usage_error("submit", "run_at must be a date-time string");
    v = json_object_get(body, "metadata");
    if (v != NULL && !json_is_null(v) && !json_is_object(v))
        return ctl_usage_error("submit", "metadata must be an object");
    return -1;
}

/* run_submit connects, checks the type and submits. */
static int run_submit(const SubmitArgs *a, const char *type, const char *text)
{
    char account[24], retention[16];
    PGconn *c;
    int rc;

    if ((rc = ctl_connect(&c, true)) != CTL_EXIT_OK)
        return rc;
    if (!type_runs(type)) {
        PQfinish(c);
        return ctl_usage_error("submit", "this installation runs no job of type \"%.64s\"", type);
    }
    rc = ctl_account_id(c, a->account, account);
    if (rc == CTL_EXIT_OK) {
        const char *p[4] = {account, type, text, retention};
        snprintf(retention, sizeof retention, "%d", ctl_config()->retention_days);
        rc = table_run_record(c, submit_sql, 4, p, "submit", "no job was submitted");
    }
    PQfinish(c);
    return rc;
}

int submit_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"account", required_argument, NULL, 'a'},
        {"type", required_argument, NULL, 't'},
        CTL_COMMON_OPTIONS,
    };
    SubmitArgs a = {NULL, NULL};
    const char *path = "-", *type = NULL;
    json_error_t jerr;
    json_t *body;
    char *text;
    int rc;

    rc = ctl_parse_options(argc, argv, "submit", submit_usage, "a:t:", options, submit_option, &a);
    if (rc >= 0)
        return rc;
    if (argc - optind > 1)
        return ctl_usage_error("submit", "give at most one FILE");
    if (argc - optind == 1)
        path = argv[optind];
    if (a.account == NULL)
        return ctl_usage_error("submit", "--account is required");
    text = read_body(path);
    if (text == NULL)
        return CTL_EXIT_USAGE;
    body = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        free(text);
        return ctl_usage_error("submit", "the body is not JSON: %s (line %d, column %d)", jerr.text,
                               jerr.line, jerr.column);
    }
    rc = check_body(body, &a, &type);
    if (rc < 0)
        rc = run_submit(&a, type, text);
    json_decref(body);
    free(text);
    return rc;
}
