/* SPDX-License-Identifier: MIT */
/*
 * enrich_merchants.h - the merchant table of the enrich handler: real
 * merchants with their aliases, domain, category, MCC, subscription flag
 * and usual channel.  The rows come from daemon/merchants.tsv, embedded at
 * build time by daemon/embed_merchants.awk; a later migration will load the
 * same file into PostgreSQL.
 *
 * Lookups go through an index of alias keys.  A key is an alias (or the
 * name) upper-cased with everything but letters and digits dropped, so
 * "Wal-Mart", "WAL MART" and "WALMART" are one key; enrich_merchants_key
 * computes it.  The index is built once, on first use, in static storage
 * (no allocation), and is then read-only: lookups are thread-safe.
 */
#ifndef PGJOB_ENRICH_MERCHANTS_H
#define PGJOB_ENRICH_MERCHANTS_H

#include <stdbool.h>
#include <stddef.h>

/* EnrichMerchant is one row of the table; every string is static. */
typedef struct EnrichMerchant {
    const char *name;     /* canonical name, "Blue Bottle Coffee" */
    const char *domain;   /* "bluebottlecoffee.com", or "" */
    const char *category; /* a name of the enrich taxonomy (enrich.h) */
    const char *mcc;      /* "5814", or "" when unknown */
    bool subscription;    /* billed as a subscription */
    const char *channel;  /* online, in_store, transfer or any */
    const char *aliases;  /* '|'-separated, as statements spell them */
} EnrichMerchant;

/* The embedded table (generated) and its length. */
extern const EnrichMerchant enrich_merchants[];
extern const size_t enrich_merchants_count;

/* ENRICH_KEY_MAX is the longest key the index holds, in bytes. */
#define ENRICH_KEY_MAX 48

/* enrich_merchants_key writes the key of text[0, len) into key (room for
 * ENRICH_KEY_MAX + 1 bytes) and returns its length; 0 when text has no
 * letter or digit or the key would be longer than ENRICH_KEY_MAX. */
size_t enrich_merchants_key(const char *text, size_t len, char *key);

/* enrich_merchants_find returns the index into enrich_merchants of the
 * merchant whose name or alias has this key, or -1.  Builds the index on
 * first call. */
int enrich_merchants_find(const char *key, size_t len);

/* enrich_merchants_stats reports the index: keys indexed and keys dropped
 * because another merchant already had them (both may be NULL).  A
 * dropped key is a data error that the unit tests catch. */
void enrich_merchants_stats(size_t *keys, size_t *duplicates);

#endif
