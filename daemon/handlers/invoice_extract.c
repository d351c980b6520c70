/* SPDX-License-Identifier: MIT */
/* invoice_extract.c - an invoice's fields from its text (invoice_extract.h). */
#include "invoice_extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "invoice_date.h"
#include "invoice_items.h"
#include "invoice_parties.h"
#include "invoice_scan.h"

/* Currencies counted while reading amounts. */
typedef struct Currencies {
    char code[8][4];
    int count[8];
    size_t n;
} Currencies;

static void count_currency(Currencies *c, const char *code)
{
    if (code[0] == '\0')
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->code[i], code) == 0) {
            c->count[i]++;
            return;
        }
    }
    if (c->n < 8) {
        memcpy(c->code[c->n], code, 4);
        c->count[c->n++] = 1;
    }
}

static const char *top_currency(const Currencies *c)
{
    int best = 0;
    const char *code = NULL;
    for (size_t i = 0; i < c->n; i++) {
        if (c->count[i] > best) {
            best = c->count[i];
            code = c->code[i];
        }
    }
    return code;
}

/* ---- language ------------------------------------------------------------- */

static InvoiceLanguage guess_language(const InvoiceScan *s)
{
    int votes[LANG_COUNT] = {0};
    InvoiceLanguage best = LANG_ANY;

    for (size_t i = 0; i < s->text->nlines; i++) {
        for (size_t m = 0; m < s->lines[i].nlabels; m++)
            votes[s->lines[i].labels[m].label->lang]++;
    }
    for (int l = LANG_IT; l < LANG_COUNT; l++) {
        if (votes[l] > votes[best] || (best == LANG_ANY && votes[l] > 0))
            best = (InvoiceLanguage)l;
    }
    return best;
}

/* ---- the invoice's number --------------------------------------------------- */

/* number_token copies the token at text[i] (after separators) to out;
 * false when it is no invoice number (no digit, or a date). */
static bool number_token(const char *text, size_t len, size_t i, char out[INVOICE_NUMBER_SIZE])
{
    for (;;) {
        if (i < len && strchr(" \t:.#", text[i]) != NULL)
            i++;
        else if (i + 1 < len && (unsigned char)text[i] == 0xC2 &&
                 ((unsigned char)text[i + 1] == 0xB0 || (unsigned char)text[i + 1] == 0xBA))
            i += 2; /* ° º */
        else
            break;
    }
    size_t end = i;
    while (end < len && text[end] != ' ' && text[end] != '\t')
        end++;
    while (end > i && strchr(",;:.)", text[end - 1]) != NULL)
        end--;
    if (end == i || end - i >= INVOICE_NUMBER_SIZE)
        return false;
    bool digit = false;
    for (size_t k = i; k < end; k++)
        digit |= isdigit((unsigned char)text[k]) != 0;
    invoice_copy_text(out, INVOICE_NUMBER_SIZE, text + i, end - i);
    return digit && out[0] != '\0' && invoice_date_parse(out, false) == 0;
}

static void read_number(const InvoiceScan *s, Invoice *inv)
{
    const InvoiceText *t = s->text;

    for (size_t i = 0; i < t->nlines; i++) {
        const InvoiceLine *l = &t->lines[i];
        for (size_t m = 0; m < s->lines[i].nlabels; m++) {
            const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
            if (lm->label->kind != LABEL_NUMBER)
                continue;
            if (number_token(l->text, strlen(l->text), lm->end, inv->number))
                return;
            /* the label alone in its cell: the value in the cell below */
            size_t k = invoice_scan_span_at(l, lm->start);
            if (i + 1 >= t->nlines || k == l->nspans || lm->end < l->spans[k].off + l->spans[k].len)
                continue;
            const InvoiceLine *below = &t->lines[i + 1];
            for (size_t b = 0; b < below->nspans; b++) {
                const InvoiceSpan *sp = &below->spans[b];
                if (sp->x1 > l->spans[k].x0 && sp->x0 < l->spans[k].x1 + s->char_width &&
                    number_token(below->text, sp->off + sp->len, sp->off, inv->number))
                    return;
            }
        }
    }
    /* no number label: the document's title followed by a number
     * ("Fattura 123/2026", "RECHNUNG 2026-117", "Invoice INV-0042") */
    for (size_t i = 0; i < t->nlines; i++) {
        const InvoiceLine *l = &t->lines[i];
        for (size_t m = 0; m < s->lines[i].nlabels; m++) {
            const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
            if (lm->label->kind == LABEL_TITLE &&
                number_token(l->text, strlen(l->text), lm->end, inv->number))
                return;
        }
    }
    inv->number[0] = '\0';
}

/* ---- dates ------------------------------------------------------------------- */

/* date_label_before returns the kind of the last date label of line i
 * ending in [from, to), or LABEL_NONE. */
static InvoiceLabelKind date_label_before(const InvoiceScan *s, size_t i, size_t from, size_t to)
{
    InvoiceLabelKind kind = LABEL_NONE;
    for (size_t m = 0; m < s->lines[i].nlabels; m++) {
        const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
        InvoiceLabelKind k = lm->label->kind;
        if (lm->start >= from && lm->end <= to && (k == LABEL_ISSUE_DATE || k == LABEL_DUE_DATE))
            kind = k;
    }
    return kind;
}

/* date_label_above returns the kind of a date label alone in the cell
 * above the cell at [x0, x1] of line i. */
static InvoiceLabelKind date_label_above(const InvoiceScan *s, size_t i, double x0, double x1)
{
    if (i == 0)
        return LABEL_NONE;
    const InvoiceLine *up = &s->text->lines[i - 1];
    for (size_t k = 0; k < up->nspans; k++) {
        const InvoiceSpan *sp = &up->spans[k];
        if (sp->x1 <= x0 || sp->x0 >= x1 + s->char_width)
            continue;
        size_t pos = sp->off;
        InvoiceDate d;
        if (invoice_date_next(up->text, sp->off + sp->len, &pos, false, &d))
            return LABEL_NONE; /* the cell above has its own date */
        return date_label_before(s, i - 1, sp->off, sp->off + sp->len);
    }
    return LABEL_NONE;
}

static void read_dates(const InvoiceScan *s, bool month_first, Invoice *inv)
{
    const InvoiceText *t = s->text;
    int unlabelled = 0;

    for (size_t i = 0; i < t->nlines; i++) {
        const InvoiceLine *l = &t->lines[i];
        size_t len = strlen(l->text), pos = 0, prev = 0;
        InvoiceDate d;
        if (s->lines[i].table)
            continue;
        while (invoice_date_next(l->text, len, &pos, month_first, &d)) {
            InvoiceLabelKind kind = date_label_before(s, i, prev, d.start);
            if (kind == LABEL_NONE) {
                size_t k = invoice_scan_span_at(l, d.start);
                if (k < l->nspans)
                    kind = date_label_above(s, i, l->spans[k].x0, l->spans[k].x1);
            }
            if (kind == LABEL_ISSUE_DATE && inv->issue_date == 0)
                inv->issue_date = d.key;
            else if (kind == LABEL_DUE_DATE && inv->due_date == 0)
                inv->due_date = d.key;
            else if (kind == LABEL_NONE && unlabelled == 0)
                unlabelled = d.key;
            prev = d.end;
        }
    }
    if (inv->issue_date == 0 && unlabelled != inv->due_date)
        inv->issue_date = unlabelled;
}

/* ---- amounts ------------------------------------------------------------------ */

/* Amounts is what the amount labels of a document gave. */
typedef struct Amounts {
    bool has_subtotal, has_tax_total, has_rated, has_unrated, has_total;
    long long subtotal, tax_total, rated_sum, unrated, total;
    int total_priority;
    long long seen_rate[16], seen_value[16]; /* (rate, tax) pairs summed, not twice */
    size_t nseen;
    Currencies currencies;
} Amounts;

/* Segment is what lies between a label and the next one. */
typedef struct Segment {
    bool has_value, has_rate;
    long long value, rate;
    char currency[4];
} Segment;

static void read_segment(const InvoiceScan *s, const char *text, size_t from, size_t to, Segment *g)
{
    size_t pos = from;
    InvoiceNumber n;
    bool strong = false;

    memset(g, 0, sizeof(*g));
    while (pos < to && invoice_number_next(text, to, &pos, s->decimal, &n)) {
        if (n.percent) {
            if (n.value >= 0 && n.value <= 100LL * INVOICE_SCALE && !g->has_rate) {
                g->has_rate = true;
                g->rate = n.value;
            }
            continue;
        }
        /* a number with decimals, a mark or groups is an amount; a bare
         * integer only when nothing better is there */
        bool is_strong = n.decimals > 0 || n.currency[0] != '\0' || n.grouped;
        if (is_strong || !strong) {
            g->has_value = true;
            g->value = n.value;
            memcpy(g->currency, n.currency, 4);
            strong |= is_strong;
        }
    }
}

/* value_below reads the line after i when it holds only a number. */
static bool value_below(const InvoiceScan *s, size_t i, Segment *g)
{
    if (i + 1 >= s->text->nlines)
        return false;
    const InvoiceLine *l = &s->text->lines[i + 1];
    InvoiceNumber n;
    char cell[128];
    if (l->nspans != 1 || s->lines[i + 1].nlabels > 0)
        return false;
    invoice_copy_text(cell, sizeof(cell), l->text + l->spans[0].off, l->spans[0].len);
    if (!invoice_number_parse(cell, s->decimal, &n) || n.percent)
        return false;
    g->has_value = true;
    g->value = n.value;
    memcpy(g->currency, n.currency, 4);
    return true;
}

static void add_amount(Amounts *a, InvoiceLabelKind kind, int priority, const Segment *g)
{
    count_currency(&a->currencies, g->currency);
    switch (kind) {
        case LABEL_SUBTOTAL:
            if (!a->has_subtotal || llabs(g->value) > llabs(a->subtotal))
                a->subtotal = g->value;
            a->has_subtotal = true;
            break;
        case LABEL_TAX_TOTAL:
            a->tax_total = g->value;
            a->has_tax_total = true;
            break;
        case LABEL_TAX:
            if (g->has_rate) {
                for (size_t k = 0; k < a->nseen; k++) {
                    if (a->seen_rate[k] == g->rate && a->seen_value[k] == g->value)
                        return;
                }
                if (a->nseen < 16) {
                    a->seen_rate[a->nseen] = g->rate;
                    a->seen_value[a->nseen++] = g->value;
                }
                a->rated_sum += g->value;
                a->has_rated = true;
            } else {
                a->unrated = g->value;
                a->has_unrated = true;
            }
            break;
        case LABEL_TOTAL:
            if (!a->has_total || priority >= a->total_priority) {
                a->total = g->value;
                a->total_priority = priority;
            }
            a->has_total = true;
            break;
        default:
            break;
    }
}

static bool amount_kind(InvoiceLabelKind k)
{
    return k == LABEL_SUBTOTAL || k == LABEL_TAX || k == LABEL_TAX_TOTAL || k == LABEL_TOTAL;
}

static void read_amount_line(const InvoiceScan *s, size_t i, Invoice *inv, Amounts *a)
{
    const InvoiceLine *l = &s->text->lines[i];
    const InvoiceScanLine *sl = &s->lines[i];
    size_t len = strlen(l->text);
    bool carry_rate = false;
    long long carried = 0;

    for (size_t m = 0; m < sl->nlabels; m++) {
        const InvoiceLabelMatch *lm = &sl->labels[m];
        InvoiceLabelKind kind = lm->label->kind;
        if (!amount_kind(kind))
            continue;
        size_t to = m + 1 < sl->nlabels ? sl->labels[m + 1].start : len;
        Segment g;
        read_segment(s, l->text, lm->end, to, &g);
        if ((kind == LABEL_TAX || kind == LABEL_TAX_TOTAL) && !g.has_rate) {
            /* "22% IVA": the rate just before the label */
            Segment before;
            size_t from = m > 0 ? sl->labels[m - 1].end : 0;
            read_segment(s, l->text, from, lm->start, &before);
            if (before.has_rate && !before.has_value) {
                g.has_rate = true;
                g.rate = before.rate;
            } else if (carry_rate) {
                g.has_rate = true;
                g.rate = carried;
            }
        }
        if (g.has_rate && kind == LABEL_TAX)
            invoice_add_rate(inv, g.rate);
        if (!g.has_value && m + 1 < sl->nlabels && sl->labels[m + 1].label->kind == kind) {
            /* "zzgl. 19% USt.  317,30": one tax, two labels */
            carry_rate = g.has_rate;
            carried = g.rate;
            continue;
        }
        carry_rate = false;
        if (!g.has_value && (m + 1 == sl->nlabels) && !value_below(s, i, &g))
            continue;
        if (g.has_value)
            add_amount(a, kind, lm->label->priority, &g);
    }
}

/* read_rate_table reads the rates of a VAT summary: the lines under a
 * heading naming the rate column, whose first cell is the rate. */
static void read_rate_table(const InvoiceScan *s, size_t h, Invoice *inv)
{
    const InvoiceText *t = s->text;
    for (size_t i = h + 1; i < t->nlines && i <= h + 10; i++) {
        const InvoiceLine *l = &t->lines[i];
        InvoiceNumber n;
        char cell[64];
        if (l->nspans < 2 || s->lines[i].nlabels > 0)
            return;
        invoice_copy_text(cell, sizeof(cell), l->text + l->spans[0].off, l->spans[0].len);
        if (!invoice_number_parse(cell, s->decimal, &n) || n.value < 0 ||
            n.value > 100LL * INVOICE_SCALE)
            return;
        invoice_add_rate(inv, n.value);
    }
}

static void read_amounts(const InvoiceScan *s, Invoice *inv, Currencies *currencies)
{
    Amounts a;

    memset(&a, 0, sizeof(a));
    for (size_t i = 0; i < s->text->nlines; i++) {
        if (s->lines[i].table)
            continue;
        read_amount_line(s, i, inv, &a);
        if (invoice_scan_has(s, i, LABEL_RATE_HEAD))
            read_rate_table(s, i, inv);
    }
    inv->has_subtotal = a.has_subtotal;
    inv->subtotal = a.subtotal;
    inv->has_total = a.has_total;
    inv->total = a.total;
    inv->has_tax = a.has_tax_total || a.has_rated || a.has_unrated;
    inv->tax = a.has_tax_total ? a.tax_total : a.has_rated ? a.rated_sum : a.unrated;
    *currencies = a.currencies;
}

/* ---- currency ------------------------------------------------------------------- */

/* Countries whose VAT ids mean the euro, when the text names no currency. */
static bool euro_country(const char *vat)
{
    static const char *const euro[] = {"AT", "BE", "CY", "DE", "EE", "EL", "ES", "FI", "FR", "HR",
                                       "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK"};
    for (size_t i = 0; i < sizeof(euro) / sizeof(euro[0]); i++) {
        if (strncmp(vat, euro[i], 2) == 0)
            return true;
    }
    return false;
}

static void read_currency(const InvoiceScan *s, const Currencies *amounts, Invoice *inv)
{
    const char *code = top_currency(amounts);
    Currencies any = {0};

    if (code == NULL) {
        /* marks anywhere: in the table's cells, "Valuta: EUR" */
        for (size_t i = 0; i < s->text->nlines; i++) {
            const char *text = s->text->lines[i].text;
            size_t len = strlen(text);
            for (size_t p = 0; p < len; p++) {
                char c[4];
                size_t n = invoice_currency_at(text, len, p, c);
                if (n > 0) {
                    count_currency(&any, c);
                    p += n - 1;
                }
            }
        }
        code = top_currency(&any);
    }
    if (code != NULL)
        memcpy(inv->currency, code, 4);
}

bool invoice_extract(const InvoiceText *t, Invoice *out)
{
    InvoiceScan s;
    Currencies currencies;

    invoice_init(out);
    if (!invoice_scan_init(&s, t))
        return false;
    out->language = guess_language(&s);
    if (!invoice_items_read(&s, out)) {
        invoice_scan_free(&s);
        invoice_free(out);
        return false;
    }
    read_amounts(&s, out, &currencies);
    read_currency(&s, &currencies, out);
    read_number(&s, out);
    /* Dates of numbers are day first unless the document's own dates say
     * otherwise, or say nothing and it is an American invoice. */
    int order[2] = {0, 0};
    for (size_t i = 0; i < t->nlines; i++)
        invoice_date_order_vote(t->lines[i].text, strlen(t->lines[i].text), order);
    bool month_first = order[1] > order[0] || (order[1] == order[0] && out->language == LANG_EN &&
                                               strcmp(out->currency, "USD") == 0);
    read_dates(&s, month_first, out);
    invoice_parties_read(&s, out);
    if (out->currency[0] == '\0' && out->supplier_vat[0] != '\0' && euro_country(out->supplier_vat))
        memcpy(out->currency, "EUR", 4);
    invoice_scan_free(&s);
    return true;
}
