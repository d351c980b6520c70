/* SPDX-License-Identifier: MIT */
/* error.c fills the caller's Error with a status, a code and a one-line message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A message is formatted here first, then tidied and cut to fit. */
enum { ERROR_FORMAT_SIZE = 1024 };

static const char ellipsis[] = "...";

void error_clear(Error *e)
{
    if (e == NULL)
        return;
    e->status = 0;
    e->code[0] = '\0';
    e->message[0] = '\0';
}

bool error_is_set(const Error *e)
{
    return e != NULL && e->status != 0;
}

/* tidy_line turns each run of spaces and control characters in s into one
 * space and trims both ends, in place, so that a message stays one line. */
static void tidy_line(char *s)
{
    size_t out = 0;
    bool pending_space = false;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            pending_space = out > 0;
            continue;
        }
        if (pending_space)
            s[out++] = ' ';
        pending_space = false;
        s[out++] = (char)*p;
    }
    s[out] = '\0';
}

/* utf8_cut returns the largest length <= len at which s can be cut without
 * splitting a UTF-8 sequence; s must be at least len + 1 bytes long. */
static size_t utf8_cut(const char *s, size_t len)
{
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    return len;
}

/* copy_cut copies src into dst[size], ending in "..." when src does not
 * fit or was itself truncated (then its last character may be partial and
 * is dropped). */
static void copy_cut(char *dst, size_t size, const char *src, bool truncated)
{
    size_t len = strlen(src);

    if (len < size && !truncated) {
        memcpy(dst, src, len + 1);
        return;
    }
    if (len > size - sizeof ellipsis) {
        len = utf8_cut(src, size - sizeof ellipsis);
    } else {
        while (len > 0 && ((unsigned char)src[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0 && (unsigned char)src[len - 1] >= 0xC0)
            len--;
    }
    memcpy(dst, src, len);
    memcpy(dst + len, ellipsis, sizeof ellipsis);
}

void error_set(Error *e, int status, const char *code, const char *fmt, ...)
{
    char text[ERROR_FORMAT_SIZE];
    va_list ap;
    int n;

    if (e == NULL)
        return;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code != NULL ? code : "");

    va_start(ap, fmt);
    n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        text[0] = '\0';
    tidy_line(text);
    copy_cut(e->message, sizeof e->message, text, n >= (int)sizeof text);
}
