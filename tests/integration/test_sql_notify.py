# SPDX-License-Identifier: MIT
"""Notifications: at most one per channel per statement, never one per row.

A second connection LISTENs on pgjob_job and pgjob_ready.  After each
statement the Listener collects everything up to a sentinel the sending
connection notifies next (delivery follows commit order), so "exactly one"
and "none" are checked without sleeping.
"""

import datetime

import pytest
from psycopg2.extras import Json

from jobs_helpers import (Listener, claim, claim_one, complete, db_now,
                          heartbeat, new_account, rows, submit, submit_many,
                          value)


pytestmark = pytest.mark.sql_only

JOB, READY = "pgjob_job", "pgjob_ready"


@pytest.fixture
def acct(conn):
    return new_account(conn)


@pytest.fixture
def listener(connect):
    return Listener(connect())


def one_job_note(notes):
    """The payload of the only pgjob_job notification, as a set of ids."""
    payloads = Listener.on(notes, JOB)
    assert len(payloads) == 1, f"pgjob_job notifications: {notes}"
    return set(payloads[0].split(" "))


def claimed(conn, n, types=None):
    got = claim(conn, "w", n, types=types)
    assert len(got) == n
    return got


def test_submit_notifies_ready_with_its_type(conn, acct, listener):
    submit(conn, acct, "invoice")
    notes = listener.drain(conn)
    assert Listener.on(notes, READY) == ["invoice"]
    # Due later: no worker needs waking.
    submit(conn, acct, "invoice",
           run_at=db_now(conn) + datetime.timedelta(hours=1))
    assert Listener.on(listener.drain(conn), READY) == []
    # Many jobs in one statement: still one notification.
    submit_many(conn, acct, 250, type="extract")
    assert Listener.on(listener.drain(conn), READY) == ["extract"]
    # An idempotent replay creates nothing and wakes nobody.
    submit(conn, acct, "enrich", idempotency_key="k")
    listener.drain(conn)
    submit(conn, acct, "enrich", idempotency_key="k")
    assert listener.drain(conn) == []


def test_claim_of_50_sends_one_notification(conn, acct, listener):
    ids = submit_many(conn, acct, 50)
    listener.drain(conn)
    got = claimed(conn, 50)
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(ids) == {r["id"] for r in got}
    assert Listener.on(notes, READY) == []


def test_complete_of_50_sends_one_notification(conn, acct, listener):
    ids = submit_many(conn, acct, 50)
    got = claimed(conn, 50)
    listener.drain(conn)
    out = complete(conn, [{"id": r["id"], "attempt": r["attempt"],
                           "results": ["r"], "processing_ms": 1}
                          for r in got])
    assert set(out.values()) == {"completed"}
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(ids)
    assert Listener.on(notes, READY) == []


def test_rescue_of_50_sends_one_notification_per_channel(conn, acct, listener):
    ids = submit_many(conn, acct, 50)
    claimed(conn, 50)
    conn.cursor().execute("UPDATE pgjob.lease SET lease_until = "
                          "now() - interval '1 second'")
    listener.drain(conn)
    assert len(rows(conn, "SELECT * FROM pgjob.rescue()")) == 50
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(ids)
    assert Listener.on(notes, READY) == ["enrich"]


def test_expire_of_50_sends_one_notification(conn, acct, listener):
    ids = submit_many(conn, acct, 50)
    got = claimed(conn, 50)
    complete(conn, [{"id": r["id"], "attempt": r["attempt"],
                     "results": ["r"], "processing_ms": 1} for r in got])
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 second', "
                          "sweep_at = now() - interval '1 second'")
    listener.drain(conn)
    assert value(conn, "SELECT pgjob.expire()") == 50
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(ids)
    assert Listener.on(notes, READY) == []


def test_more_than_200_changes_send_a_star(conn, acct, listener):
    ids = submit_many(conn, acct, 401)
    listener.drain(conn)
    # 200 ids still fit in the payload.
    got = claimed(conn, 200)
    assert one_job_note(listener.drain(conn)) == {r["id"] for r in got}
    # 201 do not.
    got += claimed(conn, 201)
    assert Listener.on(listener.drain(conn), JOB) == ["*"]
    complete(conn, [{"id": r["id"], "attempt": r["attempt"],
                     "results": ["r"], "processing_ms": 1} for r in got])
    assert Listener.on(listener.drain(conn), JOB) == ["*"]
    assert len(ids) == 401


def test_fail_and_release_batches(conn, acct, listener):
    a = submit_many(conn, acct, 3, type="enrich")
    b = submit_many(conn, acct, 3, type="invoice")
    got = claimed(conn, 6)
    listener.drain(conn)
    err = {"code": "c", "message": "m"}
    # Retried with no backoff: due now, both types are ready again.
    rows(conn, "SELECT * FROM pgjob.fail(%s, '0 seconds', '0 seconds')",
         (Json([{"id": r["id"], "attempt": r["attempt"], "error": err}
                for r in got]),))
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(a + b)
    assert Listener.on(notes, READY) == ["enrich invoice"]
    # Retried later: nothing is ready yet.
    got = claimed(conn, 6)
    listener.drain(conn)
    rows(conn, "SELECT * FROM pgjob.fail(%s, '1 hour', '1 hour')",
         (Json([{"id": r["id"], "attempt": r["attempt"], "error": err}
                for r in got]),))
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(a + b)
    assert Listener.on(notes, READY) == []
    # Released: ready at once.
    conn.cursor().execute("UPDATE pgjob.ready SET run_at = now()")
    got = claimed(conn, 6)
    listener.drain(conn)
    rows(conn, "SELECT * FROM pgjob.release(%s)",
         (Json([{"id": r["id"], "attempt": r["attempt"]} for r in got]),))
    notes = listener.drain(conn)
    assert one_job_note(notes) == set(a + b)
    assert Listener.on(notes, READY) == ["enrich invoice"]


def test_client_actions_and_heartbeat(conn, acct, listener):
    jid = submit(conn, acct, "invoice")
    listener.drain(conn)
    for action in ("pause", "resume", "cancel"):
        rows(conn, f"SELECT * FROM pgjob.{action}(%s, %s)", (acct, jid))
        notes = listener.drain(conn)
        assert one_job_note(notes) == {jid}, action
        assert Listener.on(notes, READY) == \
            (["invoice"] if action == "resume" else []), action
    j2 = submit(conn, acct)
    a = claim_one(conn, j2)["attempt"]
    listener.drain(conn)
    heartbeat(conn, j2, a, items_done=1)
    assert one_job_note(listener.drain(conn)) == {j2}
    heartbeat(conn, j2, a)          # no progress: no change, no notification
    assert listener.drain(conn) == []


def test_statements_that_change_nothing_send_nothing(conn, acct, listener):
    jid = submit(conn, acct)
    other = new_account(conn)
    a = claim_one(conn, jid)["attempt"]
    listener.drain(conn)
    stale = [{"id": jid, "attempt": a + 1, "results": ["r", "r", "r"],
              "error": {"code": "c", "message": "m"}}]
    # Nothing due, nothing expired, nothing lost, stale attempts, refusals.
    assert claim(conn, "w", 10) == []
    assert rows(conn, "SELECT * FROM pgjob.rescue()") == []
    assert value(conn, "SELECT pgjob.expire()") == 0
    assert value(conn, "SELECT pgjob.prune('0 seconds')") == 0
    assert complete(conn, stale) == {jid: "lost"}
    rows(conn, "SELECT * FROM pgjob.fail(%s)", (Json(stale),))
    rows(conn, "SELECT * FROM pgjob.release(%s)", (Json(stale),))
    assert heartbeat(conn, jid, a + 1, items_done=1)["state"] == "lost"
    for sql, args in [
        ("SELECT * FROM pgjob.cancel(%s, %s)", (other, jid)),
        ("SELECT * FROM pgjob.resume(%s, %s)", (acct, jid)),
        ("SELECT * FROM pgjob.complete(%s)",
         (Json([{"id": jid, "attempt": a, "results": ["too short"]}]),)),
    ]:
        try:
            rows(conn, sql, args)
        except Exception:
            pass
        else:
            raise AssertionError(f"{sql} did not fail")
    assert listener.drain(conn) == []
