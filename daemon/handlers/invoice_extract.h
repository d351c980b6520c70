/* SPDX-License-Identifier: MIT */
/*
 * invoice_extract.h - an invoice's fields from its text: the rules that
 * read it, each family in its own file (numbers and currency marks
 * invoice_number.c, dates invoice_date.c, labels invoice_labels.c, VAT
 * ids invoice_vat.c, parties invoice_parties.c, line items
 * invoice_items.c); this file reads the invoice's number, dates, amounts,
 * rates, currency and language with them.
 *
 * An amount is read after its label, on the label's line: between the
 * label and the next label, the last number that is no percentage (so
 * "IVA 22% su 1.000,00   220,00" is a tax of 220,00 at 22 %), or, when
 * the label ends its line, a line below holding only a number.  Taxes
 * per rate are summed unless a line gives their total; of several totals
 * the one whose label names the invoice's total ("Totale documento",
 * "Total TTC", "Gesamtbetrag") wins over a bare "Totale" or an amount to
 * pay.  A date belongs to the nearest date label before it on its line,
 * or in the cell above it.
 */
#ifndef PGJOB_INVOICE_EXTRACT_H
#define PGJOB_INVOICE_EXTRACT_H

#include <stdbool.h>

#include "invoice.h"
#include "invoice_text.h"

/* invoice_extract reads the fields of t into out (initialized here);
 * false when memory ran out (out is then empty). */
bool invoice_extract(const InvoiceText *t, Invoice *out) __attribute__((warn_unused_result));

#endif
