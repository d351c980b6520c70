/* SPDX-License-Identifier: MIT */
/* hmac.c - HMAC-SHA256 and signed results URLs (hmac.h). */
#include "hmac.h"

#include <stdio.h>
#include <string.h>

#include "strnum.h"

#define RESULTS_LABEL "pgjob-results-v1\n"

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                 unsigned char mac[SHA256_DIGEST_SIZE])
{
    unsigned char k[SHA256_BLOCK_SIZE] = {0}, pad[SHA256_BLOCK_SIZE];
    unsigned char inner[SHA256_DIGEST_SIZE];
    Sha256 ctx;

    /* A key longer than a block is hashed first (RFC 2104, 2). */
    if (key_len > SHA256_BLOCK_SIZE)
        sha256(key, key_len, k);
    else if (key_len > 0)
        memcpy(k, key, key_len);
    for (size_t i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = k[i] ^ 0x36;
    sha256_init(&ctx);
    sha256_update(&ctx, pad, sizeof pad);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, inner);
    for (size_t i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256_init(&ctx);
    sha256_update(&ctx, pad, sizeof pad);
    sha256_update(&ctx, inner, sizeof inner);
    sha256_final(&ctx, mac);
    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
}

bool hmac_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;

    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

void hmac_results_signature(const char *secret, const char *job_id, long long expires,
                            char out[SHA256_HEX_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    char text[160];
    unsigned char mac[SHA256_DIGEST_SIZE];
    int n = snprintf(text, sizeof text, RESULTS_LABEL "%s\n%lld", job_id, expires);

    hmac_sha256(secret, strlen(secret), text, n > 0 ? (size_t)n : 0, mac);
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * SHA256_DIGEST_SIZE] = '\0';
}

HmacCheck hmac_results_check(const char *secret, const char *job_id, const char *expires_text,
                             const char *signature, long long now)
{
    char want[SHA256_HEX_SIZE];
    long expires;

    if (secret == NULL || secret[0] == '\0' || signature == NULL || expires_text == NULL ||
        strlen(signature) != SHA256_HEX_SIZE - 1 || strlen(job_id) > 64 ||
        !strnum_long(expires_text, 0, 253402300799L, &expires))
        return HMAC_BAD;
    hmac_results_signature(secret, job_id, expires, want);
    if (!hmac_equal(want, signature, SHA256_HEX_SIZE - 1))
        return HMAC_BAD;
    return now <= (long long)expires ? HMAC_VALID : HMAC_EXPIRED;
}
