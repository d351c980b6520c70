/* SPDX-License-Identifier: MIT */
/*
 * api_ops.c - the operations routes: GET /v1/health (database reachable,
 * queue depth) and GET /metrics (Prometheus text: this process's requests,
 * the queue depth and the job outcome counters of the database).  Neither
 * needs a key: they show counts, never a job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_request.h"
#include "jobstatus.h"
#include "log.h"
#include "render.h"

/* read_depth fills g's job gauges from pgjob.queue_depth; false with err
 * when the database cannot be asked. */
static bool read_depth(ApiRequest *ar, MetricsGauges *g, Error *err)
{
    char field[DB_FIELD_SIZE];
    PGresult *r = dbconn_exec(ar->db, STMT_QUEUE_DEPTH, NULL, err, field);

    if (r == NULL)
        return false;
    for (int i = 0; i < PQntuples(r); i++) {
        JobStatus status;
        long long n = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        if (!jobstatus_parse(PQgetvalue(r, i, 0), &status))
            continue;
        if (status == JOB_QUEUED)
            g->queued = n;
        else if (status == JOB_PROCESSING)
            g->processing = n;
        else if (status == JOB_PAUSED)
            g->paused = n;
    }
    PQclear(r);
    return true;
}

void api_health(ApiRequest *ar)
{
    MetricsGauges g = {0};
    Error err = {0};
    json_t *body;

    if (!read_depth(ar, &g, &err)) {
        api_fail_db(ar, &err, NULL);
        return;
    }
    body =
        json_pack("{s:s, s:s, s:{s:I, s:I, s:I}}", "status", "ok", "database", "up", "queue",
                  jobstatus_word(JOB_QUEUED), (json_int_t)g.queued, jobstatus_word(JOB_PROCESSING),
                  (json_int_t)g.processing, jobstatus_word(JOB_PAUSED), (json_int_t)g.paused);
    if (!render_json(ar->res, 200, body))
        log_error("[req %s] out of memory rendering the health check", ar->req->id);
}

/* The outcomes pgjob.outcome_counts counts (sql/009_metrics.sql). */
static const char *const outcome_words[] = {"completed", "failed", "retried", "canceled",
                                            "expired"};
enum { OUTCOMES = sizeof outcome_words / sizeof outcome_words[0] };

/* read_outcomes fills g's outcome counters from pgjob.outcome_counts: a
 * sample for each accepted type and outcome (0 when the database has no
 * count yet, so that every counter exists from the first scrape), then
 * the database's counts of other types (jobs of a type this process does
 * not accept, submitted through another).  *r gets the result the samples
 * borrow from (PQclear it after rendering).  False with err when the
 * database cannot be asked or out of memory. */
static bool read_outcomes(ApiRequest *ar, MetricsGauges *g, PGresult **r, Error *err)
{
    char field[DB_FIELD_SIZE];
    const ApiShared *sh = ar->shared;
    MetricsOutcome *list;
    size_t n = 0;

    *r = dbconn_exec(ar->db, STMT_OUTCOME_COUNTS, NULL, err, field);
    if (*r == NULL)
        return false;
    list = calloc(sh->ntypes * OUTCOMES + (size_t)PQntuples(*r) + 1, sizeof(*list));
    if (list == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    for (size_t t = 0; t < sh->ntypes; t++) {
        for (size_t o = 0; o < OUTCOMES; o++)
            list[n++] = (MetricsOutcome){sh->types[t], outcome_words[o], 0};
    }
    for (int i = 0; i < PQntuples(*r); i++) {
        const char *type = PQgetvalue(*r, i, 0), *outcome = PQgetvalue(*r, i, 1);
        long long jobs = strtoll(PQgetvalue(*r, i, 2), NULL, 10);
        size_t k = 0;

        while (k < n && (strcmp(list[k].type, type) != 0 || strcmp(list[k].outcome, outcome) != 0))
            k++;
        if (k == n)
            list[n++] = (MetricsOutcome){type, outcome, 0};
        list[k].jobs = jobs;
    }
    g->outcomes = list;
    g->noutcomes = n;
    return true;
}

void api_metrics(ApiRequest *ar)
{
    MetricsGauges g = {0};
    Error err = {0};
    PGresult *counts = NULL;
    size_t len = 0;
    char *text;

    g.database_up = read_depth(ar, &g, &err) && read_outcomes(ar, &g, &counts, &err);
    g.waiters = waiters_count(ar->shared->waiters);
    GroupCounts group = submit_group_counts(ar->shared->group);
    g.submits_waiting = group.waiting;
    g.submit_groups = group.statements;
    g.submits_grouped = group.grouped;
    g.submits_not_handed = group.refused;
    g.process_start_time = ar->shared->started;
    text = metrics_render(ar->shared->metrics, &g, &len);
    free((void *)g.outcomes);
    PQclear(counts);
    if (text == NULL ||
        !response_set_body(ar->res, "text/plain; version=0.0.4; charset=utf-8", text, len)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
    }
}
