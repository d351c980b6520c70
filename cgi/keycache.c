/* SPDX-License-Identifier: MIT */
/* keycache.c - the keys found live lately (see keycache.h). */
#include "keycache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Slot {
    char key_hash[KEYCACHE_HASH_SIZE]; /* "" when empty */
    long long seen_ms;                 /* when the database last found it live */
} Slot;

struct KeyCache {
    pthread_mutex_t lock; /* guards slots */
    Slot slots[KEYCACHE_SLOTS];
};

KeyCache *keycache_new(void)
{
    KeyCache *c = calloc(1, sizeof(*c));

    if (c != NULL && pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void keycache_free(KeyCache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* slot_of returns the slot of key_hash (FNV-1a of its text). */
static Slot *slot_of(KeyCache *c, const char *key_hash)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key_hash; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return &c->slots[h % KEYCACHE_SLOTS];
}

/* usable says whether key_hash can be a cache entry at all. */
static bool usable(const char *key_hash)
{
    return key_hash != NULL && key_hash[0] != '\0' && strlen(key_hash) < KEYCACHE_HASH_SIZE;
}

bool keycache_recent(KeyCache *c, const char *key_hash, long long now_ms)
{
    bool recent = false;

    if (c == NULL || !usable(key_hash))
        return false;
    pthread_mutex_lock(&c->lock);
    Slot *s = slot_of(c, key_hash);
    if (strcmp(s->key_hash, key_hash) == 0 && now_ms >= s->seen_ms &&
        now_ms - s->seen_ms <= KEYCACHE_MAX_AGE_MS)
        recent = true;
    pthread_mutex_unlock(&c->lock);
    return recent;
}

void keycache_note(KeyCache *c, const char *key_hash, long long now_ms)
{
    if (c == NULL || !usable(key_hash))
        return;
    pthread_mutex_lock(&c->lock);
    Slot *s = slot_of(c, key_hash);
    memcpy(s->key_hash, key_hash, strlen(key_hash) + 1);
    s->seen_ms = now_ms;
    pthread_mutex_unlock(&c->lock);
}

void keycache_forget(KeyCache *c, const char *key_hash)
{
    if (c == NULL || !usable(key_hash))
        return;
    pthread_mutex_lock(&c->lock);
    Slot *s = slot_of(c, key_hash);
    if (strcmp(s->key_hash, key_hash) == 0)
        s->key_hash[0] = '\0';
    pthread_mutex_unlock(&c->lock);
}
