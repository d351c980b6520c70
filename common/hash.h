/* SPDX-License-Identifier: MIT */
/* hash.h - one string hash for the in-memory tables (FNV-1a, 64 bits). */
#ifndef PGJOB_HASH_H
#define PGJOB_HASH_H

#include <stddef.h>
#include <stdint.h>

/* hash_bytes returns the FNV-1a hash of data[0, len): fast on short
 * keys, spreads well into the low bits a power-of-two table masks. */
uint64_t hash_bytes(const void *data, size_t len);

#endif
