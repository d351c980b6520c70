/* SPDX-License-Identifier: MIT */
/*
 * contact.h - one account or contact record normalized and enriched: the
 * pure core of the "contact" handler.  An input record is an object with
 * any of the string fields name, first_name, last_name, email, phone
 * (also a number), company, domain, website, title, country, custom_id;
 * other fields are kept and ignored.
 */
#ifndef PGJOB_CONTACT_H
#define PGJOB_CONTACT_H

#include <jansson.h>

#include "error.h"

/* Longest field value read, in bytes; a longer one is a per-item error. */
enum { CONTACT_FIELD_MAX = 256 };

/* contact_enrich returns a new object, the enriched record:
 *   {input, email: {address, valid, free_mail, role, disposable} | null,
 *    domain, company, phone: {e164, country} | null, country, first_name,
 *    last_name, seniority, department, confidence: {field: 0..1},
 *    undetermined: [field...]}
 * where a field it cannot determine is null and listed in undetermined,
 * and each one it can has a confidence.  It is deterministic.  On a record
 * it cannot read it returns NULL and fills err: status 400 with code
 * "invalid_item" (not an object), "invalid_field" (a field of the wrong
 * type or too long) or "empty_record" (none of the fields above); status
 * 500 "out_of_memory" when memory runs out. */
json_t *contact_enrich(const json_t *item, Error *err);

#endif
