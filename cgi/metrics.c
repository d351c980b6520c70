/* SPDX-License-Identifier: MIT */
/* metrics.c counts requests by route and status and renders them as Prometheus text. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

/* The upper bounds of the duration buckets, in seconds; +Inf follows. */
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25,  0.5,    1,     2.5,  5,     10,   30};
/* The same bounds as their le label values. */
static const char *const bucket_label[] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
                                           "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                           "2.5",   "5",      "10",    "30",   "+Inf"};
enum { BUCKETS = sizeof(bucket_label) / sizeof(bucket_label[0]) };
_Static_assert(sizeof(bucket_le) / sizeof(bucket_le[0]) + 1 == BUCKETS, "one label per bound");

/* The longest duration counted, in seconds, so that _sum stays finite. */
#define SECONDS_MAX 1e9

/* RouteCounts is what one route has seen. */
typedef struct RouteCounts {
    int status[METRICS_STATUSES];                  /* in order of first sight; 0: free */
    unsigned long long requests[METRICS_STATUSES]; /* requests answered with status[i] */
    unsigned long long other;                      /* status="other" (see metrics.h) */
    unsigned long long buckets[BUCKETS];           /* per bucket, not cumulative */
    double sum;                                    /* seconds */
    unsigned long long count;
} RouteCounts;

struct Metrics {
    pthread_mutex_t lock; /* guards routes */
    RouteCounts routes[ROUTE_COUNT];
};

Metrics *metrics_new(void)
{
    Metrics *m = calloc(1, sizeof(*m));

    if (m != NULL && pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void metrics_free(Metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* count_status counts one request of status in rc. */
static void count_status(RouteCounts *rc, int status)
{
    if (status < 100 || status > 599) {
        rc->other++;
        return;
    }
    for (int i = 0; i < METRICS_STATUSES; i++) {
        if (rc->status[i] == 0)
            rc->status[i] = status;
        if (rc->status[i] == status) {
            rc->requests[i]++;
            return;
        }
    }
    rc->other++;
}

void metrics_observe(Metrics *m, RouteId route, int status, double seconds)
{
    RouteCounts *rc;
    int b = 0;

    if (m == NULL)
        return;
    if ((int)route < 0 || (int)route >= ROUTE_COUNT)
        route = ROUTE_NONE;
    if (!(seconds >= 0)) /* NaN too */
        seconds = 0;
    if (seconds > SECONDS_MAX)
        seconds = SECONDS_MAX;
    while (b < BUCKETS - 1 && seconds > bucket_le[b])
        b++;

    pthread_mutex_lock(&m->lock);
    rc = &m->routes[route];
    count_status(rc, status);
    rc->buckets[b]++;
    rc->sum += seconds;
    rc->count++;
    pthread_mutex_unlock(&m->lock);
}

/* ---- rendering ---- */

/* Buf is a growing string; after a failed allocation it stays failed and
 * ignores further appends, so callers check once at the end. */
typedef struct Buf {
    char *data;
    size_t len, cap;
    bool failed;
} Buf;

/* buf_reserve makes room for n more bytes and the NUL. */
static bool buf_reserve(Buf *b, size_t n)
{
    size_t cap = b->cap > 0 ? b->cap : 1024;
    char *data;

    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    while (cap < b->len + n + 1)
        cap *= 2;
    data = realloc(b->data, cap);
    if (data == NULL) {
        b->failed = true;
        return false;
    }
    data[b->len] = '\0';
    b->data = data;
    b->cap = cap;
    return true;
}

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(Buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* buf_write is the PromWrite of a Buf. */
static void buf_write(void *sink, const char *data, size_t len)
{
    buf_add(sink, data, len);
}

/* buf_label appends value escaped as a label value (without quotes). */
static void buf_label(Buf *b, const char *value)
{
    prom_label(buf_write, b, value);
}

/* buf_double appends v in the shortest %g form that reads back as v
 * ("0.1", not "0.10000000000000001").  The program never calls setlocale,
 * so the decimal point is '.'. */
static void buf_double(Buf *b, double v)
{
    char s[40];

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    buf_puts(b, s);
}

/* buf_family appends a family's HELP and TYPE lines. */
static void buf_family(Buf *b, const char *name, const char *type, const char *help)
{
    prom_family(buf_write, b, name, type, help);
}

/* sort_statuses sorts rc's used status slots by status, keeping each
 * count with its status. */
static void sort_statuses(RouteCounts *rc)
{
    for (int i = 1; i < METRICS_STATUSES && rc->status[i] != 0; i++) {
        int s = rc->status[i];
        unsigned long long n = rc->requests[i];
        int j = i;

        for (; j > 0 && rc->status[j - 1] > s; j--) {
            rc->status[j] = rc->status[j - 1];
            rc->requests[j] = rc->requests[j - 1];
        }
        rc->status[j] = s;
        rc->requests[j] = n;
    }
}

static void render_requests(Buf *b, const RouteCounts *routes)
{
    static const char name[] = "pgjob_http_requests_total";

    buf_family(b, name, "counter", "HTTP requests answered, by route and status.");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        const RouteCounts *rc = &routes[r];

        for (int i = 0; i < METRICS_STATUSES && rc->status[i] != 0; i++) {
            buf_printf(b, "%s{route=\"", name);
            buf_label(b, router_route_name((RouteId)r));
            buf_printf(b, "\",status=\"%d\"} %llu\n", rc->status[i], rc->requests[i]);
        }
        if (rc->other > 0) {
            buf_printf(b, "%s{route=\"", name);
            buf_label(b, router_route_name((RouteId)r));
            buf_printf(b, "\",status=\"other\"} %llu\n", rc->other);
        }
    }
}

static void render_durations(Buf *b, const RouteCounts *routes)
{
    static const char name[] = "pgjob_http_request_duration_seconds";

    buf_family(b, name, "histogram", "Time to answer an HTTP request, by route.");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        const RouteCounts *rc = &routes[r];
        const char *route = router_route_name((RouteId)r);
        unsigned long long cumulative = 0;

        if (rc->count == 0)
            continue;
        for (int i = 0; i < BUCKETS; i++) {
            cumulative += rc->buckets[i];
            buf_printf(b, "%s_bucket{route=\"", name);
            buf_label(b, route);
            buf_printf(b, "\",le=\"%s\"} %llu\n", bucket_label[i], cumulative);
        }
        buf_printf(b, "%s_sum{route=\"", name);
        buf_label(b, route);
        buf_puts(b, "\"} ");
        buf_double(b, rc->sum);
        buf_printf(b, "\n%s_count{route=\"", name);
        buf_label(b, route);
        buf_printf(b, "\"} %llu\n", rc->count);
    }
}

static void render_gauges(Buf *b, const MetricsGauges *g)
{
    buf_family(b, "pgjob_jobs", "gauge",
               "Jobs not finished, by status, as the database counted them.");
    if (g->database_up) {
        buf_printf(b, "pgjob_jobs{status=\"queued\"} %lld\n", g->queued);
        buf_printf(b, "pgjob_jobs{status=\"processing\"} %lld\n", g->processing);
        buf_printf(b, "pgjob_jobs{status=\"paused\"} %lld\n", g->paused);
    }
    buf_family(b, "pgjob_database_up", "gauge",
               "Whether the database answered this scrape (1) or not (0).");
    buf_printf(b, "pgjob_database_up %d\n", g->database_up ? 1 : 0);
    buf_family(b, "pgjob_job_outcomes_total", "counter",
               "Jobs that reached an outcome (completed, failed, retried, canceled, expired), "
               "by job type, as the database counted them.");
    for (size_t i = 0; g->database_up && i < g->noutcomes; i++) {
        buf_puts(b, "pgjob_job_outcomes_total{type=\"");
        buf_label(b, g->outcomes[i].type);
        buf_puts(b, "\",outcome=\"");
        buf_label(b, g->outcomes[i].outcome);
        buf_printf(b, "\"} %lld\n", g->outcomes[i].jobs);
    }
    buf_family(
        b, "pgjob_waiters", "gauge",
        "Long-polls held by this process now, and answers it is still writing to a slow client.");
    buf_printf(b, "pgjob_waiters %d\n", g->waiters);
    buf_family(b, "pgjob_submits_waiting", "gauge",
               "Submits of this process waiting for a group write now.");
    buf_printf(b, "pgjob_submits_waiting %d\n", g->submits_waiting);
    buf_family(b, "pgjob_submit_groups_total", "counter",
               "Statements of this process that wrote two submits or more at once.");
    buf_printf(b, "pgjob_submit_groups_total %lld\n", g->submit_groups);
    buf_family(b, "pgjob_submits_grouped_total", "counter",
               "Submits of this process written by those statements.");
    buf_printf(b, "pgjob_submits_grouped_total %lld\n", g->submits_grouped);
    buf_family(b, "pgjob_submits_not_handed_total", "counter",
               "Submits of this process that found the group's queue full and waited on their "
               "request thread.");
    buf_printf(b, "pgjob_submits_not_handed_total %lld\n", g->submits_not_handed);
    buf_family(b, "pgjob_process_start_time_seconds", "gauge",
               "Start time of this process since the Unix epoch, in seconds.");
    buf_puts(b, "pgjob_process_start_time_seconds ");
    buf_double(b, g->process_start_time);
    buf_puts(b, "\n");
}

char *metrics_render(const Metrics *m, const MetricsGauges *g, size_t *len)
{
    Metrics *locked = (Metrics *)m; /* locking is not a change of the counts */
    RouteCounts routes[ROUTE_COUNT];
    Buf b = {0};

    if (m != NULL) {
        pthread_mutex_lock(&locked->lock);
        memcpy(routes, m->routes, sizeof routes);
        pthread_mutex_unlock(&locked->lock);
    } else {
        memset(routes, 0, sizeof routes);
    }
    for (int r = 0; r < ROUTE_COUNT; r++)
        sort_statuses(&routes[r]);

    buf_reserve(&b, 4096);
    render_requests(&b, routes);
    render_durations(&b, routes);
    if (g != NULL)
        render_gauges(&b, g);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.data;
}

char *metrics_escape_label(const char *value)
{
    Buf b = {0};

    buf_reserve(&b, 0);
    buf_label(&b, value != NULL ? value : "");
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
