/* SPDX-License-Identifier: MIT */
/*
 * enrich_load.h - pgjobd reads the merchant table pgjob.merchant
 * (sql/005_merchants.sql) into a new EnrichTable (enrich_table.h) at start
 * and on SIGHUP.  Bad rows are logged with their name and skipped.  An
 * empty pgjob.merchant (pgjobctl migrate copies the shipped rows in, so
 * this means they were deleted or never copied) gives the embedded table,
 * with a warning.
 */
#ifndef PGJOB_ENRICH_LOAD_H
#define PGJOB_ENRICH_LOAD_H

#include <stddef.h>

#include <libpq-fe.h>

#include "enrich_table.h"
#include "error.h"

/* enrich_load reads pgjob.merchant on c and returns a new table with a
 * cache of cache_entries results, or NULL with err filled (a database
 * error, or out of memory); the caller then keeps its current table. */
EnrichTable *enrich_load(PGconn *c, size_t cache_entries, Error *err);

/* enrich_log_table logs what a table holds, in one line, after what. */
void enrich_log_table(const EnrichTable *t, const char *what);

#endif
