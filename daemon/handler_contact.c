/* SPDX-License-Identifier: MIT */
/*
 * handler_contact.c - the "contact" built-in handler: each item, an
 * account or contact record, becomes its normalized and enriched form
 * (contact.h).  A record it cannot read is a per-item error; only running
 * out of memory fails the attempt.
 */
#include "handler_contact.h"

#include "contact.h"

static HandlerStatus contact_run(const HandlerContext *ctx, const HandlerJob *job,
                                 HandlerOutput *out, Error *err)
{
    size_t n = json_array_size(job->items);

    for (size_t i = job->items_done; i < n; i++) {
        const json_t *item = json_array_get(job->items, i);
        Error item_err;
        json_t *output, *result;

        error_clear(&item_err);
        output = contact_enrich(item, &item_err);
        if (output == NULL && item_err.status >= 500) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return HANDLER_RETRY;
        }
        result = output != NULL ? handler_item_result(item, output)
                                : handler_item_error(item, item_err.code, item_err.message);
        if (result == NULL || json_array_append_new(out->results, result) != 0) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return HANDLER_RETRY;
        }
        if (!ctx->progress(ctx->arg, i + 1))
            return HANDLER_STOPPED;
    }
    return HANDLER_OK;
}

const Handler handler_contact = {.name = "contact", .run = contact_run};
