/* SPDX-License-Identifier: MIT */
/*
 * invoice.h - an invoice's fields, as the invoice rules read them from
 * its text (invoice_extract.h) or a client gives them (invoice_json.h),
 * and as the flags (invoice_flags.h) and the result (invoice_json.h) use
 * them.  Money, quantities and rates are fixed-point (invoice_number.h):
 * an amount of 12.50 is 125000, a rate of 22 % is 220000.
 */
#ifndef PGJOB_INVOICE_H
#define PGJOB_INVOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "invoice_labels.h"
#include "invoice_number.h"
#include "invoice_vat.h"

enum {
    INVOICE_NUMBER_SIZE = 64,
    INVOICE_NAME_SIZE = 192,
    INVOICE_DESCRIPTION_SIZE = 256,
    INVOICE_MAX_RATES = 8,
    INVOICE_MAX_ITEMS = 500,
};

/* InvoiceItem is one line item. */
typedef struct InvoiceItem {
    char description[INVOICE_DESCRIPTION_SIZE];
    bool has_quantity, has_unit_price, has_amount;
    long long quantity, unit_price, amount; /* times INVOICE_SCALE */
} InvoiceItem;

/* Invoice is what is known of one invoice; a field not found is empty
 * ("", 0 dates, has_* false). */
typedef struct Invoice {
    char number[INVOICE_NUMBER_SIZE];
    int issue_date, due_date; /* yyyymmdd, 0 when not known */
    char supplier_name[INVOICE_NAME_SIZE];
    char supplier_vat[INVOICE_VAT_SIZE];
    char customer_name[INVOICE_NAME_SIZE];
    char customer_vat[INVOICE_VAT_SIZE];
    char currency[4]; /* ISO 4217 */
    bool has_subtotal, has_tax, has_total;
    long long subtotal, tax, total;     /* times INVOICE_SCALE */
    long long rates[INVOICE_MAX_RATES]; /* percent times INVOICE_SCALE, largest first */
    size_t nrates;
    InvoiceItem *items;
    size_t nitems, items_cap;
    InvoiceLanguage language; /* of the labels; LANG_ANY when not known */
} Invoice;

/* invoice_init empties *inv. */
void invoice_init(Invoice *inv);

/* invoice_free releases the items and empties *inv. */
void invoice_free(Invoice *inv);

/* invoice_add_rate adds a VAT rate (percent times INVOICE_SCALE) unless
 * already there or out of [0, 100] %; keeps them largest first. */
void invoice_add_rate(Invoice *inv, long long rate);

/* invoice_add_item appends a zeroed item and returns it; NULL when
 * memory ran out or INVOICE_MAX_ITEMS are there. */
InvoiceItem *invoice_add_item(Invoice *inv);

/* invoice_is_italian says whether the Italian VAT rates apply: the
 * supplier's VAT id is Italian, or, when the supplier's VAT id is not
 * known, the invoice is written in Italian. */
bool invoice_is_italian(const Invoice *inv);

/* invoice_copy_text copies src[len] into dst[size], trimmed of spaces
 * and of ':', ',' and ';' at either end, cut on a character boundary,
 * stopping at a NUL, with every byte that is not well-formed UTF-8 made
 * '?' (what it writes is always valid UTF-8). */
void invoice_copy_text(char *dst, size_t size, const char *src, size_t len);

#endif
