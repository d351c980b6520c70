/* SPDX-License-Identifier: MIT */
/* enrich_place.c finds the trailing location of a descriptor (see enrich_place.h). */
#include "enrich_place.h"

#include <stdio.h>

static const char *const us_states[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", NULL,
};
static const char *const ca_provinces[] = {"ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", NULL};

typedef struct Country {
    const char *code, *iso;
} Country;

static const Country countries[] = {
    {"USA", "US"}, {"GB", "GB"},  {"GBR", "GB"}, {"UK", "GB"},  {"CAN", "CA"}, {"IE", "IE"},
    {"IRL", "IE"}, {"FR", "FR"},  {"FRA", "FR"}, {"DEU", "DE"}, {"NL", "NL"},  {"NLD", "NL"},
    {"AU", "AU"},  {"AUS", "AU"}, {"MX", "MX"},  {"MEX", "MX"}, {"ESP", "ES"}, {"ITA", "IT"},
};

/* Cities of more than one word, or that could pass for a name's last word. */
static const char *const known_cities[] = {
    "SAN FRANCISCO",
    "SAN JOSE",
    "SAN DIEGO",
    "SAN ANTONIO",
    "SAN MATEO",
    "SANTA MONICA",
    "SANTA CLARA",
    "SANTA BARBARA",
    "SANTA CRUZ",
    "SANTA ANA",
    "SANTA FE",
    "LOS ANGELES",
    "LOS GATOS",
    "LAS VEGAS",
    "NEW YORK",
    "NEW ORLEANS",
    "NEW HAVEN",
    "JERSEY CITY",
    "FORT WORTH",
    "FT WORTH",
    "FORT LAUDERDALE",
    "FT LAUDERDALE",
    "ST LOUIS",
    "SAINT LOUIS",
    "ST PAUL",
    "ST PETERSBURG",
    "SALT LAKE CITY",
    "SALT LAKE CTY",
    "KANSAS CITY",
    "OKLAHOMA CITY",
    "COLORADO SPRINGS",
    "PALO ALTO",
    "MOUNTAIN VIEW",
    "MENLO PARK",
    "REDWOOD CITY",
    "DALY CITY",
    "BEVERLY HILLS",
    "CULVER CITY",
    "LONG BEACH",
    "LONG ISLAND CITY",
    "VIRGINIA BEACH",
    "BATON ROUGE",
    "CORPUS CHRISTI",
    "EL PASO",
    "ANN ARBOR",
    "GRAND RAPIDS",
    "DES MOINES",
    "BOCA RATON",
    "CORAL GABLES",
    "MIAMI BEACH",
    "WEST PALM BEACH",
    "PALM SPRINGS",
    "CHAPEL HILL",
    "WINSTON SALEM",
    "NEWPORT BEACH",
    "HUNTINGTON BEACH",
    "THOUSAND OAKS",
    "WALNUT CREEK",
    "SOUTH SAN FRANCISCO",
    "NORTH HOLLYWOOD",
    "WEST HOLLYWOOD",
    "ST AUGUSTINE",
    "CEDAR RAPIDS",
    "SIOUX FALLS",
    "ROUND ROCK",
    "COLLEGE STATION",
    "OVERLAND PARK",
    "NEW BRUNSWICK",
    "WHITE PLAINS",
    "SILVER SPRING",
    "CHEVY CHASE",
    "BOWLING GREEN",
    "LITTLE ROCK",
    "PANAMA CITY",
    "DAYTONA BEACH",
    "POMPANO BEACH",
    "RANCHO CUCAMONGA",
    "DELRAY BEACH",
    "GREEN BAY",
    "PORT ST LUCIE",
    "SOUTH BEND",
    "FORT COLLINS",
    "FT COLLINS",
    "CAPE CORAL",
    "LAKE FOREST",
    "ELK GROVE",
    NULL,
};

static bool is_place_word(const Token *t)
{
    return t->alpha && !t->digit && !noise(t) && !t->dot && t->len >= 3;
}

void enrich_locate(const Tokens *tk, size_t from, size_t keep, Location *loc, EnrichResult *r)
{
    long i = (long)tk->n - 1;

    *loc = (Location){-1, -1, -1, -1};
    while (i >= (long)from && (tk->t[i].digit || (noise(&tk->t[i]) && !tok_is(&tk->t[i], "US") &&
                                                  !tok_is(&tk->t[i], "USA"))))
        i--;
    if (i < (long)from)
        return;
    for (size_t c = 0; c < sizeof(countries) / sizeof(countries[0]); c++) {
        if (tok_is(&tk->t[i], countries[c].code) ||
            (tok_is(&tk->t[i], "US") && strcmp(countries[c].iso, "US") == 0)) {
            snprintf(r->country, sizeof(r->country), "%s", countries[c].iso);
            loc->country_at = i--;
            break;
        }
    }
    while (i >= (long)from && tk->t[i].digit)
        i--;
    if (i >= (long)from && i >= (long)keep && tk->t[i].len == 2 && !tk->t[i].dot &&
        (in_list(&tk->t[i], us_states) || in_list(&tk->t[i], ca_provinces))) {
        bool canada = in_list(&tk->t[i], ca_provinces);
        snprintf(r->region, sizeof(r->region), "%s", tk->t[i].s);
        if (r->country[0] == '\0' || loc->country_at < 0)
            snprintf(r->country, sizeof(r->country), "%s", canada ? "CA" : "US");
        loc->region_at = i--;
    }
    if (loc->region_at < 0 && loc->country_at < 0)
        return;
    while (i >= (long)from && tk->t[i].digit)
        i--;
    /* a known city of several words, else one place word */
    for (long j = i - 3 > (long)keep ? i - 3 : (long)keep; j <= i && loc->city_from < 0; j++) {
        for (const char *const *c = known_cities; *c != NULL; c++) {
            if ((*c)[0] == tk->t[j].s[0] && enrich_phrase_end(tk, (size_t)j, *c) == (size_t)i + 1) {
                loc->city_from = j;
                loc->city_to = i + 1;
                break;
            }
        }
    }
    if (loc->city_from < 0 && i >= (long)keep && (i > (long)keep || keep > from) &&
        is_place_word(&tk->t[i]) && !tk->t[i].star) {
        loc->city_from = i;
        loc->city_to = i + 1;
    }
    if (loc->city_from >= 0)
        enrich_copy_title(tk, (size_t)loc->city_from, (size_t)loc->city_to, r->city,
                          sizeof(r->city));
}
