/* SPDX-License-Identifier: MIT */
/*
 * doc_build.h - what the readers of doc_text.h share: appending pages,
 * lines and spans to a DocText, finishing it (each line's text, box and
 * font from its spans; each page's text; the character count), and the
 * readers themselves, one per format.  Private to doc_*.c.
 */
#ifndef PGJOB_DOC_BUILD_H
#define PGJOB_DOC_BUILD_H

#include "doc_text.h"

/* doc_add_page appends an empty page (numbered after the last) and
 * returns it, or NULL when out of memory.  The pointer is valid until
 * the next doc_add_page. */
DocPage *doc_add_page(DocText *doc, double width, double height);

/* doc_add_line appends an empty line to page and returns it, or NULL
 * when out of memory.  Valid until the next doc_add_line on page. */
DocLine *doc_add_line(DocPage *page, DocLineKind kind, int level, int block);

/* doc_add_span appends len bytes of text (UTF-8; cut at a NUL, newlines
 * and tabs made spaces, ends trimmed) as a span of line.  An empty span
 * is dropped.  False only when out of memory. */
bool doc_add_span(DocLine *line, const char *text, size_t len, DocBox box, double font_size,
                  bool bold);

/* doc_merge_rows joins the lines of page that sit side by side on one
 * baseline (the cells of a table row, a label and its value, which a PDF
 * library often reports as lines of their own) into one line, its spans
 * ordered left to right.  For readers with layout, before doc_finish.
 * False when out of memory (the page stays whole, partly merged). */
bool doc_merge_rows(DocPage *page);

/* doc_finish drops lines without spans and pages are kept even when
 * empty; sets each line's text, box, font size and weight, each page's
 * text and doc->nchars.  False when out of memory. */
bool doc_finish(DocText *doc);

/* The readers: each fills an empty doc or fails with a DOC_ERR_* code
 * (or out_of_memory), leaving doc for the caller to free.  doc_read has
 * checked the type and max_bytes. */
bool doc_read_pdf(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                  Error *err);
void doc_html_init(void);
bool doc_read_html(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *doc,
                   Error *err);

#endif
