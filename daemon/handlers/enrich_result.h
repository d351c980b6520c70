/* SPDX-License-Identifier: MIT */
/*
 * enrich_result.h - what the enrich pipeline (enrich.h) finds of one
 * descriptor, and the fixed vocabularies it is told in: categories,
 * channels, transaction types, directions and where a country comes
 * from, with the names the API spells them by.
 */
#ifndef PGJOB_ENRICH_RESULT_H
#define PGJOB_ENRICH_RESULT_H

#include <stdbool.h>

#include "enrich_tokens.h" /* ENRICH_INPUT_MAX */

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

/* Which way the money moved, from the sign of the amount: none when no
 * amount was given or it is 0. */
typedef enum EnrichDirection {
    ENRICH_DIRECTION_NONE,
    ENRICH_DIRECTION_DEBIT, /* amount < 0: money out */
    ENRICH_DIRECTION_CREDIT /* amount > 0: money in */
} EnrichDirection;

/* Where the location's country comes from. */
typedef enum EnrichCountrySource {
    ENRICH_COUNTRY_NONE,
    ENRICH_COUNTRY_DESCRIPTOR, /* a country, state or province in the text */
    ENRICH_COUNTRY_CURRENCY    /* only the currency's issuing country */
} EnrichCountrySource;

/* EnrichResult is everything known about one descriptor.  Strings are
 * either arrays in the struct or static (table entries, literals). */
typedef struct EnrichResult {
    bool rejected;                         /* nothing usable: reason says why */
    const char *reason;                    /* static, when rejected */
    char normalized[ENRICH_INPUT_MAX + 1]; /* the tokens, space-separated */
    char merchant[96];                     /* canonical or cleaned name; "" when none */
    int merchant_index;                    /* into enrich_merchants, or -1 (unknown) */
    const char *domain;                    /* static, or NULL */
    EnrichCategory category;
    char mcc[5]; /* 4 digits, or "" */
    EnrichChannel channel;
    const char *processor; /* static "Square", ..., or NULL */
    char city[48];         /* title case, or "" */
    char region[4];        /* "CA", or "" */
    char country[4];       /* ISO 3166 alpha-2, or "" */
    EnrichCountrySource country_source;
    double location_confidence; /* 0..1; 0 without a location */
    bool is_subscription;
    EnrichType type;
    EnrichDirection direction;
    char descriptor_date[11]; /* "YYYY-MM-DD" a date token in the text stands for, or "" */
    double confidence;        /* 0..1 */
} EnrichResult;

/* The names of the enums, as the API spells them (static strings). */
const char *enrich_category_name(EnrichCategory c);
const char *enrich_channel_name(EnrichChannel c);
const char *enrich_type_name(EnrichType t);
const char *enrich_direction_name(EnrichDirection d);          /* NULL for none */
const char *enrich_country_source_name(EnrichCountrySource s); /* NULL for none */

/* enrich_category_parse sets *c to the category named name; false if none is. */
bool enrich_category_parse(const char *name, EnrichCategory *c) __attribute__((warn_unused_result));

#endif
