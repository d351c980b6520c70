/* SPDX-License-Identifier: MIT */
/*
 * invoice_date.h - dates as invoices write them: dd/mm/yyyy, dd.mm.yyyy,
 * dd-mm-yyyy (two-digit years read as 20yy), yyyy-mm-dd, and with the
 * month's name in Italian, English, German or French, whole or cut short:
 * "12 marzo 2026", "03 March 2026", "3. März 2026", "1er mars 2026",
 * "March 3, 2026".  Only real calendar days are dates (no 31 April, 29
 * February only in leap years).
 *
 * Numbers only are read day first unless the first number cannot be a
 * month's day or the caller says the document writes the month first
 * (month_first, an American invoice).
 */
#ifndef PGJOB_INVOICE_DATE_H
#define PGJOB_INVOICE_DATE_H

#include <stdbool.h>
#include <stddef.h>

/* InvoiceDate is a date found in a text. */
typedef struct InvoiceDate {
    int key;           /* yyyymmdd: ordered like the dates */
    size_t start, end; /* its bytes in the text */
} InvoiceDate;

/* invoice_date_next finds the first date of s[len] that starts at or
 * after *pos, fills *out and moves *pos past it; false when there is
 * none (or memory ran out). */
bool invoice_date_next(const char *s, size_t len, size_t *pos, bool month_first, InvoiceDate *out);

/* invoice_date_order_vote adds to votes[0] the dates of numbers in
 * s[len] that can only be read day first (31/01/2026) and to votes[1]
 * those that can only be read month first (01/31/2026): a document
 * writes all its dates one way. */
void invoice_date_order_vote(const char *s, size_t len, int votes[2]);

/* invoice_date_parse reads all of s (spaces around allowed) as one date
 * and returns its key, or 0 when it is not exactly one date. */
int invoice_date_parse(const char *s, bool month_first);

/* invoice_date_valid says whether y-m-d is a calendar day (years 1900
 * to 2199). */
bool invoice_date_valid(int y, int m, int d);

/* invoice_date_iso writes key as "yyyy-mm-dd" into buf[11]. */
void invoice_date_iso(int key, char buf[11]);

#endif
