/* SPDX-License-Identifier: MIT */
/* test_error.c tests the Error report (common/error.c). */
#include <string.h>

#include "error.h"
#include "suites.h"

static void set_fields(void)
{
    Error e;

    error_clear(&e);
    CHECK(!error_is_set(&e));
    error_set(&e, 404, "not_found", "job %s not found (%d)", "abc", 7);
    CHECK(error_is_set(&e));
    CHECK_INT(e.status, 404);
    CHECK_STR(e.code, "not_found");
    CHECK_STR(e.message, "job abc not found (7)");
    error_clear(&e);
    CHECK_INT(e.status, 0);
    CHECK_STR(e.code, "");
    CHECK_STR(e.message, "");
}

static void set_null(void)
{
    error_set(NULL, 500, "x", "nothing %d", 1);
    error_clear(NULL);
    CHECK(!error_is_set(NULL));
}

/* A server's multi-line message becomes one tidy line. */
static void one_line(void)
{
    Error e;

    error_set(&e, 503, "db_unavailable", "connect: %s",
              "connection refused\n\tIs the server running?\n");
    CHECK_STR(e.message, "connect: connection refused Is the server running?");
    error_set(&e, 500, "x", "  lead and\r\n trail \x01 ");
    CHECK_STR(e.message, "lead and trail");
}

static void long_message(void)
{
    char text[600];
    Error e;
    size_t len;

    memset(text, 'm', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    error_set(&e, 500, "x", "%s", text);
    len = strlen(e.message);
    CHECK_INT(len, ERROR_MESSAGE_SIZE - 1);
    CHECK(strcmp(e.message + len - 3, "...") == 0);
    CHECK(e.message[0] == 'm');
}

/* Cutting never splits a UTF-8 character ("é" is 2 bytes). */
static void long_message_utf8(void)
{
    char text[600] = "";
    Error e;
    size_t len;

    for (int i = 0; i < 290; i++)
        strcat(text, "\xc3\xa9");
    error_set(&e, 500, "x", "a%s", text);
    len = strlen(e.message);
    CHECK(len <= ERROR_MESSAGE_SIZE - 1);
    CHECK(strcmp(e.message + len - 3, "...") == 0);
    /* "a" then whole 2-byte characters: the text before "..." is odd-sized. */
    CHECK_INT((len - 3) % 2, 1);
}

static void long_code(void)
{
    char code[100];
    Error e;

    memset(code, 'c', sizeof code - 1);
    code[sizeof code - 1] = '\0';
    error_set(&e, 500, code, "m");
    CHECK_INT(strlen(e.code), ERROR_CODE_SIZE - 1);
    error_set(&e, 500, NULL, "m");
    CHECK_STR(e.code, "");
}

const Test error_tests[] = {
    {"error_set_fields", set_fields},
    {"error_set_null", set_null},
    {"error_one_line", one_line},
    {"error_long_message", long_message},
    {"error_long_message_utf8", long_message_utf8},
    {"error_long_code", long_code},
    {NULL, NULL},
};
