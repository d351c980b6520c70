/* SPDX-License-Identifier: MIT */
/* lease.h - renewing the lease of a running attempt (pgjob.heartbeat). */
#ifndef PGJOB_LEASE_H
#define PGJOB_LEASE_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "error.h"
#include "job.h"

/* LeaseState is what a heartbeat learned. */
typedef enum LeaseState {
    LEASE_RUNNING,  /* renewed: carry on */
    LEASE_CANCELED, /* the job was canceled: stop, write nothing */
    LEASE_PAUSED,   /* the job was paused: stop, write nothing */
    LEASE_LOST,     /* the attempt no longer holds the job: stop, write nothing */
    LEASE_UNKNOWN,  /* the database could not be asked; err says why */
} LeaseState;

/* lease_heartbeat renews job's lease for lease_seconds on c.  When
 * results is not NULL it also records the checkpoint: items_done,
 * items_failed and the results of the items done (borrowed, all of them),
 * of which only those from index results_from on are sent: the database
 * keeps its first results_from and replaces the rest.  results_from is
 * the count the database last confirmed holding (0 sends them all).
 * Returns LEASE_UNKNOWN with err filled when the statement failed; the
 * caller decides whether the connection is still usable (PQstatus). */
LeaseState lease_heartbeat(PGconn *c, const Job *job, int lease_seconds, size_t items_done,
                           size_t items_failed, const json_t *results, size_t results_from,
                           Error *err);

/* lease_checkpoint_text returns the JSON text (malloc'd) of the array of
 * results[from], results[from + 1], ...: what a heartbeat sends.  NULL
 * when results is not an array, from is past its end, or memory ran
 * out. */
char *lease_checkpoint_text(const json_t *results, size_t from);

/* lease_state_name returns a constant word for s, for logs. */
const char *lease_state_name(LeaseState s);

#endif
