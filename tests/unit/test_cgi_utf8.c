/* SPDX-License-Identifier: MIT */
/* test_cgi_utf8.c tests the UTF-8 checks (common/utf8.c), used by the
 * front end, the document readers and the invoice rules. */
#include <string.h>

#include "suites.h"
#include "utf8.h"

static void sequences(void)
{
    CHECK_INT(utf8_sequence(""), 0);
    CHECK_INT(utf8_sequence("a"), 1);
    CHECK_INT(utf8_sequence("\x7f"), 1);
    CHECK_INT(utf8_sequence("\xc2\x80"), 2);         /* U+0080, the first 2-byte one */
    CHECK_INT(utf8_sequence("\xdf\xbf"), 2);         /* U+07FF */
    CHECK_INT(utf8_sequence("\xe0\xa0\x80"), 3);     /* U+0800 */
    CHECK_INT(utf8_sequence("\xed\x9f\xbf"), 3);     /* U+D7FF, below the surrogates */
    CHECK_INT(utf8_sequence("\xee\x80\x80"), 3);     /* U+E000, above them */
    CHECK_INT(utf8_sequence("\xef\xbf\xbf"), 3);     /* U+FFFF */
    CHECK_INT(utf8_sequence("\xf0\x90\x80\x80"), 4); /* U+10000 */
    CHECK_INT(utf8_sequence("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF, the last */
    CHECK_INT(utf8_sequence("\xe2\x82\xac rest"), 3);
}

static void malformed(void)
{
    static const char *const bad[] = {
        "\x80",             /* a continuation byte alone */
        "\xbf",             /* another */
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x9f\xbf",     /* overlong 3-byte */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xf5\x80\x80\x80", /* never a lead byte */
        "\xff",             /* never anything */
        "\xc3",             /* cut short */
        "\xe2\x82",         /* cut short */
        "\xe2\x28\xa1",     /* bad second byte */
        "\xe2\x82\x28",     /* bad third byte, too low */
        "\xe2\x82\xc0",     /* bad third byte, too high */
        "\xf0\x9f\x98\x28", /* bad fourth byte */
        "\xf0\x9f\x28\x80", /* bad third of four */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(utf8_sequence(bad[i]), 0);
        CHECK(!utf8_valid(bad[i]));
    }
}

static void valid(void)
{
    CHECK(utf8_valid(""));
    CHECK(utf8_valid("plain ASCII"));
    CHECK(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    CHECK(!utf8_valid("caf\xc3\xa9 \xe2\x82"));
    CHECK(!utf8_valid("ok \xff ok"));
}

static void scrub(void)
{
    char s[64];

    strcpy(s, "near '\xab\xb7\\\\|' \xc3\xa9 \xe2\x82 x");
    utf8_scrub(s);
    CHECK_STR(s, "near '??\\\\|' \xc3\xa9 ?? x");
    CHECK(utf8_valid(s));
    strcpy(s, "\xf0\x9f\x98\x80");
    utf8_scrub(s);
    CHECK_STR(s, "\xf0\x9f\x98\x80"); /* valid text is left alone */
    s[0] = '\0';
    utf8_scrub(s);
    CHECK_STR(s, "");
}

/* The length-taking variants see a NUL as a character and never read
 * past len; decoding gives U+FFFD for a stray byte. */
static void lengths(void)
{
    unsigned cp = 0;
    char s[8];

    CHECK_INT(utf8_sequence_n("\xe2\x82\xac", 3), 3);
    CHECK_INT(utf8_sequence_n("\xe2\x82\xac", 2), 0); /* cut by len */
    CHECK_INT(utf8_sequence_n("", 1), 1);             /* U+0000 */
    CHECK_INT(utf8_sequence_n("a", 0), 0);
    CHECK_INT(utf8_sequence_n("\xed\xa0\x80", 3), 0); /* a surrogate */
    CHECK_INT(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
    CHECK_INT(cp, 0x20AC);
    CHECK_INT(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    CHECK_INT(cp, 0x1F600);
    CHECK_INT(utf8_decode("\xc3\xa9", 2, &cp), 2);
    CHECK_INT(cp, 0xE9);
    CHECK_INT(utf8_decode("\xc0\xaf", 2, &cp), 1); /* overlong: a stray byte */
    CHECK_INT(cp, 0xFFFD);
    CHECK(utf8_valid_n("a\0b\xc3\xa9", 5));
    CHECK(!utf8_valid_n("a\xc3", 2));
    CHECK(utf8_valid_n("a\xc3", 1));
    memcpy(s, "a\xc3\0\xff\xe2\x82\xac", 7);
    utf8_scrub_n(s, 7);
    CHECK(memcmp(s, "a?\0?\xe2\x82\xac", 7) == 0);
}

const Test cgi_utf8_tests[] = {
    {"cgi_utf8_lengths", lengths},     {"cgi_utf8_sequences", sequences},
    {"cgi_utf8_malformed", malformed}, {"cgi_utf8_valid", valid},
    {"cgi_utf8_scrub", scrub},         {NULL, NULL},
};
