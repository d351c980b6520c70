/* SPDX-License-Identifier: MIT */
/*
 * jsonnum.h - which JSON numbers a job may hold: one definition for the
 * front end, which refuses the others at the door, and for pgjobd, which
 * reads what the front end let through.
 *
 * A job's items and metadata go into PostgreSQL as jsonb and come back to
 * pgjobd as jsonb's text, which jansson reads.  A number survives that
 * trip when:
 *   - PostgreSQL's numeric can hold it: at most 16383 digits after the
 *     decimal point once the exponent is applied (1e-20000 cannot be
 *     stored at all);
 *   - jansson can read jsonb's text of it.  jsonb writes a number without
 *     an exponent, with as many decimals as the literal had after the
 *     exponent is applied (1e2 and 1.0e2 become 100, 1.50e1 becomes 15.0).
 *     Text without a decimal point is an integer to jansson, which must
 *     fit in 64 bits (9223372036854775808 and 1e19 do not); text with one
 *     is a double, which must not overflow (1.8e308 does not fit; tiny
 *     values round towards 0, which jansson accepts).
 */
#ifndef PGJOB_JSONNUM_H
#define PGJOB_JSONNUM_H

#include <stdbool.h>
#include <stddef.h>

/* jsonnum_storable says whether the JSON number literal num[len] (valid
 * JSON number syntax) survives the trip described above. */
bool jsonnum_storable(const char *num, size_t len);

/* jsonnum_find_unstorable scans the JSON text text[len] (already known to
 * be valid JSON) for a number jsonnum_storable refuses.  Returns a
 * pointer to the first such number (its length in *num_len), or NULL when
 * every number is storable.  When the text is an object, key[keysize]
 * receives the top-level member the number is in ("" otherwise). */
const char *jsonnum_find_unstorable(const char *text, size_t len, size_t *num_len, char *key,
                                    size_t keysize);

#endif
