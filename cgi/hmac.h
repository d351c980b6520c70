/* SPDX-License-Identifier: MIT */
/*
 * hmac.h - HMAC-SHA256 (RFC 2104 over sha256.h) and the signed results
 * URL it makes: a large result's URL that works without an API key until
 * it expires, because only the server, which holds results_url_secret,
 * can compute its signature.
 *
 * The signature of job J expiring at E (Unix seconds) is the lower-case
 * hex HMAC-SHA256, keyed with the secret, of the text
 *   "pgjob-results-v1\n" J "\n" E
 * (J as the canonical lower-case UUID text).  The label keeps a signature
 * from meaning anything else, should the secret ever sign other things.
 */
#ifndef PGJOB_HMAC_H
#define PGJOB_HMAC_H

#include <stdbool.h>
#include <stddef.h>

#include "sha256.h"

/* hmac_sha256 writes HMAC-SHA256(key, data) to mac. */
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                 unsigned char mac[SHA256_DIGEST_SIZE]);

/* hmac_equal compares two n-byte strings in time that depends on n alone,
 * not on where they differ. */
bool hmac_equal(const void *a, const void *b, size_t n);

/* hmac_results_signature writes the signature (64 hex digits and a NUL)
 * of job_id's results until expires (Unix seconds) under secret. */
void hmac_results_signature(const char *secret, const char *job_id, long long expires,
                            char out[SHA256_HEX_SIZE]);

/* HmacCheck is what a check of a signed URL found. */
typedef enum HmacCheck {
    HMAC_VALID,   /* right signature, not expired */
    HMAC_EXPIRED, /* right signature, expired */
    HMAC_BAD,     /* wrong or malformed signature (or no secret) */
} HmacCheck;

/* hmac_results_check checks signature (text from the URL, any length)
 * for job_id until expires_text (the URL's decimal text) at time now
 * (Unix seconds).  An empty secret makes every signature bad.  The
 * signature is checked before the expiry, so a forged URL never learns
 * whether its time would have passed. */
HmacCheck hmac_results_check(const char *secret, const char *job_id, const char *expires_text,
                             const char *signature, long long now);

#endif
