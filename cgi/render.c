/* SPDX-License-Identifier: MIT */
/* render.c builds responses: JSON bodies, problem documents, jobs and the CGI head. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "utf8.h"

/* Reason is one row of the reason phrase table. */
typedef struct Reason {
    int status;
    const char *phrase;
} Reason;

/* The statuses pgjob sends or may send, with RFC 9110's phrases. */
static const Reason reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *render_reason(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].status == status)
            return reasons[i].phrase;
    }
    return "Unknown";
}

/* fail_empty leaves res an empty 500, the answer when even the error
 * cannot be rendered. */
static void fail_empty(Response *res)
{
    res->status = 500;
    response_clear_body(res);
}

/* set_text makes text (stolen, len bytes plus a NUL) followed by a
 * newline the body, of content type type. */
static bool set_text(Response *res, int status, const char *type, char *text, size_t len)
{
    char *body = mem_realloc(text, len + 2);

    if (body == NULL) {
        free(text);
        return false;
    }
    body[len] = '\n';
    body[len + 1] = '\0';
    if (!response_set_body(res, type, body, len + 1))
        return false;
    res->status = status;
    return true;
}

/* set_json dumps body (borrowed) as the response. */
static bool set_json(Response *res, int status, const char *type, const json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

    return text != NULL && set_text(res, status, type, text, strlen(text));
}

bool render_json(Response *res, int status, json_t *body)
{
    bool ok = set_json(res, status, "application/json", body);

    json_decref(body);
    if (!ok)
        fail_empty(res);
    return ok;
}

/* problem_body builds the problem document of err; a new reference. */
static json_t *problem_body(int status, const char *code, const char *detail, const char *field)
{
    json_t *body = json_object();
    int rc;

    if (body == NULL)
        return NULL;
    rc = json_object_set_new(body, "type", json_string(RENDER_PROBLEM_TYPE));
    rc |= json_object_set_new(body, "title", json_string(render_reason(status)));
    rc |= json_object_set_new(body, "status", json_integer(status));
    rc |= json_object_set_new(body, "detail", json_string(detail));
    rc |= json_object_set_new(body, "code", json_string(code));
    if (field != NULL)
        rc |= json_object_set_new(body, "field", json_string(field));
    if (rc != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* problem_headers adds the headers a status needs unless already set. */
static bool problem_headers(Response *res, int status)
{
    char seconds[16];

    if ((status == 429 || status == 503) && response_header_value(res, "Retry-After") == NULL) {
        snprintf(seconds, sizeof seconds, "%d", RENDER_RETRY_AFTER_SECONDS);
        if (!response_header(res, "Retry-After", seconds))
            return false;
    }
    if (status == 401 && response_header_value(res, "WWW-Authenticate") == NULL)
        return response_header(res, "WWW-Authenticate", "Bearer realm=\"pgjob\"");
    return true;
}

/* scrubbed copies s (NULL: "") into out[size], cut to fit, as valid
 * UTF-8: a message may quote bytes from outside, and jansson refuses a
 * string that is not UTF-8. */
static const char *scrubbed(const char *s, char *out, size_t size)
{
    snprintf(out, size, "%s", s != NULL ? s : "");
    utf8_scrub(out);
    return out;
}

bool render_problem(Response *res, const Error *err, const char *field)
{
    int status = err != NULL ? err->status : 0;
    char code[ERROR_CODE_SIZE], detail[ERROR_MESSAGE_SIZE], field_text[ERROR_MESSAGE_SIZE];
    json_t *body;
    bool ok;

    scrubbed(err != NULL ? err->code : "", code, sizeof code);
    scrubbed(err != NULL ? err->message : "", detail, sizeof detail);
    if (status < 400 || status > 599) {
        status = 500;
        scrubbed("internal_error", code, sizeof code);
        scrubbed("internal error", detail, sizeof detail);
        field = NULL;
    }
    body = problem_body(status, code, detail,
                        field != NULL ? scrubbed(field, field_text, sizeof field_text) : NULL);
    ok = body != NULL && problem_headers(res, status) &&
         set_json(res, status, "application/problem+json", body);
    json_decref(body);
    if (!ok)
        fail_empty(res);
    return ok;
}

/* set_job_text makes the JSON text of a job or page (stolen) the body. */
static bool set_job_text(Response *res, int status, char *text, size_t len, Error *err)
{
    if (text == NULL)
        return false;
    if (!set_text(res, status, "application/json", text, len)) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    return true;
}

bool render_job(Response *res, int status, const JobView *v, Error *err)
{
    char etag[JOB_VIEW_ETAG_SIZE];
    size_t len = 0;
    char *text;

    if (!job_view_etag(v, etag, sizeof etag)) {
        error_set(err, 500, "bad_job_row", "job field id or version is missing or cannot be read");
        return false;
    }
    text = job_view_json(v, &len, err);
    if (text == NULL)
        return false;
    if (!response_header(res, "ETag", etag)) {
        free(text);
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    return set_job_text(res, status, text, len, err);
}

bool render_job_list(Response *res, const JobView *views, size_t count, const char *next_cursor,
                     Error *err)
{
    size_t len = 0;
    char *text = job_view_list_json(views, count, next_cursor, &len, err);

    return set_job_text(res, 200, text, len, err);
}

void render_not_modified(Response *res)
{
    res->status = 304;
    response_clear_body(res);
}

/* ---- If-None-Match ------------------------------------------------------- */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* is_etagc says whether c may appear between an entity-tag's quotes
 * (RFC 9110, 8.8.3: %x21 / %x23-7E / obs-text). */
static bool is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* opaque_tag finds the opaque-tag (quotes included) of the entity-tag at
 * *p, moves *p past it and stores its start and length; false when *p is
 * not an entity-tag. */
static bool opaque_tag(const char **p, const char **start, size_t *len)
{
    const char *q = *p;

    if (q[0] == 'W' && q[1] == '/')
        q += 2;
    if (*q != '"')
        return false;
    *start = q++;
    while (is_etagc((unsigned char)*q))
        q++;
    if (*q != '"')
        return false;
    q++;
    *len = (size_t)(q - *start);
    *p = q;
    return true;
}

bool etag_matches(const char *if_none_match, const char *etag)
{
    const char *want, *p = if_none_match, *e = etag;
    size_t want_len;

    if (p == NULL || etag == NULL || !opaque_tag(&e, &want, &want_len) || *e != '\0')
        return false;
    while (is_ows(*p))
        p++;
    if (*p == '*') {
        p++;
        while (is_ows(*p))
            p++;
        return *p == '\0';
    }
    for (;;) {
        const char *tag;
        size_t tag_len;
        while (is_ows(*p) || *p == ',')
            p++;
        if (*p == '\0' || !opaque_tag(&p, &tag, &tag_len))
            return false;
        if (tag_len == want_len && memcmp(tag, want, want_len) == 0)
            return true;
        while (is_ows(*p))
            p++;
        if (*p != ',' && *p != '\0')
            return false;
    }
}

/* ---- the CGI head -------------------------------------------------------- */

/* has_body_headers says whether a response of this status carries
 * Content-Type and Content-Length. */
static bool has_body_headers(int status)
{
    return status != 204 && status != 304;
}

/* head_line appends "name: value\r\n" to out (when not NULL) at *len. */
static void head_line(char *out, size_t *len, const char *name, const char *value)
{
    size_t n = strlen(name), m = strlen(value);

    if (out != NULL) {
        memcpy(out + *len, name, n);
        memcpy(out + *len + n, ": ", 2);
        memcpy(out + *len + n + 2, value, m);
        memcpy(out + *len + n + 2 + m, "\r\n", 2);
    }
    *len += n + m + 4;
}

/* write_head writes the head into out, or only counts it when out is
 * NULL; returns its length. */
static size_t write_head(const Response *res, char *out)
{
    char status[64], length[32];
    size_t len = 0;

    snprintf(status, sizeof status, "%d %s", res->status, render_reason(res->status));
    head_line(out, &len, "Status", status);
    if (has_body_headers(res->status)) {
        snprintf(length, sizeof length, "%zu", res->body_len);
        if (res->content_type != NULL)
            head_line(out, &len, "Content-Type", res->content_type);
        head_line(out, &len, "Content-Length", length);
    }
    for (size_t i = 0; i < res->header_count; i++)
        head_line(out, &len, res->headers[i].name, res->headers[i].value);
    if (out != NULL)
        memcpy(out + len, "\r\n", 3);
    return len + 2;
}

char *render_head(const Response *res, size_t *len)
{
    size_t n;
    char *out;

    if (res->content_type != NULL) {
        for (const unsigned char *p = (const unsigned char *)res->content_type; *p != '\0'; p++) {
            if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                return NULL;
        }
    }
    n = write_head(res, NULL);
    out = mem_malloc(n + 1);
    if (out == NULL)
        return NULL;
    write_head(res, out);
    *len = n;
    return out;
}

bool render_body_wanted(const Response *res, bool head)
{
    return !head && has_body_headers(res->status) && res->body_len > 0;
}
