/* SPDX-License-Identifier: MIT */
/* item_rules.c - per-type item shapes, checked before a job is created. */
#include "item_rules.h"

#include <stdio.h>
#include <string.h>

#include "enrich_fields.h"

/* ItemCheck returns NULL when item fits, else why not (static text). */
typedef const char *(*ItemCheck)(const json_t *item);

/* optional_string says whether member name of o is absent, null or a string. */
static bool optional_string(const json_t *o, const char *name)
{
    const json_t *v = json_object_get(o, name);
    return v == NULL || json_is_null(v) || json_is_string(v);
}

/* An enrich item's amount, currency and date are checked by the code the
 * handler reads them with (common/enrich_fields.c): what passes here, the
 * handler takes. */
static const char *enrich_item(const json_t *item)
{
    EnrichFields fields;

    if (json_is_string(item))
        return NULL;
    if (!json_is_object(item))
        return "must be a descriptor string or an object with a description";
    if (!json_is_string(json_object_get(item, "description")))
        return "needs a \"description\" string";
    return enrich_fields_read(item, &fields);
}

static const char *contact_item(const json_t *item)
{
    static const char *const strings[] = {"name",   "first_name", "last_name", "email",  "company",
                                          "domain", "website",    "title",     "country"};

    if (!json_is_object(item))
        return "must be an object (a contact record)";
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (!optional_string(item, strings[i]))
            return "name, email, company, domain, website, title and country must be strings";
    }
    const json_t *phone = json_object_get(item, "phone");
    if (phone != NULL && !json_is_null(phone) && !json_is_string(phone) &&
        !json_is_integer(phone) && !json_is_real(phone))
        return "\"phone\" must be a string or a number";
    return NULL;
}

/* An invoice is a document (its text, a file in base64, or an upload:
 * checked by document.c, which keeps its bytes apart) or its
 * already-extracted fields (checked in full by the handler, which reports
 * a field it cannot read as a failed item). */
static const char *invoice_item(const json_t *item)
{
    /* an upload's item (upload.h) is described by its size and type */
    static const char *const documents[] = {"text", "file_base64", "data_base64", "size_bytes"};
    const json_t *fields;
    int given = 0;

    if (!json_is_object(item))
        return "must be an object with \"fields\", \"text\" or \"file_base64\"";
    for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++)
        given += json_object_get(item, documents[i]) != NULL;
    fields = json_object_get(item, "fields");
    if (fields != NULL && given > 0)
        return "takes either \"fields\" or a document (\"text\", \"file_base64\"), not both";
    if (fields == NULL && given == 0)
        return "needs \"fields\" (an object), or a document: \"text\" or \"file_base64\"";
    if (fields != NULL && !json_is_object(fields))
        return "\"fields\" must be an object";
    return NULL;
}

/* The types with a shape; any other takes any JSON value. */
static const struct {
    const char *type;
    ItemCheck check;
} rules[] = {
    {"enrich", enrich_item},
    {"contact", contact_item},
    {"invoice", invoice_item},
};

bool item_rules_check(const char *type, const json_t *items, Error *err, char *field,
                      size_t fieldsize)
{
    ItemCheck check = NULL;
    size_t i;
    const json_t *item;

    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        if (strcmp(rules[r].type, type) == 0)
            check = rules[r].check;
    }
    if (check == NULL)
        return true;
    json_array_foreach(items, i, item)
    {
        const char *why = check(item);
        if (why != NULL) {
            snprintf(field, fieldsize, "items[%zu]", i);
            error_set(err, 422, "invalid_item", "items[%zu] of a %s job: %s", i, type, why);
            return false;
        }
    }
    return true;
}
