/* SPDX-License-Identifier: MIT */
/* test_cgi_job_view.c tests the v1 job object built from database text (cgi/job_view.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_view.h"
#include "jobstatus.h"
#include "mem.h"
#include "suites.h"

/* completed fills v with a completed job as the database writes it. */
static void completed(JobView *v)
{
    memset(v, 0, sizeof *v);
    v->id = "0B9F7C1E-5d2a-4c1b-9e0f-3a6d8b2c4e71";
    v->type = "echo";
    v->status = "completed";
    v->item_count = "2";
    v->items_done = "2";
    v->items_failed = "0";
    v->attempt_count = "1";
    v->max_attempts = "3";
    v->priority = "-5";
    v->run_at = "2026-11-26 06:29:40.5+00";
    v->created_at = "2026-11-26 06:29:40.5+00";
    v->started_at = "2026-11-26 06:29:45.123456+00";
    v->completed_at = "2026-11-26 08:29:46+02";
    v->updated_at = "2026-11-26 06:29:46+00";
    v->expires_at = "2026-12-03 06:29:46+00";
    v->processing_ms = "877";
    v->validation_flags = "[]";
    v->confidence = "0.93";
    v->model = "rules-1";
    v->cache_hit = "f";
    v->error = NULL;
    v->metadata = "{\"batch\": \"b-7\"}";
    v->idempotency_key = "k-1";
    v->version = "4";
    v->results = "[{\"amount\": 0.1, \"big\": 123456789012345678901234567890}, {\"n\": 2}]";
    v->results_url = "/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results";
}

/* queued fills v with a queued job: every optional column NULL. */
static void queued(JobView *v)
{
    memset(v, 0, sizeof *v);
    v->id = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";
    v->type = "echo";
    v->status = "queued";
    v->item_count = "1";
    v->items_done = "0";
    v->items_failed = "0";
    v->attempt_count = "0";
    v->max_attempts = "3";
    v->priority = "0";
    v->run_at = "2026-11-26 06:29:40+00";
    v->created_at = "2026-11-26 06:29:40+00";
    v->updated_at = "2026-11-26 06:29:40+00";
    v->validation_flags = "[]";
    v->metadata = "{}";
    v->version = "1";
}

/* render returns the JSON text of v (free it), or NULL with *err set. */
static char *render(const JobView *v, Error *err)
{
    size_t len = 0;
    char *text;

    error_clear(err);
    text = job_view_json(v, &len, err);
    if (text != NULL)
        CHECK_INT(len, strlen(text));
    return text;
}

static void completed_job(void)
{
    JobView v;
    Error err;
    char *text;

    completed(&v);
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK_STR(text,
              "{\"id\":\"0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71\",\"type\":\"echo\","
              "\"status\":\"completed\",\"item_count\":2,\"items_done\":2,\"items_failed\":0,"
              "\"attempt_count\":1,\"max_attempts\":3,\"priority\":-5,"
              "\"run_at\":\"2026-11-26T06:29:40.500Z\",\"created_at\":\"2026-11-26T06:29:40.500Z\","
              "\"started_at\":\"2026-11-26T06:29:45.123Z\","
              "\"completed_at\":\"2026-11-26T06:29:46.000Z\","
              "\"updated_at\":\"2026-11-26T06:29:46.000Z\","
              "\"expires_at\":\"2026-12-03T06:29:46.000Z\",\"processing_ms\":877,"
              "\"validation_flags\":[],\"confidence\":0.93,\"model\":\"rules-1\","
              "\"cache_hit\":false,\"error\":null,\"metadata\":{\"batch\": \"b-7\"},"
              "\"idempotency_key\":\"k-1\",\"version\":4,"
              "\"results\":[{\"amount\": 0.1, \"big\": 123456789012345678901234567890}, "
              "{\"n\": 2}],"
              "\"results_url\":\"/v1/jobs/0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71/results\"}");
    free(text);
}

/* key_list returns the keys of the JSON object text, comma-joined. */
static void key_list(const char *text, char *out, size_t size)
{
    json_error_t jerr;
    /* INT_AS_REAL: jansson has no integer past int64, like the fixture's "big". */
    json_t *root = json_loads(text, JSON_DECODE_INT_AS_REAL, &jerr);
    size_t n = 0;

    out[0] = '\0';
    REQUIRE(root != NULL);
    for (void *it = json_object_iter(root); it != NULL; it = json_object_iter_next(root, it))
        n += (size_t)snprintf(out + n, size - n, "%s,", json_object_iter_key(it));
    json_decref(root);
}

/* The same keys, in the same order, whatever the state; absent is null. */
static void same_shape(void)
{
    JobView a, b;
    Error err;
    char *ta, *tb;
    char ka[1024], kb[1024];

    completed(&a);
    queued(&b);
    ta = render(&a, &err);
    tb = render(&b, &err);
    REQUIRE(ta != NULL && tb != NULL);
    key_list(ta, ka, sizeof ka);
    key_list(tb, kb, sizeof kb);
    CHECK_STR(ka, kb);
    CHECK_STR(ka,
              "id,type,status,item_count,items_done,items_failed,attempt_count,max_attempts,"
              "priority,run_at,created_at,started_at,completed_at,updated_at,expires_at,"
              "processing_ms,validation_flags,confidence,model,cache_hit,error,metadata,"
              "idempotency_key,version,results,results_url,");
    CHECK(strstr(tb, "\"started_at\":null,\"completed_at\":null") != NULL);
    CHECK(strstr(tb, "\"results\":null,\"results_url\":null}") != NULL);
    free(ta);
    free(tb);
}

static void failed_job(void)
{
    JobView v;
    Error err;
    char *text;

    queued(&v);
    v.status = "failed";
    v.error = "  {\"code\": \"timeout\", \"message\": \"took \\\"too\\\" long\"}\n";
    v.cache_hit = "t";
    v.confidence = "1e-05";
    v.type = "weird \"type\"\n\x01";
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(
        strstr(text, "\"error\":{\"code\": \"timeout\", \"message\": \"took \\\"too\\\" long\"}") !=
        NULL);
    CHECK(strstr(text, "\"cache_hit\":true") != NULL);
    CHECK(strstr(text, "\"confidence\":1e-05") != NULL);
    CHECK(strstr(text, "\"type\":\"weird \\\"type\\\"\\n\\u0001\"") != NULL);
    free(text);
}

static void large_results(void)
{
    JobView v;
    Error err;
    char *text;

    completed(&v);
    CHECK(job_view_set(&v, "large_results_url", "https://files.example/r/1"));
    CHECK(job_view_set(&v, "large_results_size_bytes", "7340032"));
    CHECK(job_view_set(&v, "large_results_expires_at", "2026-11-27 06:29:46+00"));
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(strstr(text,
                 "\"results\":{\"is_url\":true,\"url\":\"https://files.example/r/1\","
                 "\"size_bytes\":7340032,\"expires_at\":\"2026-11-27T06:29:46.000Z\"},"
                 "\"results_url\":") != NULL);
    CHECK(strstr(text, "large_results") == NULL);
    free(text);
    v.large_results_size_bytes = NULL;
    v.large_results_expires_at = NULL;
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(strstr(text, "\"size_bytes\":null,\"expires_at\":null}") != NULL);
    free(text);
}

/* check_bad renders v and checks the 500 bad_job_row naming field. */
static void check_bad_at(const JobView *v, const char *field, int line)
{
    Error err;
    char *text = render(v, &err);
    char want[128];

    if (!CHECK(text == NULL)) {
        fprintf(stderr, "line %d: rendered %s\n", line, text);
        free(text);
        return;
    }
    snprintf(want, sizeof want, "job field %s is missing or cannot be read", field);
    CHECK_INT(err.status, 500);
    CHECK_STR(err.code, "bad_job_row");
    if (!CHECK_STR(err.message, want))
        fprintf(stderr, "line %d\n", line);
}

#define check_bad(v, field) check_bad_at(v, field, __LINE__)

static void required_fields(void)
{
    static const char *const required[] = {
        "id",           "type",          "status",           "item_count", "items_done",
        "items_failed", "attempt_count", "max_attempts",     "priority",   "run_at",
        "created_at",   "updated_at",    "validation_flags", "metadata",   "version",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        JobView v;
        queued(&v);
        REQUIRE(job_view_set(&v, required[i], NULL));
        check_bad(&v, required[i]);
    }
}

static void bad_values(void)
{
    JobView v;

#define BAD(field, value)      \
    do {                       \
        queued(&v);            \
        v.field = value;       \
        check_bad(&v, #field); \
    } while (0)
    BAD(id, "42");
    BAD(id, "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71 ");
    BAD(type, "\xff");
    BAD(status, "done");
    BAD(status, "QUEUED");
    BAD(item_count, "");
    BAD(item_count, "two");
    BAD(items_done, "1.5");
    BAD(priority, "99999999999999999999");
    BAD(version, "-");
    BAD(run_at, "2026-11-26T06:29:40Z");
    BAD(created_at, "infinity");
    BAD(started_at, "soon");
    BAD(processing_ms, "12ms");
    BAD(validation_flags, "{}");
    BAD(validation_flags, "[");
    BAD(validation_flags, "[1");
    BAD(validation_flags, "");
    BAD(validation_flags, "null");
    BAD(metadata, "[]");
    BAD(metadata, "\"x\"");
    BAD(error, "\"boom\"");
    BAD(confidence, "NaN");
    BAD(confidence, "Infinity");
    BAD(confidence, ".5");
    BAD(confidence, "1.");
    BAD(confidence, "01");
    BAD(confidence, "1e");
    BAD(confidence, "1e+");
    BAD(confidence, "-");
    BAD(confidence, "1e999");
    BAD(confidence, "0x1p3");
    BAD(cache_hit, "true");
    BAD(cache_hit, "");
    BAD(model, "\xc3");
    BAD(results, "{}");
    BAD(results_url, "\xfe");
#undef BAD
    queued(&v);
    v.large_results_url = "\xff";
    check_bad(&v, "large_results_url");
    queued(&v);
    v.large_results_url = "https://x";
    v.large_results_size_bytes = "big";
    check_bad(&v, "large_results_size_bytes");
    queued(&v);
    v.large_results_url = "https://x";
    v.large_results_expires_at = "later";
    check_bad(&v, "large_results_expires_at");
}

static void good_numbers(void)
{
    JobView v;
    Error err;
    char *text;

    queued(&v);
    v.confidence = "-0.5E+3";
    v.priority = "+7"; /* strnum's sign; written back as JSON */
    v.processing_ms = "9223372036854775807";
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(strstr(text, "\"confidence\":-0.5E+3") != NULL);
    CHECK(strstr(text, "\"priority\":7") != NULL);
    CHECK(strstr(text, "\"processing_ms\":9223372036854775807") != NULL);
    free(text);
    v.confidence = "0";
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(strstr(text, "\"confidence\":0,") != NULL);
    free(text);
}

static void list(void)
{
    JobView views[2];
    Error err;
    size_t len = 0;
    char *text;
    json_error_t jerr;
    json_t *root;

    completed(&views[0]);
    queued(&views[1]);
    text = job_view_list_json(views, 2, "MSwy", &len, &err);
    REQUIRE(text != NULL);
    CHECK_INT(len, strlen(text));
    CHECK(strncmp(text, "{\"jobs\":[{\"id\":", 15) == 0);
    root = json_loads(text, JSON_DECODE_INT_AS_REAL, &jerr);
    REQUIRE(root != NULL);
    CHECK_INT(json_array_size(json_object_get(root, "jobs")), 2);
    CHECK_STR(json_string_value(json_object_get(root, "next_cursor")), "MSwy");
    json_decref(root);
    free(text);
    /* The last page: an empty cursor, the only end. */
    text = job_view_list_json(NULL, 0, NULL, &len, &err);
    REQUIRE(text != NULL);
    CHECK_STR(text, "{\"jobs\":[],\"next_cursor\":\"\"}");
    free(text);
    /* One bad job spoils the page. */
    views[1].status = "lost";
    CHECK(job_view_list_json(views, 2, "", &len, &err) == NULL);
    CHECK_STR(err.code, "bad_job_row");
    queued(&views[1]);
    CHECK(job_view_list_json(views, 2, "\xff", &len, &err) == NULL);
    CHECK_STR(err.code, "bad_cursor");
}

static void set_columns(void)
{
    JobView v;

    memset(&v, 0, sizeof v);
    CHECK(job_view_set(&v, "id", "x"));
    CHECK_STR(v.id, "x");
    CHECK(job_view_set(&v, "results", "[]"));
    CHECK_STR(v.results, "[]");
    CHECK(job_view_set(&v, "large_results_expires_at", "y"));
    CHECK_STR(v.large_results_expires_at, "y");
    CHECK(job_view_set(&v, "version", NULL));
    CHECK(v.version == NULL);
    CHECK(!job_view_set(&v, "account_id", "1"));
    CHECK(!job_view_set(&v, "ID", "1"));
    CHECK(!job_view_set(&v, "", "1"));
}

static void etag(void)
{
    JobView v;
    char out[JOB_VIEW_ETAG_SIZE];
    char small[12];

    completed(&v);
    REQUIRE(job_view_etag(&v, out, sizeof out));
    CHECK_STR(out, "W/\"0b9f7c1e-4\"");
    v.version = "9223372036854775807";
    REQUIRE(job_view_etag(&v, out, sizeof out));
    CHECK_STR(out, "W/\"0b9f7c1e-9223372036854775807\"");
    CHECK(strlen(out) < JOB_VIEW_ETAG_SIZE);
    CHECK(!job_view_etag(&v, small, sizeof small));
    CHECK(!job_view_etag(&v, out, 0));
    v.version = "-1";
    CHECK(!job_view_etag(&v, out, sizeof out));
    v.version = NULL;
    CHECK(!job_view_etag(&v, out, sizeof out));
    completed(&v);
    v.id = "nope";
    CHECK(!job_view_etag(&v, out, sizeof out));
    v.id = NULL;
    CHECK(!job_view_etag(&v, out, sizeof out));
}

static void statuses(void)
{
    static const char *const all[] = {"queued", "processing", "paused", "completed",
                                      "failed", "canceled",   "expired"};
    JobView v;
    JobStatus st;

    memset(&v, 0, sizeof v);
    for (size_t i = 0; i < 7; i++) {
        CHECK(jobstatus_parse(all[i], &st) && st == (JobStatus)i);
        CHECK(strcmp(jobstatus_word(st), all[i]) == 0);
        v.status = all[i];
        CHECK(job_view_terminal(&v) == (i >= 3));
    }
    CHECK(!jobstatus_parse(NULL, &st));
    CHECK(!jobstatus_parse("", &st));
    CHECK(!jobstatus_parse("cancelled", &st));
    CHECK(!jobstatus_parse("Queued", &st));
    v.status = NULL;
    CHECK(!job_view_terminal(&v));
}

/* Growing the buffer may fail at any step: out_of_memory, never a bad
 * row.  Large results make it grow several times. */
static void out_of_memory(void)
{
    JobView v;
    char *results = malloc(100000);
    int failures = 0;

    REQUIRE(results != NULL);
    memset(results, ' ', 100000);
    results[0] = '[';
    results[99998] = ']';
    results[99999] = '\0';
    completed(&v);
    v.results = results;
    for (long n = 0;; n++) {
        Error err;
        size_t len = 0;
        char *text;
        bool injected;

        error_clear(&err);
        mem_fail_at(n);
        text = job_view_json(&v, &len, &err);
        injected = mem_failed();
        mem_fail_at(-1);
        if (!injected) {
            CHECK(text != NULL);
            free(text);
            break;
        }
        failures++;
        CHECK(text == NULL);
        CHECK_STR(err.code, "out_of_memory");
    }
    CHECK(failures >= 2); /* the first buffer, then one growth for the results */
    free(results);
}

/* Strings are escaped as jansson escapes them, and must be UTF-8. */
static void string_escapes(void)
{
    JobView v;
    Error err;
    char *text;

    queued(&v);
    v.model = "q\"b\\n\nt\tc\x1f\b\f\r d\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /";
    text = render(&v, &err);
    REQUIRE(text != NULL);
    CHECK(strstr(text,
                 "\"model\":\"q\\\"b\\\\n\\nt\\tc\\u001F\\b\\f\\r d\x7f \xc3\xa9 "
                 "\xe2\x82\xac \xf0\x9f\x98\x80 /\"") != NULL);
    free(text);
    /* Not UTF-8: overlong, surrogate, past U+10FFFF, cut short, stray. */
    static const char *const bad[] = {
        "\xc0\xaf",
        "\xc1\xbf",
        "\xe0\x9f\xbf",
        "\xed\xa0\x80",
        "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xc3",
        "\xe2\x82",
        "\x80",
        "\xff",
        "a\xe2\x28\xa1",
        "\xe2\x82\x28",
        "\xe2\x82\xc0",
        "\xf0\x9f\x98\x28",
        "\xf0\x9f\x28\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        queued(&v);
        v.model = bad[i];
        text = render(&v, &err);
        CHECK(text == NULL);
        free(text);
        CHECK_STR(err.code, "bad_job_row");
    }
}

const Test cgi_job_view_tests[] = {
    {"cgi_job_view_completed_job", completed_job},
    {"cgi_job_view_same_shape", same_shape},
    {"cgi_job_view_failed_job", failed_job},
    {"cgi_job_view_large_results", large_results},
    {"cgi_job_view_required_fields", required_fields},
    {"cgi_job_view_bad_values", bad_values},
    {"cgi_job_view_good_numbers", good_numbers},
    {"cgi_job_view_list", list},
    {"cgi_job_view_set_columns", set_columns},
    {"cgi_job_view_etag", etag},
    {"cgi_job_view_statuses", statuses},
    {"cgi_job_view_out_of_memory", out_of_memory},
    {"cgi_job_view_string_escapes", string_escapes},
    {NULL, NULL},
};
