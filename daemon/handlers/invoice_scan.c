/* SPDX-License-Identifier: MIT */
/* invoice_scan.c - a document folded and labelled once (invoice_scan.h). */
#include "invoice_scan.h"

#include <stdlib.h>

#include "invoice_number.h"

bool invoice_scan_init(InvoiceScan *s, const InvoiceText *t)
{
    int votes[2] = {0, 0};
    double width = 0, chars = 0;

    s->text = t;
    s->lines = calloc(t->nlines + 1, sizeof(*s->lines));
    if (s->lines == NULL)
        return false;
    for (size_t i = 0; i < t->nlines; i++) {
        const InvoiceLine *l = &t->lines[i];
        InvoiceScanLine *sl = &s->lines[i];
        size_t len = 0;
        while (l->text[len] != '\0')
            len++;
        if (!invoice_fold(l->text, len, &sl->folded)) {
            s->text = t;
            invoice_scan_free(s);
            return false;
        }
        sl->nlabels = invoice_labels_find(&sl->folded, sl->labels, INVOICE_MAX_LABELS);
        invoice_number_vote(l->text, len, votes);
        for (size_t k = 0; k < l->nspans; k++) {
            /* characters, not bytes */
            size_t n = 0;
            for (size_t b = l->spans[k].off; b < l->spans[k].off + l->spans[k].len; b++)
                n += ((unsigned char)l->text[b] & 0xC0) != 0x80;
            width += l->spans[k].x1 - l->spans[k].x0;
            chars += (double)n;
        }
    }
    s->decimal = votes[0] > votes[1] ? ',' : votes[1] > votes[0] ? '.' : 0;
    s->char_width = chars > 0 && width > 0 ? width / chars : 1;
    return true;
}

void invoice_scan_free(InvoiceScan *s)
{
    if (s->lines != NULL) {
        for (size_t i = 0; i < s->text->nlines; i++)
            invoice_folded_free(&s->lines[i].folded);
    }
    free(s->lines);
    s->lines = NULL;
}

size_t invoice_scan_span_at(const InvoiceLine *l, size_t off)
{
    size_t found = l->nspans;
    for (size_t k = 0; k < l->nspans; k++) {
        if (l->spans[k].off <= off)
            found = k;
    }
    return found;
}

bool invoice_scan_has(const InvoiceScan *s, size_t i, InvoiceLabelKind kind)
{
    for (size_t k = 0; k < s->lines[i].nlabels; k++) {
        if (s->lines[i].labels[k].label->kind == kind)
            return true;
    }
    return false;
}
