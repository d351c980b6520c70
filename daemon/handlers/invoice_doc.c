/* SPDX-License-Identifier: MIT */
/* invoice_doc.c - an invoice from a PDF, HTML or text document (invoice_doc.h). */
#include "invoice_doc.h"

#include <stdlib.h>
#include <string.h>

#include "invoice_extract.h"

/* The place of an HTML table cell: cell k spans [k * CELL, k * CELL + CELL - 1). */
#define CELL 100.0

/* add_blank appends a blank line. */
static bool add_blank(InvoiceText *t)
{
    return invoice_text_add_line(t, NULL, NULL, NULL, 0, 0);
}

/* add_doc_line appends one DocLine with its spans placed. */
static bool add_doc_line(InvoiceText *t, const DocLine *l, bool layout)
{
    const char **texts = calloc(l->nspans + 1, sizeof(char *));
    double *x0 = calloc(l->nspans + 1, sizeof(double));
    double *x1 = calloc(l->nspans + 1, sizeof(double));
    bool ok = texts != NULL && x0 != NULL && x1 != NULL;

    for (size_t k = 0; ok && k < l->nspans; k++) {
        texts[k] = l->spans[k].text;
        if (layout) {
            x0[k] = l->spans[k].box.x0;
            x1[k] = l->spans[k].box.x1;
        } else {
            /* table cells by index; other lines one cell wide at the left */
            x0[k] = (double)k * CELL;
            x1[k] = (double)k * CELL + CELL - 1;
        }
    }
    ok = ok && invoice_text_add_line(t, texts, x0, x1, l->nspans, l->font_size);
    free(texts);
    free(x0);
    free(x1);
    return ok;
}

bool invoice_text_from_doc(const DocText *doc, InvoiceText *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t p = 0; p < doc->npages; p++) {
        const DocPage *page = &doc->pages[p];
        if (p > 0 && !add_blank(out))
            goto oom;
        for (size_t i = 0; i < page->nlines; i++) {
            const DocLine *l = &page->lines[i];
            if (i > 0) {
                const DocLine *prev = &page->lines[i - 1];
                double size = prev->font_size > 0 ? prev->font_size : 10;
                bool gap = doc->has_layout ? l->box.y0 - prev->box.y0 > 1.8 * size
                                           : l->block != prev->block;
                if (gap && !add_blank(out))
                    goto oom;
            }
            if (!add_doc_line(out, l, doc->has_layout))
                goto oom;
        }
    }
    return true;
oom:
    invoice_text_free(out);
    return false;
}

bool invoice_from_doc(const DocText *doc, Invoice *out, Error *err)
{
    InvoiceText t;
    bool ok;

    invoice_init(out);
    /* Plain text as it was sent: its runs of spaces are columns. */
    if (doc->plain != NULL)
        ok = invoice_text_from_plain(doc->plain, doc->plain_len, &t);
    else
        ok = invoice_text_from_doc(doc, &t);
    if (!ok) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return false;
    }
    ok = invoice_extract(&t, out);
    invoice_text_free(&t);
    if (!ok)
        error_set(err, 500, "out_of_memory", "out of memory");
    return ok;
}

bool invoice_read_document(const unsigned char *bytes, size_t len, const DocLimits *limits,
                           Invoice *out, Error *err)
{
    DocText doc;
    bool ok;

    invoice_init(out);
    if (!doc_read(bytes, len, limits, &doc, err))
        return false;
    ok = invoice_from_doc(&doc, out, err);
    doc_free(&doc);
    return ok;
}
