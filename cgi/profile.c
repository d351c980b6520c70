/* SPDX-License-Identifier: MIT */
/*
 * profile.c - what every profile shares (profile.h): route matching, the
 * error envelope, status words, and a job written as a profile's fields.
 * JSON columns are copied as the database wrote them, so numbers keep
 * their digits (as job_view.c does); only strings are escaped here.
 */
#include "profile.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "render.h"
#include "strnum.h"
#include "timestamp.h"
#include "utf8.h"

/* ---- finding a profile and a route --------------------------------------- */

const Profile *profile_find(const char *name)
{
    size_t count;
    const Profile *const *all = profile_all(&count);

    for (size_t i = 0; name != NULL && i < count; i++) {
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    }
    return NULL;
}

const char *profile_strip_prefix(const char *path, const char *prefix)
{
    size_t len = prefix != NULL ? strlen(prefix) : 0;

    while (len > 0 && prefix[len - 1] == '/')
        len--;
    if (len == 0)
        return path;
    if (strncmp(path, prefix, len) != 0 || (path[len] != '/' && path[len] != '\0'))
        return NULL;
    return path[len] == '\0' ? "/" : path + len;
}

static const char id_parameter[] = "{id}";

/* pattern_match says whether path matches pattern; an {id} must be a
 * whole segment in uuid syntax, copied lower-cased to id (router.h's
 * rules: exact, case included, no trailing slash added or removed). */
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

bool profile_match(const Profile *p, const char *method, const char *path, ProfileMatch *out,
                   Error *err)
{
    bool get = false, post = false;
    bool head = strcmp(method, "HEAD") == 0;
    char id[UUID_TEXT_SIZE];

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < p->route_count; i++) {
        const ProfileRoute *r = &p->routes[i];
        bool is_get = strcmp(r->method, "GET") == 0;
        if (!pattern_match(r->pattern, path, id))
            continue;
        if (strcmp(r->method, method) == 0 || (head && is_get)) {
            out->route = r;
            out->head = head;
            memcpy(out->id, id, sizeof id);
            return true;
        }
        get |= is_get;
        post |= !is_get;
    }
    if (!get && !post) {
        error_set(err, 404, "not_found", "there is no resource at this path");
        return false;
    }
    snprintf(out->allow, sizeof out->allow, "%s%s%s", get ? "GET, HEAD" : "",
             get && post ? ", " : "", post ? "POST" : "");
    error_set(err, 405, "method_not_allowed", "%s is not allowed here; use %s", method, out->allow);
    return false;
}

const char *profile_word(const Profile *p, const char *status)
{
    JobStatus s;

    if (!jobstatus_parse(status, &s))
        return NULL;
    return p->words[s];
}

/* ---- errors --------------------------------------------------------------- */

ProfileErrorKind profile_error_kind(const Error *err)
{
    switch (err->status) {
        case 400:
            return PERR_BAD_REQUEST;
        case 401:
            return strcmp(err->code, "missing_api_key") == 0 ? PERR_MISSING_KEY : PERR_INVALID_KEY;
        case 404:
            return strcmp(err->code, "not_found") == 0 ? PERR_ROUTE_NOT_FOUND : PERR_JOB_NOT_FOUND;
        case 405:
            return PERR_METHOD;
        case 409:
            return PERR_CONFLICT;
        case 410: /* expired: its results are gone, as the job is to a page without expired */
            return PERR_JOB_NOT_FOUND;
        case 413:
            return PERR_BODY_TOO_LARGE;
        case 415:
            return PERR_MEDIA_TYPE;
        case 422:
            return PERR_UNPROCESSABLE;
        case 503:
            return PERR_UNAVAILABLE;
        default:
            return PERR_INTERNAL;
    }
}

/* Buf is a growing output buffer; after a failed allocation it keeps
 * failing, and the writer checks once at the end. */
typedef struct Buf {
    char *data;
    size_t len, cap;
    bool failed;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = mem_realloc(b->data, cap);
        if (data == NULL) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(Buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* buf_string appends s as a JSON string; s is valid UTF-8 (the caller
 * scrubs text from outside). */
static void buf_string(Buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        size_t run = 0;
        while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
            run++;
        buf_add(b, (const char *)p, run);
        p += run;
        if (*p == '\0')
            break;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            buf_add(b, esc, 2);
        } else if (*p == '\n') {
            buf_add(b, "\\n", 2);
        } else if (*p == '\r') {
            buf_add(b, "\\r", 2);
        } else if (*p == '\t') {
            buf_add(b, "\\t", 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0x0f]};
            buf_add(b, esc, 6);
        }
    }
    buf_add(b, "\"", 1);
}

bool profile_render_error(const Profile *p, Response *res, ProfileErrorKind kind, const Error *err)
{
    const ProfileError *e;
    char text[ERROR_MESSAGE_SIZE];
    Buf b = {0};

    if ((unsigned)kind >= PERR_COUNT)
        kind = PERR_INTERNAL;
    e = &p->errors[kind];
    snprintf(text, sizeof text, "%s", e->text != NULL ? e->text : err->message);
    utf8_scrub(text);
    buf_puts(&b, "{");
    buf_string(&b, e->key != NULL ? e->key : p->error_key);
    buf_puts(&b, ":");
    buf_string(&b, text);
    buf_puts(&b, "}\n");
    if (e->status == 401 && p->www_authenticate != NULL &&
        response_header_value(res, "WWW-Authenticate") == NULL &&
        !response_header(res, "WWW-Authenticate", p->www_authenticate))
        b.failed = true;
    if ((e->status == 503 || e->status == 429) &&
        response_header_value(res, "Retry-After") == NULL) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", RENDER_RETRY_AFTER_SECONDS);
        if (!response_header(res, "Retry-After", seconds))
            b.failed = true;
    }
    if (b.failed || !response_set_body(res, "application/json", b.data, b.len)) {
        if (!b.failed)
            b.data = NULL; /* response_set_body freed it */
        free(b.data);
        res->status = 500;
        response_clear_body(res);
        return false;
    }
    res->status = e->status;
    return true;
}

/* ---- a job ---------------------------------------------------------------- */

bool profile_row_set(ProfileRow *row, const char *column, const char *value)
{
    if (job_view_set(&row->job, column, value))
        return true;
    if (strcmp(column, "results_bytes") == 0)
        row->results_bytes = value;
    else if (strcmp(column, "outputs") == 0)
        row->outputs = value;
    else if (strcmp(column, "first_output") == 0)
        row->first_output = value;
    else if (strcmp(column, "error_message") == 0)
        row->error_message = value;
    else
        return false;
    return true;
}

bool profile_time(const Profile *p, const char *pg, char *out, size_t size)
{
    if (!timestamp_rfc3339(pg, out, size))
        return false;
    if (p->time == PROFILE_TIME_SECONDS) {
        /* "2026-05-06T14:23:11.123Z": drop ".123". */
        char *dot = strchr(out, '.');
        if (dot != NULL)
            memmove(dot, dot + 4, strlen(dot + 4) + 1);
    }
    return true;
}

/* raw_json says whether value, trimmed, starts with open and ends with
 * close (the database wrote it: the brackets are the only check). */
static bool raw_json(Buf *b, const char *value, const char *open_close)
{
    size_t start = strspn(value, " \t\r\n"), end = strlen(value);

    while (end > start && strchr(" \t\r\n", value[end - 1]) != NULL)
        end--;
    if (end <= start)
        return false;
    if (open_close != NULL &&
        (end - start < 2 || value[start] != open_close[0] || value[end - 1] != open_close[1]))
        return false;
    buf_add(b, value + start, end - start);
    return true;
}

static bool write_time(Buf *b, const Profile *p, const char *pg)
{
    char out[TIMESTAMP_RFC3339_SIZE];

    if (pg == NULL) {
        buf_puts(b, "null");
        return true;
    }
    if (!profile_time(p, pg, out, sizeof out))
        return false;
    buf_string(b, out);
    return true;
}

static bool write_integer(Buf *b, const char *value)
{
    char digits[32];
    long n;

    if (value == NULL) {
        buf_puts(b, "null");
        return true;
    }
    if (!strnum_long(value, LONG_MIN, LONG_MAX, &n))
        return false;
    snprintf(digits, sizeof digits, "%ld", n);
    buf_puts(b, digits);
    return true;
}

static bool write_text(Buf *b, const char *value)
{
    if (value == NULL) {
        buf_puts(b, "null");
        return true;
    }
    if (!utf8_valid(value))
        return false;
    buf_string(b, value);
    return true;
}

/* write_result writes the first item's output, or the large-result
 * pointer {"is_url": true, "url"} when the results were left out for
 * their size and the row carries where they are. */
static bool write_result(Buf *b, const ProfileRow *row)
{
    if (row->first_output != NULL)
        return raw_json(b, row->first_output, NULL);
    if (row->result_url != NULL && row->job.results == NULL) {
        buf_puts(b, "{\"is_url\":true,\"url\":");
        buf_string(b, row->result_url);
        buf_puts(b, "}");
        return true;
    }
    buf_puts(b, "null");
    return true;
}

/* value_missing says whether the source has no value in row (for
 * PF_OMIT_NULL). */
static const char *source_text(const ProfileRow *row, ProfileSource s)
{
    const JobView *v = &row->job;

    switch (s) {
        case PS_ID:
            return v->id;
        case PS_STATUS:
            return v->status;
        case PS_CREATED_AT:
            return v->created_at;
        case PS_UPDATED_AT:
            return v->updated_at;
        case PS_STARTED_AT:
            return v->started_at;
        case PS_COMPLETED_AT:
            return v->completed_at;
        case PS_ITEM_COUNT:
            return v->item_count;
        case PS_ATTEMPT_COUNT:
            return v->attempt_count;
        case PS_PROCESSING_MS:
            return v->processing_ms;
        case PS_CONFIDENCE:
            return v->confidence;
        case PS_MODEL:
            return v->model;
        case PS_CACHE_HIT:
            return v->cache_hit;
        case PS_VALIDATION_FLAGS:
            return v->validation_flags;
        case PS_RESULTS:
            return v->results;
        case PS_OUTPUTS_DONE:
            return row->outputs;
        case PS_RESULT:
            return row->first_output != NULL ? row->first_output : row->result_url;
        case PS_ERROR_MESSAGE:
            return row->error_message;
        case PS_EXPIRED_STUB:
            return v->status;
    }
    return NULL;
}

/* write_source writes the value of field f of row. */
static bool write_source(Buf *b, const Profile *p, const ProfileField *f, const ProfileRow *row,
                         JobStatus status)
{
    const JobView *v = &row->job;
    const char *value = source_text(row, f->source);

    switch (f->source) {
        case PS_ID: {
            char id[UUID_TEXT_SIZE];
            if (value == NULL || !uuid_normalize(value, strlen(value), id))
                return false;
            buf_string(b, id);
            return true;
        }
        case PS_STATUS:
            buf_string(b, p->words[status]);
            return true;
        case PS_CREATED_AT:
        case PS_UPDATED_AT:
        case PS_STARTED_AT:
        case PS_COMPLETED_AT:
            return write_time(b, p, value);
        case PS_ITEM_COUNT:
        case PS_ATTEMPT_COUNT:
        case PS_PROCESSING_MS:
            return write_integer(b, value);
        case PS_CONFIDENCE: {
            double d;
            if (value == NULL) {
                buf_puts(b, "null");
                return true;
            }
            if (!strnum_double(value, -DBL_MAX, DBL_MAX, &d))
                return false;
            buf_puts(b, value);
            return true;
        }
        case PS_MODEL:
        case PS_ERROR_MESSAGE:
            return write_text(b, value);
        case PS_CACHE_HIT:
            buf_puts(b, value == NULL ? "null" : value[0] == 't' ? "true" : "false");
            return true;
        case PS_VALIDATION_FLAGS:
        case PS_RESULTS:
            if (value == NULL) {
                buf_puts(b, "null");
                return true;
            }
            return raw_json(b, value, "[]");
        case PS_OUTPUTS_DONE:
            if (status != JOB_COMPLETED || value == NULL) {
                buf_puts(b, "[]");
                return true;
            }
            return raw_json(b, value, "[]");
        case PS_RESULT:
            return write_result(b, row);
        case PS_EXPIRED_STUB:
            buf_puts(b, "{\"expired\":true,\"expired_at\":");
            if (!write_time(b, p, v->expires_at != NULL ? v->expires_at : v->updated_at))
                return false;
            buf_puts(b, "}");
            return true;
    }
    return false;
}

char *profile_job_json(const Profile *p, const ProfileFields *fields, const ProfileRow *row,
                       size_t *len, Error *err)
{
    const char *sep = "{";
    JobStatus status;
    Buf b = {0};

    if (!jobstatus_parse(row->job.status, &status) || p->words[status] == NULL) {
        error_set(err, 500, "bad_job_row", "job status %s has no word in profile %s",
                  row->job.status != NULL ? row->job.status : "(null)", p->name);
        return NULL;
    }
    for (size_t i = 0; i < fields->count; i++) {
        const ProfileField *f = &fields->fields[i];
        if ((f->states & PROFILE_STATE(status)) == 0)
            continue;
        if ((f->flags & PF_ONCE_STARTED) && row->job.started_at == NULL)
            continue;
        if ((f->flags & PF_OMIT_NULL) && source_text(row, f->source) == NULL)
            continue;
        buf_puts(&b, sep);
        buf_string(&b, f->name);
        buf_puts(&b, ":");
        sep = ",";
        if (!write_source(&b, p, f, row, status) && !b.failed) {
            error_set(err, 500, "bad_job_row", "job field %s cannot be read for profile %s",
                      f->name, p->name);
            free(b.data);
            return NULL;
        }
    }
    buf_puts(&b, fields->count > 0 && strcmp(sep, ",") == 0 ? "}" : "{}");
    if (b.failed) {
        error_set(err, 500, "out_of_memory", "out of memory");
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}
