/* SPDX-License-Identifier: MIT */
/*
 * profile_api.c - a request under an API profile (profile.h): the route
 * of the profile's table, the key from the headers it accepts, one SQL
 * call, the job in the profile's fields and words, errors in its
 * envelope.  Nothing here names a profile: everything that differs
 * between them is in profiles.c.
 *
 * The native extras stay on where they change no documented shape: the
 * ETag and 304 on a read, Retry-After while a job is not finished (the
 * profile's seconds), ?wait=N or Prefer: wait=N on a read, and
 * Idempotency-Key on a submit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_request.h"
#include "base64.h"
#include "clock.h"
#include "cursor.h"
#include "item_rules.h"
#include "jobstatus.h"
#include "log.h"
#include "mem.h"
#include "multipart.h"
#include "render.h"
#include "sha256.h"
#include "strnum.h"
#include "utf8.h"
#include "validate.h"

/* The route each action counts under in the metrics (metrics.h). */
static RouteId metric_route(ProfileAction action)
{
    switch (action) {
        case PROFILE_SUBMIT:
            return ROUTE_SUBMIT;
        case PROFILE_GET:
            return ROUTE_GET;
        case PROFILE_LIST:
            return ROUTE_LIST;
        case PROFILE_CANCEL:
            return ROUTE_CANCEL;
        case PROFILE_PAUSE:
        case PROFILE_CONTROL:
            return ROUTE_PAUSE;
        case PROFILE_RESUME:
            return ROUTE_RESUME;
        case PROFILE_RESULTS:
        case PROFILE_RESULT_FILE:
            return ROUTE_RESULTS;
    }
    return ROUTE_NONE;
}

/* fail renders an error of a kind the caller knows (PERR_FOREIGN_JOB,
 * or an answer with the profile's own text), with message. */
static void fail(ApiRequest *ar, ProfileErrorKind kind, int status, const char *code,
                 const char *message)
{
    Error err;

    error_set(&err, status, code, "%s", message);
    if (!profile_render_error(ar->profile, ar->res, kind, &err))
        log_error("[req %s] out of memory rendering an error", ar->req->id);
}

/* ---- keys ----------------------------------------------------------------- */

/* read_key hashes the key of the headers the profile accepts into
 * ar->key_hash; false with the 401 rendered when there is none. */
static bool read_key(ApiRequest *ar)
{
    Request view = *ar->req; /* the same request, seen through the profile's headers */
    char key[256];
    Error err = {0};

    if ((ar->profile->auth & PROFILE_AUTH_X_API_KEY) == 0)
        view.x_api_key = NULL;
    if ((ar->profile->auth & PROFILE_AUTH_BEARER) == 0)
        view.authorization = NULL;
    if (!api_key_from_headers(&view, key, sizeof key, &err)) {
        api_fail(ar, &err, NULL);
        return false;
    }
    sha256_bytea(key, strlen(key), ar->key_hash);
    memset(key, 0, sizeof key);
    return true;
}

/* authenticate finds the account of the caller's key; false with the
 * response rendered when it cannot. */
static bool authenticate(ApiRequest *ar)
{
    return read_key(ar) && api_lookup_key(ar);
}

/* ---- reading and showing a job -------------------------------------------- */

static const char *column(const PGresult *r, const char *name)
{
    int c = PQfnumber(r, name);
    return c < 0 || PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
}

/* inline_max is the inline results cap of a read: pgjob.conf's for a
 * profile that points to large results, else none (the page has no
 * pointer, so results are always inline). */
static const char *inline_max(const ApiRequest *ar, char buf[24])
{
    if (ar->profile->result_route == NULL)
        return NULL;
    snprintf(buf, 24, "%d", ar->shared->cfg->large_result_bytes);
    return buf;
}

/* read_job reads the route's job with the caller's key (read_key done)
 * and sets ar->account; NULL with the answer rendered when the key is
 * not live (401), the job is not the caller's (the profile's foreign or
 * not-found answer), or the profile has no word for its status. */
static PGresult *read_job(ApiRequest *ar, bool always_inline)
{
    char max[24], field[DB_FIELD_SIZE];
    Error err = {0};
    const char *params[3] = {ar->key_hash, ar->match.id,
                             always_inline ? NULL : inline_max(ar, max)};
    PGresult *r = dbconn_exec(ar->db, STMT_PROFILE_JOB, params, &err, field);
    const char *owner, *owner_key, *auth_key;

    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return NULL;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        api_invalid_key(ar);
        return NULL;
    }
    snprintf(ar->account, sizeof ar->account, "%s", column(r, "auth_account"));
    owner = column(r, "owner_account");
    owner_key = column(r, "owner_key");
    auth_key = column(r, "auth_key");
    if (owner != NULL && ar->profile->key_scoped &&
        (owner_key == NULL || strcmp(owner_key, auth_key) != 0)) {
        PQclear(r);
        fail(ar, PERR_FOREIGN_JOB, 401, "foreign_job", "the job was created with another key");
        return NULL;
    }
    if (owner == NULL || column(r, "id") == NULL ||
        profile_word(ar->profile, column(r, "status")) == NULL) {
        PQclear(r);
        fail(ar, PERR_JOB_NOT_FOUND, 404, "job_not_found", "job not found");
        return NULL;
    }
    return r;
}

/* row_of fills row from row 0 of r, every column by its name, and the
 * large-result URL (url[size]) when the profile has one. */
static void row_of(ApiRequest *ar, ProfileRow *row, const PGresult *r, int i, char *url,
                   size_t size)
{
    memset(row, 0, sizeof *row);
    for (int c = 0; c < PQnfields(r); c++)
        (void)profile_row_set(row, PQfname(r, c),
                              PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c));
    if (ar->profile->result_route != NULL && row->job.id != NULL && url != NULL) {
        const char *pattern = ar->profile->result_route;
        const char *at = strstr(pattern, "{id}");
        const char *prefix = ar->req->prefix != NULL ? ar->req->prefix : "";
        if (at != NULL) {
            if (ar->req->host != NULL)
                snprintf(url, size, "%s://%s%s%.*s%s%s", ar->req->https ? "https" : "http",
                         ar->req->host, prefix, (int)(at - pattern), pattern, row->job.id, at + 4);
            else
                snprintf(url, size, "%s%.*s%s%s", prefix, (int)(at - pattern), pattern, row->job.id,
                         at + 4);
            utf8_scrub(url);
            row->result_url = url;
        }
    }
}

/* set_retry_after adds the profile's Retry-After while the job is not
 * finished. */
static void set_retry_after(ApiRequest *ar, const char *status)
{
    char seconds[16];
    int n = ar->profile->retry_after_seconds > 0 ? ar->profile->retry_after_seconds
                                                 : ar->shared->cfg->retry_after_seconds;

    if (jobstatus_word_terminal(status))
        return;
    snprintf(seconds, sizeof seconds, "%d", n);
    if (!response_header(ar->res, "Retry-After", seconds))
        log_debug("[req %s] cannot set Retry-After", ar->req->id);
}

/* answer_job renders row 0 of r with fields and status, its ETag and
 * Retry-After. */
static void answer_job(ApiRequest *ar, const ProfileFields *fields, int status, const PGresult *r)
{
    char url[512], etag[JOB_VIEW_ETAG_SIZE];
    ProfileRow row;
    Error err = {0};
    size_t len = 0;
    char *text;

    row_of(ar, &row, r, 0, url, sizeof url);
    text = profile_job_json(ar->profile, fields->count > 0 ? fields : &ar->profile->job, &row, &len,
                            &err);
    if (text == NULL) {
        log_error("[req %s] cannot render job %s: %s", ar->req->id, row.job.id ? row.job.id : "?",
                  err.message);
        api_fail(ar, &err, NULL);
        return;
    }
    if (job_view_etag(&row.job, etag, sizeof etag) && !response_header(ar->res, "ETag", etag))
        log_debug("[req %s] cannot set ETag", ar->req->id);
    set_retry_after(ar, row.job.status);
    char *body = mem_realloc(text, len + 2);
    if (body == NULL) {
        free(text);
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
        return;
    }
    body[len] = '\n';
    body[len + 1] = '\0';
    if (!response_set_body(ar->res, "application/json", body, len + 1)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
        return;
    }
    ar->res->status = status;
}

/* ---- read (with ETag and long-poll) --------------------------------------- */

/* not_modified answers 304 when If-None-Match names the job's version. */
static bool not_modified(ApiRequest *ar, const PGresult *r)
{
    ProfileRow row;
    char etag[JOB_VIEW_ETAG_SIZE];

    if (ar->req->if_none_match == NULL)
        return false;
    row_of(ar, &row, r, 0, NULL, 0);
    if (!job_view_etag(&row.job, etag, sizeof etag) ||
        !etag_matches(ar->req->if_none_match, etag) || !response_header(ar->res, "ETag", etag))
        return false;
    set_retry_after(ar, row.job.status);
    render_not_modified(ar->res);
    return true;
}

/* answer_get renders a read's answer (304, or the job). */
static void answer_get(ApiRequest *ar, const PGresult *r)
{
    if (!not_modified(ar, r))
        answer_job(ar, &ar->profile->job, 200, r);
}

/* reread is a long-poll's read of the job (api_long_poll). */
static PGresult *reread(ApiRequest *ar)
{
    return read_job(ar, false);
}

static void action_get(ApiRequest *ar)
{
    int seconds = api_wait_seconds(ar, true);
    PGresult *r;

    if (seconds < 0 || !read_key(ar))
        return;
    /* Until the job changes from the version read first, or finishes. */
    r = read_job(ar, false);
    if (r != NULL)
        api_long_poll(ar, r, seconds, reread, answer_get);
}

/* ---- submit --------------------------------------------------------------- */

/* type_runs says whether this installation runs the profile's job type. */
static bool type_runs(const ApiRequest *ar)
{
    for (size_t i = 0; i < ar->shared->ntypes; i++) {
        if (strcmp(ar->shared->types[i], ar->profile->job_type) == 0)
            return true;
    }
    return false;
}

/* json_items checks a JSON body: an object whose items_field is an array
 * (and whose async_field, if the profile has one, is true).  Returns the
 * items (borrowed from *doc, which the caller frees), or NULL with err. */
static json_t *json_items(ApiRequest *ar, json_t **doc, Error *err)
{
    const Profile *p = ar->profile;
    json_error_t jerr;
    json_t *items;

    if (!request_content_type_is(ar->req, "application/json")) {
        error_set(err, 415, "unsupported_media_type", "send the body as application/json");
        return NULL;
    }
    *doc = json_loadb(ar->req->body ? ar->req->body : "", ar->req->body_len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (*doc == NULL) {
        error_set(err, 400, "malformed_json", "the body is not valid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(*doc)) {
        error_set(err, 400, "invalid_body", "the body must be a JSON object");
        return NULL;
    }
    if (p->async_field != NULL && !json_is_true(json_object_get(*doc, p->async_field))) {
        error_set(err, 400, "invalid_field", "%s must be true", p->async_field);
        return NULL;
    }
    items = json_object_get(*doc, p->items_field);
    if (items == NULL) {
        error_set(err, 400, "missing_field", "%s is required", p->items_field);
        return NULL;
    }
    if (!json_is_array(items)) {
        error_set(err, 400, "invalid_field", "%s must be an array", p->items_field);
        return NULL;
    }
    return items;
}

/* document_text builds, from a multipart body with a "file" part, the
 * text {"items":[{filename, content_type, size_bytes, data_base64}]}
 * (upload.h's item), new; NULL with err. */
static char *document_text(ApiRequest *ar, Error *err)
{
    const Profile *p = ar->profile;
    MultipartForm *form = mem_malloc(sizeof *form);
    const MultipartPart *file = NULL;
    bool async = p->async_field == NULL;
    char *text = NULL;

    if (form == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    if (!multipart_parse(ar->req->content_type, ar->req->body ? ar->req->body : "",
                         ar->req->body_len, form, err))
        goto out;
    for (size_t i = 0; i < form->count; i++) {
        const MultipartPart *part = &form->parts[i];
        if (strcmp(part->name, "file") == 0 && file == NULL)
            file = part;
        else if (p->async_field != NULL && strcmp(part->name, p->async_field) == 0)
            async = part->len == 4 && memcmp(part->data, "true", 4) == 0;
    }
    if (!async) {
        error_set(err, 400, "invalid_field", "%s must be true", p->async_field);
        goto out;
    }
    if (file == NULL || !file->has_filename || file->filename[0] == '\0') {
        error_set(err, 400, "missing_field", "a file part with a filename is required");
        goto out;
    }
    if (!utf8_valid(file->filename) || !utf8_valid(file->content_type)) {
        error_set(err, 400, "invalid_field", "the file's filename and Content-Type must be UTF-8");
        goto out;
    }
    if (file->len == 0) {
        error_set(err, 422, "empty_items", "the file is empty");
        goto out;
    }
    json_t *item =
        json_pack("{s:s, s:s, s:I}", "filename", file->filename, "content_type",
                  file->content_type[0] ? file->content_type : "application/octet-stream",
                  "size_bytes", (json_int_t)file->len);
    char *head = item != NULL ? json_dumps(item, JSON_COMPACT) : NULL;
    json_decref(item);
    size_t b64 = base64_encoded_len(file->len);
    size_t size = (head ? strlen(head) : 0) + b64 + 64;
    text = head != NULL ? mem_malloc(size) : NULL;
    if (text == NULL) {
        free(head);
        error_set(err, 500, "out_of_memory", "out of memory");
        goto out;
    }
    /* {"items":[{...,"data_base64":"..."}]}: the head without its '}'. */
    int n =
        snprintf(text, size, "{\"items\":[%.*s,\"data_base64\":\"", (int)strlen(head) - 1, head);
    free(head);
    if (n < 0 || !base64_encode(file->data, file->len, text + n, size - (size_t)n)) {
        free(text);
        text = NULL;
        error_set(err, 500, "internal_error", "cannot encode the document");
        goto out;
    }
    strcat(text, "\"}]}");
out:
    free(form);
    return text;
}

/* submit_document submits the profile's document job whose body text
 * (document_text) holds the upload, through api_submit_document: the
 * result, or NULL with err and field filled. */
static PGresult *submit_document(ApiRequest *ar, const char *text, Error *err, char *field)
{
    SubmitRequest s = {.priority = 0, .max_attempts = VALIDATE_DEFAULT_MAX_ATTEMPTS};
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    bool is_document = false;
    PGresult *r = NULL;

    snprintf(s.type, sizeof s.type, "%s", ar->profile->job_type);
    s.items = json_incref(json_object_get(body, "items"));
    s.metadata = json_object();
    if (body == NULL || !json_is_array(s.items) || s.metadata == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory reading the upload");
        goto out;
    }
    r = api_submit_document(ar, &s, text, true, &is_document, err, field);
    if (r == NULL && !is_document && err->status == 0)
        error_set(err, 500, "internal_error", "the upload is not a document");
out:
    json_decref(s.items);
    json_decref(s.metadata);
    json_decref(body);
    return r;
}

static void action_submit(ApiRequest *ar)
{
    const Profile *p = ar->profile;
    const Config *cfg = ar->shared->cfg;
    char field[DB_FIELD_SIZE] = "", priority[] = "0", attempts[16], retention[16], max[24];
    size_t max_items = (size_t)cfg->max_items;
    const char *items_key = "items", *body = NULL;
    char *document = NULL;
    json_t *doc = NULL, *items = NULL;
    Error err = {0};
    PGresult *r;

    if (!authenticate(ar) || !api_read_body(ar))
        return;
    if (p->max_items > 0 && (size_t)p->max_items < max_items)
        max_items = (size_t)p->max_items;
    if (p->body == PROFILE_BODY_JSON_ITEMS) {
        items = json_items(ar, &doc, &err);
        body = ar->req->body;
        items_key = p->items_field;
        if (items != NULL && json_array_size(items) == 0) {
            error_set(&err, 422, "empty_items", "%s must not be empty", p->items_field);
            items = NULL;
        } else if (items != NULL && json_array_size(items) > max_items) {
            error_set(&err, 422, "too_many_items", "%s holds %zu items; at most %zu are accepted",
                      p->items_field, json_array_size(items), max_items);
            items = NULL;
        } else if (items != NULL &&
                   !item_rules_check(p->job_type, items, &err, field, sizeof field)) {
            items = NULL;
        }
        if (items == NULL) {
            json_decref(doc);
            api_fail(ar, &err, NULL);
            return;
        }
        json_decref(doc);
    } else {
        if (!request_content_type_is(ar->req, "multipart/form-data")) {
            error_set(&err, 415, "unsupported_media_type",
                      "send the document as "
                      "multipart/form-data");
            api_fail(ar, &err, NULL);
            return;
        }
        document = document_text(ar, &err);
        if (document == NULL) {
            api_fail(ar, &err, NULL);
            return;
        }
        body = document;
    }
    /* Checked after the body, so that a client's mistake is told first. */
    if (!type_runs(ar)) {
        log_error(
            "[req %s] profile %s submits jobs of type %s, which this installation does "
            "not run",
            ar->req->id, p->name, p->job_type);
        free(document);
        fail(ar, PERR_INTERNAL, 500, "type_not_run", "the job type is not run here");
        return;
    }
    if (document != NULL) {
        /* A document type's upload goes the native upload's way: its
         * bytes to pgjob.document, the result cache asked first. */
        r = submit_document(ar, document, &err, field);
        free(document);
        if (r == NULL) {
            api_fail_db(ar, &err, field);
            return;
        }
        answer_job(ar, &p->submitted, p->submit_status, r);
        PQclear(r);
        return;
    }
    snprintf(attempts, sizeof attempts, "%d", VALIDATE_DEFAULT_MAX_ATTEMPTS);
    snprintf(retention, sizeof retention, "%d", cfg->retention_days);
    snprintf(max, sizeof max, "%d", cfg->large_result_bytes);
    const char *params[11] = {
        ar->account, p->job_type, body, priority, NULL, attempts, ar->req->idempotency_key,
        ar->key_id,  retention,   max,  items_key};
    r = dbconn_exec(ar->db, STMT_PROFILE_SUBMIT, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    answer_job(ar, &p->submitted, p->submit_status, r);
    PQclear(r);
}

/* ---- list ------------------------------------------------------------------- */

static void action_list(ApiRequest *ar, const ProfileRoute *route)
{
    const Profile *p = ar->profile;
    char text[CURSOR_TEXT_SIZE], limit[16], field[DB_FIELD_SIZE], next[CURSOR_TEXT_SIZE] = "";
    int page = p->list_page_size > 0 ? p->list_page_size : 50;
    Cursor cursor;
    bool have_cursor;
    Error err = {0};
    PGresult *r;

    if (!authenticate(ar))
        return;
    QueryResult q = query_get(ar->req->query, "cursor", text, sizeof text);
    if (query_error(q, "cursor", &err)) {
        api_fail(ar, &err, "cursor");
        return;
    }
    have_cursor = q == QUERY_FOUND && text[0] != '\0';
    if (have_cursor && !cursor_decode(text, &cursor, &err)) {
        api_fail(ar, &err, "cursor");
        return;
    }
    snprintf(limit, sizeof limit, "%d", page);
    const char *params[7] = {ar->account,
                             NULL,
                             NULL,
                             NULL,
                             have_cursor ? cursor.created_at : NULL,
                             have_cursor ? cursor.id : NULL,
                             limit};
    r = dbconn_exec(ar->db, STMT_LIST_JOBS, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    int n = PQntuples(r);
    json_t *list = json_array();
    bool ok = list != NULL;
    ProfileRow row;
    for (int i = 0; ok && i < n; i++) {
        size_t len = 0;
        row_of(ar, &row, r, i, NULL, 0);
        if (profile_word(p, row.job.status) == NULL)
            continue; /* expired, where the page has no word: not found, so not listed */
        char *one = profile_job_json(p, &p->job, &row, &len, &err);
        json_t *v = one != NULL ? json_loadb(one, len, 0, NULL) : NULL;
        free(one);
        ok = v != NULL && json_array_append_new(list, v) == 0;
    }
    if (ok && n == page) {
        row_of(ar, &row, r, n - 1, NULL, 0);
        if (!cursor_encode(row.job.created_at, row.job.id, next, sizeof next))
            next[0] = '\0';
    }
    PQclear(r);
    json_t *body = NULL;
    if (ok) {
        char url[CURSOR_TEXT_SIZE + 512];
        /* The next page's absolute URL, as DRF's pagination writes it. */
        snprintf(url, sizeof url, "%s://%s%s%s?cursor=%s", ar->req->https ? "https" : "http",
                 ar->req->host ? ar->req->host : "localhost",
                 ar->req->prefix ? ar->req->prefix : "", route->pattern, next);
        utf8_scrub(url);
        body = json_object();
        ok = body != NULL &&
             json_object_set_new(body, p->list_next_key ? p->list_next_key : "next",
                                 next[0] ? json_string(url) : json_null()) == 0 &&
             json_object_set_new(body, p->list_key ? p->list_key : "results", list) == 0;
        list = NULL;
    }
    json_decref(list);
    if (!ok) {
        json_decref(body);
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
        return;
    }
    if (!render_json(ar->res, 200, body))
        log_error("[req %s] out of memory rendering a list", ar->req->id);
}

/* ---- transitions ---------------------------------------------------------- */

/* transition runs stmt (cancel, pause, resume) on the route's job and
 * answers the job after it. */
static void transition(ApiRequest *ar, StmtId stmt)
{
    char max[24], field[DB_FIELD_SIZE];
    Error err = {0};
    PGresult *r;

    if (ar->key_hash[0] == '\0' && !read_key(ar))
        return;
    /* Whose job it is, in the profile's words, before it is touched. */
    r = read_job(ar, false);
    if (r == NULL)
        return;
    PQclear(r);
    snprintf(max, sizeof max, "%d", ar->shared->cfg->large_result_bytes);
    const char *params[3] = {ar->account, ar->match.id, max};
    r = dbconn_exec(ar->db, stmt, params, &err, field);
    if (r == NULL) {
        api_fail_db(ar, &err, field);
        return;
    }
    PQclear(r);
    r = read_job(ar, false);
    if (r == NULL)
        return;
    answer_job(ar, &ar->profile->job, 200, r);
    PQclear(r);
}

/* action_control reads {"job_id": "<uuid>", "action": "pause" | "resume"}
 * and does it. */
static void action_control(ApiRequest *ar)
{
    json_error_t jerr;
    json_t *doc;
    const char *id, *action;
    Error err = {0};
    StmtId stmt;

    if (!request_content_type_is(ar->req, "application/json")) {
        error_set(&err, 415, "unsupported_media_type", "send the body as application/json");
        api_fail(ar, &err, NULL);
        return;
    }
    doc = json_loadb(ar->req->body ? ar->req->body : "", ar->req->body_len, JSON_REJECT_DUPLICATES,
                     &jerr);
    id = json_string_value(json_object_get(doc, "job_id"));
    action = json_string_value(json_object_get(doc, "action"));
    if (doc == NULL || !json_is_object(doc)) {
        error_set(&err, 400, "malformed_json", "the body must be a JSON object");
    } else if (id == NULL || !uuid_normalize(id, strlen(id), ar->match.id)) {
        error_set(&err, 400, "invalid_field", "job_id must be a job id");
    } else if (action == NULL || (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0)) {
        error_set(&err, 400, "invalid_field", "action must be \"pause\" or \"resume\"");
    }
    stmt = action != NULL && strcmp(action, "resume") == 0 ? STMT_RESUME : STMT_PAUSE;
    json_decref(doc);
    if (err.status != 0) {
        api_fail(ar, &err, NULL);
        return;
    }
    ar->match.route = stmt == STMT_RESUME ? ROUTE_RESUME : ROUTE_PAUSE;
    transition(ar, stmt);
}

/* ---- results ---------------------------------------------------------------- */

static void action_results(ApiRequest *ar)
{
    PGresult *r;
    JobStatus s;

    if (!read_key(ar))
        return;
    r = read_job(ar, true);
    if (r == NULL)
        return;
    if (!jobstatus_parse(column(r, "status"), &s) ||
        (ar->profile->results_states & PROFILE_STATE(s)) == 0) {
        PQclear(r);
        fail(ar, PERR_CONFLICT, 409, "invalid_state",
             "results are available once the job is completed or paused");
        return;
    }
    answer_job(ar, &ar->profile->results, 200, r);
    PQclear(r);
}

/* action_result_file answers the full result (the first item's output)
 * of a completed job, the target of a large-result pointer. */
static void action_result_file(ApiRequest *ar)
{
    Error err = {0};
    PGresult *r;
    const char *output;

    if (!read_key(ar))
        return;
    r = read_job(ar, true);
    if (r == NULL)
        return;
    output = column(r, "first_output");
    if (strcmp(column(r, "status"), jobstatus_word(JOB_COMPLETED)) != 0 || output == NULL) {
        PQclear(r);
        fail(ar, PERR_JOB_NOT_FOUND, 404, "job_not_found", "the job has no result");
        return;
    }
    size_t len = strlen(output);
    char *body = mem_malloc(len + 2);
    if (body != NULL) {
        memcpy(body, output, len);
        body[len] = '\n';
        body[len + 1] = '\0';
    }
    PQclear(r);
    if (body == NULL || !response_set_body(ar->res, "application/json", body, len + 1)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
        return;
    }
    ar->res->status = 200;
}

/* ---- the entry point ---------------------------------------------------------- */

void profile_handle(ApiRequest *ar)
{
    const Request *req = ar->req;
    const char *path;
    ProfileMatch m;
    Error err = {0};

    ar->profile = profile_find(req->profile);
    if (ar->profile == NULL) {
        log_error("[req %s] the web server names API profile \"%s\", which pgjob does not have",
                  req->id, req->profile);
        error_set(&err, 500, "unknown_profile",
                  "the server's configuration names no known profile");
        api_fail(ar, &err, NULL);
        return;
    }
    path = profile_strip_prefix(req->path_decoded, req->prefix);
    if (path == NULL || !profile_match(ar->profile, req->method, path, &m, &err)) {
        if (path == NULL)
            error_set(&err, 404, "not_found", "there is no resource at this path");
        if (err.status == 405 && !response_header(ar->res, "Allow", m.allow))
            log_debug("[req %s] cannot set Allow", req->id);
        api_fail(ar, &err, NULL);
        return;
    }
    snprintf(ar->match.id, sizeof ar->match.id, "%s", m.id);
    ar->match.head = m.head;
    ar->match.route = metric_route(m.route->action);
    switch (m.route->action) {
        case PROFILE_SUBMIT:
            action_submit(ar);
            return;
        case PROFILE_GET:
            action_get(ar);
            return;
        case PROFILE_LIST:
            action_list(ar, m.route);
            return;
        case PROFILE_CANCEL:
            transition(ar, STMT_CANCEL);
            return;
        case PROFILE_PAUSE:
            transition(ar, STMT_PAUSE);
            return;
        case PROFILE_RESUME:
            transition(ar, STMT_RESUME);
            return;
        case PROFILE_CONTROL:
            if (read_key(ar) && api_read_body(ar))
                action_control(ar);
            return;
        case PROFILE_RESULTS:
            action_results(ar);
            return;
        case PROFILE_RESULT_FILE:
            action_result_file(ar);
            return;
    }
}
