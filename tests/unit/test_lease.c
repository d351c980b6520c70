/* SPDX-License-Identifier: MIT */
/* test_lease.c tests what a heartbeat sends as its checkpoint
 * (lease_checkpoint_text, daemon/lease.c): only the results from the index
 * the database confirmed on, so a long job's heartbeats send each result
 * once, not the whole array each time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "lease.h"
#include "suites.h"

/* results_of returns an array of n results {"n": i, "error": null}. */
static json_t *results_of(size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:i, s:n}", "n", (int)i, "error"));
    return a;
}

static void delta_from_an_index(void)
{
    json_t *a = results_of(4);
    char *t;

    REQUIRE(a != NULL);
    t = lease_checkpoint_text(a, 0);
    CHECK_STR(t,
              "[{\"n\":0,\"error\":null},{\"n\":1,\"error\":null},{\"n\":2,\"error\":null},"
              "{\"n\":3,\"error\":null}]");
    free(t);
    t = lease_checkpoint_text(a, 2);
    CHECK_STR(t, "[{\"n\":2,\"error\":null},{\"n\":3,\"error\":null}]");
    free(t);
    t = lease_checkpoint_text(a, 4); /* nothing new: an empty array */
    CHECK_STR(t, "[]");
    free(t);
    CHECK(lease_checkpoint_text(a, 5) == NULL); /* past the end */
    /* The array itself is left as it was. */
    CHECK_INT(json_array_size(a), 4);
    json_decref(a);
}

static void refuses_what_is_not_an_array(void)
{
    json_t *o = json_object();

    CHECK(lease_checkpoint_text(NULL, 0) == NULL);
    CHECK(lease_checkpoint_text(o, 0) == NULL);
    json_decref(o);
}

static void keeps_the_job_encoding(void)
{
    json_t *a = json_pack("[{s:f}, {s:f}]", "total", 1.5, "total", 9.99);
    char *t = lease_checkpoint_text(a, 1);

    CHECK_STR(t, "[{\"total\":9.99}]"); /* 15 digits, as complete() writes */
    free(t);
    json_decref(a);
}

/* A run of n items with a heartbeat after each: the bytes sent add up to
 * about the size of the final array (each result once, plus "[]" per
 * heartbeat), where sending the whole array each time adds up to about
 * n/2 times it. */
static void linear_over_a_run(void)
{
    enum { N = 500 };
    json_t *done = json_array();
    json_t *all = results_of(N);
    size_t confirmed = 0, delta_bytes = 0, whole_bytes = 0;

    REQUIRE(done != NULL && all != NULL);
    for (size_t i = 0; i < N; i++) {
        json_array_append(done, json_array_get(all, i));
        char *t = lease_checkpoint_text(done, confirmed);
        char *w = lease_checkpoint_text(done, 0);
        REQUIRE(t != NULL && w != NULL);
        delta_bytes += strlen(t);
        whole_bytes += strlen(w);
        confirmed = json_array_size(done);
        free(t);
        free(w);
    }
    char *final = lease_checkpoint_text(all, 0);
    REQUIRE(final != NULL);
    size_t size = strlen(final);
    free(final);
    /* Each result once, with "[" and "]" per heartbeat instead of the
     * final array's N - 1 commas and one pair of brackets. */
    CHECK_INT(delta_bytes, size + N - 1);
    if (!CHECK(whole_bytes > size * (N / 4)))
        fprintf(stderr, "  whole %zu, final %zu\n", whole_bytes, size);
    json_decref(done);
    json_decref(all);
}

const Test lease_tests[] = {
    {"lease_checkpoint_delta_from_an_index", delta_from_an_index},
    {"lease_checkpoint_refuses_non_array", refuses_what_is_not_an_array},
    {"lease_checkpoint_keeps_job_encoding", keeps_the_job_encoding},
    {"lease_checkpoint_linear_over_a_run", linear_over_a_run},
    {NULL, NULL},
};
