/* SPDX-License-Identifier: MIT */
/*
 * api.c - routing, authentication and the pieces every route shares:
 * error answers and the rendering of a job row.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_request.h"
#include "clock.h"
#include "jobtypes.h"
#include "log.h"
#include "render.h"
#include "sha256.h"

struct Api {
    ApiShared shared;
};

Api *api_new(const Config *cfg, Error *err)
{
    Api *api = calloc(1, sizeof(*api));
    struct timespec now;

    if (api == NULL)
        goto oom;
    api->shared.cfg = cfg;
    api->shared.types = jobtypes_all(cfg, &api->shared.ntypes);
    api->shared.metrics = metrics_new();
    if (api->shared.types == NULL || api->shared.metrics == NULL)
        goto oom;
    api->shared.waiters = waiters_start(cfg->database, cfg->max_waiters, err);
    if (api->shared.waiters == NULL)
        goto fail;
    clock_gettime(CLOCK_REALTIME, &now);
    api->shared.started = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    return api;
oom:
    error_set(err, 500, "out_of_memory", "out of memory");
fail:
    api_free(api);
    return NULL;
}

void api_free(Api *api)
{
    if (api == NULL)
        return;
    waiters_stop(api->shared.waiters);
    metrics_free(api->shared.metrics);
    free(api->shared.types);
    free(api);
}

void api_observe_rejected(Api *api, int status)
{
    metrics_observe(api->shared.metrics, ROUTE_NONE, status, 0);
}

void api_shutdown(Api *api)
{
    waiters_shutdown(api->shared.waiters);
}

void api_fail(ApiRequest *ar, const Error *err, const char *field)
{
    if (!render_problem(ar->res, err, field != NULL && field[0] != '\0' ? field : NULL))
        log_error("[req %s] out of memory rendering an error", ar->req->id);
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

/* authenticate finds the caller's account from its API key; false with
 * the response rendered (401, 503) when it cannot. */
/* read_key puts the hash of the request's API key in ar->key_hash; false
 * with the response rendered (401) when there is no usable key. */
static bool read_key(ApiRequest *ar)
{
    char key[256];
    Error err = {0};

    if (!api_key_from_headers(ar->req, key, sizeof(key), &err)) {
        api_fail(ar, &err, NULL);
        return false;
    }
    sha256_bytea(key, strlen(key), ar->key_hash);
    memset(key, 0, sizeof(key));
    return true;
}

/* invalid_key renders the 401 of an unknown or revoked key. */
static void invalid_key(ApiRequest *ar)
{
    Error err;
    error_set(&err, 401, "invalid_api_key", "the API key is not valid or was revoked");
    api_fail(ar, &err, NULL);
}

static bool authenticate(ApiRequest *ar)
{
    char field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;

    if (!read_key(ar))
        return false;
    const char *params[1] = {ar->key_hash};
    r = dbconn_exec(ar->db, STMT_KEY_LOOKUP, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return false;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        invalid_key(ar);
        return false;
    }
    snprintf(ar->account, sizeof(ar->account), "%s", PQgetvalue(r, 0, 0));
    snprintf(ar->key_id, sizeof(ar->key_id), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    return true;
}

/* large_pointer fills the large-result fields of v when the job's results
 * were left out for their size. */
static void large_pointer(ApiRequest *ar, JobView *v, const PGresult *r, int row, char *url,
                          size_t urlsize)
{
    int col = PQfnumber(r, "results_bytes");
    long long bytes;

    if (col < 0 || PQgetisnull(r, row, col) || v->results != NULL)
        return;
    if (strcmp(v->status, "expired") == 0)
        return;
    bytes = strtoll(PQgetvalue(r, row, col), NULL, 10);
    if (bytes < ar->shared->cfg->large_result_bytes)
        return;
    snprintf(url, urlsize, "/v1/jobs/%s/results", v->id);
    v->large_results_url = url;
    v->large_results_size_bytes = PQgetvalue(r, row, col);
    v->large_results_expires_at = v->expires_at;
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
    char results_url[96], large_url[96];

    view_of(&v, r, row);
    snprintf(results_url, sizeof(results_url), "/v1/jobs/%s/results", v.id ? v.id : "");
    v.results_url = results_url;
    large_pointer(ar, &v, r, row, large_url, sizeof(large_url));
    set_retry_after(ar, &v);
    if (!render_job(ar->res, status, &v, &err)) {
        log_error("[req %s] cannot render job %s: %s", ar->req->id, v.id ? v.id : "?", err.message);
        api_fail(ar, &err, NULL);
    }
}

PGresult *api_read_job(ApiRequest *ar)
{
    char inline_max[24], field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;
    /* Not authenticated yet (a status read): look the key up in the same
     * round trip. */
    bool with_key = ar->account[0] == '\0';

    snprintf(inline_max, sizeof(inline_max), "%d", ar->shared->cfg->large_result_bytes);
    const char *params[3] = {with_key ? ar->key_hash : ar->account, ar->match.id, inline_max};
    r = dbconn_exec(ar->db, with_key ? STMT_GET_JOB_KEY : STMT_GET_JOB, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return NULL;
    }
    if (with_key && PQntuples(r) == 0) {
        PQclear(r);
        invalid_key(ar);
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
        error_set(&err, 404, "job_not_found", "job %s not found", ar->match.id);
        api_fail(ar, &err, NULL);
        return NULL;
    }
    return r;
}

/* dispatch runs the route's handler. */
static void dispatch(ApiRequest *ar)
{
    switch (ar->match.route) {
        case ROUTE_SUBMIT:
            api_submit(ar);
            return;
        case ROUTE_LIST:
            api_list(ar);
            return;
        case ROUTE_GET:
            api_get(ar);
            return;
        case ROUTE_CANCEL:
            api_action(ar, STMT_CANCEL);
            return;
        case ROUTE_PAUSE:
            api_action(ar, STMT_PAUSE);
            return;
        case ROUTE_RESUME:
            api_action(ar, STMT_RESUME);
            return;
        case ROUTE_RESULTS:
            api_results(ar);
            return;
        case ROUTE_HEALTH:
            api_health(ar);
            return;
        case ROUTE_METRICS:
            api_metrics(ar);
            return;
        case ROUTE_NONE:
        case ROUTE_COUNT:
            break;
    }
    Error err;
    error_set(&err, 404, "not_found", "no such route");
    api_fail(ar, &err, NULL);
}

void api_handle(Api *api, DbConn *db, const Request *req, Response *res)
{
    ApiRequest ar = {.shared = &api->shared, .db = db, .req = req, .res = res};
    double start = clock_seconds();
    Error err = {0};

    if (!router_match(req->method, req->path_decoded, &ar.match, &err)) {
        if (err.status == 405 && !response_header(res, "Allow", ar.match.allow))
            log_debug("[req %s] cannot set Allow", req->id);
        api_fail(&ar, &err, NULL);
    } else if (ar.match.route == ROUTE_HEALTH || ar.match.route == ROUTE_METRICS) {
        dispatch(&ar);
    } else if (ar.match.route == ROUTE_GET ? read_key(&ar) : authenticate(&ar)) {
        /* A status read authenticates in its job read (api_read_job). */
        dispatch(&ar);
    }
    metrics_observe(api->shared.metrics, ar.match.route, res->status, clock_seconds() - start);
    if (res->status >= 500)
        log_warn("[req %s] %s %s: %d", req->id, req->method, req->path, res->status);
    else
        log_debug("[req %s] %s %s: %d", req->id, req->method, req->path, res->status);
}
