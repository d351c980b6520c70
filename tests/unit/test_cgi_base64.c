/* SPDX-License-Identifier: MIT */
/* test_cgi_base64.c tests base64 (cgi/base64.c) against the RFC 4648 test vectors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "suites.h"

/* encode returns the base64 of the n bytes at data in a static buffer. */
static const char *encode(const void *data, size_t n)
{
    static char out[1024];

    if (!base64_encode(data, n, out, sizeof out))
        return "(failed)";
    return out;
}

/* decode is a reference decoder for the round trips: the bytes of text
 * into out; their count, or -1 when text is not padded base64. */
static long decode(const char *text, unsigned char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(text);
    long n = 0;

    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char *c = strchr(alphabet, text[i + k]);
            if (text[i + k] == '=' && i + 4 == len && k >= 2) {
                pad++;
                c = alphabet;
            } else if (c == NULL || text[i + k] == '\0' || pad > 0) {
                return -1;
            }
            v = v << 6 | (uint32_t)(c - alphabet);
        }
        out[n++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[n++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[n++] = (unsigned char)v;
    }
    return n;
}

/* RFC 4648, section 10. */
static void rfc4648_vectors(void)
{
    CHECK_STR(encode("", 0), "");
    CHECK_STR(encode(NULL, 0), "");
    CHECK_STR(encode("f", 1), "Zg==");
    CHECK_STR(encode("fo", 2), "Zm8=");
    CHECK_STR(encode("foo", 3), "Zm9v");
    CHECK_STR(encode("foob", 4), "Zm9vYg==");
    CHECK_STR(encode("fooba", 5), "Zm9vYmE=");
    CHECK_STR(encode("foobar", 6), "Zm9vYmFy");
}

/* The two last letters of the standard alphabet (not the URL one), and
 * bytes with the high bit or NUL. */
static void whole_alphabet(void)
{
    unsigned char bytes[3] = {0xfb, 0xff, 0xbf};
    unsigned char zeros[4] = {0, 0, 0, 0};

    CHECK_STR(encode(bytes, 3), "+/+/");
    CHECK_STR(encode(bytes, 2), "+/8=");
    CHECK_STR(encode(zeros, 4), "AAAAAA==");
    CHECK_STR(encode("\x14\xfb\x9c\x03\xd9\x7e", 6), "FPucA9l+");
    CHECK_STR(encode("%PDF-1.4\n", 9), "JVBERi0xLjQK");
}

static void encoded_len(void)
{
    CHECK_INT(base64_encoded_len(0), 0);
    CHECK_INT(base64_encoded_len(1), 4);
    CHECK_INT(base64_encoded_len(2), 4);
    CHECK_INT(base64_encoded_len(3), 4);
    CHECK_INT(base64_encoded_len(4), 8);
    CHECK_INT(base64_encoded_len(10485760), 13981016);
    CHECK(base64_encoded_len(SIZE_MAX) == SIZE_MAX);
    CHECK(base64_encoded_len(SIZE_MAX / 4 * 3) == SIZE_MAX / 4 * 4);
    CHECK(base64_encoded_len(SIZE_MAX / 4 * 3 + 3) == SIZE_MAX);
}

/* Too small a buffer writes nothing; the exact size (text + NUL) works. */
static void buffer_size(void)
{
    char out[9];

    memset(out, 'x', sizeof out);
    CHECK(!base64_encode("foob", 4, out, 8));
    CHECK(!base64_encode("foob", 4, out, 0));
    CHECK(memcmp(out, "xxxxxxxxx", 9) == 0);
    CHECK(base64_encode("foob", 4, out, 9));
    CHECK_STR(out, "Zm9vYg==");
    CHECK(base64_encode("", 0, out, 1));
    CHECK_STR(out, "");
    CHECK(!base64_encode("", 0, out, 0));
}

/* Every length from 0 to 300 over every byte value decodes back. */
static void round_trips(void)
{
    unsigned char data[300], back[300];
    char text[401];

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t n = 0; n <= sizeof data; n++) {
        REQUIRE(base64_encode(data, n, text, sizeof text));
        CHECK_INT(strlen(text), base64_encoded_len(n));
        if (!CHECK_INT(decode(text, back), n) || !CHECK(memcmp(back, data, n) == 0))
            break;
    }
}

/* base64_decode against the reference decoder, and what it refuses. */
static void decoding(void)
{
    unsigned char data[300], back[300];
    char text[401];
    size_t n;

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 13 + 1);
    for (size_t len = 0; len <= sizeof data; len++) {
        REQUIRE(base64_encode(data, len, text, sizeof text));
        CHECK(base64_decoded_max(strlen(text)) >= len);
        if (!CHECK(base64_decode(text, strlen(text), back, &n)) || !CHECK_INT(n, len) ||
            !CHECK(memcmp(back, data, len) == 0))
            break;
    }
    static const char *const bad[] = {"Zg=",  "Zg",    "Z===", "Zh==", "Zm9=",   "Zm8=Zm8=",
                                      "Zm 9", "Zm9\n", "Zm-_", "====", "Zm9v\0", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        size_t len = strlen(bad[i]) + (i == 10);
        CHECK(!base64_decode(bad[i], len, back, &n));
    }
    CHECK(base64_decode("Zm9vYmFy", 8, back, &n) && n == 6 && memcmp(back, "foobar", 6) == 0);
}

const Test cgi_base64_tests[] = {
    {"cgi_base64_rfc4648_vectors", rfc4648_vectors},
    {"cgi_base64_whole_alphabet", whole_alphabet},
    {"cgi_base64_encoded_len", encoded_len},
    {"cgi_base64_buffer_size", buffer_size},
    {"cgi_base64_round_trips", round_trips},
    {"cgi_base64_decoding", decoding},
    {NULL, NULL},
};
