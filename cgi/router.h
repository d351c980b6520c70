/* SPDX-License-Identifier: MIT */
/*
 * router.h - the route table of the native API (v1) and the matching of a
 * request's method and path against it.
 *
 * A route is {method, pattern, id, name}.  Patterns are literal segments
 * and {id}, a job id in uuid syntax (uuid.h).  The router knows no
 * handler: it answers a RouteId, and the API module keeps its own table
 * indexed by RouteId (e.g. "static const ApiHandler handlers[ROUTE_COUNT]
 * = {[ROUTE_SUBMIT] = api_submit, ...}"), so the router is tested alone
 * and the API module cannot forget a route without a test noticing.
 *
 * Matching rules:
 *   - paths are compared exactly, case included, after %-decoding
 *     (Request.path_decoded); no trailing slash is removed, so
 *     "/v1/jobs/" is an unknown path (404), as are "//v1/jobs" and
 *     "/v1/jobs/{id}/";
 *   - an {id} that is not a uuid makes the path unknown: 404, not 400,
 *     since no resource can be at that path;
 *   - methods are compared exactly (RFC 9110 methods are case-sensitive);
 *     HEAD matches where GET does and is answered without a body;
 *   - an unknown path is 404 not_found; a known path with another method
 *     is 405 method_not_allowed, and the caller sends RouteMatch.allow as
 *     the Allow header.
 */
#ifndef PGJOB_ROUTER_H
#define PGJOB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "uuid.h"

/* RouteId names each route; ROUTE_NONE is no route. */
typedef enum RouteId {
    ROUTE_NONE = 0,
    ROUTE_SUBMIT,       /* POST /v1/jobs */
    ROUTE_LIST,         /* GET  /v1/jobs */
    ROUTE_GET,          /* GET  /v1/jobs/{id} */
    ROUTE_CANCEL,       /* POST /v1/jobs/{id}/cancel */
    ROUTE_PAUSE,        /* POST /v1/jobs/{id}/pause */
    ROUTE_RESUME,       /* POST /v1/jobs/{id}/resume */
    ROUTE_RESULTS,      /* GET  /v1/jobs/{id}/results */
    ROUTE_HEALTH,       /* GET  /v1/health */
    ROUTE_METRICS,      /* GET  /metrics */
    ROUTE_RESULTS_FULL, /* GET  /v1/jobs/{id}/results/full */
    ROUTE_COUNT         /* the number of RouteIds, ROUTE_NONE included */
} RouteId;

/* Route is one row of the table; all strings are static. */
typedef struct Route {
    const char *method;  /* "GET" or "POST"; GET routes answer HEAD too */
    const char *pattern; /* "/v1/jobs/{id}", as OpenAPI writes a path */
    RouteId id;
    const char *name; /* "get_job": the metrics label and the OpenAPI operationId */
} Route;

/* Size of RouteMatch.allow, NUL included. */
enum { ROUTE_ALLOW_SIZE = 32 };

/* RouteMatch is what router_match found. */
typedef struct RouteMatch {
    RouteId route;                /* ROUTE_NONE when nothing matched */
    char id[UUID_TEXT_SIZE];      /* the {id} in lower case; "" when the route has none */
    bool head;                    /* the method was HEAD: answer as GET, without a body */
    char allow[ROUTE_ALLOW_SIZE]; /* on 405, the Allow value ("GET, HEAD, POST"); else "" */
} RouteMatch;

/* router_match matches method and path (a decoded path, borrowed) against
 * the table and fills *out.  Returns true when a route matched, else
 * false with err 404 not_found or 405 method_not_allowed (then out->allow
 * is the Allow header to send). */
bool router_match(const char *method, const char *path, RouteMatch *out, Error *err)
    __attribute__((warn_unused_result));

/* router_route_name returns the name of route id ("get_job"), or "none"
 * for ROUTE_NONE and any value outside the enum; static. */
const char *router_route_name(RouteId id);

/* router_routes returns the table, static, and stores its length in
 * *count; each RouteId but ROUTE_NONE appears exactly once.  For the
 * OpenAPI test and the metrics, which list every route. */
const Route *router_routes(size_t *count);

#endif
