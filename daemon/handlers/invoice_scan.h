/* SPDX-License-Identifier: MIT */
/*
 * invoice_scan.h - the invoice rules' working copy of a document: each
 * line folded and its labels found once, the document's decimal
 * separator and the width of a character (the tolerance when spans are
 * compared by place).  Shared by the rule families (invoice_extract.c,
 * invoice_items.c, invoice_parties.c); nothing outside them uses it.
 */
#ifndef PGJOB_INVOICE_SCAN_H
#define PGJOB_INVOICE_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "invoice_labels.h"
#include "invoice_text.h"

enum { INVOICE_MAX_LABELS = 16 };

/* InvoiceScanLine is one line's folded text and labels. */
typedef struct InvoiceScanLine {
    InvoiceFolded folded;
    InvoiceLabelMatch labels[INVOICE_MAX_LABELS];
    size_t nlabels;
    bool table; /* a line-item table's heading or row: no totals there */
} InvoiceScanLine;

/* InvoiceScan is a document being read. */
typedef struct InvoiceScan {
    const InvoiceText *text;
    InvoiceScanLine *lines; /* text->nlines of them */
    char decimal;           /* ',' or '.', or 0 when the numbers do not say */
    double char_width;      /* mean width of a character in the spans' places */
} InvoiceScan;

/* invoice_scan_init folds t's lines and finds their labels; false when
 * memory ran out (nothing to free then). */
bool invoice_scan_init(InvoiceScan *s, const InvoiceText *t) __attribute__((warn_unused_result));

/* invoice_scan_free releases what invoice_scan_init allocated. */
void invoice_scan_free(InvoiceScan *s);

/* invoice_scan_span_at returns the index of the span of l that holds
 * byte off, or of the last span before it; l->nspans when l has none. */
size_t invoice_scan_span_at(const InvoiceLine *l, size_t off);

/* invoice_scan_has says whether line i has a label of kind. */
bool invoice_scan_has(const InvoiceScan *s, size_t i, InvoiceLabelKind kind);

#endif
