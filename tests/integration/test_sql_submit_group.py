# SPDX-License-Identifier: MIT
"""pgjob.submit_group (sql/018_submit_group.sql, 019_submit_group_rows.sql): many submits without an
idempotency key in one statement, as pgjob.fcgi's group submit writes
them.  Each submission gets a row, in order; a key that is not live gets
no job; a submission that breaks one of pgjob.submit's rules makes the
whole call write nothing."""

import datetime

import pytest
from psycopg2.extras import Json

from jobs_helpers import (Listener, check_invariants, db_now, job, new_account,
                          pg_error, ready_row, rows, value)

pytestmark = pytest.mark.sql_only

READY = "pgjob_ready"
CALL = ("SELECT s.n, s.auth_account, s.auth_key, s.created, (s.job).id"
        "  FROM pgjob.submit_group(%s::bigint[], %s::bytea[], %s::bigint[], %s::text[],"
        "                          %s::jsonb[], %s::integer[], %s::timestamptz[],"
        "                          %s::integer[], %s::interval) s")


def group(conn, entries, retention="7 days"):
    """Call submit_group with one array element per entry (a dict of
    account, key_hash, key_id, type, body (text or a Json-able value),
    priority, run_at, max_attempts); its rows."""
    def body(e):
        b = e.get("body", {"items": ["x"]})
        return b if isinstance(b, str) else Json(b).dumps(b)
    arrays = [[e.get("account") for e in entries],
              [e.get("key_hash") for e in entries],
              [e.get("key_id") for e in entries],
              [e.get("type", "echo") for e in entries],
              [body(e) for e in entries],
              [e.get("priority", 0) for e in entries],
              [e.get("run_at") for e in entries],
              [e.get("max_attempts", 3) for e in entries]]
    return rows(conn, CALL, arrays + [retention])


def new_key(conn, account):
    key_id = value(conn, "SELECT key_id FROM pgjob.create_api_key(%s)", (account,))
    key_hash = value(conn, "SELECT key_hash FROM pgjob.api_key WHERE id = %s", (key_id,))
    return key_id, bytes(key_hash)


@pytest.fixture
def acct(conn):
    return new_account(conn)


@pytest.fixture
def listener(connect):
    return Listener(connect())


def test_each_submission_gets_its_row_in_order(conn, acct, listener):
    other = new_account(conn)
    key_id, key_hash = new_key(conn, acct)
    other_key, other_hash = new_key(conn, other)
    gone_key, gone_hash = new_key(conn, other)
    conn.cursor().execute("SELECT pgjob.revoke_api_key(%s)", (gone_key,))
    later = db_now(conn) + datetime.timedelta(hours=1)
    listener.drain(conn)
    t0 = db_now(conn)
    got = group(conn, [
        dict(account=acct, key_id=key_id, type="invoice",
             body={"items": [{"n": 1}, "two"], "metadata": {"m": [1]}}, priority=5,
             max_attempts=7),
        dict(key_hash=other_hash, type="enrich", body={"items": ["x"]}),
        dict(key_hash=gone_hash, body={"items": ["never"]}),
        dict(account=acct, type="echo", body={"items": [1]}, run_at=later),
        dict(key_hash=b"\x00" * 32, body={"items": ["unknown key"]}),
    ], retention="2 hours")
    t1 = db_now(conn)
    assert [r["n"] for r in got] == [1, 2, 3, 4, 5]
    assert [r["created"] for r in got] == [True, True, False, True, False]
    assert [r["id"] is None for r in got] == [False, False, True, False, True]
    # The key's account and id come back only where the key was looked up.
    assert (got[0]["auth_account"], got[0]["auth_key"]) == (None, key_id)
    assert (got[1]["auth_account"], got[1]["auth_key"]) == (other, other_key)
    assert got[2]["auth_account"] is None and got[4]["auth_account"] is None

    first, second, fourth = (job(conn, got[i]["id"]) for i in (0, 1, 3))
    assert (first["account_id"], first["api_key_id"], first["type"], first["items"],
            first["item_count"], first["metadata"], first["priority"], first["max_attempts"],
            first["status"], first["results"], first["retention"]) == \
        (acct, key_id, "invoice", [{"n": 1}, "two"], 2, {"m": [1]}, 5, 7, "queued", [],
         datetime.timedelta(hours=2))
    assert t0 <= first["run_at"] <= t1 and first["created_at"] == first["run_at"]
    assert (second["account_id"], second["api_key_id"], second["metadata"]) == \
        (other, other_key, {})
    assert fourth["run_at"] == later and fourth["api_key_id"] is None
    assert value(conn, "SELECT count(*) FROM pgjob.job WHERE account_id IN (%s, %s)",
                 (acct, other)) == 3
    # Queued in element order, each with its ready row.
    seqs = [ready_row(conn, got[i]["id"])["seq"] for i in (0, 1, 3)]
    assert seqs == sorted(seqs)
    # One notification, naming the types due now.
    notes = Listener.on(listener.drain(conn), READY)
    assert len(notes) == 1 and sorted(notes[0].split(" ")) == ["enrich", "invoice"], notes
    check_invariants(conn)


def test_numbers_keep_the_digits_of_the_body(conn, acct):
    got = group(conn, [dict(account=acct, body='{"items": [1.50, 12345678901234567890]}')] * 2)
    assert [r["created"] for r in got] == [True, True]
    assert value(conn, "SELECT items::text FROM pgjob.job WHERE id = %s", (got[1]["id"],)) == \
        "[1.50, 12345678901234567890]"


def test_each_job_comes_back_as_it_was_written(conn, acct):
    """The job column is the row as stored, every column of it (019 turns
    the written rows into pgjob.job column by column, not through text);
    a submission that wrote nothing gets NULL."""
    call = CALL.replace("s.created, (s.job).id", "s.created, to_jsonb(s.job) AS job")
    body = Json({"items": [{"n": 1.50}, "two"], "metadata": {"m": [1]}}).dumps(
        {"items": [{"n": 1.50}, "two"], "metadata": {"m": [1]}})
    got = rows(conn, call, [[acct, None], [None, b"\x00" * 32], [None, None], ["echo", "echo"],
                            [body, body], [3, 0], [None, None], [2, 3], "1 day"])
    assert got[1]["created"] is False and got[1]["job"] is None
    stored = value(conn, "SELECT to_jsonb(j) FROM pgjob.job j WHERE j.id = %s",
                   (got[0]["job"]["id"],))
    assert got[0]["job"] == stored
    assert stored["items"] == [{"n": 1.50}, "two"] and stored["priority"] == 3


BAD_ENTRIES = [
    dict(type="Echo"),
    dict(type=None),
    dict(body={"items": []}),
    dict(body={"items": {"a": 1}}),
    dict(body={"metadata": {}}),
    dict(body={"items": [1], "metadata": [1]}),
    dict(priority=1001),
    dict(priority=None),
    dict(max_attempts=0),
    dict(max_attempts=101),
    dict(max_attempts=None),
    dict(body={"items": 5}),
    dict(account=None),  # neither an account nor a key hash
]


def test_one_bad_submission_writes_nothing(conn, acct):
    failures = []
    for bad in BAD_ENTRIES:
        entry = dict(dict(account=acct), **bad)
        try:
            with pg_error("PJ400", "group"):
                group(conn, [dict(account=acct), entry, dict(account=acct)])
        except AssertionError as e:
            failures.append(f"{bad}: {e}")
    assert not failures, "\n".join(failures)
    with pg_error("PJ400", "retention"):
        group(conn, [dict(account=acct)], retention="-1 second")
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0


def test_a_bad_submission_is_found_before_anything_is_written(conn, acct):
    """The rules are checked before any job is written: a submission
    beside a bad one that would fail on its own (a key id that is not
    there, a foreign key) does not get its error in first."""
    with pg_error("PJ400", "group"):
        group(conn, [dict(account=acct, key_id=999999), dict(account=None)])
    with pg_error("23503"):
        group(conn, [dict(account=acct, key_id=999999), dict(account=acct)])
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0


def test_arrays_of_different_lengths_are_refused(conn, acct):
    arrays = [[acct, acct], [None, None], [None, None], ["echo", "echo"],
              ['{"items": [1]}'] * 2, [0, 0], [None, None], [3]]
    with pg_error("PJ400", "group"):
        rows(conn, CALL, arrays + ["7 days"])
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0
    # An empty group writes nothing and returns nothing.
    assert rows(conn, CALL, [[]] * 8 + ["7 days"]) == []
