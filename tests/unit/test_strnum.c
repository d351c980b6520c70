/* SPDX-License-Identifier: MIT */
/* test_strnum.c tests checked number parsing (common/strnum.c). */
#include <limits.h>
#include <stdio.h>

#include "strnum.h"
#include "suites.h"

static void long_valid(void)
{
    long v = 0;

    CHECK(strnum_long("0", LONG_MIN, LONG_MAX, &v) && v == 0);
    CHECK(strnum_long("42", LONG_MIN, LONG_MAX, &v) && v == 42);
    CHECK(strnum_long("-17", LONG_MIN, LONG_MAX, &v) && v == -17);
    CHECK(strnum_long("+5", LONG_MIN, LONG_MAX, &v) && v == 5);
    CHECK(strnum_long("007", LONG_MIN, LONG_MAX, &v) && v == 7); /* decimal, not octal */
}

static void digits_only(void)
{
    long v = 99;

    CHECK(strnum_digits("0", 0, LONG_MAX, &v) && v == 0);
    CHECK(strnum_digits("8080", 0, 65535, &v) && v == 8080);
    v = 99;
    CHECK(!strnum_digits("+80", 0, 65535, &v));
    CHECK(!strnum_digits("-0", 0, 65535, &v));
    CHECK(!strnum_digits(" 80", 0, 65535, &v));
    CHECK(!strnum_digits("", 0, 65535, &v));
    CHECK(!strnum_digits(NULL, 0, 65535, &v));
    CHECK(!strnum_digits("65536", 0, 65535, &v));
    CHECK_INT(v, 99);
}

static void long_limits(void)
{
    char text[32];
    long v = 0;

    snprintf(text, sizeof text, "%ld", LONG_MAX);
    CHECK(strnum_long(text, LONG_MIN, LONG_MAX, &v) && v == LONG_MAX);
    snprintf(text, sizeof text, "%ld", LONG_MIN);
    CHECK(strnum_long(text, LONG_MIN, LONG_MAX, &v) && v == LONG_MIN);
}

static void long_overflow(void)
{
    long v = 99;

    CHECK(!strnum_long("9223372036854775808", LONG_MIN, LONG_MAX, &v));
    CHECK(!strnum_long("-9223372036854775809", LONG_MIN, LONG_MAX, &v));
    CHECK(!strnum_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v));
    CHECK_INT(v, 99); /* untouched on failure */
}

static void long_garbage(void)
{
    long v = 99;

    CHECK(!strnum_long("12abc", 0, 100, &v));
    CHECK(!strnum_long("abc", 0, 100, &v));
    CHECK(!strnum_long("1.5", 0, 100, &v));
    CHECK(!strnum_long("0x10", 0, 100, &v));
    CHECK(!strnum_long("1e3", 0, 10000, &v));
    CHECK(!strnum_long("-", 0, 100, &v));
    CHECK(!strnum_long("+", 0, 100, &v));
    CHECK(!strnum_long("--1", -100, 100, &v));
    CHECK(!strnum_long("1-", -100, 100, &v));
    CHECK_INT(v, 99);
}

static void long_empty(void)
{
    long v = 99;

    CHECK(!strnum_long("", 0, 100, &v));
    CHECK(!strnum_long(NULL, 0, 100, &v));
    CHECK_INT(v, 99);
}

static void long_whitespace(void)
{
    long v = 99;

    CHECK(!strnum_long(" 1", 0, 100, &v));
    CHECK(!strnum_long("1 ", 0, 100, &v));
    CHECK(!strnum_long("\t1", 0, 100, &v));
    CHECK(!strnum_long("1\n", 0, 100, &v));
    CHECK(!strnum_long("- 1", -100, 100, &v));
    CHECK(!strnum_long("1 2", 0, 100, &v));
    CHECK_INT(v, 99);
}

static void long_range(void)
{
    long v = 99;

    CHECK(strnum_long("5", 5, 10, &v) && v == 5);
    CHECK(strnum_long("10", 5, 10, &v) && v == 10);
    v = 99;
    CHECK(!strnum_long("4", 5, 10, &v));
    CHECK(!strnum_long("11", 5, 10, &v));
    CHECK(!strnum_long("-1", 0, 10, &v));
    CHECK_INT(v, 99);
}

static void int_range(void)
{
    int v = 99;

    CHECK(strnum_int("2147483647", INT_MIN, INT_MAX, &v) && v == INT_MAX);
    CHECK(strnum_int("-2147483648", INT_MIN, INT_MAX, &v) && v == INT_MIN);
    v = 99;
    CHECK(!strnum_int("2147483648", INT_MIN, INT_MAX, &v));
    CHECK(!strnum_int("-2147483649", INT_MIN, INT_MAX, &v));
    CHECK(!strnum_int("8", 1, 7, &v));
    CHECK(!strnum_int(" 3", 1, 7, &v));
    CHECK(!strnum_int("", 1, 7, &v));
    CHECK_INT(v, 99);
    CHECK(strnum_int("3", 1, 7, &v) && v == 3);
}

static void double_valid(void)
{
    double v = 0;

    CHECK(strnum_double("1.5", -1e9, 1e9, &v) && v == 1.5);
    CHECK(strnum_double("-0.25", -1e9, 1e9, &v) && v == -0.25);
    CHECK(strnum_double("1e3", -1e9, 1e9, &v) && v == 1000.0);
    CHECK(strnum_double(".5", -1e9, 1e9, &v) && v == 0.5);
    CHECK(strnum_double("+2", -1e9, 1e9, &v) && v == 2.0);
    CHECK(strnum_double("0", -1e9, 1e9, &v) && v == 0.0);
}

static void double_rejects(void)
{
    double v = 99;

    CHECK(!strnum_double("", -1e9, 1e9, &v));
    CHECK(!strnum_double(NULL, -1e9, 1e9, &v));
    CHECK(!strnum_double(" 1", -1e9, 1e9, &v));
    CHECK(!strnum_double("1 ", -1e9, 1e9, &v));
    CHECK(!strnum_double("1.5x", -1e9, 1e9, &v));
    CHECK(!strnum_double("1e", -1e9, 1e9, &v));
    CHECK(!strnum_double(".", -1e9, 1e9, &v));
    CHECK(!strnum_double("nan", -1e9, 1e9, &v));
    CHECK(!strnum_double("inf", -1e9, 1e9, &v));
    CHECK(!strnum_double("-infinity", -1e9, 1e9, &v));
    CHECK(!strnum_double("0x1p3", -1e9, 1e9, &v));
    CHECK(!strnum_double("1e400", -1e9, 1e9, &v));  /* overflow */
    CHECK(!strnum_double("1e-400", -1e9, 1e9, &v)); /* underflow */
    CHECK(v == 99);
}

static void double_range(void)
{
    double v = 99;

    CHECK(strnum_double("0.5", 0.5, 1.0, &v) && v == 0.5);
    CHECK(strnum_double("1.0", 0.5, 1.0, &v) && v == 1.0);
    v = 99;
    CHECK(!strnum_double("0.49", 0.5, 1.0, &v));
    CHECK(!strnum_double("1.01", 0.5, 1.0, &v));
    CHECK(v == 99);
}

const Test strnum_tests[] = {
    {"strnum_long_valid", long_valid},
    {"strnum_long_limits", long_limits},
    {"strnum_long_overflow", long_overflow},
    {"strnum_long_garbage", long_garbage},
    {"strnum_long_empty", long_empty},
    {"strnum_long_whitespace", long_whitespace},
    {"strnum_long_range", long_range},
    {"strnum_int_range", int_range},
    {"strnum_double_valid", double_valid},
    {"strnum_double_rejects", double_rejects},
    {"strnum_double_range", double_range},
    {"strnum_digits", digits_only},
    {NULL, NULL},
};
