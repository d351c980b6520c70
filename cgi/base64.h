/* SPDX-License-Identifier: MIT */
/*
 * base64.h - the standard base64 encoding of RFC 4648 (section 4):
 * alphabet A-Z a-z 0-9 + /, '=' padding to a multiple of four
 * characters, no line breaks.  An uploaded document travels to the
 * database as base64 text inside its JSON item; a document sent as JSON
 * ({"file_base64": ...}) is decoded here to check its format and size.
 */
#ifndef PGJOB_BASE64_H
#define PGJOB_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* base64_encoded_len returns the length of the base64 text of len bytes,
 * padding included and NUL not: 4 * ceil(len / 3).  SIZE_MAX when that
 * does not fit in a size_t. */
size_t base64_encoded_len(size_t len);

/* base64_encode writes the base64 text of the len bytes at data
 * (borrowed; NULL is fine when len is 0) to out[outsize], NUL-terminated.
 * Returns false, writing nothing, when outsize is less than
 * base64_encoded_len(len) + 1. */
bool base64_encode(const void *data, size_t len, char *out, size_t outsize)
    __attribute__((warn_unused_result));

/* base64_decoded_max is the most bytes the base64 text of len characters
 * decodes to (3 * len / 4). */
size_t base64_decoded_max(size_t len);

/* base64_decode decodes text[len], which must be standard padded base64
 * as above (whole groups of four, '=' only at the end, no spaces, no
 * line breaks, the unused bits of the last group zero), to out, which
 * has room for base64_decoded_max(len) bytes; *outlen is the bytes
 * written.  False on any other text (what was written is then garbage). */
bool base64_decode(const char *text, size_t len, unsigned char *out, size_t *outlen)
    __attribute__((warn_unused_result));

#endif
