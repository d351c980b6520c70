/* SPDX-License-Identifier: MIT */
/* invoice_flags.c - the five validation flags (invoice_flags.h). */
#include "invoice_flags.h"

#include <stdlib.h>
#include <string.h>

const InvoiceFlagInfo invoice_flag_info[INVOICE_FLAG_COUNT] = {
    {INVOICE_FLAG_ARITHMETIC_MISMATCH, "ARITHMETIC_MISMATCH", "error",
     "subtotal + tax \xe2\x89\xa0 total"},
    {INVOICE_FLAG_INVALID_TOTAL, "INVALID_TOTAL", "error", "Total is zero or negative"},
    {INVOICE_FLAG_INVALID_IT_VAT_RATE, "INVALID_IT_VAT_RATE", "warning",
     "VAT rate not standard for Italy"},
    {INVOICE_FLAG_INVALID_PIVA_CHECKSUM, "INVALID_PIVA_CHECKSUM", "warning",
     "Italian VAT number fails checksum"},
    {INVOICE_FLAG_DATE_INCOHERENCE, "DATE_INCOHERENCE", "warning", "Issue date is after due date"},
};

/* The Italian VAT rates: 22 % ordinary, 10 and 5 reduced, 4 minimum, 0. */
static const long long italian_rates[] = {22LL * INVOICE_SCALE, 10LL * INVOICE_SCALE,
                                          5LL * INVOICE_SCALE, 4LL * INVOICE_SCALE, 0};

static bool italian_rate(long long rate)
{
    for (size_t i = 0; i < sizeof(italian_rates) / sizeof(italian_rates[0]); i++) {
        if (rate == italian_rates[i])
            return true;
    }
    return false;
}

/* bad_piva says whether vat is an Italian VAT id whose check fails. */
static bool bad_piva(const char *vat)
{
    const char *digits = invoice_vat_italian_digits(vat);
    return vat[0] != '\0' && digits != NULL && !invoice_piva_valid(digits);
}

unsigned invoice_flags_check(const Invoice *inv)
{
    unsigned flags = 0;

    if (inv->has_subtotal && inv->has_tax && inv->has_total &&
        llabs(inv->subtotal + inv->tax - inv->total) > INVOICE_CENT)
        flags |= INVOICE_FLAG_ARITHMETIC_MISMATCH;
    if (inv->has_total && inv->total <= 0)
        flags |= INVOICE_FLAG_INVALID_TOTAL;
    if (invoice_is_italian(inv)) {
        for (size_t i = 0; i < inv->nrates; i++) {
            if (!italian_rate(inv->rates[i]))
                flags |= INVOICE_FLAG_INVALID_IT_VAT_RATE;
        }
    }
    if (bad_piva(inv->supplier_vat) || bad_piva(inv->customer_vat))
        flags |= INVOICE_FLAG_INVALID_PIVA_CHECKSUM;
    if (inv->issue_date != 0 && inv->due_date != 0 && inv->issue_date > inv->due_date)
        flags |= INVOICE_FLAG_DATE_INCOHERENCE;
    return flags;
}

unsigned invoice_flag_by_code(const char *code)
{
    for (size_t i = 0; i < INVOICE_FLAG_COUNT; i++) {
        if (strcmp(invoice_flag_info[i].code, code) == 0)
            return invoice_flag_info[i].bit;
    }
    return 0;
}
