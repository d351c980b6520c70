/* SPDX-License-Identifier: MIT */
/* job.c - claimed jobs and their outcomes: parsing claim rows and building
 * the JSON entries of batch completions. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"

/* copy_text copies column col of row into dst[size]; false if it is NULL
 * or too long. */
static bool copy_text(const PGresult *res, int row, int col, char *dst, size_t size)
{
    if (PQgetisnull(res, row, col))
        return false;
    const char *v = PQgetvalue(res, row, col);
    size_t n = strlen(v);
    if (n >= size)
        return false;
    memcpy(dst, v, n + 1);
    return true;
}

/* load_json parses column col as JSON of the given type (JSON_ARRAY or
 * JSON_OBJECT); returns a new value, or NULL with why filled. */
static json_t *load_json(const PGresult *res, int row, int col, json_type type, char *why,
                         size_t size)
{
    if (PQgetisnull(res, row, col))
        return type == JSON_ARRAY ? json_array() : json_object();
    json_error_t jerr;
    json_t *v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        snprintf(why, size, "%s: %s", PQfname(res, col), jerr.text);
    } else if (json_typeof(v) != type) {
        snprintf(why, size, "%s: not an %s", PQfname(res, col),
                 type == JSON_ARRAY ? "array" : "object");
        json_decref(v);
        v = NULL;
    }
    return v;
}

Job *job_from_row(const PGresult *res, int row, Error *err)
{
    Job *job = calloc(1, sizeof(*job));
    long attempt, max_attempts, count, done;

    if (job == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    if (PQnfields(res) != 9 || !copy_text(res, row, 0, job->id, sizeof(job->id)) ||
        !copy_text(res, row, 1, job->type, sizeof(job->type)) ||
        !strnum_long(PQgetvalue(res, row, 2), 1, 1000000000, &attempt) ||
        !strnum_long(PQgetvalue(res, row, 3), 1, 1000, &max_attempts) ||
        !strnum_long(PQgetvalue(res, row, 4), 0, 100000000, &count) ||
        !strnum_long(PQgetvalue(res, row, 5), 0, count, &done)) {
        error_set(err, 500, "bad_claim_row", "claim returned a row pgjobd cannot read");
        goto fail;
    }
    job->attempt = (int)attempt;
    job->max_attempts = (int)max_attempts;
    job->item_count = (size_t)count;
    job->items_done = (size_t)done;
    char why[200] = "items: not one per item_count";
    job->items = load_json(res, row, 6, JSON_ARRAY, why, sizeof(why));
    job->metadata = job->items ? load_json(res, row, 7, JSON_OBJECT, why, sizeof(why)) : NULL;
    job->results = job->metadata ? load_json(res, row, 8, JSON_ARRAY, why, sizeof(why)) : NULL;
    if (job->items == NULL || job->metadata == NULL || job->results == NULL ||
        json_array_size(job->items) != job->item_count) {
        error_set(err, 422, "unreadable_job", "pgjobd cannot read the job's %s", why);
        goto fail;
    }
    /* A checkpoint is only usable when it holds a result per item done. */
    if (json_array_size(job->results) != job->items_done) {
        json_array_clear(job->results);
        job->items_done = 0;
    }
    return job;
fail:
    job_free(job);
    return NULL;
}

Job *job_stub_from_row(const PGresult *res, int row)
{
    Job *job = calloc(1, sizeof(*job));
    long attempt;

    if (job == NULL)
        return NULL;
    if (PQnfields(res) < 3 || !copy_text(res, row, 0, job->id, sizeof(job->id)) ||
        !copy_text(res, row, 1, job->type, sizeof(job->type)) ||
        !strnum_long(PQgetvalue(res, row, 2), 1, 1000000000, &attempt)) {
        free(job);
        return NULL;
    }
    job->attempt = (int)attempt;
    return job;
}

void job_free(Job *job)
{
    if (job == NULL)
        return;
    json_decref(job->items);
    json_decref(job->metadata);
    json_decref(job->results);
    free(job);
}

Outcome *outcome_new(OutcomeKind kind, Job *job)
{
    Outcome *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        job_free(job);
        return NULL;
    }
    o->kind = kind;
    o->job = job;
    o->confidence = -1;
    o->cache_hit = -1;
    return o;
}

void outcome_free(Outcome *o)
{
    if (o == NULL)
        return;
    job_free(o->job);
    json_decref(o->results);
    json_decref(o->validation_flags);
    free(o);
}

size_t results_failed(const json_t *results)
{
    size_t i, n = 0;
    json_t *r;

    json_array_foreach(results, i, r)
    {
        json_t *e = json_object_get(r, "error");
        if (e != NULL && !json_is_null(e))
            n++;
    }
    return n;
}

/* complete_entry adds the fields of a completion to entry.  It counts the
 * failed items itself: pgjob.complete would otherwise expand every job's
 * results in SQL to count them (about 4,000 instructions for a one-item
 * job, more with more items). */
static int complete_entry(json_t *entry, const Outcome *o)
{
    int rc = json_object_set(entry, "results", o->results ? o->results : json_null());
    if (o->results != NULL)
        rc |= json_object_set_new(entry, "items_failed",
                                  json_integer((json_int_t)results_failed(o->results)));
    rc |= json_object_set_new(entry, "processing_ms", json_integer(o->processing_ms));
    if (o->validation_flags != NULL)
        rc |= json_object_set(entry, "validation_flags", o->validation_flags);
    if (o->confidence >= 0)
        rc |= json_object_set_new(entry, "confidence", json_real(o->confidence));
    if (o->model[0] != '\0')
        rc |= json_object_set_new(entry, "model", json_string(o->model));
    if (o->cache_hit >= 0)
        rc |= json_object_set_new(entry, "cache_hit", json_boolean(o->cache_hit));
    return rc;
}

/* fail_entry adds the fields of a failure to entry. */
static int fail_entry(json_t *entry, const Outcome *o)
{
    json_t *error = json_pack("{s:s, s:s}", "code", o->error.code[0] ? o->error.code : "error",
                              "message", o->error.message);
    if (error == NULL)
        return -1;
    int rc = json_object_set_new(entry, "error", error);
    rc |= json_object_set_new(entry, "fatal", json_boolean(o->fatal));
    return rc;
}

json_t *outcome_entry(const Outcome *o)
{
    json_t *entry = json_pack("{s:s, s:i}", "id", o->job->id, "attempt", o->job->attempt);
    int rc = 0;

    if (entry == NULL)
        return NULL;
    if (o->kind == OUTCOME_COMPLETE)
        rc = complete_entry(entry, o);
    else if (o->kind == OUTCOME_FAIL)
        rc = fail_entry(entry, o);
    if (rc != 0) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}
