/* SPDX-License-Identifier: MIT */
/*
 * job_view.c writes a job row, given as PostgreSQL's text of each column,
 * as the v1 API's JSON object.  The text is built in one growing buffer:
 * the JSON columns are copied verbatim (see job_view.h) and scalars are
 * written here, strings escaped as jansson would, so that a job of any
 * size is rendered without building a JSON tree.
 */
#include "job_view.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstatus.h"
#include "mem.h"
#include "strnum.h"
#include "timestamp.h"
#include "utf8.h"
#include "uuid.h"

/* FieldKind is how a column's text becomes a JSON value. */
typedef enum FieldKind {
    FIELD_UUID,      /* a uuid, written in lower case */
    FIELD_TEXT,      /* any text, a JSON string */
    FIELD_STATUS,    /* one of the seven statuses */
    FIELD_INTEGER,   /* a bigint */
    FIELD_REAL,      /* a float8, written as PostgreSQL wrote it */
    FIELD_BOOLEAN,   /* "t" or "f" */
    FIELD_TIMESTAMP, /* a timestamptz, written as RFC 3339 UTC */
    FIELD_ARRAY,     /* JSON text of an array, copied */
    FIELD_OBJECT,    /* JSON text of an object, copied */
    FIELD_RESULTS,   /* the inline results or the large-result pointer */
    FIELD_HIDDEN,    /* settable, not a key of its own (the pointer's parts) */
} FieldKind;

/* Field is one settable JobView field; the output keys are the non-hidden
 * ones, in this order. */
typedef struct Field {
    const char *name; /* the JobView field, the column and the JSON key */
    size_t offset;    /* of the field in JobView */
    FieldKind kind;
    bool required; /* NULL is an error, not null */
} Field;

/* clang-format off */
#define FIELD(name, kind, required) {#name, offsetof(JobView, name), kind, required}
/* clang-format on */

static const Field fields[] = {
    FIELD(id, FIELD_UUID, true),
    FIELD(type, FIELD_TEXT, true),
    FIELD(status, FIELD_STATUS, true),
    FIELD(item_count, FIELD_INTEGER, true),
    FIELD(items_done, FIELD_INTEGER, true),
    FIELD(items_failed, FIELD_INTEGER, true),
    FIELD(attempt_count, FIELD_INTEGER, true),
    FIELD(max_attempts, FIELD_INTEGER, true),
    FIELD(priority, FIELD_INTEGER, true),
    FIELD(run_at, FIELD_TIMESTAMP, true),
    FIELD(created_at, FIELD_TIMESTAMP, true),
    FIELD(started_at, FIELD_TIMESTAMP, false),
    FIELD(completed_at, FIELD_TIMESTAMP, false),
    FIELD(updated_at, FIELD_TIMESTAMP, true),
    FIELD(expires_at, FIELD_TIMESTAMP, false),
    FIELD(processing_ms, FIELD_INTEGER, false),
    FIELD(validation_flags, FIELD_ARRAY, true),
    FIELD(confidence, FIELD_REAL, false),
    FIELD(model, FIELD_TEXT, false),
    FIELD(cache_hit, FIELD_BOOLEAN, false),
    FIELD(error, FIELD_OBJECT, false),
    FIELD(metadata, FIELD_OBJECT, true),
    FIELD(idempotency_key, FIELD_TEXT, false),
    FIELD(version, FIELD_INTEGER, true),
    FIELD(results, FIELD_RESULTS, false),
    FIELD(results_url, FIELD_TEXT, false),
    FIELD(large_results_url, FIELD_HIDDEN, false),
    FIELD(large_results_size_bytes, FIELD_HIDDEN, false),
    FIELD(large_results_expires_at, FIELD_HIDDEN, false),
    FIELD(large_results_signed_url, FIELD_HIDDEN, false),
    FIELD(large_results_signed_expires_at, FIELD_HIDDEN, false),
};

enum { FIELD_COUNT = sizeof fields / sizeof fields[0] };

/* Text is the growing output buffer; after a failed allocation it keeps
 * failing, and the writer checks once at the end. */
typedef struct Text {
    char *data; /* NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    bool failed; /* out of memory */
} Text;

/* text_reserve makes room for n more bytes and a NUL. */
static bool text_reserve(Text *t, size_t n)
{
    size_t cap = t->cap > 0 ? t->cap : 1024;
    char *data;

    if (t->failed)
        return false;
    if (t->len + n + 1 <= t->cap)
        return true;
    while (cap < t->len + n + 1)
        cap *= 2;
    data = mem_realloc(t->data, cap);
    if (data == NULL) {
        t->failed = true;
        return false;
    }
    t->data = data;
    t->cap = cap;
    return true;
}

static void text_add(Text *t, const char *s, size_t n)
{
    if (!text_reserve(t, n))
        return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_puts(Text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* short_escape returns the letter of c's two-character JSON escape
 * (\n for a newline), or NUL when it has none. */
static char short_escape(unsigned char c)
{
    switch (c) {
        case '\b':
            return 'b';
        case '\f':
            return 'f';
        case '\n':
            return 'n';
        case '\r':
            return 'r';
        case '\t':
            return 't';
        default:
            return '\0';
    }
}

/* text_string appends s as a JSON string, escaped as jansson does ('"',
 * '\\', \b \f \n \r \t, other control characters as \u00XX); false when s is not valid UTF-8.  Only
 * the buffer allocates, so running out of memory is t->failed, never a
 * false. */
static bool text_string(Text *t, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;

    text_add(t, "\"", 1);
    while (*p != '\0') {
        size_t run = 0, n;
        /* Copy the longest run that needs no escape at once. */
        while ((n = utf8_sequence((const char *)p + run)) > 0 && p[run] >= 0x20 && p[run] != '"' &&
               p[run] != '\\')
            run += n;
        text_add(t, (const char *)p, run);
        p += run;
        if (*p == '\0')
            break;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            text_add(t, esc, 2);
        } else if (short_escape(*p) != '\0') {
            char esc[2] = {'\\', short_escape(*p)};
            text_add(t, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0x0f]};
            text_add(t, esc, 6);
        } else {
            return false; /* not UTF-8 */
        }
        p++;
    }
    text_add(t, "\"", 1);
    return true;
}

/* field_value returns the field f of v. */
static const char *field_value(const JobView *v, const Field *f)
{
    return *(const char *const *)((const char *)v + f->offset);
}

/* json_number_ok says whether s is a JSON number (RFC 8259, 6). */
static bool json_number_ok(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        s += strspn(s, "0123456789");
    else
        return false;
    if (*s == '.') {
        size_t n = strspn(++s, "0123456789");
        if (n == 0)
            return false;
        s += n;
    }
    if (*s == 'e' || *s == 'E') {
        size_t n;
        s++;
        if (*s == '+' || *s == '-')
            s++;
        n = strspn(s, "0123456789");
        if (n == 0)
            return false;
        s += n;
    }
    return *s == '\0';
}

static bool write_integer(Text *t, const char *value)
{
    char digits[32];
    long n;

    if (!strnum_long(value, LONG_MIN, LONG_MAX, &n))
        return false;
    snprintf(digits, sizeof digits, "%ld", n);
    text_puts(t, digits);
    return true;
}

/* write_real copies a float8's text, which PostgreSQL writes in the
 * shortest form that reads back exactly, once it is a finite JSON number. */
static bool write_real(Text *t, const char *value)
{
    double d;

    if (!json_number_ok(value) || !strnum_double(value, -DBL_MAX, DBL_MAX, &d))
        return false;
    text_puts(t, value);
    return true;
}

static bool write_boolean(Text *t, const char *value)
{
    if (strcmp(value, "t") != 0 && strcmp(value, "f") != 0)
        return false;
    text_puts(t, value[0] == 't' ? "true" : "false");
    return true;
}

static bool write_timestamp(Text *t, const char *value)
{
    char out[TIMESTAMP_RFC3339_SIZE];
    return timestamp_rfc3339(value, out, sizeof out) && text_string(t, out);
}

static bool write_uuid(Text *t, const char *value)
{
    char out[UUID_TEXT_SIZE];
    return uuid_normalize(value, strlen(value), out) && text_string(t, out);
}

/* write_raw_json copies JSON text that must be enclosed in open and close
 * (after trimming white space); the database wrote it, so the brackets
 * are the only check. */
static bool write_raw_json(Text *t, const char *value, char open, char close)
{
    size_t start = strspn(value, " \t\r\n");
    size_t end = strlen(value);

    while (end > start && strchr(" \t\r\n", value[end - 1]) != NULL)
        end--;
    if (end - start < 2 || value[start] != open || value[end - 1] != close)
        return false;
    text_add(t, value + start, end - start);
    return true;
}

/* write_results writes the inline results, null, or the large-result
 * pointer; on failure *bad names the field at fault. */
static bool write_results(Text *t, const JobView *v, const char **bad)
{
    if (v->large_results_url == NULL) {
        *bad = "results";
        if (v->results == NULL)
            text_puts(t, "null");
        return v->results == NULL || write_raw_json(t, v->results, '[', ']');
    }
    text_puts(t, "{\"is_url\":true,\"url\":");
    *bad = "large_results_url";
    if (!text_string(t, v->large_results_url))
        return false;
    text_puts(t, ",\"size_bytes\":");
    *bad = "large_results_size_bytes";
    if (v->large_results_size_bytes == NULL)
        text_puts(t, "null");
    else if (!write_integer(t, v->large_results_size_bytes))
        return false;
    text_puts(t, ",\"expires_at\":");
    *bad = "large_results_expires_at";
    if (v->large_results_expires_at == NULL)
        text_puts(t, "null");
    else if (!write_timestamp(t, v->large_results_expires_at))
        return false;
    if (v->large_results_signed_url != NULL) {
        text_puts(t, ",\"signed_url\":");
        *bad = "large_results_signed_url";
        if (!text_string(t, v->large_results_signed_url))
            return false;
        text_puts(t, ",\"signed_url_expires_at\":");
        *bad = "large_results_signed_expires_at";
        if (v->large_results_signed_expires_at == NULL ||
            !write_timestamp(t, v->large_results_signed_expires_at))
            return false;
    }
    text_puts(t, "}");
    return true;
}

/* write_value writes a non-NULL value of a field that is not results. */
static bool write_value(Text *t, const Field *f, const char *value)
{
    switch (f->kind) {
        case FIELD_UUID:
            return write_uuid(t, value);
        case FIELD_TEXT:
            return text_string(t, value);
        case FIELD_STATUS:
            return jobstatus_parse(value, &(JobStatus){0}) && text_string(t, value);
        case FIELD_INTEGER:
            return write_integer(t, value);
        case FIELD_REAL:
            return write_real(t, value);
        case FIELD_BOOLEAN:
            return write_boolean(t, value);
        case FIELD_TIMESTAMP:
            return write_timestamp(t, value);
        case FIELD_ARRAY:
            return write_raw_json(t, value, '[', ']');
        case FIELD_OBJECT:
            return write_raw_json(t, value, '{', '}');
        case FIELD_RESULTS:
        case FIELD_HIDDEN:
            break;
    }
    return false;
}

/* write_job appends v's JSON object to t. */
static bool write_job(Text *t, const JobView *v, Error *err)
{
    const char *sep = "{";

    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const Field *f = &fields[i];
        const char *value = field_value(v, f);
        const char *bad = f->name;
        bool ok;

        if (f->kind == FIELD_HIDDEN)
            continue;
        text_puts(t, sep);
        text_puts(t, "\"");
        text_puts(t, f->name);
        text_puts(t, "\":");
        sep = ",";
        if (f->kind == FIELD_RESULTS) {
            ok = write_results(t, v, &bad);
        } else if (value == NULL) {
            text_puts(t, "null");
            ok = !f->required;
        } else {
            ok = write_value(t, f, value);
        }
        if (!ok && !t->failed) {
            error_set(err, 500, "bad_job_row", "job field %s is missing or cannot be read", bad);
            return false;
        }
    }
    text_puts(t, "}");
    return true;
}

/* finish returns t's text, or NULL with err when memory ran out. */
static char *finish(Text *t, bool ok, size_t *len, Error *err)
{
    if (ok && t->failed)
        error_set(err, 500, "out_of_memory", "out of memory");
    if (!ok || t->failed) {
        free(t->data);
        return NULL;
    }
    *len = t->len;
    return t->data;
}

char *job_view_json(const JobView *v, size_t *len, Error *err)
{
    Text t = {NULL, 0, 0, false};
    bool ok = write_job(&t, v, err);

    return finish(&t, ok, len, err);
}

char *job_view_list_json(const JobView *views, size_t count, const char *next_cursor, size_t *len,
                         Error *err)
{
    Text t = {NULL, 0, 0, false};
    bool ok = true;

    text_puts(&t, "{\"jobs\":[");
    for (size_t i = 0; ok && i < count; i++) {
        if (i > 0)
            text_puts(&t, ",");
        ok = write_job(&t, &views[i], err);
    }
    text_puts(&t, "],\"next_cursor\":");
    if (ok && !text_string(&t, next_cursor != NULL ? next_cursor : "") && !t.failed) {
        error_set(err, 500, "bad_cursor", "the next cursor is not valid UTF-8");
        ok = false;
    }
    text_puts(&t, "}");
    return finish(&t, ok, len, err);
}

bool job_view_set(JobView *v, const char *column, const char *value)
{
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (strcmp(fields[i].name, column) == 0) {
            *(const char **)((char *)v + fields[i].offset) = value;
            return true;
        }
    }
    return false;
}

bool job_view_etag(const JobView *v, char *out, size_t size)
{
    char id[UUID_TEXT_SIZE];
    long version;
    int n;

    if (v->id == NULL || !uuid_normalize(v->id, strlen(v->id), id) ||
        !strnum_long(v->version, 0, LONG_MAX, &version) || size == 0)
        return false;
    n = snprintf(out, size, "W/\"%.8s-%ld\"", id, version);
    return n > 0 && (size_t)n < size;
}

bool job_view_terminal(const JobView *v)
{
    return jobstatus_word_terminal(v->status);
}
