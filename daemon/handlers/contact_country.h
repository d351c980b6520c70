/* SPDX-License-Identifier: MIT */
/* contact_country.h - ISO 3166-1 alpha-2 codes from the ways people write a country. */
#ifndef PGJOB_CONTACT_COUNTRY_H
#define PGJOB_CONTACT_COUNTRY_H

/* contact_country_code returns the ISO 3166-1 alpha-2 code (static, upper
 * case) of text: a code (alpha-2 or alpha-3) of any ISO 3166-1 country,
 * an English name, a common short form ("USA", "U.K.", "Holland"), ISO's
 * inverted form ("Korea, Republic of") or a native name ("Deutschland",
 * "Côte d'Ivoire"), in any case and spacing, with or without accents;
 * else the country after the last comma ("Berlin, Germany") or before a
 * parenthesis ("Spain (EU)"); NULL when it knows none.  text may be NULL. */
const char *contact_country_code(const char *text);

/* contact_country_from_tld returns the alpha-2 code of a domain's country
 * code top-level domain ("acme.de" -> "DE", "acme.co.uk" -> "GB"), or NULL
 * for generic ones (.com, and ccTLDs used as generic: .io, .co, .ai, .me,
 * .tv...).  domain may be NULL. */
const char *contact_country_from_tld(const char *domain);

#endif
