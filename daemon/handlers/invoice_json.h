/* SPDX-License-Identifier: MIT */
/*
 * invoice_json.h - an invoice as JSON: the result object of the invoice
 * handler, and the already-extracted fields a client may send instead of
 * text (the same names, so a result's fields can be sent back as they
 * are).  The shape is documented in docs/handlers/invoice.md:
 *
 *   {invoice_number, issue_date, due_date,
 *    supplier: {name, vat_id}, customer: {name, vat_id},
 *    currency, subtotal, tax, vat_rates: [..], total,
 *    line_items: [{description, quantity, unit_price, amount}],
 *    language, source, confidence, validation_flags: [{code, severity, message, item}]}
 *
 * Dates are "yyyy-mm-dd", amounts JSON numbers, a field not found null.
 */
#ifndef PGJOB_INVOICE_JSON_H
#define PGJOB_INVOICE_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "invoice.h"

/* invoice_flags_json returns a new array of the flags' objects
 * {code, severity, message, item}; NULL when memory ran out. */
json_t *invoice_flags_json(unsigned flags, size_t item);

/* invoice_to_json returns the new result object of inv, with its flags
 * (for item), confidence and source ("text", "fields", or a document
 * type); NULL when memory ran out. */
json_t *invoice_to_json(const Invoice *inv, unsigned flags, double confidence, size_t item,
                        const char *source);

/* invoice_from_fields reads a client's fields (an object shaped like a
 * result) into out (initialized here).  Amounts may be numbers or
 * strings as invoices write them ("1.234,56"), dates any form
 * invoice_date.h reads.  Returns false with why[size] set when a field
 * has the wrong type or cannot be read; out is then empty. */
bool invoice_from_fields(const json_t *fields, Invoice *out, char *why, size_t size)
    __attribute__((warn_unused_result));

#endif
