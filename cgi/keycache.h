/* SPDX-License-Identifier: MIT */
/*
 * keycache.h - the API keys this process found live a short while ago,
 * by their hash, so that a submit may read its body before its key is
 * checked and check the key in the same statement as the submit (one
 * round trip instead of two).
 *
 * It is not a second rule of which keys are live: pgjob.api_key_lookup is
 * the only one, and every statement that acts for a key still runs it.
 * What the cache decides is only WHEN the key is checked: before the body
 * is read (a key not seen live lately: an unknown key is refused from the
 * headers, without waiting for a byte of body) or with the write (a key
 * seen live within KEYCACHE_MAX_AGE_MS).  A key revoked meanwhile is still
 * refused (401, nothing written); its holder can at most send a body
 * first, as any authenticated client can.
 *
 * A fixed table of KEYCACHE_SLOTS entries (a key's slot by a hash of its
 * hash; a newer key takes an older one's slot), guarded by one mutex:
 * memory does not grow with the number of keys, and only hashes are kept.
 */
#ifndef PGJOB_KEYCACHE_H
#define PGJOB_KEYCACHE_H

#include <stdbool.h>

enum {
    KEYCACHE_SLOTS = 256,
    KEYCACHE_MAX_AGE_MS = 60 * 1000,
    KEYCACHE_HASH_SIZE = 80, /* a key hash as a bytea parameter ("\x" and 64 digits), NUL */
};

typedef struct KeyCache KeyCache;

/* keycache_new returns an empty cache, or NULL when out of memory. */
KeyCache *keycache_new(void);

/* keycache_free frees c; NULL is fine. */
void keycache_free(KeyCache *c);

/* keycache_recent says whether key_hash was noted live at most
 * KEYCACHE_MAX_AGE_MS before now_ms (monotonic milliseconds). */
bool keycache_recent(KeyCache *c, const char *key_hash, long long now_ms);

/* keycache_note records that the database found key_hash live at now_ms.
 * A hash that does not fit KEYCACHE_HASH_SIZE is not recorded. */
void keycache_note(KeyCache *c, const char *key_hash, long long now_ms);

/* keycache_forget drops key_hash (the database no longer finds it live). */
void keycache_forget(KeyCache *c, const char *key_hash);

#endif
