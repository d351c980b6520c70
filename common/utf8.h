/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - well-formed UTF-8 (RFC 3629): no overlong forms, no UTF-16
 * surrogates, nothing past U+10FFFF.  The one UTF-8 check of pgjob: JSON
 * text must be UTF-8, and text from outside (request bodies quoted in
 * error messages, database errors, documents and what the PDF and HTML
 * libraries make of them) may not be.
 *
 * The functions on a NUL-terminated string stop at its NUL; the _n ones
 * take a length and see a NUL byte as the character U+0000.
 */
#ifndef PGJOB_UTF8_H
#define PGJOB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_sequence returns the length (1 to 4) of the well-formed UTF-8
 * sequence that starts at s, or 0 when s is at a NUL or at a byte that
 * starts none.  Reads no byte past a NUL. */
size_t utf8_sequence(const char *s);

/* utf8_sequence_n is utf8_sequence for the len bytes at s: 0 when len is
 * 0 or s starts no well-formed sequence within them. */
size_t utf8_sequence_n(const char *s, size_t len);

/* utf8_decode decodes the character at s (of len > 0 bytes) into *cp and
 * returns its length; a byte that starts no well-formed sequence is one
 * character U+FFFD of length 1. */
size_t utf8_decode(const char *s, size_t len, unsigned *cp);

/* utf8_valid says whether all of s is well-formed UTF-8. */
bool utf8_valid(const char *s);

/* utf8_valid_n says whether all of s[len] is well-formed UTF-8. */
bool utf8_valid_n(const char *s, size_t len);

/* utf8_scrub makes s well-formed UTF-8 in place: each byte that starts no
 * well-formed sequence becomes '?'.  The length does not change. */
void utf8_scrub(char *s);

/* utf8_scrub_n is utf8_scrub for the len bytes at s. */
void utf8_scrub_n(char *s, size_t len);

#endif
