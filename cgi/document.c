/* SPDX-License-Identifier: MIT */
/* document.c - checks of a document job's submission (document.h). */
#include "document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "mem.h"
#include "sha256.h"

bool document_type(const char *type)
{
    return strcmp(type, "extract") == 0 || strcmp(type, "invoice") == 0;
}

static DocumentCheck fail(Error *err, char *field, const char *name, int status, const char *code,
                          const char *message)
{
    error_set(err, status, code, "%s", message);
    snprintf(field, VALIDATE_FIELD_SIZE, "%s", name);
    return DOCUMENT_FAIL;
}

/* upload_data finds the base64 data of an upload's item in upload.h's
 * body text: a new reference to its string, or NULL with *parsed false
 * when the text could not be parsed (upload.c wrote it: only memory can
 * run out) and true when it has no string data_base64 (a broken upload
 * text: a fault of the front end, not of memory). */
static json_t *upload_data(const char *text, bool *parsed)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *data =
        json_object_get(json_array_get(json_object_get(root, "items"), 0), "data_base64");

    *parsed = root != NULL;
    json_incref(data);
    json_decref(root);
    return json_is_string(data) ? data : (json_decref(data), NULL);
}

/* decode_data decodes the base64 string data into new memory *bytes. */
static DocumentCheck decode_data(const json_t *data, const char *name, unsigned char **bytes,
                                 size_t *len, Error *err, char *field)
{
    size_t n = json_string_length(data);

    *bytes = mem_malloc(base64_decoded_max(n) + 1);
    if (*bytes == NULL)
        return fail(err, field, "", 500, "out_of_memory", "out of memory");
    if (!base64_decode(json_string_value(data), n, *bytes, len)) {
        free(*bytes);
        *bytes = NULL;
        return fail(err, field, name, 400, "invalid_field",
                    "file_base64 must be standard base64 with padding, without line breaks");
    }
    return DOCUMENT_OK;
}

static size_t cap_of(const DocumentCaps *caps, DocType type)
{
    switch (type) {
        case DOC_TYPE_HTML:
            return caps->html;
        case DOC_TYPE_TEXT:
            return caps->text;
        default:
            return caps->pdf;
    }
}

/* describe writes the added fields of the stored item. */
static char *describe(DocType type, const unsigned char *bytes, size_t len, const json_t *filename)
{
    char hex[SHA256_HEX_SIZE];
    json_t *o;
    char *text;

    sha256_hex(bytes, len, hex);
    o = json_pack("{s:s, s:I, s:s}", "media_type", doc_media_type(type), "size_bytes",
                  (json_int_t)len, "sha256", hex);
    if (o != NULL && json_is_string(filename) &&
        json_object_set(o, "filename", (json_t *)filename) != 0) {
        json_decref(o);
        return NULL;
    }
    text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

DocumentCheck document_check(const SubmitRequest *s, const char *text, bool upload,
                             const DocumentCaps *caps, char **fields, DocType *type, Error *err,
                             char field[VALIDATE_FIELD_SIZE])
{
    const json_t *item = json_array_get(s->items, 0);
    const json_t *file = json_object_get(item, "file_base64");
    const json_t *plain = json_object_get(item, "text");
    const json_t *filename = json_object_get(item, "filename");
    const json_t *options = json_object_get(item, "options");
    json_t *data = NULL;
    const char *name = upload ? "file" : file != NULL ? "items[0].file_base64" : "items[0].text";
    unsigned char *bytes = NULL;
    size_t len = 0;
    DocumentCheck result = DOCUMENT_FAIL;
    char message[ERROR_MESSAGE_SIZE];

    *fields = NULL;
    field[0] = '\0';
    /* data_base64 and size_bytes describe an upload (upload.h), which
     * the front end writes itself: a client sending them in JSON would
     * otherwise pass as an invoice's fields with the bytes inline. */
    if (!upload && json_is_object(item) &&
        (json_object_get(item, "data_base64") != NULL ||
         json_object_get(item, "size_bytes") != NULL))
        return fail(err, field, "items[0]", 422, "invalid_item",
                    "data_base64 and size_bytes come only from a file upload; send the document "
                    "as file_base64 or text");
    if (!upload && strcmp(s->type, "invoice") == 0 && json_is_object(item) && file == NULL &&
        plain == NULL)
        return DOCUMENT_NONE;
    if (json_array_size(s->items) != 1)
        return fail(err, field, "items", 422, "too_many_items",
                    "a document job takes one item: one document");
    if (!json_is_object(item))
        return fail(err, field, "items[0]", 422, "invalid_item",
                    "the item of a document job must be an object with file_base64 or text");
    if (!upload && (file == NULL) == (plain == NULL))
        return fail(err, field, "items[0]", 422, "invalid_item",
                    "the item of a document job needs file_base64 or text, not both");
    if (filename != NULL && !json_is_null(filename) && !json_is_string(filename))
        return fail(err, field, "items[0].filename", 422, "invalid_item",
                    "filename must be a string");
    if (options != NULL && !json_is_null(options) && !json_is_object(options))
        return fail(err, field, "items[0].options", 422, "invalid_item",
                    "options must be an object");
    if (upload) {
        bool parsed;
        data = upload_data(text, &parsed);
        if (data == NULL && !parsed)
            return fail(err, field, "", 500, "out_of_memory", "out of memory");
        if (data == NULL)
            return fail(err, field, name, 500, "malformed_upload",
                        "the upload's item holds no file data (data_base64)");
        result = decode_data(data, name, &bytes, &len, err, field);
        json_decref(data);
        if (result != DOCUMENT_OK)
            return result;
    } else if (file != NULL) {
        if (!json_is_string(file))
            return fail(err, field, name, 400, "invalid_field", "file_base64 must be a string");
        if ((result = decode_data(file, name, &bytes, &len, err, field)) != DOCUMENT_OK)
            return result;
    } else {
        if (!json_is_string(plain))
            return fail(err, field, name, 422, "invalid_item", "text must be a string");
        len = json_string_length(plain);
        if (strlen(json_string_value(plain)) != len)
            return fail(err, field, name, 422, "invalid_item", "text must not hold a NUL");
        bytes = mem_malloc(len + 1);
        if (bytes == NULL)
            return fail(err, field, "", 500, "out_of_memory", "out of memory");
        memcpy(bytes, json_string_value(plain), len);
    }
    result = DOCUMENT_FAIL;
    *type = doc_detect(bytes, len);
    if (len == 0) {
        fail(err, field, name, 422, "empty_document", "the document has no bytes");
    } else if (len > cap_of(caps, *type)) {
        snprintf(message, sizeof message,
                 "the document (%s) has %zu bytes; at most %zu are accepted for that format",
                 doc_type_name(*type), len, cap_of(caps, *type));
        fail(err, field, name, 413, "document_too_large", message);
    } else if ((*fields = describe(*type, bytes, len, filename)) == NULL) {
        fail(err, field, "", 500, "out_of_memory", "out of memory");
    } else {
        result = DOCUMENT_OK;
    }
    free(bytes);
    return result;
}
