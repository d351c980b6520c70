# SPDX-License-Identifier: MIT
"""pgjob.fail: retry with exponential backoff and jitter, the last attempt,
fatal errors, paused attempts that are not failures, and the checkpoint."""

import datetime

import pytest

from psycopg2.extras import Json

from jobs_helpers import (check_invariants, claim, claim_one,
                          db_now, fail_one, fail_rows, heartbeat, job,
                          lease_row, make_due, new_account, pg_error,
                          ready_row, row, rows, submit, submit_many, value)


pytestmark = pytest.mark.sql_only

S = datetime.timedelta(seconds=1)


@pytest.fixture
def acct(conn):
    return new_account(conn)


def test_backoff_doubles_within_jitter_bounds(conn, acct):
    base = 100 * S
    jid = submit(conn, acct, max_attempts=5)
    for n in (1, 2, 3):
        a = claim_one(conn, jid)["attempt"]
        assert a == n
        t0 = db_now(conn)
        r = fail_one(conn, jid, a, "e%d" % n, base=base)
        t1 = db_now(conn)
        assert r["outcome"] == "retrying"
        full = base * 2 ** (n - 1)
        assert t0 + full / 2 <= r["run_at"] <= t1 + full, f"retry {n}"
        j = job(conn, jid)
        assert j["status"] == "queued"
        assert j["run_at"] == r["run_at"]
        assert j["failed_attempts"] == n
        assert j["error"] == {"code": "e%d" % n, "message": "it broke"}
        assert j["completed_at"] is None and j["expires_at"] is None
        assert ready_row(conn, jid)["run_at"] == r["run_at"]
        assert lease_row(conn, jid) is None
        # Not claimable before its run_at.
        assert claim(conn, "w", 10) == []
        check_invariants(conn)
        make_due(conn, jid)


def test_backoff_is_capped(conn, acct):
    base, cap = 100 * S, 150 * S
    jid = submit(conn, acct, max_attempts=10)
    for n in (1, 2, 3, 4):
        a = claim_one(conn, jid)["attempt"]
        t0 = db_now(conn)
        r = fail_one(conn, jid, a, base=base, max_=cap)
        t1 = db_now(conn)
        full = min(cap, base * 2 ** (n - 1))
        assert t0 + full / 2 <= r["run_at"] <= t1 + full, f"retry {n}"
        make_due(conn, jid)


def test_default_backoff_is_one_second_base(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    t0 = db_now(conn)
    r = fail_one(conn, jid, a)
    t1 = db_now(conn)
    assert t0 + S / 2 <= r["run_at"] <= t1 + S


def test_backoff_jitter_spreads_a_batch(conn, acct):
    ids = submit_many(conn, acct, 20)
    got = claim(conn, "w", 20)
    out = fail_rows(conn, [{"id": r["id"], "attempt": r["attempt"],
                            "error": {"code": "c", "message": "m"}}
                           for r in got], base="1000 seconds")
    assert sorted(r["id"] for r in out) == sorted(ids)
    assert {r["outcome"] for r in out} == {"retrying"}
    # Twenty jobs failing together do not all come back at one instant.
    assert len({r["run_at"] for r in out}) > 1


def test_last_attempt_fails_for_good(conn, acct):
    jid = submit(conn, acct, max_attempts=3,
                 retention=datetime.timedelta(hours=5))
    for n in (1, 2):
        a = claim_one(conn, jid)["attempt"]
        assert fail_one(conn, jid, a, "c%d" % n,
                        base="0 seconds")["outcome"] == "retrying"
    a = claim_one(conn, jid)["attempt"]
    assert a == 3
    t0 = db_now(conn)
    r = fail_one(conn, jid, a, "last", "final words", base="0 seconds")
    assert r["outcome"] == "failed"
    j = job(conn, jid)
    assert j["status"] == "failed"
    assert j["error"] == {"code": "last", "message": "final words"}
    assert (j["attempt_count"], j["failed_attempts"]) == (3, 3)
    assert j["completed_at"] >= t0
    assert j["expires_at"] == j["completed_at"] + datetime.timedelta(hours=5)
    assert r["run_at"] == j["run_at"]
    assert ready_row(conn, jid) is None and lease_row(conn, jid) is None
    assert claim(conn, "w", 10) == []
    check_invariants(conn)


def test_max_attempts_one_fails_at_first_error(conn, acct):
    jid = submit(conn, acct, max_attempts=1)
    a = claim_one(conn, jid)["attempt"]
    assert fail_one(conn, jid, a)["outcome"] == "failed"
    assert job(conn, jid)["status"] == "failed"


def test_fatal_fails_at_once(conn, acct):
    jid = submit(conn, acct, max_attempts=5)
    a = claim_one(conn, jid)["attempt"]
    r = fail_one(conn, jid, a, "bad_input", "cannot parse", fatal=True)
    assert r["outcome"] == "failed"
    j = job(conn, jid)
    assert j["status"] == "failed"
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 1)
    assert j["error"] == {"code": "bad_input", "message": "cannot parse"}
    assert j["completed_at"] is not None
    assert ready_row(conn, jid) is None and lease_row(conn, jid) is None
    # fatal: false is an ordinary failure.
    jid2 = submit(conn, acct, max_attempts=5)
    a = claim_one(conn, jid2)["attempt"]
    assert fail_one(conn, jid2, a, fatal=False)["outcome"] == "retrying"
    check_invariants(conn)


def test_pause_is_not_a_failure(conn, acct):
    jid = submit(conn, acct, max_attempts=2)
    a1 = claim_one(conn, jid)["attempt"]
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, jid))
    row(conn, "SELECT * FROM pgjob.resume(%s, %s)", (acct, jid))
    a2 = claim_one(conn, jid)["attempt"]
    assert (a1, a2) == (1, 2)
    assert fail_one(conn, jid, a2, base="0 seconds")["outcome"] == "retrying"
    j = job(conn, jid)
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)
    a3 = claim_one(conn, jid)["attempt"]
    assert a3 == 3
    assert fail_one(conn, jid, a3, base="0 seconds")["outcome"] == "failed"
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == \
        ("failed", 3, 2)


def test_checkpoint_kept_across_retry(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b", "c", "d"])
    a = claim_one(conn, jid)["attempt"]
    done = [{"m": "A"}, {"m": "B"}]
    assert heartbeat(conn, jid, a, items_done=2, items_failed=0,
                     results=done)["state"] == "running"
    fail_one(conn, jid, a, base="0 seconds")
    j = job(conn, jid)
    assert (j["items_done"], j["results"]) == (2, done)
    r = claim_one(conn, jid)
    assert r["attempt"] == 2
    assert (r["items_done"], r["items_failed"], r["results"]) == (2, 0, done)


def test_zero_backoff_is_due_at_once(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    fail_one(conn, jid, a, base="0 seconds", max_="0 seconds")
    assert claim_one(conn, jid)["attempt"] == 2


def test_fail_validation(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    before = job(conn, jid)
    good = {"id": str(jid), "attempt": a,
            "error": {"code": "c", "message": "m"}}
    bad_batches = [
        {"not": "an array"},
        [{**good, "error": None}],
        [{**good, "error": "text"}],
        [{**good, "error": {"code": "c"}}],
        [{**good, "error": {"message": "m"}}],
        [{**good, "error": {"code": 1, "message": "m"}}],
        [{k: v for k, v in good.items() if k != "attempt"}],
        [{k: v for k, v in good.items() if k != "id"}],
        # One bad entry spoils the batch: the good one is not applied.
        [good, {**good, "id": "00000000-0000-0000-0000-000000000000",
                "error": {}}],
    ]
    for batch in bad_batches:
        with pg_error("PJ400", "jobs"):
            rows(conn, "SELECT * FROM pgjob.fail(%s)", (Json(batch),))
    for base, max_ in [("-1 second", "1 hour"), ("2 hours", "1 hour")]:
        with pg_error("PJ400", "backoff"):
            rows(conn, "SELECT * FROM pgjob.fail(%s, %s, %s)",
                 (Json([good]), base, max_))
    assert job(conn, jid) == before
    assert value(conn, "SELECT count(*) FROM pgjob.lease") == 1
    check_invariants(conn)
