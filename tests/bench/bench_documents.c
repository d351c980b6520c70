/* SPDX-License-Identifier: MIT */
/*
 * bench_documents.c - pages per second per core of the extract handler,
 * run through the handler interface as pgjobd runs it (the document
 * handed over by the context, the output built as JSON and encoded),
 * from a PDF and from plain text, beside doc_read alone (the reader
 * without the Markdown and JSON).  CPU time of this process, median of
 * several runs, so a busy machine slows the figures less than wall time.
 *
 * usage: bench_documents DOC.pdf DOC.txt [DOC.html]
 * The Makefile's bench target makes the documents from tests/documents/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "doc_text.h"
#include "handler.h"
#include "handler_extract.h"

enum { RUNS = 5 };

/* A run lasts at least this much CPU time, seconds. */
static const double RUN_SECONDS = 0.5;

typedef struct Doc {
    unsigned char *bytes;
    size_t len;
    size_t pages;
} Doc;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool progress(void *arg, size_t done)
{
    (void)arg;
    (void)done;
    return true;
}

static HandlerDocument document(void *arg, const unsigned char **bytes, size_t *len, Error *err)
{
    const Doc *d = arg;
    (void)err;
    *bytes = (const unsigned char *)d->bytes;
    *len = d->len;
    return HANDLER_DOC_OK;
}

static Doc load(const char *path)
{
    Doc d = {0};
    FILE *f = fopen(path, "rb");
    DocText text;
    Error err = {0};

    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        exit(1);
    }
    d.len = (size_t)ftell(f);
    rewind(f);
    d.bytes = malloc(d.len + 1);
    if (d.bytes == NULL || fread(d.bytes, 1, d.len, f) != d.len) {
        perror(path);
        exit(1);
    }
    fclose(f);
    if (!doc_read(d.bytes, d.len, NULL, &text, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        exit(1);
    }
    d.pages = text.npages;
    doc_free(&text);
    return d;
}

/* one_extract runs the handler once and encodes its result. */
static void one_extract(Doc *d)
{
    json_t *items = json_pack("[{s:s}]", "filename", "bench");
    HandlerContext ctx = {.progress = progress, .arg = d, .document = document};
    HandlerJob job = {.id = "bench", .type = "extract", .attempt = 1, .items = items};
    HandlerOutput out = {.results = json_array(),
                         .validation_flags = json_array(),
                         .confidence = -1,
                         .cache_hit = -1};
    Error err = {0};

    if (handler_extract.run(&ctx, &job, &out, &err) != HANDLER_OK) {
        fprintf(stderr, "extract failed: %s\n", err.message);
        exit(1);
    }
    free(json_dumps(out.results, JSON_COMPACT));
    json_decref(out.results);
    json_decref(out.validation_flags);
    json_decref(items);
}

static void one_read(Doc *d)
{
    DocText text;
    Error err = {0};
    if (!doc_read(d->bytes, d->len, NULL, &text, &err))
        exit(1);
    doc_free(&text);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* pages_per_second is the median over RUNS runs of fn on d. */
static double pages_per_second(void (*fn)(Doc *), Doc *d)
{
    double rates[RUNS];

    for (int r = 0; r < RUNS; r++) {
        double t0 = cpu_seconds(), t;
        size_t n = 0;
        do {
            fn(d);
            n++;
        } while ((t = cpu_seconds() - t0) < RUN_SECONDS);
        rates[r] = (double)(n * d->pages) / t;
    }
    qsort(rates, RUNS, sizeof rates[0], by_value);
    return rates[RUNS / 2];
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"PDF", "text", "HTML"};

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s DOC.pdf DOC.txt [DOC.html]\n", argv[0]);
        return 2;
    }
    doc_init();
    printf("extract, pages per second per core (CPU time, median of %d runs):\n", RUNS);
    for (int i = 1; i < argc; i++) {
        Doc d = load(argv[i]);
        double read = pages_per_second(one_read, &d);
        double full = pages_per_second(one_extract, &d);
        printf("  %-5s %4zu pages, %7zu bytes: %8.0f pages/s extract, %8.0f pages/s read alone\n",
               names[i - 1], d.pages, d.len, full, read);
        free(d.bytes);
    }
    return 0;
}
