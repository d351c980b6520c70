/* SPDX-License-Identifier: MIT */
/*
 * job.h - how pgjobctl shows a job: the columns of pgjob.job (alias j) it
 * prints for job show, submit, wait and the job actions, and those of a
 * listing.  Shared by job.c, submit.c and wait.c.
 */
#ifndef PGJOB_CTL_JOB_H
#define PGJOB_CTL_JOB_H

/* One job in full, with the ids of the retries made of it. */
#define JOB_COLUMNS                                                                           \
    "j.id, j.account_id AS account, j.api_key_id AS api_key, j.type, j.status, j.item_count," \
    " j.items_done, j.items_failed, j.attempt_count, j.max_attempts, j.priority, j.run_at,"   \
    " j.created_at, j.started_at, j.completed_at, j.updated_at, j.expires_at,"                \
    " j.processing_ms, j.error, j.metadata, j.validation_flags, j.confidence, j.model,"       \
    " j.cache_hit, j.retry_of, j.retry_items,"                                                \
    " (SELECT array_agg(r.id ORDER BY r.created_at, r.id) FROM pgjob.job r"                   \
    "   WHERE r.retry_of = j.id) AS retries,"                                                 \
    " j.results"

/* One job in a listing. */
#define JOB_LIST_COLUMNS                                                           \
    "j.id, j.account_id AS account, j.type, j.status, j.item_count, j.items_done," \
    " j.items_failed, j.attempt_count, j.created_at, j.updated_at, j.retry_of"

#endif
