/* SPDX-License-Identifier: MIT */
/*
 * api_request.h - one API request while it is answered: what api.c found
 * (the route, the caller's account) and what the route handlers of
 * api_jobs.c and api_ops.c share (api_request.c).  Internal to the API
 * modules.
 */
#ifndef PGJOB_API_REQUEST_H
#define PGJOB_API_REQUEST_H

#include <libpq-fe.h>

#include "config.h"
#include "dbconn.h"
#include "keycache.h"
#include "metrics.h"
#include "profile.h"
#include "request.h"
#include "router.h"
#include "submit_group.h"
#include "validate.h"
#include "waiters.h"

/* ApiShared is built once per process (api_new) and only read after. */
typedef struct ApiShared {
    const Config *cfg;
    const char **types; /* accepted job types */
    size_t ntypes;
    Waiters *waiters;
    DbConn *wait_db; /* the listener thread's, for parked long-polls (api_wait.c) */
    Metrics *metrics;
    KeyCache *keys;     /* the keys found live lately (keycache.h) */
    SubmitGroup *group; /* the submits written together (submit_group.h) */
    double started;     /* process start, seconds since the epoch */
} ApiShared;

/* ApiRequest is one request; everything borrowed for its duration. */
typedef struct ApiRequest {
    const ApiShared *shared;
    DbConn *db;
    Request *req; /* its body is read once the caller is known (api_read_body) */
    Response *res;
    RouteMatch match;
    char account[24];       /* the caller's account id, decimal; "" before auth */
    char key_hash[80];      /* the caller's key as a bytea parameter; "" when not read */
    char key_id[24];        /* the caller's API key id, decimal */
    const Profile *profile; /* the API profile answering (profile.h); NULL: the native API */
    double start;           /* when api_handle began, clock_seconds (the metrics' duration) */
    bool parked;            /* a long-poll parked it (api_long_poll): req is not ours now */
} ApiRequest;

/* api_read_body reads the request's body (request_read_body): call it
 * only once the caller is authenticated, so that an unauthenticated
 * client never holds a thread with a slow body.  False with the response
 * rendered (400 incomplete_body, 408 body_timeout). */
bool api_read_body(ApiRequest *ar) __attribute__((warn_unused_result));

/* api_fail renders err (and field, "" or NULL for none) as the response:
 * a problem document, or the profile's error envelope under a profile. */
void api_fail(ApiRequest *ar, const Error *err, const char *field);

/* api_fail_db renders a dbconn_exec failure (err and its field). */
void api_fail_db(ApiRequest *ar, const Error *err, const char *field);

/* api_wait_seconds is the wait the request asks for (?wait=N when
 * query_allowed, else only Prefer: wait=N), capped by wait_max_seconds;
 * 0 for none.  -1 with the response rendered when ?wait is malformed. */
int api_wait_seconds(ApiRequest *ar, bool query_allowed);

/* api_lookup_key finds the account and key id of ar->key_hash (the
 * caller's key, read by the route's way of reading keys), and notes in
 * the key cache whether the key is live; false with the response
 * rendered (401, 503) when it cannot. */
bool api_lookup_key(ApiRequest *ar);

/* api_invalid_key renders the 401 of a key that is unknown or not live. */
void api_invalid_key(ApiRequest *ar);

/* api_render_job renders row `row` of r (job_fields columns) with status,
 * adding the results link, the large-result pointer and Retry-After while
 * the job is not finished. */
void api_render_job(ApiRequest *ar, int status, const PGresult *r, int row);

/* api_not_modified answers 304 (with the ETag, and Retry-After while the
 * job is not finished) when the request's If-None-Match matches the job
 * in row `row` of r, without rendering the job; false otherwise. */
bool api_not_modified(ApiRequest *ar, const PGresult *r, int row);

/* api_read_job runs get_job for the route's id; NULL with the response
 * already rendered (404, 503, ...) when it fails. */
PGresult *api_read_job(ApiRequest *ar);

/* api_reread_job is api_read_job for a job the request already holds a
 * row of: NULL with err filled, and nothing answered, when the read
 * fails. */
PGresult *api_reread_job(ApiRequest *ar, Error *err);

/* ApiJobRead re-reads the job of a long-poll, as the route's first read
 * did; NULL with the response rendered when it fails. */
typedef PGresult *(*ApiJobRead)(ApiRequest *ar);

/* ApiJobAnswer renders the route's answer for the job in row 0 of r. */
typedef void (*ApiJobAnswer)(ApiRequest *ar, const PGresult *r);

/* api_long_poll answers a read of a job (GET /v1/jobs/{id}, a profile's
 * read) whose first read is r (taken: cleared here), waiting up to
 * seconds for a change (api_wait.c).  At once, with answer(ar, r), when
 * seconds is 0, the job is finished, or the process holds max_waiters
 * already.  Otherwise the wait is reserved, the job read again (read)
 * and, unchanged, the request is parked: the thread returns at once
 * with ar->parked set and must not touch ar->req again; the listener
 * thread answers it with answer(), from the same read, when the job
 * changes (its version, or finished), at the deadline, or when the
 * process stops, and ends it without an answer when the client leaves. */
void api_long_poll(ApiRequest *ar, PGresult *r, int seconds, ApiJobRead read, ApiJobAnswer answer);

/* api_send_held writes the answer prepared in held (fcgi_io_held_answer)
 * and then closes held, without waiting for a client that reads slowly:
 * what its connection does not take at once is written by the listener
 * thread as the connection drains (waiters_park_write), within
 * FCGI_IO_HELD_WRITE_MS.  Only when the listener cannot take it (waiting
 * disabled, or max_waiters held) does the calling thread wait for the
 * client, 100 ms at most, and then closes the connection with a
 * warning. */
void api_send_held(const ApiShared *shared, HeldRequest *held);

/* api_count counts an answered request in the metrics and logs it (a
 * warning for a status of 500 or more), with how ("" or a few words on
 * how it was answered) after its status. */
void api_count(const ApiRequest *ar, const char *how);

/* The route handlers (api_jobs.c, api_ops.c). */
void api_submit(ApiRequest *ar);
void api_get(ApiRequest *ar);
void api_list(ApiRequest *ar);
void api_action(ApiRequest *ar, StmtId stmt);
void api_results(ApiRequest *ar);

/* api_submit_document runs the submit of a job of a document type
 * (document.h) whose request s was validated; text is the JSON body, or
 * upload.h's body text when upload.  *is_document false (NULL returned):
 * not a document item (an invoice's extracted fields), submit as usual.
 * Otherwise returns the submit's row, or NULL with err and field set. */
PGresult *api_submit_document(ApiRequest *ar, const SubmitRequest *s, const char *text, bool upload,
                              bool *is_document, Error *err, char *field);

/* api_results_signed looks for a signed URL's expires and signature in
 * the query.  *is_signed false: there is none (authenticate by key).
 * Returns false with the response rendered (403) when they are bad or
 * expired. */
bool api_results_signed(ApiRequest *ar, bool *is_signed);

/* api_results_full answers GET /v1/jobs/{id}/results/full: every result
 * of the job in one response, {job_id, status, total, results}. */
void api_results_full(ApiRequest *ar);
void api_health(ApiRequest *ar);
void api_metrics(ApiRequest *ar);

/* profile_handle answers ar under the profile its request names
 * (PGJOB_PROFILE), and sets ar->match.route to the native route of the
 * action, which the metrics count it under (profile_api.c). */
void profile_handle(ApiRequest *ar);

#endif
