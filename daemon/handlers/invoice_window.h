/* SPDX-License-Identifier: MIT */
/*
 * invoice_window.h - address blocks without a label.  Letters in Germany,
 * Austria, Switzerland, France and Italy print the customer's address in
 * a window (a block of two to eight lines in one column, its name first,
 * a postcode and town below) with no "Bill to:" before it; a salutation
 * line ("Herrn", "Frau", "Monsieur", "Mr") or a line of the sender's
 * address may come first.  Letterheads often print the trade above the
 * name in capitals ("STUDIO TECNICO", "ELEKTROINSTALLATIONEN"); that line
 * is no name.  Used by invoice_parties.c.
 */
#ifndef PGJOB_INVOICE_WINDOW_H
#define PGJOB_INVOICE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "invoice.h"
#include "invoice_scan.h"

/* InvoiceWindow is an address block: lines [first, last], places [x0, x1). */
typedef struct InvoiceWindow {
    size_t first, last;
    double x0, x1;
    char name[INVOICE_NAME_SIZE];
} InvoiceWindow;

/* invoice_window_is_address says whether text[len] reads as an address
 * line: it starts with a house number, or holds a postcode (four or five
 * digits standing alone, maybe after "D-", "CH-"...) before a town or at
 * the end of the line. */
bool invoice_window_is_address(const char *text, size_t len);

/* invoice_window_is_salutation says whether text[len] is only a
 * salutation or an attention line ("Herrn", "Frau", "Monsieur", "Mrs",
 * "z. H. Frau Huber", "Attn: Accounts"). */
bool invoice_window_is_salutation(const char *text, size_t len);

/* invoice_window_has_form says whether text[len] names a company form
 * (GmbH, AG, S.r.l., SARL, Ltd, Inc...). */
bool invoice_window_has_form(const char *text, size_t len);

/* invoice_window_is_trade says whether text[len] is a trade written
 * above a letterhead's name: capitals only, one to four words, no
 * company form (GmbH, S.r.l., SARL, Ltd...) and no digits. */
bool invoice_window_is_trade(const char *text, size_t len);

/* invoice_window_find finds the first address window of s in its first
 * 40 lines that is not the block at lines [skip_first, skip_last] and
 * place skip_x0 (the supplier's letterhead); false when there is none. */
bool invoice_window_find(const InvoiceScan *s, size_t skip_first, size_t skip_last, double skip_x0,
                         InvoiceWindow *w);

#endif
