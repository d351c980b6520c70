/* SPDX-License-Identifier: MIT */
/*
 * exporter.h - pgjobd's own counters for Prometheus: a thread that
 * answers GET /metrics on metrics_listen (host:port, off by default) in
 * the text exposition format 0.0.4:
 *
 *   pgjobd_jobs_claimed_total                     counter
 *   pgjobd_job_outcomes_total{outcome}            counter: completed, retried, failed,
 *                                                 released, lost (the attempt no longer
 *                                                 held its job: lease lost, canceled, paused)
 *   pgjobd_rescues_total{outcome}                 counter: expired leases rescued by this
 *                                                 daemon: requeued or failed
 *   pgjobd_jobs_expired_total, pgjobd_jobs_pruned_total   counters (the maintainer's)
 *   pgjobd_handler_duration_seconds{type,result}  histogram of handler runs, result ok
 *                                                 (completed) or error (failed)
 *   pgjobd_jobs_running, pgjobd_workers, pgjobd_outcomes_pending,
 *   pgjobd_database_up, pgjobd_maintainer, pgjobd_process_start_time_seconds   gauges
 *
 * The dispatcher thread publishes its counters once a loop pass
 * (exporter_publish) and each handler run as it takes its outcome
 * (exporter_observe); the server thread renders a snapshot taken under
 * the lock.  The server is deliberately small: one thread polls the
 * listening socket, the stop pipe and up to 16 connections, each with its
 * own deadline (EXPORTER_TIMEOUT_MS for the whole exchange; when all 16
 * are taken, a new one replaces the oldest), so idle clients cannot hold
 * up a scrape nor a shutdown.  A request line and headers of at most
 * EXPORTER_REQUEST_MAX bytes, HTTP/1.0 answers, then the server ends its
 * side and drains what the client still sends before closing.  When
 * accepting fails for want of descriptors or memory it pauses 100 ms and
 * warns at most every 10 s.  It has no authentication.
 */
#ifndef PGJOB_EXPORTER_H
#define PGJOB_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The largest request accepted (request line and headers), in bytes. */
#define EXPORTER_REQUEST_MAX 4096

/* How long a client may take to send its request, and to read the answer. */
#define EXPORTER_TIMEOUT_MS 2000

typedef struct Exporter Exporter;

/* ExporterCounts is the dispatcher's view, published as a whole. */
typedef struct ExporterCounts {
    long claimed, completed, retried, failed, released, lost;
    long rescued, rescue_failed, expired, pruned;
    int running, workers;
    size_t pending;
    bool database_up, maintainer;
} ExporterCounts;

/* exporter_start binds address ("host:port"; a host in brackets for IPv6)
 * and starts the server thread.  Returns the exporter (stop it with
 * exporter_stop) or NULL with err when the address cannot be resolved or
 * bound, or the thread cannot start; err->code is CONFIG_ERROR_CODE when
 * the address is in use (the configuration must change). */
Exporter *exporter_start(const char *address, Error *err);

/* exporter_stop stops the thread, closes the socket and frees e; NULL is
 * fine. */
void exporter_stop(Exporter *e);

/* exporter_publish replaces the published counters with c.  NULL e: no-op. */
void exporter_publish(Exporter *e, const ExporterCounts *c);

/* exporter_observe counts one handler run of type (ok: it completed) that
 * took ms milliseconds.  NULL e: no-op. */
void exporter_observe(Exporter *e, const char *type, bool ok, long long ms);

/* exporter_render returns the exposition text of e (a new string, free()
 * it), or NULL when out of memory.  Thread-safe. */
char *exporter_render(Exporter *e, size_t *len);

/* exporter_port returns the port e listens on (useful when listen named
 * port 0: the kernel's choice). */
int exporter_port(const Exporter *e);

#endif
