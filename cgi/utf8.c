/* SPDX-License-Identifier: MIT */
/* utf8.c checks and repairs UTF-8 text. */
#include "utf8.h"

size_t utf8_sequence(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    size_t len;

    if (p[0] == 0)
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
    /* A NUL is not a continuation byte, so the loop stops at one. */
    for (size_t i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return len;
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
