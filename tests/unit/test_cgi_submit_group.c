/* SPDX-License-Identifier: MIT */
/*
 * test_cgi_submit_group.c - the bound on submits handed to a group
 * (cgi/submit_group.c): a handed submit counts until it is answered, not
 * only until the writer takes it.  The group's connection names no
 * server, so every write fails at once (503) and the callbacks run; the
 * first callback is held shut, which holds the answerer.
 */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "harness.h"
#include "submit_group.h"
#include "suites.h"

/* Gate counts the answers; the first one waits until it is opened. */
typedef struct Gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool open;
    int answered;
    int failed; /* answered with an error (the database is not there) */
} Gate;

static void gated(void *arg, PGresult *r, const Error *err, const char *field)
{
    Gate *g = arg;

    (void)err;
    (void)field;
    PQclear(r);
    pthread_mutex_lock(&g->lock);
    g->answered++;
    g->failed += r == NULL;
    pthread_cond_broadcast(&g->changed);
    while (!g->open)
        pthread_cond_wait(&g->changed, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

/* await_answers waits up to 30 s for n answers; how many came. */
static int await_answers(Gate *g, int n)
{
    struct timespec until;
    int got;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&g->lock);
    while (g->answered < n && pthread_cond_timedwait(&g->changed, &g->lock, &until) == 0)
        ;
    got = g->answered;
    pthread_mutex_unlock(&g->lock);
    return got;
}

static void handed_count_until_answered(void)
{
    static const GroupSubmit s = {
        .params = {"1", "echo", "{\"items\": [1]}", "0", NULL, "3", NULL, "1", "30", "1024"},
        .key_hash = "",
    };
    SubmitGroup *group = submit_group_new("host=/nonexistent/pgjob port=1", 5);
    Gate g = {.open = false};

    REQUIRE(group != NULL);
    REQUIRE(pthread_mutex_init(&g.lock, NULL) == 0);
    REQUIRE(pthread_cond_init(&g.changed, NULL) == 0);
    /* The first submit is written and its answer held: the answerer waits. */
    REQUIRE(submit_group_hand(group, &s, gated, &g));
    REQUIRE(await_answers(&g, 1) == 1);
    /* It still counts: SUBMIT_GROUP_QUEUE_MAX - 1 more are taken ... */
    for (int i = 1; i < SUBMIT_GROUP_QUEUE_MAX; i++)
        REQUIRE(submit_group_hand(group, &s, gated, &g));
    /* ... and the next one is refused, and counted. */
    CHECK(!submit_group_hand(group, &s, gated, &g));
    CHECK_INT(submit_group_counts(group).refused, 1);
    pthread_mutex_lock(&g.lock);
    g.open = true;
    pthread_cond_broadcast(&g.changed);
    pthread_mutex_unlock(&g.lock);
    REQUIRE(await_answers(&g, SUBMIT_GROUP_QUEUE_MAX) == SUBMIT_GROUP_QUEUE_MAX);
    /* Answered: there is room again. */
    CHECK(submit_group_hand(group, &s, gated, &g));
    CHECK_INT(await_answers(&g, SUBMIT_GROUP_QUEUE_MAX + 1), SUBMIT_GROUP_QUEUE_MAX + 1);
    CHECK_INT(g.failed, SUBMIT_GROUP_QUEUE_MAX + 1);
    submit_group_free(group);
    pthread_cond_destroy(&g.changed);
    pthread_mutex_destroy(&g.lock);
}

const Test cgi_submit_group_tests[] = {
    {"cgi_submit_group_handed_count_until_answered", handed_count_until_answered},
    {NULL, NULL},
};
