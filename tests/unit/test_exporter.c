/* SPDX-License-Identifier: MIT */
/* test_exporter.c tests pgjobd's GET /metrics server (daemon/exporter.c)
 * and the check of its metrics_listen key, over a real loopback socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#include "config.h"
#include "exporter.h"
#include "harness.h"
#include "suites.h"

/* listen_ok says whether a pgjob.conf holding metrics_listen = value loads. */
static bool listen_ok(const char *value, char *message, size_t size)
{
    FILE *f = fopen("pgjob.conf", "w");
    Config *c = config_new();
    Error err = {0};
    bool ok;

    if (f == NULL || c == NULL)
        return false;
    fprintf(f, "metrics_listen = \"%s\"\n", value);
    fclose(f);
    ok = config_load_file(c, "pgjob.conf", &err) && config_check(c, &err);
    snprintf(message, size, "%s", ok ? "" : err.message);
    config_free(c);
    return ok;
}

static void listen_values(void)
{
    static const char *const good[] = {"", "127.0.0.1:9465", "[::1]:9465", "localhost:1",
                                       "0.0.0.0:65535"};
    static const char *const bad[] = {
        "9465",      ":9465",    "127.0.0.1:0", "127.0.0.1:65536", "::1:9465",
        "[::1]9465", "a host:1", "host:",       "host:9x"};
    char message[256];

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!CHECK(listen_ok(good[i], message, sizeof message)))
            fprintf(stderr, "  %s: %s\n", good[i], message);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!CHECK(!listen_ok(bad[i], message, sizeof message)))
            fprintf(stderr, "  %s was accepted\n", bad[i]);
        else
            CHECK(strstr(message, "metrics_listen") != NULL);
    }
}

/* has_line says whether text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = strstr(text, line); p != NULL; p = strstr(p + 1, line)) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    }
    return false;
}

static void render(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    ExporterCounts c = {.claimed = 7,
                        .completed = 4,
                        .retried = 2,
                        .failed = 1,
                        .lost = 3,
                        .rescued = 5,
                        .rescue_failed = 6,
                        .running = 2,
                        .workers = 4,
                        .database_up = true};
    char *text;

    REQUIRE(e != NULL);
    exporter_publish(e, &c);
    exporter_observe(e, "echo", true, 3);       /* 0.003 s: le 0.005 */
    exporter_observe(e, "echo", true, 1000);    /* on the bound 1: counted there */
    exporter_observe(e, "echo", false, 400000); /* past 300 s: +Inf only */
    text = exporter_render(e, NULL);
    REQUIRE(text != NULL);
    CHECK(has_line(text, "# TYPE pgjobd_jobs_claimed_total counter"));
    CHECK(has_line(text, "pgjobd_jobs_claimed_total 7"));
    CHECK(has_line(text, "pgjobd_job_outcomes_total{outcome=\"completed\"} 4"));
    CHECK(has_line(text, "pgjobd_job_outcomes_total{outcome=\"retried\"} 2"));
    CHECK(has_line(text, "pgjobd_job_outcomes_total{outcome=\"failed\"} 1"));
    CHECK(has_line(text, "pgjobd_job_outcomes_total{outcome=\"lost\"} 3"));
    CHECK(has_line(text, "pgjobd_rescues_total{outcome=\"requeued\"} 5"));
    CHECK(has_line(text, "pgjobd_rescues_total{outcome=\"failed\"} 6"));
    CHECK(has_line(text, "pgjobd_jobs_running 2"));
    CHECK(has_line(text, "pgjobd_database_up 1"));
    CHECK(has_line(text, "pgjobd_maintainer 0"));
    CHECK(has_line(text, "# TYPE pgjobd_handler_duration_seconds histogram"));
    CHECK(has_line(
        text,
        "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"ok\",le=\"0.001\"} 0"));
    CHECK(has_line(
        text,
        "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"ok\",le=\"0.005\"} 1"));
    CHECK(has_line(
        text, "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"ok\",le=\"1\"} 2"));
    CHECK(has_line(
        text, "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"ok\",le=\"+Inf\"} 2"));
    CHECK(has_line(text, "pgjobd_handler_duration_seconds_sum{type=\"echo\",result=\"ok\"} 1.003"));
    CHECK(has_line(text, "pgjobd_handler_duration_seconds_count{type=\"echo\",result=\"ok\"} 2"));
    CHECK(has_line(
        text,
        "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"error\",le=\"300\"} 0"));
    CHECK(has_line(
        text,
        "pgjobd_handler_duration_seconds_bucket{type=\"echo\",result=\"error\",le=\"+Inf\"} 1"));
    free(text);
    exporter_stop(e);
}

/* ask_n sends request (len bytes) to the exporter on port and returns the whole answer
 * (a new string) or NULL. */
static char *ask_n(int port, const char *request, size_t len)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    static char answer[65536];
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return NULL;
    if (len > 0 && send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len) {
        /* The server may answer and close before reading it all. */
    }
    while (got + 1 < sizeof answer && (n = recv(fd, answer + got, sizeof answer - 1 - got, 0)) > 0)
        got += (size_t)n;
    close(fd);
    answer[got] = '\0';
    return strdup(answer);
}

/* ask sends the string request (see ask_n). */
static char *ask(int port, const char *request)
{
    return ask_n(port, request, strlen(request));
}

static void serves(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    ExporterCounts c = {.claimed = 42, .workers = 1};
    char big[EXPORTER_REQUEST_MAX + 100];
    char *a;

    REQUIRE(e != NULL);
    REQUIRE(exporter_port(e) > 0);
    exporter_publish(e, &c);

    a = ask(exporter_port(e), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(a != NULL);
    CHECK(strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(strstr(a, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
    CHECK(strstr(a, "\npgjobd_jobs_claimed_total 42\n") != NULL);
    {
        const char *body = strstr(a, "\r\n\r\n");
        const char *cl = strstr(a, "Content-Length: ");
        REQUIRE(body != NULL && cl != NULL);
        CHECK_INT(strtol(cl + 16, NULL, 10), strlen(body + 4));
    }
    free(a);

    a = ask(exporter_port(e), "HEAD /metrics?x=1 HTTP/1.0\r\n\r\n");
    REQUIRE(a != NULL);
    CHECK(strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(strstr(a, "\r\n\r\n")[4] == '\0');
    free(a);

    a = ask(exporter_port(e), "POST /metrics HTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 405 ", 13) == 0);
    free(a);
    a = ask(exporter_port(e), "GET /other HTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 404 ", 13) == 0);
    free(a);
    a = ask(exporter_port(e), "nonsense\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 400 ", 13) == 0);
    free(a);
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
    a = ask_n(exporter_port(e), big, sizeof big);
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 431 ", 13) == 0);
    free(a);
    /* A client that connects and sends nothing is dropped after the
     * timeout, and the next one is served. */
    {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)exporter_port(e))};
        int idle = socket(AF_INET, SOCK_STREAM, 0);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(idle >= 0 && connect(idle, (struct sockaddr *)&sa, sizeof sa) == 0);
        a = ask(exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
        CHECK(a != NULL && strncmp(a, "HTTP/1.0 200 ", 13) == 0);
        free(a);
        close(idle);
    }
    exporter_stop(e);
}

/* connect_to returns a socket connected to the exporter on port (a
 * 10 s receive and send timeout, so that no test can hang), or -1. */
static int connect_to(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 10};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The request line is the first line only, its parts must fit: a target
 * too long is 414 (not cut short), parts spread over lines are 400. */
static void request_lines(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    char request[600], *a;

    REQUIRE(e != NULL);
    a = ask(exporter_port(e), "GET\r\n/metrics\r\nHTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 400 ", 13) == 0);
    free(a);
    a = ask(exporter_port(e), "GET  /metrics HTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 400 ", 13) == 0);
    free(a);
    a = ask(exporter_port(e), "GET /metrics HTTP/1.0 extra\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 400 ", 13) == 0);
    free(a);
    snprintf(request, sizeof request, "GET /metrics?%0300d HTTP/1.0\r\n\r\n", 0);
    a = ask(exporter_port(e), request);
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 414 ", 13) == 0);
    free(a);
    snprintf(request, sizeof request, "GETGETGETGETGETGET /metrics HTTP/1.0\r\n\r\n");
    a = ask(exporter_port(e), request);
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 400 ", 13) == 0);
    free(a);
    /* A request line longer than the whole request buffer. */
    {
        size_t n = EXPORTER_REQUEST_MAX + 100;
        char *line = malloc(n);
        REQUIRE(line != NULL);
        memset(line, 'a', n);
        memcpy(line, "GET /", 5);
        a = ask_n(exporter_port(e), line, n);
        CHECK(a != NULL && strncmp(a, "HTTP/1.0 414 ", 13) == 0);
        free(a);
        free(line);
    }
    a = ask(exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 200 ", 13) == 0);
    free(a);
    exporter_stop(e);
}

/* A client that sends more than the request (here bytes the server never
 * reads) and reads slowly still gets the whole answer: the server ends
 * its side and drains before closing; closing with unread bytes would
 * reset the connection and drop what the socket had not sent yet. */
static void unread_bytes(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    static char junk[65536];
    static char answer[1 << 21];
    const char *request = "GET /metrics HTTP/1.0\r\n\r\n";
    struct sockaddr_in sa = {.sin_family = AF_INET};
    struct timeval tv = {.tv_sec = 10};
    int small = 4096, fd;
    size_t got = 0;
    ssize_t n;

    REQUIRE(e != NULL);
    /* A large answer (some hundred kilobytes), more than the sockets
     * hold while the client does not read. */
    for (int i = 0; i < 300; i++) {
        char type[32];
        snprintf(type, sizeof type, "type%03d", i);
        exporter_observe(e, type, true, i);
    }
    sa.sin_port = htons((uint16_t)exporter_port(e));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    memset(junk, 'x', sizeof junk);
    CHECK(send(fd, request, strlen(request), MSG_NOSIGNAL) == (ssize_t)strlen(request));
    CHECK(send(fd, junk, sizeof junk, MSG_NOSIGNAL) == (ssize_t)sizeof junk);
    nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
    while (got + 1 < sizeof answer && (n = recv(fd, answer + got, sizeof answer - 1 - got, 0)) > 0)
        got += (size_t)n;
    answer[got] = '\0';
    close(fd);
    const char *body = strstr(answer, "\r\n\r\n");
    const char *cl = strstr(answer, "Content-Length: ");
    REQUIRE(strncmp(answer, "HTTP/1.0 200 OK\r\n", 17) == 0 && body != NULL && cl != NULL);
    if (!CHECK_INT(strtol(cl + 16, NULL, 10), got - (size_t)(body + 4 - answer)))
        fprintf(stderr, "  last error: %s\n", strerror(errno));
    exporter_stop(e);
}

/* Idle connections (sending nothing) do not hold up a scrape: they are
 * served side by side, each with its own deadline. */
static void idle_connections(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    int idle[10];
    char *a;

    REQUIRE(e != NULL);
    for (int i = 0; i < 10; i++)
        REQUIRE((idle[i] = connect_to(exporter_port(e))) >= 0);
    long long start = clock_ms();
    a = ask(exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
    long long took = clock_ms() - start;
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 200 ", 13) == 0);
    /* One at a time, each idle client would take its whole timeout
     * (10 x 2 s); the bound is generous. */
    if (!CHECK(took < 5000))
        fprintf(stderr, "  the scrape took %lld ms\n", took);
    free(a);
    /* More than the server holds at once: the newest are served. */
    int more[40];
    for (int i = 0; i < 40; i++)
        REQUIRE((more[i] = connect_to(exporter_port(e))) >= 0);
    a = ask(exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(a != NULL && strncmp(a, "HTTP/1.0 200 ", 13) == 0);
    free(a);
    for (int i = 0; i < 40; i++)
        close(more[i]);
    for (int i = 0; i < 10; i++)
        close(idle[i]);
    /* Stopping does not wait for a client that sends nothing. */
    int last = connect_to(exporter_port(e));
    REQUIRE(last >= 0);
    a = ask(exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n"); /* the server has it */
    free(a);
    exporter_stop(e);
    close(last);
}

/* Out of file descriptors, accept fails at once again and again: the
 * server pauses accepting and warns rarely instead of spinning and
 * flooding the log, and serves the client once descriptors are back. */
static void accept_out_of_descriptors(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err);
    struct rlimit saved, low;
    char log[65536];
    int lines = 0, fd, logfd, stderr_copy, lowest;

    REQUIRE(e != NULL);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    logfd = open("log", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(logfd >= 0);
    stderr_copy = dup(STDERR_FILENO);
    REQUIRE(stderr_copy >= 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    /* No descriptor free below the limit: accepting the client fails. */
    lowest = dup(0);
    REQUIRE(lowest >= 0);
    close(lowest);
    low = saved;
    low.rlim_cur = (rlim_t)lowest;
    REQUIRE(dup2(logfd, STDERR_FILENO) == STDERR_FILENO);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)exporter_port(e))};
        struct timeval tv = {.tv_sec = 10};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    }
    CHECK(send(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, MSG_NOSIGNAL) == 25);
    nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
    setrlimit(RLIMIT_NOFILE, &saved);
    /* Back: the client is served. */
    {
        static char answer[65536];
        size_t got = 0;
        ssize_t n;
        while (got + 1 < sizeof answer &&
               (n = recv(fd, answer + got, sizeof answer - 1 - got, 0)) > 0)
            got += (size_t)n;
        answer[got] = '\0';
        CHECK(strncmp(answer, "HTTP/1.0 200 ", 13) == 0);
    }
    dup2(stderr_copy, STDERR_FILENO);
    close(fd);
    exporter_stop(e);
    ssize_t n = pread(logfd, log, sizeof log - 1, 0);
    REQUIRE(n >= 0);
    log[n] = '\0';
    for (char *p = strstr(log, "accept"); p != NULL; p = strstr(p + 1, "accept"))
        lines++;
    CHECK(lines >= 1); /* it did fail, and said so */
    if (!CHECK(lines <= 2))
        fprintf(stderr, "  %d accept warnings in 1 s; first: %.200s\n", lines, log);
}

static void bind_errors(void)
{
    Error err = {0};
    Exporter *e = exporter_start("127.0.0.1:0", &err), *twice;
    char address[64];

    REQUIRE(e != NULL);
    snprintf(address, sizeof address, "127.0.0.1:%d", exporter_port(e));
    twice = exporter_start(address, &err);
    CHECK(twice == NULL);
    CHECK(strstr(err.message, "cannot listen on 127.0.0.1:") != NULL);
    CHECK_STR(err.code, CONFIG_ERROR_CODE); /* pgjobd exits 78: no restart loop */
    exporter_stop(e);
    CHECK(exporter_start("no-such-host.invalid:9465", &err) == NULL);
    CHECK(strstr(err.message, "metrics_listen: no-such-host.invalid:9465") != NULL);
    exporter_stop(NULL);
    exporter_publish(NULL, &(ExporterCounts){0});
    exporter_observe(NULL, "echo", true, 1);
}

const Test exporter_tests[] = {
    {"exporter_listen_values", listen_values},
    {"exporter_render", render},
    {"exporter_serves", serves},
    {"exporter_bind_errors", bind_errors},
    {"exporter_request_lines", request_lines},
    {"exporter_unread_bytes", unread_bytes},
    {"exporter_idle_connections", idle_connections},
    {"exporter_accept_out_of_descriptors", accept_out_of_descriptors},
    {NULL, NULL},
};
