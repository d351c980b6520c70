/* SPDX-License-Identifier: MIT */
/*
 * bench_handlers.c - items per second per core of the built-in handlers,
 * run through the handler interface as pgjobd runs them (results built as
 * JSON, progress reported), on the labeled corpora of tests/, beside the
 * echo handler over the same items as the baseline of the interface's
 * own cost.  CPU time of this process, so a busy machine slows the
 * figures less than wall time would; median of several runs.
 *
 * usage: bench_handlers ENRICH_CORPUS.tsv CONTACT_CORPUS.jsonl [INVOICE_LABELS.jsonl [PDF_DIR]]
 * (the invoices: the text fixtures a labels file names, beside it, each
 * an item {"text": ...}; and the same invoices as PDFs in PDF_DIR, read by
 * the document reader and the rules, fields, flags and result JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "doc_text.h"
#include "handler.h"
#include "handler_contact.h"
#include "handler_echo.h"
#include "handler_enrich.h"
#include "handler_invoice.h"
#include "invoice_confidence.h"
#include "invoice_doc.h"
#include "invoice_flags.h"
#include "invoice_json.h"

enum { RUNS = 5, BATCH = 100 };

/* A run lasts at least this much CPU time, seconds. */
static const double RUN_SECONDS = 0.4;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool progress(void *arg, size_t items_done)
{
    (void)arg;
    (void)items_done;
    return true;
}

/* load_enrich reads the descriptors (first column) of the enrich corpus. */
static json_t *load_enrich(const char *path)
{
    FILE *f = fopen(path, "r");
    json_t *items = json_array();
    char line[4096];

    if (f == NULL || items == NULL) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\t\n")] = '\0';
        json_array_append_new(items, json_string(line));
    }
    fclose(f);
    return items;
}

/* load_contact reads the "input" records of the contact corpus. */
static json_t *load_contact(const char *path)
{
    FILE *f = fopen(path, "r");
    json_t *items = json_array();
    char line[8192];

    if (f == NULL || items == NULL) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *row = json_loads(line, 0, NULL);
        json_t *input = json_object_get(row, "input");
        if (input != NULL)
            json_array_append(items, input);
        json_decref(row);
    }
    fclose(f);
    return items;
}

/* load_invoices reads the text fixtures named by a labels file (one JSON
 * object with "file" per line) as items {"text": ...}. */
static json_t *load_invoices(const char *labels)
{
    FILE *f = fopen(labels, "r");
    json_t *items = json_array();
    char line[65536], dir[1024], path[2048];

    if (f == NULL || items == NULL) {
        perror(labels);
        exit(1);
    }
    snprintf(dir, sizeof(dir), "%s", labels);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *row = json_loads(line, 0, NULL);
        const char *file = json_string_value(json_object_get(row, "file"));
        if (file != NULL) {
            snprintf(path, sizeof(path), "%s/%s", dir, file);
            FILE *t = fopen(path, "rb");
            char text[65536];
            size_t n = t != NULL ? fread(text, 1, sizeof(text) - 1, t) : 0;
            if (t == NULL) {
                perror(path);
                exit(1);
            }
            fclose(t);
            text[n] = '\0';
            json_array_append_new(items, json_pack("{s:s%}", "text", text, n));
        }
        json_decref(row);
    }
    fclose(f);
    return items;
}

/* run_batches runs handler over items in jobs of BATCH items for at least
 * RUN_SECONDS of CPU time; returns items per CPU second. */
static double run_batches(const Handler *handler, const json_t *items)
{
    size_t n = json_array_size(items), done = 0;
    HandlerContext ctx = {.progress = progress};
    double start = cpu_seconds(), spent = 0;

    while (spent < RUN_SECONDS) {
        for (size_t off = 0; off < n; off += BATCH) {
            json_t *batch = json_array();
            for (size_t i = off; i < n && i < off + BATCH; i++)
                json_array_append(batch, json_array_get(items, i));
            json_t *empty = json_array(), *meta = json_object();
            HandlerJob job = {.id = "00000000-0000-4000-8000-000000000000",
                              .type = handler->name,
                              .attempt = 1,
                              .items = batch,
                              .metadata = meta,
                              .results = empty};
            HandlerOutput out = {.results = json_array(),
                                 .validation_flags = json_array(),
                                 .confidence = -1,
                                 .cache_hit = -1};
            Error err = {0};
            if (handler->run(&ctx, &job, &out, &err) != HANDLER_OK) {
                fprintf(stderr, "%s failed: %s\n", handler->name, err.message);
                exit(1);
            }
            done += json_array_size(batch);
            json_decref(out.results);
            json_decref(out.validation_flags);
            json_decref(batch);
            json_decref(empty);
            json_decref(meta);
        }
        spent = cpu_seconds() - start;
    }
    return (double)done / spent;
}

/* Pdfs is the invoices as PDF files, in memory. */
typedef struct Pdfs {
    unsigned char **bytes;
    size_t *len;
    size_t n;
} Pdfs;

static Pdfs load_pdfs(const char *labels, const char *dir)
{
    Pdfs p = {0};
    FILE *f = fopen(labels, "r");
    char line[65536], path[2048];

    if (f == NULL) {
        perror(labels);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *row = json_loads(line, 0, NULL);
        const char *file = json_string_value(json_object_get(row, "file"));
        if (file != NULL) {
            char base[1024];
            snprintf(base, sizeof(base), "%s", file);
            char *dot = strrchr(base, '.');
            if (dot != NULL)
                *dot = '\0';
            snprintf(path, sizeof(path), "%s/%s.pdf", dir, base);
            FILE *pf = fopen(path, "rb");
            unsigned char *buf = malloc(1 << 20);
            if (pf == NULL || buf == NULL) {
                perror(path);
                exit(1);
            }
            p.bytes = realloc(p.bytes, (p.n + 1) * sizeof(*p.bytes));
            p.len = realloc(p.len, (p.n + 1) * sizeof(*p.len));
            if (p.bytes == NULL || p.len == NULL)
                exit(1);
            p.len[p.n] = fread(buf, 1, 1 << 20, pf);
            p.bytes[p.n++] = buf;
            fclose(pf);
        }
        json_decref(row);
    }
    fclose(f);
    return p;
}

/* pdf_rate reads every PDF (document reader, rules, flags, result JSON)
 * for at least RUN_SECONDS of CPU time; invoices per CPU second. */
static double pdf_rate(const Pdfs *p)
{
    double start = cpu_seconds(), spent = 0;
    size_t done = 0;

    while (spent < RUN_SECONDS) {
        for (size_t i = 0; i < p->n; i++) {
            Invoice inv;
            Error err = {0};
            if (!invoice_read_document(p->bytes[i], p->len[i], NULL, &inv, &err)) {
                fprintf(stderr, "invoice PDF %zu: %s\n", i, err.message);
                exit(1);
            }
            unsigned flags = invoice_flags_check(&inv);
            json_t *out = invoice_to_json(&inv, flags, invoice_confidence(&inv, flags), 0, "pdf");
            json_decref(out);
            invoice_free(&inv);
            done++;
        }
        spent = cpu_seconds() - start;
    }
    return (double)done / spent;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_rate(const Handler *handler, const json_t *items)
{
    double rates[RUNS];

    for (int i = 0; i < RUNS; i++)
        rates[i] = run_batches(handler, items);
    qsort(rates, RUNS, sizeof(rates[0]), by_value);
    return rates[RUNS / 2];
}

int main(int argc, char **argv)
{
    doc_init(); /* the document readers' libraries, once */
    if (argc < 3 || argc > 5) {
        fprintf(stderr,
                "usage: bench_handlers ENRICH_CORPUS.tsv CONTACT_CORPUS.jsonl "
                "[INVOICE_LABELS.jsonl [PDF_DIR]]\n");
        return 2;
    }
    json_t *descriptors = load_enrich(argv[1]), *records = load_contact(argv[2]);
    double enrich = median_rate(&handler_enrich, descriptors);
    double enrich_base = median_rate(&handler_echo, descriptors);
    double contact = median_rate(&handler_contact, records);
    double contact_base = median_rate(&handler_echo, records);

    printf(
        "\nbuilt-in handlers: items per second per core (CPU time), jobs of %d items,"
        " median of %d runs\n",
        BATCH, RUNS);
    printf("%-34s %12s %12s %7s  %s\n", "handler (corpus)", "items/s", "echo", "ratio", "aim");
    printf("%-34s %12.0f %12.0f %7.2f  >= 100000/s: %s\n", "enrich (tests/enrich, descriptors)",
           enrich, enrich_base, enrich / enrich_base, enrich >= 100000 ? "met" : "MISSED");
    printf("%-34s %12.0f %12.0f %7.2f  -\n", "contact (tests/contact, records)", contact,
           contact_base, contact / contact_base);
    if (argc >= 4) {
        json_t *invoices = load_invoices(argv[3]);
        double invoice = median_rate(&handler_invoice, invoices);
        double invoice_base = median_rate(&handler_echo, invoices);
        printf("%-34s %12.0f %12.0f %7.2f  -\n", "invoice (tests/invoice, from text)", invoice,
               invoice_base, invoice / invoice_base);
        json_decref(invoices);
    }
    if (argc == 5) {
        Pdfs pdfs = load_pdfs(argv[3], argv[4]);
        double rates[RUNS];
        for (int i = 0; i < RUNS; i++)
            rates[i] = pdf_rate(&pdfs);
        qsort(rates, RUNS, sizeof(rates[0]), by_value);
        printf("%-34s %12.0f %12s %7s  -\n", "invoice (the same, as PDF)", rates[RUNS / 2], "-",
               "-");
        for (size_t i = 0; i < pdfs.n; i++)
            free(pdfs.bytes[i]);
        free(pdfs.bytes);
        free(pdfs.len);
    }
    printf("baseline: the echo handler over the same items, through the same interface\n");
    json_decref(descriptors);
    json_decref(records);
    return 0;
}
