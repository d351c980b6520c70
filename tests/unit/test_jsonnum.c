/* SPDX-License-Identifier: MIT */
/* test_jsonnum.c tests which JSON numbers a job may hold (common/jsonnum.c). */
#include <string.h>

#include "jsonnum.h"
#include "suites.h"

static bool storable(const char *s)
{
    return jsonnum_storable(s, strlen(s));
}

static void integers(void)
{
    CHECK(storable("0"));
    CHECK(storable("-0"));
    CHECK(storable("42"));
    CHECK(storable("9223372036854775807"));
    CHECK(storable("-9223372036854775808"));
    CHECK(!storable("9223372036854775808"));
    CHECK(!storable("-9223372036854775809"));
    CHECK(!storable("100000000000000000000"));
}

static void exponents_that_make_integers(void)
{
    /* jsonb writes these without exponent or point: integers to jansson. */
    CHECK(storable("1e18"));
    CHECK(storable("9.223372036854775807e18"));
    CHECK(!storable("9.223372036854775808e18"));
    CHECK(!storable("1e19"));
    CHECK(!storable("1e308"));
    CHECK(!storable("1.0e308"));
    CHECK(storable("0e400")); /* zero */
    CHECK(storable("1.5e1"));
}

static void reals(void)
{
    CHECK(storable("1.5"));
    CHECK(storable("-2.25e-3"));
    CHECK(storable("1.50e1")); /* 15.0 */
    CHECK(storable("1e-300"));
    CHECK(storable("1e-16383"));
    CHECK(storable("12.5e-16382"));
    CHECK(!storable("1e-16384")); /* numeric keeps 16383 decimals */
    CHECK(!storable("0.1e-16383"));
    CHECK(!storable("1e-20000"));
    CHECK(!storable("0e-20000"));
    CHECK(!storable("1e-99999999999999999999"));
}

static void reals_that_overflow_a_double(void)
{
    char big[400];

    /* 1 and 400 zeros, then ".5": a double past DBL_MAX. */
    big[0] = '1';
    memset(big + 1, '0', 400 - 4);
    memcpy(big + 397, ".5", 3);
    CHECK(!storable(big));
    CHECK(!storable("1.5e300")); /* an integer of 301 digits to jansson */
    CHECK(storable("1.5e-300"));
}

static void scanning(void)
{
    char key[16];
    size_t n = 0;
    const char *text =
        "{\"type\":\"echo\",\"items\":[1,2.5,\"9e999\",{\"a\":-3}],"
        "\"metadata\":{\"x\":[1e-20000]}}";
    const char *bad = jsonnum_find_unstorable(text, strlen(text), &n, key, sizeof(key));

    REQUIRE(bad != NULL);
    CHECK(n == 8 && strncmp(bad, "1e-20000", n) == 0);
    CHECK_STR(key, "metadata");
    text = "{\"items\":[9223372036854775808]}";
    bad = jsonnum_find_unstorable(text, strlen(text), &n, key, sizeof(key));
    CHECK(bad != NULL && n == 19);
    CHECK_STR(key, "items");
    text = " [\"a\", 1, {\"b\": 2}]";
    CHECK(jsonnum_find_unstorable(text, strlen(text), &n, key, sizeof(key)) == NULL);
    CHECK_STR(key, "");
    text = "{\"k\\\"1\":[1],\"z\":\"\\\\\",\"items\":[1e400]}";
    bad = jsonnum_find_unstorable(text, strlen(text), &n, key, sizeof(key));
    CHECK(bad != NULL);
    CHECK_STR(key, "items");
}

const Test jsonnum_tests[] = {
    {"integers", integers}, {"exponents_that_make_integers", exponents_that_make_integers},
    {"reals", reals},       {"reals_that_overflow_a_double", reals_that_overflow_a_double},
    {"scanning", scanning}, {NULL, NULL},
};
