/* SPDX-License-Identifier: MIT */
/*
 * jobstatus.h - the seven statuses of a job, the words pgjob.job.status
 * holds (sql/001_schema.sql): the one list of them in C.  A job is
 * queued, processing or paused while it lives; completed, failed,
 * canceled and expired are terminal.
 */
#ifndef PGJOB_JOBSTATUS_H
#define PGJOB_JOBSTATUS_H

#include <stdbool.h>

typedef enum JobStatus {
    JOB_QUEUED,
    JOB_PROCESSING,
    JOB_PAUSED,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_CANCELED,
    JOB_EXPIRED,
    JOB_STATUS_COUNT
} JobStatus;

/* jobstatus_word returns the word of s ("queued", ...). */
const char *jobstatus_word(JobStatus s);

/* jobstatus_parse sets *s to the status word names and returns true, or
 * returns false when word is NULL or no status. */
bool jobstatus_parse(const char *word, JobStatus *s);

/* jobstatus_terminal says whether a job in status s can change only to
 * expired (completed, failed, canceled) or not at all (expired). */
bool jobstatus_terminal(JobStatus s);

/* jobstatus_word_terminal is jobstatus_terminal of a word; false for a
 * word that is no status. */
bool jobstatus_word_terminal(const char *word);

#endif
