/* SPDX-License-Identifier: MIT */
/* invoice_window.c - address blocks without a label (invoice_window.h). */
#include "invoice_window.h"

#include <ctype.h>
#include <string.h>

#include "invoice_vat.h"

enum { WINDOW_MAX_LINES = 8, WINDOW_SCAN_LINES = 40 };

/* starts_word says whether folded[at..] begins the word w (folded,
 * maybe several words) ending at a space or the end. */
static bool word_at(const char *folded, size_t at, const char *w)
{
    size_t n = strlen(w);
    return (at == 0 || folded[at - 1] == ' ') && strncmp(folded + at, w, n) == 0 &&
           (folded[at + n] == '\0' || folded[at + n] == ' ');
}

/* has_word says whether folded holds the words w anywhere. */
static bool has_word(const char *folded, const char *w)
{
    for (size_t at = 0; folded[at] != '\0'; at++) {
        if (word_at(folded, at, w))
            return true;
    }
    return false;
}

bool invoice_window_is_address(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && text[i] == ' ')
        i++;
    /* "Industriestraße 40" starts with a word; "12 rue des Tanneurs" a number */
    if (i < len && isdigit((unsigned char)text[i])) {
        size_t d = i;
        while (d < len && isdigit((unsigned char)text[d]))
            d++;
        if (d - i <= 3 && d + 1 < len && text[d] == ' ' && isalpha((unsigned char)text[d + 1]))
            return true;
    }
    for (i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i]) || (i > 0 && isdigit((unsigned char)text[i - 1])))
            continue;
        size_t d = i;
        while (d < len && isdigit((unsigned char)text[d]))
            d++;
        if (d - i < 4 || d - i > 5)
            continue;
        /* before: the line's start, a space, or a country's "CH-" */
        bool before = i == 0 || text[i - 1] == ' ' ||
                      (text[i - 1] == '-' && i >= 2 && isupper((unsigned char)text[i - 2]));
        /* after: a town, or the end of the line (a ZIP after the state) */
        bool after = d == len ||
                     (d + 1 < len && text[d] == ' ' &&
                      (isalpha((unsigned char)text[d + 1]) || (unsigned char)text[d + 1] >= 0x80));
        if (before && after)
            return true;
    }
    return false;
}

bool invoice_window_is_salutation(const char *text, size_t len)
{
    static const char *const alone[] = {
        "herrn",        "herr",      "frau",    "firma",   "monsieur", "madame",
        "mademoiselle", "messieurs", "mr",      "mrs",     "ms",       "mme",
        "mlle",         "egregio",   "egregia", "gentile", "gent mo",  "gent ma",
        "sig",          "sig ra",    "signor",  "signora", "dear",     "to whom it may concern"};
    static const char *const first[] = {
        "z h", "zh", "z hd", "zhd", "attn", "att", "c o", "a l attention de", "alla c a", "c a"};
    char raw[INVOICE_NAME_SIZE], f[INVOICE_NAME_SIZE];

    invoice_copy_text(raw, sizeof(raw), text, len);
    invoice_fold_cstr(raw, f, sizeof(f));
    for (size_t k = 0; k < sizeof(alone) / sizeof(alone[0]); k++) {
        if (strcmp(f, alone[k]) == 0)
            return true;
    }
    for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++) {
        if (word_at(f, 0, first[k]))
            return true;
    }
    return false;
}

bool invoice_window_has_form(const char *text, size_t len)
{
    static const char *const forms[] = {
        "s r l", "srl",     "s p a",  "spa",  "s n c", "snc",     "s a s", "sas", "s s",
        "gmbh",  "ag",      "kg",     "ohg",  "ug",    "e u",     "e k",   "gbr", "sa",
        "sarl",  "s a r l", "sa r l", "eurl", "ltd",   "limited", "inc",   "llc", "plc",
        "llp",   "co",      "corp",   "bv",   "nv",    "oy",      "ab"};
    char raw[INVOICE_NAME_SIZE], f[INVOICE_NAME_SIZE];

    invoice_copy_text(raw, sizeof(raw), text, len);
    invoice_fold_cstr(raw, f, sizeof(f));
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        if (has_word(f, forms[k]))
            return true;
    }
    return false;
}

bool invoice_window_is_trade(const char *text, size_t len)
{
    char raw[INVOICE_NAME_SIZE], f[INVOICE_NAME_SIZE];
    size_t words = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (islower(c) || isdigit(c))
            return false;
        /* lower-case Latin-1 letters: U+00DF..U+00FF are C3 9F..C3 BF */
        if (c == 0xC3 && i + 1 < len && (unsigned char)text[i + 1] >= 0x9F)
            return false;
    }
    invoice_copy_text(raw, sizeof(raw), text, len);
    invoice_fold_cstr(raw, f, sizeof(f));
    if (f[0] == '\0')
        return false;
    for (size_t i = 0; f[i] != '\0'; i++)
        words += i == 0 || f[i - 1] == ' ';
    return words <= 4 && !invoice_window_has_form(text, len);
}

/* column_span finds the span of line l starting at x0 (within tol). */
static size_t column_span(const InvoiceLine *l, double x0, double tol)
{
    for (size_t k = 0; k < l->nspans; k++) {
        double d = l->spans[k].x0 - x0;
        if (d <= tol && d >= -tol)
            return k;
    }
    return l->nspans;
}

/* labelled says whether line i's span k starts with a field's label (a
 * number, a date, an amount: not an address); a line with a VAT id
 * ("TVA : FR83...", "UID: ATU...") belongs to the address. */
static bool labelled(const InvoiceScan *s, size_t i, size_t k)
{
    const InvoiceLine *l = &s->text->lines[i];
    const InvoiceSpan *sp = &l->spans[k];
    char vat[INVOICE_VAT_SIZE];
    size_t pos = 0, start, end;

    if (invoice_vat_next(l->text + sp->off, sp->len, &pos, false, vat, &start, &end))
        return false;
    for (size_t m = 0; m < s->lines[i].nlabels; m++) {
        const InvoiceLabelMatch *lm = &s->lines[i].labels[m];
        InvoiceLabelKind kind = lm->label->kind;
        /* a field's label starts its cell: "du" in "8 place du Marché" is none */
        if (lm->start == sp->off && kind != LABEL_OTHER)
            return true;
    }
    return false;
}

/* window_at reads the block whose first line is i, column span k; true
 * when it is an address window, with its name. */
static bool window_at(const InvoiceScan *s, size_t i, size_t k, InvoiceWindow *w)
{
    const InvoiceText *t = s->text;
    double x0 = t->lines[i].spans[k].x0, tol = 1.5 * s->char_width;
    size_t cell[WINDOW_MAX_LINES + 1], n = 0;
    bool address = false;

    for (size_t j = i; j < t->nlines && n <= WINDOW_MAX_LINES; j++) {
        size_t c = column_span(&t->lines[j], x0, tol);
        if (c == t->lines[j].nspans || s->lines[j].table)
            break;
        cell[n++] = c;
    }
    if (n < 2 || n > WINDOW_MAX_LINES)
        return false;
    /* the name: past a sender's line, salutations and attention lines */
    size_t first = 0;
    const InvoiceLine *l0 = &t->lines[i];
    if (n >= 3 && invoice_window_is_address(l0->text + l0->spans[k].off, l0->spans[k].len))
        first = 1;
    while (first < n) {
        const InvoiceLine *l = &t->lines[i + first];
        const InvoiceSpan *sp = &l->spans[cell[first]];
        if (!invoice_window_is_salutation(l->text + sp->off, sp->len))
            break;
        first++;
    }
    if (first + 1 >= n)
        return false;
    for (size_t m = first; m < n; m++) {
        const InvoiceLine *l = &t->lines[i + m];
        const InvoiceSpan *sp = &l->spans[cell[m]];
        if (labelled(s, i + m, cell[m]))
            return false;
        if (m > first)
            address |= invoice_window_is_address(l->text + sp->off, sp->len);
    }
    const InvoiceLine *nl = &t->lines[i + first];
    const InvoiceSpan *ns = &nl->spans[cell[first]];
    if (!address || invoice_window_is_address(nl->text + ns->off, ns->len))
        return false;
    w->first = i;
    w->last = i + n - 1;
    w->x0 = x0;
    w->x1 = k + 1 < l0->nspans ? l0->spans[k + 1].x0 : 1e30;
    invoice_copy_text(w->name, sizeof(w->name), nl->text + ns->off, ns->len);
    return true;
}

bool invoice_window_find(const InvoiceScan *s, size_t skip_first, size_t skip_last, double skip_x0,
                         InvoiceWindow *w)
{
    const InvoiceText *t = s->text;
    double tol = 1.5 * s->char_width;

    for (size_t i = 0; i < t->nlines && i < WINDOW_SCAN_LINES; i++) {
        const InvoiceLine *l = &t->lines[i];
        for (size_t k = 0; k < l->nspans; k++) {
            /* a block starts where the line above has nothing in its column */
            double x0 = l->spans[k].x0;
            if (i > 0 && column_span(&t->lines[i - 1], x0, tol) < t->lines[i - 1].nspans)
                continue;
            double d = x0 - skip_x0;
            if (!window_at(s, i, k, w))
                continue;
            /* the letterhead's own block (a trade line above its name too) */
            if (w->first <= skip_last && w->last >= skip_first && d <= tol && d >= -tol)
                continue;
            return true;
        }
    }
    return false;
}
