/* SPDX-License-Identifier: MIT */
/* handler_enrich.h - the "enrich" built-in handler: bank descriptors to merchants (enrich.h). */
#ifndef PGJOB_HANDLER_ENRICH_H
#define PGJOB_HANDLER_ENRICH_H

#include "handler.h"

extern const Handler handler_enrich;

/* handler_enrich_item returns a new result object for one item (a
 * descriptor string or an object {description, amount?, currency?, date?,
 * mcc?, custom_id?}): completed with the enrichment under "output", or
 * failed with error code "rejected" when the item holds nothing usable.
 * NULL when memory runs out. */
json_t *handler_enrich_item(const json_t *item);

#endif
