/* SPDX-License-Identifier: MIT */
/*
 * test_invoice_corpus.c - the invoice handler's accuracy on its training
 * corpus, tests/invoice/corpus/ (labels.jsonl: 68 generated invoices in
 * four layouts per language; labels_hand.jsonl: 4 written by hand), field
 * by field, against the floors below.  invoice_corpus prints the tables;
 * tests/integration/test_invoice_corpus.py runs it and shows them.  Set
 * INVOICE_VERBOSE=1 to list every miss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "invoice_score.h"
#include "suites.h"

#ifndef PGJOB_INVOICE_CORPUS
#define PGJOB_INVOICE_CORPUS "tests/invoice/corpus"
#endif

/* Floors: see invoice_corpus below for why each is where it is. */
static const double floors[SCORE_FIELDS] = {
    [SCORE_NUMBER] = 0.95,        [SCORE_ISSUE_DATE] = 0.95,   [SCORE_DUE_DATE] = 0.95,
    [SCORE_SUPPLIER_NAME] = 0.95, [SCORE_SUPPLIER_VAT] = 0.95, [SCORE_CUSTOMER_NAME] = 0.95,
    [SCORE_CUSTOMER_VAT] = 0.95,  [SCORE_CURRENCY] = 0.95,     [SCORE_SUBTOTAL] = 0.95,
    [SCORE_TAX] = 0.95,           [SCORE_VAT_RATES] = 0.95,    [SCORE_TOTAL] = 0.95,
    [SCORE_LINE_ITEMS] = 0.90,    [SCORE_FLAGS] = 0.95,        [SCORE_KEY_FIELDS] = 0.90,
};

static void invoice_corpus(void)
{
    const char *const files[] = {PGJOB_INVOICE_CORPUS "/labels.jsonl",
                                 PGJOB_INVOICE_CORPUS "/labels_hand.jsonl"};
    InvoiceScore s = {0};
    const char *verbose = getenv("INVOICE_VERBOSE");

    REQUIRE(invoice_score_corpus(files, 2, verbose != NULL && verbose[0] == '1', &s));
    invoice_score_print("invoice corpus", &s);
    CHECK(s.invoices >= 60);
    for (int f = 0; f < SCORE_FIELDS; f++) {
        double acc = (double)s.right[f] / (double)s.invoices;
        if (!CHECK(acc >= floors[f]))
            fprintf(stderr, "%s: %.3f under its floor %.2f\n", invoice_score_name(f), acc,
                    floors[f]);
    }
}

/* The confidence's calibration (invoice_confidence.c's bands) is read
 * from this table: the corpus as written and damaged six ways (invoice_score_damaged).
 * The test holds what the calibration promises: a higher confidence band
 * is right at least as often as a lower one. */
static void invoice_calibration(void)
{
    const char *const files[] = {PGJOB_INVOICE_CORPUS "/labels.jsonl",
                                 PGJOB_INVOICE_CORPUS "/labels_hand.jsonl"};
    InvoiceScore s = {0};

    REQUIRE(invoice_score_corpus(files, 2, false, &s));
    REQUIRE(invoice_score_damaged(files, 2, 6, &s));
    invoice_score_print("invoice corpus, as written and damaged", &s);
    double prev = -1;
    for (int b = 0; b < 4; b++) {
        if (s.band_n[b] < 20)
            continue;
        double share = (double)s.band_right[b] / (double)s.band_n[b];
        CHECK(share >= prev);
        prev = share;
    }
}

/* The corpus as PDFs: tests/integration/test_invoice_pdf.py writes each
 * fixture as a PDF with groff (monospaced, so the columns stay) into the
 * folder PGJOB_INVOICE_PDF_DIR names, and runs this test.  The PDFs are
 * read by MuPDF (doc_text.h) and laid out by invoice_doc.c; the floors
 * are the text corpus's, less 0.05 for what a PDF reader may move. */
static void invoice_pdf_corpus(void)
{
    const char *dir = getenv("PGJOB_INVOICE_PDF_DIR");
    InvoiceScore s = {0};

    if (dir == NULL || dir[0] == '\0') {
        printf("PGJOB_INVOICE_PDF_DIR not set: nothing to read\n");
        return;
    }
    const char *verbose = getenv("INVOICE_VERBOSE");
    REQUIRE(invoice_score_documents(PGJOB_INVOICE_CORPUS "/labels.jsonl", dir, "pdf",
                                    verbose != NULL && verbose[0] == '1', &s));
    REQUIRE(invoice_score_documents(PGJOB_INVOICE_CORPUS "/labels_hand.jsonl", dir, "pdf",
                                    verbose != NULL && verbose[0] == '1', &s));
    invoice_score_print("invoice corpus as PDF", &s);
    CHECK(s.invoices >= 60);
    for (int f = 0; f < SCORE_FIELDS; f++) {
        double acc = (double)s.right[f] / (double)s.invoices;
        if (!CHECK(acc >= floors[f] - 0.05))
            fprintf(stderr, "%s: %.3f under its floor %.2f\n", invoice_score_name(f), acc,
                    floors[f] - 0.05);
    }
}

const Test invoice_corpus_tests[] = {
    {"invoice_pdf_corpus", invoice_pdf_corpus},
    {"invoice_corpus", invoice_corpus},
    {"invoice_calibration", invoice_calibration},
    {NULL, NULL},
};
