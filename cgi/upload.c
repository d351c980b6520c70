/* SPDX-License-Identifier: MIT */
/*
 * upload.c turns a multipart/form-data submission into a SubmitRequest
 * and the JSON text of its one item; see upload.h for the rules.
 */
#include "upload.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "mem.h"
#include "multipart.h"
#include "strnum.h"
#include "timestamp.h"
#include "utf8.h"

/* The parts a submission may have, in the order they are checked. */
typedef enum UploadPart {
    PART_TYPE,
    PART_FILE,
    PART_PRIORITY,
    PART_MAX_ATTEMPTS,
    PART_RUN_AT,
    PART_METADATA,
    PART_COUNT
} UploadPart;

static const char *const part_names[PART_COUNT] = {
    "type", "file", "priority", "max_attempts", "run_at", "metadata",
};

/* The frame of the body text around the item, its data and the metadata. */
static const char text_open[] = "{\"items\":[";
static const char text_data[] = ",\"data_base64\":\"";
static const char text_meta[] = "\"}],\"metadata\":";

/* fail fills err and field (name NULL: no field); false, for returns. */
static bool fail(Error *err, char field[VALIDATE_FIELD_SIZE], const char *name, int status,
                 const char *code, const char *message)
{
    error_set(err, status, code, "%s", message);
    snprintf(field, VALIDATE_FIELD_SIZE, "%s", name != NULL ? name : "");
    return false;
}

/* part_text copies a text part's value into out[size]; false when it is
 * too long or holds a NUL. */
static bool part_text(const MultipartPart *part, char *out, size_t size)
{
    if (part->len >= size || memchr(part->data, '\0', part->len) != NULL)
        return false;
    memcpy(out, part->data, part->len);
    out[part->len] = '\0';
    return true;
}

/* find_parts fills found[] with each known part (NULL when absent),
 * failing on an unknown or repeated part or a text part with a filename. */
static bool find_parts(const MultipartForm *form, const MultipartPart *found[PART_COUNT],
                       Error *err, char *field)
{
    char message[ERROR_MESSAGE_SIZE];

    for (size_t i = 0; i < PART_COUNT; i++)
        found[i] = NULL;
    for (size_t i = 0; i < form->count; i++) {
        const MultipartPart *part = &form->parts[i];
        size_t k = 0;
        while (k < PART_COUNT && strcmp(part->name, part_names[k]) != 0)
            k++;
        if (k == PART_COUNT) {
            snprintf(message, sizeof message, "unknown part \"%s\"", part->name);
            fail(err, field, part->name, 400, "unknown_field", message);
            return false;
        }
        if (found[k] != NULL) {
            snprintf(message, sizeof message, "the part \"%s\" is sent twice", part->name);
            fail(err, field, part->name, 400, "invalid_multipart", message);
            return false;
        }
        if (k != PART_FILE && part->has_filename) {
            snprintf(message, sizeof message, "%s must be a text field, not a file", part->name);
            fail(err, field, part->name, 400, "invalid_field", message);
            return false;
        }
        found[k] = part;
    }
    return true;
}

static bool check_type(const MultipartPart *part, const SubmitRules *rules, SubmitRequest *s,
                       Error *err, char *field)
{
    if (part == NULL)
        return fail(err, field, "type", 400, "missing_field", "type is required");
    if (!part_text(part, s->type, sizeof s->type) || !validate_type_name(s->type))
        return fail(err, field, "type", 400, "invalid_field",
                    "type must be a lower-case name of at most 64 characters");
    if (!validate_type_known(s->type, rules))
        return fail(err, field, "type", 422, "unknown_type",
                    "this server runs no job of that type");
    return true;
}

static bool check_file(const MultipartPart *part, const SubmitRules *rules, Error *err, char *field)
{
    if (part == NULL)
        return fail(err, field, "file", 400, "missing_field", "file is required");
    if (!part->has_filename || part->filename[0] == '\0')
        return fail(err, field, "file", 400, "invalid_field",
                    "the file part must have a filename in its Content-Disposition");
    if (!utf8_valid(part->filename) || !utf8_valid(part->content_type))
        return fail(err, field, "file", 400, "invalid_field",
                    "the file's filename and Content-Type must be UTF-8");
    if (part->len == 0)
        return fail(err, field, "file", 422, "empty_items", "the file must not be empty");
    if (rules->max_items < 1)
        return fail(err, field, "file", 422, "too_many_items",
                    "items has 1 entries; at most 0 are accepted");
    return true;
}

/* check_int reads optional integer part name in [min, max] into *out,
 * which keeps its default when the part is absent. */
static bool check_int(const MultipartPart *part, const char *name, int min, int max, int *out,
                      Error *err, char *field)
{
    char text[16], message[ERROR_MESSAGE_SIZE];

    if (part == NULL)
        return true;
    if (!part_text(part, text, sizeof text) || !strnum_int(text, min, max, out)) {
        snprintf(message, sizeof message, "%s must be an integer between %d and %d", name, min,
                 max);
        return fail(err, field, name, 400, "invalid_field", message);
    }
    return true;
}

static bool check_run_at(const MultipartPart *part, SubmitRequest *s, Error *err, char *field)
{
    if (part == NULL)
        return true;
    if (!part_text(part, s->run_at, sizeof s->run_at) || !timestamp_valid_rfc3339(s->run_at)) {
        s->run_at[0] = '\0';
        return fail(err, field, "run_at", 400, "invalid_field",
                    "run_at must be an RFC 3339 date-time with an offset, within years "
                    "0001-9999 in UTC, such as 2026-11-26T10:00:00Z");
    }
    return true;
}

/* parse_metadata reads the metadata part as JSON: a new reference, or
 * NULL with err. */
static json_t *parse_metadata(const MultipartPart *part, Error *err, char *field)
{
    json_error_t jerr;
    json_t *v;
    unsigned long failures = mem_failure_count();

    /* As validate.c reads a body: see there for the flags and for telling
     * out of memory from a syntax error. */
    memset(&jerr, 0, sizeof jerr);
    v = json_loadb(part->data, part->len,
                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    if (v == NULL && (mem_failure_count() != failures || jerr.text[0] == '\0' ||
                      json_error_code(&jerr) == json_error_out_of_memory)) {
        fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    if (v == NULL) {
        error_set(err, 400, "invalid_field",
                  "metadata must be a JSON object; malformed JSON at line %d, column %d: %s",
                  jerr.line, jerr.column, jerr.text);
        snprintf(field, VALIDATE_FIELD_SIZE, "metadata");
    }
    return v;
}

/* check_metadata sets s->metadata, and *text and *len to the metadata's
 * JSON text (borrowed from the body, or "{}"). */
static bool check_metadata(const MultipartPart *part, SubmitRequest *s, const char **text,
                           size_t *len, Error *err, char *field)
{
    char message[ERROR_MESSAGE_SIZE];
    json_t *v = NULL;

    *text = "{}";
    *len = 2;
    /* A NUL would end the text the SQL call reads; jansson refuses one
     * too, but says so less clearly. */
    if (part != NULL && memchr(part->data, '\0', part->len) != NULL)
        return fail(err, field, "metadata", 400, "invalid_field", "metadata must be a JSON object");
    if (part != NULL && (v = parse_metadata(part, err, field)) == NULL)
        return false;
    if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
        json_decref(v);
        return fail(err, field, "metadata", 400, "invalid_field", "metadata must be an object");
    }
    if (json_is_object(v) && json_object_size(v) > VALIDATE_METADATA_MAX_KEYS) {
        snprintf(message, sizeof message, "metadata has %zu keys; at most %d are accepted",
                 json_object_size(v), VALIDATE_METADATA_MAX_KEYS);
        json_decref(v);
        return fail(err, field, "metadata", 400, "invalid_field", message);
    }
    if (json_is_object(v)) {
        s->metadata = v;
        *text = part->data;
        *len = part->len;
        return true;
    }
    json_decref(v); /* null, or absent */
    s->metadata = json_object();
    if (s->metadata == NULL)
        return fail(err, field, NULL, 500, "out_of_memory", "out of memory");
    return true;
}

/* new_item returns the item of file without its data (a new reference),
 * or NULL when out of memory. */
static json_t *new_item(const MultipartPart *file)
{
    const char *type = file->content_type[0] ? file->content_type : UPLOAD_DEFAULT_CONTENT_TYPE;
    json_t *item = json_object();

    if (item == NULL || json_object_set_new(item, "filename", json_string(file->filename)) != 0 ||
        json_object_set_new(item, "content_type", json_string(type)) != 0 ||
        json_object_set_new(item, "size_bytes", json_integer((json_int_t)file->len)) != 0) {
        json_decref(item);
        return NULL;
    }
    return item;
}

/* append copies n bytes to *p and moves it past them. */
static void append(char **p, const char *bytes, size_t n)
{
    memcpy(*p, bytes, n);
    *p += n;
}

/* build_text writes the body text (upload.h) for the item (as new_item
 * made it) of file and the metadata text: new text, or NULL when out of
 * memory. */
static char *build_text(const json_t *item, const MultipartPart *file, const char *meta,
                        size_t meta_len)
{
    size_t head = json_dumpb(item, NULL, 0, JSON_COMPACT);
    size_t data = base64_encoded_len(file->len);
    char *text, *p;

    /* head is "{...}": the data goes in before its closing brace. */
    if (head < 2 || data > SIZE_MAX / 4 || meta_len > SIZE_MAX / 4 || head > SIZE_MAX / 4)
        return NULL;
    text = mem_malloc(sizeof text_open + head + sizeof text_data + data + sizeof text_meta +
                      meta_len + 2);
    if (text == NULL)
        return NULL;
    p = text;
    append(&p, text_open, sizeof text_open - 1);
    if (json_dumpb(item, p, head, JSON_COMPACT) != head) {
        free(text);
        return NULL;
    }
    p += head - 1;
    append(&p, text_data, sizeof text_data - 1);
    if (!base64_encode(file->data, file->len, p, data + 1)) {
        free(text);
        return NULL;
    }
    p += data;
    append(&p, text_meta, sizeof text_meta - 1);
    append(&p, meta, meta_len);
    append(&p, "}", 2);
    return text;
}

/* check_form runs the checks of upload.h on the parts of form into s,
 * and sets *meta and *meta_len to the metadata's text. */
static bool check_form(const MultipartForm *form, const SubmitRules *rules, SubmitRequest *s,
                       const MultipartPart **file, const char **meta, size_t *meta_len, Error *err,
                       char *field)
{
    const MultipartPart *found[PART_COUNT];

    if (!find_parts(form, found, err, field) ||
        !check_type(found[PART_TYPE], rules, s, err, field) ||
        !check_file(found[PART_FILE], rules, err, field) ||
        !check_int(found[PART_PRIORITY], "priority", VALIDATE_PRIORITY_MIN, VALIDATE_PRIORITY_MAX,
                   &s->priority, err, field) ||
        !check_int(found[PART_MAX_ATTEMPTS], "max_attempts", VALIDATE_MAX_ATTEMPTS_MIN,
                   VALIDATE_MAX_ATTEMPTS_MAX, &s->max_attempts, err, field) ||
        !check_run_at(found[PART_RUN_AT], s, err, field) ||
        !check_metadata(found[PART_METADATA], s, meta, meta_len, err, field))
        return false;
    *file = found[PART_FILE];
    return true;
}

SubmitRequest *upload_submit(const char *content_type, const char *body, size_t len,
                             const SubmitRules *rules, char **body_text, Error *err,
                             char field[VALIDATE_FIELD_SIZE])
{
    MultipartForm form; /* about 10 KB, on the stack: parts borrow from body */
    const MultipartPart *file = NULL;
    const char *meta = NULL;
    size_t meta_len = 0;
    SubmitRequest *s = NULL;
    json_t *item = NULL;

    *body_text = NULL;
    field[0] = '\0';
    if (!multipart_parse(content_type, body, len, &form, err))
        return NULL;
    s = mem_calloc(1, sizeof *s);
    if (s == NULL) {
        fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    s->priority = 0;
    s->max_attempts = VALIDATE_DEFAULT_MAX_ATTEMPTS;
    if (!check_form(&form, rules, s, &file, &meta, &meta_len, err, field))
        goto fail;
    item = new_item(file);
    s->items = json_array();
    if (item == NULL || s->items == NULL || json_array_append(s->items, item) != 0 ||
        (*body_text = build_text(item, file, meta, meta_len)) == NULL) {
        fail(err, field, NULL, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    json_decref(item);
    return s;
fail:
    json_decref(item);
    submit_request_free(s);
    return NULL;
}
