/* SPDX-License-Identifier: MIT */
/*
 * test_cgi_waiters.c tests the long-polls of one process (cgi/waiters.c)
 * without PostgreSQL: notifications are injected with waiters_notify and
 * outages with waiters_set_listening, on a Waiters started without a
 * listener (conninfo NULL), except for one test whose listener cannot
 * reach any server.
 */
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "suites.h"
#include "waiters.h"

static const char job_a[] = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";
static const char job_b[] = "1c8e6d2f-4e3b-4d2c-8f1e-2b7c9a3d5f82";
static const char job_c[] = "2d7f5e3a-3f4c-4e3d-9a2f-1c8dab4e6a93";

/* A sleeper's deadline when the test expects it to be woken: long enough
 * that reaching it means the wake-up was lost. */
enum { LONG_MS = 10000, SHORT_MS = 50 };

/* Sleeper is one request thread: it sleeps once on its Wait, and leaves
 * afterwards when leave is set. */
typedef struct Sleeper {
    Waiters *w;
    Wait wait;
    long long deadline;
    bool leave;
    bool result;           /* what waiters_sleep returned */
    long long returned_at; /* when it returned, waiters_now_ms */
    pthread_t thread;
} Sleeper;

static void *sleeper_main(void *arg)
{
    Sleeper *s = arg;

    s->result = waiters_sleep(s->w, &s->wait, s->deadline);
    s->returned_at = waiters_now_ms();
    if (s->leave)
        waiters_leave(s->w, &s->wait);
    return NULL;
}

/* sleeper_start enters s for job_id (in this thread, so the test knows it
 * is registered) and starts its thread. */
static void sleeper_start(Sleeper *s, Waiters *w, const char *job_id, long long ms, bool leave)
{
    s->w = w;
    s->deadline = waiters_now_ms() + ms;
    s->leave = leave;
    REQUIRE(waiters_enter(w, &s->wait, job_id));
    REQUIRE(pthread_create(&s->thread, NULL, sleeper_main, s) == 0);
}

/* await_sleeping polls, a bounded number of times, until n waiters are
 * inside waiters_sleep, so that a test's notification wakes them there
 * rather than finding them before their sleep. */
static void await_sleeping(Waiters *w, int n)
{
    struct timespec ms = {0, 1000000};

    for (int i = 0; i < 5000 && waiters_sleeping(w) < n; i++)
        nanosleep(&ms, NULL);
    REQUIRE(waiters_sleeping(w) == n);
}

/* sleep_timed runs waiters_sleep with a deadline ms from now and stores
 * the time it took in *elapsed. */
static bool sleep_timed(Waiters *w, Wait *wait, long long ms, long long *elapsed)
{
    long long start = waiters_now_ms();
    bool woke = waiters_sleep(w, wait, start + ms);

    *elapsed = waiters_now_ms() - start;
    return woke;
}

static Waiters *start_seam(int max_waiters)
{
    Error err = {0};
    Waiters *w = waiters_start(NULL, max_waiters, max_waiters, &err);

    REQUIRE(w != NULL);
    return w;
}

static void payload_names(void)
{
    static const char two[] =
        "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71 "
        "1c8e6d2f-4e3b-4d2c-8f1e-2b7c9a3d5f82";

    CHECK(waiters_payload_names(job_a, job_a));
    CHECK(waiters_payload_names(two, job_a)); /* first */
    CHECK(waiters_payload_names(two, job_b)); /* last */
    CHECK(!waiters_payload_names(two, job_c));
    CHECK(
        waiters_payload_names("2d7f5e3a-3f4c-4e3d-9a2f-1c8dab4e6a93 "
                              "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71 "
                              "1c8e6d2f-4e3b-4d2c-8f1e-2b7c9a3d5f82",
                              job_a)); /* middle */
    CHECK(waiters_payload_names("*", job_a));
    CHECK(waiters_payload_names("*", job_c));
    /* Whole tokens only, exactly. */
    CHECK(!waiters_payload_names("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e712", job_a));
    CHECK(!waiters_payload_names("x0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71", job_a));
    CHECK(!waiters_payload_names("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7", job_a));
    CHECK(!waiters_payload_names("0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71", job_a));
    CHECK(!waiters_payload_names("**", job_a));
    CHECK(!waiters_payload_names("0b9f7c1e", job_a));
    /* Extra spaces do not hide a token. */
    CHECK(waiters_payload_names("  0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71  ", job_a));
    /* Nothing names nothing. */
    CHECK(!waiters_payload_names("", job_a));
    CHECK(!waiters_payload_names(NULL, job_a));
    CHECK(!waiters_payload_names(job_a, ""));
    CHECK(!waiters_payload_names(job_a, NULL));
    CHECK(!waiters_payload_names("*", ""));
}

static void disabled(void)
{
    Error err = {0};
    Waiters *w = waiters_start("host=/nonexistent", 0, 0, &err);
    Wait wait;

    /* max_waiters 0 starts nothing, so the conninfo is never used. */
    REQUIRE(w != NULL);
    CHECK(!waiters_enter(w, &wait, job_a));
    CHECK_INT(waiters_count(w), 0);
    CHECK(!waiters_sleep(w, &wait, waiters_now_ms() + LONG_MS));
    waiters_leave(w, &wait); /* harmless after a failed enter */
    waiters_stop(w);

    CHECK(!waiters_enter(NULL, &wait, job_a));
    CHECK_INT(waiters_count(NULL), 0);
    waiters_leave(NULL, &wait);
    waiters_notify(NULL, "*");
    waiters_stop(NULL);
}

static void cap(void)
{
    Waiters *w = start_seam(2);
    Wait a, b, c;

    CHECK(waiters_enter(w, &a, job_a));
    CHECK(waiters_enter(w, &b, job_a));
    CHECK_INT(waiters_count(w), 2);
    CHECK(!waiters_enter(w, &c, job_b));
    CHECK_INT(waiters_count(w), 2);
    waiters_leave(w, &c); /* its enter failed: nothing happens */
    CHECK_INT(waiters_count(w), 2);
    waiters_leave(w, &a);
    CHECK_INT(waiters_count(w), 1);
    CHECK(waiters_enter(w, &c, job_b));
    CHECK_INT(waiters_count(w), 2);
    waiters_leave(w, &b);
    waiters_leave(w, &c);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
}

static void bad_job_id(void)
{
    Waiters *w = start_seam(2);
    Wait wait;

    CHECK(!waiters_enter(w, &wait, "not-a-uuid"));
    CHECK(!waiters_enter(w, &wait, ""));
    CHECK(!waiters_enter(w, &wait, NULL));
    CHECK_INT(waiters_count(w), 0);
    /* An upper-case id is matched in lower case, as notifications send it. */
    REQUIRE(waiters_enter(w, &wait, "0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71"));
    waiters_notify(w, job_a);
    CHECK(waiters_sleep(w, &wait, waiters_now_ms() + LONG_MS));
    waiters_leave(w, &wait);
    waiters_stop(w);
}

static void notify_before_sleep_kept(void)
{
    Waiters *w = start_seam(4);
    Wait wait;
    long long elapsed;

    REQUIRE(waiters_enter(w, &wait, job_a));
    /* Between enter and the first sleep. */
    waiters_notify(w, job_a);
    CHECK(sleep_timed(w, &wait, LONG_MS, &elapsed));
    CHECK(elapsed < LONG_MS);
    /* Consumed: the next sleep runs to its deadline. */
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    CHECK(elapsed >= SHORT_MS);
    /* Between two sleeps; two notifications make one wake-up. */
    waiters_notify(w, "1c8e6d2f-4e3b-4d2c-8f1e-2b7c9a3d5f82 0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    waiters_notify(w, job_a);
    CHECK(sleep_timed(w, &wait, LONG_MS, &elapsed));
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    waiters_leave(w, &wait);
    waiters_stop(w);
}

static void other_job_does_not_wake(void)
{
    Waiters *w = start_seam(4);
    Wait wait;
    long long elapsed;

    REQUIRE(waiters_enter(w, &wait, job_a));
    waiters_notify(w, job_b);
    waiters_notify(w, "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7");
    waiters_notify(w, "");
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    CHECK(elapsed >= SHORT_MS);
    CHECK(elapsed < LONG_MS);
    /* A deadline already past returns at once. */
    CHECK(!waiters_sleep(w, &wait, waiters_now_ms() - 1));
    waiters_leave(w, &wait);
    waiters_stop(w);
}

static void star_wakes_all(void)
{
    Waiters *w = start_seam(4);
    Sleeper s[3] = {0};
    const char *jobs[3] = {job_a, job_b, job_c};

    for (int i = 0; i < 3; i++)
        sleeper_start(&s[i], w, jobs[i], LONG_MS, false);
    await_sleeping(w, 3);
    waiters_notify(w, "*");
    for (int i = 0; i < 3; i++) {
        REQUIRE(pthread_join(s[i].thread, NULL) == 0);
        CHECK(s[i].result);
        CHECK(s[i].returned_at < s[i].deadline);
        waiters_leave(w, &s[i].wait);
    }
    waiters_stop(w);
}

static void same_job_all_wake(void)
{
    Waiters *w = start_seam(8);
    Sleeper s[4] = {0};

    for (int i = 0; i < 3; i++)
        sleeper_start(&s[i], w, job_a, LONG_MS, false);
    sleeper_start(&s[3], w, job_b, 200, false); /* not named: sleeps to its deadline */
    await_sleeping(w, 4);
    waiters_notify(w, "2d7f5e3a-3f4c-4e3d-9a2f-1c8dab4e6a93 0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    for (int i = 0; i < 4; i++) {
        REQUIRE(pthread_join(s[i].thread, NULL) == 0);
        waiters_leave(w, &s[i].wait);
    }
    for (int i = 0; i < 3; i++) {
        CHECK(s[i].result);
        CHECK(s[i].returned_at < s[i].deadline);
    }
    CHECK(!s[3].result);
    CHECK(s[3].returned_at >= s[3].deadline);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
}

static void stop_wakes_sleepers(void)
{
    Waiters *w = start_seam(4);
    Sleeper s[2] = {0};

    /* They leave by themselves: waiters_stop waits for that. */
    sleeper_start(&s[0], w, job_a, LONG_MS, true);
    sleeper_start(&s[1], w, job_b, LONG_MS, true);
    await_sleeping(w, 2);
    waiters_stop(w);
    for (int i = 0; i < 2; i++) {
        REQUIRE(pthread_join(s[i].thread, NULL) == 0);
        CHECK(!s[i].result);
        CHECK(s[i].returned_at < s[i].deadline);
    }
}

static void listener_down_falls_back(void)
{
    Waiters *w = start_seam(4);
    Wait wait;
    long long elapsed;

    REQUIRE(waiters_enter(w, &wait, job_a));
    waiters_set_listening(w, false);
    /* No notification can come: the sleep returns after the fallback tick. */
    CHECK(sleep_timed(w, &wait, LONG_MS, &elapsed));
    CHECK(elapsed >= WAITERS_FALLBACK_MS - 10);
    CHECK(elapsed < LONG_MS);
    /* A deadline before the tick still wins. */
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    /* Back up: every waiter re-reads once, then sleeps normally. */
    waiters_set_listening(w, true);
    CHECK(sleep_timed(w, &wait, LONG_MS, &elapsed));
    CHECK(elapsed < WAITERS_FALLBACK_MS);
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    /* Up again while up wakes nobody. */
    waiters_set_listening(w, true);
    CHECK(!sleep_timed(w, &wait, SHORT_MS, &elapsed));
    waiters_leave(w, &wait);
    waiters_stop(w);
}

static void listener_down_wakes_sleeper(void)
{
    Waiters *w = start_seam(4);
    Sleeper s = {0};

    /* A sleeper that began while the listener was up falls back too. */
    sleeper_start(&s, w, job_a, LONG_MS, false);
    await_sleeping(w, 1);
    waiters_set_listening(w, false);
    REQUIRE(pthread_join(s.thread, NULL) == 0);
    CHECK(s.result);
    CHECK(s.returned_at < s.deadline);
    waiters_leave(w, &s.wait);
    waiters_stop(w);
}

static void unreachable_database(void)
{
    Error err = {0};
    /* A socket directory that does not exist: every attempt fails at once. */
    Waiters *w = waiters_start("host=/nonexistent/pgjob port=1", 2, 2, &err);
    Wait wait;
    long long elapsed;

    REQUIRE(w != NULL);
    REQUIRE(waiters_enter(w, &wait, job_a));
    /* Never listening: the waiter re-reads at the fallback tick. */
    CHECK(sleep_timed(w, &wait, LONG_MS, &elapsed));
    CHECK(elapsed < LONG_MS);
    waiters_leave(w, &wait);
    waiters_stop(w); /* joins the retrying thread */
}

const Test cgi_waiters_tests[] = {
    {"cgi_waiters_payload_names", payload_names},
    {"cgi_waiters_disabled", disabled},
    {"cgi_waiters_cap", cap},
    {"cgi_waiters_bad_job_id", bad_job_id},
    {"cgi_waiters_notify_before_sleep_kept", notify_before_sleep_kept},
    {"cgi_waiters_other_job_does_not_wake", other_job_does_not_wake},
    {"cgi_waiters_star_wakes_all", star_wakes_all},
    {"cgi_waiters_same_job_all_wake", same_job_all_wake},
    {"cgi_waiters_stop_wakes_sleepers", stop_wakes_sleepers},
    {"cgi_waiters_listener_down_falls_back", listener_down_falls_back},
    {"cgi_waiters_listener_down_wakes_sleeper", listener_down_wakes_sleeper},
    {"cgi_waiters_unreachable_database", unreachable_database},
    {NULL, NULL},
};
