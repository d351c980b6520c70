/* SPDX-License-Identifier: MIT */
/* test_cgi_timestamp.c tests PostgreSQL and RFC 3339 timestamps (cgi/timestamp.c). */
#include <string.h>

#include "suites.h"
#include "timestamp.h"

/* convert returns the API form of pg, or "FAIL". */
static const char *convert(const char *pg)
{
    static char out[TIMESTAMP_RFC3339_SIZE];

    if (!timestamp_rfc3339(pg, out, sizeof out))
        return "FAIL";
    return out;
}

static void pg_utc(void)
{
    CHECK_STR(convert("2026-11-26 06:29:45.123456+00"), "2026-11-26T06:29:45.123Z");
    CHECK_STR(convert("2026-11-26 06:29:45+00"), "2026-11-26T06:29:45.000Z");
    CHECK_STR(convert("2026-11-26 06:29:45.1+00"), "2026-11-26T06:29:45.100Z");
    CHECK_STR(convert("2026-11-26 06:29:45.12+00"), "2026-11-26T06:29:45.120Z");
    /* Cut, never rounded up: the written time is not later than the stored one. */
    CHECK_STR(convert("2026-11-26 06:29:45.999999+00"), "2026-11-26T06:29:45.999Z");
    CHECK_STR(convert("2026-11-26T06:29:45.5+00:00"), "2026-11-26T06:29:45.500Z");
    CHECK_STR(convert("0001-01-01 00:00:00+00"), "0001-01-01T00:00:00.000Z");
    CHECK_STR(convert("9999-12-31 23:59:59.999999+00"), "9999-12-31T23:59:59.999Z");
}

/* Other offsets are converted to UTC, across days, months and years. */
static void pg_offsets(void)
{
    CHECK_STR(convert("2026-11-26 08:29:45.123+02"), "2026-11-26T06:29:45.123Z");
    CHECK_STR(convert("2026-11-26 01:00:00-05"), "2026-11-26T06:00:00.000Z");
    CHECK_STR(convert("2026-01-01 01:00:00+05:30"), "2025-12-31T19:30:00.000Z");
    CHECK_STR(convert("2026-12-31 22:00:00-03"), "2027-01-01T01:00:00.000Z");
    CHECK_STR(convert("2024-03-01 00:30:00+01"), "2024-02-29T23:30:00.000Z");
    CHECK_STR(convert("2023-03-01 00:30:00+01"), "2023-02-28T23:30:00.000Z");
    CHECK_STR(convert("1900-01-01 00:00:00+00:09:21"), "1899-12-31T23:50:39.000Z");
    CHECK_STR(convert("2000-02-29 12:00:00-00"), "2000-02-29T12:00:00.000Z");
}

static void pg_rejects(void)
{
    char out[TIMESTAMP_RFC3339_SIZE] = "unchanged";

    CHECK(!timestamp_rfc3339(NULL, out, sizeof out));
    CHECK(!timestamp_rfc3339("2026-11-26 06:29:45+00", out, sizeof out - 1)); /* too small */
    CHECK_STR(out, "unchanged");
    CHECK_STR(convert(""), "FAIL");
    CHECK_STR(convert("infinity"), "FAIL");
    CHECK_STR(convert("-infinity"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45.123456+00 BC"), "FAIL");
    CHECK_STR(convert("12026-11-26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45"), "FAIL");  /* no offset */
    CHECK_STR(convert("2026-11-26 06:29:45Z"), "FAIL"); /* not PostgreSQL's */
    CHECK_STR(convert("2026-11-26 06:29:45.1234567+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45.+00"), "FAIL");
    CHECK_STR(convert("2026-11-26  06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26_06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-13-26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-00-26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-02-29 06:29:45+00"), "FAIL"); /* not a leap year */
    CHECK_STR(convert("2026-04-31 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-00 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 24:00:00+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:60:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:60+00"), "FAIL");
    CHECK_STR(convert("0000-01-01 00:00:00+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+24"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+05:60"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+05:30:60"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+5"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+05:"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+05:30:"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+0530"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:45+00 "), "FAIL");
    CHECK_STR(convert("2026-1-26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-2a 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026/11-26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11/26 06:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 0a:29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06-29:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:2a:45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29-45+00"), "FAIL");
    CHECK_STR(convert("2026-11-26 06:29:4a+00"), "FAIL");
    CHECK(!timestamp_rfc3339("2026-11-26 06:29:45+00", NULL, TIMESTAMP_RFC3339_SIZE));
    CHECK_STR(convert("2026-11-26 06:29+00"), "FAIL");
    /* Past year 9999 or before year 1 once in UTC. */
    CHECK_STR(convert("9999-12-31 23:00:00-02"), "FAIL");
    CHECK_STR(convert("0001-01-01 00:00:00+01"), "FAIL");
    CHECK(timestamp_valid_pg("2026-11-26 06:29:45.123456+00"));
    CHECK(!timestamp_valid_pg("2026-11-26T06:29:45Z"));
}

static void pg_unix(void)
{
    long long s = -1;

    CHECK(timestamp_unix("1970-01-01 00:00:00+00", &s));
    CHECK_INT(s, 0);
    CHECK(timestamp_unix("2026-11-26 06:29:45.999999+00", &s));
    CHECK_INT(s, 1795674585); /* the fraction cut */
    CHECK(timestamp_unix("2026-11-26 08:29:45+02", &s));
    CHECK_INT(s, 1795674585);
    CHECK(timestamp_unix("1969-12-31 23:59:59+00", &s));
    CHECK_INT(s, -1);
    s = 7;
    CHECK(!timestamp_unix("infinity", &s));
    CHECK(!timestamp_unix(NULL, &s));
    CHECK_INT(s, 7);
}

static void rfc3339_valid(void)
{
    CHECK(timestamp_valid_rfc3339("2026-11-26T10:00:00Z"));
    CHECK(timestamp_valid_rfc3339("2026-11-26t10:00:00z"));
    CHECK(timestamp_valid_rfc3339("2026-11-26T10:00:00+02:00"));
    CHECK(timestamp_valid_rfc3339("2026-11-26T10:00:00-00:00"));
    CHECK(timestamp_valid_rfc3339("2026-11-26T10:00:00.5Z"));
    CHECK(timestamp_valid_rfc3339("2026-11-26T10:00:00.123456789+23:59"));
    CHECK(timestamp_valid_rfc3339("2024-02-29T00:00:00Z"));
    CHECK(timestamp_valid_rfc3339("2000-02-29T00:00:00Z"));
    CHECK(timestamp_valid_rfc3339("0001-01-01T00:00:00Z"));
    CHECK(timestamp_valid_rfc3339("0001-01-01T00:30:00+00:30"));
    CHECK(timestamp_valid_rfc3339("9999-12-31T23:59:59.999999Z"));
    CHECK(timestamp_valid_rfc3339("9999-12-31T23:59:59.9999994Z"));
    CHECK(timestamp_valid_rfc3339("9999-12-31T23:59:59+01:00"));
}

/* Outside years 0001-9999 once in UTC: PostgreSQL stores it, but the API
 * could not write it back. */
static void rfc3339_out_of_range(void)
{
    CHECK(!timestamp_valid_rfc3339("9999-12-31T23:59:59-01:00"));
    CHECK(!timestamp_valid_rfc3339("0001-01-01T00:30:00+01:00"));
    CHECK(!timestamp_valid_rfc3339("0001-01-01T00:00:00+00:01"));
    CHECK(!timestamp_valid_rfc3339("9999-12-31T23:59:59.9999995Z")); /* rounds to 10000 */
    CHECK(!timestamp_valid_rfc3339("0000-12-31T23:00:00-02:00"));    /* year 0 */
}

static void rfc3339_rejects(void)
{
    CHECK(!timestamp_valid_rfc3339(NULL));
    CHECK(!timestamp_valid_rfc3339(""));
    CHECK(!timestamp_valid_rfc3339("2026-11-26"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00"));  /* no offset */
    CHECK(!timestamp_valid_rfc3339("2026-11-26 10:00:00Z")); /* space */
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00Z"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+02")); /* PostgreSQL's, not RFC 3339 */
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+0200"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+24:00"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+02:60"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00.Z"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00.1234567890Z"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00ZZ"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00Z "));
    CHECK(!timestamp_valid_rfc3339(" 2026-11-26T10:00:00Z"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T23:59:60Z")); /* no leap second */
    CHECK(!timestamp_valid_rfc3339("1900-02-29T00:00:00Z"));
    CHECK(!timestamp_valid_rfc3339("2026-06-31T00:00:00Z"));
    CHECK(!timestamp_valid_rfc3339("+2026-11-26T10:00:00Z"));
    CHECK(!timestamp_valid_rfc3339("now"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+02:00:00"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+0a:00"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+02-00"));
    CHECK(!timestamp_valid_rfc3339("2026-11-26T10:00:00+02:0a"));
}

const Test cgi_timestamp_tests[] = {
    {"cgi_timestamp_pg_unix", pg_unix},
    {"cgi_timestamp_pg_utc", pg_utc},
    {"cgi_timestamp_pg_offsets", pg_offsets},
    {"cgi_timestamp_pg_rejects", pg_rejects},
    {"cgi_timestamp_rfc3339_valid", rfc3339_valid},
    {"cgi_timestamp_rfc3339_out_of_range", rfc3339_out_of_range},
    {"cgi_timestamp_rfc3339_rejects", rfc3339_rejects},
    {NULL, NULL},
};
