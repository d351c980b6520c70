/* SPDX-License-Identifier: MIT */
/*
 * cursor.h - the opaque cursor of GET /v1/jobs, which lists an account's
 * jobs newest first: the position after the last job of a page, i.e. its
 * (created_at, id), the key of the index job_account_created_idx.  The
 * next page is the jobs with (created_at, id) < the cursor's.
 *
 * Form: base64url without padding (RFC 4648, 5) of the ASCII text
 * "1,<created_at>,<id>": a format version, PostgreSQL's text of the
 * timestamptz as the database returned it (microseconds included: a
 * millisecond form would skip or repeat jobs created in the same
 * millisecond), and the uuid.  Clients must treat it as opaque.
 *
 * Decoding is strict: only the base64url alphabet, no padding, no spare
 * bits set, a known version, a valid timestamp and a lower-case uuid,
 * nothing else; so a cursor has one spelling, and re-encoding a decoded
 * cursor gives the same text.
 * A cursor is not signed: one forged in that form only moves the page
 * start within the caller's own jobs, which every query is scoped to.
 */
#ifndef PGJOB_CURSOR_H
#define PGJOB_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "uuid.h"

enum {
    CURSOR_CREATED_AT_SIZE = 40, /* PostgreSQL's timestamptz text, NUL included */
    CURSOR_TEXT_SIZE = 128,      /* an encoded cursor, NUL included */
};

/* Cursor is a decoded cursor. */
typedef struct Cursor {
    char created_at[CURSOR_CREATED_AT_SIZE]; /* for a timestamptz parameter */
    char id[UUID_TEXT_SIZE];                 /* lower case, for a uuid parameter */
} Cursor;

/* cursor_encode writes the cursor of the job (created_at, id) (both
 * borrowed, as the database wrote them) to out[size], NUL-terminated.
 * Returns false, leaving out unchanged, when created_at is not a
 * timestamp in PostgreSQL's form (timestamp_valid_pg), id is not a uuid,
 * or out is too small (CURSOR_TEXT_SIZE is always enough). */
bool cursor_encode(const char *created_at, const char *id, char *out, size_t size)
    __attribute__((warn_unused_result));

/* cursor_decode reads text (borrowed), a cursor from a client, into *out.
 * Returns false with err 400 invalid_cursor when it is not a cursor that
 * cursor_encode could have written. */
bool cursor_decode(const char *text, Cursor *out, Error *err) __attribute__((warn_unused_result));

#endif
