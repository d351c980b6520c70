/* SPDX-License-Identifier: MIT */
/* invoice_parties.c - supplier and customer, names and VAT ids (invoice_parties.h). */
#include "invoice_parties.h"

#include <ctype.h>
#include <string.h>

#include "invoice_window.h"

/* Block is a party's block: lines [first, last], places [x0, x1). */
typedef struct Block {
    bool found;
    size_t label_line, first, last;
    double x0, x1;
    char name[INVOICE_NAME_SIZE];
} Block;

/* has_letter says whether s[len] holds a letter (an ASCII one or any
 * non-ASCII character). */
static bool has_letter(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return true;
    }
    return false;
}

/* span_is_labels says whether span k of line i holds only labels (and
 * punctuation): "Bill To:", "Spett.le". */
static bool span_is_labels(const InvoiceScan *s, size_t i, size_t k)
{
    const InvoiceLine *l = &s->text->lines[i];
    const InvoiceScanLine *sl = &s->lines[i];
    size_t a = l->spans[k].off, b = a + l->spans[k].len;
    size_t covered = 0, letters = 0;

    for (size_t m = 0; m < sl->nlabels; m++) {
        if (sl->labels[m].start >= a && sl->labels[m].end <= b)
            covered += sl->labels[m].fend - sl->labels[m].fstart;
    }
    for (size_t f = 0; f < sl->folded.len; f++) {
        size_t from = sl->folded.from[f];
        if (from >= a && from < b && sl->folded.s[f] != ' ')
            letters++;
    }
    /* covered counts the spaces inside labels too */
    return letters > 0 && covered >= letters;
}

/* party_label finds the first label of kind at the start of a span; its
 * line, span and match. */
static bool party_label(const InvoiceScan *s, InvoiceLabelKind kind, size_t *line, size_t *span,
                        const InvoiceLabelMatch **match)
{
    for (size_t i = 0; i < s->text->nlines; i++) {
        const InvoiceLine *l = &s->text->lines[i];
        for (size_t m = 0; m < s->lines[i].nlabels; m++) {
            const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
            if (lm->label->kind != kind || s->lines[i].table)
                continue;
            size_t k = invoice_scan_span_at(l, lm->start);
            if (k == l->nspans || l->spans[k].off != lm->start)
                continue; /* not at the start of its cell */
            if (lm->label->alone) {
                /* all of the cell, or the label, ':' and a value */
                const char *rest = l->text + lm->end;
                size_t left = l->spans[k].off + l->spans[k].len - lm->end;
                while (left > 0 && (*rest == ' ' || *rest == '.')) {
                    rest++;
                    left--;
                }
                if (left > 0 && *rest != ':')
                    continue;
            }
            *line = i;
            *span = k;
            *match = lm;
            return true;
        }
    }
    return false;
}

/* in_block says whether span k of line i lies in b. */
static bool in_block(const InvoiceScan *s, const Block *b, size_t i, size_t k)
{
    const InvoiceSpan *sp = &s->text->lines[i].spans[k];
    double tol = s->char_width;
    return b->found && i >= b->first && i <= b->last && sp->x0 >= b->x0 - tol && sp->x0 < b->x1;
}

/* block_at builds the block of a label at line i, span k. */
static void block_at(const InvoiceScan *s, size_t i, size_t k, const InvoiceLabelMatch *lm,
                     Block *b)
{
    const InvoiceText *t = s->text;
    const InvoiceLine *l = &t->lines[i];
    const InvoiceSpan *sp = &l->spans[k];

    b->found = true;
    b->label_line = b->first = i;
    b->x0 = sp->x0;
    b->x1 = k + 1 < l->nspans ? l->spans[k + 1].x0 : 1e30;
    b->name[0] = '\0';
    /* the name after the label in its cell */
    size_t end = sp->off + sp->len;
    if (lm != NULL && lm->end < end && has_letter(l->text + lm->end, end - lm->end)) {
        invoice_copy_text(b->name, sizeof(b->name), l->text + lm->end, end - lm->end);
        /* "Client : Martin" keeps "Martin"; ". Martin" too */
        char *p = b->name;
        while (*p == '.' || *p == ' ' || *p == ':')
            p++;
        memmove(b->name, p, strlen(p) + 1);
    }
    /* or in the next cell of the line, when that is no label */
    if (b->name[0] == '\0' && lm != NULL && k + 1 < l->nspans && !span_is_labels(s, i, k + 1)) {
        const InvoiceSpan *next = &l->spans[k + 1];
        invoice_copy_text(b->name, sizeof(b->name), l->text + next->off, next->len);
        b->x1 = k + 2 < l->nspans ? l->spans[k + 2].x0 : 1e30;
    }
    /* down to the first blank line (in the column: a line with nothing
     * there ends it too) */
    b->last = i;
    for (size_t j = i + 1; j < t->nlines && j <= i + 12; j++) {
        const InvoiceLine *lj = &t->lines[j];
        bool any = false;
        for (size_t m = 0; m < lj->nspans; m++) {
            if (in_block(s,
                         &(Block){.found = true, .first = j, .last = j, .x0 = b->x0, .x1 = b->x1},
                         j, m)) {
                any = true;
                if (b->name[0] == '\0' && !span_is_labels(s, j, m))
                    invoice_copy_text(b->name, sizeof(b->name), lj->text + lj->spans[m].off,
                                      lj->spans[m].len);
                break;
            }
        }
        if (!any || s->lines[j].table)
            break;
        b->last = j;
    }
}

/* name_below says whether the line after i has, at place x0, a cell
 * that can be a name: letters, no label, no address. */
static bool name_below(const InvoiceScan *s, size_t i, double x0)
{
    if (i + 1 >= s->text->nlines)
        return false;
    const InvoiceLine *l = &s->text->lines[i + 1];
    for (size_t k = 0; k < l->nspans; k++) {
        const InvoiceSpan *sp = &l->spans[k];
        double d = sp->x0 - x0;
        if (d > s->char_width || d < -s->char_width)
            continue;
        return has_letter(l->text + sp->off, sp->len) && !span_is_labels(s, i + 1, k) &&
               s->lines[i + 1].nlabels == 0 &&
               !invoice_window_is_address(l->text + sp->off, sp->len);
    }
    return false;
}

/* letterhead finds the supplier's name when no label gives it: the first
 * cell of the first lines that is not a label, a date or a number. */
static void letterhead(const InvoiceScan *s, const Block *customer, Block *b)
{
    const InvoiceText *t = s->text;

    for (size_t i = 0; i < t->nlines && i < 40; i++) {
        const InvoiceLine *l = &t->lines[i];
        for (size_t k = 0; k < l->nspans; k++) {
            const InvoiceSpan *sp = &l->spans[k];
            if (in_block(s, customer, i, k) || span_is_labels(s, i, k) ||
                !has_letter(l->text + sp->off, sp->len))
                continue;
            /* a cell holding a label and more is a field, not a name */
            bool labelled = false;
            for (size_t m = 0; m < s->lines[i].nlabels; m++) {
                const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
                labelled |= lm->start >= sp->off && lm->start < sp->off + sp->len &&
                            lm->label->kind != LABEL_TITLE;
            }
            if (labelled)
                continue;
            size_t len = sp->len;
            const char *text = l->text + sp->off;
            /* an address line is no name; nor is a trade in capitals
             * printed above the name just below it */
            if (invoice_window_is_address(text, len) && !invoice_window_has_form(text, len))
                continue;
            if (invoice_window_is_trade(text, len) && name_below(s, i, sp->x0))
                continue;
            static const char *const cuts[] = {" \xc2\xb7 ", " | ", " \xe2\x80\x93 ", " - ",
                                               " \xe2\x80\xa2 "};
            for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
                const char *hit = strstr(text, cuts[c]);
                if (hit != NULL && (size_t)(hit - text) < len)
                    len = (size_t)(hit - text);
            }
            invoice_copy_text(b->name, sizeof(b->name), text, len);
            b->found = true;
            b->label_line = b->first = i;
            b->x0 = sp->x0;
            b->x1 = k + 1 < l->nspans ? l->spans[k + 1].x0 : 1e30;
            b->last = i;
            for (size_t j = i + 1; j < t->nlines && t->lines[j].nspans > 0; j++)
                b->last = j;
            return;
        }
    }
}

/* italian_label says whether line i names a partita IVA (or is an
 * Italian document's VAT line: "IVA" or "VAT" before the digits). */
static bool italian_label(const InvoiceScan *s, size_t i, const Invoice *inv)
{
    return invoice_scan_has(s, i, LABEL_VAT_ID_IT) ||
           (inv->language == LANG_IT && invoice_scan_has(s, i, LABEL_VAT_ID_CUSTOMER)) ||
           (inv->language == LANG_IT &&
            (invoice_scan_has(s, i, LABEL_VAT_ID) || invoice_scan_has(s, i, LABEL_TAX)));
}

void invoice_parties_read(const InvoiceScan *s, Invoice *inv)
{
    Block customer = {0}, supplier = {0};
    size_t line, span;
    const InvoiceLabelMatch *lm;

    bool labelled_customer = party_label(s, LABEL_CUSTOMER, &line, &span, &lm);
    if (labelled_customer)
        block_at(s, line, span, lm, &customer);
    if (party_label(s, LABEL_SUPPLIER, &line, &span, &lm))
        block_at(s, line, span, lm, &supplier);
    else
        letterhead(s, &customer, &supplier);
    /* no label before the customer: a letter's address window */
    InvoiceWindow w;
    if (!labelled_customer &&
        invoice_window_find(s, supplier.found ? supplier.first : (size_t)-1,
                            supplier.found ? supplier.last : 0, supplier.x0, &w)) {
        customer = (Block){.found = true,
                           .label_line = w.first,
                           .first = w.first,
                           .last = w.last,
                           .x0 = w.x0,
                           .x1 = w.x1};
        memcpy(customer.name, w.name, sizeof(customer.name));
    }
    memcpy(inv->customer_name, customer.name, sizeof(inv->customer_name));
    memcpy(inv->supplier_name, supplier.name, sizeof(inv->supplier_name));

    for (size_t i = 0; i < s->text->nlines; i++) {
        const InvoiceLine *l = &s->text->lines[i];
        size_t len = strlen(l->text), pos = 0, start, end;
        char vat[INVOICE_VAT_SIZE];
        bool it = italian_label(s, i, inv);
        if (s->lines[i].table)
            continue;
        while (invoice_vat_next(l->text, len, &pos, it, vat, &start, &end)) {
            size_t k = invoice_scan_span_at(l, start);
            bool in_customer = (k < l->nspans && in_block(s, &customer, i, k)) ||
                               invoice_scan_has(s, i, LABEL_VAT_ID_CUSTOMER);
            if (in_customer && inv->customer_vat[0] == '\0')
                memcpy(inv->customer_vat, vat, sizeof(vat));
            else if (!in_customer && inv->supplier_vat[0] == '\0')
                memcpy(inv->supplier_vat, vat, sizeof(vat));
        }
    }
}
