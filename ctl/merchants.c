/* SPDX-License-Identifier: MIT */
/* merchants.c copies the embedded merchant table into pgjob.merchant (see merchants.h). */
#include "merchants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "enrich_merchants.h"
#include "strnum.h"

/* One round trip: the rows travel as seven array parameters, unnested
 * side by side.  A row changes only when one of its fields differs, so a
 * second run changes nothing (not even updated_at). */
static const char sync_sql[] =
    "WITH shipped AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[],"
    "                       $6::text[], $7::text[])"
    "    AS s(name, domain, category, mcc, subscription, channel, aliases)"
    "), upserted AS ("
    "  INSERT INTO pgjob.merchant AS m"
    "         (name, domain, category, mcc, subscription, channel, aliases, origin)"
    "  SELECT name, nullif(domain, ''), category, nullif(mcc, ''), subscription, channel,"
    "         CASE WHEN aliases = '' THEN '{}'::text[] ELSE string_to_array(aliases, '|') END,"
    "         'shipped'"
    "    FROM shipped"
    "  ON CONFLICT (name) DO UPDATE"
    "     SET domain = EXCLUDED.domain, category = EXCLUDED.category, mcc = EXCLUDED.mcc,"
    "         subscription = EXCLUDED.subscription, channel = EXCLUDED.channel,"
    "         aliases = EXCLUDED.aliases, updated_at = now()"
    "   WHERE m.origin = 'shipped'"
    "     AND (m.domain, m.category, m.mcc, m.subscription, m.channel, m.aliases)"
    "         IS DISTINCT FROM (EXCLUDED.domain, EXCLUDED.category, EXCLUDED.mcc,"
    "                           EXCLUDED.subscription, EXCLUDED.channel, EXCLUDED.aliases)"
    "  RETURNING xmax = 0 AS inserted"
    "), removed AS ("
    "  DELETE FROM pgjob.merchant m"
    "   WHERE m.origin = 'shipped' AND m.name <> ALL ($1::text[])"
    "  RETURNING 1"
    ")"
    "SELECT (SELECT count(*) FROM upserted WHERE inserted),"
    "       (SELECT count(*) FROM upserted WHERE NOT inserted),"
    "       (SELECT count(*) FROM removed)";

/* Array is a growing PostgreSQL array literal. */
typedef struct Array {
    char *buf;
    size_t len, cap;
    bool failed;
} Array;

static void append(Array *a, const char *s, size_t n)
{
    if (a->failed)
        return;
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap != 0 ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *grown = realloc(a->buf, cap);
        if (grown == NULL) {
            a->failed = true;
            return;
        }
        a->buf = grown;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, s, n);
    a->len += n;
    a->buf[a->len] = '\0';
}

/* add_text appends one element, double-quoted with '"' and '\' escaped,
 * so any text is one element. */
static void add_text(Array *a, const char *s)
{
    append(a, a->len == 0 ? "{\"" : ",\"", 2);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            append(a, "\\", 1);
        append(a, s, 1);
    }
    append(a, "\"", 1);
}

static void add_bool(Array *a, bool b)
{
    append(a, a->len == 0 ? "{" : ",", 1);
    append(a, b ? "t" : "f", 1);
}

static void close_array(Array *a)
{
    if (a->len == 0)
        append(a, "{", 1);
    append(a, "}", 1);
}

enum { NCOLS = 7 };

bool merchants_sync(PGconn *c, MerchantSync *counts, Error *err)
{
    Array cols[NCOLS] = {{0}};
    const char *params[NCOLS];
    PGresult *r = NULL;
    bool ok = false, failed = false;

    for (size_t i = 0; i < enrich_merchants_count; i++) {
        const EnrichMerchant *m = &enrich_merchants[i];
        add_text(&cols[0], m->name);
        add_text(&cols[1], m->domain);
        add_text(&cols[2], m->category);
        add_text(&cols[3], m->mcc);
        add_bool(&cols[4], m->subscription);
        add_text(&cols[5], m->channel);
        add_text(&cols[6], m->aliases);
    }
    for (int i = 0; i < NCOLS; i++) {
        close_array(&cols[i]);
        params[i] = cols[i].buf;
        failed |= cols[i].failed;
    }
    if (failed) {
        error_set(err, 500, "out_of_memory", "out of memory");
        goto out;
    }
    r = db_exec(c, sync_sql, NCOLS, params);
    if (!db_tuples_ok(r) || PQntuples(r) != 1) {
        db_error(c, r, "copying the shipped merchants into pgjob.merchant", err);
        goto out;
    }
    counts->shipped = (long)enrich_merchants_count;
    if (!strnum_long(PQgetvalue(r, 0, 0), 0, 1000000000, &counts->added) ||
        !strnum_long(PQgetvalue(r, 0, 1), 0, 1000000000, &counts->updated) ||
        !strnum_long(PQgetvalue(r, 0, 2), 0, 1000000000, &counts->removed)) {
        error_set(err, 500, "db_error", "copying the shipped merchants: unexpected counts");
        goto out;
    }
    ok = true;
out:
    PQclear(r);
    for (int i = 0; i < NCOLS; i++)
        free(cols[i].buf);
    return ok;
}
