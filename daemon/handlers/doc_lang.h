/* SPDX-License-Identifier: MIT */
/*
 * doc_lang.h - a guess of a text's language from counts of its most
 * common short words (stopwords) in English, Italian, German, French and
 * Spanish.  Simple and fast, and right on a paragraph or more of prose;
 * a short or mixed text, or another language, gives "und" (ISO 639-2's
 * "undetermined").
 */
#ifndef PGJOB_DOC_LANG_H
#define PGJOB_DOC_LANG_H

#include <stddef.h>

/* The fewest stopword hits a guess needs, and the share of all the hits
 * the winner must have. */
enum { DOC_LANG_MIN_HITS = 3 };
#define DOC_LANG_MIN_SHARE 0.4

/* doc_lang_guess returns "en", "it", "de", "fr", "es" or "und" for the
 * len bytes of UTF-8 text (static strings). */
const char *doc_lang_guess(const char *text, size_t len);

#endif
