/* SPDX-License-Identifier: MIT */
/*
 * test_invoice_corpus.c - the invoice handler's accuracy on its training
 * corpus, tests/invoice/corpus/ (labels.jsonl: 68 generated invoices in
 * four layouts per language; labels_hand.jsonl: 14 written by hand, 10
 * of them for the causes of the first held-out set's misses), field
 * by field, against the floors below.  invoice_corpus prints the tables;
 * tests/integration/test_invoice_corpus.py runs it and shows them.  Set
 * INVOICE_VERBOSE=1 to list every miss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "handler_invoice.h"
#include "invoice_extract.h"
#include "invoice_flags.h"
#include "invoice_json.h"
#include "invoice_text.h"

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

/* next_random is a fixed-seed generator: the same mutations every run. */
static unsigned next_random(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* One corpus fixture, read whole. */
static char *fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", PGJOB_INVOICE_CORPUS, name);
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 16);
    if (f == NULL || buf == NULL) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Damaged and hostile texts (bytes flipped, cut anywhere, invalid UTF-8,
 * NULs, lines far over the line bound, numbers far over any amount) go
 * through the handler without a crash (run under ASan by make asan) and
 * give a result or a per-item error, never NULL. */
static void invoice_garbage(void)
{
    static const char *const names[] = {"002_it_clean.txt", "019_en_clean.txt", "036_de_clean.txt",
                                        "067_fr_all_but_rate.txt", "101_it_hand_riepilogo.txt"};
    static const char hostile[] = "\xff\xfe\xc3\x28\xe2\x82\xf0\x9f\x98 \x00%#.,'-/:";
    unsigned state = 12345;

    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        size_t len = 0;
        char *text = fixture(names[n], &len);
        REQUIRE(text != NULL && len > 0);
        for (int round = 0; round < 200; round++) {
            char *copy = malloc(len + 1);
            REQUIRE(copy != NULL);
            memcpy(copy, text, len + 1);
            size_t cut = round % 7 == 0 ? next_random(&state) % len : len;
            for (int k = 0; k < 1 + round % 20; k++)
                copy[next_random(&state) % len] =
                    hostile[next_random(&state) % (sizeof(hostile) - 1)];
            json_t *item = json_pack("{s:s%}", "text", copy, cut > 0 ? cut : 1);
            unsigned flags;
            double confidence;
            json_t *result =
                item != NULL ? handler_invoice_item(item, 0, &flags, &confidence) : NULL;
            /* jansson refuses invalid UTF-8: then there is nothing to run */
            CHECK(item == NULL || result != NULL);
            /* the rules themselves take any bytes, NULs and bad UTF-8 too */
            InvoiceText t;
            Invoice inv;
            REQUIRE(invoice_text_from_plain(copy, cut, &t));
            REQUIRE(invoice_extract(&t, &inv));
            json_t *out = invoice_to_json(&inv, invoice_flags_check(&inv), 0.5, 0, "text");
            CHECK(out != NULL);
            json_decref(out);
            invoice_free(&inv);
            invoice_text_free(&t);
            json_decref(result);
            json_decref(item);
            free(copy);
        }
        free(text);
    }

    /* long lines, huge numbers, many labels in a row */
    size_t big = 300000;
    char *s = malloc(big + 1);
    REQUIRE(s != NULL);
    for (size_t i = 0; i < big; i++)
        s[i] = "9999999999999999.99 Totale IVA 22% "[i % 35];
    s[big] = '\0';
    json_t *item = json_pack("{s:s}", "text", s);
    unsigned flags;
    double confidence;
    json_t *result = handler_invoice_item(item, 0, &flags, &confidence);
    CHECK(result != NULL);
    json_decref(result);
    json_decref(item);
    for (size_t i = 0; i < big; i++)
        s[i] = i % 50 == 49 ? '\n' : "1.234.567,89  "[i % 14];
    item = json_pack("{s:s}", "text", s);
    result = handler_invoice_item(item, 0, &flags, &confidence);
    CHECK(result != NULL);
    json_decref(result);
    json_decref(item);
    free(s);
}

const Test invoice_corpus_tests[] = {
    {"invoice_garbage", invoice_garbage},
    {"invoice_pdf_corpus", invoice_pdf_corpus},
    {"invoice_corpus", invoice_corpus},
    {"invoice_calibration", invoice_calibration},
    {NULL, NULL},
};
