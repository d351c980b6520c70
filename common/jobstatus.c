/* SPDX-License-Identifier: MIT */
/* jobstatus.c - the seven job statuses and their words (see jobstatus.h). */
#include "jobstatus.h"

#include <string.h>

static const char *const words[JOB_STATUS_COUNT] = {
    [JOB_QUEUED] = "queued",       [JOB_PROCESSING] = "processing", [JOB_PAUSED] = "paused",
    [JOB_COMPLETED] = "completed", [JOB_FAILED] = "failed",         [JOB_CANCELED] = "canceled",
    [JOB_EXPIRED] = "expired",
};

const char *jobstatus_word(JobStatus s)
{
    return (unsigned)s < JOB_STATUS_COUNT ? words[s] : "unknown";
}

bool jobstatus_parse(const char *word, JobStatus *s)
{
    if (word == NULL)
        return false;
    for (int i = 0; i < JOB_STATUS_COUNT; i++) {
        if (strcmp(word, words[i]) == 0) {
            *s = (JobStatus)i;
            return true;
        }
    }
    return false;
}

bool jobstatus_terminal(JobStatus s)
{
    return s >= JOB_COMPLETED && s < JOB_STATUS_COUNT;
}

bool jobstatus_word_terminal(const char *word)
{
    JobStatus s;
    return jobstatus_parse(word, &s) && jobstatus_terminal(s);
}
