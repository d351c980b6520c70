/* SPDX-License-Identifier: MIT */
/* test_cgi_profile.c tests the profile tables (cgi/profiles.c) and what
 * reads them (cgi/profile.c): matching, words, error envelopes, jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "suites.h"
#include "timestamp.h"

static const char id[] = "3419ae1e-93c3-48a1-95ac-833c390f9916";

/* Every profile is complete: a word or an explicit not-found for each
 * status, every error kind worded, routes that match themselves. */
static void tables_are_complete(void)
{
    size_t count;
    const Profile *const *all = profile_all(&count);

    CHECK_INT(count, 4);
    for (size_t i = 0; i < count; i++) {
        const Profile *p = all[i];
        REQUIRE(profile_find(p->name) == p);
        CHECK(p->job_type != NULL && p->job_type[0] != '\0');
        CHECK(p->error_key != NULL);
        CHECK(p->auth != 0);
        CHECK(p->job.count > 0);
        CHECK(p->words[JOB_QUEUED] != NULL && p->words[JOB_PROCESSING] != NULL &&
              p->words[JOB_PAUSED] != NULL && p->words[JOB_COMPLETED] != NULL &&
              p->words[JOB_FAILED] != NULL && p->words[JOB_CANCELED] != NULL);
        for (int k = 0; k < PERR_COUNT; k++)
            CHECK(p->errors[k].status >= 400 && p->errors[k].status <= 599);
        CHECK(p->body != PROFILE_BODY_JSON_ITEMS || p->items_field != NULL);
        for (size_t r = 0; r < p->route_count; r++) {
            char path[128];
            const char *pattern = p->routes[r].pattern, *at = strstr(pattern, "{id}");
            ProfileMatch m;
            Error err;
            if (at != NULL)
                snprintf(path, sizeof path, "%.*s%s%s", (int)(at - pattern), pattern, id, at + 4);
            else
                snprintf(path, sizeof path, "%s", pattern);
            REQUIRE(profile_match(p, p->routes[r].method, path, &m, &err));
            CHECK(m.route == &p->routes[r]);
            CHECK_STR(m.id, at != NULL ? id : "");
        }
    }
    CHECK(profile_find("nope") == NULL);
    CHECK(profile_find(NULL) == NULL);
}

/* The words of the pages, and the states they lack. */
static void words(void)
{
    const Profile *parsetx = profile_find("parsetx"), *pulse = profile_find("pulse");
    const Profile *parzo = profile_find("parzo"), *enrichment = profile_find("enrichment");

    CHECK_STR(profile_word(parsetx, "completed"), "complete");
    CHECK_STR(profile_word(parsetx, "paused"), "queued");
    CHECK_STR(profile_word(parsetx, "canceled"), "failed");
    CHECK(profile_word(parsetx, "expired") == NULL);
    CHECK_STR(profile_word(pulse, "queued"), "pending");
    CHECK_STR(profile_word(pulse, "canceled"), "canceled");
    CHECK_STR(profile_word(pulse, "expired"), "expired");
    CHECK_STR(profile_word(parzo, "paused"), "pending");
    CHECK(profile_word(parzo, "expired") == NULL);
    CHECK_STR(profile_word(enrichment, "processing"), "in-progress");
    CHECK_STR(profile_word(enrichment, "paused"), "paused");
    CHECK(profile_word(enrichment, "bogus") == NULL);
}

static void matching(void)
{
    const Profile *enrichment = profile_find("enrichment"), *parsetx = profile_find("parsetx");
    ProfileMatch m;
    Error err;

    /* Trailing slashes as the page writes them. */
    CHECK(!profile_match(enrichment, "GET", "/api/v1/enrichment/status", &m, &err));
    CHECK_INT(err.status, 404);
    CHECK(!profile_match(enrichment, "GET",
                         "/api/v1/enrichment/status/3419ae1e-93c3-48a1-95ac-833c390f9916", &m,
                         &err));
    CHECK_INT(profile_error_kind(&err), PERR_ROUTE_NOT_FOUND);
    REQUIRE(profile_match(enrichment, "HEAD", "/api/v1/enrichment/status/", &m, &err));
    CHECK(m.head);
    CHECK(!profile_match(parsetx, "DELETE", "/v1/enrich/jobs/3419ae1e-93c3-48a1-95ac-833c390f9916",
                         &m, &err));
    CHECK_INT(err.status, 405);
    CHECK_INT(profile_error_kind(&err), PERR_METHOD);
    CHECK_STR(m.allow, "GET, HEAD");
    CHECK(!profile_match(parsetx, "GET", "/v1/enrich/jobs/not-a-uuid", &m, &err));
    CHECK_INT(err.status, 404);
    /* Prefixes: at a segment boundary only. */
    CHECK_STR(profile_strip_prefix("/parsetx/v1/x", "/parsetx"), "/v1/x");
    CHECK_STR(profile_strip_prefix("/parsetx", "/parsetx/"), "/");
    CHECK(profile_strip_prefix("/parsetxy/v1", "/parsetx") == NULL);
    CHECK_STR(profile_strip_prefix("/v1/x", NULL), "/v1/x");
    CHECK_STR(profile_strip_prefix("/v1/x", ""), "/v1/x");
}

/* render_error renders kind for p into a fresh response; returns it. */
static Response *render_error(const Profile *p, ProfileErrorKind kind, int status, const char *code,
                              const char *message)
{
    Response *res = response_new();
    Error err;

    REQUIRE(res != NULL);
    error_set(&err, status, code, "%s", message);
    REQUIRE(profile_render_error(p, res, kind, &err));
    return res;
}

static void error_envelopes(void)
{
    const Profile *parsetx = profile_find("parsetx"), *enrichment = profile_find("enrichment");
    Response *res;
    Error err;

    res = render_error(parsetx, PERR_MISSING_KEY, 401, "missing_api_key", "x");
    CHECK_INT(res->status, 401);
    CHECK_STR(res->content_type, "application/json");
    CHECK_STR(res->body,
              "{\"error\":\"Missing API key. Provide your key via the X-API-Key header.\"}\n");
    CHECK(response_header_value(res, "WWW-Authenticate") == NULL);
    response_free(res);
    res = render_error(parsetx, PERR_FOREIGN_JOB, 401, "foreign_job", "x");
    CHECK_STR(res->body, "{\"error\":\"Invalid or revoked API key.\"}\n");
    response_free(res);
    /* A text the page leaves open is pgjob's own message, escaped. */
    res = render_error(parsetx, PERR_BAD_REQUEST, 400, "invalid_field", "\"items\" bad");
    CHECK_STR(res->body, "{\"error\":\"\\\"items\\\" bad\"}\n");
    response_free(res);
    res = render_error(parsetx, PERR_UNAVAILABLE, 503, "db_unavailable", "down");
    CHECK_INT(res->status, 500);
    CHECK_STR(res->body, "{\"error\":\"Internal Server Error\"}\n");
    response_free(res);
    res = render_error(enrichment, PERR_INVALID_KEY, 401, "invalid_api_key", "x");
    CHECK_STR(res->body, "{\"message\":\"Invalid or expired token\"}\n");
    CHECK_STR(response_header_value(res, "WWW-Authenticate"), "Bearer realm=\"api\"");
    response_free(res);
    res = render_error(enrichment, PERR_UNAVAILABLE, 503, "db_unavailable", "down");
    CHECK_INT(res->status, 503);
    CHECK(response_header_value(res, "Retry-After") != NULL);
    response_free(res);
    res = render_error(enrichment, PERR_UNPROCESSABLE, 422, "empty_items", "no contacts");
    CHECK_INT(res->status, 400);
    CHECK_STR(res->body, "{\"detail\":\"no contacts\"}\n");
    response_free(res);
    /* Native errors by class. */
    error_set(&err, 410, "expired", "gone");
    CHECK_INT(profile_error_kind(&err), PERR_JOB_NOT_FOUND);
    error_set(&err, 413, "body_too_large", "big");
    CHECK_INT(profile_error_kind(&err), PERR_BODY_TOO_LARGE);
    error_set(&err, 500, "db_error", "x");
    CHECK_INT(profile_error_kind(&err), PERR_INTERNAL);
}

/* A job row; status and the rest set by each test. */
static ProfileRow row_of(const char *status)
{
    ProfileRow r;

    memset(&r, 0, sizeof r);
    CHECK(profile_row_set(&r, "id", id));
    CHECK(profile_row_set(&r, "status", status));
    CHECK(profile_row_set(&r, "created_at", "2026-04-01 10:00:00.123456+00"));
    CHECK(profile_row_set(&r, "updated_at", "2026-04-01 12:00:01.5+02"));
    CHECK(profile_row_set(&r, "item_count", "3"));
    CHECK(profile_row_set(&r, "attempt_count", "1"));
    CHECK(profile_row_set(&r, "version", "4"));
    CHECK(!profile_row_set(&r, "no_such_column", "x"));
    return r;
}

static char *json(const Profile *p, const ProfileFields *f, const ProfileRow *r)
{
    size_t len = 0;
    Error err = {0};
    return profile_job_json(p, f, r, &len, &err);
}

static void parsetx_jobs(void)
{
    const Profile *p = profile_find("parsetx");
    ProfileRow r = row_of("queued");
    char *text;

    text = json(p, &p->job, &r);
    CHECK_STR(text,
              "{\"id\":\"3419ae1e-93c3-48a1-95ac-833c390f9916\",\"status\":\"queued\","
              "\"results\":[],\"created_at\":\"2026-04-01T10:00:00.123Z\","
              "\"updated_at\":\"2026-04-01T10:00:01.500Z\"}");
    free(text);
    /* Picked up: item_count; results stay [] until complete. */
    r = row_of("processing");
    CHECK(profile_row_set(&r, "started_at", "2026-04-01 10:00:01+00"));
    CHECK(profile_row_set(&r, "outputs", "[{\"m\": 1}]"));
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text,
                                 "\"status\":\"processing\",\"item_count\":3,"
                                 "\"results\":[],") != NULL);
    free(text);
    r = row_of("completed");
    CHECK(profile_row_set(&r, "started_at", "2026-04-01 10:00:01+00"));
    CHECK(profile_row_set(&r, "outputs", " [{\"m\": 1.10}] "));
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text,
                                 "\"status\":\"complete\",\"item_count\":3,"
                                 "\"results\":[{\"m\": 1.10}],") != NULL);
    free(text);
    /* No word: the caller answers not found; rendering refuses. */
    r = row_of("expired");
    CHECK(json(p, &p->job, &r) == NULL);
}

static void parzo_shapes(void)
{
    const Profile *p = profile_find("parzo");
    ProfileRow r = row_of("queued");
    char *text;

    text = json(p, &p->job, &r);
    CHECK_STR(text,
              "{\"job_id\":\"3419ae1e-93c3-48a1-95ac-833c390f9916\",\"status\":\"pending\","
              "\"queued_at\":\"2026-04-01T10:00:00.123Z\",\"started_at\":null,"
              "\"completed_at\":null,\"processing_ms\":null}");
    free(text);
    r = row_of("canceled");
    CHECK(profile_row_set(&r, "error_message", "canceled by request"));
    text = json(p, &p->job, &r);
    CHECK_STR(text,
              "{\"job_id\":\"3419ae1e-93c3-48a1-95ac-833c390f9916\",\"status\":\"failed\","
              "\"error\":\"canceled by request\",\"attempt_count\":1}");
    free(text);
    r = row_of("completed");
    CHECK(profile_row_set(&r, "confidence", "0.95"));
    CHECK(profile_row_set(&r, "cache_hit", "f"));
    CHECK(profile_row_set(&r, "validation_flags", "[]"));
    CHECK(profile_row_set(&r, "first_output", "{\"total\": 1}"));
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text,
                                 "\"processing_ms\":null,\"confidence\":0.95,"
                                 "\"model\":null,\"cache_hit\":false,"
                                 "\"validation_flags\":[],\"result\":{\"total\": 1}}") != NULL);
    free(text);
}

static void pulse_results(void)
{
    const Profile *p = profile_find("pulse");
    ProfileRow r = row_of("completed");
    char *text;

    /* Left out for its size: the pointer. */
    r.result_url = "http://h/job/x/result";
    text = json(p, &p->job, &r);
    CHECK(text != NULL &&
          strstr(text, "\"result\":{\"is_url\":true,\"url\":\"http://h/job/x/result\"}}") != NULL);
    free(text);
    r = row_of("expired");
    CHECK(profile_row_set(&r, "expires_at", "2026-04-08 10:00:00+00"));
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text,
                                 "\"result\":{\"expired\":true,\"expired_at\":"
                                 "\"2026-04-08T10:00:00.000Z\"}}") != NULL);
    free(text);
    r = row_of("failed");
    CHECK(profile_row_set(&r, "error_message", "bad \"pdf\""));
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text, "\"error\":\"bad \\\"pdf\\\"\"}") != NULL &&
          strstr(text, "\"result\"") == NULL);
    free(text);
    r = row_of("canceled");
    text = json(p, &p->job, &r);
    CHECK(text != NULL && strstr(text, "\"error\"") == NULL && strstr(text, "canceled") != NULL);
    free(text);
}

static void enrichment_times(void)
{
    const Profile *p = profile_find("enrichment");
    ProfileRow r = row_of("processing");
    char out[TIMESTAMP_RFC3339_SIZE];
    char *text;

    text = json(p, &p->job, &r);
    CHECK_STR(text,
              "{\"job_id\":\"3419ae1e-93c3-48a1-95ac-833c390f9916\","
              "\"status\":\"in-progress\",\"submitted_at\":\"2026-04-01T10:00:00Z\","
              "\"updated_at\":\"2026-04-01T10:00:01Z\"}");
    free(text);
    CHECK(profile_time(p, "2026-05-06 14:23:11.999+00", out, sizeof out));
    CHECK_STR(out, "2026-05-06T14:23:11Z");
    CHECK(!profile_time(p, "yesterday", out, sizeof out));
    /* A bad row is an error, not a wrong answer. */
    r = row_of("queued");
    CHECK(profile_row_set(&r, "created_at", "not a time"));
    CHECK(json(p, &p->job, &r) == NULL);
}

const Test cgi_profile_tests[] = {
    {"cgi_profile_tables_are_complete", tables_are_complete},
    {"cgi_profile_words", words},
    {"cgi_profile_matching", matching},
    {"cgi_profile_error_envelopes", error_envelopes},
    {"cgi_profile_parsetx_jobs", parsetx_jobs},
    {"cgi_profile_parzo_shapes", parzo_shapes},
    {"cgi_profile_pulse_results", pulse_results},
    {"cgi_profile_enrichment_times", enrichment_times},
    {NULL, NULL},
};
