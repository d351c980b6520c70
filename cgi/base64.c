/* SPDX-License-Identifier: MIT */
/* base64.c encodes bytes as standard, padded base64 (RFC 4648, section 4). */
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
