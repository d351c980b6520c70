/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the counters of one pgjob.fcgi process and their rendering
 * as Prometheus text (exposition format 0.0.4) for GET /metrics:
 *
 *   pgjob_http_requests_total{route,status}       counter
 *   pgjob_http_request_duration_seconds{route}    histogram (_bucket{le}, _sum, _count)
 *   pgjob_jobs{status}                             gauge: queued, processing, paused
 *   pgjob_database_up                              gauge: 1 or 0
 *   pgjob_waiters                                  gauge: long-polls held now
 *   pgjob_submits_waiting                          gauge: submits waiting for a
 *                                                  group write now (submit_group.h)
 *   pgjob_submit_groups_total                      counter: statements that wrote
 *                                                  two submits or more
 *   pgjob_submits_grouped_total                    counter: submits those wrote
 *   pgjob_submits_not_handed_total                 counter: submits that found the
 *                                                  group's queue full and waited on
 *                                                  their request thread
 *   pgjob_process_start_time_seconds               gauge
 *   pgjob_job_outcomes_total{type,outcome}         counter: jobs that reached an
 *                                                  outcome, as the database counted
 *                                                  them (sql/009_metrics.sql)
 *
 * Routes are router.h's names (route="get_job"; "none" for a request no
 * route matched).  Only routes and statuses seen so far have samples;
 * every family always has its HELP and TYPE lines.  The counters are per
 * process: with several processes (mod_fcgid), each scrape sees the one
 * that answered, told apart by pgjob_process_start_time_seconds.
 *
 * Statuses are counted by number.  A route keeps at most
 * METRICS_STATUSES distinct statuses; a status outside 100..599, or a new
 * one past that bound, is counted under status="other", so a request is
 * never lost from the counts and the label set stays bounded.
 */
#ifndef PGJOB_METRICS_H
#define PGJOB_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "router.h"

/* The content type of metrics_render's text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The most distinct statuses counted per route; the API answers about 15. */
enum { METRICS_STATUSES = 24 };

typedef struct Metrics Metrics;

/* MetricsOutcome is one sample of pgjob_job_outcomes_total: the jobs of
 * one type that reached one outcome (completed, failed, retried, canceled
 * or expired). */
typedef struct MetricsOutcome {
    const char *type;    /* borrowed */
    const char *outcome; /* borrowed */
    long long jobs;
} MetricsOutcome;

/* MetricsGauges is what the caller measured for this scrape. */
typedef struct MetricsGauges {
    bool database_up; /* false: the database did not answer; no pgjob_jobs samples */
    long long queued; /* jobs by status, when database_up */
    long long processing;
    long long paused;
    int waiters;         /* long-polls held in this process now (waiters_count) */
    int submits_waiting; /* submit_group_counts' waiting, statements, grouped */
    long long submit_groups;
    long long submits_grouped;
    long long submits_not_handed;   /* submit_group_counts' refused */
    double process_start_time;      /* seconds since the Unix epoch */
    const MetricsOutcome *outcomes; /* database counts, noutcomes of them, when database_up */
    size_t noutcomes;
} MetricsGauges;

/* metrics_new returns new, zeroed metrics (free with metrics_free), or
 * NULL when out of memory. */
Metrics *metrics_new(void);

/* metrics_free frees m; NULL is fine. */
void metrics_free(Metrics *m);

/* metrics_observe counts one answered request: route (ROUTE_NONE, or any
 * value outside the enum, counts as route="none"), its HTTP status and
 * its duration in seconds (negative or NaN count as 0, more than 1e9 as
 * 1e9).  Thread-safe; m NULL is ignored. */
void metrics_observe(Metrics *m, RouteId route, int status, double seconds);

/* metrics_render returns the exposition text of m's counters and of g
 * (NULL: no gauge families) as a new NUL-terminated string (free with
 * free()) and stores its length in *len (when len is not NULL).  Returns
 * NULL when out of memory.  Thread-safe: it renders a snapshot taken
 * under m's lock. */
char *metrics_render(const Metrics *m, const MetricsGauges *g, size_t *len);

/* metrics_escape_label returns a new copy of value (free with free())
 * escaped as a label value of the text format: backslash, double quote
 * and newline become \\, \" and \n.  NULL when out of memory; value NULL
 * is "". */
char *metrics_escape_label(const char *value);

#endif
