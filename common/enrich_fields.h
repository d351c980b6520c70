/* SPDX-License-Identifier: MIT */
/*
 * enrich_fields.h - the amount, currency and date of an enrich item,
 * parsed and checked by one piece of code for both programs: pgjob.fcgi
 * refuses an item whose fields are malformed at submit (422, item_rules.c)
 * and pgjobd's enrich handler reads the same fields with the same rules
 * (handler_enrich.c), so that an item the front end accepted is never
 * rejected by the handler for its fields, nor the other way round.
 *
 *   amount    a JSON number or a decimal string ("-12.50", "12.50", "+3");
 *             sign convention: negative is money out of the account (a
 *             debit), positive is money in (a credit), as on a bank
 *             statement; |amount| at most ENRICH_AMOUNT_MAX
 *   currency  an ISO 4217 code of an active currency, any case ("usd")
 *   date      an ISO 8601 calendar date "YYYY-MM-DD" or a date-time
 *             "YYYY-MM-DDTHH:MM[:SS[.f]][Z|+HH:MM|-HH:MM]", a real date of
 *             the years 1900 to 2199; the date part is the item's date
 *
 * Pure: no I/O, no allocation, no global state but read-only tables.
 */
#ifndef PGJOB_ENRICH_FIELDS_H
#define PGJOB_ENRICH_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* ENRICH_AMOUNT_MAX: larger magnitudes are refused as absurd (a trillion;
 * no card or account movement comes near, a parse error often does). */
#define ENRICH_AMOUNT_MAX 1e12

/* EnrichDate is a calendar date; enrich_date_valid tells whether it is real. */
typedef struct EnrichDate {
    int year, month, day;
} EnrichDate;

/* EnrichFields holds the optional fields of one item, checked. */
typedef struct EnrichFields {
    char mcc[5]; /* 4 digits, or "" when not given */
    bool has_amount;
    double amount;    /* negative: debit (money out); positive: credit */
    char currency[4]; /* upper case, or "" when not given */
    bool has_date;
    EnrichDate date;
    char date_text[11]; /* "YYYY-MM-DD", or "" */
} EnrichFields;

/* enrich_fields_read reads "mcc" (4 digits as a string, or an integer
 * 0..9999), "amount", "currency" and "date" of item
 * (borrowed; members absent or null are not given) into *f.  Returns NULL
 * when they are well-formed, else why not: static text naming the field,
 * e.g. "currency must be an ISO 4217 code such as \"USD\"". */
const char *enrich_fields_read(const json_t *item, EnrichFields *f);

/* enrich_amount_parse parses the decimal string s[0, len): an optional
 * sign, digits, optionally '.' and more digits; no exponent, spaces,
 * thousands separators or symbols.  False when malformed or absurd. */
bool enrich_amount_parse(const char *s, size_t len, double *out)
    __attribute__((warn_unused_result));

/* enrich_currency_parse upper-cases the 3-letter code s[0, len) into out
 * and returns true when it is an active ISO 4217 currency. */
bool enrich_currency_parse(const char *s, size_t len, char out[4])
    __attribute__((warn_unused_result));

/* enrich_currency_country returns the ISO 3166 alpha-2 country that issues
 * the currency code (upper case, checked), "" for a currency of several
 * countries (EUR, XOF, ...), NULL for an unknown code.  Static. */
const char *enrich_currency_country(const char *code);

/* enrich_date_parse reads an ISO 8601 date or date-time s[0, len) (see
 * above) and stores its date part in *d; false when malformed or unreal. */
bool enrich_date_parse(const char *s, size_t len, EnrichDate *d)
    __attribute__((warn_unused_result));

/* enrich_date_valid tells whether y-m-d is a real date of 1900 to 2199. */
bool enrich_date_valid(int y, int m, int d);

/* enrich_date_days returns the days from 1970-01-01 to a valid *d. */
long enrich_date_days(const EnrichDate *d);

#endif
