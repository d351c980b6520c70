/* SPDX-License-Identifier: MIT */
/* test_cgi_sha256.c tests SHA-256 (cgi/sha256.c) against the FIPS 180-4 example vectors. */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "suites.h"

static const char vector_448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char vector_896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void empty(void)
{
    char hex[SHA256_HEX_SIZE];

    sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex(NULL, 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void abc(void)
{
    char hex[SHA256_HEX_SIZE];
    unsigned char digest[SHA256_DIGEST_SIZE];

    sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256("abc", 3, digest);
    CHECK_INT(digest[0], 0xba);
    CHECK_INT(digest[31], 0xad);
}

static void nist_448_bits(void)
{
    char hex[SHA256_HEX_SIZE];

    CHECK_INT(strlen(vector_448), 56);
    sha256_hex(vector_448, strlen(vector_448), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void nist_896_bits(void)
{
    char hex[SHA256_HEX_SIZE];

    CHECK_INT(strlen(vector_896), 112);
    sha256_hex(vector_896, strlen(vector_896), hex);
    CHECK_STR(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void million_a(void)
{
    char hex[SHA256_HEX_SIZE];
    char *a = malloc(1000000);
    Sha256 ctx;

    REQUIRE(a != NULL);
    memset(a, 'a', 1000000);
    sha256_hex(a, 1000000, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* The same in pieces of odd sizes that straddle block boundaries. */
    sha256_init(&ctx);
    for (size_t done = 0; done < 1000000;) {
        size_t n = 1000000 - done < 997 ? 1000000 - done : 997;
        sha256_update(&ctx, a + done, n);
        done += n;
    }
    {
        unsigned char digest[SHA256_DIGEST_SIZE];
        sha256_final(&ctx, digest);
        CHECK_INT(digest[0], 0xcd);
        CHECK_INT(digest[31], 0xd0);
    }
    free(a);
}

/* Every split of a message into two pieces gives the one-shot digest;
 * lengths 55, 56 and 64 exercise each padding case. */
static void incremental_splits(void)
{
    unsigned char whole[SHA256_DIGEST_SIZE], split[SHA256_DIGEST_SIZE];
    Sha256 ctx;

    for (size_t len = 0; len <= strlen(vector_896); len++) {
        sha256(vector_896, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            sha256_init(&ctx);
            sha256_update(&ctx, vector_896, cut);
            sha256_update(&ctx, vector_896 + cut, len - cut);
            sha256_final(&ctx, split);
            if (!CHECK(memcmp(whole, split, sizeof whole) == 0))
                return;
        }
    }
}

/* The API key form of pgjob.api_key_hash, as a bytea text parameter. */
static void bytea(void)
{
    char out[SHA256_BYTEA_SIZE];

    sha256_bytea("abc", 3, out);
    CHECK_STR(out, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_INT(strlen(out), SHA256_BYTEA_SIZE - 1);
}

const Test cgi_sha256_tests[] = {
    {"cgi_sha256_empty", empty},
    {"cgi_sha256_abc", abc},
    {"cgi_sha256_nist_448_bits", nist_448_bits},
    {"cgi_sha256_nist_896_bits", nist_896_bits},
    {"cgi_sha256_million_a", million_a},
    {"cgi_sha256_incremental_splits", incremental_splits},
    {"cgi_sha256_bytea", bytea},
    {NULL, NULL},
};
