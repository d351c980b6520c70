/* SPDX-License-Identifier: MIT */
/*
 * invoice_vat.h - VAT identification numbers: the Italian partita IVA's
 * check digit, and VAT ids of the EU countries, the UK, Switzerland and
 * Norway found in a line of text by their shape (country prefix, then the
 * country's count of digits and letters), so that IBANs, phone numbers
 * and order codes are not taken for one.
 */
#ifndef PGJOB_INVOICE_VAT_H
#define PGJOB_INVOICE_VAT_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a normalized VAT id with its NUL ("IT" + 11 digits, the
 * longest ones are 14 characters, "CHE123456789MWST" is 16). */
enum { INVOICE_VAT_SIZE = 24 };

/* invoice_piva_valid says whether digits (exactly 11 ASCII digits) is a
 * partita IVA whose last digit is the check digit of the first ten: the
 * Luhn-like algorithm of the Agenzia delle Entrate (digits in odd places
 * summed; digits in even places doubled, less 9 when over 9, summed; the
 * check digit is (10 - sum mod 10) mod 10).  Anything but 11 digits is
 * not valid. */
bool invoice_piva_valid(const char *digits);

/* invoice_vat_next finds the next VAT id of s[len] at or after *pos:
 * writes it normalized (upper case, no spaces, dots or dashes, with its
 * country prefix) to out, its bytes to *start and *end, and moves *pos
 * past it.  italian_label says the line names a partita IVA, so that 11
 * bare digits are one (written "IT" + digits).  False when there is
 * none. */
bool invoice_vat_next(const char *s, size_t len, size_t *pos, bool italian_label,
                      char out[INVOICE_VAT_SIZE], size_t *start, size_t *end);

/* invoice_vat_is_italian says whether a normalized VAT id is Italian:
 * "IT" and anything, or 11 bare digits. */
bool invoice_vat_is_italian(const char *vat);

/* invoice_vat_italian_digits returns the digits of an Italian VAT id
 * (after "IT"), or NULL when vat is not Italian. */
const char *invoice_vat_italian_digits(const char *vat);

/* invoice_vat_normalize writes raw (a client's VAT id, "it 0123 4567
 * 890") normalized to out; 11 bare digits become "IT" + digits.  False
 * when raw is empty or too long. */
bool invoice_vat_normalize(const char *raw, char out[INVOICE_VAT_SIZE]);

#endif
