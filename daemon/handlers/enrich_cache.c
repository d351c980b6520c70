/* SPDX-License-Identifier: MIT */
/* enrich_cache.c is the sharded, CLOCK-evicted result cache of the enrich handler (see
 * enrich_cache.h). */
#include "enrich_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* Up to MAX_SHARDS shards of at least SHARD_MIN entries: a small cache is
 * one shard (one CLOCK hand over all entries, as the unit tests expect), a big
 * one spreads the workers over 16 locks. */
enum { MAX_SHARDS = 16, SHARD_MIN = 64 };

/* Entry is one cached result; in a bucket's chain through next. */
typedef struct Entry {
    char *key;     /* NULL: the entry is free */
    uint64_t hash; /* of key */
    json_t *value; /* a reference; never modified by anyone */
    long next;     /* next entry of the same bucket, or -1 */
    bool marked;   /* used since the hand last passed: a second chance */
} Entry;

/* Shard is one part of the cache with its own lock. */
typedef struct Shard {
    pthread_mutex_t lock;
    Entry *entries; /* cap of them; [0, used) have been filled at least once */
    size_t cap, used, count, hand;
    long *buckets; /* nbuckets chain heads, -1: empty */
    size_t nbuckets;
    size_t hits, misses, evictions;
} Shard;

struct EnrichCache {
    size_t nshards;
    Shard shards[MAX_SHARDS];
};

static bool shard_init(Shard *s, size_t cap)
{
    s->cap = cap;
    s->nbuckets = 1;
    while (s->nbuckets < cap)
        s->nbuckets *= 2;
    s->entries = calloc(cap, sizeof(Entry));
    s->buckets = malloc(s->nbuckets * sizeof(long));
    if (s->entries == NULL || s->buckets == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s->entries);
        free(s->buckets);
        return false;
    }
    for (size_t i = 0; i < s->nbuckets; i++)
        s->buckets[i] = -1;
    return true;
}

static void shard_destroy(Shard *s)
{
    for (size_t i = 0; i < s->used; i++) {
        free(s->entries[i].key);
        json_decref(s->entries[i].value);
    }
    free(s->entries);
    free(s->buckets);
    pthread_mutex_destroy(&s->lock);
}

EnrichCache *enrich_cache_new(size_t entries)
{
    EnrichCache *c;

    if (entries == 0 || (c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    c->nshards = entries / SHARD_MIN;
    if (c->nshards < 1)
        c->nshards = 1;
    if (c->nshards > MAX_SHARDS)
        c->nshards = MAX_SHARDS;
    for (size_t i = 0; i < c->nshards; i++) {
        /* The shares add up to entries exactly. */
        size_t cap = entries / c->nshards + (i < entries % c->nshards);
        if (!shard_init(&c->shards[i], cap)) {
            c->nshards = i;
            enrich_cache_free(c);
            return NULL;
        }
    }
    return c;
}

void enrich_cache_free(EnrichCache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nshards; i++)
        shard_destroy(&c->shards[i]);
    free(c);
}

/* count_values counts item's JSON values, stopping past limit. */
static size_t count_values(const json_t *item, size_t limit)
{
    size_t n = 1, i;
    const char *name;
    json_t *v;

    if (json_is_array(item)) {
        json_array_foreach(item, i, v)
        {
            if (n > limit)
                break;
            n += count_values(v, limit - n);
        }
    } else if (json_is_object(item)) {
        json_object_foreach((json_t *)item, name, v)
        {
            if (n > limit)
                break;
            n += count_values(v, limit - n);
        }
    }
    return n;
}

char *enrich_cache_key(const json_t *item)
{
    char *key;

    if (count_values(item, ENRICH_CACHE_VALUES_MAX) > ENRICH_CACHE_VALUES_MAX)
        return NULL;
    key = json_dumps(item, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

    if (key != NULL && strlen(key) > ENRICH_CACHE_KEY_MAX) {
        free(key);
        return NULL;
    }
    return key;
}

/* shard_of picks the shard by the high bits, the bucket uses the low ones. */
static Shard *shard_of(EnrichCache *c, uint64_t h)
{
    return &c->shards[(h >> 40) % c->nshards];
}

/* find returns the entry of key in s, or -1; s is locked. */
static long find(const Shard *s, const char *key, uint64_t h)
{
    for (long i = s->buckets[h & (s->nbuckets - 1)]; i >= 0; i = s->entries[i].next) {
        const Entry *e = &s->entries[i];
        if (e->hash == h && strcmp(e->key, key) == 0)
            return i;
    }
    return -1;
}

/* unlink_entry takes entry i out of its bucket's chain; s is locked. */
static void unlink_entry(Shard *s, long i)
{
    long *link = &s->buckets[s->entries[i].hash & (s->nbuckets - 1)];

    while (*link != i)
        link = &s->entries[*link].next;
    *link = s->entries[i].next;
}

json_t *enrich_cache_get(EnrichCache *c, const char *key)
{
    uint64_t h = hash_bytes(key, strlen(key));
    Shard *s = shard_of(c, h);
    json_t *found = NULL;

    pthread_mutex_lock(&s->lock);
    long i = find(s, key, h);
    if (i >= 0) {
        s->entries[i].marked = true;
        found = json_incref(s->entries[i].value);
    }
    if (found != NULL)
        s->hits++;
    else
        s->misses++;
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* victim returns the entry to (re)fill: a never-used one while there are,
 * else the first unmarked one the hand reaches, which it empties; s is
 * locked. */
static long victim(Shard *s)
{
    if (s->used < s->cap)
        return (long)s->used++;
    for (;;) {
        long i = (long)s->hand;
        Entry *e = &s->entries[i];
        s->hand = (s->hand + 1) % s->cap;
        if (e->marked) {
            e->marked = false;
            continue;
        }
        unlink_entry(s, i);
        free(e->key);
        json_decref(e->value);
        e->key = NULL;
        e->value = NULL;
        s->count--;
        s->evictions++;
        return i;
    }
}

bool enrich_cache_put(EnrichCache *c, const char *key, json_t *value)
{
    uint64_t h = hash_bytes(key, strlen(key));
    Shard *s = shard_of(c, h);
    /* The key is copied outside the lock; most puts are of new keys. */
    char *k = strdup(key);
    json_t *v = json_incref(value);
    bool ok = k != NULL && v != NULL, stored = false;

    if (ok) {
        pthread_mutex_lock(&s->lock);
        if (find(s, key, h) < 0) {
            long i = victim(s);
            Entry *e = &s->entries[i];
            *e = (Entry){.key = k, .hash = h, .value = v, .next = -1};
            e->next = s->buckets[h & (s->nbuckets - 1)];
            s->buckets[h & (s->nbuckets - 1)] = i;
            s->count++;
            stored = true;
        }
        pthread_mutex_unlock(&s->lock);
        if (stored)
            return true;
    }
    free(k);
    json_decref(v);
    return ok; /* already there counts as stored */
}

void enrich_cache_stats(EnrichCache *c, EnrichCacheStats *st)
{
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < c->nshards; i++) {
        Shard *s = &c->shards[i];
        pthread_mutex_lock(&s->lock);
        st->entries += s->count;
        st->capacity += s->cap;
        st->hits += s->hits;
        st->misses += s->misses;
        st->evictions += s->evictions;
        pthread_mutex_unlock(&s->lock);
    }
}
