/* SPDX-License-Identifier: MIT */
/*
 * handler_enrich.c - the "enrich" built-in handler (ParseTx): each item, a
 * bank descriptor string or an object {description, amount?, currency?,
 * date?, mcc?, custom_id?}, becomes
 *   {input, status: "complete", merchant, domain, category, mcc_code,
 *    channel, payment_processor, location: {city, region, country,
 *    country_source, confidence} | null, is_subscription, transaction_type,
 *    confidence, source: "rules" or "cache", normalized, amount, direction, currency,
 *    date, descriptor_date}
 * under "output", or a per-item error with code "rejected" and the reason.
 * Deterministic; no I/O.
 *
 * Sign convention of "amount", as on a bank statement: negative is money
 * out of the account (a debit: a purchase, a fee, a withdrawal), positive
 * is money in (a credit: a refund, a salary).  Some aggregators (Plaid)
 * use the opposite sign; their amounts must be negated first.  The output
 * says how the amount was read: "direction" is "debit" or "credit" (null
 * for no amount or 0).  amount, currency and date are read and checked by
 * common/enrich_fields.c, the code pgjob.fcgi checks them with at submit.
 *
 * The merchants come from the table in the handler's settings (an
 * EnrichSlot, see enrich_table.h), held for the whole job; a completed
 * result is stored in that table's cache under the item's canonical JSON,
 * and an identical item later is answered from there with source "cache".
 * The job's cache_hit is true when at least one item was.
 */
#include "handler_enrich.h"

#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "enrich_fields.h"
#include "enrich_table.h"

/* str_or_null returns a new JSON string, or JSON null for NULL or "". */
static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* rounded2 rounds a confidence to 2 decimals. */
static double rounded2(double v)
{
    return (double)(int)(v * 100 + 0.5) / 100;
}

/* add_item_fields sets the output's amount, direction, currency, date and
 * descriptor_date (null when not known); false when out of memory. */
static bool add_item_fields(json_t *output, const EnrichFields *f, const EnrichResult *r)
{
    const char *direction = enrich_direction_name(r->direction);

    return json_object_set_new(output, "amount",
                               f->has_amount ? json_real(f->amount) : json_null()) == 0 &&
           json_object_set_new(output, "direction", str_or_null(direction)) == 0 &&
           json_object_set_new(output, "currency", str_or_null(f->currency)) == 0 &&
           json_object_set_new(output, "date", str_or_null(f->date_text)) == 0 &&
           json_object_set_new(output, "descriptor_date", str_or_null(r->descriptor_date)) == 0;
}

static json_t *output_of(const json_t *item, const EnrichResult *r)
{
    json_t *location = json_null();

    if (r->city[0] != '\0' || r->region[0] != '\0' || r->country[0] != '\0')
        location =
            json_pack("{s:o, s:o, s:o, s:o, s:f}", "city", str_or_null(r->city), "region",
                      str_or_null(r->region), "country", str_or_null(r->country), "country_source",
                      str_or_null(enrich_country_source_name(r->country_source)), "confidence",
                      rounded2(r->location_confidence));
    return json_pack("{s:O, s:s, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:b, s:s, s:f, s:s, s:s}",
                     "input", item, "status", "complete", "merchant", str_or_null(r->merchant),
                     "domain", str_or_null(r->domain), "category",
                     enrich_category_name(r->category), "mcc_code", str_or_null(r->mcc), "channel",
                     enrich_channel_name(r->channel), "payment_processor",
                     str_or_null(r->processor), "location", location, "is_subscription",
                     r->is_subscription, "transaction_type", enrich_type_name(r->type),
                     "confidence", (double)(int)(r->confidence * 100 + 0.5) / 100, "source",
                     "rules", "normalized", r->normalized);
}

/* describe runs the pipeline on one item's descriptor and fields: the one
 * place that builds enrich_describe's input. */
static void describe(const EnrichTable *table, const json_t *text, const EnrichFields *f,
                     EnrichResult *r)
{
    const EnrichInput in = {
        .text = json_string_value(text),
        .len = json_string_length(text),
        .mcc = f->mcc[0] != '\0' ? f->mcc : NULL,
        .has_amount = f->has_amount,
        .amount = f->amount,
        .currency = f->currency[0] != '\0' ? f->currency : NULL,
        .has_date = f->has_date,
        .date = f->date,
    };

    enrich_describe(table, &in, r);
}

json_t *handler_enrich_item(const EnrichTable *table, const json_t *item)
{
    const json_t *text = item;
    EnrichFields fields = {0};
    EnrichResult r;
    json_t *output;

    if (json_is_object(item)) {
        const char *why;
        text = json_object_get(item, "description");
        if ((why = enrich_fields_read(item, &fields)) != NULL)
            return handler_item_error(item, "rejected", why);
    }
    if (!json_is_string(text))
        return handler_item_error(item, "rejected",
                                  json_is_object(item)
                                      ? "description must be a string"
                                      : "item must be a descriptor string or an object");
    describe(table, text, &fields, &r);
    if (r.rejected)
        return handler_item_error(item, "rejected", r.reason);
    output = output_of(item, &r);
    if (output == NULL)
        return NULL;
    if (!add_item_fields(output, &fields, &r)) {
        json_decref(output);
        return NULL;
    }
    return handler_item_result(item, output);
}

/* from_cache returns a new result like the stored one, whose output says
 * source "cache".  stored is shared and read-only: only the two objects
 * that change are copied (shallowly); the rest stays shared. */
static json_t *from_cache(const json_t *stored)
{
    json_t *result = json_copy((json_t *)stored);
    json_t *output = json_copy(json_object_get(stored, "output"));

    if (result == NULL || output == NULL ||
        json_object_set_new(output, "source", json_string("cache")) != 0 ||
        json_object_set(result, "output", output) != 0) {
        json_decref(result);
        result = NULL;
    }
    json_decref(output);
    return result;
}

json_t *handler_enrich_cached(EnrichTable *table, const json_t *item, bool *hit)
{
    EnrichCache *cache = enrich_table_cache(table);
    char *key = cache != NULL ? enrich_cache_key(item) : NULL;
    json_t *stored = key != NULL ? enrich_cache_get(cache, key) : NULL;
    json_t *result;

    *hit = stored != NULL;
    if (stored != NULL) {
        result = from_cache(stored);
        json_decref(stored);
    } else {
        result = handler_enrich_item(table, item);
        /* Only enrichments are kept; a rejection is cheaper to redo.  The
         * result is shared with the cache from here on: nobody modifies a
         * job's results. */
        if (result != NULL && key != NULL && json_is_object(json_object_get(result, "output")))
            enrich_cache_put(cache, key, result); /* out of memory: just not cached */
    }
    free(key);
    return result;
}

/* EnrichRun is one job's run: the table it holds and where cache hits go. */
typedef struct EnrichRun {
    EnrichTable *table;
    HandlerOutput *out;
} EnrichRun;

static json_t *enrich_one(void *arg, const json_t *item)
{
    EnrichRun *run = arg;
    bool hit;
    json_t *result = handler_enrich_cached(run->table, item, &hit);

    run->out->cache_hit |= hit;
    return result;
}

static HandlerStatus enrich_run(const HandlerContext *ctx, const HandlerJob *job,
                                HandlerOutput *out, Error *err)
{
    /* One table for the whole job: a reload in the middle does not mix
     * two tables in one job, and the rows stay valid while it runs. */
    EnrichTable *held = ctx->settings != NULL ? enrich_slot_get((EnrichSlot *)ctx->settings) : NULL;
    EnrichRun run = {.table = held != NULL ? held : enrich_table_default(), .out = out};
    HandlerStatus status;

    if (run.table == NULL) {
        error_set(err, 500, "out_of_memory", "out of memory building the merchant table");
        return HANDLER_RETRY;
    }
    out->cache_hit = 0;
    /* Items take microseconds: progress every 100 and at the end. */
    status = handler_each_item(ctx, job, out, 100, enrich_one, &run, err);
    enrich_table_unref(held);
    return status;
}

const Handler handler_enrich = {.name = "enrich", .run = enrich_run};
