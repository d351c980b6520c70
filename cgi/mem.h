/* SPDX-License-Identifier: MIT */
/*
 * mem.h - the memory allocation of cgi/'s modules: malloc and friends
 * with a failure seam, so that the unit tests reach every out-of-memory
 * branch.  A test calls mem_fail_at(n) and the (n+1)-th allocation made
 * by the calling thread from then on returns NULL; sweeping n from 0
 * until no allocation fails walks a function through each of its
 * failure paths.  Memory from these functions is released with free().
 *
 * Each thread also counts its allocations that failed, really or by the
 * seam, so that a caller can tell "out of memory" from the error a
 * library reports instead: jansson's parser reports some allocation
 * failures as syntax errors.  For jansson's allocations to be counted,
 * pgjob.fcgi calls json_set_alloc_funcs(mem_malloc, free) once at
 * startup, before any thread; the unit tests that need it do the same
 * (each test runs in its own process).
 */
#ifndef PGJOB_MEM_H
#define PGJOB_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* mem_malloc, mem_calloc, mem_realloc, mem_strdup and mem_strndup are
 * their libc namesakes, except while a failure is armed (mem_fail_at).
 * Each returns new memory (free with free()), or NULL when out of memory;
 * a failed mem_realloc leaves ptr as it was. */
void *mem_malloc(size_t size) __attribute__((warn_unused_result));
void *mem_calloc(size_t count, size_t size) __attribute__((warn_unused_result));
void *mem_realloc(void *ptr, size_t size) __attribute__((warn_unused_result));
char *mem_strdup(const char *s) __attribute__((warn_unused_result));
char *mem_strndup(const char *s, size_t n) __attribute__((warn_unused_result));

/* mem_fail_at arms the seam for the calling thread: allocation number n
 * from now (0: the next one) fails, and only that one.  n < 0 disarms
 * it.  For tests; the program never calls it. */
void mem_fail_at(long n);

/* mem_failed says whether the calling thread's armed failure happened
 * since the last mem_fail_at. */
bool mem_failed(void);

/* mem_failure_count returns how many allocations of the calling thread
 * have failed so far, for real or by the seam; compare two readings. */
unsigned long mem_failure_count(void);

#endif
