/* SPDX-License-Identifier: MIT */
/* test_db.c tests the parts of common/db.c that need no server. */
#include <string.h>

#include "db.h"
#include "suites.h"

static void status_for_sqlstate(void)
{
    CHECK_INT(db_status_for_sqlstate("08006"), 503); /* connection_failure */
    CHECK_INT(db_status_for_sqlstate("08001"), 503);
    CHECK_INT(db_status_for_sqlstate("57P01"), 503); /* admin_shutdown */
    CHECK_INT(db_status_for_sqlstate("57P03"), 503); /* cannot_connect_now */
    CHECK_INT(db_status_for_sqlstate("57P05"), 503);
    CHECK_INT(db_status_for_sqlstate("57014"), 500); /* query_canceled */
    CHECK_INT(db_status_for_sqlstate("23505"), 500);
    CHECK_INT(db_status_for_sqlstate("PJ001"), 500);
    CHECK_INT(db_status_for_sqlstate(""), 500);
    CHECK_INT(db_status_for_sqlstate(NULL), 500);
    CHECK_INT(db_status_for_sqlstate("08"), 500);
}

static void result_helpers_null(void)
{
    CHECK_STR(db_sqlstate(NULL), "");
    CHECK_STR(db_message(NULL), "");
    CHECK(!db_command_ok(NULL));
    CHECK(!db_tuples_ok(NULL));
}

/* A malformed conninfo is refused before connecting, without echoing the
 * text, which may hold a password. */
static void bad_conninfo_hidden(void)
{
    Error e;
    PGconn *c;

    error_clear(&e);
    c = db_connect("host=x password=s3cret bogus", "unit", &e);
    CHECK(c == NULL);
    PQfinish(c);
    CHECK_INT(e.status, 500);
    CHECK_STR(e.code, "bad_conninfo");
    CHECK(strstr(e.message, "s3cret") == NULL);
    CHECK(strstr(e.message, "bogus") == NULL);

    c = db_connect("postgresql://u:s3cret@h/d?bogus_option=1", "unit", &e);
    CHECK(c == NULL);
    PQfinish(c);
    CHECK_STR(e.code, "bad_conninfo");
    CHECK(strstr(e.message, "s3cret") == NULL);
}

/* No server listens on this socket directory: 503 with libpq's reason. */
static void unreachable_is_503(void)
{
    Error e;
    PGconn *c;

    error_clear(&e);
    c = db_connect("host=/nonexistent-pgjob-socket-dir port=1 dbname=x connect_timeout=2", "unit",
                   &e);
    CHECK(c == NULL);
    PQfinish(c);
    CHECK_INT(e.status, 503);
    CHECK_STR(e.code, "db_unavailable");
    CHECK(strstr(e.message, "cannot connect to the database") == e.message);
    CHECK(strchr(e.message, '\n') == NULL);
}

const Test db_tests[] = {
    {"db_status_for_sqlstate", status_for_sqlstate},
    {"db_result_helpers_null", result_helpers_null},
    {"db_bad_conninfo_hidden", bad_conninfo_hidden},
    {"db_unreachable_is_503", unreachable_is_503},
    {NULL, NULL},
};
