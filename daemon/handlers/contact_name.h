/* SPDX-License-Identifier: MIT */
/* contact_name.h - a person's name split into first and last, and cased. */
#ifndef PGJOB_CONTACT_NAME_H
#define PGJOB_CONTACT_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a name part with its NUL. */
enum { CONTACT_NAME_SIZE = 128 };

/* contact_name_case writes word-by-word cased text into out (size n): a
 * word written all in upper or all in lower case gets a capital first
 * letter ("o'brien" -> "O'Brien", "mcdonald" -> "McDonald", "jean-luc" ->
 * "Jean-Luc", "JOSÉ" -> "José"), except the particles of last names (van,
 * de, von, der, da, di, du, la, le, del, della, dos, ter, ten, bin, al),
 * which are made lower case when they are not the first word.  A word in
 * mixed case ("DeVito", "MacLeod") is kept as written.  Returns false when
 * nothing is left. */
bool contact_name_case(const char *text, bool particles, char *out, size_t n);

/* contact_name_split splits full ("Dr. Jane van der Berg, PhD", "Berg,
 * Jane", "JOHN F. SMITH") into a cased first name and last name, dropping
 * titles, suffixes, middle names and initials; the last name keeps its
 * particles ("van der Berg").  *first or *last is "" when it is not there
 * (a single word is a first name).  Returns whether it found a name. */
bool contact_name_split(const char *full, char *first, size_t first_size, char *last,
                        size_t last_size);

#endif
