/* SPDX-License-Identifier: MIT */
/*
 * run.h - running one attempt: the handler, its progress callback, the
 * heartbeats that renew the lease and record the checkpoint, and the
 * outcome.  One worker thread calls run_job for each job it takes.
 */
#ifndef PGJOB_RUN_H
#define PGJOB_RUN_H

#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "job.h"

/* RunEnv is what a worker thread shares with the rest of the daemon. */
typedef struct RunEnv {
    const char *conninfo;         /* for the worker's own connection */
    atomic_int lease_seconds;     /* lease asked for by each heartbeat */
    atomic_int heartbeat_seconds; /* time between heartbeats */
    atomic_bool abort;            /* stop every job now and hand it back */
} RunEnv;

/* RunConn is a worker's connection, opened on first use and dropped (set
 * to NULL) when it breaks; reconnects are spaced by retry_at. */
typedef struct RunConn {
    PGconn *conn;
    long long retry_at_ms; /* monotonic; 0: may connect now */
    int index;             /* worker number, for logs and application_name */
} RunConn;

/* run_job runs job (stolen) to its end and returns its new Outcome, which
 * owns the job.  NULL only when memory ran out: the job is then freed,
 * and its lease runs out and pgjob.rescue queues it again. */
Outcome *run_job(RunEnv *env, RunConn *rc, Job *job);

/* run_conn_close closes a worker's connection; safe when it is closed. */
void run_conn_close(RunConn *rc);

#endif
