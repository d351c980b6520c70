/* SPDX-License-Identifier: MIT */
/* test_cgi_mem.c tests the allocation functions and their failure seam (cgi/mem.c). */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "suites.h"

static void allocates(void)
{
    char *a = mem_malloc(4);
    int *b = mem_calloc(4, sizeof *b);
    char *c = mem_strdup("abc");
    char *d = mem_strndup("abcdef", 3);

    REQUIRE(a != NULL && b != NULL && c != NULL && d != NULL);
    CHECK_INT(b[3], 0);
    CHECK_STR(c, "abc");
    CHECK_STR(d, "abc");
    a = mem_realloc(a, 64);
    REQUIRE(a != NULL);
    CHECK(!mem_failed());
    free(a);
    free(b);
    free(c);
    free(d);
}

/* Exactly the armed allocation fails, once. */
static void fails_once(void)
{
    char *a, *b, *c;

    mem_fail_at(1);
    a = mem_strdup("a");
    CHECK(!mem_failed());
    b = mem_malloc(1);
    CHECK(b == NULL);
    CHECK(mem_failed());
    c = mem_strndup("c", 1);
    CHECK(c != NULL);
    CHECK(mem_failed()); /* still reported until the next arming */
    mem_fail_at(-1);
    CHECK(!mem_failed());
    free(a);
    free(c);
}

/* Each function can be the one that fails; realloc keeps its block. */
static void each_function(void)
{
    char *keep = mem_strdup("keep");

    REQUIRE(keep != NULL);
    mem_fail_at(0);
    CHECK(mem_malloc(1) == NULL);
    mem_fail_at(0);
    CHECK(mem_calloc(1, 1) == NULL);
    mem_fail_at(0);
    CHECK(mem_strdup("x") == NULL);
    mem_fail_at(0);
    CHECK(mem_strndup("x", 1) == NULL);
    mem_fail_at(0);
    CHECK(mem_realloc(keep, 1000) == NULL);
    CHECK(mem_failed());
    mem_fail_at(-1);
    CHECK_STR(keep, "keep");
    free(keep);
}

/* AddressSanitizer ends the program on an impossible allocation instead
 * of returning NULL, so the real failures below are not tried under it. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Failures are counted per thread, injected or real. */
static void failure_count(void)
{
    unsigned long before = mem_failure_count();
    char *p;

    mem_fail_at(0);
    CHECK(mem_malloc(8) == NULL);
    mem_fail_at(-1);
    CHECK(mem_failure_count() == before + 1);
#ifndef UNDER_ASAN
    /* A real failure: more than any allocator gives. */
    CHECK(mem_malloc((size_t)-1 / 2) == NULL);
    CHECK(mem_calloc((size_t)-1 / 4, 2) == NULL);
    p = mem_malloc(1);
    REQUIRE(p != NULL);
    CHECK(mem_realloc(p, (size_t)-1 / 2) == NULL);
    CHECK(mem_failure_count() == before + 4);
    CHECK(!mem_failed()); /* those were not the seam's */
    free(p);
#else
    (void)p;
#endif
}

const Test cgi_mem_tests[] = {
    {"cgi_mem_allocates", allocates},
    {"cgi_mem_fails_once", fails_once},
    {"cgi_mem_each_function", each_function},
    {"cgi_mem_failure_count", failure_count},
    {NULL, NULL},
};
