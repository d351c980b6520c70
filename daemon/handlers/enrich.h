/* SPDX-License-Identifier: MIT */
/*
 * enrich.h - turns one raw bank transaction descriptor ("SQ *BLUE BOTTLE
 * COFFE Oakland CA") into a merchant, category, channel, location and
 * transaction type, from fixed rules and the merchant table
 * (enrich_merchants.h).  Pure and deterministic: no I/O, no allocation, no
 * global state but the read-only merchant index; safe from any thread.
 *
 * The pipeline:
 *   1. tokenize: upper-case; letters and digits make tokens, an apostrophe
 *      inside a word is dropped ("MCDONALD'S"), an '&' inside a word kept
 *      ("A&W"), a lone '&' is a token, everything else separates; a '*' is
 *      remembered on the token before it; bank words of many countries,
 *      company suffixes and numbers are noise (enrich_tokens.c);
 *   2. processor: after leading bank words (POS, DEBIT, CHECKCARD, dates)
 *      and a phone's wallet (APPLE PAY), a prefix that names a payment
 *      processor ("SQ *", "TST*", "SUMUP *", "ZTL*", "PAYPAL *", "AMZN MKTP
 *      US", "APPLE.COM/BILL", ...) is recorded and skipped;
 *   3. transaction type from keywords of several languages (fee, refund,
 *      ATM, income, transfer, else purchase);
 *   4. merchant: the earliest token where a run of up to 6 tokens, joined
 *      without spaces, is a merchant key; the longest run there wins; a
 *      key inside another business's name is refused (see enrich.c);
 *   5. location: a trailing country code, US state, Canadian province or
 *      Australian state, and the city before it (known multi-word cities,
 *      else one word); else a trailing big city outside the US
 *      (enrich_place.c);
 *   6. unknown merchants get a cleaned name (bank words, company suffixes,
 *      numbers, card masks, phone numbers, references after '*' and the
 *      location removed; a word the bank cut short completed or dropped)
 *      and a category from the MCC, else from keywords (enrich_keywords.c),
 *      else from the cut word, else from a one-trade processor (Toast:
 *      restaurants), else "shopping" with a low confidence;
 *   7. the direction of the money, when an amount is given (negative: a
 *      debit, money out; positive: a credit, money in), settles the type
 *      where the text leaves it open and lowers the confidence where the
 *      two disagree:
 *        credit + purchase at a known merchant      -> refund
 *        credit + purchase at an unknown name       -> income with ACH words
 *                                                      (PPD, CCD, DES, ...),
 *                                                      else refund; -0.1
 *        credit + bank fee                          -> refund (-0.1 unless a
 *                                                      refund word is there)
 *        credit + ATM with a deposit/payroll word   -> income
 *        credit + ATM withdrawal otherwise          -> kept; -0.2
 *        debit + income                             -> transfer; -0.2
 *        debit + refund                             -> kept; -0.2
 *      anything else (a debit purchase or transfer, a credit transfer,
 *      refund or income) agrees and is kept as it is;
 *   8. channel, subscription flag and confidence.
 *
 * The item's currency and date help where the text is silent: a country
 * is read from the text first; only without one is the currency's issuing
 * country (GBP: GB; none for EUR and other shared currencies) given, with
 * location_confidence 0.4 instead of 0.9.  With an item date, a token
 * "MMDD" or "MM/DD" that falls on that date or up to 7 days before it is
 * the transaction's date, and descriptor_date says which date it is
 * (numbers are noise to the rest of the pipeline anyway, so the date
 * changes nothing else).  Without an item date no token is read as a date.
 *
 * Confidence: 0.92 for a merchant matched on a key of 6+ characters, 0.85
 * for 4-5, 0.7 for shorter ones, minus 0.15 when a given MCC disagrees
 * with the merchant's category; 0.7 for a bank movement (ATM, fee,
 * transfer, income) without a merchant; 0.65 for an unknown merchant
 * categorized by its MCC, 0.6 by a keyword, 0.45 by a word the bank cut
 * or by its processor, 0.25 for the fallback (shopping: no evidence at
 * all); minus
 * what step 7 takes; never under 0.05.
 */
#ifndef PGJOB_ENRICH_H
#define PGJOB_ENRICH_H

#include <stdbool.h>
#include <stddef.h>

#include "enrich_fields.h"
#include "enrich_result.h"

typedef struct EnrichTable EnrichTable; /* enrich_table.h */

/* EnrichInput is one transaction: the descriptor and what else is known of
 * it.  Fields a caller does not know stay zero (NULL, false). */
typedef struct EnrichInput {
    const char *text; /* the descriptor, text[0, len) */
    size_t len;
    const char *mcc;      /* 4 digits; NULL, "" or anything else: none */
    bool has_amount;      /* amount is given */
    double amount;        /* negative: money out (debit); positive: money in */
    const char *currency; /* an upper-case ISO 4217 code (enrich_fields.h), or NULL */
    bool has_date;        /* date is given */
    EnrichDate date;      /* the item's date, valid (enrich_date_valid) */
} EnrichInput;

/* enrich_describe fills r from the transaction in (see EnrichInput),
 * matching merchants of table.  Always fills r; r->rejected tells whether
 * it found anything. */
void enrich_describe(const EnrichTable *table, const EnrichInput *in, EnrichResult *r);

/* enrich_mcc_category sets *c to the category of a 4-digit MCC; false when
 * the MCC is malformed or maps to no category. */
bool enrich_mcc_category(const char *mcc, EnrichCategory *c) __attribute__((warn_unused_result));

#endif
