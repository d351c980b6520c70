/* SPDX-License-Identifier: MIT */
/* test_cgi_item_rules.c - the per-type item shapes checked at submit. */
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "item_rules.h"

/* check loads items (JSON text) and runs the rules of type. */
static bool check(const char *type, const char *items, Error *err, char *field)
{
    json_t *v = json_loads(items, JSON_DECODE_INT_AS_REAL, NULL);
    REQUIRE(v != NULL);
    bool ok = item_rules_check(type, v, err, field, 64);
    json_decref(v);
    return ok;
}

static void enrich_shapes(void)
{
    Error err = {0};
    char field[64] = "";

    CHECK(check("enrich",
                "[\"SQ *COFFEE\", {\"description\": \"NETFLIX\", \"amount\": 9.99,"
                " \"mcc\": \"5814\", \"currency\": \"USD\", \"custom_id\": 7}]",
                &err, field));
    CHECK(!check("enrich", "[\"ok\", 42]", &err, field));
    CHECK_INT(err.status, 422);
    CHECK_STR(err.code, "invalid_item");
    CHECK_STR(field, "items[1]");
    CHECK(strstr(err.message, "items[1]") != NULL);
    CHECK(!check("enrich", "[{\"amount\": 3}]", &err, field));
    CHECK_STR(field, "items[0]");
    CHECK(
        !check("enrich", "[\"a\", \"b\", {\"description\": \"x\", \"currency\": 1}]", &err, field));
    CHECK_STR(field, "items[2]");
    CHECK(!check("enrich", "[{\"description\": \"x\", \"amount\": [1]}]", &err, field));
}

/* Amount, currency and date are checked as the handler reads them
 * (common/enrich_fields.c): what passes here, the handler takes. */
static void enrich_fields(void)
{
    Error err = {0};
    char field[64] = "";

    CHECK(check("enrich",
                "[{\"description\": \"NETFLIX\", \"amount\": \"-12.50\", \"currency\": \"gbp\","
                " \"date\": \"2026-04-12T10:00:00Z\"},"
                " {\"description\": \"x\", \"amount\": 12, \"currency\": null, \"date\": null}]",
                &err, field));
    CHECK(
        !check("enrich", "[\"a\", {\"description\": \"x\", \"currency\": \"XYZ\"}]", &err, field));
    CHECK_INT(err.status, 422);
    CHECK_STR(err.code, "invalid_item");
    CHECK_STR(field, "items[1]");
    CHECK(strstr(err.message, "items[1] of a enrich job: currency") != NULL);
    CHECK(!check("enrich", "[{\"description\": \"x\", \"amount\": \"12,50\"}]", &err, field));
    CHECK(strstr(err.message, "amount") != NULL);
    CHECK(!check("enrich", "[{\"description\": \"x\", \"amount\": 1e300}]", &err, field));
    CHECK(strstr(err.message, "amount") != NULL);
    /* 13 digits read as a real (pgjob.fcgi reads integers as reals) */
    CHECK(!check("enrich", "[{\"description\": \"x\", \"amount\": 10000000000000}]", &err, field));
    CHECK(!check("enrich", "[{\"description\": \"x\", \"date\": \"2025-02-29\"}]", &err, field));
    CHECK(strstr(err.message, "date") != NULL);
    CHECK(!check("enrich", "[{\"description\": \"x\", \"mcc\": true}]", &err, field));
    CHECK(strstr(err.message, "mcc") != NULL);
}

static void contact_shapes(void)
{
    Error err = {0};
    char field[64] = "";

    CHECK(check("contact", "[{\"email\": \"a@b.c\", \"phone\": 4930123, \"custom_id\": 1}, {}]",
                &err, field));
    CHECK(!check("contact", "[{\"email\": \"a@b.c\"}, \"not a record\"]", &err, field));
    CHECK_STR(field, "items[1]");
    CHECK_INT(err.status, 422);
    CHECK(!check("contact", "[{\"name\": 12}]", &err, field));
    CHECK(!check("contact", "[{\"phone\": true}]", &err, field));
}

static void invoice_shapes(void)
{
    Error err = {0};
    char field[64] = "";

    CHECK(check("invoice", "[{\"fields\": {\"total\": 5}, \"custom_id\": \"a\"}, {\"fields\": {}}]",
                &err, field));
    CHECK(check("invoice", "[{\"text\": \"Fattura 1\"}]", &err, field));
    CHECK(check("invoice", "[{\"file_base64\": \"JVBERg==\", \"filename\": \"a.pdf\"}]", &err,
                field));
    CHECK(check("invoice", "[{\"filename\": \"a.pdf\", \"data_base64\": \"JVBERg==\"}]", &err,
                field));
    CHECK(!check("invoice", "[{\"fields\": {}}, \"Fattura 1\"]", &err, field));
    CHECK_STR(field, "items[1]");
    CHECK_INT(err.status, 422);
    CHECK(!check("invoice", "[{\"fields\": [1]}]", &err, field));
    CHECK(!check("invoice", "[{\"text\": \"x\", \"fields\": {}}]", &err, field));
    CHECK(!check("invoice", "[{}]", &err, field));
}

static void other_types_take_anything(void)
{
    Error err = {0};
    char field[64] = "";

    CHECK(check("echo", "[1, \"x\", null, [1], {\"a\": 1}]", &err, field));
    CHECK(check("upper", "[true]", &err, field));
    CHECK_INT(err.status, 0);
}

const Test cgi_item_rules_tests[] = {
    {"cgi_item_rules_enrich", enrich_shapes},
    {"cgi_item_rules_enrich_fields", enrich_fields},
    {"cgi_item_rules_contact", contact_shapes},
    {"cgi_item_rules_invoice", invoice_shapes},
    {"cgi_item_rules_other_types", other_types_take_anything},
    {NULL, NULL},
};
