/* SPDX-License-Identifier: MIT */
/*
 * doc_lang.c - stopword counts (doc_lang.h).  The lists hold words that
 * are frequent in one language and rare as words of the other four;
 * words two of them share ("a", "de", "la", "le", "con", "una", "es",
 * "se"...) are left out.
 */
#include "doc_lang.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

typedef struct Lang {
    const char *code;
    const char *const *words;
} Lang;

static const char *const en[] = {"the",   "and",  "of",  "to",  "is",   "that",  "for",
                                 "with",  "this", "are", "was", "from", "have",  "not",
                                 "which", "be",   "by",  "or",  "they", "their", NULL};
static const char *const it[] = {"il",       "di",    "che",    "della", "per",   "sono", "gli",
                                 "nel",      "non",   "alla",   "delle", "anche", "dei",  "questo",
                                 "\xc3\xa8", "nella", "questa", "degli", "sul",   "loro", NULL};
static const char *const de[] = {"der",  "und",    "die", "nicht",      "ist",  "das",  "mit",
                                 "sich", "den",    "auf", "f\xc3\xbcr", "ein",  "eine", "dem",
                                 "auch", "werden", "zu",  "von",        "wird", "oder", NULL};
static const char *const fr[] = {"les", "et",  "des",  "est",         "pour",  "dans", "qui",
                                 "une", "pas", "sur",  "au",          "avec",  "sont", "ce",
                                 "aux", "ou",  "nous", "\xc3\xaatre", "cette", "leur", NULL};
static const char *const es[] = {
    "el",   "los",        "las",   "y",     "por", "para",        "como",
    "pero", "m\xc3\xa1s", "este",  "sus",   "fue", "est\xc3\xa1", "tambi\xc3\xa9n",
    "muy",  "desde",      "entre", "sobre", "hay", "esta",        NULL};

static const Lang langs[] = {{"en", en}, {"it", it}, {"de", de}, {"fr", fr}, {"es", es}};
enum { NLANGS = sizeof langs / sizeof langs[0], WORD_MAX = 16 };

/* The words compared: ASCII letters lower-cased, other bytes (UTF-8
 * letters such as è or ü) kept; any other ASCII byte ends a word. */
static bool word_byte(unsigned char c)
{
    return c >= 0x80 || isalpha(c);
}

const char *doc_lang_guess(const char *text, size_t len)
{
    size_t hits[NLANGS] = {0}, total = 0, best = 0;
    size_t i = 0;

    while (i < len) {
        char word[WORD_MAX + 1];
        size_t n = 0;
        while (i < len && !word_byte((unsigned char)text[i]))
            i++;
        while (i < len && word_byte((unsigned char)text[i])) {
            if (n < WORD_MAX)
                word[n] = (char)tolower((unsigned char)text[i]);
            n++;
            i++;
        }
        if (n == 0 || n > WORD_MAX)
            continue;
        word[n] = '\0';
        for (size_t l = 0; l < NLANGS; l++)
            for (const char *const *w = langs[l].words; *w != NULL; w++)
                if (strcmp(*w, word) == 0) {
                    hits[l]++;
                    total++;
                    break;
                }
    }
    for (size_t l = 1; l < NLANGS; l++)
        if (hits[l] > hits[best])
            best = l;
    if (hits[best] < DOC_LANG_MIN_HITS || (double)hits[best] < DOC_LANG_MIN_SHARE * (double)total)
        return "und";
    return langs[best].code;
}
