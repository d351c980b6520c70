/* SPDX-License-Identifier: MIT */
/*
 * test_cgi_waiters.c tests the long-polls of one process (cgi/waiters.c)
 * without PostgreSQL: notifications are injected with waiters_notify and
 * outages with waiters_set_listening, on a Waiters started without a
 * listener connection (conninfo NULL), except for one test whose
 * listener cannot reach any server.  Parked waits are watched on one end
 * of a socket pair whose other end plays the client.
 */
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* ---- parked waits ---- */

/* Probe is one parked wait and what its callback saw.  fds is a socket
 * pair: [0] is parked (the FastCGI connection), [1] the client. */
typedef struct Probe {
    Waiters *w;
    Wait wait;
    int fds[2];
    int rearm;          /* re-arm on this many notifications before leaving */
    int db_down;        /* of them, re-arm as if each re-read found the database
                           down (waiters_rearm_db_down) on this many first */
    long long write_ms; /* > 0: on a notification, fill the connection and wait
                           this long for room (waiters_rearm_write) */
    pthread_mutex_t lock;
    pthread_cond_t called;
    int calls;
    WaitReason why;
    long long at; /* when the last call came, waiters_now_ms */
} Probe;

static void probe_ready(Wait *wait, WaitReason why, void *arg)
{
    Probe *p = arg;
    bool rearm, db_down = false;

    pthread_mutex_lock(&p->lock);
    if (p->write_ms > 0 && why == WAIT_NOTIFIED) {
        /* An answer larger than the connection takes: fill it. */
        char junk[4096] = {0};
        while (send(p->fds[0], junk, sizeof junk, MSG_DONTWAIT) > 0)
            ;
        p->calls++;
        p->why = why;
        pthread_cond_broadcast(&p->called);
        pthread_mutex_unlock(&p->lock);
        waiters_rearm_write(p->w, wait, waiters_now_ms() + p->write_ms);
        return;
    }
    rearm = p->rearm > 0 && why == WAIT_NOTIFIED;
    if (rearm) {
        p->rearm--;
        db_down = p->db_down > 0;
        p->db_down -= db_down;
    } else
        waiters_leave(p->w, wait);
    p->calls++;
    p->why = why;
    p->at = waiters_now_ms();
    pthread_cond_broadcast(&p->called);
    pthread_mutex_unlock(&p->lock);
    if (db_down)
        waiters_rearm_db_down(p->w, wait);
    else if (rearm)
        waiters_rearm(p->w, wait);
}

/* probe_park reserves p's wait for job_id and parks it until ms from now. */
static void probe_park(Probe *p, Waiters *w, const char *job_id, long long ms, bool notify_first)
{
    p->w = w;
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds) == 0);
    REQUIRE(pthread_mutex_init(&p->lock, NULL) == 0);
    REQUIRE(pthread_cond_init(&p->called, NULL) == 0);
    REQUIRE(waiters_reserve(w, &p->wait, job_id));
    if (notify_first)
        waiters_notify(w, job_id); /* between the reserve and the park: kept */
    REQUIRE(waiters_park(w, &p->wait, p->fds[0], waiters_now_ms() + ms, probe_ready, p));
}

/* probe_await waits up to ms for the callback's n-th call; its count. */
static int probe_await(Probe *p, int n, long long ms)
{
    struct timespec until;
    int calls;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    while (p->calls < n && pthread_cond_timedwait(&p->called, &p->lock, &until) == 0)
        ;
    calls = p->calls;
    pthread_mutex_unlock(&p->lock);
    return calls;
}

static void probe_close(Probe *p)
{
    close(p->fds[0]);
    if (p->fds[1] >= 0)
        close(p->fds[1]);
    pthread_cond_destroy(&p->called);
    pthread_mutex_destroy(&p->lock);
}

static void parked_wakes_on_its_job_only(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};

    probe_park(&p, w, job_a, LONG_MS, false);
    CHECK_INT(waiters_parked(w), 1);
    waiters_notify(w, job_b);
    CHECK_INT(probe_await(&p, 1, SHORT_MS), 0);
    waiters_notify(w, "2d7f5e3a-3f4c-4e3d-9a2f-1c8dab4e6a93 0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK_INT(waiters_count(w), 0);
    CHECK_INT(waiters_parked(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_notified_before_park(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    long long start = waiters_now_ms();

    probe_park(&p, w, job_a, LONG_MS, true);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK(p.at - start < LONG_MS);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_rearms(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.rearm = 1};

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_notify(w, "*");
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    /* Re-armed: still parked, woken again by the next notification. */
    CHECK_INT(waiters_count(w), 1);
    CHECK_INT(probe_await(&p, 2, SHORT_MS), 1);
    waiters_notify(w, job_a);
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_deadline(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    long long deadline = waiters_now_ms() + 200;

    probe_park(&p, w, job_a, 200, false);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_DEADLINE);
    CHECK(p.at >= deadline);
    CHECK(p.at < deadline + LONG_MS);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_client_gone(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    long long start = waiters_now_ms();

    probe_park(&p, w, job_a, LONG_MS, false);
    close(p.fds[1]);
    p.fds[1] = -1;
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_GONE);
    CHECK(p.at - start < LONG_MS);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_answered_on_stop(void)
{
    Waiters *w = start_seam(4);
    Probe p[2] = {{0}, {0}};

    probe_park(&p[0], w, job_a, LONG_MS, false);
    probe_park(&p[1], w, job_b, LONG_MS, false);
    /* waiters_stop returns once every parked wait was answered. */
    waiters_stop(w);
    for (int i = 0; i < 2; i++) {
        CHECK_INT(p[i].calls, 1);
        CHECK_INT(p[i].why, WAIT_STOPPING);
        probe_close(&p[i]);
    }
}

/* A parked wait whose re-read found the database down is not re-read
 * on the ticks of a listener that is down; it is once the listener is
 * back, at once. */
static void parked_db_down_waits_for_the_listener(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.rearm = 1, .db_down = 1};

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_set_listening(w, false);
    /* The first tick re-reads it: the database is down. */
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK_INT(waiters_parked(w), 1);
    /* Two more ticks pass without a re-read. */
    CHECK_INT(probe_await(&p, 2, 2 * WAITERS_FALLBACK_MS + 500), 1);
    long long back = waiters_now_ms();
    waiters_set_listening(w, true);
    CHECK(waiters_listening_since(w) >= back);
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK(p.at - back < WAITERS_FALLBACK_MS);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

/* With the listener down all along, such a wait runs at its deadline. */
static void parked_db_down_deadline(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.rearm = 1, .db_down = 1};
    long long deadline = waiters_now_ms() + 1500;

    probe_park(&p, w, job_a, 1500, false);
    waiters_set_listening(w, false);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_DEADLINE);
    CHECK(p.at >= deadline);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

/* With the listener up all along (only the readers' connection failed),
 * such a wait is re-read WAITERS_FALLBACK_MS later. */
static void parked_db_down_retries_while_listening(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.rearm = 1, .db_down = 1};

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_notify(w, job_a);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    long long first = p.at;
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_NOTIFIED);
    CHECK(p.at - first >= WAITERS_FALLBACK_MS - 10);
    CHECK(p.at - first < LONG_MS);
    waiters_stop(w);
    probe_close(&p);
}

/* drain reads what the connection holds for the client. */
static void drain(int fd)
{
    char buf[65536];

    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

static void parked_write_waits_for_room(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.write_ms = LONG_MS};

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_notify(w, job_a);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    /* Its connection is full: neither a notification nor the wait's
     * first deadline runs it again, only room to write. */
    waiters_notify(w, job_a);
    CHECK_INT(probe_await(&p, 2, SHORT_MS), 1);
    CHECK_INT(waiters_count(w), 1);
    drain(p.fds[1]);
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_WRITABLE);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_write_deadline(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.write_ms = 200};
    long long start;

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_notify(w, job_a);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    start = waiters_now_ms();
    /* A client that reads nothing: its write ends at the deadline. */
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_DEADLINE);
    CHECK(p.at - start >= 150);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

static void parked_write_client_gone(void)
{
    Waiters *w = start_seam(4);
    Probe p = {.write_ms = LONG_MS};

    probe_park(&p, w, job_a, LONG_MS, false);
    waiters_notify(w, job_a);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    close(p.fds[1]);
    p.fds[1] = -1;
    REQUIRE(probe_await(&p, 2, LONG_MS) == 2);
    CHECK_INT(p.why, WAIT_GONE);
    waiters_stop(w);
    probe_close(&p);
}

/* probe_park_write fills a new connection for p (an answer larger than
 * it takes) and parks the rest of the write with the listener, until ms
 * from now; whether waiters_park_write took it. */
static bool probe_park_write(Probe *p, Waiters *w, long long ms)
{
    char junk[4096] = {0};

    p->w = w;
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds) == 0);
    REQUIRE(pthread_mutex_init(&p->lock, NULL) == 0);
    REQUIRE(pthread_cond_init(&p->called, NULL) == 0);
    while (send(p->fds[0], junk, sizeof junk, MSG_DONTWAIT) > 0)
        ;
    return waiters_park_write(w, &p->wait, p->fds[0], waiters_now_ms() + ms, probe_ready, p);
}

/* An answer parked for writing awaits no job: no notification runs it,
 * room to write does, and it holds a waiter slot meanwhile. */
static void park_write_waits_for_room(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};

    REQUIRE(probe_park_write(&p, w, LONG_MS));
    CHECK_INT(waiters_count(w), 1);
    waiters_notify(w, job_a);
    waiters_notify(w, "*");
    CHECK_INT(probe_await(&p, 1, SHORT_MS), 0);
    drain(p.fds[1]);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_WRITABLE);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

static void park_write_deadline(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    long long start = waiters_now_ms();

    REQUIRE(probe_park_write(&p, w, 200));
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_DEADLINE);
    CHECK(p.at - start >= 150);
    CHECK_INT(waiters_count(w), 0);
    waiters_stop(w);
    probe_close(&p);
}

/* Once the process stops, no wait is reserved any more, but an answer
 * still parks for writing (the group submit answers while stopping), and
 * waiters_stop writes it to its end. */
static void park_write_while_stopping(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    Wait refused;

    waiters_shutdown(w);
    CHECK(!waiters_reserve(w, &refused, job_a));
    REQUIRE(probe_park_write(&p, w, LONG_MS));
    drain(p.fds[1]);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_WRITABLE);
    waiters_stop(w);
    probe_close(&p);
}

static void *stop_thread(void *arg)
{
    waiters_stop(arg);
    return NULL;
}

/* waiters_stop writes an answer under way to its end before it returns. */
static void park_write_finished_by_stop(void)
{
    Waiters *w = start_seam(4);
    Probe p = {0};
    pthread_t stopper;

    REQUIRE(probe_park_write(&p, w, LONG_MS));
    REQUIRE(pthread_create(&stopper, NULL, stop_thread, w) == 0);
    /* Until the stop has begun (a reserve is refused), however long the
     * stopper takes to start. */
    for (;;) {
        Wait probe;
        if (!waiters_reserve(w, &probe, job_a))
            break;
        waiters_leave(w, &probe);
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    CHECK_INT(probe_await(&p, 1, SHORT_MS), 0);
    drain(p.fds[1]);
    REQUIRE(probe_await(&p, 1, LONG_MS) == 1);
    CHECK_INT(p.why, WAIT_WRITABLE);
    pthread_join(stopper, NULL);
    probe_close(&p);
}

/* Waiting disabled (max_waiters 0): nothing to park with, the caller
 * writes itself; max_waiters taken: the same. */
static void park_write_refused(void)
{
    Error err = {0};
    Waiters *off = waiters_start(NULL, 0, 0, &err);
    Waiters *w = start_seam(1);
    Probe a = {0}, b = {0}, c = {0};

    CHECK(!probe_park_write(&a, off, LONG_MS));
    REQUIRE(probe_park_write(&b, w, LONG_MS));
    CHECK(!probe_park_write(&c, w, LONG_MS));
    CHECK_INT(waiters_count(w), 1);
    drain(b.fds[1]);
    REQUIRE(probe_await(&b, 1, LONG_MS) == 1);
    waiters_stop(w);
    waiters_stop(off);
    probe_close(&a);
    probe_close(&b);
    probe_close(&c);
}

static void thread_cap(void)
{
    Error err = {0};
    Waiters *w = waiters_start(NULL, 3, 1, &err);
    Wait held, refused, parked;

    REQUIRE(w != NULL);
    CHECK(waiters_enter(w, &held, job_a));
    /* One thread may wait: a second waiters_enter is refused ... */
    CHECK(!waiters_enter(w, &refused, job_b));
    /* ... but a wait that will park is not bounded by threads. */
    CHECK(waiters_reserve(w, &parked, job_c));
    CHECK_INT(waiters_count(w), 2);
    waiters_leave(w, &held);
    waiters_leave(w, &parked);
    waiters_stop(w);
}

const Test cgi_waiters_tests[] = {
    {"cgi_waiters_park_write_waits_for_room", park_write_waits_for_room},
    {"cgi_waiters_park_write_deadline", park_write_deadline},
    {"cgi_waiters_park_write_while_stopping", park_write_while_stopping},
    {"cgi_waiters_park_write_refused", park_write_refused},
    {"cgi_waiters_park_write_finished_by_stop", park_write_finished_by_stop},
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
    {"cgi_waiters_parked_wakes_on_its_job_only", parked_wakes_on_its_job_only},
    {"cgi_waiters_parked_notified_before_park", parked_notified_before_park},
    {"cgi_waiters_parked_rearms", parked_rearms},
    {"cgi_waiters_parked_deadline", parked_deadline},
    {"cgi_waiters_parked_client_gone", parked_client_gone},
    {"cgi_waiters_parked_answered_on_stop", parked_answered_on_stop},
    {"cgi_waiters_parked_db_down_waits_for_the_listener", parked_db_down_waits_for_the_listener},
    {"cgi_waiters_parked_db_down_deadline", parked_db_down_deadline},
    {"cgi_waiters_parked_db_down_retries_while_listening", parked_db_down_retries_while_listening},
    {"cgi_waiters_parked_write_waits_for_room", parked_write_waits_for_room},
    {"cgi_waiters_parked_write_deadline", parked_write_deadline},
    {"cgi_waiters_parked_write_client_gone", parked_write_client_gone},
    {"cgi_waiters_thread_cap", thread_cap},
    {NULL, NULL},
};
