# SPDX-License-Identifier: MIT
"""pgjob.claim: order, due time, type filter, limit, lease and checkpoint."""

import datetime

import pytest

from jobs_helpers import (check_invariants, claim, claim_one,
                          db_now, heartbeat, job, lease_row, make_due,
                          new_account, pg_error, ready_row, release_one,
                          rows, submit, submit_many, value)


pytestmark = pytest.mark.sql_only


@pytest.fixture
def acct(conn):
    return new_account(conn)


def test_claim_order_priority_then_run_at_then_submission(conn, acct):
    now = db_now(conn)
    past = lambda s: now - datetime.timedelta(seconds=s)  # noqa: E731
    # Submitted in this order; expected claim order is by
    # (priority desc, run_at, submission).
    low_old = submit(conn, acct, priority=-5, run_at=past(100))
    mid_new = submit(conn, acct, priority=0, run_at=past(10))
    mid_old = submit(conn, acct, priority=0, run_at=past(50))
    high = submit(conn, acct, priority=10, run_at=past(1))
    same_a = submit(conn, acct, priority=0, run_at=past(30))
    same_b = submit(conn, acct, priority=0, run_at=past(30))
    same_c = submit(conn, acct, priority=0, run_at=past(30))
    expected = [high, mid_old, same_a, same_b, same_c, mid_new, low_old]
    # The order is which jobs a claim takes, not the order of its rows:
    # claim one at a time, then in batches.
    got = [claim(conn, "w", 1)[0]["id"] for _ in expected]
    assert got == expected
    assert claim(conn, "w", 1) == []
    check_invariants(conn)


def test_claim_batches_take_the_first_in_order(conn, acct):
    ids = submit_many(conn, acct, 5)
    later = submit(conn, acct, priority=1)
    low = submit(conn, acct, priority=-1)
    assert {r["id"] for r in claim(conn, "w", 3)} == {later, ids[0], ids[1]}
    assert {r["id"] for r in claim(conn, "w", 3)} == set(ids[2:])
    assert [r["id"] for r in claim(conn, "w", 3)] == [low]


def test_future_run_at_not_claimed(conn, acct):
    future = db_now(conn) + datetime.timedelta(minutes=5)
    later = submit(conn, acct, run_at=future, priority=100)
    now_job = submit(conn, acct)
    assert [r["id"] for r in claim(conn, "w", 10)] == [now_job]
    assert claim(conn, "w", 10) == []
    assert job(conn, later)["status"] == "queued"
    assert job(conn, later)["attempt_count"] == 0
    make_due(conn, later)
    assert [r["id"] for r in claim(conn, "w", 10)] == [later]
    check_invariants(conn)


def test_type_filter(conn, acct):
    e = submit(conn, acct, "enrich")
    i = submit(conn, acct, "invoice")
    x = submit(conn, acct, "extract")
    assert [r["id"] for r in claim(conn, "w", 10, types=["invoice"])] == [i]
    assert claim(conn, "w", 10, types=["nosuch"]) == []
    got = claim(conn, "w", 10, types=["extract", "enrich"])
    assert sorted(r["id"] for r in got) == sorted([e, x])
    assert {r["id"]: r["type"] for r in got} == {e: "enrich", x: "extract"}
    check_invariants(conn)


def test_limit(conn, acct):
    ids = submit_many(conn, acct, 7)
    first = claim(conn, "w", 3)
    assert {r["id"] for r in first} == set(ids[:3])
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 4
    assert {r["id"] for r in claim(conn, "w", 1000)} == set(ids[3:])
    assert claim(conn, "w", 1000) == []
    check_invariants(conn)


def test_claim_takes_lease_and_bumps_attempt(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b"], metadata={"k": "v"},
                 max_attempts=4)
    before = job(conn, jid)
    t0 = db_now(conn)
    r = claim(conn, "worker-7", 5, lease="45 seconds")
    t1 = db_now(conn)
    assert len(r) == 1
    r = r[0]
    assert r["id"] == jid
    assert r["type"] == "enrich"
    assert r["attempt"] == 1
    assert r["max_attempts"] == 4
    assert r["items"] == ["a", "b"]
    assert r["item_count"] == 2
    assert (r["items_done"], r["items_failed"], r["results"]) == (0, 0, [])
    assert r["metadata"] == {"k": "v"}
    lease = datetime.timedelta(seconds=45)
    assert t0 + lease <= r["lease_until"] <= t1 + lease
    j = job(conn, jid)
    assert j["status"] == "processing"
    assert j["attempt_count"] == 1
    assert j["failed_attempts"] == 0
    assert t0 <= j["started_at"] <= t1
    assert t0 <= j["updated_at"] <= t1
    assert j["version"] == before["version"] + 1
    assert ready_row(conn, jid) is None
    lr = lease_row(conn, jid)
    seq = lr.pop("seq")
    assert isinstance(seq, int)
    assert lr == {"job_id": jid, "attempt": 1, "worker": "worker-7",
                  "lease_until": r["lease_until"], "started": True}
    check_invariants(conn)


def test_default_lease_is_30_seconds(conn, acct):
    submit(conn, acct)
    t0 = db_now(conn)
    r = claim(conn, "w", 1)[0]
    t1 = db_now(conn)
    lease = datetime.timedelta(seconds=30)
    assert t0 + lease <= r["lease_until"] <= t1 + lease


def test_claim_returns_checkpoint(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b", "c"])
    r1 = claim_one(conn, jid)
    partial = [{"merchant": "A"}, {"error": {"code": "x", "message": "y"}}]
    assert heartbeat(conn, jid, r1["attempt"], items_done=2, items_failed=1,
                     results=partial)["state"] == "running"
    assert release_one(conn, jid, r1["attempt"]) == "released"
    r2 = claim_one(conn, jid, "w2")
    assert r2["attempt"] == 2
    assert (r2["items_done"], r2["items_failed"], r2["results"]) == \
        (2, 1, partial)
    check_invariants(conn)


def test_claim_validation(conn, acct):
    submit(conn, acct)
    for kw, column in [
        (dict(limit=0), "limit"),
        (dict(limit=-1), "limit"),
        (dict(limit=1001), "limit"),
        (dict(limit=None), "limit"),
        (dict(lease="0 seconds"), "lease"),
        (dict(lease="500 milliseconds"), "lease"),
        (dict(lease="61 minutes"), "lease"),
        (dict(worker=""), "worker"),
        (dict(worker="w" * 201), "worker"),
        (dict(worker=None), "worker"),
    ]:
        args = dict(worker="w", limit=1, lease="30 seconds")
        args.update(kw)
        with pg_error("PJ400", column):
            rows(conn, "SELECT * FROM pgjob.claim(p_worker => %(worker)s, "
                 "p_limit => %(limit)s, p_lease => %(lease)s)", args)
    # Nothing was claimed by the refused calls.
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 1
    assert value(conn, "SELECT attempt_count FROM pgjob.job") == 0
    # The bounds are accepted.
    assert len(claim(conn, "w" * 200, 1000, lease="1 hour")) == 1
    submit(conn, acct)
    assert len(claim(conn, "w", 1, lease="1 second")) == 1


def test_claim_skips_jobs_locked_by_another_claim(conn, connect, acct):
    """Two claims at once never take the same job: the second skips the
    rows the first has locked instead of waiting for them."""
    ids = submit_many(conn, acct, 4)
    c1 = connect(autocommit=False)
    c2 = connect()
    # Waiting for c1's locks would be the bug: fail instead of hanging.
    c2.cursor().execute("SET statement_timeout = '10s'")
    try:
        first = {r["id"] for r in claim(c1, "w1", 2)}
        second = {r["id"] for r in claim(c2, "w2", 10)}
        assert first == set(ids[:2])
        assert second == set(ids[2:])
        c1.commit()
    finally:
        c1.rollback()
    assert claim(conn, "w3", 10) == []
    assert rows(conn, "SELECT worker, count(*) AS n FROM pgjob.lease "
                "GROUP BY worker ORDER BY worker") == \
        [{"worker": "w1", "n": 2}, {"worker": "w2", "n": 2}]
    check_invariants(conn)
