/* SPDX-License-Identifier: MIT */
/* test_cgi_validate.c tests the checks of a POST /v1/jobs body (cgi/validate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "suites.h"
#include "validate.h"

static const char *const types[] = {"echo", "enrich", "ocr.v2"};
static const SubmitRules rules = {types, 3, 5};

/* submit validates body with the default rules. */
static SubmitRequest *submit(const char *body, Error *err, char *field)
{
    error_clear(err);
    strcpy(field, "unset");
    return validate_submit(body, strlen(body), &rules, err, field);
}

/* check_fails checks that body fails with status, code and field. */
static void check_fails_at(const char *body, int status, const char *code, const char *field_want,
                           int line)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s = submit(body, &err, field);

    if (s != NULL) {
        fprintf(stderr, "line %d: %s was accepted\n", line, body);
        CHECK(s == NULL);
        submit_request_free(s);
        return;
    }
    if (!CHECK_INT(err.status, status) || !CHECK_STR(err.code, code) ||
        !CHECK_STR(field, field_want))
        fprintf(stderr, "line %d: body %s: %s\n", line, body, err.message);
}

#define check_fails(body, status, code, field) check_fails_at(body, status, code, field, __LINE__)

static void minimal(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s = submit("{\"type\":\"echo\",\"items\":[\"a\",\"b\"]}", &err, field);

    REQUIRE(s != NULL);
    CHECK_STR(s->type, "echo");
    CHECK(json_is_array(s->items));
    CHECK_INT(json_array_size(s->items), 2);
    CHECK_INT(s->priority, 0);
    CHECK_INT(s->max_attempts, VALIDATE_DEFAULT_MAX_ATTEMPTS);
    CHECK_STR(s->run_at, "");
    CHECK(json_is_object(s->metadata));
    CHECK_INT(json_object_size(s->metadata), 0);
    CHECK_STR(field, "");
    CHECK(!error_is_set(&err));
    submit_request_free(s);
    submit_request_free(NULL);
}

static void every_field(void)
{
    const char *body =
        "{\"metadata\":{\"batch\":\"b-7\",\"n\":[1]},\"run_at\":"
        "\"2026-11-26T10:00:00.5+02:00\",\"max_attempts\":100,\"priority\":-1000,"
        "\"items\":[1,{\"custom_id\":\"x\"},null,[],\"s\"],\"type\":\"ocr.v2\"}";
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s = submit(body, &err, field);

    REQUIRE(s != NULL);
    CHECK_STR(s->type, "ocr.v2");
    CHECK_INT(json_array_size(s->items), 5);
    CHECK_INT(s->priority, -1000);
    CHECK_INT(s->max_attempts, 100);
    CHECK_STR(s->run_at, "2026-11-26T10:00:00.5+02:00");
    CHECK_STR(json_string_value(json_object_get(s->metadata, "batch")), "b-7");
    submit_request_free(s);
}

/* An optional field sent as null is absent. */
static void nulls_are_absent(void)
{
    const char *body =
        "{\"type\":\"echo\",\"items\":[1],\"priority\":null,"
        "\"max_attempts\":null,\"run_at\":null,\"metadata\":null}";
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s = submit(body, &err, field);

    REQUIRE(s != NULL);
    CHECK_INT(s->priority, 0);
    CHECK_INT(s->max_attempts, 3);
    CHECK_STR(s->run_at, "");
    CHECK(json_is_object(s->metadata));
    submit_request_free(s);
}

static void ranges_accepted(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s;

    s = submit("{\"type\":\"echo\",\"items\":[1],\"priority\":1000,\"max_attempts\":1}", &err,
               field);
    REQUIRE(s != NULL);
    CHECK_INT(s->priority, 1000);
    CHECK_INT(s->max_attempts, 1);
    submit_request_free(s);
    /* Exactly max_items items. */
    s = submit("{\"type\":\"echo\",\"items\":[1,2,3,4,5]}", &err, field);
    CHECK(s != NULL);
    submit_request_free(s);
}

static void malformed_json(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];

    check_fails("", 400, "malformed_json", "");
    check_fails("{", 400, "malformed_json", "");
    check_fails("{\"type\":\"echo\",}", 400, "malformed_json", "");
    check_fails("{\"type\":\"echo\"} x", 400, "malformed_json", "");
    check_fails("{'type':'echo'}", 400, "malformed_json", "");
    check_fails("{\"items\":[1],\"items\":[2],\"type\":\"echo\"}", 400, "malformed_json", "");
    check_fails("{\"type\":\"a\\u0000b\",\"items\":[1]}", 400, "malformed_json", "");
    check_fails("{\"type\":\"\xff\",\"items\":[1]}", 400, "malformed_json", "");
    /* The message gives jansson's line and column. */
    REQUIRE(submit("{\n  \"type\": echo\n}", &err, field) == NULL);
    CHECK_STR(err.message, "malformed JSON at line 2, column 14: invalid token near 'echo'");
    /* A NUL byte in the body is malformed, not the end of it. */
    error_clear(&err);
    REQUIRE(validate_submit("{}\0{}", 5, &rules, &err, field) == NULL);
    CHECK_STR(err.code, "malformed_json");
    REQUIRE(validate_submit(NULL, 0, &rules, &err, field) == NULL);
    CHECK_STR(err.code, "malformed_json");
}

static void not_an_object(void)
{
    check_fails("[]", 400, "invalid_body", "");
    check_fails("[{\"type\":\"echo\",\"items\":[1]}]", 400, "invalid_body", "");
    check_fails("\"echo\"", 400, "invalid_body", "");
    check_fails("42", 400, "invalid_body", "");
    check_fails("null", 400, "invalid_body", "");
}

static void unknown_fields(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    char body[300];
    char name[200];

    check_fails("{\"type\":\"echo\",\"items\":[1],\"priorty\":5}", 400, "unknown_field", "priorty");
    /* Unknown fields are found before anything else is checked. */
    check_fails("{\"Type\":\"echo\"}", 400, "unknown_field", "Type");
    check_fails("{\"type\":5,\"extra\":1}", 400, "unknown_field", "extra");
    /* The first in the body's order. */
    check_fails("{\"b\":1,\"a\":2}", 400, "unknown_field", "b");
    REQUIRE(submit("{\"b\":1}", &err, field) == NULL);
    CHECK_STR(err.message, "unknown field \"b\"");
    /* A long name is cut to fit the field, on a UTF-8 boundary. */
    memset(name, 'n', 62);
    strcpy(name + 62, "\xc3\xa9tail");
    snprintf(body, sizeof body, "{\"%s\":1}", name);
    REQUIRE(submit(body, &err, field) == NULL);
    CHECK_STR(err.code, "unknown_field");
    CHECK_INT(strlen(field), 62);
    CHECK(field[61] == 'n');
}

static void type_checks(void)
{
    check_fails("{\"items\":[1]}", 400, "missing_field", "type");
    check_fails("{\"type\":null,\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":5,\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":[\"echo\"],\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":\"\",\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":\"Echo\",\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":\"1echo\",\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":\"ec ho\",\"items\":[1]}", 400, "invalid_field", "type");
    check_fails("{\"type\":\"echo/x\",\"items\":[1]}", 400, "invalid_field", "type");
    /* 65 characters: one too many. */
    check_fails(
        "{\"type\":\"a1234567890123456789012345678901234567890123456789012345678901234\","
        "\"items\":[1]}",
        400, "invalid_field", "type");
    /* Well-formed but not run here. */
    check_fails("{\"type\":\"invoice\",\"items\":[1]}", 422, "unknown_type", "type");
    check_fails("{\"type\":\"ocr\",\"items\":[1]}", 422, "unknown_type", "type");
    /* 64 characters: the longest name. */
    check_fails(
        "{\"type\":\"a123456789012345678901234567890123456789012345678901234567890123\","
        "\"items\":[1]}",
        422, "unknown_type", "type");
}

static void type_names(void)
{
    CHECK(validate_type_name("a"));
    CHECK(validate_type_name("echo"));
    CHECK(validate_type_name("ocr.v2-fast_x"));
    CHECK(validate_type_name("a123456789012345678901234567890123456789012345678901234567890123"));
    CHECK(!validate_type_name("a1234567890123456789012345678901234567890123456789012345678901234"));
    CHECK(!validate_type_name(NULL));
    CHECK(!validate_type_name(""));
    CHECK(!validate_type_name("_a"));
    CHECK(!validate_type_name("{a"));
    CHECK(!validate_type_name(".a"));
    CHECK(!validate_type_name("aB"));
    CHECK(!validate_type_name("a b"));
    CHECK(!validate_type_name("\xc3\xa9"));
}

/* With no types configured, every type is unknown. */
static void no_types(void)
{
    const SubmitRules none = {NULL, 0, 10};
    const char *body = "{\"type\":\"echo\",\"items\":[1]}";
    Error err;
    char field[VALIDATE_FIELD_SIZE];

    CHECK(validate_submit(body, strlen(body), &none, &err, field) == NULL);
    CHECK_INT(err.status, 422);
    CHECK_STR(err.code, "unknown_type");
}

static void items_checks(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];

    check_fails("{\"type\":\"echo\"}", 400, "missing_field", "items");
    check_fails("{\"type\":\"echo\",\"items\":null}", 400, "invalid_field", "items");
    check_fails("{\"type\":\"echo\",\"items\":{}}", 400, "invalid_field", "items");
    check_fails("{\"type\":\"echo\",\"items\":\"a\"}", 400, "invalid_field", "items");
    check_fails("{\"type\":\"echo\",\"items\":[]}", 422, "empty_items", "items");
    check_fails("{\"type\":\"echo\",\"items\":[1,2,3,4,5,6]}", 422, "too_many_items", "items");
    REQUIRE(submit("{\"type\":\"echo\",\"items\":[1,2,3,4,5,6]}", &err, field) == NULL);
    CHECK_STR(err.message, "items has 6 entries; at most 5 are accepted");
}

static void priority_checks(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];

    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":1001}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":-1001}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":1.5}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":1e300}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":\"5\"}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":true}", 400, "invalid_field",
                "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":9223372036854775807}", 400,
                "invalid_field", "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":-9223372036854775808}", 400,
                "invalid_field", "priority");
    REQUIRE(submit("{\"type\":\"echo\",\"items\":[1],\"priority\":5000}", &err, field) == NULL);
    CHECK_STR(err.message, "priority must be an integer between -1000 and 1000");
}

static void max_attempts_checks(void)
{
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":0}", 400, "invalid_field",
                "max_attempts");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":101}", 400, "invalid_field",
                "max_attempts");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":-1}", 400, "invalid_field",
                "max_attempts");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":2.5}", 400, "invalid_field",
                "max_attempts");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":[3]}", 400, "invalid_field",
                "max_attempts");
}

static void run_at_checks(void)
{
    char body[200];

    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"tomorrow\"}", 400, "invalid_field",
                "run_at");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"2026-11-26T10:00:00\"}", 400,
                "invalid_field", "run_at");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"2026-11-26 10:00:00Z\"}", 400,
                "invalid_field", "run_at");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"2026-02-30T10:00:00Z\"}", 400,
                "invalid_field", "run_at");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":1764151200}", 400, "invalid_field",
                "run_at");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"\"}", 400, "invalid_field",
                "run_at");
    check_fails(
        "{\"type\":\"echo\",\"items\":[1],"
        "\"run_at\":\"2026-11-26T10:00:00.123456789+02:00                   \"}",
        400, "invalid_field", "run_at");
    /* Nine fraction digits fit; the text cap is the buffer. */
    snprintf(body, sizeof body, "{\"type\":\"echo\",\"items\":[1],\"run_at\":\"%s\"}",
             "2026-11-26T10:00:00.123456789+02:00");
    {
        Error err;
        char field[VALIDATE_FIELD_SIZE];
        SubmitRequest *s = submit(body, &err, field);
        CHECK(s != NULL);
        submit_request_free(s);
    }
}

static void metadata_checks(void)
{
    char body[2048];
    size_t n;
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s;

    check_fails("{\"type\":\"echo\",\"items\":[1],\"metadata\":[]}", 400, "invalid_field",
                "metadata");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"metadata\":\"x\"}", 400, "invalid_field",
                "metadata");
    /* 64 keys pass, 65 do not. */
    n = (size_t)snprintf(body, sizeof body, "{\"type\":\"echo\",\"items\":[1],\"metadata\":{");
    for (int i = 0; i < VALIDATE_METADATA_MAX_KEYS; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
    snprintf(body + n, sizeof body - n, "}}");
    s = submit(body, &err, field);
    CHECK(s != NULL);
    submit_request_free(s);
    snprintf(body + n, sizeof body - n, ",\"k64\":64}}");
    CHECK(submit(body, &err, field) == NULL);
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "invalid_field");
    CHECK_STR(field, "metadata");
    CHECK_STR(err.message, "metadata has 65 keys; at most 64 are accepted");
}

/* The documented order: the first failure is the one reported. */
static void check_order(void)
{
    check_fails("{\"type\":\"nope\",\"items\":[]}", 422, "unknown_type", "type");
    check_fails("{\"type\":\"echo\",\"items\":[],\"priority\":\"x\"}", 422, "empty_items", "items");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"priority\":\"x\",\"max_attempts\":0}", 400,
                "invalid_field", "priority");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"max_attempts\":0,\"run_at\":\"x\"}", 400,
                "invalid_field", "max_attempts");
    check_fails("{\"type\":\"echo\",\"items\":[1],\"run_at\":\"x\",\"metadata\":1}", 400,
                "invalid_field", "run_at");
}

/* The SubmitRequest holds its own references: they outlive the parse. */
static void ownership(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s =
        submit("{\"type\":\"echo\",\"items\":[{\"a\":1}],\"metadata\":{\"m\":2}}", &err, field);

    REQUIRE(s != NULL);
    CHECK_INT(s->items->refcount, 1);
    CHECK_INT(s->metadata->refcount, 1);
    CHECK(json_number_value(json_object_get(json_array_get(s->items, 0), "a")) == 1.0);
    submit_request_free(s);
}

/* An integer past 64 bits is valid JSON: accepted (SQL reads the digits
 * from the body text), and an integral number is an integer field. */
static void validate_big_numbers(void)
{
    Error err = {0};
    char field[VALIDATE_FIELD_SIZE];
    SubmitRequest *s = submit(
        "{\"type\":\"echo\",\"items\":[123456789012345678901234567890],"
        "\"priority\":7.0,\"metadata\":{\"n\":98765432109876543210}}",
        &err, field);

    REQUIRE(s != NULL);
    CHECK_INT(s->priority, 7);
    CHECK_INT(json_array_size(s->items), 1);
    submit_request_free(s);
}

/* Running out of memory anywhere, jansson's parser included, is a 500
 * out_of_memory, never a client error. */
static void out_of_memory(void)
{
    const char *bodies[] = {
        "{\"type\":\"echo\",\"items\":[1,{\"a\":[2]}],\"metadata\":{\"k\":\"v\"}}",
        "{\"type\":\"echo\",\"items\":[\"x\"]}",
    };
    int failures = 0;

    json_set_alloc_funcs(mem_malloc, free);
    for (size_t b = 0; b < 2; b++) {
        for (long n = 0;; n++) {
            Error err;
            char field[VALIDATE_FIELD_SIZE];
            SubmitRequest *s;
            bool injected;

            error_clear(&err);
            mem_fail_at(n);
            s = validate_submit(bodies[b], strlen(bodies[b]), &rules, &err, field);
            injected = mem_failed();
            mem_fail_at(-1);
            if (!injected) {
                CHECK(s != NULL);
                submit_request_free(s);
                break;
            }
            failures++;
            CHECK(s == NULL);
            submit_request_free(s);
            if (!CHECK_STR(err.code, "out_of_memory"))
                fprintf(stderr, "allocation %ld: %d %s\n", n, err.status, err.message);
            CHECK_INT(err.status, 500);
            CHECK_STR(field, "");
        }
    }
    CHECK(failures >= 10);
}

const Test cgi_validate_tests[] = {
    {"cgi_validate_minimal", minimal},
    {"cgi_validate_every_field", every_field},
    {"cgi_validate_nulls_are_absent", nulls_are_absent},
    {"cgi_validate_ranges_accepted", ranges_accepted},
    {"cgi_validate_malformed_json", malformed_json},
    {"cgi_validate_not_an_object", not_an_object},
    {"cgi_validate_unknown_fields", unknown_fields},
    {"cgi_validate_type_checks", type_checks},
    {"cgi_validate_type_names", type_names},
    {"cgi_validate_no_types", no_types},
    {"cgi_validate_items_checks", items_checks},
    {"cgi_validate_priority_checks", priority_checks},
    {"cgi_validate_max_attempts_checks", max_attempts_checks},
    {"cgi_validate_run_at_checks", run_at_checks},
    {"cgi_validate_metadata_checks", metadata_checks},
    {"cgi_validate_check_order", check_order},
    {"cgi_validate_ownership", ownership},
    {"cgi_validate_big_numbers", validate_big_numbers},
    {"cgi_validate_out_of_memory", out_of_memory},
    {NULL, NULL},
};
