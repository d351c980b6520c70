/* SPDX-License-Identifier: MIT */
/*
 * document.h - the submission of a document job (types "extract" and
 * "invoice"): one item that carries a document, whose bytes go to their
 * own table (pgjob.document, sql/010_documents.sql) instead of the job's
 * items, so that claims stay small.
 *
 * The one item, in a JSON body:
 *   {"file_base64": "<standard padded base64>", "filename": "a.pdf",
 *    "options": {...}, "custom_id": ...}
 *   {"text": "<the document as text: plain text or HTML>", "options": ...}
 * or the file part of a multipart upload (upload.h).  filename, options
 * (an object) and custom_id are optional.  An "invoice" item with neither
 * file_base64 nor text is not a document (already extracted fields): it
 * is submitted as any other item.
 *
 * The format comes from the bytes (common/doctype.h): PDF, HTML, text;
 * another format is accepted here and fails its job with
 * unsupported_type, so that every document error reads the same way.
 * Each format has its size cap (document_max_pdf_bytes, _html_, _text_;
 * an unknown format the PDF one).  The stored item is the client's item
 * without its data, plus {"media_type", "size_bytes", "sha256"} (the
 * SHA-256 of the bytes, hex).
 *
 * Errors (status, code, field):
 *   422 too_many_items     items      more than one item
 *   422 invalid_item       items[0]   not an object; both or neither of
 *                                     file_base64 and text (extract); a
 *                                     bad filename or options
 *   400 invalid_field      items[0].file_base64   not padded base64
 *   422 invalid_item       items[0].text          holds a NUL
 *   422 empty_document     the data field         no bytes
 *   413 document_too_large the data field         over its format's cap
 *   500 out_of_memory
 */
#ifndef PGJOB_DOCUMENT_H
#define PGJOB_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "doctype.h"
#include "error.h"
#include "validate.h"

/* DocumentCaps are the size caps of each format, bytes. */
typedef struct DocumentCaps {
    size_t pdf, html, text;
} DocumentCaps;

/* DocumentCheck is what document_check found. */
typedef enum DocumentCheck {
    DOCUMENT_NONE, /* not a document job: submit it as usual */
    DOCUMENT_OK,   /* a document: *fields holds the stored item's added fields */
    DOCUMENT_FAIL, /* err and field say why */
} DocumentCheck;

/* document_type says whether jobs of type carry a document. */
bool document_type(const char *type);

/* document_check checks the validated submission s of a document type
 * (upload: it came as multipart/form-data, and text is upload.h's body
 * text holding the file; else text is the JSON body, unused).  On
 * DOCUMENT_OK sets *fields to new JSON text (free()) of
 * {"media_type", "size_bytes", "sha256"[, "filename"]} and *type to the
 * document's format. */
DocumentCheck document_check(const SubmitRequest *s, const char *text, bool upload,
                             const DocumentCaps *caps, char **fields, DocType *type, Error *err,
                             char field[VALIDATE_FIELD_SIZE]);

#endif
