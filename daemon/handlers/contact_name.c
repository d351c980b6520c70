/* SPDX-License-Identifier: MIT */
/* contact_name.c - name splitting (titles, suffixes, particles) and casing. */
#include "contact_name.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { MAX_WORDS = 16, WORD_SIZE = 64 };

static const char *const particles[] = {"van", "von", "de",  "der", "den",   "da",  "di",
                                        "du",  "la",  "le",  "del", "della", "dos", "das",
                                        "ter", "ten", "bin", "al",  "el",    "st",  "zu"};
static const char *const honorifics[] = {"mr",   "mrs", "ms",   "miss", "mx",   "dr",
                                         "prof", "sir", "dame", "mme",  "mlle", "herr",
                                         "frau", "sr",  "sra",  "rev",  "lord", "lady"};
static const char *const suffixes[] = {"jr",  "sr",  "ii",  "iii", "iv",    "phd", "md",
                                       "mba", "esq", "cpa", "dds", "pe",    "jd",  "msc",
                                       "bsc", "obe", "mbe", "cfa", "dphil", "rn"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* in_list says whether word, lower-cased and without dots, is listed. */
static bool in_list(const char *const *list, size_t n, const char *word)
{
    char k[WORD_SIZE];
    size_t j = 0;

    for (const char *p = word; *p != '\0' && j + 1 < sizeof k; p++)
        if (*p != '.')
            k[j++] = (char)tolower((unsigned char)*p);
    k[j] = '\0';
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], k) == 0)
            return true;
    return false;
}

/* letter classifies the letter at p (ASCII, or Latin-1 in UTF-8) as upper
 * or lower case and returns its length in bytes. */
static int letter(const unsigned char *p, bool *upper, bool *lower)
{
    *upper = *lower = false;
    if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBE && p[1] != 0x97 && p[1] != 0xB7) {
        *upper = p[1] <= 0x9E;
        *lower = p[1] >= 0x9F;
        return 2;
    }
    *upper = isupper(p[0]) != 0;
    *lower = islower(p[0]) != 0;
    return 1;
}

/* put_case writes the letter at p to out in the case asked; returns its
 * length in bytes. */
static int put_case(const unsigned char *p, bool upper, char *out)
{
    bool u, l;
    int len = letter(p, &u, &l);

    if (len == 2) {
        out[0] = (char)p[0];
        out[1] =
            (char)(upper && l && p[1] != 0x9F ? p[1] - 0x20 : (!upper && u ? p[1] + 0x20 : p[1]));
        return 2;
    }
    out[0] = (char)(upper ? toupper(p[0]) : tolower(p[0]));
    return 1;
}

/* case_word writes one word cased into out (size >= strlen(w) + 1). */
static void case_word(const char *w, bool lower_particle, char *out)
{
    bool any_upper = false, any_lower = false, start = true;
    size_t k = 0;
    const unsigned char *p;

    for (p = (const unsigned char *)w; *p != '\0';) {
        bool u, l;
        p += letter(p, &u, &l);
        any_upper |= u;
        any_lower |= l;
    }
    if (any_upper && any_lower) {
        strcpy(out, w); /* mixed case ("DeVito", "MacLeod"): as written */
        return;
    }
    for (p = (const unsigned char *)w; *p != '\0';) {
        int len = put_case(p, start && !lower_particle, out + k);
        k += (size_t)len;
        p += len;
        /* A capital again after a hyphen or apostrophe (Jean-Luc, O'Brien)
         * and after "Mc" (McDonald). */
        start = p[-1] == '-' || p[-1] == '\'' ||
                (k == 2 && out[0] == 'M' && out[1] == 'c' && strlen(w) > 3);
    }
    out[k] = '\0';
}

/* utf8_cut returns len shortened so that s[0, len) does not end inside a
 * UTF-8 sequence (a word cut at WORD_SIZE may). */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t i = len, need;

    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
        return len;
    need = ((unsigned char)s[i - 1] & 0xE0) == 0xC0   ? 2
           : ((unsigned char)s[i - 1] & 0xF0) == 0xE0 ? 3
                                                      : 4;
    return len - (i - 1) >= need ? len : i - 1;
}

/* Words splits text into at most MAX_WORDS words at spaces, dropping
 * parenthesized and quoted nicknames ("Robert (Bob) Smith"). */
typedef struct Words {
    char w[MAX_WORDS][WORD_SIZE];
    size_t n;
} Words;

static void words_of(const char *text, Words *ws)
{
    size_t k = 0;
    bool skip = false;

    ws->n = 0;
    for (const char *p = text;; p++) {
        bool end = *p == '\0' || isspace((unsigned char)*p) || *p == ',';
        if (*p == '(' || *p == '"')
            skip = !skip || *p == '(';
        else if (*p == ')')
            skip = false;
        if (end || skip || *p == ')' || *p == '"') {
            if (k > 0 && ws->n < MAX_WORDS) {
                k = utf8_cut(ws->w[ws->n], k);
                ws->w[ws->n][k] = '\0';
                ws->n++;
            }
            k = 0;
            if (*p == '\0')
                return;
            continue;
        }
        if (ws->n < MAX_WORDS && k + 1 < WORD_SIZE)
            ws->w[ws->n][k++] = *p;
    }
}

/* join_cased writes words [from, to) of ws, cased, into out. */
static bool join_cased(const Words *ws, size_t from, size_t to, bool particle_rule, char *out,
                       size_t n)
{
    size_t k = 0;
    char word[WORD_SIZE];

    out[0] = '\0';
    for (size_t i = from; i < to; i++) {
        bool lower = particle_rule && i + 1 < to && in_list(particles, NELEM(particles), ws->w[i]);
        case_word(ws->w[i], lower, word);
        if (k + strlen(word) + 2 > n)
            return false;
        if (k > 0)
            out[k++] = ' ';
        memcpy(out + k, word, strlen(word) + 1);
        k += strlen(word);
    }
    return k > 0;
}

bool contact_name_case(const char *text, bool use_particles, char *out, size_t n)
{
    Words ws;

    if (text == NULL)
        return false;
    words_of(text, &ws);
    return join_cased(&ws, 0, ws.n, use_particles, out, n);
}

static bool is_initial(const char *w)
{
    size_t len = strlen(w);
    return len == 1 || (len == 2 && w[1] == '.');
}

/* trim_words drops honorifics at the front and suffixes at the back. */
static void trim_words(Words *ws, size_t *from)
{
    while (*from < ws->n && in_list(honorifics, NELEM(honorifics), ws->w[*from]) &&
           ws->n - *from > 1)
        (*from)++;
    while (ws->n > *from + 1 && in_list(suffixes, NELEM(suffixes), ws->w[ws->n - 1]))
        ws->n--;
}

bool contact_name_split(const char *full, char *first, size_t first_size, char *last,
                        size_t last_size)
{
    Words ws, given;
    size_t from = 0, gfrom = 0, lastw;
    const char *comma;

    first[0] = last[0] = '\0';
    if (full == NULL || first_size < WORD_SIZE)
        return false;
    comma = strchr(full, ',');
    if (comma != NULL) {
        /* "Berg, Jane" or "Jane Doe, PhD". */
        char head[256];
        size_t hl = (size_t)(comma - full);
        words_of(comma + 1, &given);
        trim_words(&given, &gfrom);
        if (given.n > gfrom && !in_list(suffixes, NELEM(suffixes), given.w[gfrom]) &&
            hl < sizeof head) {
            memcpy(head, full, hl);
            head[hl] = '\0';
            words_of(head, &ws);
            trim_words(&ws, &from);
            if (ws.n <= from)
                return false;
            case_word(given.w[gfrom], false, first); /* WORD_SIZE <= first_size */
            return join_cased(&ws, from, ws.n, true, last, last_size) || first[0] != '\0';
        }
    }
    words_of(full, &ws);
    if (comma != NULL) {
        char head[256];
        size_t hl = (size_t)(comma - full);
        if (hl < sizeof head) {
            memcpy(head, full, hl);
            head[hl] = '\0';
            words_of(head, &ws);
        }
    }
    trim_words(&ws, &from);
    if (ws.n <= from)
        return false;
    case_word(ws.w[from], false, first);
    if (ws.n - from == 1)
        return true;
    /* The last name: from the first particle after the first name, else
     * the last word; middle names and initials between are dropped. */
    lastw = ws.n - 1;
    for (size_t i = from + 1; i + 1 < ws.n; i++) {
        if (in_list(particles, NELEM(particles), ws.w[i])) {
            lastw = i;
            break;
        }
    }
    if (is_initial(ws.w[lastw]) && lastw == ws.n - 1)
        return true;
    return join_cased(&ws, lastw, ws.n, true, last, last_size);
}
