/* SPDX-License-Identifier: MIT */
/* test_enrich_fields.c tests an enrich item's amount, currency and date
 * (common/enrich_fields.c), shared by pgjob.fcgi and the enrich handler. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "enrich_fields.h"
#include "suites.h"

static bool amount(const char *s, double *v)
{
    return enrich_amount_parse(s, strlen(s), v);
}

static void amount_strings(void)
{
    static const char *const bad[] = {
        "",
        "-",
        "+",
        "nan",
        "inf",
        ".5",
        "12.",
        "1e3",
        "12,50",
        "1,234.56",
        " 12.50",
        "12 ",
        "$12.50",
        "NaN",
        "-inf",
        "0x10",
        "--1",
        "+-1",
        "12.5.0",
        "1000000000000.01",
        "9999999999999",
        "12.50 EUR",
    };
    double v = 0;

    CHECK(amount("-12.50", &v) && v == -12.5);
    CHECK(amount("12.50", &v) && v == 12.5);
    CHECK(amount("+3", &v) && v == 3);
    CHECK(amount("0", &v) && v == 0);
    CHECK(amount("007.10", &v) && fabs(v - 7.1) < 1e-12);
    CHECK(amount("1000000000000", &v) && v == 1e12);
    CHECK(amount("-1000000000000", &v) && v == -1e12);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!CHECK(!amount(bad[i], &v)))
            fprintf(stderr, "amount \"%s\" accepted\n", bad[i]);
    }
    /* no NUL inside, and no more than 32 characters */
    CHECK(
        !enrich_amount_parse("12\0"
                             "5",
                             4, &v));
    CHECK(!amount("0.000000000000000000000000000000001", &v));
}

static void currencies(void)
{
    char code[4] = "";

    CHECK(enrich_currency_parse("usd", 3, code));
    CHECK_STR(code, "USD");
    CHECK(enrich_currency_parse("Gbp", 3, code));
    CHECK_STR(code, "GBP");
    CHECK(enrich_currency_parse("XOF", 3, code));
    CHECK_STR(code, "XOF");
    CHECK(!enrich_currency_parse("XYZ", 3, code));
    CHECK(!enrich_currency_parse("XXX", 3, code)); /* "no currency" */
    CHECK(!enrich_currency_parse("XAU", 3, code)); /* gold */
    CHECK(!enrich_currency_parse("US", 2, code));
    CHECK(!enrich_currency_parse("USDT", 4, code));
    CHECK(!enrich_currency_parse("U$D", 3, code));
    CHECK(!enrich_currency_parse("US\0", 3, code));
    CHECK_STR(code, "XOF"); /* untouched by a failure */
    CHECK_STR(enrich_currency_country("GBP"), "GB");
    CHECK_STR(enrich_currency_country("CAD"), "CA");
    CHECK_STR(enrich_currency_country("AUD"), "AU");
    CHECK_STR(enrich_currency_country("USD"), "US");
    CHECK_STR(enrich_currency_country("JPY"), "JP");
    CHECK_STR(enrich_currency_country("EUR"), "");
    CHECK_STR(enrich_currency_country("XCD"), "");
    CHECK(enrich_currency_country("ABC") == NULL);
    CHECK(enrich_currency_country("usd") == NULL); /* upper case only */
    CHECK(enrich_currency_country(NULL) == NULL);
    /* all 157 codes of the table are found by its binary search: it is
     * sorted, and none is missing */
    static const char all[] =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD "
        "BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB "
        "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK "
        "JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA "
        "MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK "
        "PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
        "SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV "
        "WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";
    size_t n = 0;
    for (const char *p = all; *p; n++) {
        CHECK(enrich_currency_parse(p, 3, code));
        p += p[3] == ' ' ? 4 : 3;
    }
    CHECK_INT(n, 157);
}

static bool date(const char *s, EnrichDate *d)
{
    return enrich_date_parse(s, strlen(s), d);
}

static void dates(void)
{
    static const char *const good[] = {
        "2026-04-12",
        "2024-02-29",
        "2000-02-29",
        "2026-04-12T10:30",
        "2026-04-12T10:30:59",
        "2026-04-12T10:30:59Z",
        "2026-04-12 10:30:00",
        "2026-04-12t23:59:60",
        "2026-04-12T10:30:00.123456+02:00",
        "2026-12-31T00:00:00-05:00",
    };
    static const char *const bad[] = {
        "2026-02-29",
        "2100-02-29",
        "1900-02-29",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-04-00",
        "1899-12-31",
        "2200-01-01",
        "26-04-12",
        "2026/04/12",
        "20260412",
        "2026-4-12",
        "12/04/2026",
        "2026-04-12T",
        "2026-04-12T24:00",
        "2026-04-12T10:60",
        "2026-04-12T10:30:61",
        "2026-04-12T10:30Z5",
        "2026-04-12T10:30+0200",
        "2026-04-12T10:30:00.",
        "2026-04-12 ",
        "",
        "yesterday",
    };
    EnrichDate d = {0};

    CHECK(date("2026-04-12T23:30:00-05:00", &d));
    CHECK(d.year == 2026 && d.month == 4 && d.day == 12); /* the date as written */
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!CHECK(date(good[i], &d)))
            fprintf(stderr, "date \"%s\" refused\n", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!CHECK(!date(bad[i], &d)))
            fprintf(stderr, "date \"%s\" accepted\n", bad[i]);
    }
    CHECK_INT(enrich_date_days(&(EnrichDate){1970, 1, 1}), 0);
    CHECK_INT(enrich_date_days(&(EnrichDate){2000, 3, 1}), 11017);
    CHECK_INT(enrich_date_days(&(EnrichDate){1900, 1, 1}), -25567);
    CHECK_INT(enrich_date_days(&(EnrichDate){2027, 1, 2}) -
                  enrich_date_days(&(EnrichDate){2026, 12, 30}),
              3);
}

/* read loads item (JSON text) and reads its fields. */
static const char *read_item(const char *text, EnrichFields *f)
{
    json_t *item = json_loads(text, 0, NULL);
    const char *why;

    REQUIRE(item != NULL);
    why = enrich_fields_read(item, f);
    json_decref(item);
    return why;
}

static void fields(void)
{
    EnrichFields f;

    CHECK(read_item("{\"description\": \"x\"}", &f) == NULL);
    CHECK(!f.has_amount && !f.has_date && f.currency[0] == '\0');
    CHECK(read_item("{\"amount\": null, \"currency\": null, \"date\": null}", &f) == NULL);
    CHECK(!f.has_amount && !f.has_date);
    CHECK(read_item("{\"amount\": -12.5, \"currency\": \"eur\", \"date\": "
                    "\"2026-04-12T08:00:00Z\"}",
                    &f) == NULL);
    CHECK(f.has_amount && f.amount == -12.5);
    CHECK_STR(f.currency, "EUR");
    CHECK(f.has_date);
    CHECK_STR(f.date_text, "2026-04-12");
    CHECK(read_item("{\"amount\": \"12.50\"}", &f) == NULL && f.amount == 12.5);
    CHECK(read_item("{\"amount\": 40}", &f) == NULL && f.amount == 40);
    CHECK(read_item("{\"amount\": -0.0}", &f) == NULL && f.amount == 0 && !signbit(f.amount));
    CHECK(read_item("{\"amount\": \"-0\"}", &f) == NULL && !signbit(f.amount));

    CHECK(strstr(read_item("{\"amount\": \"12,50\"}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"amount\": \"NaN\"}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"amount\": 1e13}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"amount\": -1e300}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"amount\": true}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"amount\": [1]}", &f), "amount") != NULL);
    CHECK(strstr(read_item("{\"currency\": \"ABC\"}", &f), "currency") != NULL);
    CHECK(strstr(read_item("{\"currency\": 840}", &f), "currency") != NULL);
    CHECK(strstr(read_item("{\"date\": \"2026-02-30\"}", &f), "date") != NULL);
    CHECK(strstr(read_item("{\"date\": 20260412}", &f), "date") != NULL);

    CHECK(read_item("{\"mcc\": \"5812\"}", &f) == NULL);
    CHECK_STR(f.mcc, "5812");
    CHECK(read_item("{\"mcc\": 742}", &f) == NULL);
    CHECK_STR(f.mcc, "0742");
    CHECK(read_item("{\"mcc\": null}", &f) == NULL && f.mcc[0] == '\0');
    CHECK(strstr(read_item("{\"mcc\": \"58\"}", &f), "mcc") != NULL);
    CHECK(strstr(read_item("{\"mcc\": \"58a2\"}", &f), "mcc") != NULL);
    CHECK(strstr(read_item("{\"mcc\": 10000}", &f), "mcc") != NULL);
    CHECK(strstr(read_item("{\"mcc\": -1}", &f), "mcc") != NULL);
    CHECK(strstr(read_item("{\"mcc\": 58.12}", &f), "mcc") != NULL);
}

const Test enrich_fields_tests[] = {
    {"enrich_fields_amount", amount_strings},
    {"enrich_fields_currency", currencies},
    {"enrich_fields_date", dates},
    {"enrich_fields_item", fields},
    {NULL, NULL},
};
