/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a tiny unit test harness.  Tests are listed by hand in
 * tables (no symbol discovery); each runs in its own forked process with a
 * fresh temporary directory as its working directory, so a crash, a leak
 * report or a stray file stays with the test that caused it.
 *
 * A test is a void function that uses CHECK* (report a failure and go on)
 * and REQUIRE (report and stop the test).  It passes if nothing failed and
 * the process exited normally.
 */
#ifndef PGJOB_HARNESS_H
#define PGJOB_HARNESS_H

#include <stdbool.h>

/* Test is one row of a test table; tables end with {NULL, NULL}. */
typedef struct Test {
    const char *name; /* unique over all tables: "module_what" */
    void (*run)(void);
} Test;

/* CHECK(expr) reports "file:line: CHECK(expr) failed" if expr is false,
 * and is itself true or false. */
#define CHECK(expr) harness_check((expr) ? true : false, __FILE__, __LINE__, "CHECK(" #expr ")")

/* CHECK_STR(a, b) checks that two strings (either may be NULL) are equal
 * and prints both, escaped, if not. */
#define CHECK_STR(a, b) harness_check_str((a), (b), __FILE__, __LINE__, #a, #b)

/* CHECK_INT(a, b) checks that two integers are equal and prints both if
 * not. */
#define CHECK_INT(a, b) harness_check_long((long)(a), (long)(b), __FILE__, __LINE__, #a, #b)

/* REQUIRE(expr) is CHECK(expr) that ends the test at once on failure, for
 * conditions the rest of the test depends on. */
#define REQUIRE(expr)                                                                        \
    do {                                                                                     \
        if (!harness_check((expr) ? true : false, __FILE__, __LINE__, "REQUIRE(" #expr ")")) \
            harness_stop();                                                                  \
    } while (0)

/* The functions behind the macros; each returns whether the check held. */
bool harness_check(bool ok, const char *file, int line, const char *what);
bool harness_check_str(const char *a, const char *b, const char *file, int line, const char *ea,
                       const char *eb);
bool harness_check_long(long a, long b, const char *file, int line, const char *ea, const char *eb);

/* harness_stop ends the current test as failed. */
_Noreturn void harness_stop(void);

/* harness_main runs the tests of tables (a NULL-terminated list of test
 * tables):
 *   no argument   run all, print "ok NAME" or "FAIL NAME" per test on
 *                 stdout, then "N passed, N failed"; exit 0 if none failed
 *   --list        print every test name, one per line
 *   NAME...       run just these tests, same output
 * Returns the exit code: 0 all passed, 1 some failed, 2 usage error. */
int harness_main(int argc, char **argv, const Test *const *tables);

#endif
