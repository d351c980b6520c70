/* SPDX-License-Identifier: MIT */
/*
 * invoice_labels.h - the words invoices label their fields with, in
 * Italian, English, German and French, as one dictionary: each label in
 * folded form (invoice_fold: "Partita IVA" is "partita iva", "Fällig am"
 * is "fallig am", "N° TVA" is "n tva"), what it labels and its language.
 *
 * A line is read by invoice_labels_find: at each word, the longest label
 * that starts there and ends at a word's end, so that "totale iva" is
 * the tax and not the total, "ust idnr" a VAT id and not the tax, and
 * "kundennummer" nothing at all.  The column headings of line-item tables
 * have their own small dictionary (invoice_labels_column), matched against
 * a whole heading cell.
 */
#ifndef PGJOB_INVOICE_LABELS_H
#define PGJOB_INVOICE_LABELS_H

#include <stddef.h>

#include "invoice_text.h"

/* InvoiceLabelKind is what a label labels. */
typedef enum InvoiceLabelKind {
    LABEL_NONE = 0,
    LABEL_NUMBER,          /* the invoice's number follows */
    LABEL_ISSUE_DATE,      /* the date of issue follows */
    LABEL_DUE_DATE,        /* the due date follows */
    LABEL_SUBTOTAL,        /* the taxable amount (net) */
    LABEL_TAX,             /* a tax amount, often with its rate */
    LABEL_TAX_TOTAL,       /* the sum of the taxes */
    LABEL_TOTAL,           /* the total; see InvoiceLabel.priority */
    LABEL_VAT_ID,          /* a VAT id follows */
    LABEL_VAT_ID_IT,       /* a partita IVA follows (11 bare digits are one) */
    LABEL_VAT_ID_CUSTOMER, /* the customer's VAT id follows ("Ihre USt-IdNr.") */
    LABEL_SUPPLIER,        /* the supplier's name follows or is below */
    LABEL_CUSTOMER,        /* the customer's name follows or is below */
    LABEL_RATE_HEAD,       /* heading of a VAT summary's rate column */
    LABEL_TITLE,           /* the document's kind: Fattura, Invoice, Rechnung... */
    LABEL_OTHER,           /* a label of something else, hiding shorter ones */
} InvoiceLabelKind;

/* InvoiceLanguage is a language of the labels. */
typedef enum InvoiceLanguage {
    LANG_ANY = 0,
    LANG_IT,
    LANG_EN,
    LANG_DE,
    LANG_FR,
    LANG_COUNT,
} InvoiceLanguage;

/* invoice_language_code is "it", "en", "de", "fr", or NULL for LANG_ANY. */
const char *invoice_language_code(InvoiceLanguage lang);

/* InvoiceLabel is one entry of the dictionary. */
typedef struct InvoiceLabel {
    const char *text; /* folded */
    InvoiceLabelKind kind;
    InvoiceLanguage lang;
    int priority; /* LABEL_TOTAL: 2 for the invoice's total, 1 for a payable amount or a bare
                     "total"; others 0 */
    int alone;    /* 1: only a label when it is all of its cell, or all of it but a value
                     after ':' ("An", "To") */
} InvoiceLabel;

/* InvoiceLabelMatch is one label found in a folded line. */
typedef struct InvoiceLabelMatch {
    const InvoiceLabel *label;
    size_t fstart, fend; /* in the folded line */
    size_t start, end;   /* in the source line */
} InvoiceLabelMatch;

/* invoice_labels_find finds the labels of the folded line f, left to
 * right, longest first, none overlapping; writes up to max of them to
 * out and returns their count. */
size_t invoice_labels_find(const InvoiceFolded *f, InvoiceLabelMatch *out, size_t max);

/* InvoiceColumn is what a column of a line-item table holds. */
typedef enum InvoiceColumn {
    COLUMN_NONE = 0,
    COLUMN_DESCRIPTION,
    COLUMN_QUANTITY,
    COLUMN_UNIT_PRICE,
    COLUMN_AMOUNT,
    COLUMN_VAT_RATE,
    COLUMN_CODE,     /* item code, position number */
    COLUMN_DISCOUNT, /* a discount: read, not reported */
    COLUMN_UNIT,     /* unit of measure */
} InvoiceColumn;

/* invoice_labels_column classifies a table heading cell (folded, whole);
 * *strength is 2 for a heading that can only be the description
 * ("Descrizione"), 1 for one that may also be a code ("Item", "Artikel"). */
InvoiceColumn invoice_labels_column(const char *folded, int *strength);

#endif
