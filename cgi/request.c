/* SPDX-License-Identifier: MIT */
/*
 * request.c builds a Request from CGI parameters, decodes query strings
 * and the Prefer and authentication headers, and holds a Response.
 */
#include "request.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "strnum.h"

/* DecodeResult is what percent_decode did. */
typedef enum DecodeResult { DECODE_OK, DECODE_MALFORMED, DECODE_TOO_LONG } DecodeResult;

/* hex_value returns the value of hex digit c, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* decode_at decodes the character at s[*i] of a text of len bytes: %XX
 * is a byte and '+' a space when plus_is_space.  Stores it in *c and
 * moves *i past it.  False for a '%' without two hex digits after it, or
 * for anything that decodes to NUL. */
static bool decode_at(const char *s, size_t len, size_t *i, bool plus_is_space, char *c)
{
    *c = s[*i];
    if (*c == '%') {
        int hi = *i + 2 < len ? hex_value(s[*i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[*i + 2]) : -1;
        if (lo < 0)
            return false;
        *c = (char)(hi * 16 + lo);
        *i += 2;
    } else if (*c == '+' && plus_is_space) {
        *c = ' ';
    }
    (*i)++;
    return *c != '\0';
}

/* percent_decode decodes the len bytes at s into out[outsize] (NUL
 * terminated) with decode_at. */
static DecodeResult percent_decode(const char *s, size_t len, bool plus_is_space, char *out,
                                   size_t outsize)
{
    size_t n = 0;
    char c;

    if (outsize == 0)
        return DECODE_TOO_LONG;
    for (size_t i = 0; i < len;) {
        if (!decode_at(s, len, &i, plus_is_space, &c))
            return DECODE_MALFORMED;
        if (n + 1 >= outsize)
            return DECODE_TOO_LONG;
        out[n++] = c;
    }
    out[n] = '\0';
    return DECODE_OK;
}

/* decoded_equals says whether the len bytes at s decode, as a query
 * string does, to exactly name. */
static bool decoded_equals(const char *s, size_t len, const char *name)
{
    size_t n = 0;
    char c;

    for (size_t i = 0; i < len; n++) {
        if (!decode_at(s, len, &i, true, &c) || name[n] != c)
            return false;
    }
    return name[n] == '\0';
}

/* is_tchar says whether c may appear in an HTTP token (RFC 9110, 5.6.2). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* is_token says whether s is a non-empty HTTP token. */
static bool is_token(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (!is_tchar(*s))
            return false;
    }
    return true;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- building a Request -------------------------------------------------- */

/* param returns the value of CGI parameter name in params, borrowed, or
 * NULL; the first of repeated names wins. */
static const char *param(char *const *params, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
        if (strncmp(params[i], name, len) == 0 && params[i][len] == '=')
            return params[i] + len + 1;
    }
    return NULL;
}

/* copy_param sets *dst to a copy of parameter name, or NULL when it is
 * absent (or, with fallback, to a copy of fallback).  False: no memory. */
static bool copy_param(char *const *params, const char *name, const char *fallback, char **dst)
{
    const char *v = param(params, name);

    if (v == NULL)
        v = fallback;
    if (v == NULL)
        return true;
    *dst = mem_strdup(v);
    return *dst != NULL;
}

/* skip_absolute_form returns uri past an absolute-form "http://host" or
 * "https://host" prefix (RFC 9112, 3.2.2), or uri itself. */
static const char *skip_absolute_form(const char *uri)
{
    const char *rest = NULL;

    if (strncasecmp(uri, "http://", 7) == 0)
        rest = uri + 7;
    else if (strncasecmp(uri, "https://", 8) == 0)
        rest = uri + 8;
    if (rest == NULL)
        return uri;
    rest += strcspn(rest, "/?");
    return *rest == '/' ? rest : "";
}

/* set_path fills r->path, r->path_decoded and r->query from params. */
static bool set_path(Request *r, char *const *params, Error *err)
{
    const char *uri = param(params, "REQUEST_URI");
    const char *query = param(params, "QUERY_STRING");
    size_t len;

    if (uri != NULL) {
        uri = skip_absolute_form(uri);
        len = strcspn(uri, "?");
        if (query == NULL)
            query = uri[len] == '?' ? uri + len + 1 : "";
        r->path = mem_strndup(uri, len);
    } else {
        const char *script = param(params, "SCRIPT_NAME");
        const char *info = param(params, "PATH_INFO");
        script = script != NULL ? script : "";
        info = info != NULL ? info : "";
        len = strlen(script) + strlen(info);
        r->path = mem_malloc(len + 1);
        if (r->path != NULL) {
            memcpy(r->path, script, strlen(script));
            memcpy(r->path + strlen(script), info, strlen(info) + 1);
        }
    }
    r->query = mem_strdup(query != NULL ? query : "");
    r->path_decoded = r->path != NULL ? mem_malloc(len + 1) : NULL;
    if (r->path == NULL || r->query == NULL || r->path_decoded == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    if (r->path[0] != '/') {
        error_set(err, 400, "invalid_path", "the request path must start with '/'");
        return false;
    }
    if (uri == NULL) {
        memcpy(r->path_decoded, r->path, len + 1);
        return true;
    }
    /* Decoding never lengthens the text, so len + 1 bytes are enough. */
    if (percent_decode(r->path, len, false, r->path_decoded, len + 1) != DECODE_OK) {
        error_set(err, 400, "invalid_path", "the request path has a malformed %%-escape");
        return false;
    }
    return true;
}

/* set_content_length parses CONTENT_LENGTH into r->content_length. */
static bool set_content_length(Request *r, char *const *params, Error *err)
{
    const char *v = param(params, "CONTENT_LENGTH");

    r->content_length = 0;
    if (v == NULL || v[0] == '\0')
        return true;
    if (!strnum_digits(v, 0, LONG_MAX, &r->content_length)) {
        error_set(err, 400, "invalid_content_length", "Content-Length must be a number of bytes");
        return false;
    }
    return true;
}

/* set_headers copies the selected headers of params into r. */
static bool set_headers(Request *r, char *const *params, Error *err)
{
    bool ok = copy_param(params, "CONTENT_TYPE", NULL, &r->content_type) &&
              copy_param(params, "HTTP_X_API_KEY", NULL, &r->x_api_key) &&
              copy_param(params, "HTTP_AUTHORIZATION", NULL, &r->authorization) &&
              copy_param(params, "HTTP_IF_NONE_MATCH", NULL, &r->if_none_match) &&
              copy_param(params, "HTTP_PREFER", NULL, &r->prefer) &&
              copy_param(params, "HTTP_IDEMPOTENCY_KEY", NULL, &r->idempotency_key) &&
              copy_param(params, "HTTP_ACCEPT", NULL, &r->accept) &&
              copy_param(params, "REMOTE_ADDR", "", &r->remote_addr) &&
              copy_param(params, "PGJOB_PROFILE", NULL, &r->profile) &&
              copy_param(params, "PGJOB_PREFIX", NULL, &r->prefix) &&
              copy_param(params, "HTTP_HOST", NULL, &r->host);
    const char *https = param(params, "HTTPS");
    r->https = https != NULL && strcasecmp(https, "on") == 0;
    if (!ok)
        error_set(err, 500, "out_of_memory", "out of memory");
    return ok;
}

Request *request_from_params(char *const *params, const char *id, Error *err)
{
    Request *r = mem_calloc(1, sizeof *r);
    const char *method = param(params, "REQUEST_METHOD");

    if (r == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    /* Cut on a byte boundary; ids are ASCII. */
    snprintf(r->id, sizeof r->id, "%s", id != NULL ? id : "");
    if (method == NULL || !is_token(method)) {
        error_set(err, 400, "bad_request", "the request has no valid method");
        goto fail;
    }
    r->method = mem_strdup(method);
    if (r->method == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    if (!set_path(r, params, err) || !set_content_length(r, params, err) ||
        !set_headers(r, params, err))
        goto fail;
    return r;
fail:
    request_free(r);
    return NULL;
}

void request_free(Request *r)
{
    if (r == NULL)
        return;
    free(r->method);
    free(r->path);
    free(r->path_decoded);
    free(r->query);
    free(r->content_type);
    free(r->x_api_key);
    free(r->authorization);
    free(r->if_none_match);
    free(r->prefer);
    free(r->idempotency_key);
    free(r->accept);
    free(r->remote_addr);
    free(r->profile);
    free(r->prefix);
    free(r->host);
    free(r->body);
    free(r);
}

bool request_check_length(const Request *r, long max_body, Error *err)
{
    if (r->content_length <= max_body)
        return true;
    error_set(err, 413, "body_too_large", "the request body is %ld bytes; at most %ld are accepted",
              r->content_length, max_body);
    return false;
}

bool request_read_body(Request *r, Error *err)
{
    if (r->body_read || r->body_reader == NULL)
        return true;
    r->body_read = true;
    return r->body_reader(r->body_io, r, err);
}

HeldRequest *request_hold(Request *r)
{
    return r != NULL && r->holder != NULL ? r->holder(r->hold_io, r) : NULL;
}

bool request_set_body(Request *r, const char *data, size_t len, Error *err)
{
    char *copy = mem_malloc(len + 1);

    if (copy == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    free(r->body);
    r->body = copy;
    r->body_len = len;
    return true;
}

bool request_content_type_is(const Request *r, const char *media_type)
{
    const char *p = r->content_type;
    size_t len = strlen(media_type);

    if (p == NULL)
        return false;
    while (is_ows(*p))
        p++;
    if (strncasecmp(p, media_type, len) != 0)
        return false;
    p += len;
    while (is_ows(*p))
        p++;
    return *p == '\0' || *p == ';';
}

/* ---- query strings ------------------------------------------------------- */

/* query_value decodes the value of the pair query_get found. */
static QueryResult query_value(const char *value, size_t len, char *out, size_t outsize)
{
    switch (percent_decode(value, len, true, out, outsize)) {
        case DECODE_OK:
            return QUERY_FOUND;
        case DECODE_MALFORMED:
            return QUERY_INVALID;
        case DECODE_TOO_LONG:
            return QUERY_TOO_LONG;
    }
    return QUERY_INVALID;
}

QueryResult query_get(const char *query, const char *name, char *out, size_t outsize)
{
    QueryResult result = QUERY_ABSENT;

    for (const char *p = query != NULL ? query : ""; *p != '\0' && result != QUERY_REPEATED;) {
        size_t pair_len = strcspn(p, "&");
        size_t key_len = strcspn(p, "=&");
        const char *value = p + key_len + (p[key_len] == '=' ? 1 : 0);
        size_t value_len = pair_len - (size_t)(value - p);

        if (key_len > 0 && decoded_equals(p, key_len, name))
            result = result == QUERY_ABSENT ? query_value(value, value_len, out, outsize)
                                            : QUERY_REPEATED;
        p += pair_len + (p[pair_len] == '&' ? 1 : 0);
    }
    if (result != QUERY_FOUND && outsize > 0)
        out[0] = '\0';
    return result;
}

bool query_error(QueryResult result, const char *name, Error *err)
{
    switch (result) {
        case QUERY_ABSENT:
        case QUERY_FOUND:
            return false;
        case QUERY_INVALID:
            error_set(err, 400, "invalid_query", "query parameter %s has a malformed %%-escape",
                      name);
            return true;
        case QUERY_REPEATED:
            error_set(err, 400, "invalid_query", "query parameter %s is given more than once",
                      name);
            return true;
        case QUERY_TOO_LONG:
            error_set(err, 400, "invalid_query", "query parameter %s is too long", name);
            return true;
    }
    error_set(err, 400, "invalid_query", "query parameter %s is malformed", name);
    return true;
}

/* ---- Prefer -------------------------------------------------------------- */

/* skip_ows returns p past spaces and tabs. */
static const char *skip_ows(const char *p)
{
    while (is_ows(*p))
        p++;
    return p;
}

/* skip_quoted moves *p, at a '"', past the quoted-string it opens (with
 * its backslash escapes); false when it is not closed. */
static bool skip_quoted(const char **p)
{
    const char *q = *p + 1;

    while (*q != '"') {
        if (*q == '\\' && q[1] != '\0')
            q++;
        if (*q == '\0')
            return false;
        q++;
    }
    *p = q + 1;
    return true;
}

/* skip_element moves *p to the ',' that ends the current element of a
 * header list, or to the end, stepping over quoted-strings (which may
 * hold commas); false when a quoted-string is not closed. */
static bool skip_element(const char **p)
{
    while (**p != '\0' && **p != ',') {
        if (**p != '"')
            (*p)++;
        else if (!skip_quoted(p))
            return false;
    }
    return true;
}

/* parse_seconds reads delta-seconds at *p, bare or in double quotes, into
 * *seconds, saturating at INT_MAX, and moves *p past them. */
static bool parse_seconds(const char **p, int *seconds)
{
    bool quoted = **p == '"';
    const char *q = *p + (quoted ? 1 : 0);
    long long v = 0;
    const char *start = q;

    for (; *q >= '0' && *q <= '9'; q++) {
        if (v <= INT_MAX)
            v = v * 10 + (*q - '0');
    }
    if (q == start || (quoted && *q++ != '"'))
        return false;
    *p = q;
    *seconds = v > INT_MAX ? INT_MAX : (int)v;
    return true;
}

/* parse_wait reads the rest of a wait preference, p just past its name:
 * BWS "=" BWS seconds, then the end of the element or its parameters. */
static bool parse_wait(const char *p, int *seconds)
{
    int v;

    p = skip_ows(p);
    if (*p != '=')
        return false;
    p = skip_ows(p + 1);
    if (!parse_seconds(&p, &v))
        return false;
    p = skip_ows(p);
    if (*p != '\0' && *p != ',' && *p != ';')
        return false;
    *seconds = v;
    return true;
}

bool prefer_wait(const char *prefer, int *seconds)
{
    const char *p = prefer;

    if (p == NULL)
        return false;
    for (;;) {
        const char *name;
        p = skip_ows(p);
        if (*p == ',') { /* empty list elements are allowed (RFC 9110, 5.6.1) */
            p++;
            continue;
        }
        if (*p == '\0')
            return false;
        name = p;
        while (is_tchar(*p))
            p++;
        if (p - name == 4 && strncasecmp(name, "wait", 4) == 0)
            return parse_wait(p, seconds);
        if (!skip_element(&p))
            return false;
    }
}

/* ---- API keys ------------------------------------------------------------ */

/* trim returns s past leading spaces and tabs and sets *len to its length
 * without trailing ones. */
static const char *trim(const char *s, size_t *len)
{
    size_t n;

    s = skip_ows(s);
    n = strlen(s);
    while (n > 0 && is_ows(s[n - 1]))
        n--;
    *len = n;
    return s;
}

/* KeySource is where a key was found: a pointer into a header and a
 * length; start NULL when there is none. */
typedef struct KeySource {
    const char *start;
    size_t len;
} KeySource;

/* bearer_key finds the key of "Authorization: Bearer <key>".  Sets
 * *other when Authorization uses another scheme; fails on an empty Bearer. */
static bool bearer_key(const char *authorization, KeySource *key, bool *other, Error *err)
{
    size_t len, scheme_len = 0;
    const char *a;

    if (authorization == NULL)
        return true;
    a = trim(authorization, &len);
    if (len == 0)
        return true;
    while (scheme_len < len && is_tchar(a[scheme_len]))
        scheme_len++;
    if (scheme_len != 6 || strncasecmp(a, "Bearer", 6) != 0 ||
        (scheme_len < len && !is_ows(a[scheme_len]))) {
        *other = true;
        return true;
    }
    key->start = skip_ows(a + scheme_len);
    key->len = len - (size_t)(key->start - a);
    if (key->len == 0) {
        error_set(err, 401, "invalid_api_key", "Authorization: Bearer carries no key");
        return false;
    }
    return true;
}

/* key_printable says whether every byte of the key is printable ASCII
 * other than a space. */
static bool key_printable(const KeySource *key)
{
    for (size_t i = 0; i < key->len; i++) {
        if (key->start[i] <= ' ' || key->start[i] > '~')
            return false;
    }
    return true;
}

bool api_key_from_headers(const Request *r, char *out, size_t size, Error *err)
{
    KeySource header = {NULL, 0}, bearer = {NULL, 0};
    const KeySource *key;
    bool other_scheme = false;

    if (r->x_api_key != NULL) {
        header.start = trim(r->x_api_key, &header.len);
        if (header.len == 0)
            header.start = NULL;
    }
    if (!bearer_key(r->authorization, &bearer, &other_scheme, err))
        return false;
    if (header.start != NULL && bearer.start != NULL &&
        (header.len != bearer.len || memcmp(header.start, bearer.start, header.len) != 0)) {
        error_set(err, 400, "conflicting_api_keys",
                  "X-API-Key and Authorization: Bearer hold different keys; send one");
        return false;
    }
    key = header.start != NULL ? &header : &bearer;
    if (key->start == NULL && other_scheme) {
        error_set(err, 401, "unsupported_auth_scheme",
                  "only Authorization: Bearer <key> or X-API-Key: <key> is accepted");
        return false;
    }
    if (key->start == NULL) {
        error_set(err, 401, "missing_api_key",
                  "an API key is required: X-API-Key: <key> or Authorization: Bearer <key>");
        return false;
    }
    if (!key_printable(key) || key->len >= size) {
        error_set(err, 401, "invalid_api_key", "the API key is not valid");
        return false;
    }
    memcpy(out, key->start, key->len);
    out[key->len] = '\0';
    return true;
}

/* ---- Response ------------------------------------------------------------ */

Response *response_new(void)
{
    Response *res = mem_calloc(1, sizeof *res);

    if (res != NULL)
        res->status = 200;
    return res;
}

void response_free(Response *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->header_count; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    response_clear_body(res);
    free(res);
}

/* header_value_ok says whether value may be sent as a header value:
 * no control characters but tab (RFC 9110, 5.5). */
static bool header_value_ok(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    }
    return true;
}

/* find_header returns the index of header name in res, or -1. */
static long find_header(const Response *res, const char *name)
{
    for (size_t i = 0; i < res->header_count; i++) {
        if (strcasecmp(res->headers[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

bool response_header(Response *res, const char *name, const char *value)
{
    long i;
    char *name_copy = NULL, *value_copy = NULL;

    if (!is_token(name) || !header_value_ok(value) || strcasecmp(name, "Content-Type") == 0 ||
        strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Status") == 0)
        return false;
    i = find_header(res, name);
    if (i < 0 && res->header_count == RESPONSE_MAX_HEADERS)
        return false;
    value_copy = mem_strdup(value);
    if (value_copy == NULL)
        return false;
    if (i >= 0) {
        free(res->headers[i].value);
        res->headers[i].value = value_copy;
        return true;
    }
    name_copy = mem_strdup(name);
    if (name_copy == NULL) {
        free(value_copy);
        return false;
    }
    res->headers[res->header_count].name = name_copy;
    res->headers[res->header_count].value = value_copy;
    res->header_count++;
    return true;
}

const char *response_header_value(const Response *res, const char *name)
{
    long i = find_header(res, name);
    return i >= 0 ? res->headers[i].value : NULL;
}

void response_clear_body(Response *res)
{
    if (res->body_release != NULL)
        res->body_release(res->body_owner);
    else
        free(res->body);
    free(res->content_type);
    res->body = NULL;
    res->body_len = 0;
    res->content_type = NULL;
    res->body_release = NULL;
    res->body_owner = NULL;
}

bool response_set_body(Response *res, const char *content_type, char *body, size_t len)
{
    char *type_copy = NULL;

    response_clear_body(res);
    if (content_type != NULL) {
        type_copy = mem_strdup(content_type);
        if (type_copy == NULL) {
            free(body);
            return false;
        }
    }
    res->content_type = type_copy;
    res->body = body;
    res->body_len = body != NULL ? len : 0;
    return true;
}

bool response_set_body_owned(Response *res, const char *content_type, const char *body, size_t len,
                             void (*release)(void *owner), void *owner)
{
    char *type_copy = NULL;

    response_clear_body(res);
    if (content_type != NULL && (type_copy = mem_strdup(content_type)) == NULL) {
        release(owner);
        return false;
    }
    res->content_type = type_copy;
    res->body = (char *)body;
    res->body_len = body != NULL ? len : 0;
    res->body_release = release;
    res->body_owner = owner;
    return true;
}
