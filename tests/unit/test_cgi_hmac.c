/* SPDX-License-Identifier: MIT */
/* test_cgi_hmac.c tests HMAC-SHA256 and signed results URLs (cgi/hmac.c). */
#include <string.h>

#include "hmac.h"
#include "suites.h"

static void hex(const unsigned char *mac, char out[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 15];
    }
    out[64] = '\0';
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than a block). */
static void rfc4231(void)
{
    unsigned char key[131], mac[SHA256_DIGEST_SIZE];
    char out[SHA256_HEX_SIZE];

    memset(key, 0x0b, 20);
    hmac_sha256(key, 20, "Hi There", 8, mac);
    hex(mac, out);
    CHECK_STR(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex(mac, out);
    CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, sizeof key);
    const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_sha256(key, sizeof key, data, strlen(data), mac);
    hex(mac, out);
    CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void equal(void)
{
    CHECK(hmac_equal("abc", "abc", 3));
    CHECK(!hmac_equal("abc", "abd", 3));
    CHECK(!hmac_equal("xbc", "abc", 3));
    CHECK(hmac_equal("", "", 0));
}

static void results_urls(void)
{
    const char *secret = "0123456789abcdef0123456789abcdef";
    const char *id = "2f1c7a3e-9b1d-4c55-8a0e-6f3b2d1c0a99";
    char sig[SHA256_HEX_SIZE], other[SHA256_HEX_SIZE];

    hmac_results_signature(secret, id, 2000000000LL, sig);
    CHECK_INT(strlen(sig), 64);
    CHECK_INT(hmac_results_check(secret, id, "2000000000", sig, 1999999999LL), HMAC_VALID);
    CHECK_INT(hmac_results_check(secret, id, "2000000000", sig, 2000000000LL), HMAC_VALID);
    /* Expiry. */
    CHECK_INT(hmac_results_check(secret, id, "2000000000", sig, 2000000001LL), HMAC_EXPIRED);
    /* Tampering: another time, another job, another secret, another signature. */
    CHECK_INT(hmac_results_check(secret, id, "2000000001", sig, 0), HMAC_BAD);
    CHECK_INT(
        hmac_results_check(secret, "2f1c7a3e-9b1d-4c55-8a0e-6f3b2d1c0a98", "2000000000", sig, 0),
        HMAC_BAD);
    CHECK_INT(hmac_results_check("0123456789abcdef0123456789abcdeX", id, "2000000000", sig, 0),
              HMAC_BAD);
    memcpy(other, sig, sizeof other);
    other[10] = other[10] == 'a' ? 'b' : 'a';
    CHECK_INT(hmac_results_check(secret, id, "2000000000", other, 0), HMAC_BAD);
    /* Malformed. */
    CHECK_INT(hmac_results_check(secret, id, "2000000000", "", 0), HMAC_BAD);
    CHECK_INT(hmac_results_check(secret, id, "soon", sig, 0), HMAC_BAD);
    CHECK_INT(hmac_results_check(secret, id, NULL, sig, 0), HMAC_BAD);
    CHECK_INT(hmac_results_check(secret, id, "2000000000", NULL, 0), HMAC_BAD);
    /* No secret: no signed URL is valid. */
    CHECK_INT(hmac_results_check("", id, "2000000000", sig, 0), HMAC_BAD);
}

const Test cgi_hmac_tests[] = {
    {"cgi_hmac_rfc4231", rfc4231},
    {"cgi_hmac_equal", equal},
    {"cgi_hmac_results_urls", results_urls},
    {NULL, NULL},
};
