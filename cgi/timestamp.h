/* SPDX-License-Identifier: MIT */
/*
 * timestamp.h - the two text forms of a point in time that the front end
 * sees: PostgreSQL's output of a timestamptz, and RFC 3339 as the API
 * writes and reads it.
 *
 * PostgreSQL form (DateStyle ISO), as read from a database row:
 *   2026-11-26 06:29:45.123456+00       YYYY-MM-DD HH:MM:SS[.f{1,6}]OFFSET
 * where OFFSET is +HH, +HH:MM or +HH:MM:SS (or -), and the separator may
 * also be 'T' (to_json's form).  Years have four digits; "BC", years past
 * 9999 and "infinity" are refused.
 *
 * RFC 3339 form, as the API accepts it (run_at, created_after):
 *   2026-11-26T10:00:00Z, 2026-11-26T10:00:00.5+02:00
 * with 'T' (or 't'), seconds 00-59 (no leap second: PostgreSQL cannot
 * store one), 1-9 fraction digits, and 'Z' ('z') or +HH:MM / -HH:MM.
 *
 * The API always writes UTC with exactly three fraction digits and 'Z':
 *   2026-11-26T06:29:45.123Z
 * Microseconds are cut, not rounded, to milliseconds, so the written time
 * is never later than the stored one.
 */
#ifndef PGJOB_TIMESTAMP_H
#define PGJOB_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>

/* Size of the API's form, NUL included: "2026-11-26T06:29:45.123Z". */
enum { TIMESTAMP_RFC3339_SIZE = 25 };

/* timestamp_rfc3339 converts pg, a timestamptz in PostgreSQL's form, to
 * the API's form in UTC in out[size].  Returns false, leaving out
 * unchanged, when pg is NULL or not in PostgreSQL's form, names a day
 * that does not exist, falls outside years 0001-9999 once in UTC, or
 * size < TIMESTAMP_RFC3339_SIZE. */
bool timestamp_rfc3339(const char *pg, char *out, size_t size) __attribute__((warn_unused_result));

/* timestamp_unix converts pg, a timestamptz in PostgreSQL's form, to
 * seconds since 1970-01-01 UTC in *seconds, the fraction cut (never
 * later than pg).  False, *seconds unchanged, when pg is not in that
 * form. */
bool timestamp_unix(const char *pg, long long *seconds) __attribute__((warn_unused_result));

/* timestamp_valid_pg says whether s is a timestamptz in PostgreSQL's form
 * that timestamp_rfc3339 accepts. */
bool timestamp_valid_pg(const char *s);

/* timestamp_valid_rfc3339 says whether s is an RFC 3339 date-time with an
 * offset, as described above, naming a day that exists and falling within
 * years 0001-9999 once in UTC (and rounded to microseconds, as PostgreSQL
 * stores it), so that timestamp_rfc3339 can write it back.  The text
 * itself is what goes to PostgreSQL, which parses every form accepted
 * here. */
bool timestamp_valid_rfc3339(const char *s);

#endif
