/* SPDX-License-Identifier: MIT */
/*
 * test_enrich.c tests the enrich handler: the merchant table
 * (daemon/handlers/enrich_merchants.c), the descriptor pipeline (daemon/handlers/enrich.c),
 * the handler's result objects (daemon/handlers/handler_enrich.c), and its accuracy
 * on the labeled corpora tests/enrich/corpus.tsv and international.tsv,
 * field by field, against floors (see ACCURACY_FLOORS below).
 * enrich_corpus and enrich_international print the accuracy tables
 * (enrich_corpus a throughput figure too);
 * tests/integration/test_enrich_corpus.py runs them alone and shows them.
 * Everything here uses the embedded table (enrich_table_default);
 * test_enrich_table.c tests tables and caches.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "enrich.h"
#include "enrich_merchants.h"
#include "enrich_table.h"
#include "handler_enrich.h"
#include "suites.h"

#ifndef PGJOB_ENRICH_CORPUS
#define PGJOB_ENRICH_CORPUS "tests/enrich/corpus.tsv"
#endif
#ifndef PGJOB_ENRICH_INTERNATIONAL
#define PGJOB_ENRICH_INTERNATIONAL "tests/enrich/international.tsv"
#endif

static EnrichResult describe(const char *text, const char *mcc)
{
    EnrichResult r;

    enrich_describe(enrich_table_default(),
                    &(EnrichInput){.text = text, .len = strlen(text), .mcc = mcc}, &r);
    return r;
}

/* ---- the merchant table ---------------------------------------------------- */

static void merchants_table(void)
{
    EnrichTableStats st;

    CHECK(enrich_merchants_count >= 500);
    for (size_t i = 0; i < enrich_merchants_count; i++) {
        EnrichCategory c;
        const EnrichMerchant *m = &enrich_merchants[i];
        if (!CHECK(enrich_category_parse(m->category, &c)))
            fprintf(stderr, "merchant %s: category %s\n", m->name, m->category);
        CHECK(m->mcc[0] == '\0' || strlen(m->mcc) == 4);
    }
    REQUIRE(enrich_table_default() != NULL);
    enrich_table_stats(enrich_table_default(), &st);
    CHECK_INT(st.rows, enrich_merchants_count);
    CHECK(st.keys > enrich_merchants_count);
    /* A key two shipped merchants claim would skip a row: none may. */
    CHECK_INT(st.skipped, 0);
    CHECK_INT(st.overridden, 0);
}

static void merchants_key(void)
{
    char key[ENRICH_KEY_MAX + 1];
    char big[100];

    CHECK_INT(enrich_merchants_key("Wal-Mart", 8, key), 7);
    CHECK_STR(key, "WALMART");
    CHECK_INT(enrich_merchants_key("McDonald's #123", 15, key), 12);
    CHECK_STR(key, "MCDONALDS123");
    CHECK_INT(enrich_merchants_key(" - ", 3, key), 0);
    memset(big, 'A', sizeof(big));
    CHECK_INT(enrich_merchants_key(big, sizeof(big), key), 0);
}

static void merchants_find(void)
{
    const EnrichTable *t = enrich_table_default();
    int m = enrich_table_find(t, "WHOLEFDS", 8);

    REQUIRE(m >= 0);
    CHECK_STR(enrich_table_row(t, m)->name, "Whole Foods Market");
    m = enrich_table_find(t, "WALMART", 7);
    REQUIRE(m >= 0);
    CHECK_STR(enrich_table_row(t, m)->name, "Walmart");
    CHECK_INT(enrich_table_find(t, "NOSUCHMERCHANTXYZ", 17), -1);
    CHECK_INT(enrich_table_find(t, "", 0), -1);
}

/* ---- the pipeline ---------------------------------------------------------- */

static void enrich_square(void)
{
    EnrichResult r = describe("SQ *BLUE BOTTLE COFFE Oakland CA", NULL);

    CHECK(!r.rejected);
    CHECK_STR(r.merchant, "Blue Bottle Coffee");
    CHECK_STR(r.domain, "bluebottlecoffee.com");
    CHECK_STR(enrich_category_name(r.category), "coffee");
    CHECK_STR(r.processor, "Square");
    CHECK_STR(enrich_channel_name(r.channel), "in_store");
    CHECK_STR(r.city, "Oakland");
    CHECK_STR(r.region, "CA");
    CHECK_STR(r.country, "US");
    CHECK_STR(enrich_type_name(r.type), "purchase");
    CHECK_STR(r.mcc, "5814");
    CHECK(r.confidence >= 0.8);
    CHECK_STR(r.normalized, "SQ BLUE BOTTLE COFFE OAKLAND CA");
}

static void enrich_amazon_marketplace(void)
{
    EnrichResult r = describe("AMZN Mktp US*2K3L45TY1", NULL);

    CHECK_STR(r.merchant, "Amazon");
    CHECK_STR(r.processor, "Amazon Marketplace");
    CHECK_STR(enrich_category_name(r.category), "shopping");
    CHECK_STR(enrich_channel_name(r.channel), "online");
    CHECK_STR(r.city, "");
}

static void enrich_netflix_phone(void)
{
    EnrichResult r = describe("POS DEBIT 0412 NETFLIX.COM 866-579-7172 CA", NULL);

    CHECK_STR(r.merchant, "Netflix");
    CHECK_STR(enrich_category_name(r.category), "subscriptions");
    CHECK(r.is_subscription);
    CHECK_STR(enrich_channel_name(r.channel), "online");
    CHECK_STR(r.region, "CA");
    CHECK_STR(r.city, "");
    CHECK(r.processor == NULL);
}

static void enrich_unknown(void)
{
    EnrichResult r = describe("CHECKCARD 0412 JOE S PIZZA HOBOKEN NJ 24431", NULL);

    CHECK(!r.rejected);
    CHECK_INT(r.merchant_index, -1);
    CHECK_STR(r.merchant, "Joe's Pizza");
    CHECK_STR(enrich_category_name(r.category), "restaurants");
    CHECK_STR(r.city, "Hoboken");
    CHECK_STR(r.region, "NJ");
    /* an unknown merchant with a trade word: under any table match (0.7) */
    CHECK(r.confidence < 0.7);
    r = describe("ZQXW HOLDINGS", NULL);
    CHECK_STR(r.merchant, "Zqxw Holdings");
    CHECK(r.confidence <= 0.25);
    r = describe("ZQXW HOLDINGS", "5812");
    CHECK_STR(enrich_category_name(r.category), "restaurants");
    CHECK_STR(r.mcc, "5812");
}

static void enrich_types(void)
{
    EnrichResult r = describe("ATM WITHDRAWAL 0412 CHASE 1234 MAIN ST NEW YORK NY", NULL);

    CHECK_STR(enrich_type_name(r.type), "atm_withdrawal");
    CHECK_STR(enrich_channel_name(r.channel), "atm");
    CHECK_STR(enrich_category_name(r.category), "atm");
    r = describe("MONTHLY MAINTENANCE FEE", NULL);
    CHECK_STR(enrich_type_name(r.type), "fee");
    CHECK_STR(enrich_category_name(r.category), "fees");
    CHECK(!r.is_subscription);
    r = describe("ACME CORP DES:PAYROLL ID:XXXXX1234 INDN:DOE JANE CO ID:XXXXX PPD", NULL);
    CHECK_STR(enrich_type_name(r.type), "income");
    CHECK_STR(r.merchant, "Acme"); /* company suffixes are no part of a name */
    r = describe("Zelle payment to JOHN SMITH Conf# abc123", NULL);
    CHECK_STR(enrich_type_name(r.type), "transfer");
    CHECK_STR(r.merchant, "Zelle");
    r = describe("AMAZON.COM REFUND AMZN.COM/BILL WA", NULL);
    CHECK_STR(enrich_type_name(r.type), "refund");
    CHECK_STR(enrich_category_name(r.category), "refunds");
}

static void enrich_rejects(void)
{
    EnrichResult r = describe("", NULL);
    char big[ENRICH_INPUT_MAX + 2];

    CHECK(r.rejected);
    r = describe(" *** -- ", NULL);
    CHECK(r.rejected);
    r = describe("POS DEBIT 04/12 123456 XXXX1234", NULL);
    CHECK(r.rejected);
    CHECK(r.reason != NULL);
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    r = describe(big, NULL);
    CHECK(r.rejected);
}

static void enrich_deterministic(void)
{
    EnrichResult a = describe("TST* JOES DINER - PORTLAND PORTLAND OR", NULL);
    EnrichResult b = describe("TST* JOES DINER - PORTLAND PORTLAND OR", NULL);

    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    CHECK_STR(a.processor, "Toast");
}

/* Bytes that are not ASCII, controls and very many tokens are handled. */
static void enrich_odd_bytes(void)
{
    char many[ENRICH_INPUT_MAX];
    EnrichResult r = describe("CAF\xc3\x89 DE FLORE PARIS FRA", NULL);

    CHECK(!r.rejected);
    CHECK_STR(r.country, "FR");
    for (size_t i = 0; i + 2 < sizeof(many); i += 2) {
        many[i] = 'A';
        many[i + 1] = ' ';
    }
    many[sizeof(many) - 1] = '\0';
    r = describe(many, NULL);
    CHECK(!r.rejected);
    r = describe("\t\r\nSTARBUCKS\x01\x7f", NULL);
    CHECK_STR(r.merchant, "Starbucks");
}

static void enrich_mcc(void)
{
    EnrichCategory c;

    CHECK(enrich_mcc_category("5411", &c) && c == ENRICH_GROCERIES);
    CHECK(enrich_mcc_category("4121", &c) && c == ENRICH_TRANSPORT);
    CHECK(enrich_mcc_category("0742", &c) && c == ENRICH_HEALTH);
    CHECK(!enrich_mcc_category("54x1", &c));
    CHECK(!enrich_mcc_category("541", &c));
    CHECK(!enrich_mcc_category("0001", &c));
}

/* ---- the amount, currency and date ------------------------------------------ */

static EnrichResult describe_amount(const char *text, double amount)
{
    EnrichResult r;

    enrich_describe(
        enrich_table_default(),
        &(EnrichInput){.text = text, .len = strlen(text), .has_amount = true, .amount = amount},
        &r);
    return r;
}

/* One rule of step 7 (enrich.h): the text, the amount, the type wanted,
 * and the confidence wanted relative to the same text without an amount. */
typedef struct AmountCase {
    const char *text;
    double amount;
    const char *type;
    double delta;
} AmountCase;

static const AmountCase amount_cases[] = {
    /* a known merchant: the amount settles purchase or refund, and is sure */
    {"AMAZON.COM AMZN.COM/BILL WA", -25.99, "purchase", 0},
    {"AMAZON.COM AMZN.COM/BILL WA", 25.99, "refund", 0},
    {"SQ *BLUE BOTTLE COFFE Oakland CA", 4.5, "refund", 0},
    /* an unknown name paid back: a refund, or with ACH words income; less sure */
    {"ZQXW HOLDINGS", 100, "refund", -0.1},
    {"ZQXW HOLDINGS", -100, "purchase", 0},
    {"GLOBEX CORP DES:VENDORPMT ID:12345 CCD", 1200, "income", -0.1},
    /* income words: a credit is income; a debit cannot be, and is less sure */
    {"ACME CORP DES:PAYROLL ID:XXXXX1234 INDN:DOE JANE CO ID:XXXXX PPD", 2500, "income", 0},
    {"ACME CORP DES:PAYROLL ID:XXXXX1234 INDN:DOE JANE CO ID:XXXXX PPD", -2500, "transfer", -0.2},
    {"MOBILE DEPOSIT REF 123456789", 300, "income", 0},
    /* refund words: a debit keeps them but is less sure */
    {"AMAZON.COM REFUND AMZN.COM/BILL WA", 25.99, "refund", 0},
    {"AMAZON.COM REFUND AMZN.COM/BILL WA", -25.99, "refund", -0.2},
    /* transfers stay transfers either way */
    {"Zelle payment to JOHN SMITH Conf# abc123", -50, "transfer", 0},
    {"Zelle payment to JOHN SMITH Conf# abc123", 50, "transfer", 0},
    {"ONLINE TRANSFER TO SAV XXXXXX1234", -500, "transfer", 0},
    /* bank fees: paid back is a refund, surer with a refund word */
    {"MONTHLY MAINTENANCE FEE", -12, "fee", 0},
    {"MONTHLY MAINTENANCE FEE", 12, "refund", -0.1},
    {"OVERDRAFT FEE REFUND", 35, "refund", 0},
    /* ATM: a deposit word explains a credit; without one the credit is unclear */
    {"ATM CASH DEPOSIT 1234 MAIN ST NEW YORK NY", 200, "income", 0},
    {"ATM WITHDRAWAL 0412 CHASE 1234 MAIN ST NEW YORK NY", -200, "atm_withdrawal", 0},
    {"ATM WITHDRAWAL 0412 CHASE 1234 MAIN ST NEW YORK NY", 200, "atm_withdrawal", -0.2},
    /* 0 moves no money: as without an amount */
    {"AMAZON.COM AMZN.COM/BILL WA", 0, "purchase", 0},
};

static void enrich_amount_rules(void)
{
    for (size_t i = 0; i < sizeof(amount_cases) / sizeof(amount_cases[0]); i++) {
        const AmountCase *c = &amount_cases[i];
        EnrichResult plain = describe(c->text, NULL);
        EnrichResult r = describe_amount(c->text, c->amount);
        bool ok = CHECK(!r.rejected);

        ok &= CHECK_STR(enrich_type_name(r.type), c->type);
        ok &= CHECK(r.confidence > plain.confidence + c->delta - 1e-9 &&
                    r.confidence < plain.confidence + c->delta + 1e-9);
        ok &= CHECK_INT(r.direction, c->amount < 0   ? ENRICH_DIRECTION_DEBIT
                                     : c->amount > 0 ? ENRICH_DIRECTION_CREDIT
                                                     : ENRICH_DIRECTION_NONE);
        /* the amount never changes who the merchant is */
        ok &= CHECK_STR(r.merchant, plain.merchant);
        if (!ok)
            fprintf(stderr, "amount case %zu: %s %.2f: %s %.2f (without: %s %.2f)\n", i, c->text,
                    c->amount, enrich_type_name(r.type), r.confidence, enrich_type_name(plain.type),
                    plain.confidence);
    }
}

/* A refund's category, channel and subscription flag follow its type. */
static void enrich_amount_refund_shape(void)
{
    EnrichResult r = describe_amount("NETFLIX.COM 866-579-7172 CA", 15.49);

    CHECK_STR(enrich_type_name(r.type), "refund");
    CHECK_STR(enrich_category_name(r.category), "refunds");
    CHECK_STR(r.merchant, "Netflix");
    CHECK(!r.is_subscription);
    r = describe_amount("ATM CASH DEPOSIT 1234 MAIN ST NEW YORK NY", 200);
    CHECK_STR(enrich_category_name(r.category), "income");
    CHECK_STR(enrich_channel_name(r.channel), "atm");
    CHECK_STR(enrich_direction_name(r.direction), "credit");
    CHECK_STR(enrich_direction_name(ENRICH_DIRECTION_DEBIT), "debit");
    CHECK(enrich_direction_name(ENRICH_DIRECTION_NONE) == NULL);
}

static EnrichResult describe_currency(const char *text, const char *currency)
{
    EnrichResult r;

    enrich_describe(enrich_table_default(),
                    &(EnrichInput){.text = text, .len = strlen(text), .currency = currency}, &r);
    return r;
}

static void enrich_currency_hint(void)
{
    EnrichResult r = describe_currency("TESCO STORES 3297", "GBP");

    CHECK_STR(r.merchant, "Tesco");
    CHECK_STR(r.country, "GB");
    CHECK_STR(r.city, "");
    CHECK_STR(r.region, "");
    CHECK_STR(enrich_country_source_name(r.country_source), "currency");
    CHECK(r.location_confidence > 0.39 && r.location_confidence < 0.41);
    CHECK(r.confidence == describe("TESCO STORES 3297", NULL).confidence);
    r = describe_currency("TIM HORTONS #2231", "CAD");
    CHECK_STR(r.country, "CA");
    r = describe_currency("WOOLWORTHS 1234", "AUD");
    CHECK_STR(r.country, "AU");
    /* a currency of several countries says nothing */
    r = describe_currency("TESCO STORES 3297", "EUR");
    CHECK_STR(r.country, "");
    CHECK_INT(r.country_source, ENRICH_COUNTRY_NONE);
    CHECK(r.location_confidence == 0);
    /* the text wins over the currency */
    r = describe_currency("COSTA COFFEE LONDON GB", "USD");
    CHECK_STR(r.country, "GB");
    CHECK_STR(r.city, "London");
    CHECK_STR(enrich_country_source_name(r.country_source), "descriptor");
    CHECK(r.location_confidence > 0.89 && r.location_confidence < 0.91);
    r = describe_currency("STARBUCKS STORE 05412 SEATTLE WA", "CAD");
    CHECK_STR(r.country, "US");
    CHECK_STR(r.region, "WA");
    r = describe_currency("TESCO STORES 3297", NULL);
    CHECK_STR(r.country, "");
}

static EnrichResult describe_date(const char *text, int y, int m, int d)
{
    EnrichResult r;

    enrich_describe(
        enrich_table_default(),
        &(EnrichInput){.text = text, .len = strlen(text), .has_date = true, .date = {y, m, d}}, &r);
    return r;
}

static void enrich_descriptor_date(void)
{
    const char *netflix = "POS DEBIT 0412 NETFLIX.COM 866-579-7172 CA";
    EnrichResult plain = describe(netflix, NULL);
    EnrichResult r = describe_date(netflix, 2026, 4, 14);

    CHECK_STR(r.descriptor_date, "2026-04-12");
    CHECK_STR(r.merchant, plain.merchant); /* nothing else changes */
    CHECK(r.confidence == plain.confidence);
    CHECK_STR(plain.descriptor_date, "");
    CHECK_STR(describe_date(netflix, 2026, 4, 12).descriptor_date, "2026-04-12");
    CHECK_STR(describe_date(netflix, 2026, 4, 19).descriptor_date, "2026-04-12");
    /* too long before the item's date, or after it: a store number */
    CHECK_STR(describe_date(netflix, 2026, 4, 20).descriptor_date, "");
    CHECK_STR(describe_date(netflix, 2026, 4, 11).descriptor_date, "");
    /* across the new year */
    CHECK_STR(
        describe_date("CHECKCARD 12/30 STARBUCKS 800-782-7282 WA", 2027, 1, 2).descriptor_date,
        "2026-12-30");
    CHECK_STR(describe_date("PURCHASE 02-29 SHELL OIL 57444", 2024, 3, 1).descriptor_date,
              "2024-02-29");
    /* a full date, a phone number's tail, a store number far off */
    CHECK_STR(describe_date("PURCHASE 04/12/2026 SHELL OIL", 2026, 4, 13).descriptor_date, "");
    CHECK_STR(describe_date("SHELL OIL 800-555-0412", 2026, 4, 13).descriptor_date, "");
    CHECK_STR(describe_date("STARBUCKS STORE 0412 SEATTLE WA", 2026, 9, 1).descriptor_date, "");
}

/* ---- the handler ------------------------------------------------------------ */

static void handler_enrich_items(void)
{
    json_t *item = json_string("SQ *BLUE BOTTLE COFFE Oakland CA");
    json_t *result = handler_enrich_item(enrich_table_default(), item);
    json_t *out;

    REQUIRE(result != NULL);
    CHECK_STR(json_string_value(json_object_get(result, "status")), "completed");
    out = json_object_get(result, "output");
    CHECK_STR(json_string_value(json_object_get(out, "merchant")), "Blue Bottle Coffee");
    CHECK_STR(json_string_value(json_object_get(out, "status")), "complete");
    CHECK_STR(json_string_value(json_object_get(out, "source")), "rules");
    CHECK_STR(json_string_value(json_object_get(out, "payment_processor")), "Square");
    CHECK_STR(json_string_value(json_object_get(json_object_get(out, "location"), "city")),
              "Oakland");
    CHECK(json_equal(json_object_get(out, "input"), item));
    json_decref(result);
    json_decref(item);

    item = json_pack("{s:s, s:s, s:i, s:f}", "description", "ZQXW HOLDINGS", "custom_id", "t-1",
                     "mcc", 5812, "amount", -12.5);
    result = handler_enrich_item(enrich_table_default(), item);
    REQUIRE(result != NULL);
    out = json_object_get(result, "output");
    CHECK_STR(json_string_value(json_object_get(result, "custom_id")), "t-1");
    CHECK_STR(json_string_value(json_object_get(out, "category")), "restaurants");
    CHECK_STR(json_string_value(json_object_get(out, "mcc_code")), "5812");
    CHECK(json_is_null(json_object_get(out, "location")));
    CHECK(json_real_value(json_object_get(out, "amount")) == -12.5);
    CHECK_STR(json_string_value(json_object_get(out, "direction")), "debit");
    CHECK_STR(json_string_value(json_object_get(out, "transaction_type")), "purchase");
    CHECK(json_is_null(json_object_get(out, "currency")));
    CHECK(json_is_null(json_object_get(out, "date")));
    json_decref(result);
    json_decref(item);
}

static void handler_enrich_fields(void)
{
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s}", "description", "POS DEBIT 0412 AMAZON.COM AMZN.COM/BILL",
                  "amount", "25.50", "currency", "gbp", "date", "2026-04-14T09:15:00+01:00");
    json_t *result = handler_enrich_item(enrich_table_default(), item);
    json_t *out, *location;

    REQUIRE(result != NULL);
    out = json_object_get(result, "output");
    CHECK(json_real_value(json_object_get(out, "amount")) == 25.5);
    CHECK_STR(json_string_value(json_object_get(out, "direction")), "credit");
    CHECK_STR(json_string_value(json_object_get(out, "transaction_type")), "refund");
    CHECK_STR(json_string_value(json_object_get(out, "category")), "refunds");
    CHECK_STR(json_string_value(json_object_get(out, "currency")), "GBP");
    CHECK_STR(json_string_value(json_object_get(out, "date")), "2026-04-14");
    CHECK_STR(json_string_value(json_object_get(out, "descriptor_date")), "2026-04-12");
    location = json_object_get(out, "location");
    CHECK_STR(json_string_value(json_object_get(location, "country")), "GB");
    CHECK_STR(json_string_value(json_object_get(location, "country_source")), "currency");
    CHECK(json_real_value(json_object_get(location, "confidence")) == 0.4);
    CHECK(json_is_null(json_object_get(location, "city")));
    CHECK(json_equal(json_object_get(out, "input"), item));
    json_decref(result);
    json_decref(item);

    /* a string item has none of them, all null */
    item = json_string("SQ *BLUE BOTTLE COFFE Oakland CA");
    result = handler_enrich_item(enrich_table_default(), item);
    REQUIRE(result != NULL);
    out = json_object_get(result, "output");
    CHECK(json_is_null(json_object_get(out, "amount")));
    CHECK(json_is_null(json_object_get(out, "direction")));
    CHECK(json_is_null(json_object_get(out, "descriptor_date")));
    location = json_object_get(out, "location");
    CHECK_STR(json_string_value(json_object_get(location, "country_source")), "descriptor");
    CHECK(json_real_value(json_object_get(location, "confidence")) == 0.9);
    json_decref(result);
    json_decref(item);
}

static void handler_enrich_rejected(void)
{
    const char *bad[] = {"42",
                         "{\"description\": 7}",
                         "{\"amount\": 1}",
                         "{\"description\": \"NETFLIX\", \"mcc\": \"58\"}",
                         "{\"description\": \"NETFLIX\", \"amount\": \"12,50\"}",
                         "{\"description\": \"NETFLIX\", \"amount\": 1e15}",
                         "{\"description\": \"NETFLIX\", \"currency\": \"XYZ\"}",
                         "{\"description\": \"NETFLIX\", \"date\": \"2026-02-30\"}",
                         "\"XXXX1234 0412\"",
                         "null"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *item = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        json_t *result = handler_enrich_item(enrich_table_default(), item);
        REQUIRE(result != NULL);
        CHECK_STR(json_string_value(json_object_get(result, "status")), "failed");
        CHECK_STR(json_string_value(json_object_get(json_object_get(result, "error"), "code")),
                  "rejected");
        json_decref(result);
        json_decref(item);
    }
}

typedef struct Fake {
    size_t calls, last, stop_at;
} Fake;

static bool fake_progress(void *arg, size_t done)
{
    Fake *f = arg;

    f->calls++;
    f->last = done;
    return f->stop_at == 0 || done < f->stop_at;
}

static void handler_enrich_run(void)
{
    json_t *items = json_array();
    Fake fake = {0};
    HandlerContext ctx = {.progress = fake_progress, .arg = &fake};
    HandlerJob job = {.id = "x", .type = "enrich", .attempt = 1};
    HandlerOutput out = {.results = json_array(), .validation_flags = json_array()};
    Error err = {0};

    for (int i = 0; i < 250; i++)
        json_array_append_new(items, json_string(i % 50 == 7 ? "" : "STARBUCKS STORE 1234"));
    job.items = items;
    job.items_done = 0;
    CHECK_INT(handler_enrich.run(&ctx, &job, &out, &err), HANDLER_OK);
    CHECK_INT(json_array_size(out.results), 250);
    CHECK_INT(fake.last, 250);
    CHECK_STR(json_string_value(json_object_get(json_array_get(out.results, 7), "status")),
              "failed");
    CHECK_STR(json_string_value(json_object_get(json_array_get(out.results, 8), "status")),
              "completed");
    json_array_clear(out.results);
    fake = (Fake){.stop_at = 100};
    CHECK_INT(handler_enrich.run(&ctx, &job, &out, &err), HANDLER_STOPPED);
    CHECK_INT(json_array_size(out.results), 100);
    json_decref(out.results);
    json_decref(out.validation_flags);
    json_decref(items);
}

/* ---- the corpus ------------------------------------------------------------- */

/*
 * ACCURACY_FLOORS: the share of corpus.tsv rows each field must get right.
 * The rules reach 0.97 merchant, 0.99 category, 0.98 channel, 1.00 type
 * and processor on this corpus, but the corpus also served to develop the
 * rules, so those figures flatter them: on unseen descriptors expect less.
 * The floors sit 3 to 5 points under today's figures, so a change that
 * breaks a family of descriptors (a prefix, a format, a table column)
 * fails, while one that moves a handful of rows does not; processor and
 * type are near-exact rules and get the tightest floors.  Fields: merchant
 * (letters and digits compared, case-insensitive), category, channel,
 * transaction_type, payment_processor.
 */
static const double ACCURACY_FLOORS[] = {0.92, 0.94, 0.94, 0.96, 0.97};

/*
 * INTERNATIONAL_FLOORS: the same for tests/enrich/international.tsv, the
 * non-US descriptors (bank words, places, processors, truncations,
 * languages) the rules of issue 5 were trained on.  Labeled before the
 * code ran on them, but the rules were then developed on them, so these
 * figures flatter the rules as corpus.tsv's do; the floors sit about 5
 * points under the figures measured when they were set (see the commit).
 */
static const double INTERNATIONAL_FLOORS[] = {0.92, 0.94, 0.95, 0.95, 0.95};

enum { NFIELDS = 5 };
static const char *const field_names[NFIELDS] = {"merchant", "category", "channel",
                                                 "transaction_type", "payment_processor"};

/* squash lower-cases s keeping letters and digits; "-" is empty. */
static void squash(const char *s, char *out, size_t n)
{
    size_t o = 0;

    if (strcmp(s, "-") == 0)
        s = "";
    for (; *s != '\0' && o + 1 < n; s++) {
        if (isalnum((unsigned char)*s))
            out[o++] = (char)tolower((unsigned char)*s);
    }
    out[o] = '\0';
}

static bool same(const char *want, const char *got)
{
    char a[128], b[128];

    squash(want, a, sizeof(a));
    squash(got != NULL ? got : "", b, sizeof(b));
    return strcmp(a, b) == 0;
}

/* Texts collects a corpus's descriptors for the throughput loop. */
typedef struct Texts {
    char *s[1024];
    size_t n;
} Texts;

/* score_corpus enriches every row of the labeled corpus at path, prints
 * the accuracy table under title and checks each field against floors;
 * keeps the descriptors in texts when it is not NULL.  min_rows guards
 * against a truncated file. */
static void score_corpus(const char *path, const char *title, const double *floors, size_t min_rows,
                         Texts *texts)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    size_t rows = 0, right[NFIELDS] = {0}, rejected = 0, lineno = 0;

    REQUIRE(f != NULL);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *field[8] = {0};
        size_t nf = 0;
        EnrichResult r;
        const char *got[NFIELDS];
        bool ok[NFIELDS];

        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        for (char *p = line; nf < 8;) {
            field[nf++] = p;
            p = strchr(p, '\t');
            if (p == NULL)
                break;
            *p++ = '\0';
        }
        if (!CHECK(nf == 7)) {
            fprintf(stderr, "%s line %zu: %zu fields\n", path, lineno, nf);
            continue;
        }
        enrich_describe(enrich_table_default(),
                        &(EnrichInput){.text = field[0],
                                       .len = strlen(field[0]),
                                       .mcc = strcmp(field[1], "-") == 0 ? NULL : field[1]},
                        &r);
        rows++;
        rejected += r.rejected;
        got[0] = r.merchant;
        got[1] = r.rejected ? "" : enrich_category_name(r.category);
        got[2] = r.rejected ? "" : enrich_channel_name(r.channel);
        got[3] = r.rejected ? "" : enrich_type_name(r.type);
        got[4] = r.processor;
        for (int k = 0; k < NFIELDS; k++) {
            ok[k] = same(field[2 + k], got[k]);
            right[k] += ok[k];
        }
        for (int k = 0; k < NFIELDS; k++) {
            if (!ok[k] && getenv("ENRICH_CORPUS_VERBOSE") != NULL)
                printf("miss %-17s line %zu: want \"%s\" got \"%s\" | %s\n", field_names[k], lineno,
                       field[2 + k], got[k] != NULL ? got[k] : "", field[0]);
        }
        if (texts != NULL && texts->n < sizeof(texts->s) / sizeof(texts->s[0]))
            texts->s[texts->n++] = strdup(field[0]);
    }
    fclose(f);
    REQUIRE(rows >= min_rows);
    printf("%s: %zu descriptors, %zu rejected\n", title, rows, rejected);
    printf("%-18s %8s %8s %8s\n", "field", "right", "accuracy", "floor");
    for (int k = 0; k < NFIELDS; k++) {
        double acc = (double)right[k] / (double)rows;
        printf("%-18s %4zu/%-3zu %8.3f %8.2f\n", field_names[k], right[k], rows, acc, floors[k]);
        if (!CHECK(acc >= floors[k]))
            fprintf(stderr, "%s: %s accuracy %.3f under its floor %.2f\n", title, field_names[k],
                    acc, floors[k]);
    }
}

static void enrich_corpus(void)
{
    Texts texts = {.n = 0};
    double seconds;
    struct timespec t0, t1;
    size_t loops = 0;

    score_corpus(PGJOB_ENRICH_CORPUS, "enrich corpus", ACCURACY_FLOORS, 300, &texts);

    /* Throughput: the corpus over and over for about 0.3 s, one core. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (size_t i = 0; i < texts.n; i++) {
            EnrichResult r;
            enrich_describe(enrich_table_default(),
                            &(EnrichInput){.text = texts.s[i], .len = strlen(texts.s[i])}, &r);
        }
        loops++;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    } while (seconds < 0.3);
    printf("throughput: %.0f descriptors/s on one core (%zu x %zu in %.2f s)\n",
           (double)(loops * texts.n) / seconds, loops, texts.n, seconds);
    for (size_t i = 0; i < texts.n; i++)
        free(texts.s[i]);
}

static void enrich_international(void)
{
    score_corpus(PGJOB_ENRICH_INTERNATIONAL, "enrich international", INTERNATIONAL_FLOORS, 250,
                 NULL);
}

const Test enrich_tests[] = {
    {"enrich_merchants_table", merchants_table},
    {"enrich_merchants_key", merchants_key},
    {"enrich_merchants_find", merchants_find},
    {"enrich_square", enrich_square},
    {"enrich_amazon_marketplace", enrich_amazon_marketplace},
    {"enrich_netflix_phone", enrich_netflix_phone},
    {"enrich_unknown", enrich_unknown},
    {"enrich_types", enrich_types},
    {"enrich_rejects", enrich_rejects},
    {"enrich_deterministic", enrich_deterministic},
    {"enrich_odd_bytes", enrich_odd_bytes},
    {"enrich_mcc", enrich_mcc},
    {"enrich_amount_rules", enrich_amount_rules},
    {"enrich_amount_refund_shape", enrich_amount_refund_shape},
    {"enrich_currency_hint", enrich_currency_hint},
    {"enrich_descriptor_date", enrich_descriptor_date},
    {"enrich_handler_items", handler_enrich_items},
    {"enrich_handler_fields", handler_enrich_fields},
    {"enrich_handler_rejected", handler_enrich_rejected},
    {"enrich_handler_run", handler_enrich_run},
    {"enrich_corpus", enrich_corpus},
    {"enrich_international", enrich_international},
    {NULL, NULL},
};
