/* SPDX-License-Identifier: MIT */
/*
 * invoice_confidence.h - how sure the invoice rules are of an
 * extraction, from 0 to 1: which fields were found, whether the amounts
 * agree with each other (subtotal + tax = total, the line items add up to
 * the subtotal) and which flags fired.  A score is mapped to the share of
 * the training corpus's invoices, in the score's band, whose key fields
 * (number, issue date, supplier name, subtotal, tax, total) were all
 * right; see docs/handlers/invoice.md for the bands and how they were
 * measured.
 */
#ifndef PGJOB_INVOICE_CONFIDENCE_H
#define PGJOB_INVOICE_CONFIDENCE_H

#include "invoice.h"

/* invoice_confidence_score is the raw score of an extraction in [0, 1]:
 * the weights of the fields found, the agreement of the amounts. */
double invoice_confidence_score(const Invoice *inv, unsigned flags);

/* invoice_confidence is the calibrated confidence, rounded to 2
 * decimals. */
double invoice_confidence(const Invoice *inv, unsigned flags);

#endif
