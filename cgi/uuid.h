/* SPDX-License-Identifier: MIT */
/*
 * uuid.h - the syntax of a job id as it appears in paths, cursors and
 * database rows: 36 characters, 8-4-4-4-12 hexadecimal digits of either
 * case separated by dashes ("0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71").  No
 * braces, no "urn:uuid:" prefix, no version or variant check: PostgreSQL
 * accepts any such text as a uuid, and an id that names no job is the
 * database's answer (404), not a syntax error.
 */
#ifndef PGJOB_UUID_H
#define PGJOB_UUID_H

#include <stdbool.h>
#include <stddef.h>

/* Length of a uuid's text, and the size of a buffer that holds it. */
enum { UUID_TEXT_LEN = 36, UUID_TEXT_SIZE = 37 };

/* uuid_valid says whether the len bytes at s are a uuid's text. */
bool uuid_valid(const char *s, size_t len);

/* uuid_normalize copies the uuid text of len bytes at s into out in lower
 * case, NUL-terminated.  Returns false, leaving out unchanged, when s is
 * not a uuid (uuid_valid). */
bool uuid_normalize(const char *s, size_t len, char out[UUID_TEXT_SIZE])
    __attribute__((warn_unused_result));

#endif
