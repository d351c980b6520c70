/* SPDX-License-Identifier: MIT */
/* test_cgi_keycache.c tests the cache of keys found live lately (cgi/keycache.c). */
#include <stdio.h>
#include <string.h>

#include "keycache.h"
#include "suites.h"

/* key_hash writes the bytea text of a made-up key hash number n. */
static void key_hash(int n, char out[KEYCACHE_HASH_SIZE])
{
    snprintf(out, KEYCACHE_HASH_SIZE, "\\x%064x", n);
}

static void recent_until_max_age(void)
{
    KeyCache *c = keycache_new();
    char a[KEYCACHE_HASH_SIZE], b[KEYCACHE_HASH_SIZE];

    CHECK(c != NULL);
    key_hash(1, a);
    key_hash(2, b);
    CHECK(!keycache_recent(c, a, 1000));
    keycache_note(c, a, 1000);
    CHECK(keycache_recent(c, a, 1000));
    CHECK(keycache_recent(c, a, 1000 + KEYCACHE_MAX_AGE_MS));
    CHECK(!keycache_recent(c, a, 1000 + KEYCACHE_MAX_AGE_MS + 1));
    /* A clock before the note (another thread's older reading) is not recent. */
    CHECK(!keycache_recent(c, a, 999));
    CHECK(!keycache_recent(c, b, 1000));
    /* Noting again starts the age again. */
    keycache_note(c, a, 5000);
    CHECK(keycache_recent(c, a, 5000 + KEYCACHE_MAX_AGE_MS));
    keycache_free(c);
}

static void forget(void)
{
    KeyCache *c = keycache_new();
    char a[KEYCACHE_HASH_SIZE], b[KEYCACHE_HASH_SIZE];

    key_hash(1, a);
    key_hash(2, b);
    keycache_note(c, a, 1000);
    keycache_forget(c, b); /* another key: a stays, whatever its slot */
    CHECK(keycache_recent(c, a, 1000));
    keycache_forget(c, a);
    CHECK(!keycache_recent(c, a, 1000));
    keycache_free(c);
}

static void bounded_by_its_slots(void)
{
    KeyCache *c = keycache_new();
    char h[KEYCACHE_HASH_SIZE];
    int recent = 0;

    /* Far more keys than slots: each takes a slot, the table never grows,
     * and at most KEYCACHE_SLOTS of them are still there. */
    for (int i = 0; i < 4 * KEYCACHE_SLOTS; i++) {
        key_hash(i, h);
        keycache_note(c, h, 1000);
    }
    for (int i = 0; i < 4 * KEYCACHE_SLOTS; i++) {
        key_hash(i, h);
        recent += keycache_recent(c, h, 1000);
    }
    CHECK(recent > 0 && recent <= KEYCACHE_SLOTS);
    /* The last key noted is always there. */
    key_hash(4 * KEYCACHE_SLOTS - 1, h);
    CHECK(keycache_recent(c, h, 1000));
    keycache_free(c);
}

static void unusable_hashes(void)
{
    KeyCache *c = keycache_new();
    char long_hash[KEYCACHE_HASH_SIZE + 8];

    memset(long_hash, 'a', sizeof(long_hash) - 1);
    long_hash[sizeof(long_hash) - 1] = '\0';
    keycache_note(c, "", 1000);
    CHECK(!keycache_recent(c, "", 1000));
    keycache_note(c, long_hash, 1000);
    CHECK(!keycache_recent(c, long_hash, 1000));
    keycache_note(c, NULL, 1000);
    CHECK(!keycache_recent(c, NULL, 1000));
    CHECK(!keycache_recent(NULL, "\\x00", 1000));
    keycache_free(c);
    keycache_free(NULL);
}

const Test cgi_keycache_tests[] = {
    {"cgi_keycache_recent_until_max_age", recent_until_max_age},
    {"cgi_keycache_forget", forget},
    {"cgi_keycache_bounded_by_its_slots", bounded_by_its_slots},
    {"cgi_keycache_unusable_hashes", unusable_hashes},
    {NULL, NULL},
};
