/* SPDX-License-Identifier: MIT */
/*
 * test_enrich_table.c tests the merchant tables of the enrich handler
 * (daemon/handlers/enrich_table.c): building one from rows, key clashes between
 * rows, references and the slot a daemon swaps them in; and the result
 * cache (daemon/handlers/enrich_cache.c): keys, hits and misses, eviction, use from
 * several threads, and the handler's cache_hit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enrich.h"
#include "enrich_cache.h"
#include "enrich_table.h"
#include "handler_enrich.h"
#include "suites.h"

/* Reports collects the messages of skipped rows. */
typedef struct Reports {
    char text[2048];
    size_t count;
} Reports;

static void collect(void *arg, const char *message)
{
    Reports *r = arg;
    size_t len = strlen(r->text);

    snprintf(r->text + len, sizeof r->text - len, "%s\n", message);
    r->count++;
}

/* find_name returns the name of the merchant key names in t, or "". */
static const char *find_name(const EnrichTable *t, const char *key)
{
    int m = enrich_table_find(t, key, strlen(key));
    return m >= 0 ? enrich_table_row(t, m)->name : "";
}

static void table_from_rows(void)
{
    char name[32] = "Corner Deli";
    EnrichMerchant rows[] = {
        {name, "cornerdeli.example", "restaurants", "5812", false, "in_store", "CRNR DELI|C DELI",
         true},
        {"Blue Bottle Coffee", "bluebottlecoffee.com", "coffee", "5814", false, "in_store",
         "BLUE BOTTLE", false},
    };
    Reports rep = {{0}, 0};
    EnrichTable *t = enrich_table_new(rows, 2, 0, collect, &rep);
    EnrichTableStats st;

    REQUIRE(t != NULL);
    /* The table holds copies: the caller's strings may change. */
    strcpy(name, "Changed");
    CHECK_STR(find_name(t, "CORNERDELI"), "Corner Deli");
    CHECK_STR(find_name(t, "CRNRDELI"), "Corner Deli");
    CHECK_STR(find_name(t, "CDELI"), "Corner Deli");
    CHECK_STR(find_name(t, "BLUEBOTTLE"), "Blue Bottle Coffee");
    CHECK_STR(find_name(t, "WALMART"), "");
    enrich_table_stats(t, &st);
    CHECK_INT(st.rows, 2);
    CHECK_INT(st.operator, 1);
    CHECK_INT(st.skipped, 0);
    CHECK_INT(st.keys, 5);
    CHECK_INT(rep.count, 0);
    CHECK(enrich_table_cache(t) == NULL);

    /* The pipeline matches with the table's rows. */
    EnrichResult r;
    const char *text = "SQ *CRNR DELI Oakland CA";
    enrich_describe(t, &(EnrichInput){.text = text, .len = strlen(text)}, &r);
    CHECK_STR(r.merchant, "Corner Deli");
    CHECK_STR(r.domain, "cornerdeli.example");
    CHECK_INT(r.category, ENRICH_RESTAURANTS);
    enrich_table_unref(t);
}

static void table_key_clashes(void)
{
    EnrichMerchant rows[] = {
        /* shipped rows */
        {"Netflix", "netflix.com", "subscriptions", "4899", true, "online", "NETFLIX COM|NFLX",
         false},
        {"Netflix Clone", "", "subscriptions", "", true, "online", "NETFLIX.COM", false},
        /* operator rows: one takes a shipped alias, two clash with each other */
        {"My Streaming", "", "entertainment", "", true, "online", "NFLX", true},
        {"Acme Tools", "", "shopping", "", false, "in_store", "ACME", true},
        {"Acme Toys", "", "shopping", "", false, "in_store", "A.C.M.E.", true},
        /* bad fields */
        {"Odd Category", "", "gambling", "", false, "any", "", true},
        {"Odd Mcc", "", "shopping", "12", false, "any", "", true},
        {"Odd Channel", "", "shopping", "", false, "mail", "", true},
        {"--", "", "shopping", "", false, "any", "", true},
    };
    Reports rep = {{0}, 0};
    EnrichTable *t = enrich_table_new(rows, sizeof rows / sizeof rows[0], 0, collect, &rep);
    EnrichTableStats st;

    REQUIRE(t != NULL);
    enrich_table_stats(t, &st);
    /* Kept: Netflix, My Streaming, Acme Tools. */
    CHECK_INT(st.rows, 3);
    CHECK_INT(st.operator, 2);
    CHECK_INT(st.skipped, 6);
    CHECK_INT(rep.count, 6);
    /* The operator's row wins the key; the shipped row keeps its others. */
    CHECK_STR(find_name(t, "NFLX"), "My Streaming");
    CHECK_STR(find_name(t, "NETFLIX"), "Netflix");
    CHECK_INT(st.overridden, 1);
    /* Of two rows of one origin with one key, the later is skipped whole. */
    CHECK_STR(find_name(t, "ACME"), "Acme Tools");
    CHECK_STR(find_name(t, "ACMETOYS"), "");
    CHECK(strstr(rep.text,
                 "merchant \"Acme Toys\" skipped: \"A.C.M.E.\" has the key of "
                 "merchant \"Acme Tools\"") != NULL);
    CHECK_STR(find_name(t, "NETFLIXCLONE"), "");
    CHECK(strstr(rep.text, "merchant \"Netflix Clone\" skipped") != NULL);
    CHECK(strstr(rep.text, "merchant \"Odd Category\" skipped: unknown category \"gambling\"") !=
          NULL);
    CHECK(strstr(rep.text, "merchant \"Odd Mcc\" skipped") != NULL);
    CHECK(strstr(rep.text, "merchant \"Odd Channel\" skipped") != NULL);
    CHECK(strstr(rep.text, "merchant \"--\" skipped: neither its name nor an alias") != NULL);
    enrich_table_unref(t);

    /* No rows at all is a valid (empty) table. */
    t = enrich_table_new(rows, 0, 0, NULL, NULL);
    REQUIRE(t != NULL);
    CHECK_STR(find_name(t, "NETFLIX"), "");
    enrich_table_unref(t);
}

static void table_refcount_and_slot(void)
{
    EnrichMerchant one = {"First Shop", "first.example", "shopping", "", false, "any", "", true};
    EnrichMerchant two = {"Second Shop", "second.example", "shopping", "", false, "any", "", true};
    EnrichSlot slot;
    EnrichTable *held, *now;
    EnrichResult r;

    REQUIRE(enrich_slot_init(&slot));
    CHECK(enrich_slot_get(&slot) == NULL);
    enrich_slot_set(&slot, enrich_table_new(&one, 1, 0, NULL, NULL));
    held = enrich_slot_get(&slot);
    REQUIRE(held != NULL);
    /* A job holds the first table while a reload publishes the second. */
    enrich_slot_set(&slot, enrich_table_new(&two, 1, 0, NULL, NULL));
    now = enrich_slot_get(&slot);
    REQUIRE(now != NULL && now != held);
    CHECK_STR(find_name(now, "SECONDSHOP"), "Second Shop");
    CHECK_STR(find_name(now, "FIRSTSHOP"), "");
    /* The held table and the strings a result points into are still
     * there (ASan would report a use after free otherwise). */
    enrich_describe(held, &(EnrichInput){.text = "FIRST SHOP 42", .len = 13}, &r);
    CHECK_STR(r.merchant, "First Shop");
    CHECK_STR(r.domain, "first.example");
    enrich_table_unref(held); /* the last reference: freed here */
    CHECK(enrich_table_ref(now) == now);
    enrich_table_unref(now);
    enrich_table_unref(now);
    enrich_slot_destroy(&slot); /* drops the second table */
}

/* ---- the cache ----------------------------------------------------------- */

static json_t *parse(const char *text)
{
    return json_loads(text, JSON_DECODE_ANY, NULL);
}

/* key_of returns the cache key of the JSON text (freed by the caller). */
static char *key_of(const char *text)
{
    json_t *item = parse(text);
    char *key = enrich_cache_key(item);

    json_decref(item);
    return key;
}

static void cache_key_covers_every_field(void)
{
    char *a = key_of("{\"description\": \"NETFLIX\", \"amount\": 9.99, \"currency\": \"USD\"}");
    char *b = key_of("{\"currency\": \"USD\", \"amount\": 9.99, \"description\": \"NETFLIX\"}");
    const char *others[] = {
        "{\"description\": \"NETFLIX\", \"amount\": 10.99, \"currency\": \"USD\"}",
        "{\"description\": \"NETFLIX\", \"amount\": 9.99, \"currency\": \"EUR\"}",
        "{\"description\": \"NETFLIX\", \"amount\": 9.99, \"currency\": \"USD\", \"date\": "
        "\"2026-01-01\"}",
        "{\"description\": \"NETFLIX\", \"amount\": 9.99, \"currency\": \"USD\", \"mcc\": 4899}",
        "{\"description\": \"NETFLIX\", \"amount\": 9.99, \"currency\": \"USD\", \"custom_id\": "
        "\"x\"}",
        "{\"description\": \"NETFLIX \", \"amount\": 9.99, \"currency\": \"USD\"}",
        "\"NETFLIX\"",
    };
    char big[ENRICH_CACHE_KEY_MAX + 16];

    REQUIRE(a != NULL && b != NULL);
    /* The order of an object's keys does not matter... */
    CHECK_STR(a, b);
    /* ...every field's value does, including ones the rules ignore today. */
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char *k = key_of(others[i]);
        REQUIRE(k != NULL);
        if (!CHECK(strcmp(k, a) != 0))
            fprintf(stderr, "same key for %s\n", others[i]);
        free(k);
    }
    /* An item too big to be worth caching has no key. */
    memset(big, 'A', sizeof big);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    CHECK(key_of(big) == NULL);
    /* So is one of few bytes but many values: 40 zeros in custom_id. */
    char *k = key_of(
        "{\"description\": \"NETFLIX\", \"custom_id\": [0,0,0,0,0,0,0,0,0,0,"
        "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}");
    CHECK(k == NULL);
    free(k);
    /* A real item's few values are fine. */
    k = key_of("{\"description\": \"NETFLIX\", \"custom_id\": {\"a\": [1, 2]}, \"amount\": 1}");
    CHECK(k != NULL);
    free(k);
    free(a);
    free(b);
}

static void cache_eviction_is_clock(void)
{
    EnrichCache *c = enrich_cache_new(3);
    EnrichCacheStats st;
    json_t *v = json_string("value"), *got;

    REQUIRE(c != NULL && v != NULL);
    CHECK(enrich_cache_new(0) == NULL);
    CHECK(enrich_cache_put(c, "a", v));
    CHECK(enrich_cache_put(c, "b", v));
    CHECK(enrich_cache_put(c, "c", v));
    CHECK(enrich_cache_put(c, "c", v)); /* there already: nothing changes */
    got = enrich_cache_get(c, "a");     /* a is used: a second chance */
    REQUIRE(got != NULL);
    CHECK(got == v); /* shared, read-only */
    json_decref(got);
    CHECK(enrich_cache_put(c, "d", v)); /* evicts b, the first unused */
    got = enrich_cache_get(c, "b");
    CHECK(got == NULL);
    got = enrich_cache_get(c, "a");
    CHECK(got != NULL);
    json_decref(got);
    CHECK(enrich_cache_put(c, "e", v)); /* evicts c */
    got = enrich_cache_get(c, "c");
    CHECK(got == NULL);
    enrich_cache_stats(c, &st);
    CHECK_INT(st.entries, 3);
    CHECK_INT(st.capacity, 3);
    CHECK_INT(st.evictions, 2);
    CHECK_INT(st.hits, 2);
    CHECK_INT(st.misses, 2);
    enrich_cache_free(c);

    /* A big cache stays within its bound however many keys go through. */
    c = enrich_cache_new(1000);
    REQUIRE(c != NULL);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof key, "key %d", i);
        CHECK(enrich_cache_put(c, key, v));
    }
    enrich_cache_stats(c, &st);
    CHECK_INT(st.capacity, 1000);
    CHECK_INT(st.entries, 1000);
    CHECK_INT(st.evictions, 4000);
    enrich_cache_free(c);
    json_decref(v);
}

/* without_source returns a copy of result whose output has no source. */
static json_t *without_source(const json_t *result)
{
    json_t *copy = json_deep_copy(result);
    json_object_del(json_object_get(copy, "output"), "source");
    return copy;
}

static const char *source_of(const json_t *result)
{
    return json_string_value(json_object_get(json_object_get(result, "output"), "source"));
}

static void cache_hits_and_misses(void)
{
    EnrichTable *t = enrich_table_embedded(100, NULL, NULL), *fresh;
    json_t *item =
        parse("{\"description\": \"NETFLIX.COM\", \"custom_id\": \"n1\", \"amount\": 1}");
    json_t *other =
        parse("{\"amount\": 2, \"description\": \"NETFLIX.COM\", \"custom_id\": \"n1\"}");
    json_t *rejected = parse("\"  \"");
    json_t *first, *second, *third, *a, *b;
    bool hit = true;

    REQUIRE(t != NULL && item != NULL && other != NULL && rejected != NULL);
    first = handler_enrich_cached(t, item, &hit);
    REQUIRE(first != NULL);
    CHECK(!hit);
    CHECK_STR(source_of(first), "rules");
    second = handler_enrich_cached(t, item, &hit);
    REQUIRE(second != NULL);
    CHECK(hit);
    CHECK_STR(source_of(second), "cache");
    CHECK_STR(json_string_value(json_object_get(second, "custom_id")), "n1");
    /* The stored result, shared with the first answer, is unchanged. */
    CHECK_STR(source_of(first), "rules");
    a = without_source(first);
    b = without_source(second);
    CHECK(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* Another amount is another item. */
    third = handler_enrich_cached(t, other, &hit);
    REQUIRE(third != NULL);
    CHECK(!hit);
    json_decref(third);
    /* Rejections are not kept. */
    for (int i = 0; i < 2; i++) {
        third = handler_enrich_cached(t, rejected, &hit);
        REQUIRE(third != NULL);
        CHECK(!hit);
        CHECK_STR(json_string_value(json_object_get(third, "status")), "failed");
        json_decref(third);
    }
    /* A new table (a reload) starts with an empty cache. */
    fresh = enrich_table_embedded(100, NULL, NULL);
    REQUIRE(fresh != NULL);
    third = handler_enrich_cached(fresh, item, &hit);
    REQUIRE(third != NULL);
    CHECK(!hit);
    CHECK_STR(source_of(third), "rules");
    json_decref(third);
    /* Without a cache, never a hit. */
    for (int i = 0; i < 2; i++) {
        third = handler_enrich_cached(enrich_table_default(), item, &hit);
        REQUIRE(third != NULL);
        CHECK(!hit);
        json_decref(third);
    }
    json_decref(first);
    json_decref(second);
    json_decref(item);
    json_decref(other);
    json_decref(rejected);
    enrich_table_unref(t);
    enrich_table_unref(fresh);
}

/* Hammer: a few threads enrich overlapping items through one small cache. */
typedef struct Hammer {
    EnrichTable *table;
    int seed;
    int wrong;
} Hammer;

static const char *const hammer_texts[] = {
    "NETFLIX.COM",          "SQ *BLUE BOTTLE COFFE Oakland CA",
    "STARBUCKS STORE 1234", "WHOLEFDS MKT 10",
    "UBER *TRIP",           "SHELL OIL 5744",
    "AMZN MKTP US*2K3",     "SPOTIFY USA",
};
static const char *const hammer_names[] = {
    "Netflix", "Blue Bottle Coffee", "Starbucks", "Whole Foods Market", "Uber", "Shell", "Amazon",
    "Spotify",
};

static void *hammer(void *arg)
{
    Hammer *h = arg;

    for (int i = 0; i < 3000; i++) {
        int k = (i * 7 + h->seed) % 64;
        int which = k % 8;
        json_t *item = json_pack("{s:s, s:i}", "description", hammer_texts[which], "n", k);
        bool hit;
        json_t *result = item != NULL ? handler_enrich_cached(h->table, item, &hit) : NULL;
        const char *name =
            json_string_value(json_object_get(json_object_get(result, "output"), "merchant"));
        if (name == NULL || strcmp(name, hammer_names[which]) != 0)
            h->wrong++;
        json_decref(result);
        json_decref(item);
    }
    return NULL;
}

static void cache_from_threads(void)
{
    EnrichTable *t = enrich_table_embedded(40, NULL, NULL);
    Hammer h[4];
    pthread_t th[4];
    EnrichCacheStats st;

    REQUIRE(t != NULL);
    for (int i = 0; i < 4; i++) {
        h[i] = (Hammer){.table = t, .seed = i * 13};
        REQUIRE(pthread_create(&th[i], NULL, hammer, &h[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(h[i].wrong, 0);
    }
    enrich_cache_stats(enrich_table_cache(t), &st);
    CHECK(st.entries <= 40);
    CHECK_INT(st.hits + st.misses, 4 * 3000);
    CHECK(st.hits > 0 && st.evictions > 0);
    enrich_table_unref(t);
}

static bool no_stop(void *arg, size_t done)
{
    (void)arg;
    (void)done;
    return true;
}

static void handler_cache_hit_metadata(void)
{
    EnrichSlot slot;
    HandlerContext ctx = {.progress = no_stop, .settings = &slot};
    HandlerJob job = {.id = "x", .type = "enrich", .attempt = 1};
    HandlerOutput out = {
        .results = json_array(), .validation_flags = json_array(), .cache_hit = -1};
    json_t *items = parse("[\"SPOTIFY USA\", \"NETFLIX.COM\", \"SPOTIFY USA\"]");
    Error err = {0};

    REQUIRE(enrich_slot_init(&slot) && items != NULL);
    enrich_slot_set(&slot, enrich_table_embedded(10, NULL, NULL));
    job.items = items;
    CHECK_INT(handler_enrich.run(&ctx, &job, &out, &err), HANDLER_OK);
    CHECK_INT(out.cache_hit, 1);
    CHECK_STR(source_of(json_array_get(out.results, 0)), "rules");
    CHECK_STR(source_of(json_array_get(out.results, 1)), "rules");
    CHECK_STR(source_of(json_array_get(out.results, 2)), "cache");
    json_array_clear(out.results);
    /* A reload: the same job again is answered by the rules. */
    enrich_slot_set(&slot, enrich_table_embedded(10, NULL, NULL));
    json_array_remove(items, 2);
    out.cache_hit = -1;
    CHECK_INT(handler_enrich.run(&ctx, &job, &out, &err), HANDLER_OK);
    CHECK_INT(out.cache_hit, 0);
    CHECK_STR(source_of(json_array_get(out.results, 0)), "rules");
    enrich_slot_destroy(&slot);
    json_decref(items);
    json_decref(out.results);
    json_decref(out.validation_flags);
}

const Test enrich_table_tests[] = {
    {"enrich_table_from_rows", table_from_rows},
    {"enrich_table_key_clashes", table_key_clashes},
    {"enrich_table_refcount_and_slot", table_refcount_and_slot},
    {"enrich_cache_key_covers_every_field", cache_key_covers_every_field},
    {"enrich_cache_eviction_is_clock", cache_eviction_is_clock},
    {"enrich_cache_hits_and_misses", cache_hits_and_misses},
    {"enrich_cache_from_threads", cache_from_threads},
    {"enrich_handler_cache_hit_metadata", handler_cache_hit_metadata},
    {NULL, NULL},
};
