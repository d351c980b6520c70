/* SPDX-License-Identifier: MIT */
/*
 * enrich_merchants.h - the merchant rows of the enrich handler: real
 * merchants with their aliases, domain, category, MCC, subscription flag
 * and usual channel.  The shipped rows come from daemon/merchants.tsv,
 * embedded at build time by daemon/embed_merchants.awk; `pgjobctl migrate`
 * copies them into pgjob.merchant, where operators add their own, and
 * pgjobd reads that table (enrich_load.h) into an EnrichTable
 * (enrich_table.h), the index lookups go through.
 *
 * A key is an alias (or the name) upper-cased with everything but letters
 * and digits dropped, so "Wal-Mart", "WAL MART" and "WALMART" are one key;
 * enrich_merchants_key computes it.
 */
#ifndef PGJOB_ENRICH_MERCHANTS_H
#define PGJOB_ENRICH_MERCHANTS_H

#include <stdbool.h>
#include <stddef.h>

/* EnrichMerchant is one row of a merchant table; its strings are borrowed
 * (static in the embedded table, owned by the EnrichTable in a loaded one). */
typedef struct EnrichMerchant {
    const char *name;     /* canonical name, "Blue Bottle Coffee" */
    const char *domain;   /* "bluebottlecoffee.com", or "" */
    const char *category; /* a name of the enrich taxonomy (enrich.h) */
    const char *mcc;      /* "5814", or "" when unknown */
    bool subscription;    /* billed as a subscription */
    const char *channel;  /* online, in_store, transfer or any */
    const char *aliases;  /* '|'-separated, as statements spell them */
    bool operator_row;    /* an operator's row (origin 'operator'): its keys win */
} EnrichMerchant;

/* The embedded table (generated from daemon/merchants.tsv) and its length;
 * every row is a shipped one. */
extern const EnrichMerchant enrich_merchants[];
extern const size_t enrich_merchants_count;

/* ENRICH_KEY_MAX is the longest key an index holds, in bytes. */
#define ENRICH_KEY_MAX 48

/* enrich_merchants_key writes the key of text[0, len) into key (room for
 * ENRICH_KEY_MAX + 1 bytes) and returns its length; 0 when text has no
 * letter or digit or the key would be longer than ENRICH_KEY_MAX. */
size_t enrich_merchants_key(const char *text, size_t len, char *key);

#endif
