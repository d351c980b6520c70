/* SPDX-License-Identifier: MIT */
/*
 * test_migrations.c tests the embedded migration table (generated from
 * sql/ by common/embed_sql.awk) and common/migrations.c.  PGJOB_SQL_DIR, set
 * by the Makefile, is the absolute path of the folder the table was built
 * from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrations.h"
#include "schema.h"
#include "suites.h"

#ifndef PGJOB_SQL_DIR
#error "PGJOB_SQL_DIR must name the migration folder (the Makefile sets it)"
#endif

/* The table built into this binary: versions 1..N, names NNN_word,
 * non-empty SQL, then the sentinel.  Passes with zero migrations. */
static void table_valid(void)
{
    Error e;

    error_clear(&e);
    CHECK(migrations_validate(migrations, migrations_count, &e));
    CHECK_STR(e.message, "");
    CHECK(migrations[migrations_count].name == NULL);
    CHECK(migrations[migrations_count].sql == NULL);
    CHECK_INT(schema_latest(), (long)migrations_count);
}

/* read_file returns the new contents of path (free it), or NULL. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size)
            text[size] = '\0';
        else {
            free(text);
            text = NULL;
        }
    }
    fclose(f);
    return text;
}

/* embedded_equals says whether a migration's text is the file's, byte for
 * byte; the only difference allowed is the final newline that the
 * embedding adds to a file lacking one. */
static bool embedded_equals(const char *embedded, const char *file)
{
    size_t n = strlen(file);

    if (strcmp(embedded, file) == 0)
        return true;
    return n > 0 && file[n - 1] != '\n' && strncmp(embedded, file, n) == 0 &&
           strcmp(embedded + n, "\n") == 0;
}

static void table_matches_files(void)
{
    for (size_t i = 0; i < migrations_count; i++) {
        char path[4096];
        char *text;

        snprintf(path, sizeof path, "%s/%s.sql", PGJOB_SQL_DIR, migrations[i].name);
        text = read_file(path);
        if (!CHECK(text != NULL)) {
            fprintf(stderr, "cannot read %s\n", path);
            continue;
        }
        if (!CHECK(embedded_equals(migrations[i].sql, text)))
            fprintf(stderr, "%s differs from its embedded text: rebuild\n", path);
        free(text);
    }
}

static void validate_empty(void)
{
    CHECK(migrations_validate(NULL, 0, NULL));
}

static void validate_good(void)
{
    static const Migration list[] = {
        {1, "001_schema", "CREATE TABLE t (x int);\n"},
        {2, "002_more_Things_2", "SELECT 1;\n"},
    };
    Error e;

    error_clear(&e);
    CHECK(migrations_validate(list, 2, &e));
    CHECK(!error_is_set(&e));
}

static void validate_gap(void)
{
    static const Migration list[] = {
        {1, "001_schema", "SELECT 1;\n"},
        {3, "003_later", "SELECT 3;\n"},
    };
    Error e;

    error_clear(&e);
    CHECK(!migrations_validate(list, 2, &e));
    CHECK_STR(e.code, "bad_migrations");
    CHECK(strstr(e.message, "003_later") != NULL);
}

static void validate_not_from_one(void)
{
    static const Migration list[] = {{2, "002_first", "SELECT 1;\n"}};
    Error e;

    CHECK(!migrations_validate(list, 1, &e));
    CHECK(strstr(e.message, "expected 1") != NULL);
}

static void validate_duplicate(void)
{
    static const Migration list[] = {
        {1, "001_a", "SELECT 1;\n"},
        {1, "001_b", "SELECT 2;\n"},
    };
    Error e;

    CHECK(!migrations_validate(list, 2, &e));
    CHECK(strstr(e.message, "twice") != NULL);
}

static void validate_bad_names(void)
{
    static const Migration wrong_number[] = {{1, "002_schema", "SELECT 1;\n"}};
    static const Migration no_word[] = {{1, "001_", "SELECT 1;\n"}};
    static const Migration no_underscore[] = {{1, "001schema", "SELECT 1;\n"}};
    static const Migration short_number[] = {{1, "1_schema", "SELECT 1;\n"}};
    static const Migration bad_char[] = {{1, "001_sch-ema", "SELECT 1;\n"}};
    static const Migration no_name[] = {{1, NULL, "SELECT 1;\n"}};
    Error e;

    CHECK(!migrations_validate(wrong_number, 1, &e));
    CHECK(!migrations_validate(no_word, 1, &e));
    CHECK(!migrations_validate(no_underscore, 1, &e));
    CHECK(!migrations_validate(short_number, 1, &e));
    CHECK(!migrations_validate(bad_char, 1, &e));
    CHECK(!migrations_validate(no_name, 1, &e));
}

static void validate_empty_sql(void)
{
    static const Migration empty[] = {{1, "001_schema", ""}};
    static const Migration none[] = {{1, "001_schema", NULL}};
    Error e;

    CHECK(!migrations_validate(empty, 1, &e));
    CHECK(strstr(e.message, "no SQL") != NULL);
    CHECK(!migrations_validate(none, 1, &e));
}

static void line_of(void)
{
    /* "é" is one character in two bytes. */
    static const char sql[] = "SELECT 1;\n\xc3\xa9\nSELEC 2;\n";

    CHECK_INT(migrations_line_of(sql, 1), 1);
    CHECK_INT(migrations_line_of(sql, 10), 1); /* the first newline */
    CHECK_INT(migrations_line_of(sql, 11), 2); /* é */
    CHECK_INT(migrations_line_of(sql, 12), 2);
    CHECK_INT(migrations_line_of(sql, 13), 3); /* SELEC */
    CHECK_INT(migrations_line_of(sql, 0), 0);
    CHECK_INT(migrations_line_of(sql, 100), 0);
    CHECK_INT(migrations_line_of(NULL, 1), 0);
}

const Test migrations_tests[] = {
    {"migrations_table_valid", table_valid},
    {"migrations_table_matches_files", table_matches_files},
    {"migrations_validate_empty", validate_empty},
    {"migrations_validate_good", validate_good},
    {"migrations_validate_gap", validate_gap},
    {"migrations_validate_not_from_one", validate_not_from_one},
    {"migrations_validate_duplicate", validate_duplicate},
    {"migrations_validate_bad_names", validate_bad_names},
    {"migrations_validate_empty_sql", validate_empty_sql},
    {"migrations_line_of", line_of},
    {NULL, NULL},
};
