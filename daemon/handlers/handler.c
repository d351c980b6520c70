/* SPDX-License-Identifier: MIT */
/* handler.c builds the per-item result objects that every handler returns (see handler.h). */
#include "handler.h"

/* item_result returns a new result object {custom_id?, status, output,
 * error}, taking output and error (both stolen, NULL for JSON null), or
 * NULL when memory runs out (then both are released). */
static json_t *item_result(const json_t *item, const char *status, json_t *output, json_t *error)
{
    json_t *result = json_object();
    json_t *custom_id = json_is_object(item) ? json_object_get(item, "custom_id") : NULL;
    int failed = 0;

    if (result == NULL) {
        json_decref(output);
        json_decref(error);
        return NULL;
    }
    /* json_object_set_new releases the value even when it fails. */
    if (custom_id != NULL)
        failed |= json_object_set_new(result, "custom_id", json_deep_copy(custom_id));
    failed |= json_object_set_new(result, "status", json_string(status));
    failed |= json_object_set_new(result, "output", output != NULL ? output : json_null());
    failed |= json_object_set_new(result, "error", error != NULL ? error : json_null());
    if (failed != 0) {
        json_decref(result);
        return NULL;
    }
    return result;
}

json_t *handler_item_result(const json_t *item, json_t *output)
{
    return item_result(item, "completed", output, NULL);
}

json_t *handler_item_error(const json_t *item, const char *code, const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code != NULL ? code : "item_error", "message",
                              message != NULL ? message : "");

    if (error == NULL)
        return NULL;
    return item_result(item, "failed", NULL, error);
}

HandlerStatus handler_each_item(const HandlerContext *ctx, const HandlerJob *job,
                                HandlerOutput *out, size_t every, HandlerItemFn one, void *arg,
                                Error *err)
{
    size_t n = json_array_size(job->items);

    for (size_t i = job->items_done; i < n; i++) {
        json_t *result = one(arg, json_array_get(job->items, i));
        if (result == NULL || json_array_append_new(out->results, result) != 0) {
            error_set(err, 500, "out_of_memory", "out of memory");
            return HANDLER_RETRY;
        }
        if (((i + 1) % every == 0 || i + 1 == n) && !ctx->progress(ctx->arg, i + 1))
            return HANDLER_STOPPED;
    }
    return HANDLER_OK;
}
