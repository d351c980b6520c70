/* SPDX-License-Identifier: MIT */
/* test_cgi_render.c tests responses: JSON, problems, jobs, ETags and the CGI head (cgi/render.c).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "render.h"
#include "suites.h"
#include "validate.h"

/* body_json parses res's body; a new reference (NULL if it is not JSON). */
static json_t *body_json(const Response *res)
{
    json_error_t jerr;
    return res->body != NULL ? json_loadb(res->body, res->body_len, 0, &jerr) : NULL;
}

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void reasons(void)
{
    CHECK_STR(render_reason(200), "OK");
    CHECK_STR(render_reason(202), "Accepted");
    CHECK_STR(render_reason(304), "Not Modified");
    CHECK_STR(render_reason(400), "Bad Request");
    CHECK_STR(render_reason(401), "Unauthorized");
    CHECK_STR(render_reason(404), "Not Found");
    CHECK_STR(render_reason(405), "Method Not Allowed");
    CHECK_STR(render_reason(409), "Conflict");
    CHECK_STR(render_reason(413), "Content Too Large");
    CHECK_STR(render_reason(415), "Unsupported Media Type");
    CHECK_STR(render_reason(422), "Unprocessable Content");
    CHECK_STR(render_reason(429), "Too Many Requests");
    CHECK_STR(render_reason(500), "Internal Server Error");
    CHECK_STR(render_reason(503), "Service Unavailable");
    CHECK_STR(render_reason(299), "Unknown");
    CHECK_STR(render_reason(0), "Unknown");
    CHECK_STR(render_reason(-1), "Unknown");
}

static void json_body(void)
{
    Response *res = response_new();

    REQUIRE(res != NULL);
    REQUIRE(render_json(res, 200, json_pack("{s:s, s:i}", "status", "ok", "depth", 3)));
    CHECK_INT(res->status, 200);
    CHECK_STR(res->content_type, "application/json");
    CHECK_STR(res->body, "{\"status\":\"ok\",\"depth\":3}\n");
    CHECK_INT(res->body_len, strlen(res->body));
    /* A NULL body (a failed constructor) leaves an empty 500. */
    CHECK(!render_json(res, 200, NULL));
    CHECK_INT(res->status, 500);
    CHECK(res->body == NULL);
    CHECK(res->content_type == NULL);
    response_free(res);
}

static void problem(void)
{
    Response *res = response_new();
    Error err;
    json_t *body;

    REQUIRE(res != NULL);
    error_set(&err, 422, "unknown_type", "this server runs no job of that type");
    REQUIRE(render_problem(res, &err, "type"));
    CHECK_INT(res->status, 422);
    CHECK_STR(res->content_type, "application/problem+json");
    CHECK_STR(res->body,
              "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
              "\"status\":422,\"detail\":\"this server runs no job of that type\","
              "\"code\":\"unknown_type\",\"field\":\"type\"}\n");
    CHECK_INT(res->header_count, 0);
    /* Without a field, no "field". */
    error_set(&err, 404, "job_not_found", "job x not found");
    REQUIRE(render_problem(res, &err, NULL));
    body = body_json(res);
    REQUIRE(body != NULL);
    CHECK_STR(str_of(body, "title"), "Not Found");
    CHECK_INT(json_integer_value(json_object_get(body, "status")), 404);
    CHECK(json_object_get(body, "field") == NULL);
    CHECK_INT(json_object_size(body), 5);
    json_decref(body);
    response_free(res);
}

static void problem_retry_after(void)
{
    Response *res = response_new();
    Error err;

    REQUIRE(res != NULL);
    error_set(&err, 503, "db_unavailable", "the database is not reachable");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_STR(response_header_value(res, "Retry-After"), "5");
    response_free(res);
    res = response_new();
    REQUIRE(res != NULL);
    error_set(&err, 429, "rate_limited", "slow down");
    REQUIRE(response_header(res, "Retry-After", "30")); /* the caller's wins */
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_STR(response_header_value(res, "Retry-After"), "30");
    CHECK_INT(res->header_count, 1);
    response_free(res);
    res = response_new();
    REQUIRE(res != NULL);
    error_set(&err, 500, "internal_error", "internal error");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK(response_header_value(res, "Retry-After") == NULL);
    response_free(res);
}

static void problem_unauthorized(void)
{
    Response *res = response_new();
    Error err;

    REQUIRE(res != NULL);
    error_set(&err, 401, "missing_api_key", "an API key is required");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_STR(response_header_value(res, "WWW-Authenticate"), "Bearer realm=\"pgjob\"");
    REQUIRE(response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\""));
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_STR(response_header_value(res, "WWW-Authenticate"), "Bearer error=\"invalid_token\"");
    response_free(res);
}

/* Headers set before (Allow of a 405) survive; the body is replaced. */
static void problem_keeps_headers(void)
{
    Response *res = response_new();
    Error err;

    REQUIRE(res != NULL);
    REQUIRE(render_json(res, 200, json_object()));
    REQUIRE(response_header(res, "Allow", "GET, HEAD"));
    error_set(&err, 405, "method_not_allowed", "POST is not allowed here; use GET, HEAD");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_INT(res->status, 405);
    CHECK_STR(response_header_value(res, "Allow"), "GET, HEAD");
    CHECK_STR(res->content_type, "application/problem+json");
    response_free(res);
}

/* An Error that is not an error status is the caller's bug: a bare 500. */
static void problem_not_an_error(void)
{
    Response *res = response_new();
    Error err;
    json_t *body;

    REQUIRE(res != NULL);
    error_clear(&err);
    REQUIRE(render_problem(res, &err, "x"));
    CHECK_INT(res->status, 500);
    body = body_json(res);
    REQUIRE(body != NULL);
    CHECK_STR(str_of(body, "code"), "internal_error");
    CHECK_STR(str_of(body, "detail"), "internal error");
    CHECK(json_object_get(body, "field") == NULL);
    json_decref(body);
    error_set(&err, 200, "ok", "fine");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_INT(res->status, 500);
    error_set(&err, 600, "x", "y");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_INT(res->status, 500);
    REQUIRE(render_problem(res, NULL, NULL));
    CHECK_INT(res->status, 500);
    response_free(res);
}

/* A detail with quotes and non-ASCII is escaped, never raw. */
static void problem_escaping(void)
{
    Response *res = response_new();
    Error err;
    json_t *body;

    REQUIRE(res != NULL);
    error_set(&err, 400, "unknown_field", "unknown field \"a\\b\" \xc3\xa9");
    REQUIRE(render_problem(res, &err, "a\"b"));
    body = body_json(res);
    REQUIRE(body != NULL);
    CHECK_STR(str_of(body, "detail"), "unknown field \"a\\b\" \xc3\xa9");
    CHECK_STR(str_of(body, "field"), "a\"b");
    json_decref(body);
    /* Bytes that are not UTF-8 become '?': a problem always renders. */
    error_set(&err, 400, "malformed_json", "near '\xab\xb7' \xc3\xa9");
    REQUIRE(render_problem(res, &err, "f\xff"));
    CHECK_INT(res->status, 400);
    body = body_json(res);
    REQUIRE(body != NULL);
    CHECK_STR(str_of(body, "detail"), "near '?\?' \xc3\xa9"); /* "?\?": no trigraph */
    CHECK_STR(str_of(body, "field"), "f?");
    json_decref(body);
    response_free(res);
}

/* The input the fuzzer found: a malformed body whose bad bytes jansson
 * quotes in its message.  It is a 400 problem, not an empty 500. */
static void problem_from_malformed_utf8(void)
{
    static const char input[] = "{\"typT]\\\xe4\xab\xb7\\\\|";
    const char *const types[] = {"echo"};
    const SubmitRules rules = {types, 1, 10};
    char field[VALIDATE_FIELD_SIZE];
    Response *res = response_new();
    Error err;

    REQUIRE(res != NULL);
    REQUIRE(validate_submit(input, sizeof input - 1, &rules, &err, field) == NULL);
    CHECK_STR(err.code, "malformed_json");
    REQUIRE(render_problem(res, &err, NULL));
    CHECK_INT(res->status, 400);
    CHECK(res->body != NULL);
    response_free(res);
}

/* job fills v with a minimal queued job. */
static void job(JobView *v)
{
    memset(v, 0, sizeof *v);
    v->id = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";
    v->type = "echo";
    v->status = "queued";
    v->item_count = "1";
    v->items_done = "0";
    v->items_failed = "0";
    v->attempt_count = "0";
    v->max_attempts = "3";
    v->priority = "0";
    v->run_at = "2026-11-26 06:29:40+00";
    v->created_at = "2026-11-26 06:29:40+00";
    v->updated_at = "2026-11-26 06:29:40+00";
    v->validation_flags = "[]";
    v->metadata = "{}";
    v->version = "1";
}

static void job_response(void)
{
    Response *res = response_new();
    JobView v;
    Error err;
    json_t *body;

    REQUIRE(res != NULL);
    job(&v);
    REQUIRE(render_job(res, 202, &v, &err));
    CHECK_INT(res->status, 202);
    CHECK_STR(res->content_type, "application/json");
    CHECK_STR(response_header_value(res, "ETag"), "W/\"0b9f7c1e-1\"");
    CHECK(res->body[res->body_len - 1] == '\n');
    body = body_json(res);
    REQUIRE(body != NULL);
    CHECK_STR(str_of(body, "status"), "queued");
    json_decref(body);
    response_free(res);
}

/* A job that cannot be rendered leaves res as it was. */
static void job_errors(void)
{
    Response *res = response_new();
    JobView v;
    Error err;

    REQUIRE(res != NULL);
    job(&v);
    v.version = NULL;
    CHECK(!render_job(res, 200, &v, &err));
    CHECK_INT(err.status, 500);
    CHECK_STR(err.code, "bad_job_row");
    job(&v);
    v.status = "lost";
    CHECK(!render_job(res, 200, &v, &err));
    CHECK_STR(err.code, "bad_job_row");
    CHECK_INT(res->status, 200);
    CHECK(res->body == NULL);
    CHECK_INT(res->header_count, 0);
    response_free(res);
}

static void job_list_response(void)
{
    Response *res = response_new();
    JobView views[1];
    Error err;

    REQUIRE(res != NULL);
    job(&views[0]);
    REQUIRE(render_job_list(res, views, 1, "", &err));
    CHECK_INT(res->status, 200);
    CHECK_STR(res->content_type, "application/json");
    CHECK(strstr(res->body, "],\"next_cursor\":\"\"}\n") != NULL);
    CHECK(response_header_value(res, "ETag") == NULL);
    views[0].id = "x";
    CHECK(!render_job_list(res, views, 1, "", &err));
    CHECK_STR(err.code, "bad_job_row");
    response_free(res);
}

static void not_modified(void)
{
    Response *res = response_new();
    JobView v;
    Error err;

    REQUIRE(res != NULL);
    job(&v);
    REQUIRE(render_job(res, 200, &v, &err));
    render_not_modified(res);
    CHECK_INT(res->status, 304);
    CHECK(res->body == NULL);
    CHECK(res->content_type == NULL);
    CHECK_STR(response_header_value(res, "ETag"), "W/\"0b9f7c1e-1\"");
    response_free(res);
}

static void etags(void)
{
    const char *weak = "W/\"0b9f7c1e-4\"";
    const char *strong = "\"0b9f7c1e-4\"";

    CHECK(etag_matches("W/\"0b9f7c1e-4\"", weak));
    CHECK(etag_matches("\"0b9f7c1e-4\"", weak)); /* weak comparison */
    CHECK(etag_matches("W/\"0b9f7c1e-4\"", strong));
    CHECK(etag_matches("\"0b9f7c1e-4\"", strong));
    CHECK(etag_matches("*", weak));
    CHECK(etag_matches("  *  ", weak));
    CHECK(etag_matches("\"a\", W/\"0b9f7c1e-4\"", weak));
    CHECK(etag_matches("\"a\",W/\"b\" ,\t\"0b9f7c1e-4\"", weak));
    CHECK(etag_matches(", ,\"0b9f7c1e-4\",", weak));
    CHECK(!etag_matches(NULL, weak));
    CHECK(!etag_matches("", weak));
    CHECK(!etag_matches("W/\"0b9f7c1e-3\"", weak));
    CHECK(!etag_matches("\"0b9f7c1e-4 \"", weak));
    CHECK(!etag_matches("\"a\", \"b\"", weak));
    CHECK(!etag_matches("0b9f7c1e-4", weak));       /* not quoted */
    CHECK(!etag_matches("w/\"0b9f7c1e-4\"", weak)); /* W/ is case-sensitive */
    CHECK(!etag_matches("\"0b9f7c1e-4", weak));
    CHECK(!etag_matches("*, \"0b9f7c1e-4\"", weak));    /* '*' stands alone */
    CHECK(!etag_matches("\"a\" \"0b9f7c1e-4\"", weak)); /* no comma: malformed */
    CHECK(!etag_matches("\"a\"x, \"0b9f7c1e-4\"", weak));
    CHECK(!etag_matches("\"x\", bad, \"0b9f7c1e-4\"", weak)); /* malformed: no match at all */
    CHECK(!etag_matches("\"0b9f7c1e\x01-4\"", weak));
    CHECK(etag_matches("\"\xc3\xa9\"", "W/\"\xc3\xa9\"")); /* obs-text */
    CHECK(etag_matches("\"\"", "\"\""));                   /* empty opaque-tag */
    CHECK(etag_matches("\"!#~\"", "\"!#~\""));
    /* A malformed etag matches nothing, not even "*". */
    CHECK(!etag_matches("*", "0b9f7c1e-4"));
    CHECK(!etag_matches("*", NULL));
    CHECK(!etag_matches("*", "\"a\" x"));
}

static void head(void)
{
    Response *res = response_new();
    char *text;
    size_t len = 0;

    REQUIRE(res != NULL);
    REQUIRE(render_json(res, 202, json_pack("{s:i}", "a", 1)));
    REQUIRE(response_header(res, "Location", "/v1/jobs/x"));
    REQUIRE(response_header(res, "Retry-After", "1"));
    text = render_head(res, &len);
    REQUIRE(text != NULL);
    CHECK_STR(text,
              "Status: 202 Accepted\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: 8\r\n"
              "Location: /v1/jobs/x\r\n"
              "Retry-After: 1\r\n"
              "\r\n");
    CHECK_INT(len, strlen(text));
    free(text);
    CHECK(render_body_wanted(res, false));
    CHECK(!render_body_wanted(res, true)); /* HEAD: same head, no body */
    response_free(res);
}

static void head_without_body(void)
{
    Response *res = response_new();
    char *text;
    size_t len = 0;

    REQUIRE(res != NULL);
    text = render_head(res, &len); /* a new Response: 200, empty */
    REQUIRE(text != NULL);
    CHECK_STR(text, "Status: 200 OK\r\nContent-Length: 0\r\n\r\n");
    free(text);
    CHECK(!render_body_wanted(res, false));
    REQUIRE(response_header(res, "ETag", "W/\"a-1\""));
    render_not_modified(res);
    text = render_head(res, &len);
    REQUIRE(text != NULL);
    CHECK_STR(text, "Status: 304 Not Modified\r\nETag: W/\"a-1\"\r\n\r\n");
    free(text);
    CHECK(!render_body_wanted(res, false));
    /* A 204 has neither Content-Type nor Content-Length, even with a type. */
    REQUIRE(response_set_body(res, "text/plain", strdup("x"), 1));
    res->status = 204;
    text = render_head(res, &len);
    REQUIRE(text != NULL);
    CHECK_STR(text, "Status: 204 No Content\r\nETag: W/\"a-1\"\r\n\r\n");
    free(text);
    CHECK(!render_body_wanted(res, false));
    /* A status the table does not know still gets a reason. */
    res->status = 299;
    text = render_head(res, &len);
    REQUIRE(text != NULL);
    CHECK(strncmp(text, "Status: 299 Unknown\r\n", 21) == 0);
    free(text);
    response_free(res);
}

/* A content type that would split the head is refused. */
static void head_rejects(void)
{
    Response *res = response_new();
    size_t len = 0;

    REQUIRE(res != NULL);
    REQUIRE(response_set_body(res, "text/plain\r\nX-Evil: 1", strdup("x"), 1));
    CHECK(render_head(res, &len) == NULL);
    REQUIRE(response_set_body(res, "text/plain\x7f", NULL, 0));
    CHECK(render_head(res, &len) == NULL);
    REQUIRE(response_set_body(res, "text/plain;\tcharset=utf-8", NULL, 0));
    {
        char *text = render_head(res, &len);
        CHECK(text != NULL);
        free(text);
    }
    response_free(res);
}

/* ---- running out of memory ------------------------------------------- */

/* sweep_problem makes each allocation of render_problem fail in turn,
 * jansson's included: every failure leaves an empty 500. */
static void problem_out_of_memory(void)
{
    int failures = 0;

    json_set_alloc_funcs(mem_malloc, free);
    for (long n = 0;; n++) {
        Response *res = response_new();
        Error err;
        bool ok, injected;

        REQUIRE(res != NULL);
        error_set(&err, 503, "db_unavailable", "down");
        mem_fail_at(n);
        ok = render_problem(res, &err, "field");
        injected = mem_failed();
        mem_fail_at(-1);
        if (!injected) {
            CHECK(ok);
            response_free(res);
            break;
        }
        failures++;
        CHECK(!ok);
        CHECK_INT(res->status, 500);
        CHECK(res->body == NULL);
        response_free(res);
    }
    CHECK(failures >= 5);
}

static void json_out_of_memory(void)
{
    int failures = 0;

    json_set_alloc_funcs(mem_malloc, free);
    for (long n = 0;; n++) {
        Response *res = response_new();
        json_t *body = json_pack("{s:[i,i]}", "a", 1, 2);
        bool ok, injected;

        REQUIRE(res != NULL && body != NULL);
        mem_fail_at(n);
        ok = render_json(res, 201, body);
        injected = mem_failed();
        mem_fail_at(-1);
        if (!injected) {
            CHECK(ok);
            CHECK_INT(res->status, 201);
            response_free(res);
            break;
        }
        failures++;
        CHECK(!ok);
        CHECK_INT(res->status, 500);
        CHECK(res->body == NULL);
        response_free(res);
    }
    CHECK(failures >= 2);
}

/* A job that cannot be rendered for want of memory is a 500
 * out_of_memory, never a bad row. */
static void job_out_of_memory(void)
{
    JobView v;
    int failures = 0;

    job(&v);
    for (int list = 0; list < 2; list++) {
        for (long n = 0;; n++) {
            Response *res = response_new();
            Error err;
            bool ok, injected;

            REQUIRE(res != NULL);
            error_clear(&err);
            mem_fail_at(n);
            ok = list ? render_job_list(res, &v, 1, "c", &err) : render_job(res, 200, &v, &err);
            injected = mem_failed();
            mem_fail_at(-1);
            response_free(res);
            if (!injected) {
                CHECK(ok);
                break;
            }
            failures++;
            CHECK(!ok);
            CHECK_INT(err.status, 500);
            CHECK_STR(err.code, "out_of_memory");
        }
    }
    CHECK(failures >= 4);
}

static void head_out_of_memory(void)
{
    Response *res = response_new();
    size_t len = 0;

    REQUIRE(res != NULL);
    mem_fail_at(0);
    CHECK(render_head(res, &len) == NULL);
    mem_fail_at(-1);
    response_free(res);
}

const Test cgi_render_tests[] = {
    {"cgi_render_reasons", reasons},
    {"cgi_render_json_body", json_body},
    {"cgi_render_problem", problem},
    {"cgi_render_problem_retry_after", problem_retry_after},
    {"cgi_render_problem_unauthorized", problem_unauthorized},
    {"cgi_render_problem_keeps_headers", problem_keeps_headers},
    {"cgi_render_problem_not_an_error", problem_not_an_error},
    {"cgi_render_problem_escaping", problem_escaping},
    {"cgi_render_problem_from_malformed_utf8", problem_from_malformed_utf8},
    {"cgi_render_job_response", job_response},
    {"cgi_render_job_errors", job_errors},
    {"cgi_render_job_list_response", job_list_response},
    {"cgi_render_not_modified", not_modified},
    {"cgi_render_etags", etags},
    {"cgi_render_head", head},
    {"cgi_render_head_without_body", head_without_body},
    {"cgi_render_head_rejects", head_rejects},
    {"cgi_render_problem_out_of_memory", problem_out_of_memory},
    {"cgi_render_json_out_of_memory", json_out_of_memory},
    {"cgi_render_job_out_of_memory", job_out_of_memory},
    {"cgi_render_head_out_of_memory", head_out_of_memory},
    {NULL, NULL},
};
