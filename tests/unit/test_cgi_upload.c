/* SPDX-License-Identifier: MIT */
/* test_cgi_upload.c tests multipart job submissions (cgi/upload.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "suites.h"
#include "upload.h"

#define CT "multipart/form-data; boundary=XyZ"
#define TEXT(name, value) \
    "--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\n" value "\r\n"
#define FILE_PART(filename, type, data)                                            \
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" filename \
    "\"\r\n"                                                                       \
    "Content-Type: " type "\r\n\r\n" data "\r\n"
#define END   "--XyZ--\r\n"
#define HELLO FILE_PART("a.txt", "text/plain", "hello")

static const char *const types[] = {"echo", "ocr.v2"};
static const SubmitRules rules = {types, 2, 5};

/* submit runs upload_submit on the n bytes of body. */
static SubmitRequest *submit_n(const char *body, size_t n, char **text, Error *err, char *field)
{
    error_clear(err);
    strcpy(field, "unset");
    *text = (char *)"unset";
    return upload_submit(CT, body, n, &rules, text, err, field);
}

static SubmitRequest *submit(const char *body, char **text, Error *err, char *field)
{
    return submit_n(body, strlen(body), text, err, field);
}

/* check_fails checks that body (with content type ct) fails with status,
 * code and field, and leaves no text. */
static void check_fails_at(const char *ct, const char *body, int status, const char *code,
                           const char *field_want, int line)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE] = "unset", *text = (char *)"unset";
    SubmitRequest *s;

    error_clear(&err);
    s = upload_submit(ct, body, strlen(body), &rules, &text, &err, field);
    if (s != NULL) {
        fprintf(stderr, "line %d: accepted\n", line);
        CHECK(s == NULL);
        submit_request_free(s);
        free(text);
        return;
    }
    CHECK(text == NULL);
    if (!CHECK_INT(err.status, status) || !CHECK_STR(err.code, code) ||
        !CHECK_STR(field, field_want))
        fprintf(stderr, "line %d: %d %s: %s\n", line, err.status, err.code, err.message);
}

#define check_fails(body, status, code, field) \
    check_fails_at(CT, body, status, code, field, __LINE__)

static void minimal(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;
    SubmitRequest *s = submit(TEXT("type", "echo") HELLO END, &text, &err, field);
    json_t *item;

    REQUIRE(s != NULL);
    CHECK_STR(s->type, "echo");
    CHECK_INT(s->priority, 0);
    CHECK_INT(s->max_attempts, VALIDATE_DEFAULT_MAX_ATTEMPTS);
    CHECK_STR(s->run_at, "");
    CHECK(json_is_object(s->metadata) && json_object_size(s->metadata) == 0);
    REQUIRE(json_is_array(s->items) && json_array_size(s->items) == 1);
    item = json_array_get(s->items, 0);
    CHECK_STR(json_string_value(json_object_get(item, "filename")), "a.txt");
    CHECK_STR(json_string_value(json_object_get(item, "content_type")), "text/plain");
    CHECK_INT(json_integer_value(json_object_get(item, "size_bytes")), 5);
    CHECK(json_object_get(item, "data_base64") == NULL);
    CHECK_STR(text,
              "{\"items\":[{\"filename\":\"a.txt\",\"content_type\":\"text/plain\","
              "\"size_bytes\":5,\"data_base64\":\"aGVsbG8=\"}],\"metadata\":{}}");
    CHECK_STR(field, "");
    CHECK(!error_is_set(&err));
    submit_request_free(s);
    free(text);
}

/* The metadata text is passed on as sent, every digit kept. */
static void every_field(void)
{
    const char *body = TEXT("metadata", "{\"batch\": \"b-7\", \"n\": 98765432109876543210}")
        TEXT("run_at", "2026-11-26T10:00:00.5+02:00") TEXT("max_attempts", "100")
            TEXT("priority", "-1000") FILE_PART("scan.pdf", "application/pdf", "%PDF-1.4\n")
                TEXT("type", "ocr.v2") END;
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;
    SubmitRequest *s = submit(body, &text, &err, field);

    REQUIRE(s != NULL);
    CHECK_STR(s->type, "ocr.v2");
    CHECK_INT(s->priority, -1000);
    CHECK_INT(s->max_attempts, 100);
    CHECK_STR(s->run_at, "2026-11-26T10:00:00.5+02:00");
    CHECK_STR(json_string_value(json_object_get(s->metadata, "batch")), "b-7");
    CHECK_STR(text,
              "{\"items\":[{\"filename\":\"scan.pdf\",\"content_type\":\"application/pdf\","
              "\"size_bytes\":9,\"data_base64\":\"JVBERi0xLjQK\"}],"
              "\"metadata\":{\"batch\": \"b-7\", \"n\": 98765432109876543210}}");
    submit_request_free(s);
    free(text);
}

/* Any bytes, NULs and CRLFs included; a filename that JSON must escape;
 * no Content-Type. */
static void binary_file(void)
{
    static const char body[] =
        TEXT("type", "echo") "--XyZ\r\nContent-Disposition: form-data; name=file; "
                             "filename=\"r\xc3\xa9sum\xc3\xa9 \\\"1\\\"\\\\.bin\"\r\n\r\n"
                             "\0\r\n\xff\xfe--XyZ\r\r\n" END;
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;
    SubmitRequest *s = submit_n(body, sizeof body - 1, &text, &err, field);
    json_t *doc, *item;

    REQUIRE(s != NULL);
    doc = json_loads(text, 0, NULL);
    REQUIRE(doc != NULL);
    item = json_array_get(json_object_get(doc, "items"), 0);
    CHECK_STR(json_string_value(json_object_get(item, "filename")),
              "r\xc3\xa9sum\xc3\xa9 \"1\"\\.bin");
    CHECK_STR(json_string_value(json_object_get(item, "content_type")),
              UPLOAD_DEFAULT_CONTENT_TYPE);
    CHECK_INT(json_integer_value(json_object_get(item, "size_bytes")), 11);
    CHECK_STR(json_string_value(json_object_get(item, "data_base64")), "AA0K//4tLVh5Wg0=");
    CHECK_INT(json_object_size(item), 4);
    CHECK(json_equal(json_object_get(doc, "metadata"), s->metadata));
    json_decref(doc);
    submit_request_free(s);
    free(text);
}

static void metadata_forms(void)
{
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;
    SubmitRequest *s;
    char body[8192], keys[4096] = "{";

    s = submit(TEXT("type", "echo") HELLO TEXT("metadata", "null") END, &text, &err, field);
    REQUIRE(s != NULL);
    CHECK(json_is_object(s->metadata) && json_object_size(s->metadata) == 0);
    CHECK(strstr(text, ",\"metadata\":{}}") != NULL);
    submit_request_free(s);
    free(text);
    s = submit(TEXT("type", "echo") HELLO TEXT("metadata", "\r\n {\"a\": [1, {}]}\t") END, &text,
               &err, field);
    REQUIRE(s != NULL);
    CHECK(strstr(text, ",\"metadata\":\r\n {\"a\": [1, {}]}\t}") != NULL);
    submit_request_free(s);
    free(text);
    /* 64 keys are accepted, 65 are not. */
    for (int i = 0; i < VALIDATE_METADATA_MAX_KEYS; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s\"k%d\":%d", i ? "," : "", i,
                 i);
    snprintf(body, sizeof body, TEXT("type", "echo") HELLO TEXT("metadata", "%s}") END, keys);
    s = submit(body, &text, &err, field);
    REQUIRE(s != NULL);
    CHECK_INT(json_object_size(s->metadata), VALIDATE_METADATA_MAX_KEYS);
    submit_request_free(s);
    free(text);
    snprintf(body, sizeof body, TEXT("type", "echo") HELLO TEXT("metadata", "%s,\"x\":1}") END,
             keys);
    check_fails(body, 400, "invalid_field", "metadata");
}

static void framing_errors(void)
{
    check_fails_at("application/json", TEXT("type", "echo") HELLO END, 415,
                   "unsupported_media_type", "", __LINE__);
    check_fails_at(NULL, TEXT("type", "echo") HELLO END, 415, "unsupported_media_type", "",
                   __LINE__);
    check_fails_at("multipart/form-data", TEXT("type", "echo") HELLO END, 400, "invalid_multipart",
                   "", __LINE__);
    check_fails_at("multipart/form-data; boundary=\"bad", TEXT("type", "echo") HELLO END, 400,
                   "invalid_multipart", "", __LINE__);
    check_fails_at("multipart/form-data; boundary=Other", TEXT("type", "echo") HELLO END, 400,
                   "invalid_multipart", "", __LINE__);
    check_fails(TEXT("type", "echo") HELLO, 400, "invalid_multipart", "");
    check_fails("", 400, "invalid_multipart", "");
}

static void part_errors(void)
{
    check_fails(TEXT("type", "echo") HELLO HELLO END, 400, "invalid_multipart", "file");
    check_fails(TEXT("type", "echo") TEXT("type", "echo") HELLO END, 400, "invalid_multipart",
                "type");
    check_fails(TEXT("type", "echo") HELLO TEXT("items", "[1]") END, 400, "unknown_field", "items");
    check_fails(TEXT("type", "echo") HELLO TEXT("Priority", "1") END, 400, "unknown_field",
                "Priority");
    check_fails(TEXT("type", "echo") END, 400, "missing_field", "file");
    check_fails(HELLO END, 400, "missing_field", "type");
    check_fails(END, 400, "missing_field", "type");
    check_fails(TEXT("type", "echo") TEXT("file", "hello") END, 400, "invalid_field", "file");
    check_fails(TEXT("type", "echo") FILE_PART("", "text/plain", "x") END, 400, "invalid_field",
                "file");
    check_fails(TEXT("type", "echo") FILE_PART("\xff.txt", "text/plain", "x") END, 400,
                "invalid_field", "file");
    check_fails(TEXT("type", "echo") FILE_PART("a", "text/plain; x=\"\xe9\"", "x") END, 400,
                "invalid_field", "file");
    check_fails(FILE_PART("a.txt", "text/plain", "echo") HELLO END, 400, "invalid_multipart",
                "file");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=type; filename=t.txt\r\n\r\n"
        "echo\r\n" HELLO END,
        400, "invalid_field", "type");
}

static void value_errors(void)
{
    check_fails(TEXT("type", "nope") HELLO END, 422, "unknown_type", "type");
    check_fails(TEXT("type", "Echo") HELLO END, 400, "invalid_field", "type");
    check_fails(TEXT("type", "") HELLO END, 400, "invalid_field", "type");
    check_fails(TEXT("type", "echo ") HELLO END, 400, "invalid_field", "type");
    check_fails(TEXT("type", "e12345678901234567890123456789012345678901234567890123456789012345")
                    HELLO END,
                400, "invalid_field", "type");
    check_fails(TEXT("type", "echo") FILE_PART("a.txt", "text/plain", "") END, 422, "empty_items",
                "file");
    check_fails(TEXT("type", "echo") HELLO TEXT("priority", "1001") END, 400, "invalid_field",
                "priority");
    check_fails(TEXT("type", "echo") HELLO TEXT("priority", " 1") END, 400, "invalid_field",
                "priority");
    check_fails(TEXT("type", "echo") HELLO TEXT("priority", "1.5") END, 400, "invalid_field",
                "priority");
    check_fails(TEXT("type", "echo") HELLO TEXT("priority", "") END, 400, "invalid_field",
                "priority");
    check_fails(TEXT("type", "echo") HELLO TEXT("priority", "00000000000000001") END, 400,
                "invalid_field", "priority");
    check_fails(TEXT("type", "echo") HELLO TEXT("max_attempts", "0") END, 400, "invalid_field",
                "max_attempts");
    check_fails(TEXT("type", "echo") HELLO TEXT("run_at", "tomorrow") END, 400, "invalid_field",
                "run_at");
    check_fails(TEXT("type", "echo") HELLO TEXT("run_at", "2026-11-26T10:00:00") END, 400,
                "invalid_field", "run_at");
    check_fails(TEXT("type", "echo") HELLO TEXT("metadata", "[]") END, 400, "invalid_field",
                "metadata");
    check_fails(TEXT("type", "echo") HELLO TEXT("metadata", "{") END, 400, "invalid_field",
                "metadata");
    check_fails(TEXT("type", "echo") HELLO TEXT("metadata", "") END, 400, "invalid_field",
                "metadata");
    check_fails(TEXT("type", "echo") HELLO TEXT("metadata", "{\"a\":1,\"a\":2}") END, 400,
                "invalid_field", "metadata");
    check_fails(TEXT("type", "echo") HELLO TEXT("metadata", "{} {}") END, 400, "invalid_field",
                "metadata");
}

/* Values with a NUL are refused, not cut. */
static void nul_in_values(void)
{
    static const char type_body[] = TEXT("type", "echo\0x") HELLO END;
    static const char meta_body[] = TEXT("type", "echo") HELLO TEXT("metadata", "{}\0") END;
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;

    CHECK(submit_n(type_body, sizeof type_body - 1, &text, &err, field) == NULL);
    CHECK_STR(field, "type");
    CHECK(submit_n(meta_body, sizeof meta_body - 1, &text, &err, field) == NULL);
    CHECK_STR(field, "metadata");
    CHECK(text == NULL);
}

/* The first fault in upload.h's order is the one reported. */
static void check_order(void)
{
    check_fails(TEXT("x", "1") END, 400, "unknown_field", "x");
    check_fails(TEXT("priority", "x") TEXT("x", "1") END, 400, "unknown_field", "x");
    check_fails(TEXT("priority", "x") TEXT("priority", "1") TEXT("x", "1") END, 400,
                "invalid_multipart", "priority");
    check_fails(TEXT("priority", "x") TEXT("type", "nope") END, 422, "unknown_type", "type");
    check_fails(TEXT("priority", "x") TEXT("type", "echo") END, 400, "missing_field", "file");
    check_fails(TEXT("metadata", "x") TEXT("priority", "x") TEXT("type", "echo") HELLO END, 400,
                "invalid_field", "priority");
    check_fails(TEXT("metadata", "x") TEXT("run_at", "x") TEXT("max_attempts", "x")
                    TEXT("type", "echo") HELLO END,
                400, "invalid_field", "max_attempts");
    check_fails(TEXT("metadata", "x") TEXT("run_at", "x") TEXT("type", "echo") HELLO END, 400,
                "invalid_field", "run_at");
}

/* No job type is run here: every type is unknown. */
static void no_types(void)
{
    const SubmitRules none = {NULL, 0, 5};
    Error err;
    char field[VALIDATE_FIELD_SIZE], *text;
    const char *body = TEXT("type", "echo") HELLO END;

    CHECK(upload_submit(CT, body, strlen(body), &none, &text, &err, field) == NULL);
    CHECK_STR(err.code, "unknown_type");
}

/* Running out of memory anywhere is a 500 out_of_memory, never a client
 * error, and leaks nothing. */
static void out_of_memory(void)
{
    const char *body = TEXT("type", "echo") HELLO TEXT("metadata", "{\"k\":[1,{\"a\":\"b\"}]}") END;
    int failures = 0;

    json_set_alloc_funcs(mem_malloc, free);
    for (long n = 0;; n++) {
        Error err;
        char field[VALIDATE_FIELD_SIZE], *text;
        SubmitRequest *s;
        bool injected;

        mem_fail_at(n);
        s = submit(body, &text, &err, field);
        injected = mem_failed();
        mem_fail_at(-1);
        if (!injected) {
            CHECK(s != NULL);
            submit_request_free(s);
            free(text);
            break;
        }
        failures++;
        CHECK(s == NULL && text == NULL);
        submit_request_free(s);
        if (!CHECK_STR(err.code, "out_of_memory"))
            fprintf(stderr, "allocation %ld: %d %s\n", n, err.status, err.message);
        CHECK_INT(err.status, 500);
        CHECK_STR(field, "");
    }
    CHECK(failures >= 8);
}

const Test cgi_upload_tests[] = {
    {"cgi_upload_minimal", minimal},
    {"cgi_upload_every_field", every_field},
    {"cgi_upload_binary_file", binary_file},
    {"cgi_upload_metadata_forms", metadata_forms},
    {"cgi_upload_framing_errors", framing_errors},
    {"cgi_upload_part_errors", part_errors},
    {"cgi_upload_value_errors", value_errors},
    {"cgi_upload_nul_in_values", nul_in_values},
    {"cgi_upload_check_order", check_order},
    {"cgi_upload_no_types", no_types},
    {"cgi_upload_out_of_memory", out_of_memory},
    {NULL, NULL},
};
