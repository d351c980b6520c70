/* SPDX-License-Identifier: MIT */
/*
 * invoice_items.h - line items, from tables laid out in columns.  A
 * table starts at a heading line whose cells name a description and a
 * price or amount column (Descrizione / Q.tà / Prezzo / Importo, Item /
 * Qty / Unit Price / Amount, Bezeichnung / Menge / Einzelpreis / Gesamt,
 * Désignation / Qté / Prix unitaire / Montant...).  Each following line's
 * cells go to the heading whose place they overlap (numbers are often
 * right-aligned under their heading), so a missing cell leaves its
 * column empty instead of shifting the others.  A line with only a
 * description continues the item above; the table ends at a blank line
 * after its rows, at a totals label, or at a line that fits no column.
 */
#ifndef PGJOB_INVOICE_ITEMS_H
#define PGJOB_INVOICE_ITEMS_H

#include <stdbool.h>

#include "invoice.h"
#include "invoice_scan.h"

/* invoice_items_read appends the line items of every table of s to inv
 * (and the VAT rates of a rate column), and marks the tables' lines in
 * s; false when memory ran out. */
bool invoice_items_read(InvoiceScan *s, Invoice *inv) __attribute__((warn_unused_result));

#endif
