/* SPDX-License-Identifier: MIT */
/*
 * invoice_score.h - scoring the invoice handler against a labeled corpus
 * (tests/invoice/corpus/labels.jsonl and any other labels file of the
 * same shape): per-field accuracy, flag accuracy, and the share of
 * invoices whose key fields are all right by confidence band.  Used by
 * test_invoice_corpus.c on the training corpus and on the held-out set.
 */
#ifndef PGJOB_INVOICE_SCORE_H
#define PGJOB_INVOICE_SCORE_H

#include <stdbool.h>
#include <stddef.h>

/* The fields scored, in the order of the printed table. */
enum {
    SCORE_NUMBER,
    SCORE_ISSUE_DATE,
    SCORE_DUE_DATE,
    SCORE_SUPPLIER_NAME,
    SCORE_SUPPLIER_VAT,
    SCORE_CUSTOMER_NAME,
    SCORE_CUSTOMER_VAT,
    SCORE_CURRENCY,
    SCORE_SUBTOTAL,
    SCORE_TAX,
    SCORE_VAT_RATES,
    SCORE_TOTAL,
    SCORE_LINE_ITEMS,
    SCORE_FLAGS,      /* the exact set of flags */
    SCORE_KEY_FIELDS, /* number, issue date, supplier name, subtotal, tax, total all right */
    SCORE_FIELDS,
};

/* InvoiceScore is the tally of a corpus. */
typedef struct InvoiceScore {
    size_t invoices;
    size_t right[SCORE_FIELDS];
    /* per flag: labeled and raised, labeled only, raised only */
    size_t flag_tp[5], flag_fn[5], flag_fp[5];
    /* by confidence band [0, .5), [.5, .7), [.7, .9), [.9, 1]: invoices, key fields right */
    size_t band_n[4], band_right[4];
    /* by raw score (invoice_confidence_score) band, for the calibration:
     * [0, .4), [.4, .6), [.6, .75), [.75, .9), [.9, 1] */
    size_t raw_n[5], raw_right[5];
} InvoiceScore;

/* invoice_score_name is the printed name of field f. */
const char *invoice_score_name(int f);

/* invoice_score_corpus scores every labels file of labels[nlabels] (the
 * fixtures beside each), adding to *s; verbose prints each miss to
 * stderr.  False when a file cannot be read. */
bool invoice_score_corpus(const char *const *labels, size_t nlabels, bool verbose, InvoiceScore *s);

/* invoice_score_damaged scores the same invoices damaged the way text
 * extraction damages them: for each invoice, `variants` copies, each with
 * a different fifth of its lines dropped, then with every line's spaces
 * squeezed to one (columns lost).  The labels stay the same, so a field
 * on a dropped line is a miss: this is what the confidence is calibrated
 * on. */
bool invoice_score_damaged(const char *const *labels, size_t nlabels, int variants,
                           InvoiceScore *s);

/* invoice_score_documents scores the invoices of a labels file read
 * from documents: for fixture NAME.txt, dir/NAME.ext (a PDF or HTML
 * file), read by invoice_read_document. */
bool invoice_score_documents(const char *labels, const char *dir, const char *ext, bool verbose,
                             InvoiceScore *s);

/* invoice_score_print prints the tables of s under a title. */
void invoice_score_print(const char *title, const InvoiceScore *s);

#endif
