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
#include "config.h"
#include "hostport.h"
#include "log.h"
#include "promtext.h"

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

    /* The server thread's alone: when it last warned that accept failed
     * (monotonic ms, 0: never), and the failures since. */
    long long accept_warned;
    unsigned long accept_failures;

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

/* file_write is the PromWrite of a stdio stream (its errors stay in
 * ferror). */
static void file_write(void *sink, const char *data, size_t len)
{
    fwrite(data, 1, len, sink);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    prom_family(file_write, f, name, type, help);
}

static void label(FILE *f, const char *value)
{
    prom_label(file_write, f, value);
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

/* The connections served at once.  When all are taken, a new one takes
 * the place of the oldest, so idle clients never keep a scrape waiting. */
enum { CONNS = 16 };

/* How long accepting waits after the process ran out of descriptors or
 * memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the pending connection stays
 * in the backlog, and retrying at once would spin. */
enum { ACCEPT_BACKOFF_MS = 100 };

/* At most one warning about failing accepts per this many ms. */
enum { ACCEPT_LOG_MS = 10000 };

/* How long a closed connection's unread request bytes are drained after
 * the answer was sent, so that closing does not reset it (a reset can
 * discard the answer before the client read it). */
enum { DRAIN_MS = 200 };

typedef enum ConnState { CONN_FREE, CONN_READING, CONN_WRITING, CONN_DRAINING } ConnState;

/* Conn is one client connection and where its exchange stands. */
typedef struct Conn {
    ConnState state;
    int fd;
    long long deadline; /* monotonic ms: dropped then, whatever its state */
    char in[EXPORTER_REQUEST_MAX + 1];
    size_t in_len;
    char *out; /* the whole answer, header and body */
    size_t out_len, out_sent;
} Conn;

static void conn_close(Conn *c)
{
    if (c->state == CONN_FREE)
        return;
    close(c->fd);
    free(c->out);
    c->out = NULL;
    c->state = CONN_FREE;
}

/* conn_answer makes c's answer (HTTP/1.0, then the connection is closed)
 * and turns c to writing; on out of memory c is closed. */
static void conn_answer(Conn *c, int status, const char *reason, const char *type, const char *body,
                        size_t len, bool head)
{
    char header[256];
    int n = snprintf(header, sizeof(header),
                     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, type, len);
    size_t body_len = head ? 0 : len;

    if (n <= 0 || (size_t)n >= sizeof(header) || (c->out = malloc((size_t)n + body_len)) == NULL) {
        conn_close(c);
        return;
    }
    memcpy(c->out, header, (size_t)n);
    if (body_len > 0)
        memcpy(c->out + n, body, body_len);
    c->out_len = (size_t)n + body_len;
    c->out_sent = 0;
    c->state = CONN_WRITING;
}

static void conn_answer_text(Conn *c, int status, const char *reason, const char *text)
{
    conn_answer(c, status, reason, "text/plain; charset=utf-8", text, strlen(text), false);
}

/* request_line splits the first line of a request (line, len bytes, no
 * line break) into its three parts, each of which must fit its buffer.
 * Returns 0, or the status to answer: 414 when the target is too long,
 * 400 when the line is not three parts separated by single spaces or the
 * method or version is too long. */
static int request_line(const char *line, size_t len, char *method, size_t msize, char *target,
                        size_t tsize, char *version, size_t vsize)
{
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;

    if (sp2 == NULL || sp1 == line || sp2 == sp1 + 1 || sp2 + 1 == line + len ||
        memchr(sp2 + 1, ' ', len - (size_t)(sp2 + 1 - line)) != NULL)
        return 400;
    size_t mlen = (size_t)(sp1 - line), tlen = (size_t)(sp2 - sp1 - 1);
    size_t vlen = len - (size_t)(sp2 + 1 - line);
    if (tlen >= tsize)
        return 414;
    if (mlen >= msize || vlen >= vsize)
        return 400;
    memcpy(method, line, mlen);
    method[mlen] = '\0';
    memcpy(target, sp1 + 1, tlen);
    target[tlen] = '\0';
    memcpy(version, sp2 + 1, vlen);
    version[vlen] = '\0';
    return 0;
}

/* conn_request answers c's request, read whole (request line and
 * headers, NUL-ended in c->in). */
static void conn_request(Exporter *e, Conn *c)
{
    char method[16], target[256], version[16];
    size_t len = strcspn(c->in, "\n");

    if (len > 0 && c->in[len - 1] == '\r')
        len--;
    switch (request_line(c->in, len, method, sizeof(method), target, sizeof(target), version,
                         sizeof(version))) {
        case 0:
            break;
        case 414:
            conn_answer_text(c, 414, "URI Too Long", "request target too long\n");
            return;
        default:
            conn_answer_text(c, 400, "Bad Request", "bad request\n");
            return;
    }
    if (strncmp(version, "HTTP/1.", 7) != 0) {
        conn_answer_text(c, 400, "Bad Request", "bad request\n");
        return;
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (strcmp(method, "GET") != 0 && !head) {
        conn_answer_text(c, 405, "Method Not Allowed", "only GET /metrics\n");
        return;
    }
    /* A query string (Prometheus sends none, others may) changes nothing. */
    target[strcspn(target, "?")] = '\0';
    if (strcmp(target, "/metrics") != 0) {
        conn_answer_text(c, 404, "Not Found", "only GET /metrics\n");
        return;
    }
    size_t text_len = 0;
    char *text = exporter_render(e, &text_len);
    if (text == NULL) {
        conn_answer_text(c, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    conn_answer(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, text_len, head);
    free(text);
}

/* conn_read reads what c's client sent; answers once the request is
 * whole.  Closes c when the client closed or failed. */
static void conn_read(Exporter *e, Conn *c)
{
    if (c->in_len + 1 >= sizeof(c->in)) {
        /* Full without the end of the headers: too large.  Without even
         * the end of the request line, the target is what is too long. */
        if (memchr(c->in, '\n', c->in_len) == NULL)
            conn_answer_text(c, 414, "URI Too Long", "request line too long\n");
        else
            conn_answer_text(c, 431, "Request Header Fields Too Large", "request too large\n");
        return;
    }
    ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        conn_close(c);
        return;
    }
    c->in_len += (size_t)r;
    c->in[c->in_len] = '\0';
    if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
        conn_request(e, c);
    else if (c->in_len + 1 >= sizeof(c->in))
        conn_read(e, c); /* answers 414 or 431 */
}

/* conn_write sends what the socket takes of c's answer; when all is
 * sent, ends the writing side and drains briefly. */
static void conn_write(Conn *c)
{
    ssize_t w = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);

    if (w < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (w <= 0) {
        conn_close(c);
        return;
    }
    c->out_sent += (size_t)w;
    if (c->out_sent < c->out_len)
        return;
    free(c->out);
    c->out = NULL;
    if (shutdown(c->fd, SHUT_WR) != 0) {
        conn_close(c);
        return;
    }
    c->state = CONN_DRAINING;
    long long drain_end = clock_ms() + DRAIN_MS;
    if (drain_end < c->deadline)
        c->deadline = drain_end;
}

/* conn_drain reads and drops what the client still sends, until it
 * closes (or the deadline). */
static void conn_drain(Conn *c)
{
    char sink[1024];
    ssize_t r = recv(c->fd, sink, sizeof(sink), 0);

    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        conn_close(c);
}

/* accept_one accepts a pending connection into a free slot of conns, or
 * the oldest one's.  Returns false when accepting failed and must pause
 * (typically EMFILE, ENFILE, ENOBUFS, ENOMEM: the process is out of
 * descriptors or memory), warned at most once per ACCEPT_LOG_MS with how
 * many failures since the last warning. */
static bool accept_one(Exporter *e, Conn *conns)
{
    int fd = accept4(e->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        int saved = errno;

        if (saved == EINTR || saved == EAGAIN || saved == ECONNABORTED)
            return true;
        e->accept_failures++;
        long long now = clock_ms();
        if (e->accept_warned == 0 || now - e->accept_warned >= ACCEPT_LOG_MS) {
            if (e->accept_failures > 1)
                log_warn("metrics server: accept: %s (%lu failures since the last warning)",
                         strerror(saved), e->accept_failures);
            else
                log_warn("metrics server: accept: %s", strerror(saved));
            e->accept_warned = now;
            e->accept_failures = 0;
        }
        /* Any other failure pauses too: whatever it is, retrying at
         * once would only spin. */
        return false;
    }
    Conn *slot = &conns[0];
    for (int i = 0; i < CONNS; i++) {
        if (conns[i].state == CONN_FREE) {
            slot = &conns[i];
            break;
        }
        if (conns[i].deadline < slot->deadline)
            slot = &conns[i];
    }
    conn_close(slot);
    slot->fd = fd;
    slot->state = CONN_READING;
    slot->in_len = 0;
    slot->in[0] = '\0';
    slot->deadline = clock_ms() + EXPORTER_TIMEOUT_MS;
    return true;
}

static void *server_main(void *arg)
{
    Exporter *e = arg;
    Conn conns[CONNS];
    long long accept_paused_until = 0;

    for (int i = 0; i < CONNS; i++)
        conns[i].state = CONN_FREE;
    for (;;) {
        struct pollfd fds[2 + CONNS];
        Conn *polled[CONNS];
        nfds_t n = 2;
        long long now = clock_ms(), wake = -1;
        bool accepting = now >= accept_paused_until;

        fds[0] = (struct pollfd){.fd = e->stop[0], .events = POLLIN};
        fds[1] = (struct pollfd){.fd = accepting ? e->fd : -1, .events = POLLIN};
        if (!accepting)
            wake = accept_paused_until;
        for (int i = 0; i < CONNS; i++) {
            Conn *c = &conns[i];

            if (c->state == CONN_FREE)
                continue;
            if (now >= c->deadline) {
                conn_close(c);
                continue;
            }
            if (wake < 0 || c->deadline < wake)
                wake = c->deadline;
            polled[n - 2] = c;
            fds[n++] =
                (struct pollfd){.fd = c->fd, .events = c->state == CONN_WRITING ? POLLOUT : POLLIN};
        }
        int timeout = wake < 0 ? -1 : (int)(wake - now);
        if (poll(fds, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            log_error("metrics server: poll: %s", strerror(errno));
            break;
        }
        if (fds[0].revents != 0)
            break;
        for (nfds_t i = 2; i < n; i++) {
            Conn *c = polled[i - 2];

            if (fds[i].revents == 0)
                continue;
            if (c->state == CONN_READING)
                conn_read(e, c);
            else if (c->state == CONN_WRITING)
                conn_write(c);
            else
                conn_drain(c);
        }
        if ((fds[1].revents & POLLIN) != 0 && !accept_one(e, conns))
            accept_paused_until = clock_ms() + ACCEPT_BACKOFF_MS;
    }
    for (int i = 0; i < CONNS; i++)
        conn_close(&conns[i]);
    return NULL;
}

/* bind_listen returns a listening socket bound to listen, or -1 with err. */
static int bind_listen(const char *address, int *bound_port, Error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char host[HOSTPORT_HOST_SIZE], port[16];
    const char *wrong;
    long port_number;
    int fd = -1, rc, saved = 0;

    if ((wrong = host_port_parse(address, host, sizeof(host), &port_number)) != NULL) {
        error_set(err, 500, CONFIG_ERROR_CODE, "metrics_listen: \"%s\" %s", address, wrong);
        return -1;
    }
    snprintf(port, sizeof(port), "%ld", port_number);
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
        /* A port in use (another pgjobd@ instance with the same
         * metrics_listen, or another program) is the configuration's to
         * fix: restarting would only meet it again. */
        error_set(err, 500, saved == EADDRINUSE ? CONFIG_ERROR_CODE : "metrics_listen",
                  "metrics_listen: cannot listen on %s: %s", address, strerror(saved));
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
    /* Signals are for the dispatcher thread: the server thread starts
     * with all blocked (blocking them in the thread itself would leave a
     * window in which a signal could be delivered to it). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&e->thread, NULL, server_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
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
