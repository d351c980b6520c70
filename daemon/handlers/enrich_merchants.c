/* SPDX-License-Identifier: MIT */
/* enrich_merchants.c computes the lookup key of a merchant alias (see enrich_merchants.h). */
#include "enrich_merchants.h"

size_t enrich_merchants_key(const char *text, size_t len, char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            continue;
        if (n == ENRICH_KEY_MAX)
            return 0;
        key[n++] = (char)c;
    }
    key[n] = '\0';
    return n;
}
