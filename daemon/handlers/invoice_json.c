/* SPDX-License-Identifier: MIT */
/* invoice_json.c - invoices to and from JSON (invoice_json.h). */
#include "invoice_json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "invoice_date.h"
#include "invoice_flags.h"

/* ---- to JSON ---------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *fixed(bool has, long long v)
{
    return has ? json_real((double)v / INVOICE_SCALE) : json_null();
}

static json_t *date_or_null(int key)
{
    char buf[11];
    if (key == 0)
        return json_null();
    invoice_date_iso(key, buf);
    return json_string(buf);
}

json_t *invoice_flags_json(unsigned flags, size_t item)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < INVOICE_FLAG_COUNT; i++) {
        const InvoiceFlagInfo *f = &invoice_flag_info[i];
        if (!(flags & f->bit))
            continue;
        json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "code", f->code, "severity", f->severity,
                              "message", f->message, "item", (json_int_t)item);
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *party(const char *name, const char *vat)
{
    return json_pack("{s:o, s:o}", "name", str_or_null(name), "vat_id", str_or_null(vat));
}

static json_t *items_json(const Invoice *inv)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < inv->nitems; i++) {
        const InvoiceItem *it = &inv->items[i];
        json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "description", it->description, "quantity",
                              fixed(it->has_quantity, it->quantity), "unit_price",
                              fixed(it->has_unit_price, it->unit_price), "amount",
                              fixed(it->has_amount, it->amount));
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *invoice_to_json(const Invoice *inv, unsigned flags, double confidence, size_t item,
                        const char *source)
{
    json_t *rates = json_array();
    const char *lang = invoice_language_code(inv->language);

    for (size_t i = 0; rates != NULL && i < inv->nrates; i++) {
        if (json_array_append_new(rates, json_real((double)inv->rates[i] / INVOICE_SCALE)) != 0) {
            json_decref(rates);
            rates = NULL;
        }
    }
    if (rates == NULL)
        return NULL;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:f}",
                     "invoice_number", str_or_null(inv->number), "issue_date",
                     date_or_null(inv->issue_date), "due_date", date_or_null(inv->due_date),
                     "supplier", party(inv->supplier_name, inv->supplier_vat), "customer",
                     party(inv->customer_name, inv->customer_vat), "currency",
                     str_or_null(inv->currency), "subtotal",
                     fixed(inv->has_subtotal, inv->subtotal), "tax", fixed(inv->has_tax, inv->tax),
                     "vat_rates", rates, "total", fixed(inv->has_total, inv->total), "line_items",
                     items_json(inv), "language", lang != NULL ? json_string(lang) : json_null(),
                     "validation_flags", invoice_flags_json(flags, item), "source", source,
                     "confidence", confidence);
}

/* ---- from JSON -------------------------------------------------------------------- */

/* read_fixed reads an amount (a number, or a string as invoices write
 * it); false with why set when it is neither. */
static bool read_fixed(const json_t *v, const char *name, bool *has, long long *out, char *why,
                       size_t size)
{
    InvoiceNumber n;

    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_integer(v) || json_is_real(v)) {
        double d = json_number_value(v);
        if (!isfinite(d) || d > 1e12 || d < -1e12) {
            snprintf(why, size, "%s is out of range", name);
            return false;
        }
        double scaled = d * INVOICE_SCALE; /* rounded half away from zero, without libm */
        *out = (long long)(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
        *has = true;
        return true;
    }
    if (json_is_string(v) && invoice_number_parse(json_string_value(v), 0, &n)) {
        *out = n.value;
        *has = true;
        return true;
    }
    snprintf(why, size, "%s must be a number or a string holding one", name);
    return false;
}

static bool read_string(const json_t *v, const char *name, char *out, size_t outsize, char *why,
                        size_t size)
{
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        snprintf(why, size, "%s must be a string", name);
        return false;
    }
    const char *s = json_string_value(v);
    invoice_copy_text(out, outsize, s, strlen(s));
    return true;
}

static bool read_date(const json_t *v, const char *name, int *out, char *why, size_t size)
{
    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_string(v) && (*out = invoice_date_parse(json_string_value(v), false)) != 0)
        return true;
    snprintf(why, size, "%s must be a date (\"2026-03-12\", \"12/03/2026\"...)", name);
    return false;
}

static bool read_party(const json_t *v, const char *name, char *pname, char *pvat, char *why,
                       size_t size)
{
    char field[32];

    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_object(v)) {
        snprintf(why, size, "%s must be an object {name, vat_id}", name);
        return false;
    }
    snprintf(field, sizeof(field), "%s.name", name);
    if (!read_string(json_object_get(v, "name"), field, pname, INVOICE_NAME_SIZE, why, size))
        return false;
    const json_t *vat = json_object_get(v, "vat_id");
    snprintf(field, sizeof(field), "%s.vat_id", name);
    if (vat != NULL && !json_is_null(vat) &&
        (!json_is_string(vat) || !invoice_vat_normalize(json_string_value(vat), pvat))) {
        snprintf(why, size, "%s must be a VAT id of at most %d characters", field,
                 INVOICE_VAT_SIZE - 1);
        return false;
    }
    return true;
}

static bool read_rates(const json_t *v, Invoice *out, char *why, size_t size)
{
    size_t i;
    const json_t *r;

    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_array(v)) {
        snprintf(why, size, "vat_rates must be an array of percentages");
        return false;
    }
    json_array_foreach(v, i, r)
    {
        bool has = false;
        long long rate = 0;
        if (!read_fixed(r, "vat_rates[]", &has, &rate, why, size))
            return false;
        if (!has || rate < 0 || rate > 100LL * INVOICE_SCALE) {
            snprintf(why, size, "vat_rates[%zu] must be a percentage from 0 to 100", i);
            return false;
        }
        invoice_add_rate(out, rate);
    }
    return true;
}

static bool read_items(const json_t *v, Invoice *out, char *why, size_t size)
{
    size_t i;
    const json_t *o;

    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_array(v)) {
        snprintf(why, size, "line_items must be an array");
        return false;
    }
    json_array_foreach(v, i, o)
    {
        InvoiceItem *it;
        if (!json_is_object(o)) {
            snprintf(why, size, "line_items[%zu] must be an object", i);
            return false;
        }
        if ((it = invoice_add_item(out)) == NULL) {
            snprintf(why, size, "line_items: at most %d items", INVOICE_MAX_ITEMS);
            return false;
        }
        if (!read_string(json_object_get(o, "description"), "line_items[].description",
                         it->description, sizeof(it->description), why, size) ||
            !read_fixed(json_object_get(o, "quantity"), "line_items[].quantity", &it->has_quantity,
                        &it->quantity, why, size) ||
            !read_fixed(json_object_get(o, "unit_price"), "line_items[].unit_price",
                        &it->has_unit_price, &it->unit_price, why, size) ||
            !read_fixed(json_object_get(o, "amount"), "line_items[].amount", &it->has_amount,
                        &it->amount, why, size))
            return false;
    }
    return true;
}

static bool read_language(const json_t *v, Invoice *out, char *why, size_t size)
{
    if (v == NULL || json_is_null(v))
        return true;
    for (int l = LANG_IT; l < LANG_COUNT; l++) {
        if (json_is_string(v) && strcmp(json_string_value(v), invoice_language_code(l)) == 0) {
            out->language = (InvoiceLanguage)l;
            return true;
        }
    }
    snprintf(why, size, "language must be \"it\", \"en\", \"de\" or \"fr\"");
    return false;
}

bool invoice_from_fields(const json_t *f, Invoice *out, char *why, size_t size)
{
    invoice_init(out);
    if (!json_is_object(f)) {
        snprintf(why, size, "fields must be an object");
        return false;
    }
    const json_t *currency = json_object_get(f, "currency");
    bool ok =
        read_string(json_object_get(f, "invoice_number"), "invoice_number", out->number,
                    sizeof(out->number), why, size) &&
        read_date(json_object_get(f, "issue_date"), "issue_date", &out->issue_date, why, size) &&
        read_date(json_object_get(f, "due_date"), "due_date", &out->due_date, why, size) &&
        read_party(json_object_get(f, "supplier"), "supplier", out->supplier_name,
                   out->supplier_vat, why, size) &&
        read_party(json_object_get(f, "customer"), "customer", out->customer_name,
                   out->customer_vat, why, size) &&
        read_fixed(json_object_get(f, "subtotal"), "subtotal", &out->has_subtotal, &out->subtotal,
                   why, size) &&
        read_fixed(json_object_get(f, "tax"), "tax", &out->has_tax, &out->tax, why, size) &&
        read_fixed(json_object_get(f, "total"), "total", &out->has_total, &out->total, why, size) &&
        read_rates(json_object_get(f, "vat_rates"), out, why, size) &&
        read_items(json_object_get(f, "line_items"), out, why, size) &&
        read_language(json_object_get(f, "language"), out, why, size);
    if (ok && currency != NULL && !json_is_null(currency)) {
        const char *c = json_is_string(currency) ? json_string_value(currency) : "";
        if (strlen(c) != 3 || !isupper((unsigned char)c[0]) || !isupper((unsigned char)c[1]) ||
            !isupper((unsigned char)c[2])) {
            snprintf(why, size, "currency must be an ISO 4217 code such as \"EUR\"");
            ok = false;
        } else {
            memcpy(out->currency, c, 4);
        }
    }
    if (!ok)
        invoice_free(out);
    return ok;
}
