/* SPDX-License-Identifier: MIT */
/* contact_phone.h - telephone numbers as people write them, to E.164. */
#ifndef PGJOB_CONTACT_PHONE_H
#define PGJOB_CONTACT_PHONE_H

#include <stdbool.h>

/* Size of an E.164 number as text: '+', at most 15 digits, NUL. */
enum { CONTACT_E164_SIZE = 17 };

/* ContactPhone is a number in E.164 and the country it belongs to. */
typedef struct ContactPhone {
    char e164[CONTACT_E164_SIZE]; /* "+14155550134" */
    const char *country;          /* ISO 3166-1 alpha-2, static */
    double confidence;            /* 0..1: lower when the country was guessed */
} ContactPhone;

/* contact_phone_parse reads raw: an international number ("+44 20 7946
 * 0958", "0044 ...", "+44 (0)20 ...") or a national one in the format of
 * country (alpha-2, may be NULL: then only a ten-digit North American
 * number is taken, as US or CA by its area code, with a lower confidence).
 * Extensions ("x123", "ext. 4") are dropped.  It checks the calling code
 * and the length of the national number for the countries it knows (at
 * least 30).  Returns false, leaving out unspecified, when raw is not a
 * number it can place. */
bool contact_phone_parse(const char *raw, const char *country, ContactPhone *out)
    __attribute__((warn_unused_result));

/* contact_phone_country_count is the number of countries the rules know. */
int contact_phone_country_count(void);

#endif
