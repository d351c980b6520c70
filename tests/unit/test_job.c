/* SPDX-License-Identifier: MIT */
/* test_job.c tests what pgjobd sends for a finished attempt (outcome_entry,
 * daemon/job.c): a completion carries its count of failed items, counted
 * by pgjob.complete's rule (results_failed), so that the database does not
 * expand every job's results to count them. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../daemon/job.h" /* ctl/ has a job.h of its own */
#include "harness.h"
#include "suites.h"

/* outcome_of returns a new Outcome of kind for a job of n items. */
static Outcome *outcome_of(OutcomeKind kind, size_t n)
{
    Job *job = calloc(1, sizeof(*job));

    if (job == NULL)
        return NULL;
    strcpy(job->id, "5a8c0d99-ac38-4433-921a-541f7098119a");
    strcpy(job->type, "echo");
    job->attempt = 2;
    job->item_count = n;
    return outcome_new(kind, job);
}

static void failed_results_are_those_with_an_error(void)
{
    /* Counted: an "error" that is there and not null, whatever it is;
     * not counted: a result that is no object (an array, a number). */
    json_t *r = json_loads(
        "[{\"output\": 1, \"error\": null},"
        " {\"output\": null, \"error\": {\"code\": \"bad\"}},"
        " {\"output\": 2},"
        " \"a result that is no object\","
        " {\"error\": \"text\"},"
        " {\"error\": false},"
        " [{\"error\": 1}],"
        " 7]",
        0, NULL);

    REQUIRE(r != NULL);
    CHECK_INT(results_failed(r), 3);
    json_decref(r);
    r = json_array();
    CHECK_INT(results_failed(r), 0);
    json_decref(r);
}

static void a_completion_carries_its_failed_items(void)
{
    Outcome *o = outcome_of(OUTCOME_COMPLETE, 3);
    json_t *entry;

    REQUIRE(o != NULL);
    o->results = json_loads(
        "[{\"output\": 1, \"error\": null},"
        " {\"output\": null, \"error\": {\"code\": \"bad\"}},"
        " {\"output\": 3, \"error\": null}]",
        0, NULL);
    REQUIRE(o->results != NULL);
    o->processing_ms = 7;
    entry = outcome_entry(o);
    REQUIRE(entry != NULL);
    CHECK_STR(json_string_value(json_object_get(entry, "id")),
              "5a8c0d99-ac38-4433-921a-541f7098119a");
    CHECK_INT(json_integer_value(json_object_get(entry, "attempt")), 2);
    CHECK_INT(json_integer_value(json_object_get(entry, "items_failed")), 1);
    CHECK(json_equal(json_object_get(entry, "results"), o->results));
    CHECK_INT(json_integer_value(json_object_get(entry, "processing_ms")), 7);
    json_decref(entry);
    outcome_free(o);
}

static void a_failure_carries_no_items_failed(void)
{
    Outcome *o = outcome_of(OUTCOME_FAIL, 1);
    json_t *entry;

    REQUIRE(o != NULL);
    error_set(&o->error, 500, "handler_error", "it broke");
    entry = outcome_entry(o);
    REQUIRE(entry != NULL);
    CHECK(json_object_get(entry, "items_failed") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(entry, "error"), "code")),
              "handler_error");
    json_decref(entry);
    outcome_free(o);
}

const Test job_tests[] = {
    {"job_results_failed_counts_errors", failed_results_are_those_with_an_error},
    {"job_completion_carries_items_failed", a_completion_carries_its_failed_items},
    {"job_failure_carries_no_items_failed", a_failure_carries_no_items_failed},
    {NULL, NULL},
};
