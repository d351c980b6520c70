/* SPDX-License-Identifier: MIT */
/* test_cgi_router.c tests the route table and matching (cgi/router.c). */
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "suites.h"

static const char id[] = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";

/* match returns the route of method and path, ROUTE_NONE when none. */
static RouteId match(const char *method, const char *path)
{
    RouteMatch m;
    Error err;

    if (!router_match(method, path, &m, &err))
        return ROUTE_NONE;
    return m.route;
}

static void every_route(void)
{
    CHECK_INT(match("POST", "/v1/jobs"), ROUTE_SUBMIT);
    CHECK_INT(match("GET", "/v1/jobs"), ROUTE_LIST);
    CHECK_INT(match("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71"), ROUTE_GET);
    CHECK_INT(match("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/cancel"), ROUTE_CANCEL);
    CHECK_INT(match("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/pause"), ROUTE_PAUSE);
    CHECK_INT(match("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/resume"), ROUTE_RESUME);
    CHECK_INT(match("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results"), ROUTE_RESULTS);
    CHECK_INT(match("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results/full"),
              ROUTE_RESULTS_FULL);
    CHECK_INT(match("GET", "/v1/health"), ROUTE_HEALTH);
    CHECK_INT(match("GET", "/metrics"), ROUTE_METRICS);
}

/* The id is returned in lower case; routes without one leave it empty. */
static void id_parameter(void)
{
    RouteMatch m;
    Error err;

    REQUIRE(router_match("POST", "/v1/jobs/0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71/cancel", &m, &err));
    CHECK_INT(m.route, ROUTE_CANCEL);
    CHECK_STR(m.id, id);
    CHECK(!m.head);
    CHECK_STR(m.allow, "");
    REQUIRE(router_match("GET", "/v1/jobs", &m, &err));
    CHECK_STR(m.id, "");
}

static void head_is_get(void)
{
    RouteMatch m;
    Error err;

    REQUIRE(router_match("HEAD", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", &m, &err));
    CHECK_INT(m.route, ROUTE_GET);
    CHECK(m.head);
    CHECK_STR(m.id, id);
    REQUIRE(router_match("HEAD", "/v1/jobs", &m, &err));
    CHECK_INT(m.route, ROUTE_LIST);
    CHECK(m.head);
    CHECK_INT(match("HEAD", "/metrics"), ROUTE_METRICS);
    CHECK_INT(match("HEAD", "/v1/health"), ROUTE_HEALTH);
    /* HEAD is not POST. */
    CHECK_INT(match("HEAD", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/cancel"), ROUTE_NONE);
}

/* check_not_found checks that path is a 404 for method. */
static void check_not_found(const char *method, const char *path)
{
    RouteMatch m;
    Error err;

    error_clear(&err);
    if (!CHECK(!router_match(method, path, &m, &err)))
        return;
    CHECK_INT(err.status, 404);
    CHECK_STR(err.code, "not_found");
    CHECK_INT(m.route, ROUTE_NONE);
    CHECK_STR(m.allow, "");
}

static void unknown_paths(void)
{
    check_not_found("GET", "/");
    check_not_found("GET", "");
    check_not_found("GET", "/v1");
    check_not_found("GET", "/v1/");
    check_not_found("GET", "/v1/jobs/"); /* a trailing slash is another path */
    check_not_found("POST", "/v1/jobs/");
    check_not_found("GET", "//v1/jobs");
    check_not_found("GET", "/v1//jobs");
    check_not_found("GET", "/V1/jobs"); /* paths are case-sensitive */
    check_not_found("GET", "/v1/jobsx");
    check_not_found("GET", "/v2/jobs");
    check_not_found("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/");
    check_not_found("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results/");
    check_not_found("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/retry");
    check_not_found("GET", "/v1/health/");
    check_not_found("GET", "/metrics/");
    check_not_found("GET", "/v1/metrics");
    check_not_found("GET", "/v1/jobs?status=queued"); /* a query is never part of the path */
}

/* An id that is not a uuid makes the path unknown: 404, not 400. */
static void bad_ids(void)
{
    check_not_found("GET", "/v1/jobs/123");
    check_not_found("GET", "/v1/jobs/not-a-uuid");
    check_not_found("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7");   /* 35 */
    check_not_found("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e711"); /* 37 */
    check_not_found("GET", "/v1/jobs/0b9f7c1e5d2a-4c1b-9e0f-3a6d8b2c4e71-");
    check_not_found("GET", "/v1/jobs/0b9f7c1g-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_not_found("GET", "/v1/jobs/{id}");
    check_not_found("POST", "/v1/jobs/x/cancel");
    check_not_found("DELETE", "/v1/jobs/x");
}

/* check_not_allowed checks a 405 and its Allow value. */
static void check_not_allowed(const char *method, const char *path, const char *allow)
{
    RouteMatch m;
    Error err;

    error_clear(&err);
    if (!CHECK(!router_match(method, path, &m, &err)))
        return;
    CHECK_INT(err.status, 405);
    CHECK_STR(err.code, "method_not_allowed");
    CHECK_STR(m.allow, allow);
    CHECK_INT(m.route, ROUTE_NONE);
}

static void wrong_methods(void)
{
    Error err;
    RouteMatch m;

    check_not_allowed("DELETE", "/v1/jobs", "GET, HEAD, POST");
    check_not_allowed("PUT", "/v1/jobs", "GET, HEAD, POST");
    check_not_allowed("get", "/v1/jobs", "GET, HEAD, POST"); /* methods are case-sensitive */
    check_not_allowed("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", "GET, HEAD");
    check_not_allowed("DELETE", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", "GET, HEAD");
    check_not_allowed("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/cancel", "POST");
    check_not_allowed("HEAD", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/pause", "POST");
    check_not_allowed("GET", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/resume", "POST");
    check_not_allowed("POST", "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results", "GET, HEAD");
    check_not_allowed("POST", "/v1/health", "GET, HEAD");
    check_not_allowed("OPTIONS", "/metrics", "GET, HEAD");
    /* The message names the method and what is allowed. */
    REQUIRE(!router_match("PATCH", "/v1/health", &m, &err));
    CHECK_STR(err.message, "PATCH is not allowed here; use GET, HEAD");
}

/* The table lists every route once, and names them. */
static void table(void)
{
    size_t count = 0;
    const Route *routes = router_routes(&count);
    int seen[ROUTE_COUNT] = {0};

    CHECK_INT(count, ROUTE_COUNT - 1);
    for (size_t i = 0; i < count; i++) {
        REQUIRE(routes[i].id > ROUTE_NONE && routes[i].id < ROUTE_COUNT);
        seen[routes[i].id]++;
        CHECK(strcmp(routes[i].method, "GET") == 0 || strcmp(routes[i].method, "POST") == 0);
        CHECK(routes[i].pattern[0] == '/');
        CHECK_STR(router_route_name(routes[i].id), routes[i].name);
    }
    for (int r = ROUTE_NONE + 1; r < ROUTE_COUNT; r++)
        CHECK_INT(seen[r], 1);
    CHECK_STR(routes[0].pattern, "/v1/jobs");
}

static void names(void)
{
    CHECK_STR(router_route_name(ROUTE_SUBMIT), "submit_job");
    CHECK_STR(router_route_name(ROUTE_LIST), "list_jobs");
    CHECK_STR(router_route_name(ROUTE_GET), "get_job");
    CHECK_STR(router_route_name(ROUTE_CANCEL), "cancel_job");
    CHECK_STR(router_route_name(ROUTE_PAUSE), "pause_job");
    CHECK_STR(router_route_name(ROUTE_RESUME), "resume_job");
    CHECK_STR(router_route_name(ROUTE_RESULTS), "get_results");
    CHECK_STR(router_route_name(ROUTE_HEALTH), "health");
    CHECK_STR(router_route_name(ROUTE_METRICS), "metrics");
    CHECK_STR(router_route_name(ROUTE_NONE), "none");
    CHECK_STR(router_route_name(ROUTE_COUNT), "none");
    CHECK_STR(router_route_name((RouteId)-1), "none");
}

/* Each pattern, with a uuid for {id}, matches its own route. */
static void patterns_match_themselves(void)
{
    size_t count = 0;
    const Route *routes = router_routes(&count);

    for (size_t i = 0; i < count; i++) {
        char path[128];
        const char *brace = strstr(routes[i].pattern, "{id}");
        RouteMatch m;
        Error err;

        if (brace == NULL) {
            snprintf(path, sizeof path, "%s", routes[i].pattern);
        } else {
            snprintf(path, sizeof path, "%.*s%s%s", (int)(brace - routes[i].pattern),
                     routes[i].pattern, id, brace + 4);
        }
        REQUIRE(router_match(routes[i].method, path, &m, &err));
        CHECK_INT(m.route, routes[i].id);
    }
}

const Test cgi_router_tests[] = {
    {"cgi_router_every_route", every_route},
    {"cgi_router_id_parameter", id_parameter},
    {"cgi_router_head_is_get", head_is_get},
    {"cgi_router_unknown_paths", unknown_paths},
    {"cgi_router_bad_ids", bad_ids},
    {"cgi_router_wrong_methods", wrong_methods},
    {"cgi_router_table", table},
    {"cgi_router_names", names},
    {"cgi_router_patterns_match_themselves", patterns_match_themselves},
    {NULL, NULL},
};
