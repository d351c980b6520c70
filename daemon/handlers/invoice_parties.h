/* SPDX-License-Identifier: MIT */
/*
 * invoice_parties.h - the supplier and the customer: their names and VAT
 * ids.  A party's block starts at its label ("Spett.le", "Bill To:",
 * "Kunde:", "Client :", "Cedente/Prestatore", "From:"...) and runs down
 * to the first blank line, in the label's column only (so that two
 * blocks side by side stay apart).  The name is the text after the label
 * in its cell, or the first line of the block below it.  Without a
 * supplier label the supplier is the first line of the document that is
 * no label (the letterhead), cut at a " · " or " | ".  VAT ids are found
 * by shape (invoice_vat.h) on every line: the first one in the customer's
 * block is the customer's, the first one outside it the supplier's.
 */
#ifndef PGJOB_INVOICE_PARTIES_H
#define PGJOB_INVOICE_PARTIES_H

#include "invoice.h"
#include "invoice_scan.h"

/* invoice_parties_read fills inv's supplier_* and customer_* fields. */
void invoice_parties_read(const InvoiceScan *s, Invoice *inv);

#endif
