/* SPDX-License-Identifier: MIT */
/* mem.c allocates memory for cgi/, with the failure seam of mem.h. */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* Per thread, so that a test's seam never touches another request: the
 * allocations left before the armed failure (-1: none armed), whether it
 * happened, and how many allocations failed in all. */
static _Thread_local long countdown = -1;
static _Thread_local bool failed;
static _Thread_local unsigned long failures;

/* should_fail counts one allocation and says whether it must fail. */
static bool should_fail(void)
{
    if (countdown < 0 || countdown-- > 0)
        return false;
    failed = true;
    failures++;
    return true;
}

/* counted returns p, counting it as a failure when it is NULL although
 * memory was asked for. */
static void *counted(void *p, size_t size)
{
    if (p == NULL && size > 0)
        failures++;
    return p;
}

void *mem_malloc(size_t size)
{
    return should_fail() ? NULL : counted(malloc(size), size);
}

void *mem_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : counted(calloc(count, size), count * size);
}

void *mem_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : counted(realloc(ptr, size), size);
}

char *mem_strdup(const char *s)
{
    return should_fail() ? NULL : counted(strdup(s), 1);
}

char *mem_strndup(const char *s, size_t n)
{
    return should_fail() ? NULL : counted(strndup(s, n), 1);
}

void mem_fail_at(long n)
{
    countdown = n;
    failed = false;
}

bool mem_failed(void)
{
    return failed;
}

unsigned long mem_failure_count(void)
{
    return failures;
}
