/* SPDX-License-Identifier: MIT */
/*
 * enrich_cache.h - the enrich handler's result cache: a bounded map from
 * an item's canonical JSON (enrich_cache_key) to the result computed for
 * it.  Each EnrichTable owns one (enrich_table.h), so a reload, which
 * builds a new table, starts with an empty cache and no answer computed
 * from an older merchant table is ever served.
 *
 * Values are shared, not copied: put keeps a reference and get returns
 * one, so a stored value must never be modified by anyone (the cache's
 * user makes shallow copies where it needs a change).  That is safe across
 * threads because jansson (2.11 and later) counts references atomically
 * and encodes shared values without touching them.
 *
 * Thread-safe: the entries are spread over shards by hash, each behind
 * its own mutex, so the workers rarely wait for each other.  Each shard
 * holds at most its share of the entries and evicts with CLOCK (second
 * chance): a hit marks the entry, the hand clears marks and evicts the
 * first unmarked entry it reaches.
 */
#ifndef PGJOB_ENRICH_CACHE_H
#define PGJOB_ENRICH_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct EnrichCache EnrichCache;

/* Items are cached only when their canonical JSON has at most
 * ENRICH_CACHE_KEY_MAX bytes and they hold at most ENRICH_CACHE_VALUES_MAX
 * JSON values (the item, its members, theirs...).  Both bound an entry's
 * memory: in memory a JSON value takes some 60 bytes whatever its text, so
 * a custom_id of 1,900 zeros in 4 KB of text took 160 KB.  With these
 * bounds an entry (key, item and result) stays under about 10 KB; real
 * items (a descriptor and a few fields) take 1 to 2. */
#define ENRICH_CACHE_KEY_MAX    1024
#define ENRICH_CACHE_VALUES_MAX 32

/* EnrichCacheStats counts what a cache did since it was made. */
typedef struct EnrichCacheStats {
    size_t entries, capacity;
    size_t hits, misses, evictions;
} EnrichCacheStats;

/* enrich_cache_new returns an empty cache holding at most entries
 * results, or NULL when entries is 0 (no cache) or memory runs out. */
EnrichCache *enrich_cache_new(size_t entries);

/* enrich_cache_free releases the cache and every entry; NULL is fine.
 * Nobody may use it any more. */
void enrich_cache_free(EnrichCache *c);

/* enrich_cache_key returns the key of an item, its canonical JSON (keys
 * sorted, compact; malloc'd, the caller frees it), so that every field of
 * the item is part of the key, whatever fields items gain later.  NULL
 * when the item cannot be encoded or is too big to cache (see
 * ENRICH_CACHE_KEY_MAX). */
char *enrich_cache_key(const json_t *item);

/* enrich_cache_get returns a new reference to the value stored under key
 * (read-only), or NULL when there is none (a miss).  Counts the hit or
 * miss. */
json_t *enrich_cache_get(EnrichCache *c, const char *key);

/* enrich_cache_put stores a reference to value under key, evicting an
 * entry when the shard is full; from then on nobody may modify value.  A
 * key already there keeps its value (two workers may compute the same
 * item at once; either answer is the same).  False when memory runs out
 * (nothing is stored). */
bool enrich_cache_put(EnrichCache *c, const char *key, json_t *value);

/* enrich_cache_stats fills st with the counters, summed over the shards. */
void enrich_cache_stats(EnrichCache *c, EnrichCacheStats *st);

#endif
