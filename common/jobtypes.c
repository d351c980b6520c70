/* SPDX-License-Identifier: MIT */
/* jobtypes.c - the list of job types, built-in and configured. */
#include "jobtypes.h"

#include <stdlib.h>

const char *const jobtypes_builtin[] = {
#define JOBTYPE(name) #name,
#include "jobtypes.def"
#undef JOBTYPE
};
const size_t jobtypes_builtin_count = sizeof(jobtypes_builtin) / sizeof(jobtypes_builtin[0]);

const char **jobtypes_all(const Config *cfg, size_t *count)
{
    const char **types = calloc(cfg->exec_count + jobtypes_builtin_count, sizeof(char *));
    size_t n = 0;

    if (types == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->exec_count; i++)
        types[n++] = cfg->exec[i].type;
    for (size_t i = 0; i < jobtypes_builtin_count; i++)
        types[n++] = jobtypes_builtin[i];
    *count = n;
    return types;
}
