/* SPDX-License-Identifier: MIT */
/*
 * invoice_doc.h - an invoice from a document's bytes: PDF and HTML read
 * by the document readers (doc_text.h) and laid out as the invoice rules
 * read text (invoice_text.h), plain text read as it is.
 *
 * A PDF's spans keep their places in points; a vertical gap wider than a
 * line and a half, and a new page, make a blank line, as a layout-keeping
 * extractor writes them (the rules end a party's block or a table there).
 * HTML has no places: a table row's cells are placed by their index, so
 * that the cells of a column line up under its heading, and a new block
 * makes a blank line.  Plain text is read by the document reader too
 * (its limits apply), but laid out from its own text (DocText.plain):
 * the reader's lines squeeze the runs of spaces that are its columns.
 */
#ifndef PGJOB_INVOICE_DOC_H
#define PGJOB_INVOICE_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "doc_text.h"
#include "error.h"
#include "invoice.h"
#include "invoice_text.h"

/* invoice_text_from_doc lays doc out into *out (zeroed first); false
 * when memory ran out (*out is then empty). */
bool invoice_text_from_doc(const DocText *doc, InvoiceText *out)
    __attribute__((warn_unused_result));

/* invoice_from_doc reads the invoice of doc (from doc_read) into out:
 * plain text from doc->plain, PDF and HTML laid out as above.  False
 * with err set (out_of_memory) when memory ran out. */
bool invoice_from_doc(const DocText *doc, Invoice *out, Error *err)
    __attribute__((warn_unused_result));

/* invoice_read_document reads the invoice in bytes[len] (PDF, HTML or
 * plain text, told from the bytes) within limits (NULL: none) into out.
 * False with err set: a DOC_ERR_* code (the document cannot be read:
 * fail the job, no retry) or out_of_memory (status 500). */
bool invoice_read_document(const unsigned char *bytes, size_t len, const DocLimits *limits,
                           Invoice *out, Error *err) __attribute__((warn_unused_result));

#endif
