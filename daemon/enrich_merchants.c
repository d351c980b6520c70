/* SPDX-License-Identifier: MIT */
/* enrich_merchants.c indexes the embedded merchant table by alias key (see enrich_merchants.h). */
#include "enrich_merchants.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* The index: open addressing over SLOTS slots, each the position + 1 of a
 * key in pool (0: empty) and the merchant it names.  Sized for the
 * shipped table with room to grow; keys past the room are counted as
 * dropped, which the unit tests report. */
enum { SLOTS = 8192, MAX_KEYS = SLOTS / 2, POOL = 96 * 1024 };

typedef struct Slot {
    uint32_t offset; /* into pool, + 1; 0: empty */
    uint16_t len;
    uint16_t merchant;
} Slot;

static Slot slots[SLOTS];
static char pool[POOL];
static size_t pool_used;
static size_t nkeys;
static size_t nduplicates;
static pthread_once_t built = PTHREAD_ONCE_INIT;

size_t enrich_merchants_key(const char *text, size_t len, char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            continue;
        if (n == ENRICH_KEY_MAX)
            return 0;
        key[n++] = (char)c;
    }
    key[n] = '\0';
    return n;
}

/* hash is FNV-1a. */
static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* slot_of returns the slot holding key, or the empty slot where it goes. */
static Slot *slot_of(const char *key, size_t len)
{
    uint32_t i = hash(key, len) & (SLOTS - 1);

    for (;;) {
        Slot *s = &slots[i];
        if (s->offset == 0 || (s->len == len && memcmp(pool + s->offset - 1, key, len) == 0))
            return s;
        i = (i + 1) & (SLOTS - 1);
    }
}

static void add(const char *text, size_t len, size_t merchant)
{
    char key[ENRICH_KEY_MAX + 1];
    size_t n = enrich_merchants_key(text, len, key);
    Slot *s;

    if (n == 0)
        return;
    s = slot_of(key, n);
    if (s->offset != 0) {
        if (s->merchant != merchant)
            nduplicates++;
        return;
    }
    if (nkeys == MAX_KEYS || pool_used + n > POOL) {
        nduplicates++;
        return;
    }
    memcpy(pool + pool_used, key, n);
    s->offset = (uint32_t)pool_used + 1;
    s->len = (uint16_t)n;
    s->merchant = (uint16_t)merchant;
    pool_used += n;
    nkeys++;
}

static void build(void)
{
    for (size_t m = 0; m < enrich_merchants_count && m < UINT16_MAX; m++) {
        const char *a = enrich_merchants[m].aliases;
        add(enrich_merchants[m].name, strlen(enrich_merchants[m].name), m);
        while (*a != '\0') {
            size_t len = strcspn(a, "|");
            add(a, len, m);
            a += len;
            if (*a == '|')
                a++;
        }
    }
}

int enrich_merchants_find(const char *key, size_t len)
{
    const Slot *s;

    if (len == 0 || len > ENRICH_KEY_MAX)
        return -1;
    pthread_once(&built, build);
    s = slot_of(key, len);
    return s->offset != 0 ? (int)s->merchant : -1;
}

void enrich_merchants_stats(size_t *keys, size_t *duplicates)
{
    pthread_once(&built, build);
    if (keys != NULL)
        *keys = nkeys;
    if (duplicates != NULL)
        *duplicates = nduplicates;
}
