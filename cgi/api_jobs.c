/* SPDX-License-Identifier: MIT */
/*
 * api_jobs.c - the job routes of the v1 API: submit, read (with ETag and
 * long-poll), list, cancel/pause/resume, and the results pages.
 *
 * Waiting: a read (?wait=N or Prefer: wait=N) parks without its thread
 * (api_long_poll, api_wait.c) until the job changes.  A submit's
 * Prefer: wait=N holds its thread (waiters.h: register, read, sleep until
 * a notification names the job, re-read) until the job finishes or the
 * deadline; half the request threads at most do so at once.  Past
 * max_waiters a request is answered at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_request.h"
#include "clock.h"
#include "cursor.h"
#include "document.h"
#include "fcgi_io.h"
#include "item_rules.h"
#include "jobstatus.h"
#include "jsonnum.h"
#include "log.h"
#include "render.h"
#include "strnum.h"
#include "submit_group.h"
#include "timestamp.h"
#include "upload.h"
#include "utf8.h"
#include "validate.h"

/* The default and largest page of GET /v1/jobs and of the results. */
enum { LIST_DEFAULT = 50, LIST_MAX = 1000, RESULTS_DEFAULT = 100, RESULTS_MAX = 1000 };

/* column returns the text of column name in row 0 of r, NULL if null. */
static const char *column(const PGresult *r, const char *name)
{
    int c = PQfnumber(r, name);
    return c < 0 || PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
}

static bool finished(const PGresult *r)
{
    return jobstatus_word_terminal(column(r, "status"));
}

/* wait_for_job (a submit's wait) reads the job again into *r until it is
 * finished or the deadline passes; it reads first, since a notification
 * may have come before the caller entered the wait.  The job exists
 * whatever happens here, so a read that fails (the database went away,
 * the key was revoked) answers nothing: it ends the wait with *r the last
 * row read (the submit's, if none), and false with err saying why. */
static bool wait_for_job(ApiRequest *ar, Wait *wait, PGresult **r, long long deadline, Error *err)
{
    do {
        PGresult *next = api_reread_job(ar, err);
        if (next == NULL)
            return false;
        PQclear(*r);
        *r = next;
    } while (!finished(*r) && waiters_sleep(ar->shared->waiters, wait, deadline));
    return true;
}

/* ---- submit ---- */

/* The most bytes of metadata as compact JSON: an exec program gets it in
 * one environment variable, and Linux caps one at 128 KiB (MAX_ARG_STRLEN). */
enum { SUBMIT_METADATA_MAX_BYTES = 65536 };

/* idempotency_key_ok checks the Idempotency-Key header, if any: 1 to 255
 * characters of UTF-8 without control characters, as pgjob.submit stores
 * it. */
static bool idempotency_key_ok(const char *key, Error *err)
{
    size_t chars = 0;

    if (key == NULL)
        return true;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            chars = 256; /* a control character: refused below */
        chars += (*p & 0xC0) != 0x80;
    }
    if (!utf8_valid(key) || chars < 1 || chars > 255) {
        error_set(err, 400, "invalid_field",
                  "Idempotency-Key must be 1 to 255 characters of UTF-8 without control "
                  "characters");
        return false;
    }
    return true;
}

/* values_storable checks what validate.h does not: that every number in
 * the submission's JSON text survives the database and pgjobd's reader
 * (jsonnum.h), and that the metadata fits an exec program's environment.
 * false with err and field filled. */
static bool values_storable(const SubmitRequest *s, const char *text, Error *err, char *field)
{
    char key[DB_FIELD_SIZE];
    size_t len = 0;
    const char *bad = jsonnum_find_unstorable(text, strlen(text), &len, key, sizeof(key));

    if (bad != NULL) {
        snprintf(field, DB_FIELD_SIZE, "%s", key);
        error_set(err, 422, "unstorable_number",
                  "%s holds the number %.*s%s, which pgjob cannot store and read back: an "
                  "integer must fit in 64 bits, a number must fit a double and have at most "
                  "16383 decimals",
                  key[0] ? key : "the body", len > 40 ? 40 : (int)len, bad, len > 40 ? "..." : "");
        return false;
    }
    if (json_dumpb(s->metadata, NULL, 0, JSON_COMPACT) > SUBMIT_METADATA_MAX_BYTES) {
        snprintf(field, DB_FIELD_SIZE, "metadata");
        error_set(err, 422, "metadata_too_large",
                  "metadata must take at most %d bytes as compact JSON", SUBMIT_METADATA_MAX_BYTES);
        return false;
    }
    return true;
}

/* submitted reads the answer of a submit whose key was looked up with
 * it (the account was not known: keycache.h): a row fills ar->account
 * and ar->key_id; no row means the key is not live now, and nothing was
 * written. */
static void submitted(ApiRequest *ar, const PGresult *r)
{
    if (PQntuples(r) != 1) {
        keycache_forget(ar->shared->keys, ar->key_hash);
        return;
    }
    snprintf(ar->account, sizeof(ar->account), "%s", column(r, "auth_account"));
    snprintf(ar->key_id, sizeof(ar->key_id), "%s", column(r, "auth_key"));
    keycache_note(ar->shared->keys, ar->key_hash, clock_ms());
}

/* SubmitTexts are the submit parameters that are numbers, as text. */
typedef struct SubmitTexts {
    char priority[16], attempts[16], retention[16], inline_max[24];
} SubmitTexts;

/* submit_params fills g with STMT_SUBMIT's parameters for the validated
 * request s of ar, with type and run_at (s's, or copies of them), body
 * the JSON text, and t's texts: all borrowed. */
static void submit_params(GroupSubmit *g, SubmitTexts *t, ApiRequest *ar, const SubmitRequest *s,
                          const char *type, const char *run_at, const char *body)
{
    const Config *cfg = ar->shared->cfg;

    snprintf(t->priority, sizeof(t->priority), "%d", s->priority);
    snprintf(t->attempts, sizeof(t->attempts), "%d", s->max_attempts);
    snprintf(t->retention, sizeof(t->retention), "%d", cfg->retention_days);
    snprintf(t->inline_max, sizeof(t->inline_max), "%d", cfg->large_result_bytes);
    *g = (GroupSubmit){
        .params = {ar->account, type, body, t->priority, run_at[0] ? run_at : NULL, t->attempts,
                   ar->req->idempotency_key, ar->key_id, t->retention, t->inline_max},
        .key_hash = ar->key_hash,
    };
}

/* groupable says whether a submit of body may be written in a group
 * (submit_group.h): not with an idempotency key, not a large body. */
static bool groupable(const ApiRequest *ar, const char *body)
{
    return ar->req->idempotency_key == NULL && strlen(body) <= SUBMIT_GROUP_BODY_MAX;
}

/* write_grouped writes g through the process's group submit, this thread
 * waiting for it, or alone on ar's own connection when the group could
 * not queue it (out of memory): submit_group_run's answer. */
static PGresult *write_grouped(ApiRequest *ar, const GroupSubmit *g, Error *err, char *field)
{
    PGresult *r = submit_group_run(ar->shared->group, g, err, field);

    if (r == NULL && strcmp(err->code, "out_of_resources") == 0)
        r = submit_alone(ar->db, g, err, field); /* nothing was written: alone */
    return r;
}

/* run_submit runs pgjob.submit for the validated request s, reading
 * the key with it when ar->account is still "" (and noting in the key
 * cache what it found), and returns its result (no row: the key is not
 * live), or NULL with err and field filled.  A submit that may be grouped
 * goes through the process's group submit (submit_group.h), and this
 * thread waits for it. */
static PGresult *run_submit(ApiRequest *ar, const SubmitRequest *s, const char *body_text,
                            Error *err, char *field)
{
    SubmitTexts t;
    GroupSubmit g;
    bool by_key = ar->account[0] == '\0';
    PGresult *r;

    submit_params(&g, &t, ar, s, s->type, s->run_at, body_text);
    if (groupable(ar, body_text))
        r = write_grouped(ar, &g, err, field);
    else
        r = submit_alone(ar->db, &g, err, field);
    if (r != NULL && by_key)
        submitted(ar, r);
    return r;
}

/* answer_submit renders the answer of a submit from its result r
 * (taken: cleared here), or from err and field when r is NULL; with
 * seconds > 0 (Prefer: wait) it first waits that long for the job to
 * finish. */
static void answer_submit(ApiRequest *ar, PGresult *r, const Error *err, const char *field,
                          int seconds)
{
    char location[64], applied[32];
    Wait wait;

    if (r == NULL) {
        api_fail_db(ar, err, field);
        return;
    }
    if (PQntuples(r) != 1) {
        /* The key, checked with the submit, is not live: nothing written. */
        PQclear(r);
        api_invalid_key(ar);
        return;
    }
    snprintf(ar->match.id, sizeof(ar->match.id), "%s", column(r, "id"));
    if (seconds > 0 && waiters_enter(ar->shared->waiters, &wait, ar->match.id)) {
        /* A read that fails leaves the last row read as the answer: 202
         * with the job, never a 503 that would have the client send it
         * again. */
        Error read_err = {0};
        bool waited =
            wait_for_job(ar, &wait, &r, clock_ms() + (long long)seconds * 1000, &read_err);
        waiters_leave(ar->shared->waiters, &wait);
        if (waited) {
            snprintf(applied, sizeof(applied), "wait=%d", seconds);
            if (!response_header(ar->res, "Preference-Applied", applied))
                log_debug("[req %s] cannot set Preference-Applied", ar->req->id);
        } else {
            log_warn(
                "[req %s] the wait for job %s ended: it could not be read again (%s); "
                "the answer is the job as last read",
                ar->req->id, ar->match.id, read_err.message);
        }
    }
    /* Location goes with 202 only: a CGI gateway (Apache mod_fcgid) takes a
     * 200 with a local Location for an internal redirect (RFC 3875, 6.2.2). */
    snprintf(location, sizeof(location), "/v1/jobs/%s", ar->match.id);
    if (!response_header(ar->res, finished(r) ? "Content-Location" : "Location", location))
        log_debug("[req %s] cannot set Location", ar->req->id);
    api_render_job(ar, finished(r) ? 200 : 202, r, 0);
    PQclear(r);
}

/* HandedSubmit is a submit handed to the group (hand_submit): the
 * request, held, and the texts its parameters point at.  The group's
 * answerer answers it (handed_answered) and frees it. */
typedef struct HandedSubmit {
    ApiRequest ar; /* as the route left it; res is set when answered, db never */
    HeldRequest *held;
    GroupSubmit g; /* points into ar, the texts below and the held body */
    SubmitTexts t;
    char type[VALIDATE_TYPE_SIZE];
    char run_at[VALIDATE_RUN_AT_SIZE];
} HandedSubmit;

/* handed_answered answers a handed submit from the group's answerer
 * thread: the key cache, the response, the metrics and the write, which
 * never waits for the client (api_send_held). */
static void handed_answered(void *arg, PGresult *r, const Error *err, const char *field)
{
    HandedSubmit *h = arg;
    ApiRequest *ar = &h->ar;

    ar->res = response_new();
    if (ar->res == NULL) {
        log_error("[req %s] out of memory answering a submit", ar->req->id);
        PQclear(r);
        fcgi_io_held_close(h->held);
        free(h);
        return;
    }
    if (r != NULL && ar->account[0] == '\0')
        submitted(ar, r);
    answer_submit(ar, r, err, field, 0);
    api_count(ar, "");
    if (fcgi_io_held_answer(h->held, ar->res))
        api_send_held(ar->shared, h->held);
    else
        fcgi_io_held_close(h->held);
    response_free(ar->res);
    free(h);
}

/* hand_submit hands the validated submit s of ar, whose JSON body is
 * ar->req->body, to the group and holds the request, so that this thread
 * goes back to accept at once and the group answers it.  false,
 * with nothing done, when it cannot be held (answer it as usual then).
 * A request on a connection the web server keeps open (FCGI_KEEP_CONN)
 * is not held: a held request's connection is closed once answered. */
static bool hand_submit(ApiRequest *ar, const SubmitRequest *s)
{
    HandedSubmit *h;

    if (ar->req->keep_conn)
        return false;
    h = calloc(1, sizeof *h);
    if (h == NULL)
        return false;
    h->held = request_hold(ar->req);
    if (h->held == NULL) {
        free(h);
        return false;
    }
    h->ar = *ar;
    h->ar.req = fcgi_io_held_request(h->held);
    h->ar.res = NULL;
    h->ar.db = NULL;
    snprintf(h->type, sizeof(h->type), "%s", s->type);
    snprintf(h->run_at, sizeof(h->run_at), "%s", s->run_at);
    submit_params(&h->g, &h->t, &h->ar, s, h->type, h->run_at, h->ar.req->body);
    ar->parked = true;
    if (!submit_group_hand(ar->shared->group, &h->g, handed_answered, h)) {
        /* Too many handed submits wait already (or out of memory): this
         * thread waits for the group itself, and so accepts no more
         * meanwhile. */
        Error err = {0};
        char field[DB_FIELD_SIZE] = "";
        PGresult *r = write_grouped(ar, &h->g, &err, field);
        handed_answered(h, r, &err, field);
    }
    return true;
}

void api_submit(ApiRequest *ar)
{
    SubmitRules rules = {.types = ar->shared->types,
                         .type_count = ar->shared->ntypes,
                         .max_items = (size_t)ar->shared->cfg->max_items};
    char field[DB_FIELD_SIZE] = "";
    Error err = {0};
    SubmitRequest *s = NULL;
    PGresult *r = NULL;
    char *upload_text = NULL; /* a multipart submission's JSON text (upload.h) */
    bool upload = request_content_type_is(ar->req, "multipart/form-data");
    int seconds;

    if (!upload && !request_content_type_is(ar->req, "application/json")) {
        error_set(&err, 415, "unsupported_media_type",
                  "send the job as application/json or multipart/form-data");
        api_fail(ar, &err, NULL);
        return;
    }
    if (!idempotency_key_ok(ar->req->idempotency_key, &err)) {
        api_fail(ar, &err, "idempotency_key");
        return;
    }
    seconds = api_wait_seconds(ar, false);
    if (upload)
        s = upload_submit(ar->req->content_type, ar->req->body, ar->req->body_len, &rules,
                          &upload_text, &err, field);
    else
        s = validate_submit(ar->req->body ? ar->req->body : "", ar->req->body_len, &rules, &err,
                            field);
    if (s != NULL && (!item_rules_check(s->type, s->items, &err, field, sizeof(field)) ||
                      !values_storable(s, upload ? upload_text : ar->req->body, &err, field))) {
        submit_request_free(s);
        free(upload_text);
        s = NULL;
    }
    if (s == NULL) {
        api_fail(ar, &err, field);
        return;
    }
    bool is_document = false;
    r = NULL;
    /* A document's submit needs the account first (its key may not have
     * been looked up yet: authenticate_submit in api.c). */
    if (document_type(s->type) && ar->account[0] == '\0' && !api_lookup_key(ar)) {
        submit_request_free(s);
        free(upload_text);
        return;
    }
    if (document_type(s->type))
        r = api_submit_document(ar, s, upload ? upload_text : ar->req->body, upload, &is_document,
                                &err, field);
    if (!is_document && !upload && seconds == 0 && groupable(ar, ar->req->body) &&
        hand_submit(ar, s)) {
        /* Answered by the group: ar->req is not ours any more. */
        submit_request_free(s);
        return;
    }
    if (!is_document)
        r = run_submit(ar, s, upload ? upload_text : ar->req->body, &err, field);
    submit_request_free(s);
    free(upload_text);
    answer_submit(ar, r, &err, field, seconds);
}

/* ---- read ---- */

/* answer_get renders a read's answer: 304 when If-None-Match names the
 * job's version, else the job. */
static void answer_get(ApiRequest *ar, const PGresult *r)
{
    if (!api_not_modified(ar, r, 0))
        api_render_job(ar, 200, r, 0);
}

void api_get(ApiRequest *ar)
{
    int seconds = api_wait_seconds(ar, true);
    PGresult *r;

    if (seconds < 0)
        return;
    /* The first read authenticates (api_read_job): a waiter slot goes
     * only to a caller whose key reads the job. */
    r = api_read_job(ar);
    if (r != NULL)
        api_long_poll(ar, r, seconds, api_read_job, answer_get);
}

/* ---- list ---- */

/* list_param reads one optional query parameter; false with the response
 * rendered when it is malformed. */
static bool list_param(ApiRequest *ar, const char *name, char *out, size_t size, bool *present)
{
    Error err = {0};
    QueryResult q = query_get(ar->req->query, name, out, size);

    if (query_error(q, name, &err)) {
        api_fail(ar, &err, name);
        return false;
    }
    *present = q == QUERY_FOUND && out[0] != '\0';
    return true;
}

/* list_args reads the filters, limit and cursor of GET /v1/jobs. */
static bool list_args(ApiRequest *ar, char status[32], char type[80], char after[64],
                      char limit[16], int *n, Cursor *cursor, bool present[5])
{
    char text[CURSOR_TEXT_SIZE];
    Error err = {0};

    if (!list_param(ar, "status", status, 32, &present[0]) ||
        !list_param(ar, "type", type, 80, &present[1]) ||
        !list_param(ar, "created_after", after, 64, &present[2]) ||
        !list_param(ar, "limit", limit, 16, &present[3]) ||
        !list_param(ar, "cursor", text, sizeof(text), &present[4]))
        return false;
    if (present[2] && !timestamp_valid_rfc3339(after)) {
        error_set(&err, 400, "invalid_field", "created_after must be an RFC 3339 time");
        api_fail(ar, &err, "created_after");
        return false;
    }
    *n = LIST_DEFAULT;
    if (present[3] && !strnum_int(limit, 1, LIST_MAX, n)) {
        error_set(&err, 400, "invalid_field", "limit must be a number from 1 to %d", LIST_MAX);
        api_fail(ar, &err, "limit");
        return false;
    }
    if (!present[3])
        snprintf(limit, 16, "%d", LIST_DEFAULT);
    if (present[4] && !cursor_decode(text, cursor, &err)) {
        api_fail(ar, &err, "cursor");
        return false;
    }
    return true;
}

void api_list(ApiRequest *ar)
{
    char status[32], type[80], after[64], limit[16], next[CURSOR_TEXT_SIZE] = "";
    char field[DB_FIELD_SIZE];
    bool present[5];
    int max;
    Cursor cursor;
    Error err = {0};
    JobView *views = NULL;
    char(*links)[96] = NULL; /* each job's results link */
    PGresult *r;

    if (!list_args(ar, status, type, after, limit, &max, &cursor, present))
        return;
    const char *params[7] = {
        ar->account,
        present[0] ? status : NULL,
        present[1] ? type : NULL,
        present[2] ? after : NULL,
        present[4] ? cursor.created_at : NULL,
        present[4] ? cursor.id : NULL,
        limit,
    };
    r = dbconn_exec(ar->db, STMT_LIST_JOBS, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    int n = PQntuples(r);
    views = calloc((size_t)n + 1, sizeof(JobView));
    links = calloc((size_t)n + 1, sizeof(*links));
    if (views == NULL || links == NULL) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < PQnfields(r); c++) {
            const char *value = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
            (void)job_view_set(&views[i], PQfname(r, c), value);
        }
        snprintf(links[i], sizeof(links[i]), "/v1/jobs/%s/results", views[i].id ? views[i].id : "");
        views[i].results_url = links[i];
    }
    if (n > 0 && n == max &&
        !cursor_encode(views[n - 1].created_at, views[n - 1].id, next, sizeof(next)))
        next[0] = '\0';
    if (!render_job_list(ar->res, views, (size_t)n, next, &err))
        api_fail(ar, &err, NULL);
out:
    free(links);
    free(views);
    PQclear(r);
}

/* ---- cancel, pause, resume ---- */

void api_action(ApiRequest *ar, StmtId stmt)
{
    char inline_max[24], field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;

    snprintf(inline_max, sizeof(inline_max), "%d", ar->shared->cfg->large_result_bytes);
    const char *params[3] = {ar->account, ar->match.id, inline_max};
    r = dbconn_exec(ar->db, stmt, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        error_set(&err, 500, "internal_error", "the transition returned no job");
        api_fail(ar, &err, NULL);
        return;
    }
    api_render_job(ar, 200, r, 0);
    PQclear(r);
}

/* ---- results ---- */

/* results_args reads the cursor (an offset, opaque to clients) and limit. */
static bool results_args(ApiRequest *ar, int *offset, int *limit)
{
    char text[32];
    bool present;
    Error err = {0};

    *offset = 0;
    *limit = RESULTS_DEFAULT;
    if (!list_param(ar, "cursor", text, sizeof(text), &present))
        return false;
    if (present && !strnum_int(text, 0, 1000000000, offset)) {
        error_set(&err, 400, "invalid_cursor", "cursor is not one this server gave");
        api_fail(ar, &err, "cursor");
        return false;
    }
    if (!list_param(ar, "limit", text, sizeof(text), &present))
        return false;
    if (present && !strnum_int(text, 1, RESULTS_MAX, limit)) {
        error_set(&err, 400, "invalid_field", "limit must be a number from 1 to %d", RESULTS_MAX);
        api_fail(ar, &err, "limit");
        return false;
    }
    return true;
}

/* results_body builds the page's JSON: the results are copied as the
 * database wrote them. */
static char *results_body(const ApiRequest *ar, const PGresult *r, int offset, int limit,
                          size_t *len)
{
    const char *results = column(r, "results"), *status = column(r, "status");
    long total = strtol(column(r, "total"), NULL, 10);
    char next[24] = "";
    char *out = NULL;
    size_t size;

    if (offset + limit < total)
        snprintf(next, sizeof(next), "%d", offset + limit);
    size = strlen(results) + 256;
    out = malloc(size);
    if (out == NULL)
        return NULL;
    int n = snprintf(out, size,
                     "{\"job_id\":\"%s\",\"status\":\"%s\",\"total\":%ld,\"results\":%s,"
                     "\"next_cursor\":\"%s\"}\n",
                     ar->match.id, status, total, results, next);
    if (n < 0 || (size_t)n >= size) {
        free(out);
        return NULL;
    }
    *len = (size_t)n;
    return out;
}

void api_results(ApiRequest *ar)
{
    char off[16], lim[16], field[DB_FIELD_SIZE];
    int offset, limit;
    Error err = {0};
    PGresult *r;
    size_t len = 0;

    if (!results_args(ar, &offset, &limit))
        return;
    snprintf(off, sizeof(off), "%d", offset);
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[4] = {ar->account, ar->match.id, off, lim};
    r = dbconn_exec(ar->db, STMT_GET_RESULTS, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    char *body = PQntuples(r) == 1 ? results_body(ar, r, offset, limit, &len) : NULL;
    if (body == NULL) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
    } else if (!response_set_body(ar->res, "application/json", body, len)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
    }
    PQclear(r);
}
