/* SPDX-License-Identifier: MIT */
/*
 * handler_contact.c - the "contact" built-in handler: each item, an
 * account or contact record, becomes its normalized and enriched form
 * (contact.h).  A record it cannot read is a per-item error; only running
 * out of memory fails the attempt.
 */
#include "handler_contact.h"

#include "contact.h"

/* contact_item answers one record: its enrichment, or a per-item error;
 * NULL only when memory ran out. */
static json_t *contact_item(void *arg, const json_t *item)
{
    Error item_err = {0};
    json_t *output = contact_enrich(item, &item_err);

    (void)arg;
    if (output == NULL && item_err.status >= 500)
        return NULL;
    return output != NULL ? handler_item_result(item, output)
                          : handler_item_error(item, item_err.code, item_err.message);
}

static HandlerStatus contact_run(const HandlerContext *ctx, const HandlerJob *job,
                                 HandlerOutput *out, Error *err)
{
    return handler_each_item(ctx, job, out, 1, contact_item, NULL, err);
}

const Handler handler_contact = {.name = "contact", .run = contact_run};
