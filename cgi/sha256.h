/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 (FIPS 180-4, section 6.2) in plain C, for hashing API
 * keys: the database stores only the SHA-256 of a key (pgjob.api_key_hash
 * in sql/003_accounts.sql), and the front end sends that hash, never the
 * key, as a bytea parameter.  Not constant-time; it hashes a secret the
 * caller already holds, and compares nothing.
 *
 * Use sha256() or sha256_hex() for a whole message, or sha256_init,
 * sha256_update (any number of times) and sha256_final for one given in
 * pieces.  A Sha256 lives wherever the caller puts it (usually the stack)
 * and owns nothing.
 */
#ifndef PGJOB_SHA256_H
#define PGJOB_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum {
    SHA256_DIGEST_SIZE = 32, /* bytes of a digest */
    SHA256_BLOCK_SIZE = 64,  /* bytes of a message block */
    SHA256_HEX_SIZE = 65,    /* 64 lower-case hex digits and a NUL */
    SHA256_BYTEA_SIZE = 67,  /* "\x", 64 hex digits and a NUL */
};

/* Sha256 is the state of one hash computation.  Its fields are visible
 * only so that it can live on the stack; use the functions below. */
typedef struct Sha256 {
    uint32_t state[8];                      /* H0..H7 */
    uint64_t length;                        /* message bytes so far */
    unsigned char block[SHA256_BLOCK_SIZE]; /* the partial block */
    size_t used;                            /* bytes in block, < SHA256_BLOCK_SIZE */
} Sha256;

/* sha256_init starts a new computation in ctx. */
void sha256_init(Sha256 *ctx);

/* sha256_update adds the len bytes at data (borrowed; may be NULL when
 * len is 0) to the message. */
void sha256_update(Sha256 *ctx, const void *data, size_t len);

/* sha256_final pads the message, writes its digest to digest and leaves
 * ctx wiped; call sha256_init before using ctx again. */
void sha256_final(Sha256 *ctx, unsigned char digest[SHA256_DIGEST_SIZE]);

/* sha256 writes the digest of the len bytes at data to digest. */
void sha256(const void *data, size_t len, unsigned char digest[SHA256_DIGEST_SIZE]);

/* sha256_hex writes the digest of the len bytes at data to out as 64
 * lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE]);

/* sha256_bytea writes the digest of the len bytes at data to out as
 * PostgreSQL's text form of a bytea, "\x" and 64 hex digits, ready to be
 * a text-format query parameter (for pgjob.api_key_lookup). */
void sha256_bytea(const void *data, size_t len, char out[SHA256_BYTEA_SIZE]);

#endif
