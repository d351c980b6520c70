/* SPDX-License-Identifier: MIT */
/*
 * sha256.c implements SHA-256 as FIPS 180-4 specifies it: the message is
 * padded to a multiple of 512 bits (a 1 bit, zeros, the 64-bit bit
 * length), and each 512-bit block goes through a 64-word message schedule
 * and 64 rounds that update eight 32-bit working variables.
 */
#include "sha256.h"

#include <string.h>

/* K: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* H(0): the first 32 bits of the fractional parts of the square roots of
 * the first 8 primes (FIPS 180-4, 5.3.3). */
static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const char hex_digits[] = "0123456789abcdef";

/* rotr is ROTR^n(x), 0 < n < 32. */
static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* The six logical functions of FIPS 180-4, 4.1.2. */
static uint32_t choose(uint32_t x, uint32_t y, uint32_t z)
{
    return (x & y) ^ (~x & z);
}

static uint32_t majority(uint32_t x, uint32_t y, uint32_t z)
{
    return (x & y) ^ (x & z) ^ (y & z);
}

static uint32_t big_sigma0(uint32_t x)
{
    return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
}

static uint32_t big_sigma1(uint32_t x)
{
    return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
}

static uint32_t small_sigma0(uint32_t x)
{
    return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
}

static uint32_t small_sigma1(uint32_t x)
{
    return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
}

/* load_be32 reads a big-endian 32-bit word. */
static uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* compress runs the 64 rounds of one block into state (FIPS 180-4, 6.2.2). */
static void compress(uint32_t state[8], const unsigned char block[SHA256_BLOCK_SIZE])
{
    uint32_t w[64];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++)
        w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = h + big_sigma1(e) + choose(e, f, g) + round_constants[t] + w[t];
        uint32_t t2 = big_sigma0(a) + majority(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sha256_init(Sha256 *ctx)
{
    memcpy(ctx->state, initial_state, sizeof ctx->state);
    ctx->length = 0;
    ctx->used = 0;
}

void sha256_update(Sha256 *ctx, const void *data, size_t len)
{
    const unsigned char *p = data;

    ctx->length += len;
    while (len > 0) {
        size_t take = SHA256_BLOCK_SIZE - ctx->used;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->used, p, take);
        ctx->used += take;
        p += take;
        len -= take;
        if (ctx->used == SHA256_BLOCK_SIZE) {
            compress(ctx->state, ctx->block);
            ctx->used = 0;
        }
    }
}

void sha256_final(Sha256 *ctx, unsigned char digest[SHA256_DIGEST_SIZE])
{
    uint64_t bits = ctx->length * 8;

    /* Padding (5.1.1): a 1 bit, zeros up to 56 bytes mod 64, the length. */
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > SHA256_BLOCK_SIZE - 8) {
        memset(ctx->block + ctx->used, 0, SHA256_BLOCK_SIZE - ctx->used);
        compress(ctx->state, ctx->block);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, SHA256_BLOCK_SIZE - 8 - ctx->used);
    store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->block + 60, (uint32_t)bits);
    compress(ctx->state, ctx->block);
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, ctx->state[i]);
    memset(ctx, 0, sizeof *ctx);
}

void sha256(const void *data, size_t len, unsigned char digest[SHA256_DIGEST_SIZE])
{
    Sha256 ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, digest);
}

/* write_hex writes the digest of data as hex digits and a NUL at out. */
static void write_hex(const void *data, size_t len, char *out)
{
    unsigned char digest[SHA256_DIGEST_SIZE];

    sha256(data, len, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex_digits[digest[i] >> 4];
        out[2 * i + 1] = hex_digits[digest[i] & 0x0f];
    }
    out[2 * SHA256_DIGEST_SIZE] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE])
{
    write_hex(data, len, out);
}

void sha256_bytea(const void *data, size_t len, char out[SHA256_BYTEA_SIZE])
{
    out[0] = '\\';
    out[1] = 'x';
    write_hex(data, len, out + 2);
}
