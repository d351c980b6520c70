/* SPDX-License-Identifier: MIT */
/* enrich_result.c - the names of the enrich vocabularies (see enrich_result.h). */
#include "enrich_result.h"

#include <string.h>

static const char *const category_names[ENRICH_NCATEGORIES] = {
    "groceries",     "restaurants", "coffee",        "travel",    "transport",
    "fuel",          "shopping",    "subscriptions", "utilities", "telecom",
    "entertainment", "health",      "education",     "insurance", "fees",
    "transfers",     "atm",         "income",        "refunds",   "taxes",
};

const char *enrich_category_name(EnrichCategory c)
{
    return c >= 0 && c < ENRICH_NCATEGORIES ? category_names[c] : "shopping";
}

const char *enrich_channel_name(EnrichChannel c)
{
    static const char *const names[] = {"online", "in_store", "atm", "transfer"};
    return names[c];
}

const char *enrich_type_name(EnrichType t)
{
    static const char *const names[] = {"purchase", "refund",         "transfer",
                                        "fee",      "atm_withdrawal", "income"};
    return names[t];
}

const char *enrich_direction_name(EnrichDirection d)
{
    static const char *const names[] = {NULL, "debit", "credit"};
    return names[d];
}

const char *enrich_country_source_name(EnrichCountrySource s)
{
    static const char *const names[] = {NULL, "descriptor", "currency"};
    return names[s];
}

bool enrich_category_parse(const char *name, EnrichCategory *c)
{
    for (int i = 0; i < ENRICH_NCATEGORIES; i++) {
        if (strcmp(category_names[i], name) == 0) {
            *c = (EnrichCategory)i;
            return true;
        }
    }
    return false;
}
