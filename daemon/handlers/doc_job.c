/* SPDX-License-Identifier: MIT */
/* doc_job.c - a document job's document, fetched and read (doc_job.h). */
#include "doc_job.h"

#include <stdlib.h>
#include <string.h>

/* page_done reports progress while a long document is read. */
static bool page_done(void *arg)
{
    const HandlerContext *ctx = arg;
    return ctx->progress == NULL || ctx->progress(ctx->arg, 0);
}

HandlerStatus doc_job_read(const HandlerContext *ctx, const HandlerJob *job,
                           const DocSettings *settings, DocText *doc, Error *err)
{
    const json_t *item = json_array_get(job->items, 0);
    const json_t *text = json_is_object(item) ? json_object_get(item, "text") : NULL;
    DocLimits own = {0}, *limits = &own;
    HandlerDocument got = HANDLER_DOC_NONE;
    const unsigned char *bytes = NULL;
    size_t len = 0;
    bool ok;

    memset(doc, 0, sizeof *doc);
    if (settings != NULL)
        own = settings->limits;
    own.page_done = page_done;
    own.arg = (void *)ctx;
    if (json_array_size(job->items) != 1) {
        error_set(err, 422, DOC_ERR_NO_DOCUMENT, "a document job has one item, not %zu",
                  json_array_size(job->items));
        return HANDLER_FATAL;
    }
    if (ctx->document != NULL)
        got = ctx->document(ctx->arg, &bytes, &len, err);
    switch (got) {
        case HANDLER_DOC_OK:
            ok = doc_read(bytes, len, limits, doc, err);
            break;
        case HANDLER_DOC_NONE:
            if (!json_is_string(text)) {
                error_set(err, 422, DOC_ERR_NO_DOCUMENT,
                          "the job has no document: upload a file, or send file_base64 or text");
                return HANDLER_FATAL;
            }
            ok = doc_read((const unsigned char *)json_string_value(text), json_string_length(text),
                          limits, doc, err);
            break;
        case HANDLER_DOC_LOST:
            return HANDLER_STOPPED;
        default:
            return HANDLER_RETRY;
    }
    if (ok)
        return HANDLER_OK;
    if (strcmp(err->code, DOC_ERR_STOPPED) == 0)
        return HANDLER_STOPPED;
    return strcmp(err->code, "out_of_memory") == 0 ? HANDLER_RETRY : HANDLER_FATAL;
}
