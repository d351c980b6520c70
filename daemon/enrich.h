/* SPDX-License-Identifier: MIT */
/*
 * enrich.h - turns one raw bank transaction descriptor ("SQ *BLUE BOTTLE
 * COFFE Oakland CA") into a merchant, category, channel, location and
 * transaction type, from fixed rules and a merchant table (enrich_table.h).
 * Pure and deterministic: no I/O, no allocation, no global state; safe from
 * any thread (the table's index is read-only).
 *
 * The pipeline:
 *   1. tokenize: upper-case; letters and digits make tokens, an apostrophe
 *      or '&' inside a word is dropped ("MCDONALD'S", "AT&T"), everything
 *      else separates; a '*' is remembered on the token before it;
 *   2. processor: after leading bank words (POS, DEBIT, CHECKCARD, dates),
 *      a prefix that names a payment processor ("SQ *", "TST*", "PAYPAL *",
 *      "AMZN MKTP US", "APPLE.COM/BILL", ...) is recorded and skipped;
 *   3. transaction type from keywords (fee, refund, ATM, income, transfer,
 *      else purchase);
 *   4. merchant: the earliest token where a run of up to 6 tokens, joined
 *      without spaces, is a merchant key; the longest run there wins;
 *   5. location: a trailing country code, US state or Canadian province,
 *      and the city before it (known multi-word cities, else one word);
 *   6. unknown merchants get a cleaned name (bank words, numbers, card
 *      masks, phone numbers, references after '*' and the location
 *      removed) and a category from the MCC, else from keywords, else
 *      "shopping" with a low confidence;
 *   7. channel, subscription flag and confidence.
 *
 * Confidence: 0.92 for a merchant matched on a key of 6+ characters, 0.85
 * for 4-5, 0.7 for shorter ones, minus 0.15 when a given MCC disagrees
 * with the merchant's category; 0.7 for a bank movement (ATM, fee,
 * transfer, income) without a merchant; 0.55 for an unknown merchant
 * categorized by its MCC, 0.45 by a keyword, 0.2 for the fallback.
 */
#ifndef PGJOB_ENRICH_H
#define PGJOB_ENRICH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct EnrichTable EnrichTable; /* enrich_table.h */

/* The category taxonomy, fixed and documented; names by enrich_category_name. */
typedef enum EnrichCategory {
    ENRICH_GROCERIES,
    ENRICH_RESTAURANTS,
    ENRICH_COFFEE,
    ENRICH_TRAVEL,
    ENRICH_TRANSPORT,
    ENRICH_FUEL,
    ENRICH_SHOPPING,
    ENRICH_SUBSCRIPTIONS,
    ENRICH_UTILITIES,
    ENRICH_TELECOM,
    ENRICH_ENTERTAINMENT,
    ENRICH_HEALTH,
    ENRICH_EDUCATION,
    ENRICH_INSURANCE,
    ENRICH_FEES,
    ENRICH_TRANSFERS,
    ENRICH_ATM,
    ENRICH_INCOME,
    ENRICH_REFUNDS,
    ENRICH_TAXES,
    ENRICH_NCATEGORIES
} EnrichCategory;

/* How the money moved: online, in_store, atm, transfer. */
typedef enum EnrichChannel {
    ENRICH_CHANNEL_ONLINE,
    ENRICH_CHANNEL_IN_STORE,
    ENRICH_CHANNEL_ATM,
    ENRICH_CHANNEL_TRANSFER
} EnrichChannel;

/* What kind of transaction: purchase, refund, transfer, fee, atm_withdrawal, income. */
typedef enum EnrichType {
    ENRICH_TYPE_PURCHASE,
    ENRICH_TYPE_REFUND,
    ENRICH_TYPE_TRANSFER,
    ENRICH_TYPE_FEE,
    ENRICH_TYPE_ATM_WITHDRAWAL,
    ENRICH_TYPE_INCOME
} EnrichType;

/* ENRICH_INPUT_MAX is the longest descriptor accepted, in bytes. */
#define ENRICH_INPUT_MAX 512

/* EnrichResult is everything known about one descriptor.  Strings are
 * arrays in the struct, literals, or the merchant table's (domain): valid
 * while the caller holds its reference to the table. */
typedef struct EnrichResult {
    bool rejected;                         /* nothing usable: reason says why */
    const char *reason;                    /* static, when rejected */
    char normalized[ENRICH_INPUT_MAX + 1]; /* the tokens, space-separated */
    char merchant[96];                     /* canonical or cleaned name; "" when none */
    int merchant_index;                    /* a row of the table, or -1 (unknown) */
    const char *domain;                    /* the table's, or NULL */
    EnrichCategory category;
    char mcc[5]; /* 4 digits, or "" */
    EnrichChannel channel;
    const char *processor; /* static "Square", ..., or NULL */
    char city[48];         /* title case, or "" */
    char region[4];        /* "CA", or "" */
    char country[4];       /* ISO 3166 alpha-2, or "" */
    bool is_subscription;
    EnrichType type;
    double confidence; /* 0..1 */
} EnrichResult;

/* enrich_describe fills r from the descriptor text[0, len) and, when not
 * NULL or "", the transaction's MCC (4 digits; anything else is ignored),
 * matching merchants of table.  Always fills r; r->rejected tells whether
 * it found anything. */
void enrich_describe(const EnrichTable *table, const char *text, size_t len, const char *mcc,
                     EnrichResult *r);

/* The names of the enums, as the API spells them (static strings). */
const char *enrich_category_name(EnrichCategory c);
const char *enrich_channel_name(EnrichChannel c);
const char *enrich_type_name(EnrichType t);

/* enrich_category_parse sets *c to the category named name; false if none is. */
bool enrich_category_parse(const char *name, EnrichCategory *c) __attribute__((warn_unused_result));

/* enrich_mcc_category sets *c to the category of a 4-digit MCC; false when
 * the MCC is malformed or maps to no category. */
bool enrich_mcc_category(const char *mcc, EnrichCategory *c) __attribute__((warn_unused_result));

#endif
