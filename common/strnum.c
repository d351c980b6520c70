/* SPDX-License-Identifier: MIT */
/* strnum.c parses whole strings as numbers with strtol/strtod and full checks. */
#include "strnum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* starts_like_number says whether s begins with an optional sign and then
 * a digit (or, if dot_ok, a '.'): this rejects the leading spaces that
 * strtol and strtod would skip, and the "inf"/"nan" words strtod takes. */
static bool starts_like_number(const char *s, bool dot_ok)
{
    if (*s == '+' || *s == '-')
        s++;
    return (*s >= '0' && *s <= '9') || (dot_ok && *s == '.');
}

bool strnum_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || !starts_like_number(s, false))
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool strnum_digits(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    return strnum_long(s, min, max, out);
}

bool strnum_int(const char *s, int min, int max, int *out)
{
    long v;

    if (!strnum_long(s, min, max, &v))
        return false;
    *out = (int)v;
    return true;
}

bool strnum_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    if (s == NULL || !starts_like_number(s, true) || strpbrk(s, "xX") != NULL)
        return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}
