# SPDX-License-Identifier: MIT
"""sql/022_type_check.sql: the check of pgjob.job's type holds the same rule
as the regular expression it replaced, and no check of pgjob.job runs a
regular expression (each would run on every update of every job row)."""

import re

import psycopg2
import pytest

from jobs_helpers import new_account, rows, submit, value

pytestmark = pytest.mark.sql_only

# The rule as submit states it (and as 001_schema.sql's check did).
TYPE_RULE = re.compile(r"[a-z][a-z0-9_.-]{0,63}\Z")


def names():
    """Names at every edge of the rule: each ASCII character and some
    others, first and later; lengths around the limit; line ends."""
    chars = [chr(c) for c in range(1, 128)] + ["é", "ß", "ａ", "ı", "\u00a0", "😀"]
    out = ["", "a", "z", "a" * 64, "a" * 65, "a" + "9" * 63, "a" + "9" * 64,
           "a\n", "\na", "a\nb", "a b", " a", "a ", "A", "Abc", "aBc", "echo",
           "document.invoice", "a-b_c.d", "a..", "a--", "9a", "_a", ".a", "-a",
           "é" * 32, "a" + "é" * 31, "a" * 63 + "é"]
    out += [c for c in chars] + ["a" + c for c in chars] + ["a" + c + "a" for c in chars]
    return out


def test_type_check_holds_the_rule_of_the_regular_expression(conn):
    # A copy of pgjob.job with its checks (and no foreign keys): each name
    # is inserted on its own, and refused exactly when the rule refuses it.
    conn.cursor().execute("CREATE TEMP TABLE job_copy"
                          " (LIKE pgjob.job INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    checked = 0
    for name in names():
        try:
            conn.cursor().execute("INSERT INTO job_copy (account_id, type, item_count, sweep_at)"
                                  " VALUES (1, %s, 0, now())", (name,))
            accepted = True
        except psycopg2.errors.CheckViolation as e:
            assert e.diag.constraint_name == "job_type_check", name
            accepted = False
        assert accepted == bool(TYPE_RULE.match(name)), repr(name)
        # ... and exactly when PostgreSQL's own regular expression does
        assert accepted == value(conn, "SELECT %s ~ '^[a-z][a-z0-9_.-]{0,63}$'", (name,)), \
            repr(name)
        checked += 1
    assert checked > 400
    assert value(conn, "SELECT count(*) FROM job_copy") > 100


def test_the_table_itself_refuses_a_bad_type(conn):
    acct = new_account(conn)
    good = submit(conn, acct, "a-b_c.d9")
    assert value(conn, "SELECT type FROM pgjob.job WHERE id = %s", (good,)) == "a-b_c.d9"
    for bad in ("Echo", "a/b", "a" * 65, "aé"):
        with pytest.raises(psycopg2.errors.CheckViolation):
            conn.cursor().execute("INSERT INTO pgjob.job (account_id, type, item_count, sweep_at)"
                                  " VALUES (%s, %s, 0, now())", (acct, bad))


def test_no_check_of_the_job_table_runs_a_regular_expression(conn):
    checks = rows(conn, "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint"
                        " WHERE conrelid = 'pgjob.job'::regclass AND contype = 'c'")
    assert len(checks) >= 17
    for c in checks:
        assert not re.search(r"~|similar|regexp", c["def"], re.I), c
