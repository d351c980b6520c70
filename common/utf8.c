/* SPDX-License-Identifier: MIT */
/* utf8.c checks, decodes and repairs UTF-8 text (utf8.h). */
#include "utf8.h"

#include <stdint.h>

/* sequence returns the length of the well-formed sequence at p, of which
 * at most left bytes may be read (SIZE_MAX: a NUL-terminated string,
 * which ends the sequence since a NUL is no continuation byte), or 0. */
static size_t sequence(const unsigned char *p, size_t left)
{
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    size_t len;

    if (left == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > left)
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0; /* no overlong 3-byte form */
    else if (p[0] == 0xED)
        hi = 0x9F; /* no surrogate */
    else if (p[0] == 0xF0)
        lo = 0x90; /* no overlong 4-byte form */
    else if (p[0] == 0xF4)
        hi = 0x8F; /* nothing past U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return len;
}

size_t utf8_sequence(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    return p[0] == 0 ? 0 : sequence(p, SIZE_MAX);
}

size_t utf8_sequence_n(const char *s, size_t len)
{
    return sequence((const unsigned char *)s, len);
}

size_t utf8_decode(const char *s, size_t len, unsigned *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    static const unsigned char lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    size_t n = sequence(p, len);

    if (n == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = p[0] & lead_bits[n];
    for (size_t i = 1; i < n; i++)
        *cp = *cp << 6 | (p[i] & 0x3F);
    return n;
}

bool utf8_valid(const char *s)
{
    while (*s != '\0') {
        size_t n = utf8_sequence(s);
        if (n == 0)
            return false;
        s += n;
    }
    return true;
}

bool utf8_valid_n(const char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n) {
        if ((n = sequence((const unsigned char *)s + i, len - i)) == 0)
            return false;
    }
    return true;
}

void utf8_scrub(char *s)
{
    while (*s != '\0') {
        size_t n = utf8_sequence(s);
        if (n == 0) {
            *s = '?';
            n = 1;
        }
        s += n;
    }
}

void utf8_scrub_n(char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n) {
        if ((n = sequence((unsigned char *)s + i, len - i)) == 0) {
            s[i] = '?';
            n = 1;
        }
    }
}
