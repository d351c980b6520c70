/* SPDX-License-Identifier: MIT */
/* test_cgi_request.c tests requests, query strings, Prefer, API keys and responses (cgi/request.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "request.h"
#include "suites.h"

/* build makes a Request from a NULL-terminated list of parameters; on
 * failure it returns NULL and leaves the error in *err. */
static Request *build(Error *err, char *const *params)
{
    error_clear(err);
    return request_from_params(params, "4711-1", err);
}

static void from_params(void)
{
    char *params[] = {
        "REQUEST_METHOD=POST",
        "REQUEST_URI=/v1/jobs?wait=5",
        "QUERY_STRING=wait=5",
        "CONTENT_TYPE=application/json",
        "CONTENT_LENGTH=42",
        "HTTP_X_API_KEY=pgj_abc",
        "HTTP_AUTHORIZATION=Bearer pgj_abc",
        "HTTP_IF_NONE_MATCH=W/\"0b9f7c1e-3\"",
        "HTTP_PREFER=wait=10",
        "HTTP_IDEMPOTENCY_KEY=k-1",
        "HTTP_ACCEPT=application/json",
        "REMOTE_ADDR=192.0.2.7",
        "HTTP_X_OTHER=ignored",
        NULL,
    };
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->path, "/v1/jobs");
    CHECK_STR(r->path_decoded, "/v1/jobs");
    CHECK_STR(r->query, "wait=5");
    CHECK_STR(r->content_type, "application/json");
    CHECK_INT(r->content_length, 42);
    CHECK_STR(r->x_api_key, "pgj_abc");
    CHECK_STR(r->authorization, "Bearer pgj_abc");
    CHECK_STR(r->if_none_match, "W/\"0b9f7c1e-3\"");
    CHECK_STR(r->prefer, "wait=10");
    CHECK_STR(r->idempotency_key, "k-1");
    CHECK_STR(r->accept, "application/json");
    CHECK_STR(r->remote_addr, "192.0.2.7");
    CHECK_STR(r->id, "4711-1");
    CHECK(r->body == NULL);
    CHECK_INT(r->body_len, 0);
    CHECK(!error_is_set(&err));
    request_free(r);
}

/* Headers not sent are NULL; a missing REMOTE_ADDR is "". */
static void absent_headers(void)
{
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/v1/health", NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    CHECK_STR(r->query, "");
    CHECK(r->content_type == NULL);
    CHECK_INT(r->content_length, 0);
    CHECK(r->x_api_key == NULL);
    CHECK(r->authorization == NULL);
    CHECK(r->if_none_match == NULL);
    CHECK(r->prefer == NULL);
    CHECK(r->idempotency_key == NULL);
    CHECK(r->accept == NULL);
    CHECK_STR(r->remote_addr, "");
    request_free(r);
    request_free(NULL);
}

/* The path is raw up to '?'; the decoded copy is what routes. */
static void path_decoding(void)
{
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/v1/jo%62s/%41+b%2f?x=%41", NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    CHECK_STR(r->path, "/v1/jo%62s/%41+b%2f");
    CHECK_STR(r->path_decoded, "/v1/jobs/A+b/"); /* '+' is not a space in a path */
    CHECK_STR(r->query, "x=%41");                /* the query stays encoded */
    request_free(r);
}

/* QUERY_STRING wins over REQUEST_URI's query; without either it is "". */
static void query_sources(void)
{
    char *both[] = {"REQUEST_METHOD=GET", "QUERY_STRING=a=1", "REQUEST_URI=/x?b=2", NULL};
    char *uri_only[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/x?b=2&c", NULL};
    char *empty_q[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/x?", NULL};
    Error err;
    Request *r;

    r = build(&err, both);
    REQUIRE(r != NULL);
    CHECK_STR(r->query, "a=1");
    CHECK_STR(r->path, "/x");
    request_free(r);
    r = build(&err, uri_only);
    REQUIRE(r != NULL);
    CHECK_STR(r->query, "b=2&c");
    request_free(r);
    r = build(&err, empty_q);
    REQUIRE(r != NULL);
    CHECK_STR(r->query, "");
    CHECK_STR(r->path, "/x");
    request_free(r);
}

static void absolute_form(void)
{
    char *http[] = {"REQUEST_METHOD=GET", "REQUEST_URI=http://example.com:8080/v1/jobs?a=1", NULL};
    char *https[] = {"REQUEST_METHOD=GET", "REQUEST_URI=HTTPS://example.com/metrics", NULL};
    char *no_path[] = {"REQUEST_METHOD=GET", "REQUEST_URI=http://example.com", NULL};
    char *query_only[] = {"REQUEST_METHOD=GET", "REQUEST_URI=http://example.com?a=1", NULL};
    Error err;
    Request *r;

    r = build(&err, http);
    REQUIRE(r != NULL);
    CHECK_STR(r->path, "/v1/jobs");
    CHECK_STR(r->query, "a=1");
    request_free(r);
    r = build(&err, https);
    REQUIRE(r != NULL);
    CHECK_STR(r->path, "/metrics");
    request_free(r);
    CHECK(build(&err, no_path) == NULL);
    CHECK_STR(err.code, "invalid_path");
    CHECK(build(&err, query_only) == NULL);
    CHECK_STR(err.code, "invalid_path");
}

/* Without REQUEST_URI: SCRIPT_NAME + PATH_INFO, already decoded by the
 * server, so not decoded again. */
static void script_name_fallback(void)
{
    char *both[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/v1", "PATH_INFO=/jobs/%41",
                    "QUERY_STRING=q=1", NULL};
    char *info_only[] = {"REQUEST_METHOD=GET", "PATH_INFO=/v1/health", NULL};
    char *script_only[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/metrics", NULL};
    char *neither[] = {"REQUEST_METHOD=GET", NULL};
    Error err;
    Request *r;

    r = build(&err, both);
    REQUIRE(r != NULL);
    CHECK_STR(r->path, "/v1/jobs/%41");
    CHECK_STR(r->path_decoded, "/v1/jobs/%41");
    CHECK_STR(r->query, "q=1");
    request_free(r);
    r = build(&err, info_only);
    REQUIRE(r != NULL);
    CHECK_STR(r->path_decoded, "/v1/health");
    request_free(r);
    r = build(&err, script_only);
    REQUIRE(r != NULL);
    CHECK_STR(r->path_decoded, "/metrics");
    request_free(r);
    CHECK(build(&err, neither) == NULL);
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "invalid_path");
}

/* check_bad_path checks that REQUEST_URI uri is refused as invalid_path. */
static void check_bad_path(const char *uri)
{
    char param[256];
    char *params[] = {"REQUEST_METHOD=GET", param, NULL};
    Error err;

    snprintf(param, sizeof param, "REQUEST_URI=%s", uri);
    if (!CHECK(build(&err, params) == NULL))
        return;
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "invalid_path");
}

static void bad_paths(void)
{
    check_bad_path("");
    check_bad_path("v1/jobs");
    check_bad_path("*");
    check_bad_path("?a=1");
    check_bad_path("/v1/%zzjobs");
    check_bad_path("/v1/jobs%");
    check_bad_path("/v1/jobs%4");
    check_bad_path("/v1/jobs%4?x");
    check_bad_path("/v1/%00jobs");
    check_bad_path("/v1/%G0");
}

static void bad_methods(void)
{
    char *none[] = {"REQUEST_URI=/v1/jobs", NULL};
    char *empty[] = {"REQUEST_METHOD=", "REQUEST_URI=/v1/jobs", NULL};
    char *space[] = {"REQUEST_METHOD=GE T", "REQUEST_URI=/v1/jobs", NULL};
    char *ctl[] = {"REQUEST_METHOD=GET\r\n", "REQUEST_URI=/v1/jobs", NULL};
    char *custom[] = {"REQUEST_METHOD=M-SEARCH", "REQUEST_URI=/v1/jobs", NULL};
    Error err;
    Request *r;

    CHECK(build(&err, none) == NULL);
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "bad_request");
    CHECK(build(&err, empty) == NULL);
    CHECK_STR(err.code, "bad_request");
    CHECK(build(&err, space) == NULL);
    CHECK_STR(err.code, "bad_request");
    CHECK(build(&err, ctl) == NULL);
    CHECK_STR(err.code, "bad_request");
    CHECK(request_from_params(NULL, NULL, &err) == NULL); /* no parameters at all */
    CHECK_STR(err.code, "bad_request");
    r = build(&err, custom); /* any token is a method; the router answers 405 */
    REQUIRE(r != NULL);
    CHECK_STR(r->method, "M-SEARCH");
    request_free(r);
}

/* check_length_param builds a request with CONTENT_LENGTH value and
 * checks the parsed length, or -1 for a 400 invalid_content_length. */
static void check_length_param(const char *value, long want)
{
    char param[128];
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/v1/jobs", param, NULL};
    Error err;
    Request *r;

    snprintf(param, sizeof param, "CONTENT_LENGTH=%s", value);
    r = build(&err, params);
    if (want < 0) {
        CHECK(r == NULL);
        CHECK_INT(err.status, 400);
        CHECK_STR(err.code, "invalid_content_length");
        return;
    }
    REQUIRE(r != NULL);
    CHECK_INT(r->content_length, want);
    request_free(r);
}

static void content_length(void)
{
    char max[32];

    check_length_param("0", 0);
    check_length_param("", 0);
    check_length_param("1048576", 1048576);
    check_length_param("007", 7);
    snprintf(max, sizeof max, "%ld", LONG_MAX);
    check_length_param(max, LONG_MAX);
    check_length_param("-1", -1);
    check_length_param("+5", -1);
    check_length_param(" 5", -1);
    check_length_param("5 ", -1);
    check_length_param("5a", -1);
    check_length_param("0x10", -1);
    check_length_param("x5", -1);
    check_length_param("99999999999999999999", -1);
}

/* The first of repeated parameters wins; a name must match whole. */
static void param_lookup(void)
{
    char *params[] = {"REQUEST_METHODX=PUT",
                      "REQUEST_METHOD=GET",
                      "REQUEST_METHOD=POST",
                      "REQUEST_URI=/a",
                      "HTTP_PREFER",
                      "HTTP_PREFER=wait=1",
                      NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    CHECK_STR(r->method, "GET");
    CHECK_STR(r->prefer, "wait=1"); /* "HTTP_PREFER" without '=' is no parameter */
    request_free(r);
}

static void request_id(void)
{
    char *params[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", NULL};
    char long_id[200];
    Error err;
    Request *r;

    r = request_from_params(params, NULL, &err);
    REQUIRE(r != NULL);
    CHECK_STR(r->id, "");
    request_free(r);
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    r = request_from_params(params, long_id, &err);
    REQUIRE(r != NULL);
    CHECK_INT(strlen(r->id), REQUEST_ID_SIZE - 1);
    request_free(r);
}

static void length_check(void)
{
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/v1/jobs", "CONTENT_LENGTH=1001", NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    CHECK(request_check_length(r, 1001, &err));
    CHECK(!error_is_set(&err));
    CHECK(!request_check_length(r, 1000, &err));
    CHECK_INT(err.status, 413);
    CHECK_STR(err.code, "body_too_large");
    CHECK_STR(err.message, "the request body is 1001 bytes; at most 1000 are accepted");
    request_free(r);
}

static void body(void)
{
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/v1/jobs", NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    REQUIRE(request_set_body(r, "a\0b", 3, &err));
    CHECK_INT(r->body_len, 3);
    CHECK(memcmp(r->body, "a\0b", 4) == 0); /* NUL-terminated too */
    REQUIRE(request_set_body(r, "{}", 2, &err));
    CHECK_STR(r->body, "{}");
    CHECK_INT(r->body_len, 2);
    REQUIRE(request_set_body(r, NULL, 0, &err));
    CHECK_STR(r->body, "");
    CHECK_INT(r->body_len, 0);
    request_free(r);
}

/* content_type_is builds a request with that Content-Type and asks. */
static bool content_type_is(const char *content_type, const char *media_type)
{
    char param[128];
    char *with[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", param, NULL};
    Error err;
    Request *r;
    bool is;

    snprintf(param, sizeof param, "CONTENT_TYPE=%s", content_type);
    r = build(&err, with);
    if (r == NULL)
        return false;
    is = request_content_type_is(r, media_type);
    request_free(r);
    return is;
}

static void content_type(void)
{
    char *without[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", NULL};
    Error err;
    Request *r = build(&err, without);

    REQUIRE(r != NULL);
    CHECK(!request_content_type_is(r, "application/json"));
    request_free(r);
    CHECK(content_type_is("application/json", "application/json"));
    CHECK(content_type_is("Application/JSON", "application/json"));
    CHECK(content_type_is("application/json; charset=utf-8", "application/json"));
    CHECK(content_type_is("application/json;charset=UTF-8", "application/json"));
    CHECK(content_type_is(" application/json ; charset=utf-8", "application/json"));
    CHECK(content_type_is("application/json\t", "application/json"));
    CHECK(!content_type_is("", "application/json"));
    CHECK(!content_type_is("application/jsonx", "application/json"));
    CHECK(!content_type_is("application/json-patch+json", "application/json"));
    CHECK(!content_type_is("application/jso", "application/json"));
    CHECK(!content_type_is("text/plain", "application/json"));
    CHECK(!content_type_is("application/json x", "application/json"));
    CHECK(content_type_is("multipart/form-data; boundary=x", "multipart/form-data"));
}

/* ---- query_get --------------------------------------------------------- */

static void query_found(void)
{
    char out[64];

    CHECK_INT(query_get("status=queued&limit=10", "limit", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "10");
    CHECK_INT(query_get("status=queued&limit=10", "status", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "queued");
    CHECK_INT(query_get("a=x+y%20z%2B%2b", "a", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "x y z++");
    CHECK_INT(query_get("a=%c3%A9", "a", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "\xc3\xa9");
    CHECK_INT(query_get("a=b=c", "a", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "b=c");
    CHECK_INT(query_get("&&a=1&&", "a", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "1");
    CHECK_INT(query_get("cursor=", "cursor", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "");
    CHECK_INT(query_get("flag", "flag", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "");
    CHECK_INT(query_get("flag&x=1", "flag", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "");
}

/* Names are decoded before they are compared, exactly. */
static void query_names(void)
{
    char out[64];

    CHECK_INT(query_get("li%6Dit=5", "limit", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "5");
    CHECK_INT(query_get("created+after=1", "created after", out, sizeof out), QUERY_FOUND);
    CHECK_INT(query_get("LIMIT=5", "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_INT(query_get("limitx=5", "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_INT(query_get("limi=5", "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_INT(query_get("=5", "", out, sizeof out), QUERY_ABSENT); /* an empty name is nobody's */
    /* A name that does not decode is nobody's, and spoils nothing else. */
    CHECK_INT(query_get("a%zz=1&limit=2", "limit", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "2");
    CHECK_INT(query_get("limit%=1", "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_INT(query_get("limit%00=1", "limit", out, sizeof out), QUERY_ABSENT);
    /* A malformed value of another parameter is not this one's problem. */
    CHECK_INT(query_get("a=%zz&limit=2", "limit", out, sizeof out), QUERY_FOUND);
}

static void query_absent(void)
{
    char out[8] = "junk";

    CHECK_INT(query_get("", "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_STR(out, "");
    strcpy(out, "junk");
    CHECK_INT(query_get(NULL, "limit", out, sizeof out), QUERY_ABSENT);
    CHECK_STR(out, "");
    CHECK_INT(query_get("a=1&b=2", "limit", out, sizeof out), QUERY_ABSENT);
}

static void query_invalid(void)
{
    char out[16] = "junk";

    CHECK_INT(query_get("limit=%zz", "limit", out, sizeof out), QUERY_INVALID);
    CHECK_STR(out, "");
    CHECK_INT(query_get("limit=1%", "limit", out, sizeof out), QUERY_INVALID);
    CHECK_INT(query_get("limit=1%2", "limit", out, sizeof out), QUERY_INVALID);
    CHECK_INT(query_get("limit=1%2&x", "limit", out, sizeof out), QUERY_INVALID);
    CHECK_INT(query_get("limit=%00", "limit", out, sizeof out), QUERY_INVALID);
    CHECK_INT(query_get("limit=a%00b", "limit", out, sizeof out), QUERY_INVALID);
}

static void query_repeated(void)
{
    char out[16] = "junk";

    CHECK_INT(query_get("limit=1&limit=2", "limit", out, sizeof out), QUERY_REPEATED);
    CHECK_STR(out, "");
    CHECK_INT(query_get("limit=1&li%6dit=1", "limit", out, sizeof out), QUERY_REPEATED);
    CHECK_INT(query_get("limit=%zz&limit=2", "limit", out, sizeof out), QUERY_REPEATED);
    CHECK_INT(query_get("limit&limit", "limit", out, sizeof out), QUERY_REPEATED);
}

static void query_too_long(void)
{
    char out[4] = "junk";

    CHECK_INT(query_get("a=123", "a", out, sizeof out), QUERY_FOUND);
    CHECK_STR(out, "123");
    CHECK_INT(query_get("a=1234", "a", out, sizeof out), QUERY_TOO_LONG);
    CHECK_STR(out, "");
    CHECK_INT(query_get("a=%31%32%33", "a", out, sizeof out), QUERY_FOUND); /* decoded length */
    CHECK_INT(query_get("a=1", "a", out, 0), QUERY_TOO_LONG);
    CHECK_INT(query_get("b=1", "a", out, 0), QUERY_ABSENT);
}

static void query_errors(void)
{
    Error err;

    error_clear(&err);
    CHECK(!query_error(QUERY_ABSENT, "limit", &err));
    CHECK(!query_error(QUERY_FOUND, "limit", &err));
    CHECK(!error_is_set(&err));
    CHECK(query_error(QUERY_INVALID, "limit", &err));
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "invalid_query");
    CHECK_STR(err.message, "query parameter limit has a malformed %-escape");
    CHECK(query_error(QUERY_REPEATED, "limit", &err));
    CHECK_STR(err.message, "query parameter limit is given more than once");
    CHECK(query_error(QUERY_TOO_LONG, "cursor", &err));
    CHECK_STR(err.message, "query parameter cursor is too long");
    CHECK(query_error((QueryResult)99, "x", &err));
    CHECK_STR(err.message, "query parameter x is malformed");
}

/* ---- prefer_wait ------------------------------------------------------- */

/* wait_of returns the wait preference of prefer, or -1 for none. */
static int wait_of(const char *prefer)
{
    int seconds = -1;

    if (!prefer_wait(prefer, &seconds))
        return -1;
    return seconds;
}

static void prefer_found(void)
{
    CHECK_INT(wait_of("wait=10"), 10);
    CHECK_INT(wait_of("wait=0"), 0);
    CHECK_INT(wait_of("WAIT=7"), 7);
    CHECK_INT(wait_of("Wait=7"), 7);
    CHECK_INT(wait_of("respond-async, wait=10"), 10);
    CHECK_INT(wait_of("respond-async,wait=10,handling=lenient"), 10);
    CHECK_INT(wait_of("  wait = 5 "), 5); /* BWS around '=' */
    CHECK_INT(wait_of("wait=\"5\""), 5);
    CHECK_INT(wait_of("wait=5;foo=bar"), 5);
    CHECK_INT(wait_of("wait=5 ; foo"), 5);
    CHECK_INT(wait_of(",, ,wait=3"), 3);
    CHECK_INT(wait_of("return=minimal; x=\"a,b\", wait=4"), 4);
    CHECK_INT(wait_of("foo=\"wait=9, \\\"x\\\"\", wait=2"), 2); /* quoted commas and escapes */
    CHECK_INT(wait_of("wait=007"), 7);
}

/* RFC 7240: only the first instance counts, valid or not. */
static void prefer_first_only(void)
{
    CHECK_INT(wait_of("wait=5, wait=10"), 5);
    CHECK_INT(wait_of("wait=x, wait=10"), -1);
}

static void prefer_saturates(void)
{
    CHECK_INT(wait_of("wait=2147483647"), INT_MAX);
    CHECK_INT(wait_of("wait=2147483648"), INT_MAX);
    CHECK_INT(wait_of("wait=99999999999999999999999999"), INT_MAX);
}

static void prefer_absent_or_malformed(void)
{
    int seconds = 42;

    CHECK(!prefer_wait(NULL, &seconds));
    CHECK(!prefer_wait("", &seconds));
    CHECK(!prefer_wait("wait=-1", &seconds));
    CHECK(!prefer_wait("wait=+1", &seconds));
    CHECK_INT(seconds, 42); /* unchanged */
    CHECK_INT(wait_of("respond-async"), -1);
    CHECK_INT(wait_of("wait"), -1);
    CHECK_INT(wait_of("wait="), -1);
    CHECK_INT(wait_of("wait=;x"), -1);
    CHECK_INT(wait_of("wait=1.5"), -1);
    CHECK_INT(wait_of("wait=5x"), -1);
    CHECK_INT(wait_of("wait=5 6"), -1);
    CHECK_INT(wait_of("wait=\"5"), -1);
    CHECK_INT(wait_of("wait=\"\""), -1);
    CHECK_INT(wait_of("wait=\"5 \""), -1);
    CHECK_INT(wait_of("wait:5"), -1);
    CHECK_INT(wait_of("waiting=5"), -1);
    CHECK_INT(wait_of("no-wait=5"), -1);
    CHECK_INT(wait_of("x-wait=5"), -1);
    CHECK_INT(wait_of("foo=\"wait=5"), -1);      /* unterminated quote hides the rest */
    CHECK_INT(wait_of("foo=\"a\\"), -1);         /* a backslash at the end */
    CHECK_INT(wait_of("foo=\"a, wait=3\""), -1); /* inside a quoted string */
    CHECK_INT(wait_of("=5, wait=3"), 3);         /* a junk element is skipped */
}

/* ---- api_key_from_headers ---------------------------------------------- */

/* key_of runs api_key_from_headers on a request with these headers (NULL:
 * not sent) and returns the key, or the error code prefixed with '!'. */
static const char *key_of(const char *x_api_key, const char *authorization, Error *err)
{
    static char out[80];
    Request r;

    memset(&r, 0, sizeof r);
    r.x_api_key = (char *)x_api_key;
    r.authorization = (char *)authorization;
    error_clear(err);
    if (api_key_from_headers(&r, out + 1, sizeof out - 1, err))
        return out + 1;
    out[0] = '!';
    snprintf(out + 1, sizeof out - 1, "%s", err->code);
    return out;
}

static void key_found(void)
{
    Error err;

    CHECK_STR(key_of("pgj_abc", NULL, &err), "pgj_abc");
    CHECK_STR(key_of(NULL, "Bearer pgj_abc", &err), "pgj_abc");
    CHECK_STR(key_of(NULL, "bearer pgj_abc", &err), "pgj_abc");
    CHECK_STR(key_of(NULL, "BEARER \t pgj_abc \t", &err), "pgj_abc");
    CHECK_STR(key_of(NULL, "  Bearer pgj_abc", &err), "pgj_abc");
    CHECK_STR(key_of("  pgj_abc\t", NULL, &err), "pgj_abc");
    CHECK_STR(key_of("pgj_abc", "Bearer pgj_abc", &err), "pgj_abc"); /* same key twice */
    CHECK_STR(key_of(" pgj_abc", "Bearer  pgj_abc ", &err), "pgj_abc");
    CHECK_STR(key_of("", "Bearer pgj_abc", &err), "pgj_abc"); /* empty counts as absent */
    CHECK_STR(key_of("pgj_abc", "", &err), "pgj_abc");
    CHECK_STR(key_of("pgj_abc", "Basic dXNlcjpwYXNz", &err), "pgj_abc"); /* proxy's Basic */
    CHECK_STR(key_of(NULL, "Bearer a.b-c_d~e+f/g==", &err), "a.b-c_d~e+f/g==");
    CHECK(!error_is_set(&err));
}

static void key_missing(void)
{
    Error err;

    CHECK_STR(key_of(NULL, NULL, &err), "!missing_api_key");
    CHECK_INT(err.status, 401);
    CHECK_STR(key_of("", NULL, &err), "!missing_api_key");
    CHECK_STR(key_of(" \t ", " ", &err), "!missing_api_key");
}

static void key_other_scheme(void)
{
    Error err;

    CHECK_STR(key_of(NULL, "Basic dXNlcjpwYXNz", &err), "!unsupported_auth_scheme");
    CHECK_INT(err.status, 401);
    CHECK_STR(key_of(NULL, "Bearerpgj_abc", &err), "!unsupported_auth_scheme");
    CHECK_STR(key_of(NULL, "Bearer=pgj_abc", &err), "!unsupported_auth_scheme");
    CHECK_STR(key_of(NULL, "Token pgj_abc", &err), "!unsupported_auth_scheme");
    CHECK_STR(key_of(NULL, "Bearex pgj_abc", &err), "!unsupported_auth_scheme");
    CHECK_STR(key_of(NULL, "pgj_abc", &err), "!unsupported_auth_scheme");
}

static void key_invalid(void)
{
    Error err;
    char long_key[100];

    CHECK_STR(key_of(NULL, "Bearer", &err), "!invalid_api_key");
    CHECK_INT(err.status, 401);
    CHECK_STR(key_of(NULL, "Bearer   ", &err), "!invalid_api_key");
    CHECK_STR(key_of("pgj abc", NULL, &err), "!invalid_api_key");
    CHECK_STR(key_of(NULL, "Bearer pgj abc", &err), "!invalid_api_key");
    CHECK_STR(key_of("pgj_\x01", NULL, &err), "!invalid_api_key");
    CHECK_STR(key_of("pgj_\xc3\xa9", NULL, &err), "!invalid_api_key");
    CHECK_STR(key_of("pgj_\x7f", NULL, &err), "!invalid_api_key");
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    CHECK_STR(key_of(long_key, NULL, &err), "!invalid_api_key"); /* longer than out */
    /* The key is never echoed. */
    CHECK_STR(key_of("secret key", NULL, &err), "!invalid_api_key");
    CHECK(strstr(err.message, "secret") == NULL);
}

static void key_conflict(void)
{
    Error err;

    CHECK_STR(key_of("pgj_one", "Bearer pgj_two", &err), "!conflicting_api_keys");
    CHECK_INT(err.status, 400);
    CHECK(strstr(err.message, "pgj_") == NULL);
    CHECK_STR(key_of("pgj_one", "Bearer pgj_one2", &err), "!conflicting_api_keys");
    CHECK_STR(key_of("pgj_one", "Bearer PGJ_ONE", &err), "!conflicting_api_keys");
}

/* A key that exactly fills out, and one byte more. */
static void key_size(void)
{
    Request r;
    char out[8];
    Error err;

    memset(&r, 0, sizeof r);
    r.x_api_key = "1234567";
    CHECK(api_key_from_headers(&r, out, sizeof out, &err));
    CHECK_STR(out, "1234567");
    r.x_api_key = "12345678";
    CHECK(!api_key_from_headers(&r, out, sizeof out, &err));
    CHECK_STR(err.code, "invalid_api_key");
}

/* ---- Response ---------------------------------------------------------- */

static void response_headers(void)
{
    Response *res = response_new();

    REQUIRE(res != NULL);
    CHECK_INT(res->status, 200);
    CHECK_INT(res->header_count, 0);
    CHECK(response_header(res, "ETag", "W/\"abc-1\""));
    CHECK(response_header(res, "Retry-After", "5"));
    CHECK_INT(res->header_count, 2);
    CHECK_STR(response_header_value(res, "etag"), "W/\"abc-1\"");
    CHECK_STR(response_header_value(res, "RETRY-AFTER"), "5");
    CHECK(response_header_value(res, "Location") == NULL);
    /* The same name again replaces, in place. */
    CHECK(response_header(res, "retry-after", "10"));
    CHECK_INT(res->header_count, 2);
    CHECK_STR(res->headers[1].name, "Retry-After");
    CHECK_STR(res->headers[1].value, "10");
    CHECK(response_header(res, "X-Empty", ""));
    CHECK(response_header(res, "X-Tab", "a\tb"));
    CHECK(response_header(res, "X-Utf8", "\xc3\xa9"));
    response_free(res);
    response_free(NULL);
}

static void response_header_rejects(void)
{
    Response *res = response_new();

    REQUIRE(res != NULL);
    CHECK(!response_header(res, "", "x"));
    CHECK(!response_header(res, "Bad Name", "x"));
    CHECK(!response_header(res, "Bad:Name", "x"));
    CHECK(!response_header(res, "X", "a\r\nSet-Cookie: x=1"));
    CHECK(!response_header(res, "X", "a\nb"));
    CHECK(!response_header(res, "X", "a\x7f"));
    CHECK(!response_header(res, "Content-Type", "text/plain"));
    CHECK(!response_header(res, "content-length", "1"));
    CHECK(!response_header(res, "Status", "200 OK"));
    CHECK_INT(res->header_count, 0);
    response_free(res);
}

static void response_header_limit(void)
{
    Response *res = response_new();
    char name[16];

    REQUIRE(res != NULL);
    for (int i = 0; i < RESPONSE_MAX_HEADERS; i++) {
        snprintf(name, sizeof name, "X-H%d", i);
        CHECK(response_header(res, name, "v"));
    }
    CHECK(!response_header(res, "X-One-Too-Many", "v"));
    CHECK(response_header(res, "X-H0", "replaced")); /* replacing still works */
    CHECK_STR(response_header_value(res, "x-h0"), "replaced");
    CHECK_INT(res->header_count, RESPONSE_MAX_HEADERS);
    response_free(res);
}

static void response_body(void)
{
    Response *res = response_new();
    char *body = strdup("{\"a\":1}");

    REQUIRE(res != NULL && body != NULL);
    CHECK(response_set_body(res, "application/json", body, strlen(body)));
    CHECK_STR(res->content_type, "application/json");
    CHECK_STR(res->body, "{\"a\":1}");
    CHECK_INT(res->body_len, 7);
    body = strdup("x");
    REQUIRE(body != NULL);
    CHECK(response_set_body(res, NULL, body, 1)); /* replaces both */
    CHECK(res->content_type == NULL);
    CHECK_STR(res->body, "x");
    CHECK(response_set_body(res, "text/plain", NULL, 99)); /* no body: length 0 */
    CHECK(res->body == NULL);
    CHECK_INT(res->body_len, 0);
    CHECK_STR(res->content_type, "text/plain");
    response_clear_body(res);
    CHECK(res->content_type == NULL);
    CHECK(res->body == NULL);
    response_free(res);
}

/* ---- running out of memory ------------------------------------------- */

/* Each allocation of request_from_params may fail: every failure is a
 * clean 500 out_of_memory (and, under ASan, leaks nothing). */
static void request_out_of_memory(void)
{
    char *params[] = {
        "REQUEST_METHOD=POST",
        "REQUEST_URI=/v1/jobs?a=1",
        "CONTENT_TYPE=x/y",
        "HTTP_X_API_KEY=k",
        "HTTP_AUTHORIZATION=Bearer k",
        "HTTP_IF_NONE_MATCH=*",
        "HTTP_PREFER=wait=1",
        "HTTP_IDEMPOTENCY_KEY=i",
        "HTTP_ACCEPT=*/*",
        "REMOTE_ADDR=192.0.2.1",
        NULL,
    };
    char *fallback[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/a", "PATH_INFO=/b", NULL};
    char *const *cases[] = {params, fallback};
    int failures = 0;

    for (size_t c = 0; c < 2; c++) {
        for (long n = 0;; n++) {
            Error err;
            Request *r;
            bool injected;

            error_clear(&err);
            mem_fail_at(n);
            r = request_from_params(cases[c], "id", &err);
            injected = mem_failed();
            mem_fail_at(-1);
            if (!injected) {
                CHECK(r != NULL);
                request_free(r);
                break;
            }
            failures++;
            CHECK(r == NULL);
            CHECK_INT(err.status, 500);
            CHECK_STR(err.code, "out_of_memory");
        }
    }
    CHECK(failures >= 14); /* the sweep did walk the allocations */
}

static void body_out_of_memory(void)
{
    char *params[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", NULL};
    Error err;
    Request *r = build(&err, params);

    REQUIRE(r != NULL);
    REQUIRE(request_set_body(r, "old", 3, &err));
    mem_fail_at(0);
    CHECK(!request_set_body(r, "new", 3, &err));
    mem_fail_at(-1);
    CHECK_INT(err.status, 500);
    CHECK_STR(err.code, "out_of_memory");
    CHECK_STR(r->body, "old"); /* unchanged */
    request_free(r);
}

static void response_out_of_memory(void)
{
    Response *res;
    char *body;

    mem_fail_at(0);
    CHECK(response_new() == NULL);
    mem_fail_at(-1);
    res = response_new();
    REQUIRE(res != NULL);
    /* A new header: its value, then its name, may fail; nothing is added. */
    for (long n = 0; n < 2; n++) {
        mem_fail_at(n);
        CHECK(!response_header(res, "ETag", "x"));
        mem_fail_at(-1);
        CHECK_INT(res->header_count, 0);
    }
    REQUIRE(response_header(res, "ETag", "x"));
    /* Replacing: the old value stays. */
    mem_fail_at(0);
    CHECK(!response_header(res, "ETag", "y"));
    mem_fail_at(-1);
    CHECK_STR(response_header_value(res, "ETag"), "x");
    /* A body whose type cannot be copied is freed; the old one is gone. */
    body = strdup("body");
    REQUIRE(body != NULL);
    mem_fail_at(0);
    CHECK(!response_set_body(res, "text/plain", body, 4));
    mem_fail_at(-1);
    CHECK(res->body == NULL);
    CHECK(res->content_type == NULL);
    response_free(res);
}

static void count_release(void *owner)
{
    (*(int *)owner)++;
}

/* A borrowed body is sent as it is and released once, however it goes. */
static void response_owned_body(void)
{
    static const char text[] = "{\"results\":[]}";
    int released = 0;
    Response *res = response_new();

    REQUIRE(res != NULL);
    CHECK(response_set_body_owned(res, "application/json", text, strlen(text), count_release,
                                  &released));
    CHECK(res->body == text && res->body_len == strlen(text));
    CHECK_STR(res->content_type, "application/json");
    CHECK_INT(released, 0);
    /* Replaced: released, and the new body is owned as usual. */
    char *mine = strdup("x");
    CHECK(response_set_body(res, "text/plain", mine, 1));
    CHECK_INT(released, 1);
    CHECK(response_set_body_owned(res, NULL, text, 3, count_release, &released));
    response_clear_body(res);
    CHECK_INT(released, 2);
    CHECK(res->body == NULL && res->body_len == 0);
    CHECK(response_set_body_owned(res, "a/b", text, 3, count_release, &released));
    response_free(res);
    CHECK_INT(released, 3);
}

const Test cgi_request_tests[] = {
    {"cgi_request_response_owned_body", response_owned_body},
    {"cgi_request_from_params", from_params},
    {"cgi_request_absent_headers", absent_headers},
    {"cgi_request_path_decoding", path_decoding},
    {"cgi_request_query_sources", query_sources},
    {"cgi_request_absolute_form", absolute_form},
    {"cgi_request_script_name_fallback", script_name_fallback},
    {"cgi_request_bad_paths", bad_paths},
    {"cgi_request_bad_methods", bad_methods},
    {"cgi_request_content_length", content_length},
    {"cgi_request_param_lookup", param_lookup},
    {"cgi_request_id", request_id},
    {"cgi_request_length_check", length_check},
    {"cgi_request_body", body},
    {"cgi_request_content_type", content_type},
    {"cgi_request_query_found", query_found},
    {"cgi_request_query_names", query_names},
    {"cgi_request_query_absent", query_absent},
    {"cgi_request_query_invalid", query_invalid},
    {"cgi_request_query_repeated", query_repeated},
    {"cgi_request_query_too_long", query_too_long},
    {"cgi_request_query_errors", query_errors},
    {"cgi_request_prefer_found", prefer_found},
    {"cgi_request_prefer_first_only", prefer_first_only},
    {"cgi_request_prefer_saturates", prefer_saturates},
    {"cgi_request_prefer_absent_or_malformed", prefer_absent_or_malformed},
    {"cgi_request_key_found", key_found},
    {"cgi_request_key_missing", key_missing},
    {"cgi_request_key_other_scheme", key_other_scheme},
    {"cgi_request_key_invalid", key_invalid},
    {"cgi_request_key_conflict", key_conflict},
    {"cgi_request_key_size", key_size},
    {"cgi_response_headers", response_headers},
    {"cgi_response_header_rejects", response_header_rejects},
    {"cgi_response_header_limit", response_header_limit},
    {"cgi_response_body", response_body},
    {"cgi_request_out_of_memory", request_out_of_memory},
    {"cgi_request_body_out_of_memory", body_out_of_memory},
    {"cgi_response_out_of_memory", response_out_of_memory},
    {NULL, NULL},
};
