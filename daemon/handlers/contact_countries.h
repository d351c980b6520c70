/* SPDX-License-Identifier: MIT */
/* contact_countries.h - the ISO 3166-1 countries and the ways people write them. */
#ifndef PGJOB_CONTACT_COUNTRIES_H
#define PGJOB_CONTACT_COUNTRIES_H

#include <stddef.h>

/* ContactCountry is one country: its alpha-2 and alpha-3 codes and its
 * names, '|'-separated, as people write them (English, native, former and
 * ISO's "Korea, Republic of" forms).  contact_country.c matches them with
 * case, accents, spaces and punctuation ignored, so "Côte d'Ivoire" also
 * stands for "COTE D IVOIRE" and "Cote-d’Ivoire". */
typedef struct ContactCountry {
    const char *a2;
    const char *a3;
    const char *names;
} ContactCountry;

/* Every ISO 3166-1 country, and Kosovo (XK, user-assigned but in use). */
extern const ContactCountry contact_countries[];
extern const size_t contact_countries_count;

#endif
