/* SPDX-License-Identifier: MIT */
/*
 * job.h - a claimed job as pgjobd holds it, and the outcome of running it.
 *
 * Wording: a Job is one attempt of one job, from the claim that leased it
 * to the outcome that ends the attempt.  An Outcome is what the daemon
 * writes back for it: complete, fail, release (hand back unfinished), or
 * nothing at all when the attempt no longer holds the job.
 */
#ifndef PGJOB_JOB_H
#define PGJOB_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "error.h"
#include "handlers/handler.h"

/* Job is one leased attempt. */
typedef struct Job {
    char id[40];   /* uuid text */
    char type[72]; /* job type */
    int attempt;   /* fencing token from the claim */
    int max_attempts;
    size_t item_count;
    size_t items_done;      /* checkpoint at claim time */
    json_t *items;          /* array, owned */
    json_t *metadata;       /* object, owned */
    json_t *results;        /* checkpoint results, array, owned */
    const Handler *handler; /* borrowed from the handler table */
    const void *settings;   /* borrowed: the handler's settings */
    long long renewed_ms;   /* monotonic ms of the claim or the last lease renewal */
    struct Job *next;       /* the pool's queue link */
} Job;

/* The columns job_from_row reads, in this order, from pgjob.claim(). */
#define JOB_CLAIM_COLUMNS \
    "id, type, attempt, max_attempts, item_count, items_done, items, metadata, results"

/* job_from_row builds a Job from row `row` of a result of
 * "SELECT " JOB_CLAIM_COLUMNS " FROM pgjob.claim(...)".  Returns a new
 * Job (free with job_free) or NULL with err filled when a value cannot be
 * parsed. */
Job *job_from_row(const PGresult *res, int row, Error *err);

/* job_stub_from_row builds a Job holding only the id, type and attempt of
 * row `row` (no items), to fail a job whose other columns job_from_row
 * cannot read.  Returns a new Job (job_free) or NULL when even those
 * cannot be read, or no memory. */
Job *job_stub_from_row(const PGresult *res, int row);

/* job_free releases a Job; NULL is fine. */
void job_free(Job *job);

/* JOB_JSON_FLAGS encode results for the database.  Real numbers get 15
 * significant digits, which every decimal of up to 15 digits survives
 * unchanged: an amount of 9.99 is written 9.99, not 9.9900000000000002
 * as the default of 17 would. */
#define JOB_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* OutcomeKind is what the daemon writes back for an attempt. */
typedef enum OutcomeKind {
    OUTCOME_COMPLETE, /* pgjob.complete */
    OUTCOME_FAIL,     /* pgjob.fail, retried with backoff unless fatal */
    OUTCOME_RELEASE,  /* pgjob.release: handed back unfinished (shutdown) */
    OUTCOME_NONE,     /* the attempt lost the job (canceled, paused, lease lost) */
} OutcomeKind;

/* Outcome is the end of one attempt; it owns its job and JSON. */
typedef struct Outcome {
    OutcomeKind kind;
    Job *job;
    json_t *results;          /* COMPLETE: one result per item */
    json_t *validation_flags; /* COMPLETE: array */
    double confidence;        /* < 0: none */
    char model[64];           /* empty: none */
    int cache_hit;            /* -1: none */
    long long processing_ms;  /* COMPLETE, FAIL: wall time of the handler run (ms) */
    bool fatal;               /* FAIL: no retry */
    Error error;              /* FAIL: code and message */
    struct Outcome *next;     /* the pool's queue link */
} Outcome;

/* outcome_new returns a new Outcome of `kind` owning `job` (stolen), or
 * NULL when out of memory (then job is freed). */
Outcome *outcome_new(OutcomeKind kind, Job *job);

/* outcome_free releases an Outcome and its job; NULL is fine. */
void outcome_free(Outcome *o);

/* results_failed counts the results whose "error" is there and not null:
 * the items_failed of pgjob.complete's rule (sql/002_jobs.sql).  NULL, or
 * anything but an array, counts 0. */
size_t results_failed(const json_t *results);

/* outcome_entry returns the new JSON object that stands for o in the
 * array passed to pgjob.complete, pgjob.fail or pgjob.release, or NULL
 * when out of memory. */
json_t *outcome_entry(const Outcome *o);

#endif
