/* SPDX-License-Identifier: MIT */
/* contact_country.c - country names, codes and spellings to ISO 3166-1 alpha-2. */
#include "contact_country.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* A country: its alpha-2 and alpha-3 codes and its names, '|'-separated,
 * each normalized as key() leaves it (lower case, letters and digits and
 * single spaces). */
typedef struct Country {
    const char *a2;
    const char *a3;
    const char *names;
} Country;

static const Country countries[] = {
    {"US", "USA",
     "united states|united states of america|us|usa|america|the united states|u s|u s a|"
     "estados unidos|etats unis|vereinigte staaten"},
    {"GB", "GBR",
     "united kingdom|uk|u k|great britain|britain|england|scotland|wales|northern ireland|"
     "gb|the united kingdom|united kingdom of great britain and northern ireland"},
    {"CA", "CAN", "canada"},
    {"MX", "MEX", "mexico|méxico"},
    {"BR", "BRA", "brazil|brasil"},
    {"AR", "ARG", "argentina"},
    {"CL", "CHL", "chile"},
    {"CO", "COL", "colombia"},
    {"PE", "PER", "peru|perú"},
    {"IE", "IRL", "ireland|eire|éire|republic of ireland"},
    {"FR", "FRA", "france|république française|republique francaise"},
    {"DE", "DEU", "germany|deutschland|allemagne|alemania|federal republic of germany"},
    {"IT", "ITA", "italy|italia|italie"},
    {"ES", "ESP", "spain|españa|espana|espagne"},
    {"PT", "PRT", "portugal"},
    {"NL", "NLD", "netherlands|the netherlands|holland|nederland|pays bas"},
    {"BE", "BEL", "belgium|belgique|belgie|belgië"},
    {"LU", "LUX", "luxembourg|luxemburg"},
    {"CH", "CHE", "switzerland|schweiz|suisse|svizzera|swiss confederation"},
    {"AT", "AUT", "austria|österreich|osterreich|oesterreich"},
    {"DK", "DNK", "denmark|danmark"},
    {"SE", "SWE", "sweden|sverige"},
    {"NO", "NOR", "norway|norge"},
    {"FI", "FIN", "finland|suomi"},
    {"IS", "ISL", "iceland|ísland"},
    {"PL", "POL", "poland|polska"},
    {"CZ", "CZE", "czech republic|czechia|česko|cesko|ceska republika"},
    {"SK", "SVK", "slovakia|slovensko"},
    {"HU", "HUN", "hungary|magyarország|magyarorszag"},
    {"RO", "ROU", "romania|românia"},
    {"BG", "BGR", "bulgaria"},
    {"GR", "GRC", "greece|hellas|ellada"},
    {"HR", "HRV", "croatia|hrvatska"},
    {"SI", "SVN", "slovenia"},
    {"RS", "SRB", "serbia"},
    {"UA", "UKR", "ukraine|ukraina"},
    {"RU", "RUS", "russia|russian federation|rossiya"},
    {"TR", "TUR", "turkey|türkiye|turkiye"},
    {"IL", "ISR", "israel"},
    {"AE", "ARE", "united arab emirates|uae|u a e|emirates"},
    {"SA", "SAU", "saudi arabia|ksa|kingdom of saudi arabia"},
    {"EG", "EGY", "egypt"},
    {"MA", "MAR", "morocco|maroc"},
    {"NG", "NGA", "nigeria"},
    {"KE", "KEN", "kenya"},
    {"ZA", "ZAF", "south africa|rsa"},
    {"IN", "IND", "india|bharat"},
    {"PK", "PAK", "pakistan"},
    {"CN", "CHN", "china|people s republic of china|prc|mainland china"},
    {"HK", "HKG", "hong kong|hongkong|hong kong sar"},
    {"TW", "TWN", "taiwan"},
    {"JP", "JPN", "japan|nippon"},
    {"KR", "KOR", "south korea|korea|republic of korea|korea republic of|korea south"},
    {"SG", "SGP", "singapore"},
    {"MY", "MYS", "malaysia"},
    {"TH", "THA", "thailand"},
    {"VN", "VNM", "vietnam|viet nam"},
    {"PH", "PHL", "philippines|the philippines"},
    {"ID", "IDN", "indonesia"},
    {"AU", "AUS", "australia"},
    {"NZ", "NZL", "new zealand|aotearoa"},
};
enum { NCOUNTRIES = sizeof(countries) / sizeof(countries[0]) };

/* key writes text normalized into out (size n): ASCII lower case, every run
 * of other ASCII punctuation and spaces one space, ends trimmed; bytes >=
 * 0x80 kept (UTF-8 names are listed as written, in lower case). */
static void key(const char *text, char *out, size_t n)
{
    size_t k = 0;
    bool space = false;

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && k + 2 < n; p++) {
        if (*p >= 0x80 || isalnum(*p)) {
            if (space && k > 0)
                out[k++] = ' ';
            space = false;
            /* Latin-1 capitals in UTF-8 (C3 80..9E) to their small letters. */
            if (*p == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E && p[1] != 0x97) {
                out[k++] = (char)*p++;
                out[k++] = (char)(*p + 0x20);
                continue;
            }
            out[k++] = (char)tolower(*p);
        } else if (*p != '.') {
            space = true; /* dots vanish: "U.S.A." is "usa" */
        }
    }
    out[k] = '\0';
}

/* has_name says whether the '|'-separated list names holds k. */
static bool has_name(const char *names, const char *k)
{
    size_t len = strlen(k);

    for (const char *p = names; p != NULL; p = strchr(p, '|')) {
        if (*p == '|')
            p++;
        if (strncmp(p, k, len) == 0 && (p[len] == '|' || p[len] == '\0'))
            return true;
    }
    return false;
}

const char *contact_country_code(const char *text)
{
    char k[128];

    if (text == NULL)
        return NULL;
    key(text, k, sizeof k);
    if (k[0] == '\0')
        return NULL;
    for (size_t i = 0; i < NCOUNTRIES; i++) {
        const Country *c = &countries[i];
        if ((strlen(k) == 2 && k[0] == tolower((unsigned char)c->a2[0]) &&
             k[1] == tolower((unsigned char)c->a2[1])) ||
            (strlen(k) == 3 && strncasecmp(k, c->a3, 3) == 0) || has_name(c->names, k))
            return c->a2;
    }
    /* "U.S." and "U.K." come out of key() as "us" and "uk": handled above.
     * A trailing state or region ("Berlin, Germany") is not guessed at. */
    return NULL;
}

/* ccTLDs that are mostly bought as generic names, not by locals. */
static const char *const generic_cctlds[] = {"io", "co", "ai", "me", "tv", "ly",  "fm", "gg",
                                             "to", "cc", "ws", "sh", "so", "app", "xyz"};

const char *contact_country_from_tld(const char *domain)
{
    const char *dot;
    char tld[8];

    if (domain == NULL || (dot = strrchr(domain, '.')) == NULL || strlen(dot + 1) != 2)
        return NULL;
    for (size_t i = 0; i < sizeof generic_cctlds / sizeof generic_cctlds[0]; i++)
        if (strcasecmp(dot + 1, generic_cctlds[i]) == 0)
            return NULL;
    if (strcasecmp(dot + 1, "uk") == 0)
        return "GB";
    tld[0] = dot[1];
    tld[1] = dot[2];
    tld[2] = '\0';
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (strcasecmp(countries[i].a2, tld) == 0)
            return countries[i].a2;
    return NULL;
}
