/* SPDX-License-Identifier: MIT */
/* merchants.c hands the shipped merchant list to pgjob.merchant_sync() (see merchants.h). */
#include "merchants.h"

#include "db.h"
#include "strnum.h"

static const char sync_sql[] =
    "SELECT shipped, added, updated, removed FROM pgjob.merchant_sync($1)";

bool merchants_sync(PGconn *c, MerchantSync *counts, Error *err)
{
    const char *params[1] = {merchants_shipped_tsv};
    PGresult *r = db_exec(c, sync_sql, 1, params);
    bool ok = false;

    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        db_error(c, r, "copying the shipped merchants into pgjob.merchant", err);
        goto out;
    }
    if (!strnum_long(PQgetvalue(r, 0, 0), 0, 1000000000, &counts->shipped) ||
        !strnum_long(PQgetvalue(r, 0, 1), 0, 1000000000, &counts->added) ||
        !strnum_long(PQgetvalue(r, 0, 2), 0, 1000000000, &counts->updated) ||
        !strnum_long(PQgetvalue(r, 0, 3), 0, 1000000000, &counts->removed)) {
        error_set(err, 500, "db_error", "copying the shipped merchants: unexpected counts");
        goto out;
    }
    ok = true;
out:
    PQclear(r);
    return ok;
}
