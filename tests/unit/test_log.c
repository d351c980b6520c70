/* SPDX-License-Identifier: MIT */
/* test_log.c tests log lines and log_sanitize (common/log.c). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "suites.h"

/* Capture sends stderr to a file of the test's directory while a test
 * logs, then reads the file back. */
typedef struct Capture {
    int saved_fd;
    char text[LOG_LINE_MAX * 2];
} Capture;

static void capture_begin(Capture *cap)
{
    int fd = open("stderr.txt", O_CREAT | O_TRUNC | O_WRONLY, 0600);

    REQUIRE(fd >= 0);
    fflush(stderr);
    cap->saved_fd = dup(STDERR_FILENO);
    REQUIRE(cap->saved_fd >= 0);
    REQUIRE(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    close(fd);
}

static void capture_end(Capture *cap)
{
    FILE *f;
    size_t n;

    REQUIRE(dup2(cap->saved_fd, STDERR_FILENO) == STDERR_FILENO);
    close(cap->saved_fd);
    f = fopen("stderr.txt", "r");
    REQUIRE(f != NULL);
    n = fread(cap->text, 1, sizeof cap->text - 1, f);
    cap->text[n] = '\0';
    fclose(f);
}

static void sanitize_plain(void)
{
    char buf[64];

    CHECK_STR(log_sanitize(buf, sizeof buf, "job 42 done: ok!"), "job 42 done: ok!");
    CHECK_STR(log_sanitize(buf, sizeof buf, ""), "");
    CHECK_STR(log_sanitize(buf, sizeof buf, NULL), "(null)");
}

static void sanitize_control(void)
{
    char buf[64];

    CHECK_STR(log_sanitize(buf, sizeof buf, "a\nb"), "a\\x0ab");
    CHECK_STR(log_sanitize(buf, sizeof buf, "a\r\n"), "a\\x0d\\x0a");
    CHECK_STR(log_sanitize(buf, sizeof buf, "\t\x01\x1b[31m"), "\\x09\\x01\\x1b[31m");
    CHECK_STR(log_sanitize(buf, sizeof buf, "del\x7f"), "del\\x7f");
    CHECK_STR(log_sanitize(buf, sizeof buf, "back\\slash"), "back\\\\slash");
}

/* UTF-8 is escaped byte by byte: a log line stays ASCII, and no C1 control
 * or bidirectional override can hide in it. */
static void sanitize_utf8(void)
{
    char buf[64];

    CHECK_STR(log_sanitize(buf, sizeof buf, "caf\xc3\xa9"), "caf\\xc3\\xa9");
    CHECK_STR(log_sanitize(buf, sizeof buf, "\xe2\x80\xae"), "\\xe2\\x80\\xae");
}

static void sanitize_truncate(void)
{
    char buf[16];
    char small[3];

    CHECK_STR(log_sanitize(buf, sizeof buf, "0123456789abcdefghij"), "0123456789ab...");
    /* Exactly fitting text keeps all of it. */
    CHECK_STR(log_sanitize(buf, sizeof buf, "0123456789abcde"), "0123456789abcde");
    /* An escape is never cut in half. */
    CHECK_STR(log_sanitize(buf, sizeof buf, "0123456789\n123456"), "0123456789...");
    CHECK_INT(strlen(log_sanitize(buf, sizeof buf, "\n\n\n\n\n\n\n\n")), 15);
    CHECK_STR(log_sanitize(small, sizeof small, "abcdef"), "..");
    buf[0] = 'x';
    CHECK(log_sanitize(buf, 0, "abc") == buf && buf[0] == 'x');
}

static void line_format(void)
{
    Capture cap;

    log_set_program("unit");
    capture_begin(&cap);
    log_error("disk %s is %d%% full", "sda", 93);
    log_warn("w");
    log_info("i");
    capture_end(&cap);
    CHECK_STR(cap.text, "ERROR unit: disk sda is 93% full\nWARN unit: w\nINFO unit: i\n");
}

static void line_levels(void)
{
    Capture cap;

    log_set_program("unit");
    CHECK(log_get_level() == LOG_LEVEL_INFO);
    CHECK(!log_enabled(LOG_LEVEL_DEBUG));
    capture_begin(&cap);
    log_debug("hidden");
    log_set_level(LOG_LEVEL_DEBUG);
    log_debug("shown");
    log_set_level(LOG_LEVEL_ERROR);
    log_warn("hidden");
    log_error("shown");
    capture_end(&cap);
    CHECK_STR(cap.text, "DEBUG unit: shown\nERROR unit: shown\n");
}

/* One event is one line, whatever the message holds. */
static void line_one_line(void)
{
    Capture cap;

    log_set_program("unit");
    capture_begin(&cap);
    log_error("two\nlines\rand\ta tab");
    capture_end(&cap);
    CHECK_STR(cap.text, "ERROR unit: two?lines?and?a tab\n");
}

static void line_truncated(void)
{
    static char big[LOG_LINE_MAX * 2];
    Capture cap;
    size_t len;

    memset(big, 'x', sizeof big - 1);
    log_set_program("unit");
    capture_begin(&cap);
    log_error("%s", big);
    capture_end(&cap);
    len = strlen(cap.text);
    CHECK_INT(len, LOG_LINE_MAX - 1);
    CHECK(strncmp(cap.text, "ERROR unit: xxx", 15) == 0);
    CHECK(len > 4 && strcmp(cap.text + len - 4, "...\n") == 0);
}

const Test log_tests[] = {
    {"log_sanitize_plain", sanitize_plain},
    {"log_sanitize_control", sanitize_control},
    {"log_sanitize_utf8", sanitize_utf8},
    {"log_sanitize_truncate", sanitize_truncate},
    {"log_line_format", line_format},
    {"log_line_levels", line_levels},
    {"log_line_one_line", line_one_line},
    {"log_line_truncated", line_truncated},
    {NULL, NULL},
};
