/* SPDX-License-Identifier: MIT */
/* test_cgi_cursor.c tests the paging cursor of GET /v1/jobs (cgi/cursor.c). */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "suites.h"

static const char stamp[] = "2026-11-26 06:29:45.123456+00";
static const char id[] = "0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71";

static void round_trip(void)
{
    char text[CURSOR_TEXT_SIZE];
    Cursor c;
    Error err;

    REQUIRE(cursor_encode(stamp, id, text, sizeof text));
    /* base64url of "1,<stamp>,<id>", no padding. */
    CHECK_STR(text,
              "MSwyMDI2LTExLTI2IDA2OjI5OjQ1LjEyMzQ1NiswMCwwYjlmN2MxZS01ZDJhLTRjMWItOWUwZi0z"
              "YTZkOGIyYzRlNzE");
    CHECK(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          strlen(text));
    REQUIRE(cursor_decode(text, &c, &err));
    CHECK_STR(c.created_at, stamp);
    CHECK_STR(c.id, id);
}

/* Every payload length mod 3, and the characters '-' and '_'. */
static void lengths(void)
{
    const char *stamps[] = {
        "2026-11-26 06:29:45+00",
        "2026-11-26 06:29:45.1+00",
        "2026-11-26 06:29:45.12+00",
        "2026-11-26 06:29:45.123+05:30",
        "2026-11-26 06:29:45.999999-09:30:15",
    };
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        char text[CURSOR_TEXT_SIZE];
        Cursor c;
        Error err;
        REQUIRE(
            cursor_encode(stamps[i], "ffffffff-ffff-ffff-ffff-fffffffffffe", text, sizeof text));
        REQUIRE(cursor_decode(text, &c, &err));
        CHECK_STR(c.created_at, stamps[i]);
        CHECK_STR(c.id, "ffffffff-ffff-ffff-ffff-fffffffffffe");
    }
}

/* The id is written in lower case whatever case it came in. */
static void id_case(void)
{
    char upper[CURSOR_TEXT_SIZE], lower[CURSOR_TEXT_SIZE];

    REQUIRE(cursor_encode(stamp, "0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71", upper, sizeof upper));
    REQUIRE(cursor_encode(stamp, id, lower, sizeof lower));
    CHECK_STR(upper, lower);
}

static void encode_rejects(void)
{
    char text[CURSOR_TEXT_SIZE] = "unchanged";
    char small[16] = "unchanged";

    CHECK(!cursor_encode(NULL, id, text, sizeof text));
    CHECK(!cursor_encode(stamp, NULL, text, sizeof text));
    CHECK(!cursor_encode("2026-11-26T06:29:45Z", id, text, sizeof text));
    CHECK(!cursor_encode("yesterday", id, text, sizeof text));
    CHECK(!cursor_encode("2026-11-26 06:29:45.123456+00:00:00                x", id, text,
                         sizeof text));
    CHECK(!cursor_encode(stamp, "42", text, sizeof text));
    CHECK(!cursor_encode(stamp, id, small, sizeof small));
    CHECK_STR(text, "unchanged");
    CHECK_STR(small, "unchanged");
}

/* check_invalid checks that text is refused with 400 invalid_cursor. */
static void check_invalid(const char *text)
{
    Cursor c;
    Error err;

    error_clear(&err);
    if (!CHECK(!cursor_decode(text, &c, &err))) {
        fprintf(stderr, "accepted: %s\n", text);
        return;
    }
    CHECK_INT(err.status, 400);
    CHECK_STR(err.code, "invalid_cursor");
}

/* base64url of raw text, for forging payloads. */
static void encode_raw(const char *raw, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(raw), n = 0;

    for (size_t i = 0; i < len; i += 3) {
        unsigned long g = (unsigned long)(unsigned char)raw[i] << 16;
        size_t chars = len - i >= 3 ? 4 : len - i + 1;
        if (i + 1 < len)
            g |= (unsigned long)(unsigned char)raw[i + 1] << 8;
        if (i + 2 < len)
            g |= (unsigned char)raw[i + 2];
        for (size_t k = 0; k < chars; k++)
            out[n++] = a[(g >> (18 - 6 * k)) & 0x3f];
    }
    out[n] = '\0';
}

static void check_invalid_payload(const char *raw)
{
    char text[512];

    encode_raw(raw, text);
    check_invalid(text);
}

static void decode_rejects_encoding(void)
{
    char text[CURSOR_TEXT_SIZE], bad[CURSOR_TEXT_SIZE + 8];
    size_t len;

    REQUIRE(cursor_encode(stamp, id, text, sizeof text));
    len = strlen(text);
    check_invalid(NULL);
    check_invalid("");
    check_invalid("x");
    check_invalid("MSw="); /* padding */
    check_invalid("MSw");  /* "1," and nothing more */
    /* A '+' or '/' (base64, not base64url), a space, a dot. */
    snprintf(bad, sizeof bad, "%s", text);
    bad[5] = '+';
    check_invalid(bad);
    bad[5] = '/';
    check_invalid(bad);
    bad[5] = ' ';
    check_invalid(bad);
    bad[5] = '.';
    check_invalid(bad);
    /* Cut short, or one character longer. */
    snprintf(bad, sizeof bad, "%.*s", (int)(len - 1), text);
    check_invalid(bad);
    snprintf(bad, sizeof bad, "%sA", text);
    check_invalid(bad);
    /* The last character carries spare bits: setting them is another
     * spelling, refused.  (68 bytes end in a 2-byte group, 3 characters:
     * "NzE", whose 'E' is 000100 with 2 spare low bits.) */
    snprintf(bad, sizeof bad, "%s", text);
    REQUIRE(bad[len - 1] == 'E');
    bad[len - 1] = 'F';
    check_invalid(bad);
    /* Valid base64url, but decoding to more than a payload holds. */
    memset(bad, 'A', 120);
    bad[120] = '\0';
    check_invalid(bad);
    /* Too long to be a cursor. */
    memset(bad, 'A', sizeof bad - 1);
    bad[sizeof bad - 1] = '\0';
    check_invalid(bad);
}

static void decode_rejects_payload(void)
{
    check_invalid_payload("2,2026-11-26 06:29:45.123456+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1;2026-11-26 06:29:45.123456+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1,2026-11-26 06:29:45.123456+00");
    check_invalid_payload("1,2026-11-26 06:29:45.123456+00,");
    check_invalid_payload("1,,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1,2026-11-26T06:29:45Z,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1,2026-02-30 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1,2026-11-26 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e7");
    check_invalid_payload("1,2026-11-26 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e711");
    check_invalid_payload("1,2026-11-26 06:29:45+00,0B9F7C1E-5D2A-4C1B-9E0F-3A6D8B2C4E71");
    check_invalid_payload("1,2026-11-26 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71,");
    check_invalid_payload("1,2026-11-26 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71\n");
    check_invalid_payload(
        "1,2026-11-26 06:29:45.123456+00:00:00 and more text here, which is "
        "long,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    check_invalid_payload("1, 2026-11-26 06:29:45+00,0b9f7c1e-5d2a-4c1b-9e0f-3a6d8b2c4e71");
    /* A created_at longer than any timestamp, and a short id. */
    check_invalid_payload("1,2026-11-26 06:29:45.123456+00:00:00xxxxxxxxxxxxxxxxxxxxxxxxxxx,a");
}

/* A NUL byte hidden in the payload is refused, not taken as its end. */
static void decode_rejects_nul(void)
{
    /* "1,2026-11-26 06:29:45+00,<id>" with the id's last byte made NUL
     * would decode to a short id; build "...\0" by hand: base64url of
     * "1,\0" is "MSwA". */
    check_invalid("MSwA");
}

/* A failed decode leaves *out as it was. */
static void decode_keeps_out(void)
{
    Cursor c;
    Error err;

    strcpy(c.created_at, "before");
    strcpy(c.id, "before");
    CHECK(!cursor_decode("!!", &c, &err));
    CHECK_STR(c.created_at, "before");
    CHECK_STR(c.id, "before");
}

const Test cgi_cursor_tests[] = {
    {"cgi_cursor_round_trip", round_trip},
    {"cgi_cursor_lengths", lengths},
    {"cgi_cursor_id_case", id_case},
    {"cgi_cursor_encode_rejects", encode_rejects},
    {"cgi_cursor_decode_rejects_encoding", decode_rejects_encoding},
    {"cgi_cursor_decode_rejects_payload", decode_rejects_payload},
    {"cgi_cursor_decode_rejects_nul", decode_rejects_nul},
    {"cgi_cursor_decode_keeps_out", decode_keeps_out},
    {NULL, NULL},
};
