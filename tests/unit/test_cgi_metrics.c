/* SPDX-License-Identifier: MIT */
/* test_cgi_metrics.c tests the request counters and their Prometheus text (cgi/metrics.c). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "suites.h"

/* The text of a small sample: every family, cumulative buckets, sums. */
static const char sample_text[] =
    "# HELP pgjob_http_requests_total HTTP requests answered, by route and status.\n"
    "# TYPE pgjob_http_requests_total counter\n"
    "pgjob_http_requests_total{route=\"none\",status=\"404\"} 1\n"
    "pgjob_http_requests_total{route=\"get_job\",status=\"200\"} 2\n"
    "pgjob_http_requests_total{route=\"get_job\",status=\"404\"} 1\n"
    "# HELP pgjob_http_request_duration_seconds Time to answer an HTTP request, by route.\n"
    "# TYPE pgjob_http_request_duration_seconds histogram\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.001\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.0025\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.005\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.01\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.025\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.05\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.1\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.25\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.5\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"1\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"2.5\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"5\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"10\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"30\"} 0\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"+Inf\"} 1\n"
    "pgjob_http_request_duration_seconds_sum{route=\"none\"} 45\n"
    "pgjob_http_request_duration_seconds_count{route=\"none\"} 1\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.001\"} 1\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.0025\"} 1\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.005\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.01\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.025\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.05\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.1\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.25\"} 2\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"0.5\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"1\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"2.5\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"5\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"10\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"30\"} 3\n"
    "pgjob_http_request_duration_seconds_bucket{route=\"get_job\",le=\"+Inf\"} 3\n"
    "pgjob_http_request_duration_seconds_sum{route=\"get_job\"} 0.504\n"
    "pgjob_http_request_duration_seconds_count{route=\"get_job\"} 3\n"
    "# HELP pgjob_jobs Jobs not finished, by status, as the database counted them.\n"
    "# TYPE pgjob_jobs gauge\n"
    "pgjob_jobs{status=\"queued\"} 12\n"
    "pgjob_jobs{status=\"processing\"} 3\n"
    "pgjob_jobs{status=\"paused\"} 0\n"
    "# HELP pgjob_database_up Whether the database answered this scrape (1) or not (0).\n"
    "# TYPE pgjob_database_up gauge\n"
    "pgjob_database_up 1\n"
    "# HELP pgjob_job_outcomes_total Jobs that reached an outcome (completed, failed, retried, "
    "canceled, expired), by job type, as the database counted them.\n"
    "# TYPE pgjob_job_outcomes_total counter\n"
    "pgjob_job_outcomes_total{type=\"echo\",outcome=\"completed\"} 5\n"
    "pgjob_job_outcomes_total{type=\"a\\\"b\",outcome=\"retried\"} 0\n"
    "# HELP pgjob_waiters Long-polls held by this process now, and answers it is still writing "
    "to a slow client.\n"
    "# TYPE pgjob_waiters gauge\n"
    "pgjob_waiters 2\n"
    "# HELP pgjob_submits_waiting Submits of this process waiting for a group write now.\n"
    "# TYPE pgjob_submits_waiting gauge\n"
    "pgjob_submits_waiting 3\n"
    "# HELP pgjob_submit_groups_total Statements of this process that wrote two submits or "
    "more at once.\n"
    "# TYPE pgjob_submit_groups_total counter\n"
    "pgjob_submit_groups_total 7\n"
    "# HELP pgjob_submits_grouped_total Submits of this process written by those statements.\n"
    "# TYPE pgjob_submits_grouped_total counter\n"
    "pgjob_submits_grouped_total 19\n"
    "# HELP pgjob_submits_not_handed_total Submits of this process that found the group's queue "
    "full and waited on their request thread.\n"
    "# TYPE pgjob_submits_not_handed_total counter\n"
    "pgjob_submits_not_handed_total 2\n"
    "# HELP pgjob_process_start_time_seconds Start time of this process since the Unix epoch, "
    "in seconds.\n"
    "# TYPE pgjob_process_start_time_seconds gauge\n"
    "pgjob_process_start_time_seconds 1700000000.5\n";

/* contains says whether text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = strstr(text, line); p != NULL; p = strstr(p + 1, line)) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    }
    return false;
}

static void sample(void)
{
    Metrics *m = metrics_new();
    MetricsGauges g = {.database_up = true,
                       .queued = 12,
                       .processing = 3,
                       .paused = 0,
                       .waiters = 2,
                       .submits_waiting = 3,
                       .submit_groups = 7,
                       .submits_grouped = 19,
                       .submits_not_handed = 2,
                       .process_start_time = 1700000000.5};
    const MetricsOutcome outcomes[] = {{"echo", "completed", 5}, {"a\"b", "retried", 0}};
    size_t len = 0;
    char *text;

    g.outcomes = outcomes;
    g.noutcomes = 2;
    REQUIRE(m != NULL);
    metrics_observe(m, ROUTE_GET, 200, 0.001); /* on a bound: in that bucket */
    metrics_observe(m, ROUTE_GET, 404, 0.5);
    metrics_observe(m, ROUTE_GET, 200, 0.003);
    metrics_observe(m, ROUTE_NONE, 404, 45); /* past the last bound: +Inf only */
    text = metrics_render(m, &g, &len);
    REQUIRE(text != NULL);
    CHECK_STR(text, sample_text);
    CHECK_INT(len, strlen(sample_text));
    free(text);
    metrics_free(m);
}

static void empty(void)
{
    Metrics *m = metrics_new();
    size_t len = 0;
    char *text;

    REQUIRE(m != NULL);
    /* No gauges: only the two HTTP families, without samples. */
    text = metrics_render(m, NULL, &len);
    REQUIRE(text != NULL);
    CHECK_STR(text,
              "# HELP pgjob_http_requests_total HTTP requests answered, by route and status.\n"
              "# TYPE pgjob_http_requests_total counter\n"
              "# HELP pgjob_http_request_duration_seconds Time to answer an HTTP request, "
              "by route.\n"
              "# TYPE pgjob_http_request_duration_seconds histogram\n");
    CHECK_INT(len, strlen(text));
    free(text);
    text = metrics_render(m, NULL, NULL); /* len is optional */
    CHECK(text != NULL);
    free(text);
    metrics_free(m);
    metrics_free(NULL);
    metrics_observe(NULL, ROUTE_GET, 200, 0.1);
}

static void database_down(void)
{
    Metrics *m = metrics_new();
    MetricsGauges g = {.database_up = false, .queued = 5, .waiters = 0, .process_start_time = 1};
    char *text;

    REQUIRE(m != NULL);
    text = metrics_render(m, &g, NULL);
    REQUIRE(text != NULL);
    CHECK(has_line(text, "# TYPE pgjob_jobs gauge"));
    CHECK(strstr(text, "pgjob_jobs{") == NULL);
    CHECK(has_line(text, "pgjob_database_up 0"));
    CHECK(has_line(text, "pgjob_waiters 0"));
    CHECK(has_line(text, "pgjob_process_start_time_seconds 1"));
    free(text);
    metrics_free(m);
}

static void escape_label(void)
{
    char *s = metrics_escape_label("a\\b\"c\nd");

    CHECK_STR(s, "a\\\\b\\\"c\\nd");
    free(s);
    s = metrics_escape_label("get_job");
    CHECK_STR(s, "get_job");
    free(s);
    s = metrics_escape_label("");
    CHECK_STR(s, "");
    free(s);
    s = metrics_escape_label(NULL);
    CHECK_STR(s, "");
    free(s);
    /* Only those three: tabs and UTF-8 stay as they are. */
    s = metrics_escape_label("\t\xc3\xa9");
    CHECK_STR(s, "\t\xc3\xa9");
    free(s);
}

enum { THREADS = 4, PER_THREAD = 20000 };

static Metrics *shared;

static void *observer_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_observe(shared, ROUTE_LIST, i % 4 == 0 ? 500 : 200, 0.25); /* 0.25: exact sums */
    return NULL;
}

static void concurrent(void)
{
    pthread_t t[THREADS];
    char *text;

    shared = metrics_new();
    REQUIRE(shared != NULL);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, observer_main, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_join(t[i], NULL) == 0);
    text = metrics_render(shared, NULL, NULL);
    REQUIRE(text != NULL);
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"list_jobs\",status=\"200\"} 60000"));
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"list_jobs\",status=\"500\"} 20000"));
    CHECK(has_line(text,
                   "pgjob_http_request_duration_seconds_bucket"
                   "{route=\"list_jobs\",le=\"0.1\"} 0"));
    CHECK(has_line(text,
                   "pgjob_http_request_duration_seconds_bucket"
                   "{route=\"list_jobs\",le=\"0.25\"} 80000"));
    CHECK(has_line(text,
                   "pgjob_http_request_duration_seconds_bucket"
                   "{route=\"list_jobs\",le=\"+Inf\"} 80000"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_sum{route=\"list_jobs\"} 20000"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_count{route=\"list_jobs\"} 80000"));
    free(text);
    metrics_free(shared);
}

static void odd_statuses(void)
{
    Metrics *m = metrics_new();
    char *text;

    REQUIRE(m != NULL);
    /* Outside 100..599: counted as "other". */
    metrics_observe(m, ROUTE_HEALTH, 999, 0.01);
    metrics_observe(m, ROUTE_HEALTH, 0, 0.01);
    metrics_observe(m, ROUTE_HEALTH, -1, 0.01);
    metrics_observe(m, ROUTE_HEALTH, 2147483647, 0.01);
    /* METRICS_STATUSES distinct ones get their own line, the next "other". */
    for (int s = 0; s <= METRICS_STATUSES; s++)
        metrics_observe(m, ROUTE_RESULTS, 599 - s, 0.01);
    metrics_observe(m, ROUTE_RESULTS, 599, 0.01);
    /* An unknown route counts as none; odd durations land in the first bucket. */
    metrics_observe(m, (RouteId)ROUTE_COUNT, 200, -1);
    metrics_observe(m, (RouteId)-7, 200, NAN);
    metrics_observe(m, ROUTE_METRICS, 200, INFINITY);
    text = metrics_render(m, NULL, NULL);
    REQUIRE(text != NULL);
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"health\",status=\"other\"} 4"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_count{route=\"health\"} 4"));
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"get_results\",status=\"599\"} 2"));
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"get_results\",status=\"576\"} 1"));
    CHECK(!has_line(text, "pgjob_http_requests_total{route=\"get_results\",status=\"575\"} 1"));
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"get_results\",status=\"other\"} 1"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_count{route=\"get_results\"} 26"));
    /* Sorted by status, "other" last. */
    CHECK(strstr(text, "status=\"576\"") < strstr(text, "status=\"599\""));
    CHECK(strstr(text, "route=\"get_results\",status=\"599\"") <
          strstr(text, "route=\"get_results\",status=\"other\""));
    CHECK(has_line(text, "pgjob_http_requests_total{route=\"none\",status=\"200\"} 2"));
    CHECK(has_line(text,
                   "pgjob_http_request_duration_seconds_bucket{route=\"none\",le=\"0.001\"} 2"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_sum{route=\"none\"} 0"));
    CHECK(has_line(text,
                   "pgjob_http_request_duration_seconds_bucket{route=\"metrics\",le=\"30\"} 0"));
    CHECK(has_line(text, "pgjob_http_request_duration_seconds_sum{route=\"metrics\"} 1000000000"));
    free(text);
    metrics_free(m);
}

const Test cgi_metrics_tests[] = {
    {"cgi_metrics_sample", sample},
    {"cgi_metrics_empty", empty},
    {"cgi_metrics_database_down", database_down},
    {"cgi_metrics_escape_label", escape_label},
    {"cgi_metrics_concurrent", concurrent},
    {"cgi_metrics_odd_statuses", odd_statuses},
    {NULL, NULL},
};
