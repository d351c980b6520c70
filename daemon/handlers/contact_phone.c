/* SPDX-License-Identifier: MIT */
/* contact_phone.c - calling codes and national number rules, to E.164. */
#include "contact_phone.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* PhoneRule is one country's numbering: its calling code, the national
 * trunk prefix dialled before the number at home ("" when none, as in
 * Italy where the leading 0 is part of the number) and the length range of
 * the national significant number (digits after the calling code). */
typedef struct PhoneRule {
    const char *country; /* ISO 3166-1 alpha-2 */
    const char *code;    /* calling code, digits */
    const char *trunk;   /* national trunk prefix, digits, or "" */
    int min_len, max_len;
} PhoneRule;

/* Grouped by region; countries that share a calling code (+1, +7) list
 * the one that places the others first: see put(). */
static const PhoneRule rules[] = {
    /* North America (NANP), placed by area code */
    {"US", "1", "1", 10, 10},
    {"CA", "1", "1", 10, 10},
    {"DO", "1", "1", 10, 10},
    {"PR", "1", "1", 10, 10},
    {"JM", "1", "1", 10, 10},
    {"TT", "1", "1", 10, 10},
    {"BS", "1", "1", 10, 10},
    {"BB", "1", "1", 10, 10},
    /* Western Europe */
    {"GB", "44", "0", 9, 10},
    {"IE", "353", "0", 7, 9},
    {"FR", "33", "0", 9, 9},
    {"DE", "49", "0", 6, 11},
    {"IT", "39", "", 6, 11},
    {"ES", "34", "", 9, 9},
    {"PT", "351", "", 9, 9},
    {"NL", "31", "0", 9, 9},
    {"BE", "32", "0", 8, 9},
    {"LU", "352", "", 4, 11},
    {"CH", "41", "0", 9, 9},
    {"AT", "43", "0", 4, 13},
    {"LI", "423", "", 7, 7},
    {"MC", "377", "", 8, 9},
    {"AD", "376", "", 6, 6},
    {"MT", "356", "", 8, 8},
    {"CY", "357", "", 8, 8},
    {"GR", "30", "", 10, 10},
    /* Nordics and Baltics */
    {"DK", "45", "", 8, 8},
    {"SE", "46", "0", 7, 10},
    {"NO", "47", "", 8, 8},
    {"FI", "358", "0", 5, 12},
    {"IS", "354", "", 7, 7},
    {"EE", "372", "", 7, 8},
    {"LV", "371", "", 8, 8},
    {"LT", "370", "8", 8, 8},
    /* Central and Eastern Europe */
    {"PL", "48", "", 9, 9},
    {"CZ", "420", "", 9, 9},
    {"SK", "421", "0", 9, 9},
    {"HU", "36", "06", 8, 9},
    {"SI", "386", "0", 8, 8},
    {"HR", "385", "0", 8, 9},
    {"BA", "387", "0", 8, 8},
    {"RS", "381", "0", 8, 9},
    {"ME", "382", "0", 8, 8},
    {"XK", "383", "0", 8, 9},
    {"MK", "389", "0", 8, 8},
    {"AL", "355", "0", 8, 9},
    {"BG", "359", "0", 8, 9},
    {"RO", "40", "0", 9, 9},
    {"MD", "373", "0", 8, 8},
    {"UA", "380", "0", 9, 9},
    {"BY", "375", "80", 9, 9},
    {"RU", "7", "8", 10, 10},
    {"KZ", "7", "8", 10, 10},
    {"GE", "995", "0", 9, 9},
    {"AM", "374", "0", 8, 8},
    {"AZ", "994", "0", 9, 9},
    {"UZ", "998", "", 9, 9},
    /* Middle East */
    {"TR", "90", "0", 10, 10},
    {"IL", "972", "0", 8, 9},
    {"AE", "971", "0", 8, 9},
    {"SA", "966", "0", 8, 9},
    {"QA", "974", "", 8, 8},
    {"KW", "965", "", 8, 8},
    {"BH", "973", "", 8, 8},
    {"OM", "968", "", 8, 8},
    {"JO", "962", "0", 8, 9},
    {"LB", "961", "0", 7, 8},
    {"IQ", "964", "0", 10, 10},
    {"IR", "98", "0", 10, 10},
    /* Africa */
    {"EG", "20", "0", 9, 10},
    {"MA", "212", "0", 9, 9},
    {"DZ", "213", "0", 8, 9},
    {"TN", "216", "", 8, 8},
    {"LY", "218", "0", 9, 9},
    {"SN", "221", "", 9, 9},
    {"ML", "223", "", 8, 8},
    {"GN", "224", "", 9, 9},
    {"CI", "225", "", 10, 10}, /* ten digits since 2021 */
    {"BF", "226", "", 8, 8},
    {"NE", "227", "", 8, 8},
    {"TG", "228", "", 8, 8},
    {"BJ", "229", "", 8, 10},
    {"MU", "230", "", 7, 8},
    {"GH", "233", "0", 9, 9},
    {"NG", "234", "0", 8, 10},
    {"CM", "237", "", 9, 9},
    {"CD", "243", "0", 9, 9},
    {"AO", "244", "", 9, 9},
    {"SD", "249", "0", 9, 9},
    {"RW", "250", "0", 9, 9},
    {"ET", "251", "0", 9, 9},
    {"KE", "254", "0", 9, 9},
    {"TZ", "255", "0", 9, 9},
    {"UG", "256", "0", 9, 9},
    {"MZ", "258", "", 8, 9},
    {"ZM", "260", "0", 9, 9},
    {"MG", "261", "0", 9, 9},
    {"ZW", "263", "0", 9, 9},
    {"NA", "264", "0", 8, 9},
    {"BW", "267", "", 7, 8},
    {"ZA", "27", "0", 9, 9},
    /* South and Central Asia */
    {"IN", "91", "0", 10, 10},
    {"PK", "92", "0", 9, 10},
    {"BD", "880", "0", 8, 10},
    {"LK", "94", "0", 9, 9},
    {"NP", "977", "0", 8, 10},
    /* East and South-East Asia */
    {"CN", "86", "0", 9, 11},
    {"HK", "852", "", 8, 8},
    {"MO", "853", "", 8, 8},
    {"TW", "886", "0", 8, 9},
    {"JP", "81", "0", 9, 10},
    {"KR", "82", "0", 8, 10},
    {"MN", "976", "", 8, 8},
    {"SG", "65", "", 8, 8},
    {"MY", "60", "0", 8, 10},
    {"TH", "66", "0", 8, 9},
    {"VN", "84", "0", 9, 10},
    {"KH", "855", "0", 8, 9},
    {"LA", "856", "0", 8, 10},
    {"MM", "95", "0", 7, 10},
    {"PH", "63", "0", 8, 10},
    {"ID", "62", "0", 8, 12},
    /* Oceania */
    {"AU", "61", "0", 9, 9},
    {"NZ", "64", "0", 8, 10},
    {"FJ", "679", "", 7, 7},
    {"PG", "675", "", 7, 8},
    /* Latin America */
    {"BR", "55", "0", 10, 11},
    {"MX", "52", "", 10, 10},
    {"AR", "54", "0", 10, 11},
    {"CL", "56", "", 9, 9},
    {"CO", "57", "", 10, 10},
    {"PE", "51", "0", 8, 9},
    {"VE", "58", "0", 10, 10},
    {"EC", "593", "0", 8, 9},
    {"UY", "598", "0", 8, 8},
    {"PY", "595", "0", 9, 9},
    {"BO", "591", "", 8, 8},
    {"CR", "506", "", 8, 8},
    {"PA", "507", "", 7, 8},
    {"GT", "502", "", 8, 8},
    {"SV", "503", "", 8, 8},
    {"HN", "504", "", 8, 8},
    {"NI", "505", "", 8, 8},
    {"CU", "53", "0", 8, 8},
};
enum { NRULES = sizeof(rules) / sizeof(rules[0]) };

/* Canadian area codes (NANP). */
static const int canada_areas[] = {
    204, 226, 236, 249, 250, 263, 289, 306, 343, 354, 365, 367, 368, 382, 387, 403, 416, 418, 428,
    431, 437, 438, 450, 468, 474, 506, 514, 519, 548, 579, 581, 584, 587, 600, 604, 613, 639, 647,
    672, 683, 705, 709, 742, 753, 778, 780, 782, 807, 819, 825, 867, 873, 879, 902, 905};

/* The area codes of the other NANP countries and territories; every other
 * valid +1 number is taken as US, which is right for the bulk of them. */
static const struct {
    int area;
    const char *country;
} nanp_areas[] = {
    {242, "BS"}, {246, "BB"}, {264, "AI"}, {268, "AG"}, {284, "VG"}, {340, "VI"}, {345, "KY"},
    {441, "BM"}, {473, "GD"}, {649, "TC"}, {658, "JM"}, {664, "MS"}, {670, "MP"}, {671, "GU"},
    {684, "AS"}, {721, "SX"}, {758, "LC"}, {767, "DM"}, {784, "VC"}, {787, "PR"}, {809, "DO"},
    {829, "DO"}, {849, "DO"}, {868, "TT"}, {869, "KN"}, {876, "JM"}, {939, "PR"},
};

int contact_phone_country_count(void)
{
    return NRULES;
}

static const PhoneRule *rule_of(const char *country)
{
    if (country == NULL)
        return NULL;
    for (size_t i = 0; i < NRULES; i++)
        if (strcmp(rules[i].country, country) == 0)
            return &rules[i];
    return NULL;
}

/* nanp_country places a ten-digit North American number by its area code,
 * or returns NULL when it is not a valid one (area and exchange start with
 * 2-9). */
static const char *nanp_country(const char *nsn)
{
    int area = (nsn[0] - '0') * 100 + (nsn[1] - '0') * 10 + (nsn[2] - '0');

    if (nsn[0] < '2' || nsn[3] < '2')
        return NULL;
    for (size_t i = 0; i < sizeof canada_areas / sizeof canada_areas[0]; i++)
        if (canada_areas[i] == area)
            return "CA";
    for (size_t i = 0; i < sizeof nanp_areas / sizeof nanp_areas[0]; i++)
        if (nanp_areas[i].area == area)
            return nanp_areas[i].country;
    return "US";
}

/* digits_of collects raw's digits into d (size n) up to an extension
 * marker, and says in *plus whether it begins with '+'.  Returns false on
 * letters other than an extension marker, or too many digits.  A "(0)"
 * after the calling code is dropped by the caller's trunk rules. */
static bool digits_of(const char *raw, char *d, size_t n, bool *plus)
{
    size_t k = 0;
    bool seen = false;

    *plus = false;
    for (const char *p = raw; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c)) {
            if (k + 1 >= n)
                return false;
            d[k++] = (char)c;
            seen = true;
        } else if (c == '+' && !seen && !*plus) {
            *plus = true;
        } else if (isalpha(c)) {
            if (!seen)
                continue; /* "tel:", "Phone:" and such before the number */
            if (c == 'x' || c == 'X' || c == 'e' || c == 'E')
                break; /* "x123", "ext. 12" */
            return false;
        } else if (c == '#' || c == ';' || c == ',') {
            if (seen)
                break; /* "#4", "; ext=4" */
        } else if (c < 0x80 && strchr(" -./()\t:", c) == NULL) {
            return false;
        }
    }
    d[k] = '\0';
    return k > 0;
}

/* nsn_fit says whether nsn fits rule's lengths (after dropping a trunk
 * prefix a writer kept: "+44 (0)20"); it may shift nsn past the trunk. */
static bool nsn_fit(const PhoneRule *r, const char **nsn)
{
    size_t len = strlen(*nsn), tl = strlen(r->trunk);

    if (tl > 0 && strncmp(*nsn, r->trunk, tl) == 0 && (int)(len - tl) >= r->min_len &&
        (int)(len - tl) <= r->max_len && ((int)len > r->max_len || r->trunk[0] == '0')) {
        /* A national number never starts with its trunk prefix "0"; for
         * "1" (NANP) and "8" (RU) only when the length says so. */
        *nsn += tl;
        len -= tl;
    }
    return (int)len >= r->min_len && (int)len <= r->max_len;
}

static bool put(ContactPhone *out, const PhoneRule *r, const char *nsn, double confidence)
{
    int n = snprintf(out->e164, sizeof out->e164, "+%s%s", r->code, nsn);

    if (n < 0 || (size_t)n >= sizeof out->e164 || strlen(r->code) + strlen(nsn) > 15)
        return false;
    out->country = r->country;
    out->confidence = confidence;
    if (strcmp(r->code, "1") == 0) {
        const char *c = nanp_country(nsn);
        if (c == NULL)
            return false;
        out->country = c;
    } else if (strcmp(r->code, "7") == 0) {
        /* +7 is Russia's and Kazakhstan's: Kazakh numbers start with 6 or 7. */
        out->country = nsn[0] == '6' || nsn[0] == '7' ? "KZ" : "RU";
    }
    return true;
}

/* first_of_code says whether r is the first rule of its calling code. */
static bool first_of_code(const PhoneRule *r)
{
    for (const PhoneRule *q = rules; q < r; q++)
        if (strcmp(q->code, r->code) == 0)
            return false;
    return true;
}

/* international places d (digits after '+' or "00") by its calling code:
 * the longest code that matches and leaves a national number of the right
 * length. */
static bool international(const char *d, ContactPhone *out)
{
    for (size_t len = 3; len >= 1; len--) {
        for (size_t i = 0; i < NRULES; i++) {
            const PhoneRule *r = &rules[i];
            const char *nsn = d + len;
            if (strlen(r->code) != len || strncmp(d, r->code, len) != 0)
                continue;
            if (!first_of_code(r))
                continue; /* +1 and +7 are read once and placed by put() */
            if (nsn_fit(r, &nsn))
                return put(out, r, nsn, 1.0);
        }
    }
    return false;
}

bool contact_phone_parse(const char *raw, const char *country, ContactPhone *out)
{
    char d[40];
    bool plus;
    const PhoneRule *r = rule_of(country);

    if (raw == NULL || !digits_of(raw, d, sizeof d, &plus))
        return false;
    if (plus)
        return international(d, out);
    if (strncmp(d, "00", 2) == 0)
        return international(d + 2, out);
    if (strncmp(d, "011", 3) == 0 && (r == NULL || strcmp(r->code, "1") == 0))
        return international(d + 3, out);
    if (r != NULL) {
        const char *nsn = d;
        /* "44 20 7946 0958" with the calling code but no '+': take it as
         * international when the national reading does not fit. */
        if (nsn_fit(r, &nsn))
            return put(out, r, nsn, 1.0);
        if (!international(d, out))
            return false;
        out->confidence = 0.7;
        return true;
    }
    /* No country: a North American number, alone or with its leading 1. */
    r = rule_of("US");
    if (strlen(d) == 11 && d[0] == '1')
        return put(out, r, d + 1, 0.6);
    if (strlen(d) == 10)
        return put(out, r, d, 0.5);
    return false;
}
