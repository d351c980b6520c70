/* SPDX-License-Identifier: MIT */
/*
 * invoice_flags.h - the five validation flags of an invoice, as Parzo
 * defines them (code, severity, description):
 *
 *   ARITHMETIC_MISMATCH    error    subtotal + tax ≠ total
 *   INVALID_TOTAL          error    Total is zero or negative
 *   INVALID_IT_VAT_RATE    warning  VAT rate not standard for Italy
 *   INVALID_PIVA_CHECKSUM  warning  Italian VAT number fails checksum
 *   DATE_INCOHERENCE       warning  Issue date is after due date
 *
 * Each is raised only on what is known: no total, no INVALID_TOTAL; a
 * missing subtotal, tax or total, no ARITHMETIC_MISMATCH (which allows a
 * difference of one cent, the rounding of a tax computed per line); an
 * invoice that is not Italian (invoice_is_italian), no rate flag (the
 * Italian rates are 22, 10, 5, 4 and 0 %); every Italian VAT id of the
 * invoice, the supplier's and the customer's, has its check digit
 * checked; the same day for issue and due is coherent.  Flags never stop
 * an extraction.
 */
#ifndef PGJOB_INVOICE_FLAGS_H
#define PGJOB_INVOICE_FLAGS_H

#include "invoice.h"

/* The flags, one bit each, in the order above. */
enum {
    INVOICE_FLAG_ARITHMETIC_MISMATCH = 1u << 0,
    INVOICE_FLAG_INVALID_TOTAL = 1u << 1,
    INVOICE_FLAG_INVALID_IT_VAT_RATE = 1u << 2,
    INVOICE_FLAG_INVALID_PIVA_CHECKSUM = 1u << 3,
    INVOICE_FLAG_DATE_INCOHERENCE = 1u << 4,
    INVOICE_FLAG_COUNT = 5,
};

/* InvoiceFlagInfo is a flag as clients see it. */
typedef struct InvoiceFlagInfo {
    unsigned bit;
    const char *code;     /* "ARITHMETIC_MISMATCH" */
    const char *severity; /* "error" or "warning" */
    const char *message;  /* the description */
} InvoiceFlagInfo;

/* invoice_flag_info is the table of the five flags, in bit order. */
extern const InvoiceFlagInfo invoice_flag_info[INVOICE_FLAG_COUNT];

/* invoice_flags_check returns the flags inv raises. */
unsigned invoice_flags_check(const Invoice *inv);

/* invoice_flag_by_code returns the bit of a flag's code, or 0. */
unsigned invoice_flag_by_code(const char *code);

#endif
