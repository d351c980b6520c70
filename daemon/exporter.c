/* SPDX-License-Identifier: MIT */
/*
 * exporter.c - pgjobd's GET /metrics server and the counters it shows
 * (see exporter.h).
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "exporter.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* The upper bounds of the handler duration buckets, in seconds; +Inf
 * follows.  Handlers run from a millisecond (echo) to minutes (exec). */
static const double bucket_le[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                   1,     2.5,   5,    10,    30,   60,  300};
enum { BUCKETS = sizeof bucket_le / sizeof bucket_le[0] + 1 };

/* Series is the histogram of one (type, result). */
typedef struct Series {
    char type[72];
    bool ok;
    unsigned long long buckets[BUCKETS]; /* per bucket, not cumulative */
    long long sum_ms;
    unsigned long long count;
} Series;

struct Exporter {
    int fd;      /* listening socket */
    int stop[2]; /* the pipe exporter_stop writes to */
    int port;
    pthread_t thread;
    double started; /* seconds since the epoch */

    pthread_mutex_t lock; /* guards what follows */
    ExporterCounts counts;
    Series *series;
    size_t nseries, cap;
};

/* ---- counting ---- */

void exporter_publish(Exporter *e, const ExporterCounts *c)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->lock);
    e->counts = *c;
    pthread_mutex_unlock(&e->lock);
}

/* series_of returns the series of (type, ok), added when new; NULL when
 * out of memory.  Called under the lock. */
static Series *series_of(Exporter *e, const char *type, bool ok)
{
    for (size_t i = 0; i < e->nseries; i++) {
        if (e->series[i].ok == ok && strcmp(e->series[i].type, type) == 0)
            return &e->series[i];
    }
    if (e->nseries == e->cap) {
        size_t cap = e->cap > 0 ? e->cap * 2 : 16;
        Series *grown = realloc(e->series, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        e->series = grown;
        e->cap = cap;
    }
    Series *s = &e->series[e->nseries++];
    memset(s, 0, sizeof(*s));
    snprintf(s->type, sizeof(s->type), "%s", type);
    s->ok = ok;
    return s;
}

void exporter_observe(Exporter *e, const char *type, bool ok, long long ms)
{
    double seconds = (ms < 0 ? 0 : (double)ms) / 1000.0;
    int b = 0;

    if (e == NULL)
        return;
    while (b < BUCKETS - 1 && seconds > bucket_le[b])
        b++;
    pthread_mutex_lock(&e->lock);
    Series *s = series_of(e, type, ok);
    if (s != NULL) {
        s->buckets[b]++;
        s->sum_ms += ms < 0 ? 0 : ms;
        s->count++;
    }
    pthread_mutex_unlock(&e->lock);
}

/* ---- rendering ---- */

/* family writes a family's HELP and TYPE lines. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* label writes value escaped as a label value (job types need no
 * escaping, but the format is kept whatever a type holds). */
static void label(FILE *f, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            fputc('\\', f);
        if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
}

static void render_counts(FILE *f, const ExporterCounts *c, double started)
{
    family(f, "pgjobd_jobs_claimed_total", "counter", "Jobs this daemon claimed.");
    fprintf(f, "pgjobd_jobs_claimed_total %ld\n", c->claimed);
    family(f, "pgjobd_job_outcomes_total", "counter",
           "Attempts this daemon ended, by outcome as the database recorded it; lost: the "
           "attempt no longer held its job (lease lost, job canceled or paused).");
    fprintf(f,
            "pgjobd_job_outcomes_total{outcome=\"completed\"} %ld\n"
            "pgjobd_job_outcomes_total{outcome=\"retried\"} %ld\n"
            "pgjobd_job_outcomes_total{outcome=\"failed\"} %ld\n"
            "pgjobd_job_outcomes_total{outcome=\"released\"} %ld\n"
            "pgjobd_job_outcomes_total{outcome=\"lost\"} %ld\n",
            c->completed, c->retried, c->failed, c->released, c->lost);
    family(f, "pgjobd_rescues_total", "counter",
           "Jobs whose lease had expired that this daemon rescued, by what became of them.");
    fprintf(f,
            "pgjobd_rescues_total{outcome=\"requeued\"} %ld\n"
            "pgjobd_rescues_total{outcome=\"failed\"} %ld\n",
            c->rescued, c->rescue_failed);
    family(f, "pgjobd_jobs_expired_total", "counter",
           "Finished jobs this daemon expired past their retention (as the maintainer).");
    fprintf(f, "pgjobd_jobs_expired_total %ld\n", c->expired);
    family(f, "pgjobd_jobs_pruned_total", "counter",
           "Expired jobs this daemon deleted (as the maintainer).");
    fprintf(f, "pgjobd_jobs_pruned_total %ld\n", c->pruned);
    family(f, "pgjobd_jobs_running", "gauge", "Jobs handed to the workers and not back yet.");
    fprintf(f, "pgjobd_jobs_running %d\n", c->running);
    family(f, "pgjobd_workers", "gauge", "Worker threads (the workers key).");
    fprintf(f, "pgjobd_workers %d\n", c->workers);
    family(f, "pgjobd_outcomes_pending", "gauge", "Outcomes not yet written to the database.");
    fprintf(f, "pgjobd_outcomes_pending %zu\n", c->pending);
    family(f, "pgjobd_database_up", "gauge",
           "Whether the dispatcher's database connection is up (1) or not (0).");
    fprintf(f, "pgjobd_database_up %d\n", c->database_up ? 1 : 0);
    family(f, "pgjobd_maintainer", "gauge",
           "Whether this daemon holds the maintenance lock (expiry and pruning).");
    fprintf(f, "pgjobd_maintainer %d\n", c->maintainer ? 1 : 0);
    family(f, "pgjobd_process_start_time_seconds", "gauge",
           "Start time of this process since the Unix epoch, in seconds.");
    fprintf(f, "pgjobd_process_start_time_seconds %.3f\n", started);
}

static void render_series(FILE *f, const Series *series, size_t n)
{
    static const char name[] = "pgjobd_handler_duration_seconds";

    family(f, name, "histogram",
           "Time handlers took to run an attempt, by job type and result (ok: completed, "
           "error: failed).");
    for (size_t i = 0; i < n; i++) {
        const Series *s = &series[i];
        const char *result = s->ok ? "ok" : "error";
        unsigned long long cumulative = 0;

        for (int b = 0; b < BUCKETS; b++) {
            cumulative += s->buckets[b];
            fprintf(f, "%s_bucket{type=\"", name);
            label(f, s->type);
            if (b < BUCKETS - 1)
                fprintf(f, "\",result=\"%s\",le=\"%g\"} %llu\n", result, bucket_le[b], cumulative);
            else
                fprintf(f, "\",result=\"%s\",le=\"+Inf\"} %llu\n", result, cumulative);
        }
        fprintf(f, "%s_sum{type=\"", name);
        label(f, s->type);
        fprintf(f, "\",result=\"%s\"} %lld.%03lld\n", result, s->sum_ms / 1000, s->sum_ms % 1000);
        fprintf(f, "%s_count{type=\"", name);
        label(f, s->type);
        fprintf(f, "\",result=\"%s\"} %llu\n", result, s->count);
    }
}

char *exporter_render(Exporter *e, size_t *len)
{
    ExporterCounts counts;
    Series *copy = NULL;
    size_t n, size = 0;
    char *text = NULL;
    FILE *f;

    pthread_mutex_lock(&e->lock);
    counts = e->counts;
    n = e->nseries;
    if (n > 0) {
        copy = malloc(n * sizeof(*copy));
        if (copy != NULL)
            memcpy(copy, e->series, n * sizeof(*copy));
    }
    pthread_mutex_unlock(&e->lock);
    if (n > 0 && copy == NULL)
        return NULL;

    f = open_memstream(&text, &size);
    if (f == NULL) {
        free(copy);
        return NULL;
    }
    render_counts(f, &counts, e->started);
    render_series(f, copy, n);
    free(copy);
    if (ferror(f) || fclose(f) != 0) {
        free(text);
        return NULL;
    }
    if (len != NULL)
        *len = size;
    return text;
}

/* ---- serving ---- */

/* send_all writes n bytes of data to fd within the deadline (monotonic ms). */
static bool send_all(int fd, const char *data, size_t n, long long deadline)
{
    while (n > 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        long long left = deadline - clock_ms();

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return false;
        data += w;
        n -= (size_t)w;
    }
    return true;
}

/* respond sends one HTTP/1.0 answer. */
static void respond(int fd, int status, const char *reason, const char *type, const char *body,
                    size_t len, bool head, long long deadline)
{
    char header[256];
    int n = snprintf(header, sizeof(header),
                     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, type, len);

    if (n > 0 && (size_t)n < sizeof(header) && send_all(fd, header, (size_t)n, deadline) && !head)
        send_all(fd, body, len, deadline);
}

static void respond_text(int fd, int status, const char *reason, const char *text,
                         long long deadline)
{
    respond(fd, status, reason, "text/plain; charset=utf-8", text, strlen(text), false, deadline);
}

/* read_request reads the request line and headers into buf (NUL-ended)
 * until the blank line; false when the client is too slow, closes early
 * or sends more than the buffer holds (*too_big). */
static bool read_request(int fd, char *buf, size_t size, long long deadline, bool *too_big)
{
    size_t len = 0;

    *too_big = false;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = deadline - clock_ms();

        if (len + 1 >= size) {
            *too_big = true;
            return false;
        }
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        ssize_t r = recv(fd, buf + len, size - 1 - len, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
            return true;
    }
}

/* serve answers one connection. */
static void serve(Exporter *e, int fd)
{
    char buf[EXPORTER_REQUEST_MAX + 1];
    char method[16], target[256], version[16];
    long long deadline = clock_ms() + EXPORTER_TIMEOUT_MS;
    bool too_big;

    if (!read_request(fd, buf, sizeof(buf), deadline, &too_big)) {
        if (too_big)
            respond_text(fd, 431, "Request Header Fields Too Large", "request too large\n",
                         deadline);
        return;
    }
    if (sscanf(buf, "%15s %255s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        respond_text(fd, 400, "Bad Request", "bad request\n", deadline);
        return;
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (strcmp(method, "GET") != 0 && !head) {
        respond_text(fd, 405, "Method Not Allowed", "only GET /metrics\n", deadline);
        return;
    }
    /* A query string (Prometheus sends none, others may) changes nothing. */
    target[strcspn(target, "?")] = '\0';
    if (strcmp(target, "/metrics") != 0) {
        respond_text(fd, 404, "Not Found", "only GET /metrics\n", deadline);
        return;
    }
    size_t len = 0;
    char *text = exporter_render(e, &len);
    if (text == NULL) {
        respond_text(fd, 500, "Internal Server Error", "out of memory\n", deadline);
        return;
    }
    respond(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, len, head, deadline);
    free(text);
}

static void *server_main(void *arg)
{
    Exporter *e = arg;
    sigset_t all;

    /* Signals are for the dispatcher thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct pollfd fds[2] = {{.fd = e->fd, .events = POLLIN},
                                {.fd = e->stop[0], .events = POLLIN}};

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("metrics server: poll: %s", strerror(errno));
            return NULL;
        }
        if (fds[1].revents != 0)
            return NULL;
        if ((fds[0].revents & POLLIN) == 0)
            continue;
        int fd = accept4(e->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                log_warn("metrics server: accept: %s", strerror(errno));
            continue;
        }
        serve(e, fd);
        close(fd);
    }
}

/* split_host_port splits "host:port" / "[v6]:port" into host and port. */
static bool split_host_port(const char *address, char *host, size_t hsize, char *port, size_t psize)
{
    const char *colon = strrchr(address, ':');
    const char *h = address;
    size_t hlen;

    if (colon == NULL || colon == address)
        return false;
    hlen = (size_t)(colon - address);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hsize || strlen(colon + 1) >= psize || colon[1] == '\0')
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    strcpy(port, colon + 1);
    return true;
}

/* bind_listen returns a listening socket bound to listen, or -1 with err. */
static int bind_listen(const char *address, int *bound_port, Error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char host[256], port[16];
    int fd = -1, rc, saved = 0;

    if (!split_host_port(address, host, sizeof(host), port, sizeof(port))) {
        error_set(err, 500, "bad_config", "metrics_listen: \"%s\" is not host:port", address);
        return -1;
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        error_set(err, 500, "bad_config", "metrics_listen: %s: %s", address, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_set(err, 500, "metrics_listen", "metrics_listen: cannot listen on %s: %s", address,
                  strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char name[NI_MAXHOST], serv[NI_MAXSERV];
    *bound_port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, name, sizeof(name), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        *bound_port = atoi(serv);
    return fd;
}

Exporter *exporter_start(const char *address, Error *err)
{
    Exporter *e = calloc(1, sizeof(*e));
    struct timespec now;

    if (e == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    e->stop[0] = e->stop[1] = -1;
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        free(e);
        error_set(err, 500, "out_of_memory", "cannot create a mutex");
        return NULL;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    e->started = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    e->fd = bind_listen(address, &e->port, err);
    if (e->fd < 0)
        goto fail;
    if (pipe2(e->stop, O_CLOEXEC) != 0) {
        error_set(err, 500, "pipe_failed", "pipe: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&e->thread, NULL, server_main, e) != 0) {
        error_set(err, 500, "thread_failed", "cannot start the metrics thread");
        goto fail;
    }
    return e;
fail:
    if (e->fd >= 0)
        close(e->fd);
    for (int i = 0; i < 2; i++) {
        if (e->stop[i] >= 0)
            close(e->stop[i]);
    }
    pthread_mutex_destroy(&e->lock);
    free(e);
    return NULL;
}

void exporter_stop(Exporter *e)
{
    if (e == NULL)
        return;
    if (write(e->stop[1], "x", 1) != 1)
        log_warn("metrics server: cannot wake the thread: %s", strerror(errno));
    pthread_join(e->thread, NULL);
    close(e->fd);
    close(e->stop[0]);
    close(e->stop[1]);
    pthread_mutex_destroy(&e->lock);
    free(e->series);
    free(e);
}

int exporter_port(const Exporter *e)
{
    return e != NULL ? e->port : 0;
}
