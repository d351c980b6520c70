/* SPDX-License-Identifier: MIT */
/*
 * merchants.h - the shipped rows of pgjob.merchant.  pgjobctl carries the
 * enrich handler's merchant list (daemon/handlers/merchants.tsv, embedded
 * as text at build time) and, after applying migrations, hands it to
 * pgjob.merchant_sync() (sql/006_merchant_sync.sql), which owns the format
 * and makes the rows with origin 'shipped' equal to it.  Rows with origin
 * 'operator' are never touched.
 */
#ifndef PGJOB_CTL_MERCHANTS_H
#define PGJOB_CTL_MERCHANTS_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"

/* The shipped merchant list, tab-separated text (generated at build time). */
extern const char merchants_shipped_tsv[];

/* MerchantSync counts what merchants_sync changed. */
typedef struct MerchantSync {
    long shipped; /* rows in the shipped list */
    long added, updated, removed;
} MerchantSync;

/* merchants_sync makes the shipped rows of pgjob.merchant on c equal to
 * the embedded list, in one statement (so all or nothing), and fills
 * counts.  False with err filled when it fails. */
bool merchants_sync(PGconn *c, MerchantSync *counts, Error *err)
    __attribute__((warn_unused_result));

#endif
