/* SPDX-License-Identifier: MIT */
/*
 * enrich_place.h - the trailing location of a descriptor (internal to the
 * enrich handler): a country, a US state or Canadian province, and the
 * city before it.
 */
#ifndef PGJOB_ENRICH_PLACE_H
#define PGJOB_ENRICH_PLACE_H

#include "enrich_result.h"
#include "enrich_tokens.h"

/* Location is where the location words are: tokens [city, region_at) are
 * the city, region_at the region, country_at the country (or -1 each). */
typedef struct Location {
    long city_from, city_to, region_at, country_at;
} Location;

/* enrich_locate finds a trailing location among tokens [from, n), keeping
 * at least keep tokens before it for the name (keep = from when a merchant
 * matched already); fills r's city, region and country. */
void enrich_locate(const Tokens *tk, size_t from, size_t keep, Location *loc, EnrichResult *r);

#endif
