/* SPDX-License-Identifier: MIT */
/*
 * api_request.c - what the routes of api_jobs.c and api_ops.c share (see
 * api_request.h): error answers, reading a job, rendering a job row.
 */
#include "api_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "hmac.h"
#include "jobstatus.h"
#include "log.h"
#include "render.h"
#include "strnum.h"
#include "timestamp.h"

void api_fail(ApiRequest *ar, const Error *err, const char *field)
{
    /* The cause of a 500 goes to the log where it happens: the client only
     * learns "see the server log".  (A 503 is logged once per outage by
     * dbconn.c.) */
    if (err->status >= 500 && err->status != 503)
        log_error("[req %s] %s %s: %d %s: %s", ar->req->id, ar->req->method, ar->req->path,
                  err->status, err->code, err->message);
    if (ar->profile != NULL) {
        if (!profile_render_error(ar->profile, ar->res, profile_error_kind(err), err))
            log_error("[req %s] out of memory rendering an error", ar->req->id);
        return;
    }
    if (!render_problem(ar->res, err, field != NULL && field[0] != '\0' ? field : NULL))
        log_error("[req %s] out of memory rendering an error", ar->req->id);
}

bool api_read_body(ApiRequest *ar)
{
    Error err = {0};

    if (request_read_body(ar->req, &err))
        return true;
    log_info("[req %s] %s", ar->req->id, err.message);
    api_fail(ar, &err, NULL);
    return false;
}

void api_fail_db(ApiRequest *ar, const Error *err, const char *field)
{
    char retry[16];

    if (err->status == 503) {
        snprintf(retry, sizeof(retry), "%d", 5);
        if (!response_header(ar->res, "Retry-After", retry))
            log_debug("[req %s] cannot set Retry-After", ar->req->id);
    }
    api_fail(ar, err, field);
}

void api_count(const ApiRequest *ar, const char *how)
{
    int status = ar->res->status;

    metrics_observe(ar->shared->metrics, ar->match.route, status, clock_seconds() - ar->start);
    if (status >= 500)
        log_warn("[req %s] %s %s: %d%s", ar->req->id, ar->req->method, ar->req->path, status, how);
    else
        log_debug("[req %s] %s %s: %d%s", ar->req->id, ar->req->method, ar->req->path, status, how);
}

/* invalid_key fills err with the 401 of an unknown or revoked key. */
static void invalid_key(Error *err)
{
    error_set(err, 401, "invalid_api_key", "the API key is unknown, revoked or expired");
}

/* api_invalid_key renders the 401 of an unknown or revoked key. */
void api_invalid_key(ApiRequest *ar)
{
    Error err;
    invalid_key(&err);
    api_fail(ar, &err, NULL);
}

/* LargeUrls holds the texts of a large-result pointer. */
typedef struct LargeUrls {
    char url[96];
    char signed_url[256];
    char signed_expires[40]; /* timestamptz text, PostgreSQL's form */
} LargeUrls;

/* sign_pointer adds the signed URL to v's pointer when a secret is set:
 * valid results_url_seconds from now, and never past the job's expiry.
 * That one time is signed, put in the URL and shown. */
static void sign_pointer(ApiRequest *ar, JobView *v, LargeUrls *u)
{
    const Config *cfg = ar->shared->cfg;
    char sig[SHA256_HEX_SIZE];
    long long expires = (long long)time(NULL) + cfg->results_url_seconds, job;
    time_t t;
    struct tm tm;

    if (cfg->results_url_secret[0] == '\0')
        return;
    /* The job's own expiry, when sooner, is when its results are gone. */
    if (v->expires_at != NULL && timestamp_unix(v->expires_at, &job) && job < expires)
        expires = job;
    t = (time_t)expires;
    if (gmtime_r(&t, &tm) == NULL)
        return;
    strftime(u->signed_expires, sizeof u->signed_expires, "%Y-%m-%d %H:%M:%S+00", &tm);
    hmac_results_signature(cfg->results_url_secret, v->id, expires, sig);
    snprintf(u->signed_url, sizeof u->signed_url,
             "/v1/jobs/%s/results/full?expires=%lld&signature=%s", v->id, expires, sig);
    v->large_results_signed_url = u->signed_url;
    v->large_results_signed_expires_at = u->signed_expires;
}

/* large_pointer fills the large-result fields of v when the job's results
 * were left out for their size: the URL that downloads them all at once
 * with the API key, and the signed one that needs none. */
static void large_pointer(ApiRequest *ar, JobView *v, const PGresult *r, int row, LargeUrls *u)
{
    int col = PQfnumber(r, "results_bytes");
    long long bytes;

    if (col < 0 || PQgetisnull(r, row, col) || v->results != NULL)
        return;
    if (v->status != NULL && strcmp(v->status, jobstatus_word(JOB_EXPIRED)) == 0)
        return;
    bytes = strtoll(PQgetvalue(r, row, col), NULL, 10);
    if (bytes < ar->shared->cfg->large_result_bytes)
        return;
    snprintf(u->url, sizeof u->url, "/v1/jobs/%s/results/full", v->id);
    v->large_results_url = u->url;
    v->large_results_size_bytes = PQgetvalue(r, row, col);
    v->large_results_expires_at = v->expires_at;
    sign_pointer(ar, v, u);
}

/* set_retry_after adds Retry-After for a job that is not finished. */
static void set_retry_after(ApiRequest *ar, const JobView *v)
{
    char retry[16];

    if (job_view_terminal(v))
        return;
    snprintf(retry, sizeof(retry), "%d", ar->shared->cfg->retry_after_seconds);
    if (!response_header(ar->res, "Retry-After", retry))
        log_debug("[req %s] cannot set Retry-After", ar->req->id);
}

/* view_of fills v from row `row` of r (every column by its name). */
static void view_of(JobView *v, const PGresult *r, int row)
{
    memset(v, 0, sizeof(*v));
    for (int c = 0; c < PQnfields(r); c++) {
        const char *value = PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
        (void)job_view_set(v, PQfname(r, c), value);
    }
}

bool api_not_modified(ApiRequest *ar, const PGresult *r, int row)
{
    JobView v;
    char etag[JOB_VIEW_ETAG_SIZE];

    if (ar->req->if_none_match == NULL)
        return false;
    view_of(&v, r, row);
    if (!job_view_etag(&v, etag, sizeof(etag)) || !etag_matches(ar->req->if_none_match, etag))
        return false;
    if (!response_header(ar->res, "ETag", etag))
        return false;
    set_retry_after(ar, &v);
    render_not_modified(ar->res);
    return true;
}

void api_render_job(ApiRequest *ar, int status, const PGresult *r, int row)
{
    JobView v;
    Error err = {0};
    char results_url[96];
    LargeUrls large;

    view_of(&v, r, row);
    snprintf(results_url, sizeof(results_url), "/v1/jobs/%s/results", v.id ? v.id : "");
    v.results_url = results_url;
    large_pointer(ar, &v, r, row, &large);
    set_retry_after(ar, &v);
    if (!render_job(ar->res, status, &v, &err)) {
        log_error("[req %s] cannot render job %s: %s", ar->req->id, v.id ? v.id : "?", err.message);
        api_fail(ar, &err, NULL);
    }
}

/* read_job runs get_job for the route's id.  NULL with err filled when it
 * fails (404, 401, 503, ...); with answer, err is also the response. */
static PGresult *read_job(ApiRequest *ar, bool answer, Error *err)
{
    char inline_max[24], field[DB_FIELD_SIZE];
    PGresult *r;
    /* Not authenticated yet (a status read): look the key up in the same
     * round trip. */
    bool with_key = ar->account[0] == '\0';

    snprintf(inline_max, sizeof(inline_max), "%d", ar->shared->cfg->large_result_bytes);
    const char *params[3] = {with_key ? ar->key_hash : ar->account, ar->match.id, inline_max};
    r = dbconn_exec(ar->db, with_key ? STMT_GET_JOB_KEY : STMT_GET_JOB, params, err, field);
    if (r == NULL) {
        if (answer)
            api_fail_db(ar, err, field);
        return NULL;
    }
    if (with_key && PQntuples(r) == 0) {
        PQclear(r);
        invalid_key(err);
        if (answer)
            api_fail(ar, err, NULL);
        return NULL;
    }
    if (with_key) {
        snprintf(ar->account, sizeof(ar->account), "%s", PQgetvalue(r, 0, 0));
        if (PQgetisnull(r, 0, PQfnumber(r, "id"))) {
            PQclear(r);
            r = NULL;
        }
    }
    if (r == NULL || PQntuples(r) != 1) {
        PQclear(r);
        error_set(err, 404, "job_not_found", "job %s not found", ar->match.id);
        if (answer)
            api_fail(ar, err, NULL);
        return NULL;
    }
    return r;
}

PGresult *api_read_job(ApiRequest *ar)
{
    Error err = {0};

    return read_job(ar, true, &err);
}

PGresult *api_reread_job(ApiRequest *ar, Error *err)
{
    return read_job(ar, false, err);
}

bool api_lookup_key(ApiRequest *ar)
{
    char field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;
    const char *params[1] = {ar->key_hash};

    r = dbconn_exec(ar->db, STMT_KEY_LOOKUP, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return false;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        keycache_forget(ar->shared->keys, ar->key_hash);
        api_invalid_key(ar);
        return false;
    }
    snprintf(ar->account, sizeof(ar->account), "%s", PQgetvalue(r, 0, 0));
    snprintf(ar->key_id, sizeof(ar->key_id), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    keycache_note(ar->shared->keys, ar->key_hash, clock_ms());
    return true;
}

int api_wait_seconds(ApiRequest *ar, bool query_allowed)
{
    char text[16];
    int seconds = 0;
    Error err = {0};

    if (query_allowed) {
        QueryResult q = query_get(ar->req->query, "wait", text, sizeof(text));
        if (query_error(q, "wait", &err)) {
            api_fail(ar, &err, "wait");
            return -1;
        }
        if (q == QUERY_FOUND && !strnum_int(text, 0, 86400, &seconds)) {
            error_set(&err, 400, "invalid_field", "wait must be a number of seconds");
            api_fail(ar, &err, "wait");
            return -1;
        }
    }
    if (seconds == 0 && !prefer_wait(ar->req->prefer, &seconds))
        seconds = 0;
    if (seconds > ar->shared->cfg->wait_max_seconds)
        seconds = ar->shared->cfg->wait_max_seconds;
    return seconds < 0 ? 0 : seconds;
}
