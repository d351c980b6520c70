/* SPDX-License-Identifier: MIT */
/* jsonnum.c - which JSON numbers a job may hold; see jsonnum.h. */
#include "jsonnum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's numeric keeps at most this many digits after the point
 * (NUMERIC_DSCALE_MAX). */
#define PG_NUMERIC_DSCALE_MAX 16383L

/* An exponent past this is saturated: it is far beyond every limit. */
#define EXPONENT_CAP 1000000000L

/* The digits of INT64_MAX; INT64_MIN's are the same but the last, 8. */
static const char int64_max_digits[] = "9223372036854775807";

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Literal is a JSON number literal taken apart. */
typedef struct Literal {
    bool negative;
    const char *int_digits; /* digits before the point */
    size_t int_len;
    const char *frac_digits; /* digits after the point */
    size_t frac_len;
    long exponent; /* saturated at +-EXPONENT_CAP */
} Literal;

static void split(const char *p, const char *end, Literal *lit)
{
    memset(lit, 0, sizeof(*lit));
    if (p < end && *p == '-') {
        lit->negative = true;
        p++;
    }
    lit->int_digits = p;
    while (p < end && is_digit(*p))
        p++;
    lit->int_len = (size_t)(p - lit->int_digits);
    if (p < end && *p == '.') {
        lit->frac_digits = ++p;
        while (p < end && is_digit(*p))
            p++;
        lit->frac_len = (size_t)(p - lit->frac_digits);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool minus = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            minus = *p++ == '-';
        for (; p < end && is_digit(*p); p++) {
            if (lit->exponent < EXPONENT_CAP)
                lit->exponent = lit->exponent * 10 + (*p - '0');
        }
        if (minus)
            lit->exponent = -lit->exponent;
    }
}

/* digit_at returns digit i of the literal's digits (integer part then
 * fraction), without the point. */
static char digit_at(const Literal *lit, size_t i)
{
    return i < lit->int_len ? lit->int_digits[i] : lit->frac_digits[i - lit->int_len];
}

/* integer_fits says whether the literal, whose value is an integer (no
 * digits left after the point once the exponent is applied), fits in a
 * signed 64-bit integer. */
static bool integer_fits(const Literal *lit)
{
    size_t ndigits = lit->int_len + lit->frac_len, first = 0;
    long len;
    char digits[sizeof(int64_max_digits)];

    while (first < ndigits && digit_at(lit, first) == '0')
        first++;
    if (first == ndigits)
        return true; /* zero */
    /* The value's digits: those from the first non-zero one, then
     * `exponent - frac_len` zeros (not negative: the value is integral). */
    len = (long)(ndigits - first) + (lit->exponent - (long)lit->frac_len);
    if (len < (long)sizeof(int64_max_digits) - 1)
        return true;
    if (len > (long)sizeof(int64_max_digits) - 1)
        return false;
    for (long i = 0; i < len; i++) {
        size_t k = first + (size_t)i;
        digits[i] = k < ndigits ? digit_at(lit, k) : '0';
    }
    digits[len] = '\0';
    if (lit->negative)
        return strcmp(digits, "9223372036854775808") <= 0;
    return strcmp(digits, int64_max_digits) <= 0;
}

/* real_fits says whether the literal reads as a finite double. */
static bool real_fits(const char *num, size_t len)
{
    char small[64];
    char *copy = len < sizeof(small) ? small : malloc(len + 1);
    bool ok;

    if (copy == NULL)
        return false;
    memcpy(copy, num, len);
    copy[len] = '\0';
    double v = strtod(copy, NULL);
    ok = !isinf(v); /* overflow; an underflow (ERANGE near 0) is fine to jansson */
    if (copy != small)
        free(copy);
    return ok;
}

bool jsonnum_storable(const char *num, size_t len)
{
    Literal lit;
    long dscale;

    split(num, num + len, &lit);
    dscale = (long)lit.frac_len - lit.exponent;
    if (dscale > PG_NUMERIC_DSCALE_MAX)
        return false;
    if (dscale <= 0)
        return integer_fits(&lit);
    return real_fits(num, len);
}

/* skip_string returns p (just past an opening quote) past the closing
 * quote. */
static const char *skip_string(const char *p, const char *end)
{
    while (p < end && *p != '"')
        p += *p == '\\' && p + 1 < end ? 2 : 1;
    return p < end ? p + 1 : end;
}

const char *jsonnum_find_unstorable(const char *text, size_t len, size_t *num_len, char *key,
                                    size_t keysize)
{
    const char *p = text, *end = text + len;
    int depth = 0;
    size_t lead = strspn(text, " \t\r\n");
    bool object = lead < len && text[lead] == '{'; /* the text is an object */
    bool expect_key = false; /* depth 1 of that object, before a member's name */

    if (keysize > 0)
        key[0] = '\0';
    while (p < end) {
        char c = *p;
        if (c == '"') {
            const char *start = p + 1;
            p = skip_string(start, end);
            if (depth == 1 && expect_key && keysize > 0) {
                size_t n = (size_t)(p - 1 - start);
                n = n < keysize - 1 ? n : keysize - 1;
                memcpy(key, start, n);
                key[n] = '\0';
                expect_key = false;
            }
        } else if (c == '-' || is_digit(c)) {
            const char *start = p;
            while (p < end && (is_digit(*p) || strchr("+-.eE", *p) != NULL))
                p++;
            if (!jsonnum_storable(start, (size_t)(p - start))) {
                *num_len = (size_t)(p - start);
                return start;
            }
        } else {
            if (c == '{' || c == '[') {
                depth++;
                expect_key = object && depth == 1;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && object && depth == 1) {
                expect_key = true;
            }
            p++;
        }
    }
    return NULL;
}
