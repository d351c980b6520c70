/* SPDX-License-Identifier: MIT */
/*
 * test_invoice_heldout.c - the invoice handler on the held-out corpora
 * tests/invoice/heldout/ (40 invoices) and tests/invoice/heldout2/ (36),
 * each written and labeled blind by another engineer (see their
 * READMEs).  The first was measured once after the first rules, then a
 * second time (not blind) after the causes of its misses were fixed on
 * new training fixtures; the second was measured once, after those
 * fixes were final and committed.  The rules must never be tuned on
 * these files.  The figures are in tests/integration/
 * test_invoice_heldout.py and docs/handlers/invoice.md.  invoice_heldout
 * reads the texts; invoice_pdf_heldout the same invoices as PDFs written
 * by groff into the folder PGJOB_INVOICE_HELDOUT_PDF_DIR names;
 * invoice_heldout2 and invoice_pdf_heldout2 (PGJOB_INVOICE_HELDOUT2_PDF_DIR)
 * the second set.  INVOICE_VERBOSE=1 lists every miss.
 */
#include <stdio.h>
#include <stdlib.h>

#include "invoice_score.h"
#include "suites.h"

#ifndef PGJOB_INVOICE_HELDOUT
#define PGJOB_INVOICE_HELDOUT "tests/invoice/heldout"
#endif
#ifndef PGJOB_INVOICE_HELDOUT2
#define PGJOB_INVOICE_HELDOUT2 "tests/invoice/heldout2"
#endif

/* Floors.  First use (text, at a68a6c6, blind): number 0.975, issue
 * date 1.000, due date 1.000, supplier name 0.950, supplier VAT 1.000,
 * customer name 0.725, customer VAT 0.875, currency 1.000, subtotal
 * 0.975, tax 0.950, VAT rates 0.950, total 0.950, line items 0.125,
 * flags 0.925, key fields 0.850.  Second use (text, at a50ccf1, NOT
 * blind: the first use's misses named the causes fixed): number 0.975,
 * issue date 1.000, due date 1.000, supplier name 0.950, supplier VAT
 * 1.000, customer name 1.000, customer VAT 1.000, currency 1.000,
 * subtotal 1.000, tax 1.000, VAT rates 1.000, total 0.975, line items
 * 0.825, flags 0.975, key fields 0.900.  The floors are the second use
 * less 0.05 (two invoices of 40), so that a regression fails but a
 * change that moves one invoice does not; the PDF run allows 0.05 more. */
static const double floors[SCORE_FIELDS] = {
    [SCORE_NUMBER] = 0.925,       [SCORE_ISSUE_DATE] = 0.95,   [SCORE_DUE_DATE] = 0.95,
    [SCORE_SUPPLIER_NAME] = 0.90, [SCORE_SUPPLIER_VAT] = 0.95, [SCORE_CUSTOMER_NAME] = 0.95,
    [SCORE_CUSTOMER_VAT] = 0.95,  [SCORE_CURRENCY] = 0.95,     [SCORE_SUBTOTAL] = 0.95,
    [SCORE_TAX] = 0.95,           [SCORE_VAT_RATES] = 0.95,    [SCORE_TOTAL] = 0.925,
    [SCORE_LINE_ITEMS] = 0.775,   [SCORE_FLAGS] = 0.925,       [SCORE_KEY_FIELDS] = 0.85,
};

static void check_floors(const InvoiceScore *s, const double *floor, size_t invoices, double slack)
{
    CHECK(s->invoices == invoices);
    for (int f = 0; f < SCORE_FIELDS; f++) {
        double acc = (double)s->right[f] / (double)s->invoices;
        if (!CHECK(acc >= floor[f] - slack))
            fprintf(stderr, "%s: %.3f under its floor %.2f\n", invoice_score_name(f), acc,
                    floor[f] - slack);
    }
}

static bool verbose(void)
{
    const char *v = getenv("INVOICE_VERBOSE");
    return v != NULL && v[0] == '1';
}

static void invoice_heldout(void)
{
    const char *const files[] = {PGJOB_INVOICE_HELDOUT "/labels.jsonl"};
    InvoiceScore s = {0};

    REQUIRE(invoice_score_corpus(files, 1, verbose(), &s));
    invoice_score_print("invoice held-out", &s);
    check_floors(&s, floors, 40, 0);
}

static void invoice_pdf_heldout(void)
{
    const char *dir = getenv("PGJOB_INVOICE_HELDOUT_PDF_DIR");
    InvoiceScore s = {0};

    if (dir == NULL || dir[0] == '\0') {
        printf("PGJOB_INVOICE_HELDOUT_PDF_DIR not set: nothing to read\n");
        return;
    }
    REQUIRE(
        invoice_score_documents(PGJOB_INVOICE_HELDOUT "/labels.jsonl", dir, "pdf", verbose(), &s));
    invoice_score_print("invoice held-out as PDF", &s);
    check_floors(&s, floors, 40, 0.05);
}

/* Floors of the second held-out set, measured once (text, at a50ccf1,
 * blind; the PDF run in brackets where it differs): number 0.861, issue
 * date 0.944, due date 1.000, supplier name 0.944, supplier VAT 0.972,
 * customer name 0.944, customer VAT 1.000, currency 0.972, subtotal
 * 0.889, tax 0.972, VAT rates 0.917, total 0.944, line items 0.667
 * (0.639), flags 0.889, key fields 0.639.  Each floor is the figure less
 * two invoices of 36 (0.056, rounded down to the hundredth), so that a
 * regression fails but a change that moves one invoice does not; the PDF
 * run allows 0.05 more. */
static const double floors2[SCORE_FIELDS] = {
    [SCORE_NUMBER] = 0.80,        [SCORE_ISSUE_DATE] = 0.88,   [SCORE_DUE_DATE] = 0.94,
    [SCORE_SUPPLIER_NAME] = 0.88, [SCORE_SUPPLIER_VAT] = 0.91, [SCORE_CUSTOMER_NAME] = 0.88,
    [SCORE_CUSTOMER_VAT] = 0.94,  [SCORE_CURRENCY] = 0.91,     [SCORE_SUBTOTAL] = 0.83,
    [SCORE_TAX] = 0.91,           [SCORE_VAT_RATES] = 0.86,    [SCORE_TOTAL] = 0.88,
    [SCORE_LINE_ITEMS] = 0.61,    [SCORE_FLAGS] = 0.83,        [SCORE_KEY_FIELDS] = 0.58,
};

/* The second held-out set, tests/invoice/heldout2/ (36 invoices written
 * and labeled blind by another engineer while the rules were being
 * fixed; see its README), measured once after the rules were final and
 * committed. */
static void invoice_heldout2(void)
{
    const char *const files[] = {PGJOB_INVOICE_HELDOUT2 "/labels.jsonl"};
    InvoiceScore s = {0};

    REQUIRE(invoice_score_corpus(files, 1, verbose(), &s));
    invoice_score_print("invoice held-out 2", &s);
    check_floors(&s, floors2, 36, 0);
}

static void invoice_pdf_heldout2(void)
{
    const char *dir = getenv("PGJOB_INVOICE_HELDOUT2_PDF_DIR");
    InvoiceScore s = {0};

    if (dir == NULL || dir[0] == '\0') {
        printf("PGJOB_INVOICE_HELDOUT2_PDF_DIR not set: nothing to read\n");
        return;
    }
    REQUIRE(
        invoice_score_documents(PGJOB_INVOICE_HELDOUT2 "/labels.jsonl", dir, "pdf", verbose(), &s));
    invoice_score_print("invoice held-out 2 as PDF", &s);
    check_floors(&s, floors2, 36, 0.05);
}

const Test invoice_heldout_tests[] = {
    {"invoice_heldout", invoice_heldout},
    {"invoice_pdf_heldout", invoice_pdf_heldout},
    {"invoice_heldout2", invoice_heldout2},
    {"invoice_pdf_heldout2", invoice_pdf_heldout2},
    {NULL, NULL},
};
