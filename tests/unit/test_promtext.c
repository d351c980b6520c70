/* SPDX-License-Identifier: MIT */
/* test_promtext.c tests the shared pieces of /metrics: common/promtext.c
 * (HELP/TYPE lines, label escaping) and common/hostport.c (the host:port
 * parser of metrics_listen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hostport.h"
#include "promtext.h"
#include "suites.h"

/* Sink is a fixed buffer PromWrite appends to. */
typedef struct Sink {
    char text[512];
    size_t len;
} Sink;

static void sink_write(void *sink, const char *data, size_t len)
{
    Sink *s = sink;

    if (s->len + len < sizeof s->text) {
        memcpy(s->text + s->len, data, len);
        s->len += len;
        s->text[s->len] = '\0';
    }
}

static void family_and_label(void)
{
    Sink s = {.len = 0};

    prom_family(sink_write, &s, "x_total", "counter", "Jobs \"done\", a\\b\nc.");
    CHECK_STR(s.text, "# HELP x_total Jobs \"done\", a\\\\b\\nc.\n# TYPE x_total counter\n");
    s.len = 0;
    s.text[0] = '\0';
    prom_label(sink_write, &s, "a\"b\\c\nd");
    CHECK_STR(s.text, "a\\\"b\\\\c\\nd");
    s.len = 0;
    s.text[0] = '\0';
    prom_label(sink_write, &s, "plain");
    CHECK_STR(s.text, "plain");
}

static void host_port(void)
{
    static const struct {
        const char *text, *host;
        long port;
    } good[] = {{"127.0.0.1:9465", "127.0.0.1", 9465},
                {"[::1]:1", "::1", 1},
                {"localhost:0", "localhost", 0},
                {"0.0.0.0:65535", "0.0.0.0", 65535}};
    static const char *const bad[] = {"9465",     ":9465",    "h:65536", "::1:9465", "[::1]9465",
                                      "a host:1", "host:",    "host:9x", "[]:1",     "a]b:1",
                                      "[::1:1",   "x[y]z:80", "",        "host:+80", "host:-0"};
    char host[HOSTPORT_HOST_SIZE], small[4];
    long port;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!CHECK(host_port_parse(good[i].text, host, sizeof host, &port) == NULL))
            fprintf(stderr, "  %s refused\n", good[i].text);
        else {
            CHECK_STR(host, good[i].host);
            CHECK_INT(port, good[i].port);
        }
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!CHECK(host_port_parse(bad[i], host, sizeof host, &port) != NULL))
            fprintf(stderr, "  %s accepted\n", bad[i]);
    }
    CHECK(host_port_parse("abcd:1", small, sizeof small, &port) != NULL);
    CHECK(host_port_parse("abc:1", small, sizeof small, &port) == NULL);
}

const Test promtext_tests[] = {
    {"promtext_family_and_label", family_and_label},
    {"hostport_parse", host_port},
    {NULL, NULL},
};
