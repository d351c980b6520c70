/* SPDX-License-Identifier: MIT */
/*
 * contact_country.c - country names, codes and spellings to ISO 3166-1
 * alpha-2.  Every name of contact_countries.c and every code is reduced to
 * a key (see key()) and the keys are sorted once into an index that each
 * lookup searches by bisection, so that some 1,300 spellings cost a dozen
 * comparisons.
 */
#include "contact_country.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contact_countries.h"

/* Longest key kept, with its NUL; a longer text is no country. */
enum { KEY_SIZE = 64, INDEX_MAX = 2048 };

/* ASCII letters of the Latin-1 letters U+00C0..U+00FF (UTF-8 C3 80..BF),
 * lower case; "" for the two signs among them (× ÷). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* ASCII letters of Latin Extended-A, U+0100..U+017F (UTF-8 C4 80 to C5
 * BF): Ā ā Ă ă Ą ą Ć ć ... Ž ž ſ, one letter each. */
static const char latin_ext_a[129] =
    "aaaaaaccccccccdd"
    "ddeeeeeeeeeegggg"
    "gggghhhhiiiiiiii"
    "iiiijjkkklllllll"
    "lllnnnnnnnnnoooo"
    "oooorrrrrrssssss"
    "ssttttttuuuuuuuu"
    "uuuuwwyyyzzzzzzs";

/* Words that carry nothing ("Republic of the Congo", "Trinidad & Tobago")
 * and abbreviations written out ("St Lucia", "Dem. Rep. Congo"). */
static const struct {
    const char *word, *as;
} words[] = {
    {"the", ""},     {"of", ""},        {"and", ""},         {"et", ""},
    {"st", "saint"}, {"ste", "sainte"}, {"rep", "republic"}, {"dem", "democratic"},
};

/* Key is a text being reduced: its words so far, and the current word. */
typedef struct Key {
    char out[KEY_SIZE];
    size_t len;
    char word[KEY_SIZE];
    size_t wlen;
    bool overflow;
} Key;

static void put_char(Key *k, char c)
{
    if (k->wlen + 1 < sizeof k->word)
        k->word[k->wlen++] = c;
    else
        k->overflow = true;
}

static void put_str(Key *k, const char *s)
{
    while (*s != '\0')
        put_char(k, *s++);
}

/* end_word appends the current word to the key, or what words[] says. */
static void end_word(Key *k)
{
    const char *w = k->word;
    size_t n;

    k->word[k->wlen] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(k->word, words[i].word) == 0)
            w = words[i].as;
    n = strlen(w);
    if (k->len + n + 1 > sizeof k->out)
        k->overflow = true;
    else {
        memcpy(k->out + k->len, w, n);
        k->len += n;
    }
    k->wlen = 0;
}

/* utf8_len is the length of the UTF-8 sequence that starts with c (1 for
 * a stray byte). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* key writes into out (KEY_SIZE) the key of text: ASCII letters and digits
 * in lower case, Latin letters with accents as their base letters ("é" is
 * "e", "ß" is "ss"), Greek and Cyrillic capitals in lower case, other
 * scripts as they are; words joined without spaces, the words of words[]
 * dropped or written out, dots dropped ("U.S.A." is "usa") and every other
 * punctuation a word break.  Returns false when the key is too long. */
static bool key(const char *text, char out[KEY_SIZE])
{
    Key k = {.len = 0};
    const unsigned char *p = (const unsigned char *)text;

    while (*p != '\0') {
        unsigned char c = p[0], d = p[1];
        size_t n = utf8_len(c);
        if (c < 0x80) {
            if (isalnum(c))
                put_char(&k, (char)tolower(c));
            else if (c != '.')
                end_word(&k);
            p++;
            continue;
        }
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false; /* not UTF-8 */
        if (c == 0xC3)
            put_str(&k, latin1[d - 0x80]);
        else if (c == 0xC4 || c == 0xC5)
            put_char(&k, latin_ext_a[(c - 0xC4) * 64 + (d - 0x80)]);
        else if (c == 0xCC || (c == 0xCD && d <= 0xAF))
            ; /* a combining accent (decomposed text): dropped like é's */
        else if (c == 0xC2 || (c == 0xE2 && (d == 0x80 || d == 0x81)) ||
                 (c == 0xE3 && d == 0x80 && p[2] == 0x80))
            end_word(&k); /* no-break space, curly quotes, dashes, ideographic space */
        else if (c == 0xCE && d >= 0x91 && d <= 0x9F) { /* Greek Α..Ο */
            put_char(&k, (char)c);
            put_char(&k, (char)(d + 0x20));
        } else if (c == 0xCE && d >= 0xA0 && d <= 0xA9) { /* Π..Ω */
            put_char(&k, (char)0xCF);
            put_char(&k, (char)(d - 0x20));
        } else if (c == 0xD0 && d >= 0x90 && d <= 0x9F) { /* Cyrillic А..П */
            put_char(&k, (char)c);
            put_char(&k, (char)(d + 0x20));
        } else if (c == 0xD0 && d >= 0xA0 && d <= 0xAF) { /* Р..Я */
            put_char(&k, (char)0xD1);
            put_char(&k, (char)(d - 0x20));
        } else {
            for (size_t i = 0; i < n; i++)
                put_char(&k, (char)p[i]);
        }
        p += n;
    }
    end_word(&k);
    k.out[k.len] = '\0';
    if (k.overflow || k.len == 0)
        return false;
    memcpy(out, k.out, k.len + 1);
    return true;
}

/* The index: every key of every country, sorted by key then by country. */
typedef struct Entry {
    char key[KEY_SIZE];
    unsigned short country; /* into contact_countries */
} Entry;

static Entry entries[INDEX_MAX];
static size_t nentries;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int entry_cmp(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c != 0 ? c : (int)x->country - (int)y->country;
}

static void add(const char *text, size_t len, size_t country)
{
    char buf[256];

    if (len >= sizeof buf || nentries == INDEX_MAX)
        return; /* the unit test finds a name that got lost */
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (key(buf, entries[nentries].key)) {
        entries[nentries].country = (unsigned short)country;
        nentries++;
    }
}

/* add_code indexes a code as it is, in lower case: codes are not words
 * ("AND" is Andorra, "ET" Ethiopia, "ST" São Tomé). */
static void add_code(const char *code, size_t country)
{
    size_t i;

    if (nentries == INDEX_MAX)
        return;
    for (i = 0; code[i] != '\0' && i + 1 < KEY_SIZE; i++)
        entries[nentries].key[i] = (char)tolower((unsigned char)code[i]);
    entries[nentries].key[i] = '\0';
    entries[nentries].country = (unsigned short)country;
    nentries++;
}

static void build_index(void)
{
    for (size_t i = 0; i < contact_countries_count; i++) {
        const ContactCountry *c = &contact_countries[i];
        add_code(c->a2, i);
        add_code(c->a3, i);
        for (const char *p = c->names, *bar; *p != '\0'; p = *bar == '|' ? bar + 1 : bar) {
            bar = strchr(p, '|');
            if (bar == NULL)
                bar = p + strlen(p);
            add(p, (size_t)(bar - p), i);
        }
    }
    qsort(entries, nentries, sizeof entries[0], entry_cmp);
}

/* find returns the alpha-2 code of the first entry with key k, or NULL. */
static const char *find(const char *k)
{
    size_t lo = 0, hi;

    pthread_once(&index_once, build_index);
    hi = nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(entries[mid].key, k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nentries && strcmp(entries[lo].key, k) == 0
               ? contact_countries[entries[lo].country].a2
               : NULL;
}

/* lookup is find() of text as a code ("ci", " CIV "), else of its key. */
static const char *lookup(const char *text)
{
    char k[KEY_SIZE];
    size_t n = 0;
    const char *code;

    while (isspace((unsigned char)*text))
        text++;
    while (n < 3 && isalpha((unsigned char)text[n])) {
        k[n] = (char)tolower((unsigned char)text[n]);
        n++;
    }
    k[n] = '\0';
    if (n >= 2 && text[n + strspn(text + n, " \t\r\n")] == '\0' && (code = find(k)) != NULL)
        return code;
    return key(text, k) ? find(k) : NULL;
}

const char *contact_country_code(const char *text)
{
    const char *code, *comma, *paren;
    char head[256];

    if (text == NULL)
        return NULL;
    if ((code = lookup(text)) != NULL)
        return code;
    /* "Berlin, Germany", "Lyon, France": an address ending in a country. */
    if ((comma = strrchr(text, ',')) != NULL && (code = lookup(comma + 1)) != NULL)
        return code;
    /* "Germany (DE)", "Spain (Europe)": the name before the remark. */
    if ((paren = strchr(text, '(')) != NULL && (size_t)(paren - text) < sizeof head) {
        memcpy(head, text, (size_t)(paren - text));
        head[paren - text] = '\0';
        return lookup(head);
    }
    return NULL;
}

/* ccTLDs that are mostly bought as generic names, not by locals. */
static const char *const generic_cctlds[] = {"io", "co", "ai", "me", "tv", "ly", "fm", "gg",
                                             "to", "cc", "ws", "sh", "so", "nu", "tk", "ml",
                                             "ga", "cf", "gq", "la", "gl", "ms", "vc"};

const char *contact_country_from_tld(const char *domain)
{
    const char *dot;
    char k[3];

    if (domain == NULL || (dot = strrchr(domain, '.')) == NULL || strlen(dot + 1) != 2 ||
        !isalpha((unsigned char)dot[1]) || !isalpha((unsigned char)dot[2]))
        return NULL;
    for (size_t i = 0; i < sizeof generic_cctlds / sizeof generic_cctlds[0]; i++)
        if (strcasecmp(dot + 1, generic_cctlds[i]) == 0)
            return NULL;
    k[0] = (char)tolower((unsigned char)dot[1]);
    k[1] = (char)tolower((unsigned char)dot[2]);
    k[2] = '\0';
    return find(k); /* "uk" is a name of GB */
}
