/* SPDX-License-Identifier: MIT */
/*
 * jobtypes.h - the job types an installation runs: the built-in handlers
 * of pgjobd, and the exec types its configuration names.  The front end
 * accepts a submission only for one of these; pgjobd claims them.
 */
#ifndef PGJOB_JOBTYPES_H
#define PGJOB_JOBTYPES_H

#include <stddef.h>

#include "config.h"

/* The names of the built-in handlers, in the order of jobtypes.def. */
extern const char *const jobtypes_builtin[];
extern const size_t jobtypes_builtin_count;

/* jobtypes_all returns a new array (free() it; the names are borrowed
 * from cfg and static storage) of every type cfg runs: its exec types,
 * then the built-in ones; *count gets its length.  NULL when out of
 * memory. */
const char **jobtypes_all(const Config *cfg, size_t *count);

#endif
