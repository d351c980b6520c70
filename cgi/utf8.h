/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - well-formed UTF-8 (RFC 3629): no overlong forms, no UTF-16
 * surrogates, nothing past U+10FFFF.  JSON text must be UTF-8, and text
 * from outside (request bodies quoted in error messages, database
 * errors) may not be.
 */
#ifndef PGJOB_UTF8_H
#define PGJOB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_sequence returns the length (1 to 4) of the well-formed UTF-8
 * sequence that starts at s, or 0 when s is at a NUL or at a byte that
 * starts none.  Reads no byte past a NUL. */
size_t utf8_sequence(const char *s);

/* utf8_valid says whether all of s is well-formed UTF-8. */
bool utf8_valid(const char *s);

/* utf8_scrub makes s well-formed UTF-8 in place: each byte that starts no
 * well-formed sequence becomes '?'.  The length does not change. */
void utf8_scrub(char *s);

#endif
