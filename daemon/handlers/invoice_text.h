/* SPDX-License-Identifier: MIT */
/*
 * invoice_text.h - an invoice's text as the invoice rules read it: lines,
 * each cut into spans (the runs of text a wide gap separates: the cells of
 * a table row, a label and a value far to its right), each span with its
 * horizontal place.  The place is a column of characters for plain text
 * and PDF points for a laid-out document; the rules only compare places
 * of the same document, never absolute values.
 *
 * Plain text is cut at runs of two or more spaces or a tab (the way a
 * layout-keeping extractor writes columns).  A document reader that knows
 * the boxes builds the lines itself with invoice_text_add_line.
 *
 * invoice_fold gives the form every label is matched in: lower case,
 * accents removed, every character but letters, digits, '%' and '#' read
 * as a space, spaces collapsed; with the map back to the original bytes.
 */
#ifndef PGJOB_INVOICE_TEXT_H
#define PGJOB_INVOICE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* InvoiceSpan is one span of a line: bytes [off, off + len) of its text. */
typedef struct InvoiceSpan {
    size_t off, len;
    double x0, x1; /* left and right edges */
} InvoiceSpan;

/* InvoiceLine is one line of text. */
typedef struct InvoiceLine {
    char *text; /* UTF-8, NUL-terminated, no newline */
    InvoiceSpan *spans;
    size_t nspans;    /* 0 for a blank line */
    double font_size; /* points; 0 when unknown */
} InvoiceLine;

/* InvoiceText is a document's lines, in reading order. */
typedef struct InvoiceText {
    InvoiceLine *lines;
    size_t nlines, cap;
} InvoiceText;

/* Bounds on what is read: longer lines are cut, further lines ignored. */
enum { INVOICE_MAX_LINE = 4096, INVOICE_MAX_LINES = 20000 };

/* invoice_text_from_plain cuts text[len] (UTF-8; CR, LF or CRLF line ends,
 * form feeds read as line ends) into *out (zeroed first).  False when
 * memory ran out (*out is then empty). */
bool invoice_text_from_plain(const char *text, size_t len, InvoiceText *out)
    __attribute__((warn_unused_result));

/* invoice_text_add_line appends a line whose spans are given: texts[i]
 * placed from x0[i] to x1[i], joined into the line's text with two
 * spaces; a span holding vertical rules ('|', box drawing) is cut at
 * them, as plain text is.  False when memory ran out. */
bool invoice_text_add_line(InvoiceText *t, const char *const *texts, const double *x0,
                           const double *x1, size_t n, double font_size)
    __attribute__((warn_unused_result));

/* invoice_text_free releases what *t holds and empties it. */
void invoice_text_free(InvoiceText *t);

/* InvoiceFolded is a folded string and where each of its bytes came from. */
typedef struct InvoiceFolded {
    char *s;      /* NUL-terminated */
    size_t *from; /* from[i]: byte of the source; from[len]: the source end */
    size_t len;
} InvoiceFolded;

/* invoice_fold folds src[len] into *out (see above), allocating it; a
 * leading and a trailing space are not kept.  False when memory ran out
 * (*out is then empty). */
bool invoice_fold(const char *src, size_t len, InvoiceFolded *out)
    __attribute__((warn_unused_result));

/* invoice_folded_free releases what invoice_fold allocated. */
void invoice_folded_free(InvoiceFolded *f);

/* invoice_fold_cstr folds a NUL-terminated src into dst[size] (no map). */
void invoice_fold_cstr(const char *src, char *dst, size_t size);

/* invoice_utf8_valid returns the length of the well-formed UTF-8
 * character at s[i] (of len bytes; RFC 3629: no overlong forms, no
 * surrogates, nothing over U+10FFFF), or 0 when the bytes there are not
 * one. */
size_t invoice_utf8_valid(const char *s, size_t len, size_t i);

/* invoice_utf8_next decodes the character at s[i] (of len bytes), stores
 * its code point in *cp (U+FFFD for a bad byte) and returns its length. */
size_t invoice_utf8_next(const char *s, size_t len, size_t i, unsigned *cp);

#endif
