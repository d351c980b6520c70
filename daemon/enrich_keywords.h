/* SPDX-License-Identifier: MIT */
/*
 * enrich_keywords.h - the category of an unknown merchant from the words
 * of its name (internal to the enrich handler): "PIZZERIA", "APOTHEKE",
 * "TANKSTELLE", ... in English and the major European languages.
 */
#ifndef PGJOB_ENRICH_KEYWORDS_H
#define PGJOB_ENRICH_KEYWORDS_H

#include "enrich_tokens.h"

/* enrich_keyword_category finds the category of the first strong keyword,
 * else of the first weak one, among tokens [from, to); false when none. */
bool enrich_keyword_category(const Tokens *tk, size_t from, size_t to, EnrichCategory *c);

#endif
