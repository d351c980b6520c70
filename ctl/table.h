/* SPDX-License-Identifier: MIT */
/*
 * table.h - how pgjobctl prints what the database answers: an aligned
 * table (a vertical one for a single record) by default, or with --json
 * one JSON document on stdout, as the server writes JSON (row_to_json),
 * so numbers and timestamps are exact.
 *
 * Every query goes through table_query, which adds to each row a last
 * column holding the row as JSON text; the table printers skip that
 * column and the JSON printers print only it.  On a terminal a table cell
 * is cut to TABLE_CELL_MAX characters; anywhere else it is printed whole.
 */
#ifndef PGJOB_CTL_TABLE_H
#define PGJOB_CTL_TABLE_H

#include <stdbool.h>

#include <libpq-fe.h>

/* The widest table cell on a terminal, in characters. */
enum { TABLE_CELL_MAX = 60 };

/* table_query runs sql (a SELECT; $1.. are params, n of them) as
 * "SELECT t.*, row_to_json(t)::text FROM (sql) t".  Returns the result
 * (PQclear it) or NULL when out of memory; check it with db_tuples_ok. */
PGresult *table_query(PGconn *c, const char *sql, int n, const char *const *params);

/* table_print_rows prints every row of r (from table_query): a table with
 * a header, or with --json an array of objects. */
void table_print_rows(const PGresult *r);

/* table_print_record prints row of r (from table_query): one "column
 * value" line per column, or with --json one object. */
void table_print_record(const PGresult *r, int row);

/* table_print_section prints r (from table_query) as one part of a
 * larger document: on a table, a title line then the rows; with --json,
 * "name": [rows], preceded by a comma unless first.  The caller prints the
 * enclosing braces of the JSON object. */
void table_print_section(const char *name, const PGresult *r, bool first);

/* table_run_rows runs sql through table_query and prints its rows;
 * returns CTL_EXIT_OK, or the exit code of the failure (logged, with
 * context). */
int table_run_rows(PGconn *c, const char *sql, int n, const char *const *params,
                   const char *context);

/* table_run_record runs sql through table_query and prints its first row.
 * No row: logs missing and returns CTL_EXIT_RUNTIME.  A failure: logged
 * with context, its exit code returned. */
int table_run_record(PGconn *c, const char *sql, int n, const char *const *params,
                     const char *context, const char *missing);

/* table_cell returns the text of a cell as a table shows it (NULL as ""),
 * in buf (of size bytes), cut to fit. */
const char *table_cell(const PGresult *r, int row, int col, char *buf, size_t size);

#endif
