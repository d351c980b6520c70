/* SPDX-License-Identifier: MIT */
/*
 * job_view.h - one job as the v1 API shows it, built from the text of a
 * database row, and its ETag.
 *
 * A JobView holds PostgreSQL's text form of each column (as PQgetvalue
 * gives it; NULL for SQL NULL), borrowed: valid as long as the result it
 * came from.  The API module fills it column by column with
 * job_view_set(view, PQfname(res, c), value), so it needs no list of
 * columns, and this module needs no libpq.
 *
 * The JSON object has the same keys in the same order in every state;
 * a value that is absent is null:
 *   id, type, status, item_count, items_done, items_failed,
 *   attempt_count, max_attempts, priority, run_at, created_at,
 *   started_at, completed_at, updated_at, expires_at, processing_ms,
 *   validation_flags, confidence, model, cache_hit, error, metadata,
 *   idempotency_key, version, results, results_url
 * Timestamps are RFC 3339 in UTC with milliseconds (timestamp.h).  JSON
 * columns (validation_flags, error, metadata, results) are copied as the
 * database wrote them, so numbers keep their exact digits and large
 * results are not parsed again; only their outer brackets are checked.
 * When large_results_url is set, results is the pointer object
 * {"is_url": true, "url", "size_bytes", "expires_at"} instead of the
 * inline array.  results_url is the link to the results route, as the API
 * module sets it.
 *
 * ETag: W/"<first 8 hex digits of the id>-<version>", a weak validator:
 * version changes with every change of the job, but the bytes of the
 * representation may change across pgjob releases with the same version,
 * which a strong ETag would forbid.  If-None-Match uses the weak
 * comparison anyway (RFC 9110, 13.1.2).
 */
#ifndef PGJOB_JOB_VIEW_H
#define PGJOB_JOB_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* JobView is a job row as text; every field borrowed, NULL for SQL NULL.
 * Required (a NULL makes rendering fail): id, type, status, item_count,
 * items_done, items_failed, attempt_count, max_attempts, priority,
 * run_at, created_at, updated_at, validation_flags, metadata, version. */
typedef struct JobView {
    const char *id;         /* uuid */
    const char *type;       /* job type */
    const char *status;     /* queued, processing, paused, completed, failed, canceled, expired */
    const char *item_count; /* integers as decimal text */
    const char *items_done;
    const char *items_failed;
    const char *attempt_count;
    const char *max_attempts;
    const char *priority;
    const char *run_at; /* timestamptz text (timestamp.h) */
    const char *created_at;
    const char *started_at;
    const char *completed_at;
    const char *updated_at;
    const char *expires_at;
    const char *processing_ms;    /* bigint, milliseconds */
    const char *validation_flags; /* JSON array */
    const char *confidence;       /* float8, 0-1 */
    const char *model;
    const char *cache_hit; /* boolean: "t" or "f" */
    const char *error;     /* JSON object {code, message} */
    const char *metadata;  /* JSON object */
    const char *idempotency_key;
    const char *version;                  /* bigint */
    const char *results;                  /* JSON array, or NULL (expired, or not selected) */
    const char *results_url;              /* link to GET /v1/jobs/{id}/results */
    const char *large_results_url;        /* results too large to inline: where they are */
    const char *large_results_size_bytes; /* their size, bytes */
    const char *large_results_expires_at; /* timestamptz text: when the URL stops working */
    const char *large_results_signed_url; /* the same without a key (hmac.h), or NULL */
    const char *large_results_signed_expires_at; /* timestamptz text: when that one stops */
} JobView;

/* Size of a job's ETag, NUL included. */
enum { JOB_VIEW_ETAG_SIZE = 40 };

/* job_view_set sets the field of v named column (a JobView field name,
 * which the SQL selects under that name) to value (borrowed; NULL for SQL
 * NULL).  Returns false, changing nothing, when no field has that name;
 * the caller decides whether that matters. */
bool job_view_set(JobView *v, const char *column, const char *value);

/* job_view_json writes v as the JSON object above.  Returns new text
 * (NUL-terminated, no newline; free with free()) and its length in *len,
 * or NULL with err: 500 bad_job_row naming the field that is missing or
 * cannot be read, 500 out_of_memory. */
char *job_view_json(const JobView *v, size_t *len, Error *err) __attribute__((warn_unused_result));

/* job_view_list_json writes a page of jobs,
 * {"jobs": [...], "next_cursor": "..."}, with next_cursor "" on the last
 * page (NULL is taken as "").  Returns new text as job_view_json does. */
char *job_view_list_json(const JobView *views, size_t count, const char *next_cursor, size_t *len,
                         Error *err) __attribute__((warn_unused_result));

/* job_view_etag writes v's ETag (see above) to out[size].  Returns false
 * when v's id or version is missing or malformed, or size is too small. */
bool job_view_etag(const JobView *v, char *out, size_t size) __attribute__((warn_unused_result));

/* job_view_terminal says whether v's status is terminal: completed,
 * failed, canceled or expired (then the job will not change but to
 * expired, and the API sends no Retry-After). */
bool job_view_terminal(const JobView *v);

#endif
