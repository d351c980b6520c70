/* SPDX-License-Identifier: MIT */
/*
 * handler_invoice.c - the "invoice" built-in handler (Parzo): each item,
 *   {"text": "<an invoice's text>", "custom_id"?}   or
 *   {"fields": {<already extracted fields>}, "custom_id"?}
 * becomes the invoice's fields, validation flags and confidence under
 * "output" (invoice_json.h; docs/handlers/invoice.md), or a per-item error
 * with code "invalid_invoice" when the item is of neither shape or its
 * fields cannot be read.  Text is read by the rules of invoice_extract.h;
 * fields are only checked and flagged.
 *
 * A document job (an invoice uploaded, or sent as file_base64 or text:
 * one item, the document's bytes stored apart from the claim, see
 * doc_job.h) is fetched and read by doc_job_read, with the configured
 * limits, and laid out for the rules by invoice_doc.h; a document that
 * cannot be read fails the job with the reader's code (no_text,
 * corrupt_document, too_many_pages, document_too_complex...), never
 * retried.
 *
 * The job's validation_flags are every item's flags, each naming its item
 * by index; its confidence is the lowest of its items' (a job is as sure
 * as its least sure invoice); its model INVOICE_MODEL.  A job resumed from
 * a checkpoint takes the done items' flags and confidences back from
 * their stored results, so the job's figures cover all its items.  Flags
 * never fail an item or the job.  Deterministic; no I/O.
 */
#include "handler_invoice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_job.h"
#include "invoice.h"
#include "invoice_confidence.h"
#include "invoice_doc.h"
#include "invoice_extract.h"
#include "invoice_flags.h"
#include "invoice_json.h"
#include "invoice_text.h"

/* The largest text read, bytes: a thousand pages of invoice. */
enum { MAX_TEXT = 4 * 1024 * 1024 };

json_t *handler_invoice_item(const json_t *item, size_t index, unsigned *flags, double *confidence)
{
    const json_t *text = json_is_object(item) ? json_object_get(item, "text") : NULL;
    const json_t *fields = json_is_object(item) ? json_object_get(item, "fields") : NULL;
    Invoice inv;
    const char *source;
    char why[160];

    *flags = 0;
    *confidence = -1;
    if ((text != NULL) == (fields != NULL))
        return handler_item_error(item, "invalid_invoice",
                                  "an invoice item is an object with either \"text\" (a string) "
                                  "or \"fields\" (an object)");
    if (text != NULL) {
        InvoiceText t;
        if (!json_is_string(text) || json_string_length(text) == 0)
            return handler_item_error(item, "invalid_invoice", "text must be a non-empty string");
        if (json_string_length(text) > MAX_TEXT)
            return handler_item_error(item, "invalid_invoice", "text is over 4 MiB");
        if (!invoice_text_from_plain(json_string_value(text), json_string_length(text), &t))
            return NULL;
        bool ok = invoice_extract(&t, &inv);
        invoice_text_free(&t);
        if (!ok)
            return NULL;
        source = "text";
    } else {
        if (!invoice_from_fields(fields, &inv, why, sizeof(why))) {
            char message[200];
            snprintf(message, sizeof(message), "fields: %s", why);
            return handler_item_error(item, "invalid_invoice", message);
        }
        source = "fields";
    }
    *flags = invoice_flags_check(&inv);
    *confidence = invoice_confidence(&inv, *flags);
    json_t *output = invoice_to_json(&inv, *flags, *confidence, index, source);
    invoice_free(&inv);
    return output != NULL ? handler_item_result(item, output) : NULL;
}

/* InvoiceRun is one job's run: where the job's flags and confidence go. */
typedef struct InvoiceRun {
    const HandlerJob *job;
    HandlerOutput *out;
    size_t next; /* index of the next item */
    bool oom;
} InvoiceRun;

/* lower_confidence keeps the lowest confidence of the job's items. */
static void lower_confidence(HandlerOutput *out, double c)
{
    if (c >= 0 && (out->confidence < 0 || c < out->confidence))
        out->confidence = c;
}

/* append_flags appends an item's flag objects to the job's. */
static bool append_flags(HandlerOutput *out, const json_t *flags)
{
    size_t i;
    const json_t *f;

    json_array_foreach(flags, i, f)
    {
        if (json_array_append(out->validation_flags, (json_t *)f) != 0)
            return false;
    }
    return true;
}

static json_t *invoice_one(void *arg, const json_t *item)
{
    InvoiceRun *run = arg;
    unsigned flags;
    double confidence;
    json_t *result = handler_invoice_item(item, run->next++, &flags, &confidence);

    if (result == NULL)
        return NULL;
    lower_confidence(run->out, confidence);
    const json_t *output = json_object_get(result, "output");
    if (json_is_object(output) &&
        !append_flags(run->out, json_object_get(output, "validation_flags"))) {
        json_decref(result);
        return NULL;
    }
    return result;
}

/* resume takes the flags and confidences of the items done before a
 * checkpoint back from their results. */
static bool resume(const HandlerJob *job, HandlerOutput *out)
{
    size_t i;
    const json_t *r;

    json_array_foreach(job->results, i, r)
    {
        if (i >= job->items_done)
            break;
        const json_t *output = json_object_get(r, "output");
        if (!json_is_object(output))
            continue;
        const json_t *c = json_object_get(output, "confidence");
        if (json_is_number(c))
            lower_confidence(out, json_number_value(c));
        if (!append_flags(out, json_object_get(output, "validation_flags")))
            return false;
    }
    return true;
}

/* document_item says whether a job's items describe a stored document:
 * one item that is neither text nor fields (the front end keeps the
 * item's filename, options and custom_id, and moves the bytes apart). */
static bool document_item(const HandlerJob *job)
{
    const json_t *item = json_array_get(job->items, 0);
    return json_array_size(job->items) == 1 && job->items_done == 0 && json_is_object(item) &&
           json_object_get(item, "text") == NULL && json_object_get(item, "fields") == NULL;
}

/* run_document answers the job's document, read by doc_job_read (with
 * the configured limits and progress), as its one item. */
static HandlerStatus run_document(const HandlerContext *ctx, const HandlerJob *job,
                                  HandlerOutput *out, Error *err)
{
    const json_t *item = json_array_get(job->items, 0);
    DocText doc;
    Invoice inv;
    HandlerStatus status = doc_job_read(ctx, job, ctx->settings, &doc, err);

    if (status != HANDLER_OK)
        return status;
    bool ok = invoice_from_doc(&doc, &inv, err);
    DocType type = doc.type;
    doc_free(&doc);
    if (!ok)
        return HANDLER_RETRY;
    unsigned flags = invoice_flags_check(&inv);
    double confidence = invoice_confidence(&inv, flags);
    json_t *output = invoice_to_json(&inv, flags, confidence, 0, doc_type_name(type));
    json_t *result = output != NULL ? handler_item_result(item, output) : NULL;
    invoice_free(&inv);
    if (result == NULL ||
        !append_flags(out,
                      json_object_get(json_object_get(result, "output"), "validation_flags")) ||
        json_array_append_new(out->results, result) != 0) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return HANDLER_RETRY;
    }
    lower_confidence(out, confidence);
    return ctx->progress(ctx->arg, 1) ? HANDLER_OK : HANDLER_STOPPED;
}

static HandlerStatus invoice_run(const HandlerContext *ctx, const HandlerJob *job,
                                 HandlerOutput *out, Error *err)
{
    InvoiceRun run = {.job = job, .out = out, .next = job->items_done};

    out->confidence = -1;
    out->cache_hit = 0; /* the result cache answers at submit: a run is never a hit */
    snprintf(out->model, sizeof(out->model), "%s", INVOICE_MODEL);
    if (!resume(job, out)) {
        error_set(err, 500, "out_of_memory", "out of memory");
        return HANDLER_RETRY;
    }
    /* A stored document (or none: the job fails with no_document). */
    if (document_item(job) && ctx->document != NULL)
        return run_document(ctx, job, out, err);
    /* An invoice takes tens of microseconds: progress every 20 items. */
    return handler_each_item(ctx, job, out, 20, invoice_one, &run, err);
}

const Handler handler_invoice = {.name = "invoice", .run = invoice_run};
