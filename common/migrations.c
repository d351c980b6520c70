/* SPDX-License-Identifier: MIT */
/* migrations.c checks the embedded migration list and maps error positions to lines. */
#include "migrations.h"

#include <string.h>

/* name_ok says whether name is "NNN_word" with NNN equal to version. */
static bool name_ok(const char *name, int version)
{
    int number = 0;
    size_t i;

    if (name == NULL || strlen(name) < 5 || name[3] != '_')
        return false;
    for (i = 0; i < 3; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        number = number * 10 + (name[i] - '0');
    }
    if (number != version)
        return false;
    for (i = 4; name[i] != '\0'; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

bool migrations_validate(const Migration *list, size_t count, Error *err)
{
    for (size_t i = 0; i < count; i++) {
        const Migration *m = &list[i];
        const char *name = m->name != NULL ? m->name : "(unnamed)";
        int expected = (int)i + 1;

        if (i > 0 && m->version == list[i - 1].version) {
            error_set(err, 500, "bad_migrations", "migration version %d is used twice (%s)",
                      m->version, name);
            return false;
        }
        if (m->version != expected) {
            error_set(err, 500, "bad_migrations",
                      "migration versions must run 1..N without gaps: expected %d, found %d (%s)",
                      expected, m->version, name);
            return false;
        }
        if (m->version > 999 || !name_ok(m->name, m->version)) {
            error_set(err, 500, "bad_migrations",
                      "migration %d is named \"%s\", not NNN_name with NNN = %03d", m->version,
                      name, m->version);
            return false;
        }
        if (m->sql == NULL || m->sql[0] == '\0') {
            error_set(err, 500, "bad_migrations", "migration %s has no SQL", name);
            return false;
        }
    }
    return true;
}

int migrations_line_of(const char *sql, long position)
{
    long chars = 0;
    int line = 1;

    if (sql == NULL || position < 1)
        return 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte is part of the previous character */
        if (++chars == position)
            return line;
        if (*p == '\n')
            line++;
    }
    return 0;
}
