/* SPDX-License-Identifier: MIT */
/* promtext.c writes the shared pieces of Prometheus text (see promtext.h). */
#include "promtext.h"

#include <string.h>

/* escaped writes text with \ and line breaks escaped, and " too when
 * quote is set. */
static void escaped(PromWrite write, void *sink, const char *text, int quote)
{
    const char *run = text;

    for (const char *p = text; *p != '\0'; p++) {
        const char *with = *p == '\\'             ? "\\\\"
                           : *p == '\n'           ? "\\n"
                           : (quote && *p == '"') ? "\\\""
                                                  : NULL;

        if (with == NULL)
            continue;
        if (p > run)
            write(sink, run, (size_t)(p - run));
        write(sink, with, 2);
        run = p + 1;
    }
    if (*run != '\0')
        write(sink, run, strlen(run));
}

static void text(PromWrite write, void *sink, const char *s)
{
    write(sink, s, strlen(s));
}

void prom_family(PromWrite write, void *sink, const char *name, const char *type, const char *help)
{
    text(write, sink, "# HELP ");
    text(write, sink, name);
    text(write, sink, " ");
    escaped(write, sink, help, 0);
    text(write, sink, "\n# TYPE ");
    text(write, sink, name);
    text(write, sink, " ");
    text(write, sink, type);
    text(write, sink, "\n");
}

void prom_label(PromWrite write, void *sink, const char *value)
{
    escaped(write, sink, value, 1);
}
