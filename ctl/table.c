/* SPDX-License-Identifier: MIT */
/* table.c prints query results as aligned tables or as JSON (see table.h). */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "log.h"

/* Type OIDs (pg_type.h is not a client header). */
enum { BOOL_OID = 16, TIMESTAMPTZ_OID = 1184 };

PGresult *table_query(PGconn *c, const char *sql, int n, const char *const *params)
{
    static const char head[] = "SELECT t.*, row_to_json(t)::text FROM (";
    static const char tail[] = ") t";
    size_t len = strlen(head) + strlen(sql) + strlen(tail) + 1;
    char *wrapped = malloc(len);
    PGresult *r;

    if (wrapped == NULL)
        return NULL;
    snprintf(wrapped, len, "%s%s%s", head, sql, tail);
    r = db_exec(c, wrapped, n, params);
    free(wrapped);
    return r;
}

/* on_terminal says whether stdout is a terminal (asked once). */
static bool on_terminal(void)
{
    static int tty = -1;

    if (tty < 0)
        tty = isatty(STDOUT_FILENO) ? 1 : 0;
    return tty == 1;
}

/* utf8_width counts the characters of s (its non-continuation bytes). */
static size_t utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* short_time writes a timestamptz as text ("2026-12-07 02:00:29.1234+00")
 * to the second: "2026-12-07 02:00:29Z" in UTC, else with its offset. */
static void short_time(const char *v, char *buf, size_t size)
{
    const char *offset = strlen(v) > 19 ? strpbrk(v + 19, "+-") : NULL;

    if (strlen(v) < 19 || v[10] != ' ') {
        snprintf(buf, size, "%s", v); /* infinity, or a style we do not know */
        return;
    }
    if (offset == NULL || strcmp(offset, "+00") == 0)
        snprintf(buf, size, "%.19sZ", v);
    else
        snprintf(buf, size, "%.19s%s", v, offset);
}

const char *table_cell(const PGresult *r, int row, int col, char *buf, size_t size)
{
    const char *v = PQgetvalue(r, row, col);
    size_t chars = 0, i;

    if (PQgetisnull(r, row, col)) {
        buf[0] = '\0';
        return buf;
    }
    if (PQftype(r, col) == TIMESTAMPTZ_OID) {
        short_time(v, buf, size);
        return buf;
    }
    if (PQftype(r, col) == BOOL_OID) {
        snprintf(buf, size, "%s", strcmp(v, "t") == 0 ? "yes" : "no");
        return buf;
    }
    /* Copy, control characters as spaces, cut on a character boundary. */
    for (i = 0; v[i] != '\0' && i + 4 < size; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch & 0xC0) != 0x80 && ++chars > TABLE_CELL_MAX && on_terminal())
            break;
        buf[i] = ch < ' ' || ch == 0x7f ? ' ' : (char)ch;
    }
    if (v[i] != '\0') {
        /* v[i] is the first byte left out: back up to a character start. */
        while (i > 0 && ((unsigned char)v[i] & 0xC0) == 0x80)
            i--;
        memcpy(buf + i, "...", 4);
    } else {
        buf[i] = '\0';
    }
    return buf;
}

/* Cell buffers: a cell is cut to TABLE_CELL_MAX characters on a terminal,
 * to this many bytes anywhere. */
enum { CELL_BYTES = 64 * 1024 };

/* print_padded prints s and pads it with spaces to width characters. */
static void print_padded(const char *s, size_t width)
{
    size_t w = utf8_width(s);

    fputs(s, stdout);
    for (; w < width; w++)
        putchar(' ');
}

/* print_table prints the columns of r but the last as an aligned table. */
static void print_table(const PGresult *r)
{
    int rows = PQntuples(r), cols = PQnfields(r) - 1;
    size_t *width = calloc((size_t)(cols > 0 ? cols : 1), sizeof *width);
    char *buf = malloc(CELL_BYTES);

    if (width == NULL || buf == NULL) {
        free(width);
        free(buf);
        fputs("(out of memory)\n", stdout);
        return;
    }
    for (int j = 0; j < cols; j++) {
        width[j] = utf8_width(PQfname(r, j));
        for (int i = 0; i < rows; i++) {
            size_t w = utf8_width(table_cell(r, i, j, buf, CELL_BYTES));
            if (w > width[j])
                width[j] = w;
        }
    }
    for (int j = 0; j < cols; j++) {
        print_padded(PQfname(r, j), j + 1 < cols ? width[j] + 2 : 0);
    }
    putchar('\n');
    for (int j = 0; j < cols; j++) {
        for (size_t k = 0; k < width[j]; k++)
            putchar('-');
        fputs(j + 1 < cols ? "  " : "", stdout);
    }
    putchar('\n');
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++)
            print_padded(table_cell(r, i, j, buf, CELL_BYTES), j + 1 < cols ? width[j] + 2 : 0);
        putchar('\n');
    }
    printf("(%d row%s)\n", rows, rows == 1 ? "" : "s");
    free(width);
    free(buf);
}

/* print_json_rows prints the last column of every row of r as an array. */
static void print_json_rows(const PGresult *r)
{
    int rows = PQntuples(r), last = PQnfields(r) - 1;

    putchar('[');
    for (int i = 0; i < rows; i++) {
        fputs(i > 0 ? ",\n " : "", stdout);
        fputs(PQgetvalue(r, i, last), stdout);
    }
    putchar(']');
}

void table_print_rows(const PGresult *r)
{
    if (ctl_options.json) {
        print_json_rows(r);
        putchar('\n');
    } else {
        print_table(r);
    }
}

void table_print_record(const PGresult *r, int row)
{
    int cols = PQnfields(r) - 1;
    size_t width = 0;
    char *buf;

    if (ctl_options.json) {
        puts(PQgetvalue(r, row, cols));
        return;
    }
    for (int j = 0; j < cols; j++) {
        if (utf8_width(PQfname(r, j)) > width)
            width = utf8_width(PQfname(r, j));
    }
    buf = malloc(CELL_BYTES);
    if (buf == NULL) {
        fputs("(out of memory)\n", stdout);
        return;
    }
    for (int j = 0; j < cols; j++) {
        print_padded(PQfname(r, j), width + 2);
        puts(table_cell(r, row, j, buf, CELL_BYTES));
    }
    free(buf);
}

void table_print_section(const char *name, const PGresult *r, bool first)
{
    if (ctl_options.json) {
        printf("%s\"%s\": ", first ? "" : ",\n ", name);
        print_json_rows(r);
        return;
    }
    printf("%s%s\n", first ? "" : "\n", name);
    print_table(r);
}

int table_run_rows(PGconn *c, const char *sql, int n, const char *const *params,
                   const char *context)
{
    PGresult *r = table_query(c, sql, n, params);
    int rc = CTL_EXIT_OK;

    if (db_tuples_ok(r))
        table_print_rows(r);
    else
        rc = ctl_db_failure(c, r, context);
    PQclear(r);
    return rc;
}

int table_run_record(PGconn *c, const char *sql, int n, const char *const *params,
                     const char *context, const char *missing)
{
    PGresult *r = table_query(c, sql, n, params);
    int rc = CTL_EXIT_OK;

    if (!db_tuples_ok(r)) {
        rc = ctl_db_failure(c, r, context);
    } else if (PQntuples(r) == 0) {
        log_error("%s: %s", context, missing);
        rc = CTL_EXIT_RUNTIME;
    } else {
        table_print_record(r, 0);
    }
    PQclear(r);
    return rc;
}
