/* SPDX-License-Identifier: MIT */
/*
 * enrich_table.h - one merchant table of the enrich handler as the
 * workers use it: the rows, the index of their keys (enrich_merchants.h)
 * and a result cache (enrich_cache.h), immutable once built but for the
 * cache, which locks itself.
 *
 * Lifetime: a table is reference-counted.  pgjobd keeps the current one in
 * an EnrichSlot; a worker takes a reference for one job (enrich_slot_get)
 * and drops it after the job's results are rendered, so the strings of
 * the rows an EnrichResult points to stay valid that long.  A reload
 * builds a new table and publishes it (enrich_slot_set); the old one is
 * freed when its last job drops it.  Nobody stops.
 *
 * Building: rows are validated (name, category of the taxonomy, MCC of 4
 * digits or empty, channel) and indexed by their name and aliases.
 * Operator rows go first, then shipped rows.  A key can name one merchant:
 *   - a row whose key another row of the same origin already has is a
 *     bad row: it is skipped whole and reported;
 *   - a shipped row loses a key an operator row has (an operator's
 *     merchant wins); the rest of its keys stay;
 *   - a row with no usable key, or invalid fields, is skipped and
 *     reported.
 * Reports go to a callback, one message per skipped row naming it.
 */
#ifndef PGJOB_ENRICH_TABLE_H
#define PGJOB_ENRICH_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "enrich_cache.h"
#include "enrich_merchants.h"

typedef struct EnrichTable EnrichTable;

/* EnrichReportFn receives one message about a skipped row. */
typedef void (*EnrichReportFn)(void *arg, const char *message);

/* EnrichTableStats describes a built table. */
typedef struct EnrichTableStats {
    size_t rows;       /* rows kept */
    size_t operator;   /* of which operator rows */
    size_t skipped;    /* bad rows skipped (each reported) */
    size_t keys;       /* keys in the index */
    size_t overridden; /* shipped rows' keys taken by operator rows */
} EnrichTableStats;

/* enrich_table_new builds a table from rows[0, n) (copied: the caller's
 * strings may go once it returns) with a cache of cache_entries results
 * (0: no cache).  Bad rows are skipped and reported through report (may be
 * NULL).  Returns a table holding one reference, or NULL when memory runs
 * out. */
EnrichTable *enrich_table_new(const EnrichMerchant *rows, size_t n, size_t cache_entries,
                              EnrichReportFn report, void *arg);

/* enrich_table_embedded builds a table from the embedded rows. */
EnrichTable *enrich_table_embedded(size_t cache_entries, EnrichReportFn report, void *arg);

/* enrich_table_default returns the embedded table without a cache, built
 * on first use and kept for the life of the process (for callers without
 * a slot: the unit tests, the benchmark).  Borrowed: do not unref.  NULL
 * when memory ran out. */
EnrichTable *enrich_table_default(void);

/* enrich_table_ref adds a reference and returns t. */
EnrichTable *enrich_table_ref(EnrichTable *t);

/* enrich_table_unref drops a reference; the last one frees the table.
 * NULL is fine. */
void enrich_table_unref(EnrichTable *t);

/* enrich_table_find returns the row whose name or alias has this key, or
 * -1. */
int enrich_table_find(const EnrichTable *t, const char *key, size_t len);

/* enrich_table_row returns row i (0 <= i < stats.rows); borrowed from t. */
const EnrichMerchant *enrich_table_row(const EnrichTable *t, int i);

/* enrich_table_stats fills st. */
void enrich_table_stats(const EnrichTable *t, EnrichTableStats *st);

/* enrich_table_cache returns t's cache, or NULL when it has none. */
EnrichCache *enrich_table_cache(const EnrichTable *t);

/* EnrichSlot holds the current table of a daemon. */
typedef struct EnrichSlot {
    pthread_mutex_t lock;
    EnrichTable *table; /* one reference, or NULL */
} EnrichSlot;

/* enrich_slot_init makes an empty slot; false when the mutex cannot be made. */
bool enrich_slot_init(EnrichSlot *s);

/* enrich_slot_destroy drops the slot's table and its mutex. */
void enrich_slot_destroy(EnrichSlot *s);

/* enrich_slot_get returns a new reference to the current table, or NULL
 * when none was set. */
EnrichTable *enrich_slot_get(EnrichSlot *s);

/* enrich_slot_set makes t (whose reference it takes over) the current
 * table and drops the slot's reference to the old one. */
void enrich_slot_set(EnrichSlot *s, EnrichTable *t);

#endif
