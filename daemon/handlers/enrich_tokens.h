/* SPDX-License-Identifier: MIT */
/*
 * enrich_tokens.h - the words of a bank descriptor, for the rules of
 * enrich.c, enrich_keywords.c and enrich_place.c (internal to the enrich
 * handler).  enrich_tokenize splits a descriptor into upper-case tokens:
 * letters and digits make tokens, an apostrophe inside a word is dropped
 * ("MCDONALD'S"), an '&' inside a word is kept in it ("A&W", "AT&T") and a
 * lone '&' is a token of its own ("SMITH & SONS"), everything else
 * separates; a '*' is remembered on the token before it.  Each token is
 * flagged as noise when it is never part of a name: a bank word of any
 * country, a company suffix, a number or a card mask (see enrich_tokens.c).
 */
#ifndef PGJOB_ENRICH_TOKENS_H
#define PGJOB_ENRICH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ENRICH_INPUT_MAX is the longest descriptor the pipeline reads, in
 * bytes; the tokenizer's buffers are sized by it. */
#define ENRICH_INPUT_MAX 512

enum { MAX_TOKENS = 64, MAX_RUN = 6 };

/* Token is one word of the normalized descriptor. */
typedef struct Token {
    const char *s; /* into Tokens.buf, NUL-terminated */
    size_t len;
    bool digit;         /* has a digit */
    bool alpha;         /* has a letter */
    bool star;          /* a '*' follows */
    bool dot;           /* a '.' comes right before ("NETFLIX.COM") */
    bool slash;         /* a '/' or '-' comes right before ("04/12") */
    bool noise;         /* a bank word, number or mask: see is_noise */
    bool amp;           /* has an '&' ("A&W"), or is a lone "&" */
    unsigned char apos; /* where an apostrophe was dropped ("MARIO'S": 5), or 0 */
} Token;

typedef struct Tokens {
    char buf[2 * ENRICH_INPUT_MAX + 2];
    Token t[MAX_TOKENS];
    size_t n;
    uint64_t by_first[256]; /* bit i: token i starts with this byte */
} Tokens;

/* enrich_tokenize fills tk with the tokens of text[0, len). */
void enrich_tokenize(const char *text, size_t len, Tokens *tk);

/* token_noise says whether t is never part of a name (see is_noise). */
static inline bool token_noise(const Token *t)
{
    return t->noise;
}

/* token_is says whether t is word. */
static inline bool token_is(const Token *t, const char *word)
{
    return t->s[0] == word[0] && strcmp(t->s, word) == 0;
}

/* token_in_list reports whether t is one of the words of the NULL-terminated list. */
static inline bool token_in_list(const Token *t, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (token_is(t, *list))
            return true;
    }
    return false;
}

/* enrich_phrase_end returns the index after the space-separated words of
 * phrase when they start at tokens[i], else 0. */
size_t enrich_phrase_end(const Tokens *tk, size_t i, const char *phrase);

/* enrich_phrase_at reports whether the words of phrase start at tokens[i]. */
bool enrich_phrase_at(const Tokens *tk, size_t i, const char *phrase);

/* enrich_has_phrase reports whether one of the NULL-terminated phrases
 * occurs anywhere. */
bool enrich_has_phrase(const Tokens *tk, const char *const *phrases);

/* enrich_copy_title writes tokens [from, to) of tk into out (size n) in
 * title case; a lone "S" after a word becomes "'s" ("JOE S" -> "Joe's"). */
void enrich_copy_title(const Tokens *tk, size_t from, size_t to, char *out, size_t n);

/* enrich_tokens_check verifies the noise word list is sorted, as its
 * binary search needs (for the unit tests). */
bool enrich_tokens_check(void);

#endif
