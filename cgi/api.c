/* SPDX-License-Identifier: MIT */
/*
 * api.c - the API's entry point: routing and authentication; the routes
 * are in api_jobs.c and api_ops.c, what they share in api_request.c.
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
    api->shared.wait_db = dbconn_new(cfg->database, cfg->statement_timeout_seconds);
    api->shared.keys = keycache_new();
    api->shared.group = submit_group_new(cfg->database, cfg->statement_timeout_seconds);
    if (api->shared.types == NULL || api->shared.metrics == NULL || api->shared.wait_db == NULL ||
        api->shared.keys == NULL || api->shared.group == NULL)
        goto oom;
    /* A wait that holds its thread (Prefer: wait on a submit) may take
     * half the request threads at most; a read parks instead. */
    api->shared.waiters = waiters_start(cfg->database, cfg->max_waiters,
                                        cfg->fcgi_threads > 1 ? cfg->fcgi_threads / 2 : 1, err);
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
    /* The group answers the submits handed to it first: what a
     * client does not take at once goes to the listener (api_send_held). */
    submit_group_free(api->shared.group);
    waiters_stop(api->shared.waiters); /* answers the parked long-polls with wait_db */
    dbconn_free(api->shared.wait_db);
    metrics_free(api->shared.metrics);
    keycache_free(api->shared.keys);
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

/* authenticate finds the caller's account from its API key; false with
 * the response rendered (401, 503) when it cannot. */
static bool authenticate(ApiRequest *ar)
{
    return read_key(ar) && api_lookup_key(ar);
}

/* authenticate_submit is authenticate for a submit, but a key found live
 * lately (keycache.h) is checked by the submit's own statement, in the
 * same round trip (api_submit; ar->account stays "" until then).  Any
 * other key is checked now, before the body is read. */
static bool authenticate_submit(ApiRequest *ar)
{
    if (!read_key(ar))
        return false;
    if (keycache_recent(ar->shared->keys, ar->key_hash, clock_ms()))
        return true;
    return api_lookup_key(ar);
}

/* authenticate_route authenticates ar the way its route does: a status
 * read in its job read (api_read_job), a submit by authenticate_submit,
 * every other route by authenticate. */
static bool authenticate_route(ApiRequest *ar)
{
    if (ar->match.route == ROUTE_GET)
        return read_key(ar);
    if (ar->match.route == ROUTE_SUBMIT)
        return authenticate_submit(ar);
    return authenticate(ar);
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
        case ROUTE_RESULTS_FULL:
            api_results_full(ar);
            return;
        case ROUTE_NONE:
        case ROUTE_COUNT:
            break;
    }
    Error err;
    error_set(&err, 404, "not_found", "no such route");
    api_fail(ar, &err, NULL);
}

/* signed_full authorizes a full results download: by its signed URL
 * (hmac.h) when it has one, else by API key.  false with the response
 * rendered when neither holds. */
static bool signed_full(ApiRequest *ar)
{
    bool is_signed;

    if (!api_results_signed(ar, &is_signed))
        return false;
    return is_signed || authenticate(ar);
}

void api_handle(Api *api, DbConn *db, Request *req, Response *res)
{
    ApiRequest ar = {.shared = &api->shared, .db = db, .req = req, .res = res};
    double start = clock_seconds();
    Error err = {0};

    ar.start = start;
    if (req->profile != NULL) {
        profile_handle(&ar);
    } else if (!router_match(req->method, req->path_decoded, &ar.match, &err)) {
        if (err.status == 405 && !response_header(res, "Allow", ar.match.allow))
            log_debug("[req %s] cannot set Allow", req->id);
        api_fail(&ar, &err, NULL);
    } else if (ar.match.route == ROUTE_HEALTH || ar.match.route == ROUTE_METRICS) {
        dispatch(&ar);
    } else if (ar.match.route == ROUTE_RESULTS_FULL && !signed_full(&ar)) {
        /* Answered: a bad or expired signature, or a key that failed. */
    } else if (ar.match.route == ROUTE_RESULTS_FULL) {
        dispatch(&ar);
    } else if (authenticate_route(&ar) && api_read_body(&ar)) {
        /* The key is checked from the headers before a byte of the body
         * is read, unless it was found live lately (authenticate_submit).
         * A status read authenticates in its job read (api_read_job). */
        dispatch(&ar);
    }
    /* A parked long-poll is counted and logged when it is answered
     * (api_wait.c); req may be gone already. */
    if (ar.parked)
        return;
    api_count(&ar, "");
}
