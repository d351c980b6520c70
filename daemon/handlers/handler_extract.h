/* SPDX-License-Identifier: MIT */
/*
 * handler_extract.h - the "extract" built-in handler: a document (PDF,
 * HTML or text; doc_job.h) to its text page by page, its structure as
 * Markdown (doc_markdown.h) and its metadata.  docs/handlers/extract.md
 * describes the output.
 *
 * Its settings are a DocSettings (doc_job.h).  A document that cannot be
 * read fails the job, never retried, with the reader's error code
 * (no_text, corrupt_document, encrypted_document, unsupported_type,
 * too_many_pages, document_too_large).
 */
#ifndef PGJOB_HANDLER_EXTRACT_H
#define PGJOB_HANDLER_EXTRACT_H

#include "doc_text.h"
#include "handler.h"

/* The name and version in the job's "model" (common/doctype.h, which
 * the front end's result cache reads too). */
#define EXTRACT_MODEL DOC_MODEL_EXTRACT

extern const Handler handler_extract;

/* extract_output returns the output object of doc (see
 * docs/handlers/extract.md), with each page's text when pages is true;
 * NULL when memory runs out. */
json_t *extract_output(const DocText *doc, bool pages);

#endif
