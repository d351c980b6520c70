/* SPDX-License-Identifier: MIT */
/* uuid.c checks and normalizes the text form of job ids. */
#include "uuid.h"

#include <string.h>

/* is_dash_position says whether byte i of a uuid's text is a dash. */
static bool is_dash_position(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool uuid_valid(const char *s, size_t len)
{
    if (s == NULL || len != UUID_TEXT_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (is_dash_position(i) ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

bool uuid_normalize(const char *s, size_t len, char out[UUID_TEXT_SIZE])
{
    if (!uuid_valid(s, len))
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
    out[len] = '\0';
    return true;
}
