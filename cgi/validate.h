/* SPDX-License-Identifier: MIT */
/*
 * validate.h - the checks of a POST /v1/jobs body, before any SQL runs.
 *
 * The body is a JSON object:
 *   {"type": "echo", "items": [...], "priority": 0, "max_attempts": 3,
 *    "run_at": "2026-11-26T10:00:00Z", "metadata": {...}}
 *   type          required; a name matching ^[a-z][a-z0-9_.-]{0,63}$ that
 *                 is one of the types this installation runs
 *   items         required; a non-empty array of any JSON values, at most
 *                 SubmitRules.max_items of them (the body size is capped
 *                 before this, by request_check_length)
 *   priority      integer, -1000 to 1000, default 0 (higher runs first)
 *   max_attempts  integer, 1 to 100, default 3
 *   run_at        RFC 3339 date-time with an offset (timestamp.h); default
 *                 now
 *   metadata      object of at most VALIDATE_METADATA_MAX_KEYS keys,
 *                 default {}
 * An optional field given as null is the same as absent.  Any other
 * top-level field is refused (400 unknown_field): API v1 is strict, so a
 * misspelt "priorty" is an error rather than silently ignored, and new
 * optional fields can be added later without changing what old requests
 * mean.  Duplicate keys are malformed JSON.
 *
 * The checks run in this order, and the first failure is reported:
 * JSON syntax, object, unknown fields (the first in the body's order),
 * type, items, priority, max_attempts, run_at, metadata.
 *
 * Errors (Error status and code, and the field named):
 *   400 malformed_json   -             with jansson's line and column
 *   400 invalid_body     -             not a JSON object
 *   400 unknown_field    that field
 *   400 missing_field    type, items
 *   400 invalid_field    the field     wrong JSON type, syntax or range
 *   422 unknown_type     type          well-formed but not run here
 *   422 empty_items      items
 *   422 too_many_items   items
 */
#ifndef PGJOB_VALIDATE_H
#define PGJOB_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

enum {
    VALIDATE_FIELD_SIZE = 64,        /* a field name for the problem document, NUL included */
    VALIDATE_TYPE_SIZE = 65,         /* a job type, NUL included */
    VALIDATE_RUN_AT_SIZE = 40,       /* an RFC 3339 text, NUL included */
    VALIDATE_METADATA_MAX_KEYS = 64, /* most keys in metadata */
    VALIDATE_PRIORITY_MIN = -1000,   /* the range of pgjob.submit */
    VALIDATE_PRIORITY_MAX = 1000,
    VALIDATE_MAX_ATTEMPTS_MIN = 1,
    VALIDATE_MAX_ATTEMPTS_MAX = 100,
    VALIDATE_DEFAULT_MAX_ATTEMPTS = 3,
};

/* SubmitRules is what the caller allows. */
typedef struct SubmitRules {
    const char *const *types; /* the job types run here, borrowed; none: every type is unknown */
    size_t type_count;        /* entries in types */
    size_t max_items;         /* most items in one job */
} SubmitRules;

/* SubmitRequest is a valid submission. */
typedef struct SubmitRequest {
    char type[VALIDATE_TYPE_SIZE];
    json_t *items;                     /* array, owned (one reference) */
    int priority;                      /* -1000 to 1000 */
    int max_attempts;                  /* 1 to 100 */
    char run_at[VALIDATE_RUN_AT_SIZE]; /* RFC 3339 as sent, for SQL to parse; "": now */
    json_t *metadata;                  /* object, owned (one reference); {} when absent */
} SubmitRequest;

/* validate_submit parses and checks the len bytes of body (borrowed).
 * Returns a new SubmitRequest (free with submit_request_free), or NULL
 * with err filled and field set to the field at fault ("" when none; the
 * name of an unknown field is cut to fit).  Out of memory is 500
 * out_of_memory (inside jansson's parser too, once jansson allocates
 * through mem.h).
 *
 * items and metadata are jansson values, good for counting and checks;
 * jansson reads numbers as int64 or double, so the SQL call should take
 * the values from the body text itself (e.g. ($1::jsonb)->'items'), which
 * keeps every digit a client sent. */
SubmitRequest *validate_submit(const char *body, size_t len, const SubmitRules *rules, Error *err,
                               char field[VALIDATE_FIELD_SIZE]) __attribute__((warn_unused_result));

/* validate_type_known says whether type is one of the types rules accepts. */
bool validate_type_known(const char *type, const SubmitRules *rules);

/* submit_request_free releases s and its JSON; s may be NULL. */
void submit_request_free(SubmitRequest *s);

/* validate_type_name says whether type matches ^[a-z][a-z0-9_.-]{0,63}$,
 * the syntax of a job type (also for a ?type= filter). */
bool validate_type_name(const char *type);

#endif
