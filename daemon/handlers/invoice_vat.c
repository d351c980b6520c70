/* SPDX-License-Identifier: MIT */
/* invoice_vat.c - VAT ids and the partita IVA check digit (invoice_vat.h). */
#include "invoice_vat.h"

#include <ctype.h>
#include <string.h>

bool invoice_piva_valid(const char *digits)
{
    int sum = 0;

    if (strlen(digits) != 11)
        return false;
    for (int i = 0; i < 11; i++) {
        if (!isdigit((unsigned char)digits[i]))
            return false;
    }
    for (int i = 0; i < 10; i++) {
        int d = digits[i] - '0';
        if (i % 2 == 1) { /* the 2nd, 4th... digit */
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10 == digits[10] - '0';
}

/* A shape: after the prefix, a pattern of 'd' (digit), 'a' (letter),
 * 'x' (either).  A country may have several. */
static const struct {
    const char *prefix;
    const char *shape;
} shapes[] = {
    {"IT", "ddddddddddd"},  {"DE", "ddddddddd"},    {"FR", "xxddddddddd"}, {"GB", "ddddddddd"},
    {"GB", "dddddddddddd"}, {"XI", "ddddddddd"},    {"IE", "dddddddaa"},   {"IE", "ddddddda"},
    {"IE", "dadddddda"},    {"NL", "dddddddddadd"}, {"AT", "adddddddd"},   {"BE", "dddddddddd"},
    {"ES", "xdddddddx"},    {"PT", "ddddddddd"},    {"LU", "dddddddd"},    {"DK", "dddddddd"},
    {"FI", "dddddddd"},     {"SE", "dddddddddddd"}, {"PL", "dddddddddd"},  {"CZ", "dddddddd"},
    {"CZ", "ddddddddd"},    {"CZ", "dddddddddd"},   {"SK", "dddddddddd"},  {"HU", "dddddddd"},
    {"SI", "dddddddd"},     {"HR", "ddddddddddd"},  {"RO", "dddddddddd"},  {"BG", "ddddddddd"},
    {"BG", "dddddddddd"},   {"EL", "ddddddddd"},    {"CY", "dddddddda"},   {"MT", "dddddddd"},
    {"LT", "ddddddddd"},    {"LT", "dddddddddddd"}, {"LV", "ddddddddddd"}, {"EE", "ddddddddd"},
    {"CHE", "ddddddddd"},   {"NO", "ddddddddd"},
};

static bool fits(const char *body, const char *shape)
{
    if (strlen(body) != strlen(shape))
        return false;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        unsigned char c = (unsigned char)body[i];
        if ((shape[i] == 'd' && !isdigit(c)) || (shape[i] == 'a' && !isalpha(c)) ||
            (shape[i] == 'x' && !isalnum(c)))
            return false;
    }
    return true;
}

/* Gathered is the letters and digits from a place in a line, across
 * single spaces, dots and dashes between them, upper-cased; with the
 * places where such a separator was crossed, where an id may end. */
typedef struct Gathered {
    char buf[40];
    size_t ncuts;
    size_t cut_len[16]; /* buf's length at each possible end, growing */
    size_t cut_end[16]; /* the source byte after it */
} Gathered;

static void gather(const char *s, size_t len, size_t i, Gathered *g)
{
    size_t n = 0;

    g->ncuts = 0;
    while (i < len && n + 1 < sizeof(g->buf)) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c)) {
            g->buf[n++] = (char)toupper(c);
            i++;
            continue;
        }
        if (n > 0 && g->ncuts < 16) {
            g->cut_len[g->ncuts] = n;
            g->cut_end[g->ncuts++] = i;
        }
        if ((c == ' ' || c == '.' || c == '-') && i + 1 < len && isalnum((unsigned char)s[i + 1]) &&
            n > 0 && g->ncuts < 16)
            i++;
        else
            break;
    }
    if (n > 0 && (g->ncuts == 0 || g->cut_len[g->ncuts - 1] != n) && g->ncuts < 16) {
        g->cut_len[g->ncuts] = n;
        g->cut_end[g->ncuts++] = i;
    }
    g->buf[n] = '\0';
}

/* match_shapes says whether buf is, all of it, a known shape of VAT id
 * (a prefix and its body); writes it to out. */
static bool match_shapes(const char *buf, char out[INVOICE_VAT_SIZE])
{
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        size_t np = strlen(shapes[k].prefix), ns = strlen(shapes[k].shape);
        if (strncmp(buf, shapes[k].prefix, np) != 0 || strlen(buf) != np + ns ||
            !fits(buf + np, shapes[k].shape))
            continue;
        memcpy(out, buf, np + ns);
        out[np + ns] = '\0';
        return true;
    }
    return false;
}

/* match_at tries the ids that start at s[i] and end at one of the cuts,
 * the longest first; italian_digits also takes 11 bare digits. */
static bool match_at(const char *s, size_t len, size_t i, bool italian_digits,
                     char out[INVOICE_VAT_SIZE], size_t *end)
{
    Gathered g;

    gather(s, len, i, &g);
    for (size_t k = g.ncuts; k-- > 0;) {
        char buf[40];
        memcpy(buf, g.buf, g.cut_len[k]);
        buf[g.cut_len[k]] = '\0';
        if (isalpha((unsigned char)buf[0]) ? match_shapes(buf, out)
                                           : italian_digits && fits(buf, "ddddddddddd")) {
            if (!isalpha((unsigned char)buf[0])) {
                out[0] = 'I';
                out[1] = 'T';
                memcpy(out + 2, buf, 12);
            }
            *end = g.cut_end[k];
            return true;
        }
    }
    return false;
}

bool invoice_vat_next(const char *s, size_t len, size_t *pos, bool italian_label,
                      char out[INVOICE_VAT_SIZE], size_t *start, size_t *end)
{
    for (size_t i = *pos; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) || (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        /* a country prefix is written in capitals */
        if (isalpha(c) && !(isupper(c) && i + 1 < len && isupper((unsigned char)s[i + 1])))
            continue;
        if (isdigit(c) && !italian_label)
            continue;
        if (match_at(s, len, i, italian_label, out, end)) {
            *start = i;
            *pos = *end;
            return true;
        }
    }
    *pos = len;
    return false;
}

bool invoice_vat_is_italian(const char *vat)
{
    return invoice_vat_italian_digits(vat) != NULL;
}

const char *invoice_vat_italian_digits(const char *vat)
{
    if (vat == NULL)
        return NULL;
    if (vat[0] == 'I' && vat[1] == 'T')
        return vat + 2;
    if (fits(vat, "ddddddddddd"))
        return vat;
    return NULL;
}

bool invoice_vat_normalize(const char *raw, char out[INVOICE_VAT_SIZE])
{
    size_t n = 0;

    for (const char *p = raw; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '.' || c == '-' || c == '\t')
            continue;
        if (n + 1 >= INVOICE_VAT_SIZE)
            return false;
        out[n++] = (char)toupper(c);
    }
    out[n] = '\0';
    if (n == 0)
        return false;
    if (n == 11 && fits(out, "ddddddddddd")) {
        memmove(out + 2, out, 12);
        out[0] = 'I';
        out[1] = 'T';
    }
    return true;
}
