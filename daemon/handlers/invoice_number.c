/* SPDX-License-Identifier: MIT */
/* invoice_number.c - numbers and currency marks of invoices (invoice_number.h). */
#include "invoice_number.h"

#include <ctype.h>
#include <string.h>

/* Digits kept before the decimal separator: enough for any invoice,
 * far from overflowing value * INVOICE_SCALE. */
enum { MAX_INT_DIGITS = 13 };

static const struct {
    const char *mark;
    const char *code;
} symbols[] = {
    {"\xe2\x82\xac", "EUR"},                                    /* € */
    {"US$", "USD"},          {"$", "USD"}, {"\xc2\xa3", "GBP"}, /* £ */
    {"\xc2\xa5", "JPY"},                                        /* ¥ */
};

static const char *const codes[] = {"EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK",
                                    "PLN", "CZK", "HUF", "CAD", "AUD", "RON", "BGN", "NZD"};

bool invoice_currency_known(const char *code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(code, codes[i]) == 0)
            return true;
    }
    return false;
}

static bool is_alnum_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

size_t invoice_currency_at(const char *s, size_t len, size_t i, char code[4])
{
    for (size_t k = 0; k < sizeof(symbols) / sizeof(symbols[0]); k++) {
        size_t n = strlen(symbols[k].mark);
        if (i + n <= len && memcmp(s + i, symbols[k].mark, n) == 0 &&
            (n == 1 || i == 0 || !isalpha((unsigned char)s[i - 1]))) {
            memcpy(code, symbols[k].code, 4);
            return n;
        }
    }
    /* a code or "euro(s)" standing alone: no letter just before or after */
    if (i > 0 && isalpha((unsigned char)s[i - 1]))
        return 0;
    for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
        if (i + 3 <= len && memcmp(s + i, codes[k], 3) == 0 &&
            (i + 3 == len || !isalpha((unsigned char)s[i + 3]))) {
            memcpy(code, codes[k], 4);
            return 3;
        }
    }
    static const char *const words[] = {"euros", "Euros", "EUROS", "euro", "Euro", "EURO"};
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        size_t n = strlen(words[k]);
        if (i + n <= len && memcmp(s + i, words[k], n) == 0 &&
            (i + n == len || !isalpha((unsigned char)s[i + n]))) {
            memcpy(code, "EUR", 4);
            return n;
        }
    }
    return 0;
}

/* space_at returns the length of a space that may sit inside a number
 * (space, no-break space, narrow no-break space, thin space) at s[i], or 0. */
static size_t space_at(const char *s, size_t len, size_t i)
{
    if (i < len && s[i] == ' ')
        return 1;
    if (i + 1 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0)
        return 2;
    if (i + 2 < len && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xAF || (unsigned char)s[i + 2] == 0x89))
        return 3;
    return 0;
}

/* apostrophe_at returns the length of a Swiss thousands apostrophe at
 * s[i] (', or the typographic one U+2019 word processors put there), or 0. */
static size_t apostrophe_at(const char *s, size_t len, size_t i)
{
    if (i < len && s[i] == '\'')
        return 1;
    if (i + 2 < len && memcmp(s + i, "\xe2\x80\x99", 3) == 0)
        return 3;
    return 0;
}

static size_t digits_at(const char *s, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && isdigit((unsigned char)s[i + n]))
        n++;
    return n;
}

/* Groups is the shape of a run of digits and separators. */
typedef struct Groups {
    size_t ngroups;
    size_t size[32]; /* digits of each group */
    char sep[32];    /* sep[k]: the separator before group k+1 (' ' for a space) */
    size_t end;
} Groups;

/* read_groups reads digits and separators from s[i]; a separator counts
 * only with a digit after it, a space only with exactly three digits
 * after it. */
static void read_groups(const char *s, size_t len, size_t i, Groups *g)
{
    g->ngroups = 0;
    for (;;) {
        size_t n = digits_at(s, len, i);
        g->size[g->ngroups++] = n;
        i += n;
        g->end = i;
        if (g->ngroups == 32 || i >= len)
            return;
        char c = s[i];
        size_t sp = space_at(s, len, i);
        size_t ap = apostrophe_at(s, len, i);
        if ((c == '.' || c == ',') && digits_at(s, len, i + 1) > 0) {
            g->sep[g->ngroups - 1] = c;
            i += 1;
        } else if (ap > 0 && digits_at(s, len, i + ap) > 0) {
            g->sep[g->ngroups - 1] = '\'';
            i += ap;
        } else if (sp > 0 && digits_at(s, len, i + sp) == 3 &&
                   !(i + sp + 3 < len && isdigit((unsigned char)s[i + sp + 3])) && n <= 3) {
            g->sep[g->ngroups - 1] = ' ';
            i += sp;
        } else {
            return;
        }
    }
}

/* interpret turns groups into a value; false when the shape is not a
 * number (groups of the wrong size, separators mixed up). */
static bool interpret(const char *s, size_t start, const Groups *g, char hint, InvoiceNumber *out)
{
    size_t nsep = g->ngroups - 1;
    char dec = 0;
    int ndot = 0, ncomma = 0;

    for (size_t k = 0; k < nsep; k++) {
        ndot += g->sep[k] == '.';
        ncomma += g->sep[k] == ',';
    }
    if (nsep > 0) {
        char last = g->sep[nsep - 1];
        if (ndot > 0 && ncomma > 0) {
            dec = last;
            if ((dec == '.' && ndot != 1) || (dec == ',' && ncomma != 1))
                return false;
        } else if ((last == '.' && ndot == 1) || (last == ',' && ncomma == 1)) {
            size_t after = g->size[nsep];
            bool zero_int = nsep == 1 && g->size[0] == 1 && s[start] == '0';
            if (after != 3 || (hint == last) || (hint == 0 && zero_int))
                dec = last;
            /* after == 3 with the other hint, or no hint: a thousands group */
            if (after == 3 && hint != 0 && hint != last && !zero_int)
                dec = 0;
        }
    }
    size_t nint = dec != 0 ? g->ngroups - 1 : g->ngroups;
    /* integer groups: the first 1..3 digits when grouped, the others 3 */
    if (nint > 1) {
        if (g->size[0] < 1 || g->size[0] > 3)
            return false;
        for (size_t k = 1; k < nint; k++) {
            if (g->size[k] != 3)
                return false;
        }
        for (size_t k = 0; k + 1 < nint; k++) {
            if (g->sep[k] != g->sep[0] || g->sep[k] == dec)
                return false;
        }
    }
    long long v = 0;
    size_t ndigits = 0;
    size_t i = start;
    for (size_t k = 0; k < nint; k++) {
        for (size_t d = 0; d < g->size[k]; d++, i++) {
            if (++ndigits > MAX_INT_DIGITS)
                return false;
            v = v * 10 + (s[i] - '0');
        }
        /* the separator's bytes (one, or a no-break space's two or three) */
        while (k + 1 < g->ngroups && !isdigit((unsigned char)s[i]))
            i++;
    }
    v *= INVOICE_SCALE;
    out->decimals = 0;
    if (dec != 0) {
        size_t nd = g->size[g->ngroups - 1];
        long long scale = INVOICE_SCALE / 10;
        for (size_t d = 0; d < nd; d++, i++) {
            if (scale > 0) {
                v += (s[i] - '0') * scale;
                scale /= 10;
            } else if (d == 4 && s[i] >= '5') {
                v += 1; /* rounds at the fifth decimal */
            }
        }
        out->decimals = (int)nd;
    }
    out->value = v;
    out->decimal_sep = dec;
    out->grouped = nint > 1;
    return true;
}

/* glued_before says whether the character before s[i] ties a number
 * starting there to a word or code: a letter or digit, or one of "/-._"
 * with a letter or digit before it. */
static bool glued_before(const char *s, size_t i)
{
    if (i == 0)
        return false;
    /* the tail of a Swiss 2'720.00 is never a number of its own */
    if ((i >= 2 && s[i - 1] == '\'' && isdigit((unsigned char)s[i - 2])) ||
        (i >= 4 && memcmp(s + i - 3, "\xe2\x80\x99", 3) == 0 && isdigit((unsigned char)s[i - 4])))
        return true;
    unsigned char c = (unsigned char)s[i - 1];
    if (is_alnum_byte(c) && !(c >= 0x80))
        return true;
    if ((c == '/' || c == '.' || c == '_' || c == '-' || c == ':') && i >= 2 &&
        isalnum((unsigned char)s[i - 2]))
        return true;
    if (c == '/' || c == '#' || c == '_')
        return true;
    return false;
}

/* mark_before looks for a currency mark ending just before s[i], maybe
 * with one space between. */
static void mark_before(const char *s, size_t i, char code[4])
{
    for (size_t back = 1; back <= 6 && back <= i; back++) {
        char c[4];
        size_t n = invoice_currency_at(s, i, i - back, c);
        if (n > 0 && (i - back + n == i || (i - back + n + 1 == i && s[i - 1] == ' '))) {
            memcpy(code, c, 4);
            return;
        }
    }
}

/* Sign is a sign found before a number's digits: kind '-', '+', '('
 * or 0, at its first byte. */
typedef struct Sign {
    char kind;
    size_t at;
} Sign;

/* sign_before finds the sign of the digits at s[i]: '-', '+', '−' or
 * '(' just before them, or before a currency mark just before them
 * ("-£42.50", "-€ 12,00", "$(1,350.00)"; "£-12.00" is the first case),
 * with no letter or digit before the sign. */
static Sign sign_before(const char *s, size_t i)
{
    size_t at = i;

    for (int pass = 0; pass < 2; pass++) {
        if (at > 0 && (s[at - 1] == '-' || s[at - 1] == '+' || s[at - 1] == '(') &&
            (at == 1 || !isalnum((unsigned char)s[at - 2])))
            return (Sign){s[at - 1], at - 1};
        if (at >= 3 && memcmp(s + at - 3, "\xe2\x88\x92", 3) == 0) /* − */
            return (Sign){'-', at - 3};
        if (pass == 1)
            break;
        /* step back over a currency mark, maybe with one space after it */
        size_t mark = 0;
        for (size_t back = 1; back <= 6 && back <= at && mark == 0; back++) {
            char c[4];
            size_t n = invoice_currency_at(s, at, at - back, c);
            if (n > 0 && (at - back + n == at || (at - back + n + 1 == at && s[at - 1] == ' ')))
                mark = back;
        }
        if (mark == 0)
            break;
        at -= mark;
    }
    return (Sign){0, i};
}

bool invoice_number_next(const char *s, size_t len, size_t *pos, char hint, InvoiceNumber *out)
{
    size_t i = *pos;

    while (i < len) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        bool negative = false, paren = false;
        Sign sign = sign_before(s, i);
        if (sign.kind != 0) {
            negative = sign.kind == '-' || sign.kind == '(';
            paren = sign.kind == '(';
            start = sign.at;
        }
        Groups g;
        read_groups(s, len, i, &g);
        size_t end = g.end;
        bool glued =
            glued_before(s, start) ||
            (end < len && (isalpha((unsigned char)s[end]) || s[end] == '_')) ||
            (end + 1 < len && (s[end] == '/' || s[end] == '-' || s[end] == '.' || s[end] == ':') &&
             isalnum((unsigned char)s[end + 1]));
        /* a currency code glued after ("12EUR") is still a number */
        char after_code[4] = "";
        if (glued && end < len && isalpha((unsigned char)s[end]) && !glued_before(s, start) &&
            invoice_currency_at(s, len, end, after_code) == 3)
            glued = false;
        if (glued || !interpret(s, i, &g, hint, out)) {
            /* skip the whole word or code */
            i = end;
            while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '/' || s[i] == '-' ||
                               s[i] == '.' || s[i] == ',' || s[i] == '_' || s[i] == ':'))
                i++;
            continue;
        }
        /* (1,250.00) is a negative amount, so is 12,00- (decimals
         * written: "(500)" and "10-" are a count and a range) */
        if (paren && (out->decimals == 0 || end >= len || s[end] != ')'))
            negative = false, start = i;
        else if (paren)
            end++;
        else if (!negative && out->decimals > 0 && end < len && s[end] == '-' &&
                 (end + 1 == len || !isalnum((unsigned char)s[end + 1]))) {
            negative = true;
            end++;
        }
        if (negative)
            out->value = -out->value;
        out->start = start;
        out->end = end;
        out->currency[0] = '\0';
        out->percent = false;
        size_t j = end;
        while (j < len && s[j] == ' ')
            j++;
        if (j < len && s[j] == '%')
            out->percent = true;
        else {
            size_t sp = space_at(s, len, end);
            if (invoice_currency_at(s, len, end + sp, out->currency) == 0) {
                /* "£42.50", then "£ -42.50" or "$(1,350.00)" */
                size_t digits = paren ? i - (start < i && s[i - 1] == '(' ? 1 : 0) : i;
                mark_before(s, digits, out->currency);
                if (out->currency[0] == '\0')
                    mark_before(s, start, out->currency);
            }
        }
        *pos = end;
        return true;
    }
    *pos = len;
    return false;
}

bool invoice_number_parse(const char *s, char hint, InvoiceNumber *out)
{
    size_t len = strlen(s), pos = 0;
    InvoiceNumber n, extra;
    char code[4];

    if (!invoice_number_next(s, len, &pos, hint, &n))
        return false;
    size_t after = pos;
    if (invoice_number_next(s, len, &after, hint, &extra))
        return false;
    /* nothing else but spaces, a sign, a mark and a '%' */
    for (size_t i = 0; i < len;) {
        if (i >= n.start && i < n.end) {
            i = n.end;
            continue;
        }
        size_t m = invoice_currency_at(s, len, i, code);
        if (m > 0) {
            i += m;
            continue;
        }
        size_t sp = space_at(s, len, i);
        if (sp > 0 || s[i] == '\t' || s[i] == '%') {
            i += sp > 0 ? sp : 1;
            continue;
        }
        return false;
    }
    *out = n;
    return true;
}

void invoice_number_vote(const char *s, size_t len, int votes[2])
{
    for (size_t i = 0; i < len;) {
        if (!isdigit((unsigned char)s[i]) || (i > 0 && isalnum((unsigned char)s[i - 1]))) {
            i++;
            continue;
        }
        Groups g;
        read_groups(s, len, i, &g);
        if (g.ngroups >= 2 && !(g.end < len && (isalpha((unsigned char)s[g.end]) ||
                                                s[g.end] == '/' || s[g.end] == '-'))) {
            char last = g.sep[g.ngroups - 2];
            size_t after = g.size[g.ngroups - 1];
            bool mixed = false;
            for (size_t k = 0; k + 2 < g.ngroups; k++)
                mixed |= g.sep[k] != last && g.sep[k] != ' ' && g.sep[k] != '\'';
            if ((mixed || after == 1 || after == 2 || after == 4) && (last == ',' || last == '.'))
                votes[last == ',' ? 0 : 1]++;
        }
        i = g.end > i ? g.end : i + 1;
    }
}
