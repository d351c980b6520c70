/* SPDX-License-Identifier: MIT */
/*
 * strnum.h - checked parsing of numbers written as text (configuration,
 * command lines, query strings, database values).  A string is accepted
 * only if all of it is one number in [min, max]: no leading or trailing
 * space, no trailing garbage, no overflow.  Never use atoi or a bare
 * strtol on outside data.
 */
#ifndef PGJOB_STRNUM_H
#define PGJOB_STRNUM_H

#include <stdbool.h>

/* strnum_long parses s as a decimal integer with an optional sign ("+5",
 * "-17") and stores it in *out if it lies in [min, max].  Returns false,
 * leaving *out unchanged, for NULL, "", any space or other character
 * outside the number, hex or octal prefixes' letters, overflow, or a value
 * outside [min, max]. */
bool strnum_long(const char *s, long min, long max, long *out) __attribute__((warn_unused_result));

/* strnum_digits is strnum_long for text that must be digits only, as in
 * a port or a Content-Length: no sign at all ("+80" and "-0" are
 * refused). */
bool strnum_digits(const char *s, long min, long max, long *out)
    __attribute__((warn_unused_result));

/* strnum_int is strnum_long for an int. */
bool strnum_int(const char *s, int min, int max, int *out) __attribute__((warn_unused_result));

/* strnum_double parses s as a finite decimal floating-point number
 * ("1.5", "-0.25", "1e3") in [min, max] and stores it in *out.  Returns
 * false, leaving *out unchanged, for NULL, "", spaces, trailing garbage,
 * "inf", "nan", hexadecimal forms, overflow or underflow (ERANGE), or a
 * value outside [min, max].  Uses the C locale's '.' as long as the
 * program never calls setlocale(LC_NUMERIC). */
bool strnum_double(const char *s, double min, double max, double *out)
    __attribute__((warn_unused_result));

#endif
