/* SPDX-License-Identifier: MIT */
/* invoice_text.c - an invoice's lines and spans, and label folding (invoice_text.h). */
#include "invoice_text.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t invoice_utf8_next(const char *s, size_t len, size_t i, unsigned *cp)
{
    return utf8_decode(s + i, len - i, cp);
}

size_t invoice_utf8_valid(const char *s, size_t len, size_t i)
{
    return utf8_sequence_n(s + i, len - i);
}

/* Latin-1 letters U+00C0..U+00FF without their accents, lower case; ""
 * for the two signs in the range (multiplication, division). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* fold_char is the folded form of code point cp: letters and digits in
 * lower-case ASCII, '%' and '#' themselves, anything else "" (a space). */
static const char *fold_char(unsigned cp, char *buf)
{
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '%' || cp == '#') {
        buf[0] = (char)cp;
        buf[1] = '\0';
        return buf;
    }
    if (cp >= 'A' && cp <= 'Z') {
        buf[0] = (char)(cp - 'A' + 'a');
        buf[1] = '\0';
        return buf;
    }
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1[cp - 0xC0];
    if (cp == 0x152 || cp == 0x153) /* OE ligature */
        return "oe";
    if (cp == 0x160 || cp == 0x161)
        return "s";
    if (cp == 0x17D || cp == 0x17E)
        return "z";
    return "";
}

bool invoice_fold(const char *src, size_t len, InvoiceFolded *out)
{
    size_t n = 0;
    bool space = true; /* no leading space */
    char buf[2];

    /* A character folds to at most two letters and is at least two
     * bytes when it does, so the folded text is never longer. */
    out->s = malloc(len + 1);
    out->from = malloc((len + 1) * sizeof(size_t));
    out->len = 0;
    if (out->s == NULL || out->from == NULL) {
        invoice_folded_free(out);
        return false;
    }
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t step = invoice_utf8_next(src, len, i, &cp);
        const char *f = fold_char(cp, buf);

        if (f[0] == '\0') {
            if (!space) {
                out->from[n] = i;
                out->s[n++] = ' ';
                space = true;
            }
        } else {
            for (const char *p = f; *p != '\0' && n < len; p++) {
                out->from[n] = i;
                out->s[n++] = *p;
            }
            space = false;
        }
        i += step;
    }
    if (n > 0 && out->s[n - 1] == ' ')
        n--;
    out->s[n] = '\0';
    out->from[n] = 0;
    if (n > 0) {
        /* just after the last folded character's source bytes */
        unsigned cp;
        size_t last = out->from[n - 1];
        out->from[n] = last + invoice_utf8_next(src, len, last, &cp);
    }
    out->len = n;
    return true;
}

void invoice_folded_free(InvoiceFolded *f)
{
    free(f->s);
    free(f->from);
    f->s = NULL;
    f->from = NULL;
    f->len = 0;
}

void invoice_fold_cstr(const char *src, char *dst, size_t size)
{
    InvoiceFolded f;

    if (size == 0)
        return;
    dst[0] = '\0';
    if (!invoice_fold(src, strlen(src), &f))
        return;
    size_t n = f.len < size - 1 ? f.len : size - 1;
    memcpy(dst, f.s, n);
    dst[n] = '\0';
    invoice_folded_free(&f);
}

/* push_line appends an empty line; NULL when memory ran out. */
static InvoiceLine *push_line(InvoiceText *t)
{
    if (t->nlines == t->cap) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 64;
        InvoiceLine *lines = realloc(t->lines, cap * sizeof(*lines));
        if (lines == NULL)
            return NULL;
        t->lines = lines;
        t->cap = cap;
    }
    InvoiceLine *l = &t->lines[t->nlines++];
    memset(l, 0, sizeof(*l));
    return l;
}

/* is_space says whether cp separates words: space, tab, no-break spaces. */
static bool is_space(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x202F || cp == 0x2007 || cp == 0x2009;
}

/* is_bar says whether cp is a table's vertical rule ('|', '¦', box
 * drawing's │ ┃ ║): it separates cells the way a gap does. */
static bool is_bar(unsigned cp)
{
    return cp == '|' || cp == 0xA6 || cp == 0x2502 || cp == 0x2503 || cp == 0x2551;
}

/* cut_plain cuts line l's text into spans at runs of two or more spaces,
 * a tab or a vertical rule; places are columns of characters (tabs to multiples of 8).
 * A single no-break space never cuts (it groups a number's digits). */
static bool cut_plain(InvoiceLine *l)
{
    const char *s = l->text;
    size_t len = strlen(s), cap = 0;
    double col = 0;
    size_t i = 0;

    while (i < len) {
        unsigned cp;
        size_t step;
        /* skip the gap */
        size_t gap = 0;
        bool tab = false;
        while (i < len) {
            step = invoice_utf8_next(s, len, i, &cp);
            if (!is_space(cp) && !is_bar(cp))
                break;
            tab |= cp == '\t';
            col = cp == '\t' ? (double)(((int)col / 8 + 1) * 8) : col + 1;
            gap++;
            i += step;
        }
        if (i >= len)
            break;
        (void)tab;
        /* a span: up to a tab or two spaces in a row */
        size_t start = i;
        double x0 = col, x1 = col;
        while (i < len) {
            step = invoice_utf8_next(s, len, i, &cp);
            if (cp == '\t' || is_bar(cp))
                break;
            if (is_space(cp) && cp != 0xA0 && cp != 0x202F) {
                unsigned next = 0;
                if (i + step < len)
                    invoice_utf8_next(s, len, i + step, &next);
                if (i + step >= len || is_space(next))
                    break;
            }
            i += step;
            col += 1;
            if (!is_space(cp))
                x1 = col;
        }
        size_t end = i;
        /* a span never ends in spaces (a lone no-break space at the end) */
        while (end > start && (s[end - 1] == ' '))
            end--;
        if (l->nspans == cap) {
            cap = cap != 0 ? cap * 2 : 8;
            InvoiceSpan *spans = realloc(l->spans, cap * sizeof(*spans));
            if (spans == NULL)
                return false;
            l->spans = spans;
        }
        l->spans[l->nspans++] = (InvoiceSpan){.off = start, .len = end - start, .x0 = x0, .x1 = x1};
    }
    return true;
}

bool invoice_text_from_plain(const char *text, size_t len, InvoiceText *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < len && out->nlines < INVOICE_MAX_LINES;) {
        size_t end = i;
        while (end < len && text[end] != '\n' && text[end] != '\r' && text[end] != '\f')
            end++;
        size_t n = end - i < INVOICE_MAX_LINE ? end - i : INVOICE_MAX_LINE;
        /* a long line is cut, never in the middle of a character */
        while (n < end - i && n > 0 && ((unsigned char)text[i + n] & 0xC0) == 0x80)
            n--;
        InvoiceLine *l = push_line(out);
        if (l == NULL || (l->text = malloc(n + 1)) == NULL)
            goto oom;
        memcpy(l->text, text + i, n);
        l->text[n] = '\0';
        /* NUL bytes inside a line end it for the rules. */
        if (!cut_plain(l))
            goto oom;
        if (end < len && text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
            end++;
        i = end + 1;
    }
    return true;
oom:
    invoice_text_free(out);
    return false;
}

/* add_cells appends a line of the cells texts[n] at [x0, x1). */
static bool add_cells(InvoiceText *t, const char *const *texts, const double *x0, const double *x1,
                      size_t n, double font_size)
{
    size_t total = 1;
    InvoiceLine *l;

    if (t->nlines >= INVOICE_MAX_LINES)
        return true;
    for (size_t i = 0; i < n; i++)
        total += strlen(texts[i]) + 2;
    if ((l = push_line(t)) == NULL)
        return false;
    l->font_size = font_size;
    l->text = malloc(total);
    l->spans = n > 0 ? calloc(n, sizeof(*l->spans)) : NULL;
    if (l->text == NULL || (n > 0 && l->spans == NULL))
        return false; /* freed with t */
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(texts[i]);
        if (at + k + 2 >= INVOICE_MAX_LINE)
            break;
        if (at > 0) {
            l->text[at++] = ' ';
            l->text[at++] = ' ';
        }
        memcpy(l->text + at, texts[i], k);
        if (k > 0)
            l->spans[l->nspans++] = (InvoiceSpan){.off = at, .len = k, .x0 = x0[i], .x1 = x1[i]};
        at += k;
    }
    l->text[at] = '\0';
    return true;
}

/* Cells is a line's spans cut at vertical rules. */
typedef struct Cells {
    char **texts;
    double *x0, *x1;
    size_t n;
} Cells;

/* cut_at_bars cuts text (placed [x0, x1)) at its vertical rules into c,
 * the pieces placed in proportion to their characters (a reader's span
 * is one font, so its characters are about as wide); false when memory
 * ran out. */
static bool cut_at_bars(const char *text, double x0, double x1, Cells *c)
{
    size_t len = strlen(text), chars = 0;
    for (size_t i = 0; i < len; chars++) {
        unsigned cp;
        i += invoice_utf8_next(text, len, i, &cp);
    }
    double w = chars > 0 ? (x1 - x0) / (double)chars : 0;
    size_t start = 0, at = 0, from_char = 0;
    for (size_t i = 0;; at++) {
        unsigned cp = 0;
        size_t step = i < len ? invoice_utf8_next(text, len, i, &cp) : 0;
        if (i >= len || is_bar(cp)) {
            size_t a = start, b = i;
            size_t ca = from_char;
            while (a < b && text[a] == ' ') {
                a++;
                ca++;
            }
            while (b > a && text[b - 1] == ' ')
                b--;
            if (b > a) {
                char *piece = malloc(b - a + 1);
                if (piece == NULL)
                    return false;
                memcpy(piece, text + a, b - a);
                piece[b - a] = '\0';
                /* characters of the piece: its bytes less continuation bytes */
                size_t cn = 0;
                for (size_t k = a; k < b; k++)
                    cn += ((unsigned char)text[k] & 0xC0) != 0x80;
                c->texts[c->n] = piece;
                c->x0[c->n] = x0 + w * (double)ca;
                c->x1[c->n] = x0 + w * (double)(ca + cn);
                c->n++;
            }
            if (i >= len)
                return true;
            start = i + step;
            from_char = at + 1;
        }
        i += step;
    }
}

bool invoice_text_add_line(InvoiceText *t, const char *const *texts, const double *x0,
                           const double *x1, size_t n, double font_size)
{
    size_t max = 0;
    bool bars = false, ok = true;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        max += 1;
        for (size_t k = 0; k < len;) {
            unsigned cp;
            k += invoice_utf8_next(texts[i], len, k, &cp);
            if (is_bar(cp)) {
                max++;
                bars = true;
            }
        }
    }
    if (!bars)
        return add_cells(t, texts, x0, x1, n, font_size);
    /* a table drawn with bars: the bars separate cells, as gaps do */
    Cells c = {calloc(max, sizeof(char *)), calloc(max, sizeof(double)),
               calloc(max, sizeof(double)), 0};
    ok = c.texts != NULL && c.x0 != NULL && c.x1 != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = cut_at_bars(texts[i], x0[i], x1[i], &c);
    ok = ok && add_cells(t, (const char *const *)c.texts, c.x0, c.x1, c.n, font_size);
    for (size_t i = 0; c.texts != NULL && i < max; i++)
        free(c.texts[i]);
    free(c.texts);
    free(c.x0);
    free(c.x1);
    return ok;
}

void invoice_text_free(InvoiceText *t)
{
    for (size_t i = 0; i < t->nlines; i++) {
        free(t->lines[i].text);
        free(t->lines[i].spans);
    }
    free(t->lines);
    memset(t, 0, sizeof(*t));
}
