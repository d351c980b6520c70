/* SPDX-License-Identifier: MIT */
/* enrich_load.c reads pgjob.merchant into a merchant table (see enrich_load.h). */
#include "enrich_load.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* Operator rows first is only the reading order; enrich_table_new decides
 * precedence itself.  Name order makes "which of two clashing rows is
 * skipped" the same on every load. */
static const char load_sql[] =
    "SELECT name, coalesce(domain, ''), category, coalesce(mcc, ''), subscription, channel,"
    " array_to_string(aliases, '|'), origin = 'operator'"
    " FROM pgjob.merchant ORDER BY origin = 'shipped', name";

/* report logs one skipped row. */
static void report(void *arg, const char *message)
{
    char clean[512];

    (void)arg;
    log_warn("merchant table: %s", log_sanitize(clean, sizeof clean, message));
}

void enrich_log_table(const EnrichTable *t, const char *what)
{
    EnrichTableStats st;

    enrich_table_stats(t, &st);
    log_info(
        "%s: %zu merchants (%zu of operators), %zu keys, %zu bad rows skipped, %zu shipped "
        "keys taken by operator rows",
        what, st.rows, st.operator, st.keys, st.skipped, st.overridden);
}

EnrichTable *enrich_load(PGconn *c, size_t cache_entries, Error *err)
{
    PGresult *r = db_exec(c, load_sql, 0, NULL);
    EnrichMerchant *rows = NULL;
    EnrichTable *t = NULL;
    int n;

    if (!db_tuples_ok(r)) {
        db_error(c, r, "reading pgjob.merchant", err);
        PQclear(r);
        return NULL;
    }
    n = PQntuples(r);
    if (n == 0) {
        PQclear(r);
        log_warn(
            "pgjob.merchant is empty (run pgjobctl migrate to load the shipped merchants); "
            "using the merchants built into pgjobd");
        t = enrich_table_embedded(cache_entries, report, NULL);
        if (t == NULL)
            error_set(err, 500, "out_of_memory", "out of memory building the merchant table");
        return t;
    }
    rows = calloc((size_t)n, sizeof(EnrichMerchant));
    if (rows == NULL) {
        PQclear(r);
        error_set(err, 500, "out_of_memory", "out of memory reading the merchant table");
        return NULL;
    }
    /* The strings are borrowed from r: enrich_table_new copies them. */
    for (int i = 0; i < n; i++) {
        rows[i] = (EnrichMerchant){
            .name = PQgetvalue(r, i, 0),
            .domain = PQgetvalue(r, i, 1),
            .category = PQgetvalue(r, i, 2),
            .mcc = PQgetvalue(r, i, 3),
            .subscription = strcmp(PQgetvalue(r, i, 4), "t") == 0,
            .channel = PQgetvalue(r, i, 5),
            .aliases = PQgetvalue(r, i, 6),
            .operator_row = strcmp(PQgetvalue(r, i, 7), "t") == 0,
        };
    }
    t = enrich_table_new(rows, (size_t)n, cache_entries, report, NULL);
    free(rows);
    PQclear(r);
    if (t == NULL)
        error_set(err, 500, "out_of_memory", "out of memory building the merchant table");
    return t;
}
