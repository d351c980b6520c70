/* SPDX-License-Identifier: MIT */
/*
 * invoice_number.h - numbers and currency marks as invoices write them:
 * 1.234,56 (Italian, German), 1,234.56 (English), 1 234,56 with a space
 * or a no-break space (French), 1'234.56 (Swiss), a sign, a currency
 * symbol or code before or after, a '%' after.  Values are fixed-point
 * integers in ten-thousandths, so that sums and the one-cent comparisons
 * of the flags are exact.
 *
 * A lone separator followed by exactly three digits ("1.500", "1,500")
 * is ambiguous; it is read with the document's decimal separator (the
 * hint, see invoice_number_vote) and, without one, as a thousands group
 * unless the integer part is 0.
 */
#ifndef PGJOB_INVOICE_NUMBER_H
#define PGJOB_INVOICE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

/* Money, quantities and rates are kept as value * INVOICE_SCALE. */
enum { INVOICE_SCALE = 10000 };
/* One cent in that scale. */
enum { INVOICE_CENT = INVOICE_SCALE / 100 };

/* InvoiceNumber is one number found in a text. */
typedef struct InvoiceNumber {
    long long value;   /* times INVOICE_SCALE, sign included */
    int decimals;      /* digits written after the decimal separator */
    char decimal_sep;  /* ',' or '.' when one was read as such, else 0 */
    bool grouped;      /* thousands were grouped */
    bool percent;      /* a '%' follows */
    size_t start, end; /* its bytes, sign included, marks and '%' not */
    char currency[4];  /* ISO 4217 code of a mark just before or after, or "" */
} InvoiceNumber;

/* invoice_number_next finds the next number of s[len] at or after *pos,
 * fills *out and moves *pos past it; false when there is none.  Digits
 * glued to letters or to '/', '-' or '.' and more digits (codes, dates,
 * VAT ids, IBANs) are not numbers.  hint is the document's decimal
 * separator (',' or '.') or 0. */
bool invoice_number_next(const char *s, size_t len, size_t *pos, char hint, InvoiceNumber *out);

/* invoice_number_parse reads all of s (spaces around, a currency mark
 * and a '%' allowed) as one number; false when it is not exactly one. */
bool invoice_number_parse(const char *s, char hint, InvoiceNumber *out)
    __attribute__((warn_unused_result));

/* invoice_number_vote adds to votes[0] (',') and votes[1] ('.') what the
 * numbers of s[len] say about the decimal separator: a number with both
 * separators, or one followed by one, two or four digits. */
void invoice_number_vote(const char *s, size_t len, int votes[2]);

/* invoice_currency_at says whether a currency mark (a symbol such as
 * "€", a code such as "EUR" standing alone, or the word "euro") starts at
 * s[i]; if so copies its code to code[4] and returns its length in bytes,
 * else returns 0. */
size_t invoice_currency_at(const char *s, size_t len, size_t i, char code[4]);

/* invoice_currency_known says whether code is one of the codes
 * invoice_currency_at knows. */
bool invoice_currency_known(const char *code);

#endif
