/* SPDX-License-Identifier: MIT */
/* enrich_place.c finds the trailing location of a descriptor (see enrich_place.h). */
#include "enrich_place.h"

#include <stdio.h>

#include "enrich_keywords.h"

static const char *const us_states[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", NULL,
};
static const char *const ca_provinces[] = {"ON", "QC", "BC", "AB", "MB", "SK",
                                           "NS", "NB", "PE", "YT", "NU", NULL};
/* Australian states: those that are no US state nor common word alone,
 * and those that are (WA, SA, NT, ACT) only before the country. */
/* Places spelled like company suffixes (noise words): Nevada, Sweden,
 * South Australia, Alberta, Norway; when last, they are the place. */
static const char *const suffix_places[] = {"NV", "SE", "SA", "AB", "NO", "AUT", "USA", "US", NULL};

static const char *const au_states[] = {"NSW", "VIC", "QLD", "TAS", NULL};
static const char *const au_states_with_country[] = {"WA",  "SA",  "NT",  "ACT", "NSW",
                                                     "VIC", "QLD", "TAS", NULL};

typedef struct Country {
    const char *code, *iso;
} Country;

static const Country countries[] = {
    {"USA", "US"}, {"GB", "GB"},  {"GBR", "GB"}, {"UK", "GB"},  {"CAN", "CA"}, {"IE", "IE"},
    {"IRL", "IE"}, {"FR", "FR"},  {"FRA", "FR"}, {"DEU", "DE"}, {"NL", "NL"},  {"NLD", "NL"},
    {"AU", "AU"},  {"AUS", "AU"}, {"MX", "MX"},  {"MEX", "MX"}, {"ESP", "ES"}, {"ITA", "IT"},
    {"DE", "DE"},  {"GER", "DE"}, {"BE", "BE"},  {"BEL", "BE"}, {"LU", "LU"},  {"LUX", "LU"},
    {"CH", "CH"},  {"CHE", "CH"}, {"AT", "AT"},  {"ES", "ES"},  {"IT", "IT"},  {"PT", "PT"},
    {"PRT", "PT"}, {"SE", "SE"},  {"SWE", "SE"}, {"NO", "NO"},  {"NOR", "NO"}, {"DK", "DK"},
    {"DNK", "DK"}, {"FI", "FI"},  {"FIN", "FI"}, {"NZ", "NZ"},  {"NZL", "NZ"}, {"PL", "PL"},
    {"POL", "PL"}, {"CZ", "CZ"},  {"EE", "EE"},  {"GR", "GR"},  {"GRC", "GR"}, {"SG", "SG"},
    {"AUT", "AT"}, {"CZE", "CZ"}, {"HUN", "HU"}, {"ROU", "RO"}, {"HRV", "HR"}, {"ISL", "IS"},
    {"JPN", "JP"}, {"HKG", "HK"}, {"SGP", "SG"}, {"ARE", "AE"}, {"ZAF", "ZA"}, {"BRA", "BR"},
};

/* City is a city outside the US that statements print without a region
 * ("TESCO STORES LONDON"), and its country. */
typedef struct City {
    const char *name, *iso;
} City;

/* Big cities of the UK, Ireland, Europe, Australia, New Zealand and
 * Canada: a trailing one is the location even without a country code. */
static const City world_cities[] = {
    {"LONDON", "GB"},        {"MANCHESTER", "GB"},   {"BIRMINGHAM", "GB"},
    {"LEEDS", "GB"},         {"LIVERPOOL", "GB"},    {"GLASGOW", "GB"},
    {"EDINBURGH", "GB"},     {"BRISTOL", "GB"},      {"CARDIFF", "GB"},
    {"BELFAST", "GB"},       {"SHEFFIELD", "GB"},    {"NOTTINGHAM", "GB"},
    {"LEICESTER", "GB"},     {"NEWCASTLE", "GB"},    {"NEWCASTLE UPON TYNE", "GB"},
    {"BRIGHTON", "GB"},      {"OXFORD", "GB"},       {"CAMBRIDGE", "GB"},
    {"READING", "GB"},       {"SOUTHAMPTON", "GB"},  {"PORTSMOUTH", "GB"},
    {"YORK", "GB"},          {"COVENTRY", "GB"},     {"BRADFORD", "GB"},
    {"WATFORD", "GB"},       {"CROYDON", "GB"},      {"ABERDEEN", "GB"},
    {"DUNDEE", "GB"},        {"SWANSEA", "GB"},      {"EXETER", "GB"},
    {"PLYMOUTH", "GB"},      {"NORWICH", "GB"},      {"DERBY", "GB"},
    {"WOLVERHAMPTON", "GB"}, {"HULL", "GB"},         {"MILTON KEYNES", "GB"},
    {"BOURNEMOUTH", "GB"},   {"BATH", "GB"},         {"CHESTER", "GB"},
    {"CANTERBURY", "GB"},    {"KINGS LYNN", "GB"},   {"STOKE ON TRENT", "GB"},
    {"WHITBY", "GB"},        {"DOVER", "GB"},        {"LUTON", "GB"},
    {"SLOUGH", "GB"},        {"SWINDON", "GB"},      {"IPSWICH", "GB"},
    {"COLCHESTER", "GB"},    {"CHELMSFORD", "GB"},   {"GUILDFORD", "GB"},
    {"MAIDSTONE", "GB"},     {"CHELTENHAM", "GB"},   {"GLOUCESTER", "GB"},
    {"WORCESTER", "GB"},     {"LINCOLN", "GB"},      {"PETERBOROUGH", "GB"},
    {"NORTHAMPTON", "GB"},   {"HARROGATE", "GB"},    {"WAKEFIELD", "GB"},
    {"HUDDERSFIELD", "GB"},  {"HALIFAX", "GB"},      {"BLACKPOOL", "GB"},
    {"PRESTON", "GB"},       {"BOLTON", "GB"},       {"STOCKPORT", "GB"},
    {"WARRINGTON", "GB"},    {"SUNDERLAND", "GB"},   {"MIDDLESBROUGH", "GB"},
    {"DURHAM", "GB"},        {"CARLISLE", "GB"},     {"LANCASTER", "GB"},
    {"INVERNESS", "GB"},     {"STIRLING", "GB"},     {"NEWPORT", "GB"},
    {"WREXHAM", "GB"},       {"BANGOR", "GB"},       {"TRURO", "GB"},
    {"TORQUAY", "GB"},       {"SALISBURY", "GB"},    {"WINCHESTER", "GB"},
    {"BASINGSTOKE", "GB"},   {"WOKING", "GB"},       {"CRAWLEY", "GB"},
    {"EASTBOURNE", "GB"},    {"HASTINGS", "GB"},     {"MARGATE", "GB"},
    {"ROMFORD", "GB"},       {"ILFORD", "GB"},       {"WIMBLEDON", "GB"},
    {"HAMMERSMITH", "GB"},   {"ISLINGTON", "GB"},    {"CAMDEN", "GB"},
    {"HACKNEY", "GB"},       {"BRIXTON", "GB"},      {"CLAPHAM", "GB"},
    {"WESTMINSTER", "GB"},   {"DERRY", "GB"},        {"LISBURN", "GB"},
    {"KILKENNY", "IE"},      {"WATERFORD", "IE"},    {"DROGHEDA", "IE"},
    {"DUNDALK", "IE"},       {"SLIGO", "IE"},        {"ATHLONE", "IE"},
    {"DUBLIN", "IE"},        {"CORK", "IE"},         {"GALWAY", "IE"},
    {"LIMERICK", "IE"},      {"AMSTERDAM", "NL"},    {"ROTTERDAM", "NL"},
    {"UTRECHT", "NL"},       {"DEN HAAG", "NL"},     {"EINDHOVEN", "NL"},
    {"GRONINGEN", "NL"},     {"HAARLEM", "NL"},      {"LEIDEN", "NL"},
    {"DELFT", "NL"},         {"TILBURG", "NL"},      {"NIJMEGEN", "NL"},
    {"BRUSSEL", "BE"},       {"BRUXELLES", "BE"},    {"BRUSSELS", "BE"},
    {"ANTWERPEN", "BE"},     {"GENT", "BE"},         {"BERLIN", "DE"},
    {"HAMBURG", "DE"},       {"MUENCHEN", "DE"},     {"MUNCHEN", "DE"},
    {"MUNICH", "DE"},        {"KOELN", "DE"},        {"KOLN", "DE"},
    {"COLOGNE", "DE"},       {"FRANKFURT", "DE"},    {"FRANKFURT AM MAIN", "DE"},
    {"STUTTGART", "DE"},     {"DUESSELDORF", "DE"},  {"DUSSELDORF", "DE"},
    {"DORTMUND", "DE"},      {"ESSEN", "DE"},        {"LEIPZIG", "DE"},
    {"BREMEN", "DE"},        {"DRESDEN", "DE"},      {"HANNOVER", "DE"},
    {"NUERNBERG", "DE"},     {"NURNBERG", "DE"},     {"AUGSBURG", "DE"},
    {"ULM", "DE"},           {"BONN", "DE"},         {"MANNHEIM", "DE"},
    {"KARLSRUHE", "DE"},     {"FREIBURG", "DE"},     {"HEIDELBERG", "DE"},
    {"WIESBADEN", "DE"},     {"MAINZ", "DE"},        {"MUENSTER", "DE"},
    {"WIEN", "AT"},          {"VIENNA", "AT"},       {"SALZBURG", "AT"},
    {"GRAZ", "AT"},          {"ZURICH", "CH"},       {"GENEVE", "CH"},
    {"GENEVA", "CH"},        {"BASEL", "CH"},        {"PARIS", "FR"},
    {"LYON", "FR"},          {"MARSEILLE", "FR"},    {"TOULOUSE", "FR"},
    {"NICE", "FR"},          {"NANTES", "FR"},       {"STRASBOURG", "FR"},
    {"MONTPELLIER", "FR"},   {"BORDEAUX", "FR"},     {"LILLE", "FR"},
    {"RENNES", "FR"},        {"REIMS", "FR"},        {"GRENOBLE", "FR"},
    {"DIJON", "FR"},         {"ANNECY", "FR"},       {"SAINT MALO", "FR"},
    {"CANNES", "FR"},        {"AVIGNON", "FR"},      {"MADRID", "ES"},
    {"BARCELONA", "ES"},     {"VALENCIA", "ES"},     {"SEVILLA", "ES"},
    {"ZARAGOZA", "ES"},      {"MALAGA", "ES"},       {"BILBAO", "ES"},
    {"CORDOBA", "ES"},       {"GRANADA", "ES"},      {"PALMA", "ES"},
    {"ALICANTE", "ES"},      {"MURCIA", "ES"},       {"SAN SEBASTIAN", "ES"},
    {"LISBOA", "PT"},        {"LISBON", "PT"},       {"PORTO", "PT"},
    {"ROMA", "IT"},          {"ROME", "IT"},         {"MILANO", "IT"},
    {"MILAN", "IT"},         {"NAPOLI", "IT"},       {"TORINO", "IT"},
    {"PALERMO", "IT"},       {"GENOVA", "IT"},       {"BOLOGNA", "IT"},
    {"FIRENZE", "IT"},       {"FLORENCE", "IT"},     {"VENEZIA", "IT"},
    {"VERONA", "IT"},        {"PISA", "IT"},         {"RIMINI", "IT"},
    {"MODENA", "IT"},        {"PARMA", "IT"},        {"BARI", "IT"},
    {"PADOVA", "IT"},        {"STOCKHOLM", "SE"},    {"GOTEBORG", "SE"},
    {"GOTHENBURG", "SE"},    {"MALMO", "SE"},        {"UPPSALA", "SE"},
    {"OSLO", "NO"},          {"BERGEN", "NO"},       {"TRONDHEIM", "NO"},
    {"STAVANGER", "NO"},     {"TROMSO", "NO"},       {"KOBENHAVN", "DK"},
    {"COPENHAGEN", "DK"},    {"AARHUS", "DK"},       {"ODENSE", "DK"},
    {"HELSINKI", "FI"},      {"ESPOO", "FI"},        {"TAMPERE", "FI"},
    {"TURKU", "FI"},         {"REYKJAVIK", "IS"},    {"SYDNEY", "AU"},
    {"MELBOURNE", "AU"},     {"BRISBANE", "AU"},     {"PERTH", "AU"},
    {"ADELAIDE", "AU"},      {"HOBART", "AU"},       {"DARWIN", "AU"},
    {"CANBERRA", "AU"},      {"GOLD COAST", "AU"},   {"AUCKLAND", "NZ"},
    {"WELLINGTON", "NZ"},    {"CHRISTCHURCH", "NZ"}, {"DUNEDIN", "NZ"},
    {"QUEENSTOWN", "NZ"},    {"TORONTO", "CA"},      {"MONTREAL", "CA"},
    {"VANCOUVER", "CA"},     {"CALGARY", "CA"},      {"EDMONTON", "CA"},
    {"OTTAWA", "CA"},        {"WINNIPEG", "CA"},     {"MISSISSAUGA", "CA"},
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
    /* outside the US */
    "NEWCASTLE UPON TYNE",
    "MILTON KEYNES",
    "KINGS LYNN",
    "STOKE ON TRENT",
    "SAINT MALO",
    "SAN SEBASTIAN",
    "DEN HAAG",
    "FRANKFURT AM MAIN",
    "GOLD COAST",
    "SUNSHINE COAST",
    "BONDI BEACH",
    "SURRY HILLS",
    "ST KILDA",
    "NORTH SYDNEY",
    "QUEBEC CITY",
    "NIAGARA FALLS",
    NULL,
};

/* is_place_word tells whether t may be a city's one word: not a trade
 * word ("CITY OF BOSTON PARKING MA" is in Boston, not in Parking). */
static bool is_place_word(const Token *t)
{
    EnrichCategory c;
    bool weak;

    return t->alpha && !t->digit && !token_noise(t) && !t->dot && t->len >= 3 &&
           !(enrich_keyword_of(t, &c, &weak) && !weak);
}

/* generic_name tells whether the name words among tokens [from, to) are
 * one business word alone ("PIZZERIA", "HOTEL"). */
static bool generic_name(const Tokens *tk, size_t from, size_t to)
{
    size_t words = 0;
    EnrichCategory c;
    bool weak, keyword = false;

    for (size_t k = from; k < to; k++) {
        if (token_noise(&tk->t[k]))
            continue;
        words++;
        keyword = enrich_keyword_of(&tk->t[k], &c, &weak);
    }
    return words == 1 && keyword;
}

/* world_city takes a big city outside the US that ends at token i, with
 * no region or country after it, for the location; keep tokens stay for
 * the name. */
static void world_city(const Tokens *tk, size_t from, long i, size_t keep, Location *loc,
                       EnrichResult *r)
{
    for (size_t c = 0; c < sizeof(world_cities) / sizeof(world_cities[0]); c++) {
        const char *name = world_cities[c].name;
        long words = 1;
        for (const char *p = name; *p != '\0'; p++)
            words += *p == ' ';
        if (i - words + 1 < (long)keep || i - words + 1 < 0 || tk->t[i - words + 1].s[0] != name[0])
            continue;
        if (enrich_phrase_end(tk, (size_t)(i - words + 1), name) != (size_t)i + 1)
            continue;
        if (generic_name(tk, from, (size_t)(i - words + 1)))
            return; /* "PIZZERIA NAPOLI", "HOTEL BERLIN": the city is the name */
        loc->city_from = i - words + 1;
        loc->city_to = i + 1;
        snprintf(r->country, sizeof(r->country), "%s", world_cities[c].iso);
        enrich_copy_title(tk, (size_t)loc->city_from, (size_t)loc->city_to, r->city,
                          sizeof(r->city));
        return;
    }
}

void enrich_locate(const Tokens *tk, size_t from, size_t keep, Location *loc, EnrichResult *r)
{
    long i = (long)tk->n - 1;

    *loc = (Location){-1, -1, -1, -1};
    /* trailing numbers and bank words, but not the places that are company
     * suffixes too */
    while (i >= (long)from &&
           (tk->t[i].digit || (token_noise(&tk->t[i]) && !token_in_list(&tk->t[i], suffix_places))))
        i--;
    if (i < (long)from)
        return;
    for (size_t c = 0; c < sizeof(countries) / sizeof(countries[0]) && !tk->t[i].dot; c++) {
        if (token_is(&tk->t[i], countries[c].code) ||
            (token_is(&tk->t[i], "US") && strcmp(countries[c].iso, "US") == 0)) {
            snprintf(r->country, sizeof(r->country), "%s", countries[c].iso);
            loc->country_at = i--;
            break;
        }
    }
    while (i >= (long)from && tk->t[i].digit)
        i--;
    if (i >= (long)from && i >= (long)keep && !tk->t[i].dot &&
        (token_in_list(&tk->t[i], au_states) ||
         (strcmp(r->country, "AU") == 0 && token_in_list(&tk->t[i], au_states_with_country)))) {
        snprintf(r->region, sizeof(r->region), "%s", tk->t[i].s);
        snprintf(r->country, sizeof(r->country), "AU");
        loc->region_at = i--;
    } else if (i >= (long)from && i >= (long)keep && tk->t[i].len == 2 && !tk->t[i].dot &&
               (token_in_list(&tk->t[i], us_states) || token_in_list(&tk->t[i], ca_provinces))) {
        bool canada = token_in_list(&tk->t[i], ca_provinces);
        snprintf(r->region, sizeof(r->region), "%s", tk->t[i].s);
        if (r->country[0] == '\0' || loc->country_at < 0)
            snprintf(r->country, sizeof(r->country), "%s", canada ? "CA" : "US");
        loc->region_at = i--;
    }
    if (loc->region_at < 0 && loc->country_at < 0) {
        world_city(tk, from, i, keep, loc, r);
        return;
    }
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
