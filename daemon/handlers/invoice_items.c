/* SPDX-License-Identifier: MIT */
/* invoice_items.c - line items from column layouts (invoice_items.h). */
#include "invoice_items.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_COLUMNS = 16 };

/* Heading is one column of a table, where its heading sits. */
typedef struct Heading {
    InvoiceColumn column;
    double x0, x1;
} Heading;

typedef struct Table {
    Heading cols[MAX_COLUMNS];
    size_t ncols;
} Table;

/* span_folded folds one span of l into buf[size]. */
static void span_folded(const InvoiceLine *l, size_t k, char *buf, size_t size)
{
    char raw[512];
    invoice_copy_text(raw, sizeof(raw), l->text + l->spans[k].off, l->spans[k].len);
    invoice_fold_cstr(raw, buf, size);
}

/* read_heading says whether line l is a table heading, and fills t. */
static bool read_heading(const InvoiceLine *l, Table *t)
{
    int best_strength = -1;
    size_t best = 0, known = 0;
    bool price = false;

    if (l->nspans < 2 || l->nspans > MAX_COLUMNS)
        return false;
    t->ncols = l->nspans;
    for (size_t k = 0; k < l->nspans; k++) {
        char f[128];
        int strength;
        span_folded(l, k, f, sizeof(f));
        InvoiceColumn c = invoice_labels_column(f, &strength);
        t->cols[k] = (Heading){c, l->spans[k].x0, l->spans[k].x1};
        known += c != COLUMN_NONE;
        price |= c == COLUMN_AMOUNT || c == COLUMN_UNIT_PRICE;
        if (c == COLUMN_DESCRIPTION && strength > best_strength) {
            best_strength = strength;
            best = k;
        }
    }
    if (best_strength < 0 || !price || known < 2 || known * 3 < l->nspans * 2)
        return false;
    /* one description column: the other candidates are codes */
    for (size_t k = 0; k < t->ncols; k++) {
        if (t->cols[k].column == COLUMN_DESCRIPTION && k != best)
            t->cols[k].column = COLUMN_CODE;
    }
    return true;
}

/* overlap is how much [a0, a1] and [b0, b1] overlap (negative: the gap). */
static double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0;
    double hi = a1 < b1 ? a1 : b1;
    return hi - lo;
}

/* assign_columns gives each cell of l a column of t (-1: none): the
 * heading it overlaps most, else the nearest within tolerance.  Only the
 * description takes several cells; when two cells want another column,
 * the one overlapping it more keeps it and the other moves to the free
 * column next to it on its side (numbers drift out from under their
 * headings in hand-made and extracted layouts). */
static void assign_columns(const Table *t, const InvoiceLine *l, double tolerance, int *col)
{
    double score[MAX_COLUMNS * 4];

    for (size_t k = 0; k < l->nspans; k++) {
        double best = -tolerance;
        col[k] = -1;
        for (size_t c = 0; c < t->ncols; c++) {
            double o = overlap(l->spans[k].x0, l->spans[k].x1, t->cols[c].x0, t->cols[c].x1);
            if (o > best || (o == best && col[k] < 0 && o > -tolerance)) {
                best = o;
                col[k] = (int)c;
            }
        }
        score[k] = best;
    }
    for (size_t k = 0; k < l->nspans; k++) {
        for (size_t j = 0; j < l->nspans; j++) {
            if (j == k || col[k] < 0 || col[j] != col[k] ||
                t->cols[col[k]].column == COLUMN_DESCRIPTION)
                continue;
            /* the weaker of the two moves away on its side */
            size_t weak = score[k] < score[j] || (score[k] == score[j] && k > j) ? k : j;
            size_t strong = weak == k ? j : k;
            int step = weak > strong ? 1 : -1;
            int to = col[weak] + step;
            bool taken = true;
            while (to >= 0 && to < (int)t->ncols && taken) {
                taken = false;
                for (size_t m = 0; m < l->nspans; m++)
                    taken |= m != weak && col[m] == to;
                if (taken)
                    to += step;
            }
            col[weak] = to >= 0 && to < (int)t->ncols ? to : -1;
            score[weak] = -tolerance;
        }
    }
}

/* cell_number reads a cell as a number; a quantity may carry a unit
 * word after it ("2 pz", "10 Std."). */
static bool cell_number(const char *cell, char hint, bool unit_allowed, long long *v)
{
    InvoiceNumber n;
    size_t pos = 0;

    if (invoice_number_parse(cell, hint, &n)) {
        *v = n.value;
        return true;
    }
    if (unit_allowed && invoice_number_next(cell, strlen(cell), &pos, hint, &n) && n.start == 0) {
        *v = n.value;
        return true;
    }
    return false;
}

/* Row is one line read against a table's columns. */
typedef struct Row {
    char description[INVOICE_DESCRIPTION_SIZE];
    bool has[COLUMN_UNIT + 1];
    long long value[COLUMN_UNIT + 1];
    bool stray; /* a cell that fits no column, or text where a number belongs */
    double desc_x0;
} Row;

static void read_row(const InvoiceScan *s, const InvoiceLine *l, const Table *t, Row *r)
{
    int cols[MAX_COLUMNS * 4];

    memset(r, 0, sizeof(*r));
    r->desc_x0 = -1;
    if (l->nspans > sizeof(cols) / sizeof(cols[0])) {
        r->stray = true;
        return;
    }
    assign_columns(t, l, 4 * s->char_width, cols);
    for (size_t k = 0; k < l->nspans; k++) {
        char cell[INVOICE_DESCRIPTION_SIZE];
        invoice_copy_text(cell, sizeof(cell), l->text + l->spans[k].off, l->spans[k].len);
        int c = cols[k];
        InvoiceColumn col = c >= 0 ? t->cols[c].column : COLUMN_NONE;
        long long v;
        /* a "Taux" or "Rate" column holding "20 %" is the VAT rate */
        if (col == COLUMN_UNIT_PRICE && strchr(cell, '%') != NULL)
            col = COLUMN_VAT_RATE;
        switch (col) {
            case COLUMN_DESCRIPTION: {
                size_t n = strlen(r->description);
                if (n > 0 && n + 1 < sizeof(r->description))
                    r->description[n++] = ' ';
                invoice_copy_text(r->description + n, sizeof(r->description) - n, cell,
                                  strlen(cell));
                if (r->desc_x0 < 0)
                    r->desc_x0 = l->spans[k].x0;
                break;
            }
            case COLUMN_QUANTITY:
            case COLUMN_UNIT_PRICE:
            case COLUMN_AMOUNT:
            case COLUMN_VAT_RATE:
                if (cell_number(cell, s->decimal, col == COLUMN_QUANTITY || col == COLUMN_VAT_RATE,
                                &v)) {
                    r->has[col] = true;
                    r->value[col] = v;
                } else {
                    r->stray = true;
                }
                break;
            case COLUMN_NONE:
                r->stray = true;
                break;
            default:
                break; /* codes, discounts, units: not reported */
        }
    }
}

/* is_rule says whether line l is a drawn rule: every cell made of
 * dashes, '=', '_', '+', '~', '*' or box drawing (U+2500..U+257F), as
 * tables draw under their heading, between rows and at their end. */
static bool is_rule(const InvoiceLine *l)
{
    size_t marks = 0;

    for (size_t k = 0; k < l->nspans; k++) {
        const char *p = l->text + l->spans[k].off;
        size_t len = l->spans[k].len;
        for (size_t i = 0; i < len;) {
            unsigned cp;
            size_t step = invoice_utf8_next(p, len, i, &cp);
            if (cp == ' ')
                ;
            else if (cp < 0x80 && cp != 0 && strchr("-=_+~*", (int)cp) != NULL)
                marks++;
            else if (cp >= 0x2500 && cp <= 0x257F)
                marks++;
            else
                return false;
            i += step;
        }
    }
    return marks >= 3;
}

/* ends_table says whether line i holds a totals label. */
static bool ends_table(const InvoiceScan *s, size_t i)
{
    return invoice_scan_has(s, i, LABEL_SUBTOTAL) || invoice_scan_has(s, i, LABEL_TOTAL) ||
           invoice_scan_has(s, i, LABEL_TAX_TOTAL) || invoice_scan_has(s, i, LABEL_RATE_HEAD);
}

/* read_table reads the rows under the heading at line h; returns the
 * line after the table. */
static size_t read_table(InvoiceScan *s, size_t h, const Table *t, Invoice *inv, bool *oom)
{
    const InvoiceText *text = s->text;
    InvoiceItem *last = NULL;
    size_t rows = 0, i;
    bool ruled = false; /* a rule was drawn after rows */

    s->lines[h].table = true;
    for (i = h + 1; i < text->nlines; i++) {
        const InvoiceLine *l = &text->lines[i];
        Table again;
        Row r;

        if (l->nspans == 0) {
            if (rows > 0)
                break;
            continue;
        }
        if (is_rule(l)) { /* a rule under the heading or between rows */
            s->lines[i].table = true;
            ruled = rows > 0;
            continue;
        }
        /* below a rule drawn after the rows, a totals line is no row */
        if (ruled && ends_table(s, i))
            break;
        if (read_heading(l, &again)) { /* the heading repeated on a new page */
            s->lines[i].table = true;
            continue;
        }
        read_row(s, l, t, &r);
        bool numbers = r.has[COLUMN_QUANTITY] || r.has[COLUMN_UNIT_PRICE] || r.has[COLUMN_AMOUNT];
        if (numbers && r.description[0] != '\0' && !r.stray) {
            InvoiceItem *it = invoice_add_item(inv);
            if (it == NULL) {
                *oom = inv->nitems < INVOICE_MAX_ITEMS;
                break;
            }
            memcpy(it->description, r.description, sizeof(it->description));
            it->has_quantity = r.has[COLUMN_QUANTITY];
            it->quantity = r.value[COLUMN_QUANTITY];
            it->has_unit_price = r.has[COLUMN_UNIT_PRICE];
            it->unit_price = r.value[COLUMN_UNIT_PRICE];
            it->has_amount = r.has[COLUMN_AMOUNT];
            it->amount = r.value[COLUMN_AMOUNT];
            if (r.has[COLUMN_VAT_RATE])
                invoice_add_rate(inv, r.value[COLUMN_VAT_RATE]);
            s->lines[i].table = true;
            last = it;
            rows++;
            continue;
        }
        if (ends_table(s, i))
            break;
        /* a description going on below its item */
        if (!numbers && !r.stray && last != NULL && r.description[0] != '\0') {
            size_t n = strlen(last->description);
            if (n + 1 < sizeof(last->description)) {
                last->description[n++] = ' ';
                invoice_copy_text(last->description + n, sizeof(last->description) - n,
                                  r.description, strlen(r.description));
            }
            s->lines[i].table = true;
            continue;
        }
        break;
    }
    return i;
}

bool invoice_items_read(InvoiceScan *s, Invoice *inv)
{
    bool oom = false;

    for (size_t i = 0; i < s->text->nlines && !oom;) {
        Table t;
        if (read_heading(&s->text->lines[i], &t))
            i = read_table(s, i, &t, inv, &oom);
        else
            i++;
    }
    return !oom;
}
