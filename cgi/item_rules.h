/* SPDX-License-Identifier: MIT */
/*
 * item_rules.h - the shape of the items each built-in handler reads,
 * checked at submit time so that a job its handler cannot read is refused
 * with the index of the first bad item instead of failing item by item.
 *
 *   enrich   a descriptor string, or an object whose "description" is a
 *            string, with amount, currency and date well-formed when
 *            present (common/enrich_fields.h), mcc a string or a number
 *            and custom_id anything
 *   contact  an object whose name, first_name, last_name, email, company,
 *            domain, website, title and country are strings when present,
 *            and phone a string or a number
 * Other types (echo, exec types) take any JSON value.
 */
#ifndef PGJOB_ITEM_RULES_H
#define PGJOB_ITEM_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* item_rules_check checks items (an array, borrowed) of a job of type.
 * Returns true when every item fits, else false with err 422 invalid_item
 * ("items[3]: ...") and field "items[3]" written to field[fieldsize]. */
bool item_rules_check(const char *type, const json_t *items, Error *err, char *field,
                      size_t fieldsize) __attribute__((warn_unused_result));

#endif
