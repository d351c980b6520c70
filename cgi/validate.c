/* SPDX-License-Identifier: MIT */
/* validate.c checks the body of a job submission; see validate.h for the rules. */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "timestamp.h"

/* The top-level fields of a submission, in the order they are checked. */
static const char *const known_fields[] = {
    "type", "items", "priority", "max_attempts", "run_at", "metadata",
};

/* fail fills err and field (name NULL: no field). */
static void fail(Error *err, char field[VALIDATE_FIELD_SIZE], const char *name, int status,
                 const char *code, const char *message)
{
    error_set(err, status, code, "%s", message);
    field[0] = '\0';
    if (name != NULL) {
        size_t len = strlen(name);
        if (len >= VALIDATE_FIELD_SIZE) {
            /* Cut on a UTF-8 character boundary. */
            len = VALIDATE_FIELD_SIZE - 1;
            while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
                len--;
        }
        memcpy(field, name, len);
        field[len] = '\0';
    }
}

bool validate_type_name(const char *type)
{
    size_t len;

    if (type == NULL || type[0] < 'a' || type[0] > 'z')
        return false;
    len = strlen(type);
    return len <= 64 && strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == len;
}

/* check_unknown fails on the first top-level key that is not a field. */
static bool check_unknown(json_t *root, Error *err, char *field)
{
    char message[ERROR_MESSAGE_SIZE];

    for (void *it = json_object_iter(root); it != NULL; it = json_object_iter_next(root, it)) {
        const char *key = json_object_iter_key(it);
        bool known = false;
        for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++)
            known = known || strcmp(key, known_fields[i]) == 0;
        if (!known) {
            snprintf(message, sizeof message, "unknown field \"%s\"", key);
            fail(err, field, key, 400, "unknown_field", message);
            return false;
        }
    }
    return true;
}

bool validate_type_known(const char *type, const SubmitRules *rules)
{
    for (size_t i = 0; rules->types != NULL && i < rules->type_count; i++) {
        if (strcmp(type, rules->types[i]) == 0)
            return true;
    }
    return false;
}

static bool check_type(const json_t *root, const SubmitRules *rules, SubmitRequest *s, Error *err,
                       char *field)
{
    const json_t *v = json_object_get(root, "type");
    const char *type = json_string_value(v);

    if (v == NULL) {
        fail(err, field, "type", 400, "missing_field", "type is required");
        return false;
    }
    if (!json_is_string(v) || !validate_type_name(type)) {
        fail(err, field, "type", 400, "invalid_field",
             "type must be a lower-case name of at most 64 characters");
        return false;
    }
    if (!validate_type_known(type, rules)) {
        fail(err, field, "type", 422, "unknown_type", "this server runs no job of that type");
        return false;
    }
    strcpy(s->type, type); /* fits: validate_type_name caps it at 64 bytes */
    return true;
}

static bool check_items(const json_t *root, const SubmitRules *rules, SubmitRequest *s, Error *err,
                        char *field)
{
    json_t *v = json_object_get(root, "items");
    char message[ERROR_MESSAGE_SIZE];

    if (v == NULL) {
        fail(err, field, "items", 400, "missing_field", "items is required");
        return false;
    }
    if (!json_is_array(v)) {
        fail(err, field, "items", 400, "invalid_field", "items must be an array");
        return false;
    }
    if (json_array_size(v) == 0) {
        fail(err, field, "items", 422, "empty_items", "items must not be empty");
        return false;
    }
    if (json_array_size(v) > rules->max_items) {
        snprintf(message, sizeof message, "items has %zu entries; at most %zu are accepted",
                 json_array_size(v), rules->max_items);
        fail(err, field, "items", 422, "too_many_items", message);
        return false;
    }
    s->items = json_incref(v);
    return true;
}

/* check_int reads optional integer field name in [min, max] into *out,
 * which keeps its default when the field is absent or null. */
static bool check_int(const json_t *root, const char *name, int min, int max, int *out, Error *err,
                      char *field)
{
    const json_t *v = json_object_get(root, name);
    char message[ERROR_MESSAGE_SIZE];

    if (v == NULL || json_is_null(v))
        return true;
    /* The body is parsed with every number as a double (see
     * validate_submit), so an integer is a number with no fraction. */
    double d = json_is_number(v) ? json_number_value(v) : 0.5;
    /* The range first: converting a double outside int's range is undefined. */
    if (!(d >= min && d <= max) || d != (double)(int)d) {
        snprintf(message, sizeof message, "%s must be an integer between %d and %d", name, min,
                 max);
        fail(err, field, name, 400, "invalid_field", message);
        return false;
    }
    *out = (int)d;
    return true;
}

static bool check_run_at(const json_t *root, SubmitRequest *s, Error *err, char *field)
{
    const json_t *v = json_object_get(root, "run_at");
    const char *text = json_string_value(v);

    if (v == NULL || json_is_null(v))
        return true;
    if (text == NULL || strlen(text) >= sizeof s->run_at || !timestamp_valid_rfc3339(text)) {
        fail(err, field, "run_at", 400, "invalid_field",
             "run_at must be an RFC 3339 date-time with an offset, within years "
             "0001-9999 in UTC, such as 2026-11-26T10:00:00Z");
        return false;
    }
    strcpy(s->run_at, text);
    return true;
}

static bool check_metadata(const json_t *root, SubmitRequest *s, Error *err, char *field)
{
    json_t *v = json_object_get(root, "metadata");
    char message[ERROR_MESSAGE_SIZE];

    if (v == NULL || json_is_null(v)) {
        s->metadata = json_object();
        if (s->metadata == NULL)
            fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        return s->metadata != NULL;
    }
    if (!json_is_object(v)) {
        fail(err, field, "metadata", 400, "invalid_field", "metadata must be an object");
        return false;
    }
    if (json_object_size(v) > VALIDATE_METADATA_MAX_KEYS) {
        snprintf(message, sizeof message, "metadata has %zu keys; at most %d are accepted",
                 json_object_size(v), VALIDATE_METADATA_MAX_KEYS);
        fail(err, field, "metadata", 400, "invalid_field", message);
        return false;
    }
    s->metadata = json_incref(v);
    return true;
}

/* parse_body reads the body as JSON; a new reference or NULL with err. */
static json_t *parse_body(const char *body, size_t len, Error *err, char *field)
{
    json_error_t jerr;
    json_t *root;
    unsigned long failures = mem_failure_count();

    /* jansson reports some allocation failures as syntax errors, and one
     * at the start with no text and no code (hence the zeroed jerr): an
     * allocation that failed during the parse (mem.h) is what tells. */
    memset(&jerr, 0, sizeof jerr);
    /* JSON_DECODE_INT_AS_REAL: an integer past 64 bits is valid JSON and
     * jansson would refuse it; the SQL call reads the numbers from the body
     * text itself, so none loses a digit. */
    root = json_loadb(body != NULL ? body : "", body != NULL ? len : 0,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    if (root == NULL && (mem_failure_count() != failures || jerr.text[0] == '\0' ||
                         json_error_code(&jerr) == json_error_out_of_memory)) {
        fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    if (root == NULL) {
        error_set(err, 400, "malformed_json", "malformed JSON at line %d, column %d: %s", jerr.line,
                  jerr.column, jerr.text);
        field[0] = '\0';
        return NULL;
    }
    if (!json_is_object(root)) {
        fail(err, field, NULL, 400, "invalid_body", "the request body must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

SubmitRequest *validate_submit(const char *body, size_t len, const SubmitRules *rules, Error *err,
                               char field[VALIDATE_FIELD_SIZE])
{
    SubmitRequest *s = NULL;
    json_t *root = parse_body(body, len, err, field);

    if (root == NULL)
        goto fail;
    s = mem_calloc(1, sizeof *s);
    if (s == NULL) {
        fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    s->priority = 0;
    s->max_attempts = VALIDATE_DEFAULT_MAX_ATTEMPTS;
    if (!check_unknown(root, err, field) || !check_type(root, rules, s, err, field) ||
        !check_items(root, rules, s, err, field) ||
        !check_int(root, "priority", VALIDATE_PRIORITY_MIN, VALIDATE_PRIORITY_MAX, &s->priority,
                   err, field) ||
        !check_int(root, "max_attempts", VALIDATE_MAX_ATTEMPTS_MIN, VALIDATE_MAX_ATTEMPTS_MAX,
                   &s->max_attempts, err, field) ||
        !check_run_at(root, s, err, field) || !check_metadata(root, s, err, field))
        goto fail;
    json_decref(root);
    field[0] = '\0';
    return s;
fail:
    submit_request_free(s);
    json_decref(root);
    return NULL;
}

void submit_request_free(SubmitRequest *s)
{
    if (s == NULL)
        return;
    json_decref(s->items);
    json_decref(s->metadata);
    free(s);
}
