/* SPDX-License-Identifier: MIT */
/*
 * fuzz_request.c is a libFuzzer target for the pure request path of
 * pgjob.fcgi: building a Request from CGI parameters, routing, query,
 * Prefer and API key parsing, body validation, multipart uploads,
 * cursors, timestamps, ETags, the job view and the rendered response.
 * Besides crashes and sanitizer reports it checks properties and aborts
 * when one fails: a problem always renders as valid JSON, a decoded
 * cursor re-encodes to the same text, a rendered job is valid JSON, a
 * head never has a stray line break, multipart parts lie inside the
 * body, and an accepted upload's text is JSON with one item.
 *
 * Input: up to eight lines, each a parameter of the request (method,
 * path, query, Prefer, Authorization, X-API-Key, If-None-Match, and a
 * cursor or timestamp), then the body.  The whole input is also
 * validated as a body by itself, so JSON mutations count, and parsed as
 * a multipart upload with boundary XyZ; the body is parsed as one too,
 * with the If-None-Match line as its Content-Type.
 *
 * Built and run by "make fuzz" (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "cursor.h"
#include "job_view.h"
#include "mem.h"
#include "multipart.h"
#include "render.h"
#include "request.h"
#include "router.h"
#include "timestamp.h"
#include "upload.h"
#include "validate.h"

enum { LINE_COUNT = 8, LINE_MAX = 512 };

enum {
    LINE_METHOD,
    LINE_PATH,
    LINE_QUERY,
    LINE_PREFER,
    LINE_AUTH,
    LINE_KEY,
    LINE_MATCH,
    LINE_MISC
};

static const char *const types[] = {"echo", "enrich", "ocr.v2"};
static const SubmitRules rules = {types, 3, 100};

/* require aborts, so that libFuzzer saves the input, when ok is false. */
static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "property failed: %s\n", what);
        abort();
    }
}

/* is_json says whether the len bytes at text are one JSON value. */
static int is_json(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);

    json_decref(v);
    return v != NULL;
}

/* check_head renders res's head and checks that it is well-formed: every
 * line ends in CRLF, and no line break appears anywhere else. */
static void check_head(const Response *res)
{
    size_t len = 0;
    char *head = render_head(res, &len);

    require(head != NULL, "render_head fails on a response built through the API");
    require(len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0, "head ends in CRLF CRLF");
    for (size_t i = 0; i < len; i++) {
        if (head[i] == '\n')
            require(i > 0 && head[i - 1] == '\r', "LF only after CR");
        if (head[i] == '\r')
            require(i + 1 < len && head[i + 1] == '\n', "CR only before LF");
    }
    free(head);
}

/* check_problem renders err as a problem and checks the result. */
static void check_problem(const Error *err, const char *field)
{
    Response *res = response_new();

    if (res == NULL)
        return;
    require(render_problem(res, err, field), "a problem renders");
    require(res->status >= 400 && res->status <= 599, "a problem has an error status");
    require(is_json(res->body, res->body_len), "a problem is JSON");
    check_head(res);
    response_free(res);
}

/* check_body validates the len bytes at body as a submission. */
static void check_body(const char *body, size_t len)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s;

    error_clear(&err);
    s = validate_submit(body, len, &rules, &err, field);
    if (s == NULL) {
        require(err.status == 400 || err.status == 422, "validation fails with 400 or 422");
        require(err.code[0] != '\0' && err.message[0] != '\0', "a failure is explained");
        check_problem(&err, field[0] != '\0' ? field : NULL);
        return;
    }
    require(json_is_array(s->items) && json_array_size(s->items) >= 1 &&
                json_array_size(s->items) <= rules.max_items,
            "items is a non-empty array within the cap");
    require(s->priority >= -1000 && s->priority <= 1000, "priority in range");
    require(s->max_attempts >= 1 && s->max_attempts <= 100, "max_attempts in range");
    require(s->run_at[0] == '\0' || timestamp_valid_rfc3339(s->run_at), "run_at is RFC 3339");
    require(json_is_object(s->metadata) && json_object_size(s->metadata) <= 64, "metadata");
    require(validate_type_name(s->type), "type is a type name");
    submit_request_free(s);
}

/* check_upload parses the len bytes at body as a multipart form and as
 * an upload, sent with content_type. */
static void check_upload(const char *content_type, const char *body, size_t len)
{
    static MultipartForm form;
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text = NULL;
    const char *end = body;
    SubmitRequest *s;

    error_clear(&err);
    if (multipart_parse(content_type, body, len, &form, &err)) {
        require(form.count <= MULTIPART_MAX_PARTS, "at most 16 parts");
        for (size_t i = 0; i < form.count; i++) {
            const MultipartPart *p = &form.parts[i];
            require(p->data >= end && p->len <= len && p->data + p->len <= body + len,
                    "a part lies in the body, after the one before");
            require(p->name[0] != '\0' && strlen(p->name) < MULTIPART_NAME_SIZE, "a name");
            require(p->has_filename || p->filename[0] == '\0', "a filename only if sent");
            end = p->data + p->len;
        }
    } else {
        require(err.status == 400 || err.status == 415, "a multipart error is 400 or 415");
        check_problem(&err, NULL);
    }
    error_clear(&err);
    s = upload_submit(content_type, body, len, &rules, &text, &err, field);
    if (s == NULL) {
        require(text == NULL, "no text on failure");
        require(err.status == 400 || err.status == 415 || err.status == 422,
                "an upload fails with 400, 415 or 422");
        check_problem(&err, field[0] != '\0' ? field : NULL);
        return;
    }
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
    json_t *item = json_array_get(json_object_get(doc, "items"), 0);
    const char *data = json_string_value(json_object_get(item, "data_base64"));
    json_int_t size = (json_int_t)json_number_value(json_object_get(item, "size_bytes"));
    require(doc != NULL && json_object_size(doc) == 2, "the body text is a JSON object");
    require(json_array_size(json_object_get(doc, "items")) == 1, "one item");
    require(data != NULL && size > 0 && strlen(data) == base64_encoded_len((size_t)size),
            "the data is the file's size in base64");
    require(json_is_object(json_object_get(doc, "metadata")) &&
                json_equal(json_object_get(doc, "metadata"), s->metadata),
            "the metadata text is the metadata");
    require(json_array_size(s->items) == 1 && validate_type_name(s->type), "a valid upload");
    require(s->run_at[0] == '\0' || timestamp_valid_rfc3339(s->run_at), "run_at is RFC 3339");
    json_decref(doc);
    submit_request_free(s);
    free(text);
}

/* check_route routes r and checks the match. */
static void check_route(const Request *r)
{
    RouteMatch m;
    Error err;

    if (router_match(r->method, r->path_decoded, &m, &err)) {
        require(m.route > ROUTE_NONE && m.route < ROUTE_COUNT, "a route id");
        require(m.id[0] == '\0' || (uuid_valid(m.id, strlen(m.id)) &&
                                    strspn(m.id, "0123456789abcdef-") == UUID_TEXT_LEN),
                "the id is a lower-case uuid");
        require(strcmp(router_route_name(m.route), "none") != 0, "a route has a name");
        return;
    }
    require(err.status == 404 || err.status == 405, "no route is 404 or 405");
    require((err.status == 405) == (m.allow[0] != '\0'), "Allow exactly on 405");
    check_problem(&err, NULL);
}

/* check_headers runs the header parsers on r. */
static void check_headers(const Request *r)
{
    static const char *const names[] = {"limit", "cursor", "status", "type", "wait", ""};
    char out[64], key[80];
    int seconds = -1;
    Error err;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        QueryResult q = query_get(r->query, names[i], out, sizeof out);
        require(q == QUERY_FOUND ? strlen(out) < sizeof out : out[0] == '\0', "query out");
        if (query_error(q, names[i], &err))
            check_problem(&err, names[i]);
    }
    if (prefer_wait(r->prefer, &seconds))
        require(seconds >= 0, "wait is not negative");
    if (api_key_from_headers(r, key, sizeof key, &err)) {
        require(key[0] != '\0', "a key is not empty");
        for (const char *p = key; *p != '\0'; p++)
            require(*p > ' ' && *p <= '~', "a key is printable");
    } else {
        require(err.status == 400 || err.status == 401, "key errors are 400 or 401");
        check_problem(&err, NULL);
    }
    (void)etag_matches(r->if_none_match, "W/\"0b9f7c1e-4\"");
    (void)etag_matches(r->if_none_match, "\"0b9f7c1e-4\"");
}

/* check_cursor decodes text as a cursor and a timestamp. */
static void check_cursor(const char *text)
{
    Cursor c;
    Error err;
    char again[CURSOR_TEXT_SIZE], stamp[TIMESTAMP_RFC3339_SIZE];

    if (cursor_decode(text, &c, &err)) {
        require(cursor_encode(c.created_at, c.id, again, sizeof again), "re-encode");
        require(strcmp(again, text) == 0, "a cursor has one spelling");
    }
    if (timestamp_rfc3339(text, stamp, sizeof stamp)) {
        require(strlen(stamp) == TIMESTAMP_RFC3339_SIZE - 1, "API form length");
        require(timestamp_valid_rfc3339(stamp), "the API form is RFC 3339");
        require(cursor_encode(text, "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", again, sizeof again),
                "any valid timestamp makes a cursor");
    }
    (void)timestamp_valid_rfc3339(text);
}

/* check_job renders a job whose scalar columns come from the input. */
static void check_job(char lines[LINE_COUNT][LINE_MAX])
{
    JobView v;
    Error err;
    size_t len = 0;
    char *text;
    Response *res;

    memset(&v, 0, sizeof v);
    v.id = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";
    v.type = lines[LINE_METHOD];
    v.status = "completed";
    v.item_count = v.items_done = v.items_failed = v.attempt_count = "1";
    v.max_attempts = "3";
    v.priority = lines[LINE_QUERY][0] != '\0' ? lines[LINE_QUERY] : "0";
    v.run_at = v.created_at = v.updated_at = "2026-11-26 06:29:40+00";
    v.started_at = lines[LINE_MISC][0] != '\0' ? lines[LINE_MISC] : NULL;
    v.validation_flags = "[]";
    v.metadata = "{}";
    v.version = "2";
    v.model = lines[LINE_PATH];
    v.confidence = lines[LINE_PREFER][0] != '\0' ? lines[LINE_PREFER] : NULL;
    v.idempotency_key = lines[LINE_KEY];
    v.results_url = lines[LINE_AUTH];
    text = job_view_json(&v, &len, &err);
    if (text != NULL) {
        require(is_json(text, len), "a rendered job is JSON");
        free(text);
    } else {
        require(err.status == 500, "a bad row is a 500");
    }
    res = response_new();
    if (res == NULL)
        return;
    if (response_header(res, "X-Fuzz", lines[LINE_MATCH]) && render_job(res, 200, &v, &err))
        check_head(res);
    response_free(res);
}

/* split copies the first lines of data into lines (NUL-terminated, cut to
 * LINE_MAX - 1) and returns where the body starts. */
static size_t split(const uint8_t *data, size_t size, char lines[LINE_COUNT][LINE_MAX])
{
    size_t pos = 0;

    for (int i = 0; i < LINE_COUNT; i++) {
        size_t end = pos, n;
        while (end < size && data[end] != '\n')
            end++;
        n = end - pos < LINE_MAX - 1 ? end - pos : LINE_MAX - 1;
        memcpy(lines[i], data + pos, n);
        lines[i][n] = '\0';
        pos = end < size ? end + 1 : end;
    }
    return pos;
}

/* LLVMFuzzerInitialize routes jansson's allocations through mem.h, as
 * pgjob.fcgi does at startup. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_set_alloc_funcs(mem_malloc, free);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char lines[LINE_COUNT][LINE_MAX];
    char params[8][LINE_MAX + 32];
    char *envp[9];
    size_t body;
    Error err;
    Request *r;

    check_body((const char *)data, size);
    check_upload("multipart/form-data; boundary=XyZ", (const char *)data, size);
    body = split(data, size, lines);
    snprintf(params[0], sizeof params[0], "REQUEST_METHOD=%s", lines[LINE_METHOD]);
    snprintf(params[1], sizeof params[1], "REQUEST_URI=%s", lines[LINE_PATH]);
    snprintf(params[2], sizeof params[2], "QUERY_STRING=%s", lines[LINE_QUERY]);
    snprintf(params[3], sizeof params[3], "HTTP_PREFER=%s", lines[LINE_PREFER]);
    snprintf(params[4], sizeof params[4], "HTTP_AUTHORIZATION=%s", lines[LINE_AUTH]);
    snprintf(params[5], sizeof params[5], "HTTP_X_API_KEY=%s", lines[LINE_KEY]);
    snprintf(params[6], sizeof params[6], "HTTP_IF_NONE_MATCH=%s", lines[LINE_MATCH]);
    snprintf(params[7], sizeof params[7], "CONTENT_LENGTH=%s", lines[LINE_MISC]);
    for (int i = 0; i < 8; i++)
        envp[i] = params[i];
    envp[8] = NULL;
    error_clear(&err);
    r = request_from_params(envp, "fuzz-1", &err);
    if (r == NULL) {
        require(err.status == 400, "a bad request is a 400");
        check_problem(&err, NULL);
    } else {
        require(r->path_decoded != NULL && r->path_decoded[0] == '/', "a path starts with /");
        require(request_set_body(r, (const char *)data + body, size - body, &err), "set body");
        check_body(r->body, r->body_len);
        check_upload(lines[LINE_MATCH], r->body, r->body_len);
        check_route(r);
        check_headers(r);
        request_free(r);
    }
    check_cursor(lines[LINE_MISC]);
    check_job(lines);
    return 0;
}
