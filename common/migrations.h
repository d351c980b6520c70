/* SPDX-License-Identifier: MIT */
/*
 * migrations.h - the schema migrations built into every pgjob program.
 * The build generates the table from sql/NNN_name.sql with
 * common/embed_sql.awk (see the Makefile), so a binary always carries the
 * exact SQL it was built with; schema.h applies it.
 */
#ifndef PGJOB_MIGRATIONS_H
#define PGJOB_MIGRATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Migration is one file of sql/, embedded. */
typedef struct Migration {
    int version;      /* NNN of the file name: 1, 2, 3... */
    const char *name; /* file name without ".sql", e.g. "001_schema" */
    const char *sql;  /* the file's text, byte for byte */
} Migration;

/* migrations holds migrations_count entries sorted by version, followed by
 * a sentinel {0, NULL, NULL} (C11 has no empty arrays).  Static data. */
extern const Migration migrations[];
extern const size_t migrations_count;

/* migrations_validate checks a migration list: versions 1..count in
 * order with no gap or repeat, each name "NNN_word" whose NNN is its
 * version (word: letters, digits, '_'), and non-empty SQL.  An empty list
 * is valid.  Returns false with err filled (500 "bad_migrations", naming
 * the first problem) otherwise.  The build already refuses such files;
 * this is the check a unit test and schema_migrate repeat. */
bool migrations_validate(const Migration *list, size_t count, Error *err)
    __attribute__((warn_unused_result));

/* migrations_line_of returns the 1-based line of sql that holds the
 * 1-based character position that PostgreSQL reports for an error
 * (PG_DIAG_STATEMENT_POSITION), counting UTF-8 characters; 0 if position
 * is not inside sql. */
int migrations_line_of(const char *sql, long position);

#endif
