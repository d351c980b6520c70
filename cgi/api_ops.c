/* SPDX-License-Identifier: MIT */
/*
 * api_ops.c - the operations routes: GET /v1/health (database reachable,
 * queue depth) and GET /metrics (Prometheus text).  Neither needs a key:
 * they show counts, never a job.
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

void api_metrics(ApiRequest *ar)
{
    MetricsGauges g = {0};
    Error err = {0};
    size_t len = 0;
    char *text;

    g.database_up = read_depth(ar, &g, &err);
    g.waiters = waiters_count(ar->shared->waiters);
    g.process_start_time = ar->shared->started;
    text = metrics_render(ar->shared->metrics, &g, &len);
    if (text == NULL ||
        !response_set_body(ar->res, "text/plain; version=0.0.4; charset=utf-8", text, len)) {
        error_set(&err, 500, "out_of_memory", "out of memory");
        api_fail(ar, &err, NULL);
    }
}
