/* SPDX-License-Identifier: MIT */
/* test_cgi_document.c tests the checks of a document job's submission
 * (cgi/document.c) that HTTP cannot reach alone. */
#include <stdlib.h>
#include <string.h>

#include "document.h"
#include "suites.h"

static const DocumentCaps caps = {.pdf = 1000, .html = 1000, .text = 1000};

/* check runs document_check on a submission of type with the items of
 * the JSON text items; the upload text is text. */
static DocumentCheck check(const char *type, const char *items, const char *text, bool upload,
                           Error *err, char *field)
{
    SubmitRequest s = {.priority = 0, .max_attempts = 3};
    char *fields = NULL;
    DocType doc = DOC_TYPE_UNKNOWN;
    DocumentCheck r;

    strcpy(s.type, type);
    s.items = json_loads(items, 0, NULL);
    r = document_check(&s, text, upload, &caps, &fields, &doc, err, field);
    json_decref(s.items);
    free(fields);
    return r;
}

/* An upload's own fields sent in JSON are refused, not taken for an
 * invoice's extracted fields (the bytes would stay inline). */
static void upload_fields_in_json(void)
{
    Error err = {0};
    char field[VALIDATE_FIELD_SIZE];

    CHECK_INT(check("invoice", "[{\"data_base64\": \"aGVsbG8=\"}]", NULL, false, &err, field),
              DOCUMENT_FAIL);
    CHECK_INT(err.status, 422);
    CHECK_STR(err.code, "invalid_item");
    CHECK_STR(field, "items[0]");
    CHECK_INT(check("invoice", "[{\"size_bytes\": 5, \"fields\": {}}]", NULL, false, &err, field),
              DOCUMENT_FAIL);
    CHECK_INT(err.status, 422);
    CHECK_INT(check("extract", "[{\"text\": \"a\", \"data_base64\": \"Zg==\"}]", NULL, false, &err,
                    field),
              DOCUMENT_FAIL);
    /* Extracted fields are still no document. */
    CHECK_INT(check("invoice", "[{\"fields\": {\"total\": 1}}]", NULL, false, &err, field),
              DOCUMENT_NONE);
}

/* An upload text without its data is the front end's fault, reported as
 * such, not as memory. */
static void malformed_upload_text(void)
{
    Error err = {0};
    char field[VALIDATE_FIELD_SIZE];
    const char *items = "[{\"filename\": \"a.pdf\", \"size_bytes\": 5}]";

    CHECK_INT(check("extract", items, "{\"items\":[{\"filename\":\"a.pdf\"}],\"metadata\":{}}",
                    true, &err, field),
              DOCUMENT_FAIL);
    CHECK_INT(err.status, 500);
    CHECK_STR(err.code, "malformed_upload");
    CHECK_INT(check("extract", items,
                    "{\"items\":[{\"filename\":\"a.pdf\",\"data_base64\":\"aGVsbG8=\"}],"
                    "\"metadata\":{}}",
                    true, &err, field),
              DOCUMENT_OK);
}

const Test cgi_document_tests[] = {
    {"cgi_document_upload_fields_in_json", upload_fields_in_json},
    {"cgi_document_malformed_upload_text", malformed_upload_text},
    {NULL, NULL},
};
