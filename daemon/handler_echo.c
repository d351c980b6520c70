/* SPDX-License-Identifier: MIT */
/*
 * handler_echo.c - the "echo" built-in handler: each item's output is the
 * item itself.  It does no work, which makes it the measure of pgjob's
 * own overhead (make bench) and a handy smoke test of an installation.
 */
#include "handler_echo.h"

static HandlerStatus echo_run(const HandlerContext *ctx, const HandlerJob *job, HandlerOutput *out,
                              Error *err)
{
    size_t n = json_array_size(job->items);

    for (size_t i = job->items_done; i < n; i++) {
        const json_t *item = json_array_get(job->items, i);
        json_t *result = handler_item_result(item, json_deep_copy(item));
        if (result == NULL || json_array_append_new(out->results, result) != 0) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return HANDLER_RETRY;
        }
        if (!ctx->progress(ctx->arg, i + 1))
            return HANDLER_STOPPED;
    }
    return HANDLER_OK;
}

const Handler handler_echo = {.name = "echo", .run = echo_run};
