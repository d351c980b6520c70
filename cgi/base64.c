/* SPDX-License-Identifier: MIT */
/* base64.c encodes and decodes standard, padded base64 (RFC 4648, section 4). */
#include "base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t len)
{
    size_t groups = len / 3 + (len % 3 != 0);

    return groups > SIZE_MAX / 4 ? SIZE_MAX : groups * 4;
}

bool base64_encode(const void *data, size_t len, char *out, size_t outsize)
{
    const unsigned char *in = data;
    size_t need = base64_encoded_len(len), i = 0;
    char *p = out;

    if (need == SIZE_MAX || outsize <= need)
        return false;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *p++ = alphabet[v >> 18];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = alphabet[(v >> 6) & 63];
        *p++ = alphabet[v & 63];
    }
    if (len - i > 0) {
        /* One or two bytes left: two or three characters, then '='. */
        uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        *p++ = alphabet[v >> 18];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = len - i == 2 ? alphabet[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = '\0';
    return true;
}

size_t base64_decoded_max(size_t len)
{
    return len / 4 * 3;
}

/* value is the 6 bits of base64 character c, or -1. */
static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool base64_decode(const char *text, size_t len, unsigned char *out, size_t *outlen)
{
    const unsigned char *in = (const unsigned char *)text;
    size_t n = 0;

    *outlen = 0;
    if (len % 4 != 0)
        return false;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
        int v[4];
        for (int k = 0; k < 4 - pad; k++)
            if ((v[k] = value(in[i + k])) < 0)
                return false;
        for (int k = 4 - pad; k < 4; k++)
            v[k] = 0;
        uint32_t bits =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* The bits padding leaves unused must be zero: one text per bytes. */
        if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0))
            return false;
        out[n++] = (unsigned char)(bits >> 16);
        if (pad < 2)
            out[n++] = (unsigned char)(bits >> 8);
        if (pad < 1)
            out[n++] = (unsigned char)bits;
    }
    *outlen = n;
    return true;
}
