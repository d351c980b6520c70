/* SPDX-License-Identifier: MIT */
/*
 * doctype.h - which format a document is (PDF, HTML, plain text), from
 * its first bytes, never from a file name or a Content-Type.  The front
 * end uses it for the size caps of each format; pgjobd's readers
 * (daemon/handlers/doc_text.h) to pick a reader.
 */
#ifndef PGJOB_DOCTYPE_H
#define PGJOB_DOCTYPE_H

#include <stdbool.h>
#include <stddef.h>

/* DocType is a document's format, from its bytes. */
typedef enum DocType {
    DOC_TYPE_UNKNOWN = 0, /* none of the below: refused */
    DOC_TYPE_PDF,         /* starts with %PDF- (within its first 1024 bytes) */
    DOC_TYPE_HTML,        /* <!DOCTYPE html, <html, <head, <body... after spaces */
    DOC_TYPE_TEXT,        /* valid UTF-8 without NULs or other binary controls */
} DocType;

/* doc_detect says which format bytes[len] is, from its first bytes. */
DocType doc_detect(const unsigned char *bytes, size_t len);

/* doc_type_name is "pdf", "html", "text" or "unknown". */
const char *doc_type_name(DocType type);

/* doc_media_type is "application/pdf", "text/html", "text/plain" or
 * "application/octet-stream". */
const char *doc_media_type(DocType type);

/* The model (extractor name and version) of each built-in document job
 * type: pgjobd writes it in the job's "model", and the front end asks
 * the result cache for results of that model only, so that a new
 * version never serves the results of the old one.  Change the version
 * whenever the output of the same document can change. */
#define DOC_MODEL_EXTRACT "pgjob-extract/1"
#define DOC_MODEL_INVOICE "pgjob-invoice-rules/2"

/* doc_job_model is the model of job type `type` (DOC_MODEL_*), or NULL
 * for a type that is not a built-in document type. */
const char *doc_job_model(const char *type);

#endif
