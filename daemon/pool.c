/* SPDX-License-Identifier: MIT */
/* pool.c - worker threads, the queue of jobs to run and the queue of
 * outcomes to record, guarded by one mutex. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "run.h"

/* Worker is one thread and its connection. */
typedef struct Worker {
    Pool *pool;
    RunConn conn;
    pthread_t thread;
    bool started;
} Worker;

struct Pool {
    RunEnv env;
    char *conninfo;
    int wake_fd;
    atomic_bool woken; /* a wake-up byte is in the pipe and not yet seen */
    pthread_mutex_t lock;
    pthread_cond_t job_ready;
    Job *jobs_head, *jobs_tail;             /* claimed, not yet started */
    Outcome *outcomes_head, *outcomes_tail; /* finished, not yet recorded */
    bool stopping;                          /* threads exit when no job is left */
    int idle;                               /* workers waiting for a job */
    int nworkers;
    Worker *workers;
};

/* wake tells the dispatcher that an outcome is waiting, unless a wake-up
 * it has not seen yet is already on its way (one byte per batch of
 * outcomes, not per job).  A full pipe already holds a wake-up, so EAGAIN
 * is fine. */
static void wake(Pool *p)
{
    char byte = 'w';
    ssize_t n;

    if (atomic_exchange(&p->woken, true))
        return;
    do {
        n = write(p->wake_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
}

/* push_outcome queues o for the dispatcher; locked by the caller. */
static void push_outcome_locked(Pool *p, Outcome *o)
{
    o->next = NULL;
    if (p->outcomes_tail != NULL)
        p->outcomes_tail->next = o;
    else
        p->outcomes_head = o;
    p->outcomes_tail = o;
}

/* next_job_locked unlinks the oldest queued job; NULL when none. */
static Job *next_job_locked(Pool *p)
{
    Job *job = p->jobs_head;

    if (job != NULL) {
        p->jobs_head = job->next;
        if (p->jobs_head == NULL)
            p->jobs_tail = NULL;
        job->next = NULL;
    }
    return job;
}

/* finish_and_take queues the outcome o of the last job (NULL: none) and
 * takes the next job, waiting for one when none is queued.  A worker of
 * many short jobs does this once per job, so both happen under one lock
 * while jobs are queued.  NULL when the pool is stopping and empty. */
static Job *finish_and_take(Pool *p, Outcome *o)
{
    Job *job;

    pthread_mutex_lock(&p->lock);
    if (o != NULL)
        push_outcome_locked(p, o);
    job = next_job_locked(p);
    pthread_mutex_unlock(&p->lock);
    if (o != NULL)
        wake(p);
    if (job != NULL)
        return job;
    pthread_mutex_lock(&p->lock);
    while (p->jobs_head == NULL && !p->stopping) {
        p->idle++;
        pthread_cond_wait(&p->job_ready, &p->lock);
        p->idle--;
    }
    job = next_job_locked(p);
    pthread_mutex_unlock(&p->lock);
    return job;
}

/* The longest a worker waits for the database's answer to a heartbeat. */
enum { POOL_DB_WAIT_MS = 10000 };

static void *worker_main(void *arg)
{
    Worker *w = arg;
    Pool *p = w->pool;

    /* A heartbeat to a database that stopped answering gives up (and is
     * tried again later) rather than hold the job's run for good. */
    db_bound_waits(POOL_DB_WAIT_MS);

    /* The thread starts with every signal blocked (see pool_start). */
    Outcome *o = NULL;
    for (;;) {
        Job *job = finish_and_take(p, o);
        if (job == NULL)
            break;
        o = run_job(&p->env, &w->conn, job);
    }
    run_conn_close(&w->conn);
    return NULL;
}

Pool *pool_start(const char *conninfo, int workers, int wake_fd, Error *err)
{
    Pool *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->job_ready, NULL);
    p->wake_fd = wake_fd;
    p->conninfo = strdup(conninfo ? conninfo : "");
    p->workers = calloc((size_t)workers, sizeof(Worker));
    if (p->conninfo == NULL || p->workers == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    p->env.conninfo = p->conninfo;
    atomic_init(&p->env.lease_seconds, 30);
    atomic_init(&p->env.heartbeat_seconds, 10);
    atomic_init(&p->env.abort, false);
    p->nworkers = workers;
    for (int i = 0; i < workers; i++) {
        Worker *w = &p->workers[i];
        w->pool = p;
        w->conn.index = i + 1;
        /* Signals are for the dispatcher thread: each worker starts with
         * all blocked, inherited from this thread's mask, so that none
         * can reach it before it runs (handler children reset their mask
         * before exec). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc != 0) {
            error_set(err, 500, "thread_failed", "cannot start worker thread: %s", strerror(rc));
            goto fail;
        }
        w->started = true;
    }
    return p;
fail:
    pool_stop(p);
    return NULL;
}

void pool_set_lease(Pool *p, int lease_seconds, int heartbeat_seconds)
{
    atomic_store(&p->env.lease_seconds, lease_seconds);
    atomic_store(&p->env.heartbeat_seconds, heartbeat_seconds);
}

void pool_push(Pool *p, Job *jobs)
{
    Job *last = jobs;

    if (jobs == NULL)
        return;
    while (last->next != NULL)
        last = last->next;
    pthread_mutex_lock(&p->lock);
    if (p->jobs_tail != NULL)
        p->jobs_tail->next = jobs;
    else
        p->jobs_head = jobs;
    p->jobs_tail = last;
    if (p->idle > 0 && jobs->next != NULL)
        pthread_cond_broadcast(&p->job_ready);
    else if (p->idle > 0)
        pthread_cond_signal(&p->job_ready);
    pthread_mutex_unlock(&p->lock);
}

Outcome *pool_take_outcomes(Pool *p)
{
    Outcome *list;

    /* From here on a new outcome needs a new wake-up. */
    atomic_store(&p->woken, false);
    pthread_mutex_lock(&p->lock);
    list = p->outcomes_head;
    p->outcomes_head = p->outcomes_tail = NULL;
    pthread_mutex_unlock(&p->lock);
    return list;
}

size_t pool_due_renewals(Pool *p, long long before_ms, long long now_ms, JobRef *refs, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&p->lock);
    for (Job *job = p->jobs_head; job != NULL && n < max; job = job->next) {
        if (job->renewed_ms >= before_ms)
            continue;
        memcpy(refs[n].id, job->id, sizeof(refs[n].id));
        refs[n].attempt = job->attempt;
        job->renewed_ms = now_ms;
        n++;
    }
    pthread_mutex_unlock(&p->lock);
    return n;
}

void pool_drop(Pool *p, const char *id)
{
    Job *prev = NULL, *job;

    pthread_mutex_lock(&p->lock);
    for (job = p->jobs_head; job != NULL; prev = job, job = job->next) {
        if (strcmp(job->id, id) == 0)
            break;
    }
    if (job != NULL) {
        if (prev != NULL)
            prev->next = job->next;
        else
            p->jobs_head = job->next;
        if (p->jobs_tail == job)
            p->jobs_tail = prev;
        job->next = NULL;
        Outcome *o = outcome_new(OUTCOME_NONE, job);
        if (o != NULL)
            push_outcome_locked(p, o);
    }
    pthread_mutex_unlock(&p->lock);
    if (job != NULL)
        wake(p);
}

void pool_abort(Pool *p)
{
    Job *job, *next;

    atomic_store(&p->env.abort, true);
    pthread_mutex_lock(&p->lock);
    job = p->jobs_head;
    p->jobs_head = p->jobs_tail = NULL;
    for (; job != NULL; job = next) {
        next = job->next;
        Outcome *o = outcome_new(OUTCOME_RELEASE, job);
        if (o != NULL)
            push_outcome_locked(p, o);
    }
    pthread_mutex_unlock(&p->lock);
    wake(p);
}

void pool_stop(Pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->job_ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nworkers; i++) {
        if (p->workers[i].started)
            pthread_join(p->workers[i].thread, NULL);
    }
    for (Job *job = p->jobs_head, *next; job != NULL; job = next) {
        next = job->next;
        job_free(job);
    }
    for (Outcome *o = p->outcomes_head, *next; o != NULL; o = next) {
        next = o->next;
        outcome_free(o);
    }
    pthread_cond_destroy(&p->job_ready);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p->conninfo);
    free(p);
}
