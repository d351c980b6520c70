/* SPDX-License-Identifier: MIT */
/*
 * merchants.h - the shipped rows of pgjob.merchant.  pgjobctl carries the
 * merchant table of daemon/merchants.tsv (embedded at build time, see
 * daemon/enrich_merchants.h) and, after applying migrations, makes the
 * rows with origin 'shipped' equal to it: new merchants are added,
 * changed ones updated, ones no longer shipped deleted.  Rows with origin
 * 'operator' are never touched, and a shipped merchant whose name an
 * operator row has is left to the operator.
 */
#ifndef PGJOB_CTL_MERCHANTS_H
#define PGJOB_CTL_MERCHANTS_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "error.h"

/* MerchantSync counts what merchants_sync changed. */
typedef struct MerchantSync {
    long shipped; /* rows embedded in this pgjobctl */
    long added, updated, removed;
} MerchantSync;

/* merchants_sync makes the shipped rows of pgjob.merchant on c equal to
 * the embedded table, in one statement (so all or nothing), and fills
 * counts.  False with err filled when it fails. */
bool merchants_sync(PGconn *c, MerchantSync *counts, Error *err)
    __attribute__((warn_unused_result));

#endif
