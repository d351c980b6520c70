/* SPDX-License-Identifier: MIT */
/* test_ctl.c tests pgjobctl's pure helpers: durations, ids (ctl/ctl.c) and table cells
 * (ctl/table.c). */
#include <string.h>

#include <libpq-fe.h>

#include "ctl.h"
#include "suites.h"
#include "table.h"

static void durations(void)
{
    long s = -1;

    CHECK(ctl_parse_duration("300", &s) && s == 300);
    CHECK(ctl_parse_duration("45s", &s) && s == 45);
    CHECK(ctl_parse_duration("30m", &s) && s == 1800);
    CHECK(ctl_parse_duration("24h", &s) && s == 86400);
    CHECK(ctl_parse_duration("90d", &s) && s == 90L * 86400);
    CHECK(ctl_parse_duration("0", &s) && s == 0);
    s = 7;
    CHECK(!ctl_parse_duration("", &s));
    CHECK(!ctl_parse_duration("h", &s));
    CHECK(!ctl_parse_duration("-1h", &s));
    CHECK(!ctl_parse_duration("+1h", &s));
    CHECK(!ctl_parse_duration("1.5h", &s));
    CHECK(!ctl_parse_duration("1w", &s));
    CHECK(!ctl_parse_duration("1 h", &s));
    CHECK(!ctl_parse_duration("99999999999d", &s));
    CHECK(!ctl_parse_duration(NULL, &s));
    CHECK(s == 7);
}

static void uuids(void)
{
    CHECK(ctl_is_uuid("3f0c7a52-6e4b-4f7e-9a55-0d2b1c8e9f10"));
    CHECK(ctl_is_uuid("3F0C7A52-6E4B-4F7E-9A55-0D2B1C8E9F10"));
    CHECK(!ctl_is_uuid("3f0c7a52-6e4b-4f7e-9a55-0d2b1c8e9f1"));
    CHECK(!ctl_is_uuid("3f0c7a52-6e4b-4f7e-9a55-0d2b1c8e9f100"));
    CHECK(!ctl_is_uuid("3f0c7a526e4b4f7e9a550d2b1c8e9f10aaaa"));
    CHECK(!ctl_is_uuid("3f0c7a52-6e4b-4f7e-9a55-0d2b1c8e9g10"));
    CHECK(!ctl_is_uuid(""));
}

/* one_row makes a result of one column of type oid holding v (NULL: SQL
 * NULL), plus the JSON column table_query adds. */
static PGresult *one_row(unsigned int oid, const char *v)
{
    PGresAttDesc attrs[2] = {
        {(char *)"c", 0, 0, 0, oid, -1, -1},
        {(char *)"row_to_json", 0, 0, 0, 25, -1, -1},
    };
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

    CHECK(r != NULL && PQsetResultAttrs(r, 2, attrs));
    CHECK(PQsetvalue(r, 0, 0, (char *)v, v != NULL ? (int)strlen(v) : -1));
    CHECK(PQsetvalue(r, 0, 1, (char *)"{}", 2));
    return r;
}

/* cell is the table text of a one-row result of type oid holding v. */
static void check_cell(unsigned int oid, const char *v, const char *want)
{
    char buf[128];
    PGresult *r = one_row(oid, v);

    CHECK_STR(table_cell(r, 0, 0, buf, sizeof buf), want);
    PQclear(r);
}

static void cells(void)
{
    check_cell(1184, "2026-12-07 02:05:47.123456+00", "2026-12-07 02:05:47Z");
    check_cell(1184, "2026-12-07 02:05:47+00", "2026-12-07 02:05:47Z");
    check_cell(1184, "2026-12-07 03:05:47.5+01", "2026-12-07 03:05:47+01");
    check_cell(1184, "2026-12-07 03:05:47-03:30", "2026-12-07 03:05:47-03:30");
    check_cell(1184, "infinity", "infinity");
    check_cell(16, "t", "yes");
    check_cell(16, "f", "no");
    check_cell(25, NULL, "");
    check_cell(25, "two\nlines\tand a tab", "two lines and a tab");
    check_cell(25, "caf\xc3\xa9", "caf\xc3\xa9");
}

/* A cell longer than the buffer is cut on a character boundary and ends
 * in "...". */
static void cells_cut(void)
{
    char buf[11];
    PGresult *r = one_row(25, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");

    CHECK_STR(table_cell(r, 0, 0, buf, sizeof buf), "\xc3\xa9\xc3\xa9\xc3\xa9...");
    PQclear(r);
    r = one_row(25, "abcdefghijklmnop");
    CHECK_STR(table_cell(r, 0, 0, buf, sizeof buf), "abcdefg...");
    PQclear(r);
}

const Test ctl_tests[] = {
    {"ctl_durations", durations},       {"ctl_uuids", uuids}, {"ctl_table_cells", cells},
    {"ctl_table_cells_cut", cells_cut}, {NULL, NULL},
};
