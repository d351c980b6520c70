/* SPDX-License-Identifier: MIT */
/*
 * lease.c - heartbeats: one call of pgjob.heartbeat per renewal.
 *
 * A checkpoint sends only the results from the index the database last
 * confirmed on (p_results_from), not the whole array, so a long job does
 * not send O(N^2) bytes over its heartbeats (sql/016_heartbeat_delta.sql).
 */
#include "lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static const char heartbeat_sql[] =
    "SELECT state FROM pgjob.heartbeat($1::uuid, $2::integer, make_interval(secs => $3::integer),"
    " $4::integer, $5::integer, $6::jsonb, $7::integer)";

char *lease_checkpoint_text(const json_t *results, size_t from)
{
    size_t n = json_array_size(results);
    json_t *delta;
    char *text;

    if (!json_is_array(results) || from > n)
        return NULL;
    delta = json_array();
    if (delta == NULL)
        return NULL;
    for (size_t i = from; i < n; i++) {
        if (json_array_append(delta, json_array_get(results, i)) != 0) {
            json_decref(delta);
            return NULL;
        }
    }
    text = json_dumps(delta, JOB_JSON_FLAGS | JSON_ENCODE_ANY);
    json_decref(delta);
    return text;
}

LeaseState lease_heartbeat(PGconn *c, const Job *job, int lease_seconds, size_t items_done,
                           size_t items_failed, const json_t *results, size_t results_from,
                           Error *err)
{
    char attempt[16], lease[16], done[24], failed[24], from[24];
    char *results_text = NULL;
    LeaseState state = LEASE_UNKNOWN;
    PGresult *res = NULL;

    snprintf(attempt, sizeof(attempt), "%d", job->attempt);
    snprintf(lease, sizeof(lease), "%d", lease_seconds);
    snprintf(done, sizeof(done), "%zu", items_done);
    snprintf(failed, sizeof(failed), "%zu", items_failed);
    snprintf(from, sizeof(from), "%zu", results_from);
    if (results != NULL) {
        results_text = lease_checkpoint_text(results, results_from);
        if (results_text == NULL) {
            error_set(err, 500, "checkpoint_error",
                      "cannot encode the results from %zu of a checkpoint of %zu", results_from,
                      json_array_size(results));
            return LEASE_UNKNOWN;
        }
    }
    const char *params[7] = {job->id,
                             attempt,
                             lease,
                             results ? done : NULL,
                             results ? failed : NULL,
                             results_text,
                             results ? from : NULL};
    res = db_exec(c, heartbeat_sql, 7, params);
    if (!db_tuples_ok(res) || PQntuples(res) != 1) {
        db_error(c, res, "heartbeat", err);
        goto out;
    }
    const char *word = PQgetvalue(res, 0, 0);
    if (strcmp(word, "running") == 0)
        state = LEASE_RUNNING;
    else if (strcmp(word, "canceled") == 0)
        state = LEASE_CANCELED;
    else if (strcmp(word, "paused") == 0)
        state = LEASE_PAUSED;
    else
        state = LEASE_LOST;
out:
    PQclear(res);
    free(results_text);
    return state;
}

const char *lease_state_name(LeaseState s)
{
    switch (s) {
        case LEASE_RUNNING:
            return "running";
        case LEASE_CANCELED:
            return "canceled";
        case LEASE_PAUSED:
            return "paused";
        case LEASE_LOST:
            return "lost";
        case LEASE_UNKNOWN:
            break;
    }
    return "unknown";
}
