/* SPDX-License-Identifier: MIT */
/* handler_invoice.h - the "invoice" built-in handler (see handler_invoice.c). */
#ifndef PGJOB_HANDLER_INVOICE_H
#define PGJOB_HANDLER_INVOICE_H

#include "doctype.h"
#include "handler.h"

/* The extractor's name and version, the job's "model" (common/doctype.h,
 * which the front end's result cache reads too). */
#define INVOICE_MODEL DOC_MODEL_INVOICE

extern const Handler handler_invoice;

/* handler_invoice_item answers one item (see handler_invoice.c): its new
 * result object, with the item's flags (for item index `index`) in the
 * output; *flags and *confidence get them for the job (*confidence < 0
 * for a failed item).  NULL when memory ran out. */
json_t *handler_invoice_item(const json_t *item, size_t index, unsigned *flags, double *confidence);

#endif
