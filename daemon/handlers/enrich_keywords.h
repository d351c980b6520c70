/* SPDX-License-Identifier: MIT */
/*
 * enrich_keywords.h - the category of an unknown merchant from the words
 * of its name (internal to the enrich handler): "PIZZERIA", "APOTHEKE",
 * "TANKSTELLE", ... in English and the major European languages, and the
 * words a bank's short name field cuts ("GOLDEN DRAGON CHINESE RE").
 */
#ifndef PGJOB_ENRICH_KEYWORDS_H
#define PGJOB_ENRICH_KEYWORDS_H

#include "enrich_result.h"
#include "enrich_tokens.h"

/* enrich_keyword_of tells whether token t is a keyword, and its category
 * and strength. */
bool enrich_keyword_of(const Token *t, EnrichCategory *c, bool *weak);

/* enrich_keyword_category finds the category of the first strong keyword,
 * else of the first weak one, among tokens [from, to); false when none. */
bool enrich_keyword_category(const Tokens *tk, size_t from, size_t to, EnrichCategory *c);

/* What enrich_keyword_cut makes of the last word of a long name. */
typedef enum EnrichCut {
    ENRICH_CUT_NONE,      /* a word of its own */
    ENRICH_CUT_COMPLETED, /* 5+ letters starting a business word: *word is the whole word */
    ENRICH_CUT_FRAGMENT   /* 2-3 letters starting one: to be dropped */
} EnrichCut;

/* enrich_keyword_cut tells whether t, the last word of a name the bank
 * may have cut, is the start of a business word ("RESTAU", "PHARMAC",
 * "RE"); sets *word to that word for a completion, and *c to its category
 * when it has one (*has_cat). */
EnrichCut enrich_keyword_cut(const Token *t, const char **word, EnrichCategory *c, bool *has_cat);

/* enrich_keywords_check verifies the keyword table is sorted, as its
 * binary search needs (for the unit tests). */
bool enrich_keywords_check(void);

#endif
