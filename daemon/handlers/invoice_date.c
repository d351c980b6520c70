/* SPDX-License-Identifier: MIT */
/* invoice_date.c - dates of invoices in four languages (invoice_date.h). */
#include "invoice_date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "invoice_text.h"

/* Month names, folded (invoice_fold): whole and short, four languages. */
static const struct {
    const char *name;
    int month;
} months[] = {
    /* Italian */
    {"gennaio", 1},
    {"febbraio", 2},
    {"marzo", 3},
    {"aprile", 4},
    {"maggio", 5},
    {"giugno", 6},
    {"luglio", 7},
    {"agosto", 8},
    {"settembre", 9},
    {"ottobre", 10},
    {"novembre", 11},
    {"dicembre", 12},
    {"gen", 1},
    {"mag", 5},
    {"giu", 6},
    {"lug", 7},
    {"ago", 8},
    {"set", 9},
    {"ott", 10},
    {"dic", 12},
    /* English */
    {"january", 1},
    {"february", 2},
    {"march", 3},
    {"april", 4},
    {"may", 5},
    {"june", 6},
    {"july", 7},
    {"august", 8},
    {"september", 9},
    {"october", 10},
    {"november", 11},
    {"december", 12},
    {"jan", 1},
    {"feb", 2},
    {"mar", 3},
    {"apr", 4},
    {"jun", 6},
    {"jul", 7},
    {"aug", 8},
    {"sep", 9},
    {"sept", 9},
    {"oct", 10},
    {"nov", 11},
    {"dec", 12},
    /* German */
    {"januar", 1},
    {"janner", 1},
    {"februar", 2},
    {"marz", 3},
    {"maerz", 3},
    {"mai", 5},
    {"juni", 6},
    {"juli", 7},
    {"oktober", 10},
    {"dezember", 12},
    {"mrz", 3},
    {"okt", 10},
    {"dez", 12},
    /* French */
    {"janvier", 1},
    {"fevrier", 2},
    {"mars", 3},
    {"avril", 4},
    {"juin", 6},
    {"juillet", 7},
    {"aout", 8},
    {"septembre", 9},
    {"octobre", 10},
    {"decembre", 12},
    {"janv", 1},
    {"fevr", 2},
    {"fev", 2},
    {"avr", 4},
    {"juil", 7},
};

bool invoice_date_valid(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

void invoice_date_iso(int key, char buf[11])
{
    unsigned k = key > 0 ? (unsigned)key : 0;
    snprintf(buf, 11, "%04u-%02u-%02u", (k / 10000) % 10000, k / 100 % 100, k % 100);
}

static int month_of(const char *word, size_t n)
{
    for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
        if (strlen(months[i].name) == n && memcmp(months[i].name, word, n) == 0)
            return months[i].month;
    }
    return 0;
}

/* read_int reads up to max digits at s[*i]; their count, 0 for none. */
static int read_int(const char *s, size_t len, size_t *i, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (*i < len && n < max + 1 && isdigit((unsigned char)s[*i])) {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n;
}

/* numeric_at reads a date of numbers at s[i]; its end, or 0. */
static size_t numeric_at(const char *s, size_t len, size_t i, bool month_first, int *key)
{
    int a, b, c, na, nb, nc;
    size_t j = i;

    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '/' ||
                  s[i - 1] == '-' || s[i - 1] == ','))
        return 0;
    na = read_int(s, len, &j, 4, &a);
    if ((na != 1 && na != 2 && na != 4) || j >= len)
        return 0;
    char sep = s[j];
    if (sep != '/' && sep != '.' && sep != '-')
        return 0;
    j++;
    nb = read_int(s, len, &j, 2, &b);
    if (nb < 1 || nb > 2 || j >= len || s[j] != sep)
        return 0;
    j++;
    nc = read_int(s, len, &j, 4, &c);
    if (j < len &&
        (isalnum((unsigned char)s[j]) || ((s[j] == sep || s[j] == ',' || s[j] == '.') &&
                                          j + 1 < len && isdigit((unsigned char)s[j + 1]))))
        return 0;
    int y, m, d;
    if (na == 4) {
        if (nc < 1 || nc > 2)
            return 0;
        y = a, m = b, d = c;
    } else {
        if (nc != 4 && nc != 2)
            return 0;
        y = nc == 2 ? 2000 + c : c;
        if (a > 12 || (!month_first && b <= 12))
            d = a, m = b;
        else
            d = b, m = a;
    }
    if (!invoice_date_valid(y, m, d))
        return 0;
    *key = y * 10000 + m * 100 + d;
    return j;
}

void invoice_date_order_vote(const char *s, size_t len, int votes[2])
{
    for (size_t i = 0; i < len; i++) {
        int key;
        if (!isdigit((unsigned char)s[i]) || numeric_at(s, len, i, false, &key) == 0)
            continue;
        /* the two first numbers, when the year comes last */
        size_t j = i;
        int a, b;
        if (read_int(s, len, &j, 2, &a) > 2 || j + 1 >= len)
            continue;
        j++;
        if (read_int(s, len, &j, 2, &b) > 2)
            continue;
        if (a > 12 && b <= 12)
            votes[0]++;
        else if (b > 12 && a <= 12)
            votes[1]++;
    }
}

/* Token is one word of a folded line. */
typedef struct Token {
    size_t start, end;
} Token;

/* day_token reads a day ("3", "03", "1er", "3rd") from a folded word. */
static int day_token(const char *w, size_t n)
{
    size_t k = 0;
    int d = 0;
    while (k < n && k < 2 && isdigit((unsigned char)w[k]))
        d = d * 10 + (w[k++] - '0');
    if (k == 0)
        return 0;
    if (k < n) {
        size_t rest = n - k;
        const char *r = w + k;
        if (!((rest == 2 &&
               (memcmp(r, "er", 2) == 0 || memcmp(r, "st", 2) == 0 || memcmp(r, "nd", 2) == 0 ||
                memcmp(r, "rd", 2) == 0 || memcmp(r, "th", 2) == 0))))
            return 0;
    }
    return d;
}

static int year_token(const char *w, size_t n)
{
    if (n != 4)
        return 0;
    int y = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!isdigit((unsigned char)w[k]))
            return 0;
        y = y * 10 + (w[k] - '0');
    }
    return y;
}

/* textual_next finds the first date with a month's name in the folded
 * line f, starting at or after source byte pos. */
static bool textual_next(const InvoiceFolded *f, size_t pos, InvoiceDate *out)
{
    Token tok[3];
    size_t ntok = 0;
    size_t i = 0;

    while (i < f->len) {
        while (i < f->len && f->s[i] == ' ')
            i++;
        if (i >= f->len)
            break;
        size_t st = i;
        while (i < f->len && f->s[i] != ' ')
            i++;
        /* slide a window of three words */
        if (ntok == 3) {
            tok[0] = tok[1];
            tok[1] = tok[2];
            ntok = 2;
        }
        tok[ntok++] = (Token){st, i};
        if (ntok < 3 || f->from[tok[0].start] < pos)
            continue;
        const char *w0 = f->s + tok[0].start, *w1 = f->s + tok[1].start, *w2 = f->s + tok[2].start;
        size_t n0 = tok[0].end - tok[0].start, n1 = tok[1].end - tok[1].start,
               n2 = tok[2].end - tok[2].start;
        int y = year_token(w2, n2), d, m;
        if (y == 0)
            continue;
        if ((d = day_token(w0, n0)) > 0 && (m = month_of(w1, n1)) > 0) {
            /* 12 marzo 2026 */
        } else if ((m = month_of(w0, n0)) > 0 && (d = day_token(w1, n1)) > 0) {
            /* March 3, 2026 */
        } else {
            continue;
        }
        if (!invoice_date_valid(y, m, d))
            continue;
        out->key = y * 10000 + m * 100 + d;
        out->start = f->from[tok[0].start];
        out->end = f->from[tok[2].end];
        return true;
    }
    return false;
}

bool invoice_date_next(const char *s, size_t len, size_t *pos, bool month_first, InvoiceDate *out)
{
    InvoiceDate num = {0}, text = {0};
    bool have_num = false, have_text = false;
    InvoiceFolded f;

    for (size_t i = *pos; i < len && !have_num; i++) {
        int key;
        size_t end;
        if (isdigit((unsigned char)s[i]) && (end = numeric_at(s, len, i, month_first, &key)) > 0) {
            num = (InvoiceDate){.key = key, .start = i, .end = end};
            have_num = true;
        }
    }
    if (invoice_fold(s, len, &f)) {
        have_text = textual_next(&f, *pos, &text);
        invoice_folded_free(&f);
    }
    if (!have_num && !have_text)
        return false;
    *out = have_num && (!have_text || num.start <= text.start) ? num : text;
    *pos = out->end;
    return true;
}

int invoice_date_parse(const char *s, bool month_first)
{
    size_t len = strlen(s), pos = 0;
    InvoiceDate d;

    if (!invoice_date_next(s, len, &pos, month_first, &d))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if ((i < d.start || i >= d.end) && !isspace((unsigned char)s[i]) && s[i] != ',' &&
            s[i] != '.')
            return 0;
    }
    return d.key;
}
