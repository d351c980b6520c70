/* SPDX-License-Identifier: MIT */
/* router.c matches a method and path against the route table of the v1 API. */
#include "router.h"

#include <stdio.h>
#include <string.h>

/* The table; OpenAPI order: by path, then method. */
static const Route routes[] = {
    {"GET", "/v1/jobs", ROUTE_LIST, "list_jobs"},
    {"POST", "/v1/jobs", ROUTE_SUBMIT, "submit_job"},
    {"GET", "/v1/jobs/{id}", ROUTE_GET, "get_job"},
    {"POST", "/v1/jobs/{id}/cancel", ROUTE_CANCEL, "cancel_job"},
    {"POST", "/v1/jobs/{id}/pause", ROUTE_PAUSE, "pause_job"},
    {"POST", "/v1/jobs/{id}/resume", ROUTE_RESUME, "resume_job"},
    {"GET", "/v1/jobs/{id}/results", ROUTE_RESULTS, "get_results"},
    {"GET", "/v1/jobs/{id}/results/full", ROUTE_RESULTS_FULL, "get_full_results"},
    {"GET", "/v1/health", ROUTE_HEALTH, "health"},
    {"GET", "/metrics", ROUTE_METRICS, "metrics"},
};

enum { ROUTE_TABLE_SIZE = sizeof routes / sizeof routes[0] };

static const char id_parameter[] = "{id}";

/* pattern_match says whether path matches pattern; an {id} must be a
 * whole segment in uuid syntax and is copied, lower-cased, to id. */
static bool pattern_match(const char *pattern, const char *path, char id[UUID_TEXT_SIZE])
{
    id[0] = '\0';
    while (*pattern != '\0') {
        if (strncmp(pattern, id_parameter, sizeof id_parameter - 1) == 0) {
            size_t len = strcspn(path, "/");
            if (!uuid_normalize(path, len, id))
                return false;
            pattern += sizeof id_parameter - 1;
            path += len;
            continue;
        }
        if (*pattern++ != *path++)
            return false;
    }
    return *path == '\0';
}

/* MethodSet is the methods a known path allows. */
typedef struct MethodSet {
    bool get, post;
} MethodSet;

/* method_matches says whether a request's method is served by route r. */
static bool method_matches(const Route *r, const char *method)
{
    return strcmp(r->method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

/* format_allow writes the Allow value of allowed into out, in a fixed
 * order; a GET route allows HEAD too. */
static void format_allow(const MethodSet *allowed, char out[ROUTE_ALLOW_SIZE])
{
    snprintf(out, ROUTE_ALLOW_SIZE, "%s%s%s", allowed->get ? "GET, HEAD" : "",
             allowed->get && allowed->post ? ", " : "", allowed->post ? "POST" : "");
}

bool router_match(const char *method, const char *path, RouteMatch *out, Error *err)
{
    MethodSet allowed = {false, false};
    char id[UUID_TEXT_SIZE];

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < ROUTE_TABLE_SIZE; i++) {
        const Route *r = &routes[i];
        if (!pattern_match(r->pattern, path, id))
            continue;
        if (method_matches(r, method)) {
            out->route = r->id;
            out->head = strcmp(method, "HEAD") == 0;
            memcpy(out->id, id, sizeof id);
            return true;
        }
        allowed.get |= strcmp(r->method, "GET") == 0;
        allowed.post |= strcmp(r->method, "POST") == 0;
    }
    if (!allowed.get && !allowed.post) {
        error_set(err, 404, "not_found", "there is no resource at this path");
        return false;
    }
    format_allow(&allowed, out->allow);
    error_set(err, 405, "method_not_allowed", "%s is not allowed here; use %s", method, out->allow);
    return false;
}

const char *router_route_name(RouteId id)
{
    for (size_t i = 0; i < ROUTE_TABLE_SIZE; i++) {
        if (routes[i].id == id)
            return routes[i].name;
    }
    return "none";
}

const Route *router_routes(size_t *count)
{
    *count = ROUTE_TABLE_SIZE;
    return routes;
}
