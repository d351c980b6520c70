/* SPDX-License-Identifier: MIT */
/*
 * doc_text.h - the text of a document (PDF, HTML or plain text) as the
 * document handlers (extract, invoice) read it: pages of lines, each line
 * with its text and, where the format gives it, its box, font size and
 * weight, and its spans (runs of text with a gap between them: the cells
 * of a table row, a label and its value).
 *
 * doc_read decides the format from the first bytes (never from a file
 * name or a Content-Type), checks the limits, and fills a DocText.  The
 * readers of each format live behind this one interface: doc_pdf.c (the
 * PDF library, the one file that names it), doc_html.c (libxml2's HTML
 * parser) and doc_text.c (plain text and the detection).
 *
 * Coordinates are PDF points (1/72 inch) from the page's top-left corner,
 * y growing downwards.  A format without layout (plain text, HTML) sets
 * DocText.has_layout false, every box to zeros and font_size to 0; HTML
 * still marks headings, list items and table rows by their elements
 * (DocLine.kind and level).  Plain text is one page unless it holds form
 * feeds, which start a new page.
 */
#ifndef PGJOB_DOC_TEXT_H
#define PGJOB_DOC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "doctype.h"
#include "error.h"

/* The error codes doc_read sets (Error.code), each with status 422
 * (DOC_ERROR_STATUS) but DOC_ERR_TOO_LARGE (413).  A document handler
 * fails the whole job with them, never retried (HANDLER_FATAL). */
#define DOC_ERR_UNSUPPORTED    "unsupported_type"     /* not PDF, HTML or text */
#define DOC_ERR_CORRUPT        "corrupt_document"     /* the reader cannot parse it */
#define DOC_ERR_ENCRYPTED      "encrypted_document"   /* needs a password */
#define DOC_ERR_NO_TEXT        "no_text"              /* no text layer (a scan) */
#define DOC_ERR_TOO_MANY_PAGES "too_many_pages"       /* over DocLimits.max_pages */
#define DOC_ERR_TOO_LARGE      "document_too_large"   /* over DocLimits.max_bytes */
#define DOC_ERR_STOPPED        "stopped"              /* page_done answered false */
#define DOC_ERR_TOO_COMPLEX    "document_too_complex" /* over a page's time, memory or chars */
/* The message of DOC_ERR_NO_TEXT, word for word what the clients expect. */
#define DOC_NO_TEXT_MESSAGE "Unable to extract text from document"
enum { DOC_ERROR_STATUS = 422 };

/* DocLineKind is what a line is, when the format says so (HTML); a PDF's
 * lines are all DOC_LINE_TEXT, their role left to font size and place. */
typedef enum DocLineKind {
    DOC_LINE_TEXT = 0,  /* body text */
    DOC_LINE_HEADING,   /* level 1..6 (h1..h6) */
    DOC_LINE_LIST_ITEM, /* level = nesting depth from 1; ordered in DocLine.ordered */
    DOC_LINE_TABLE_ROW, /* one row; each cell one span; level 1 for a header row */
} DocLineKind;

/* DocBox is a rectangle in points, top-left origin: x0 <= x1, y0 <= y1. */
typedef struct DocBox {
    double x0, y0, x1, y1;
} DocBox;

/* DocSpan is a run of a line's text without a wide gap in it. */
typedef struct DocSpan {
    char *text;       /* UTF-8, NUL-terminated, no newline */
    DocBox box;       /* zeros without layout */
    double font_size; /* points; 0 when unknown */
    bool bold;
} DocSpan;

/* DocLine is one line of text.  Its text is its spans' texts joined by
 * one space (a tab between the cells of a DOC_LINE_TABLE_ROW). */
typedef struct DocLine {
    char *text;       /* UTF-8, NUL-terminated, no newline */
    DocBox box;       /* union of the spans' boxes; zeros without layout */
    double font_size; /* the largest of its spans; 0 when unknown */
    bool bold;        /* every span bold */
    int block;        /* index of its block (paragraph) on the page, from 0 */
    DocLineKind kind;
    int level;    /* see DocLineKind; 0 otherwise */
    bool ordered; /* a DOC_LINE_LIST_ITEM of an ordered list */
    DocSpan *spans;
    size_t nspans; /* >= 1 */
} DocLine;

/* DocPage is one page; number counts from 1. */
typedef struct DocPage {
    int number;
    double width, height; /* points; 0 without layout */
    char *text;           /* the lines' texts, each ending in '\n' */
    DocLine *lines;
    size_t nlines;
} DocPage;

/* DocText is a whole document, owned by the caller: doc_free releases
 * what doc_read put in it. */
typedef struct DocText {
    DocType type;
    bool has_layout; /* boxes and font sizes are real (PDF) */
    char *title;     /* the document's own title (PDF Info, HTML <title>), or NULL */
    DocPage *pages;
    size_t npages;
    size_t nchars; /* UTF-8 characters of all pages' texts */
    /* A text document's own text (a BOM cut), plain_len bytes: its runs
     * of spaces, which the lines squeeze, are columns to the invoice
     * rules.  NULL for PDF and HTML. */
    char *plain;
    size_t plain_len;
} DocText;

/* DocLimits bounds what doc_read accepts; 0 means no bound. */
typedef struct DocLimits {
    size_t max_bytes; /* the document's size */
    int max_pages;    /* pages of a PDF (or form-feed pages of text) */
    /* A PDF's cost, which its size does not bound (a few KB of Flate can
     * hold millions of characters): the time for one page, the memory
     * the PDF library holds for the document, the characters of one
     * page.  Past any of them doc_read fails with DOC_ERR_TOO_COMPLEX. */
    int page_seconds;
    size_t max_memory;
    size_t max_page_chars;
    /* Called after each page of a PDF, when not NULL, with arg: a long
     * document takes seconds, and a handler must report progress (its
     * lease) meanwhile.  Returning false stops the reading: doc_read
     * fails with DOC_ERR_STOPPED.  It is also called about every second
     * while one page of a PDF is read. */
    bool (*page_done)(void *arg);
    void *arg;
} DocLimits;

/* doc_init prepares the readers' libraries (libxml2's parser); call it
 * once, before threads read documents.  Calling it again is harmless. */
void doc_init(void);

/* doc_read reads bytes[len] (borrowed; any bytes) within limits (NULL:
 * none) into *out.  On success returns true and out holds at least one
 * page with text.  On failure returns false with err set to one of the
 * DOC_ERR_* codes (or 500 out_of_memory) and *out empty (nothing to
 * free, though doc_free is harmless).  Thread-safe: pgjobd reads several
 * documents at once. */
bool doc_read(const unsigned char *bytes, size_t len, const DocLimits *limits, DocText *out,
              Error *err) __attribute__((warn_unused_result));

/* doc_free releases what doc_read put in *doc and empties it.  doc may be
 * NULL. */
void doc_free(DocText *doc);

#endif
