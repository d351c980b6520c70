/* SPDX-License-Identifier: MIT */
/* handler_enrich.h - the "enrich" built-in handler: bank descriptors to merchants (enrich.h). */
#ifndef PGJOB_HANDLER_ENRICH_H
#define PGJOB_HANDLER_ENRICH_H

#include <stdbool.h>

#include "enrich_table.h"
#include "handler.h"

/* handler_enrich's settings are an EnrichSlot (enrich_table.h): the run
 * takes the slot's current table for the job.  Without settings it uses
 * the embedded table, without a cache. */
extern const Handler handler_enrich;

/* handler_enrich_item returns a new result object for one item (a
 * descriptor string or an object {description, amount?, currency?, date?,
 * mcc?, custom_id?}): completed with the enrichment under "output", or
 * failed with error code "rejected" when the item holds nothing usable.
 * Merchants come from table.  NULL when memory runs out. */
json_t *handler_enrich_item(const EnrichTable *table, const json_t *item);

/* handler_enrich_cached is handler_enrich_item through table's cache (if
 * it has one): an item seen before is answered with a copy of its stored
 * result, whose output says source "cache", and *hit is set; otherwise
 * the result is computed (and stored when it is an enrichment).  Results
 * share values with the cache: they are read-only (the daemon only
 * encodes them). */
json_t *handler_enrich_cached(EnrichTable *table, const json_t *item, bool *hit);

#endif
