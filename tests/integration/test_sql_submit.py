# SPDX-License-Identifier: MIT
"""pgjob.submit: what it stores, what it refuses, and idempotency keys."""

import datetime
import threading

import psycopg2
import pytest
from psycopg2.extras import Json

from jobs_helpers import (check_invariants, db_now, job, new_account,
                          pg_error, ready_row, row, rows, submit, submit_row,
                          value)


pytestmark = pytest.mark.sql_only


@pytest.fixture
def acct(conn):
    return new_account(conn)


def test_submit_stores_fields_and_queues(conn, acct):
    t0 = db_now(conn)
    r = submit_row(conn, acct, "invoice", [{"n": 1}, {"n": 2}, "three"],
                   priority=7, metadata={"source": "test", "n": [1]},
                   retention=datetime.timedelta(hours=2))
    t1 = db_now(conn)
    assert r["created"] is True
    j = job(conn, r["id"])
    assert j["account_id"] == acct
    assert j["type"] == "invoice"
    assert j["status"] == "queued"
    assert j["items"] == [{"n": 1}, {"n": 2}, "three"]
    assert j["item_count"] == 3
    assert j["items_done"] == 0 and j["items_failed"] == 0
    assert j["results"] == []
    assert j["priority"] == 7
    assert j["max_attempts"] == 3
    assert j["attempt_count"] == 0 and j["failed_attempts"] == 0
    assert j["metadata"] == {"source": "test", "n": [1]}
    assert j["retention"] == datetime.timedelta(hours=2)
    assert t0 <= j["run_at"] <= t1, "run_at defaults to now()"
    assert t0 <= j["created_at"] <= t1
    assert j["started_at"] is None and j["completed_at"] is None
    assert j["expires_at"] is None and j["error"] is None
    assert j["version"] == 1
    # The returned job is the stored one.
    assert {k: r[k] for k in j} == j
    ready = ready_row(conn, r["id"])
    assert ready is not None
    assert (ready["type"], ready["priority"], ready["run_at"]) == \
        ("invoice", 7, j["run_at"])
    check_invariants(conn)


def test_submit_defaults_and_explicit_values(conn, acct):
    j = job(conn, submit(conn, acct, "enrich", ["x"]))
    assert (j["priority"], j["max_attempts"], j["metadata"]) == (0, 3, {})
    assert j["retention"] == datetime.timedelta(days=7)
    assert j["idempotency_key"] is None
    later = db_now(conn) + datetime.timedelta(hours=1)
    j2 = job(conn, submit(conn, acct, "enrich", ["x"], run_at=later,
                          max_attempts=10, priority=-1000))
    assert j2["run_at"] == later
    assert ready_row(conn, j2["id"])["run_at"] == later
    assert (j2["max_attempts"], j2["priority"]) == (10, -1000)
    # The bounds themselves are accepted.
    for p in (1000, -1000):
        submit(conn, acct, priority=p)
    for m in (1, 100):
        submit(conn, acct, max_attempts=m)
    check_invariants(conn)


def test_submit_records_api_key(conn, acct):
    key_id = value(conn, "SELECT key_id FROM pgjob.create_api_key(%s)", (acct,))
    j = job(conn, submit(conn, acct, api_key_id=key_id))
    assert j["api_key_id"] == key_id


BAD_SUBMITS = [
    # (kwargs overriding a good submit, sqlstate, column)
    (dict(type="Enrich"), "PJ400", "type"),
    (dict(type="1abc"), "PJ400", "type"),
    (dict(type=""), "PJ400", "type"),
    (dict(type="a" * 65), "PJ400", "type"),
    (dict(type=None), "PJ400", "type"),
    (dict(items=Json({"a": 1})), "PJ400", "items"),
    (dict(items=Json("a")), "PJ400", "items"),
    (dict(items=None), "PJ400", "items"),
    (dict(items=Json([])), "PJ422", "items"),
    (dict(priority=1001), "PJ400", "priority"),
    (dict(priority=-1001), "PJ400", "priority"),
    (dict(priority=None), "PJ400", "priority"),
    (dict(max_attempts=0), "PJ400", "max_attempts"),
    (dict(max_attempts=101), "PJ400", "max_attempts"),
    (dict(max_attempts=None), "PJ400", "max_attempts"),
    (dict(metadata=Json([1])), "PJ400", "metadata"),
    (dict(metadata=Json("m")), "PJ400", "metadata"),
    (dict(metadata=None), "PJ400", "metadata"),
    (dict(idempotency_key=""), "PJ400", "idempotency_key"),
    (dict(idempotency_key="k" * 256), "PJ400", "idempotency_key"),
    (dict(retention="-1 second"), "PJ400", "retention"),
    (dict(account_id=None), "PJ400", "account"),
]


def test_submit_validation_errors(conn, acct):
    failures = []
    for override, code, column in BAD_SUBMITS:
        kw = dict(account_id=acct, type="enrich", items=Json(["a"]))
        kw.update(override)
        args = ", ".join(f"p_{k} => %s" for k in kw)
        try:
            with pg_error(code, column):
                value(conn, f"SELECT created FROM pgjob.submit({args})",
                      list(kw.values()))
        except AssertionError as e:
            failures.append(f"{override}: {e}")
    assert not failures, "\n".join(failures)
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0


def test_submit_unknown_account(conn):
    with pg_error("23503"):
        submit(conn, 987654)
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0


def test_idempotent_replay_returns_same_job(conn, acct):
    first = submit_row(conn, acct, "enrich", ["a", "b"], priority=3,
                       metadata={"m": 1}, idempotency_key="key-1")
    again = submit_row(conn, acct, "enrich", ["a", "b"], priority=3,
                       metadata={"m": 1}, idempotency_key="key-1")
    assert first["created"] is True
    assert again["created"] is False
    assert again["id"] == first["id"]
    assert again["version"] == first["version"]
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 1
    # A replay after the job moved on returns the job as it is now.
    value(conn, "SELECT count(*) FROM pgjob.claim('w', 1)")
    third = submit_row(conn, acct, "enrich", ["a", "b"], priority=3,
                       metadata={"m": 1}, idempotency_key="key-1")
    assert (third["created"], third["id"], third["status"]) == \
        (False, first["id"], "processing")
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    check_invariants(conn)



def test_request_hash_only_with_an_idempotency_key(conn, acct):
    """015_submit: without a key the INSERT is a plain one and stores no
    request hash (only a repeat of a key compares it); with a key the hash
    is there, and two submits without a key are two jobs."""
    plain = submit_row(conn, acct, "enrich", ["a"])
    twin = submit_row(conn, acct, "enrich", ["a"])
    keyed = submit_row(conn, acct, "enrich", ["a"], idempotency_key="key-h")
    assert plain["created"] and twin["created"] and plain["id"] != twin["id"]
    hashes = {r["id"]: r["request_hash"]
              for r in rows(conn, "SELECT id::text AS id, request_hash FROM pgjob.job")}
    assert hashes[plain["id"]] is None and hashes[twin["id"]] is None
    assert hashes[keyed["id"]] is not None and len(hashes[keyed["id"]]) == 32
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 3
    check_invariants(conn)

BODY_CHANGES = [
    dict(items=["a", "c"]),
    dict(type="invoice"),
    dict(priority=4),
    dict(metadata={"m": 2}),
    dict(max_attempts=5),
    dict(run_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)),
]


def test_idempotency_key_with_different_body(conn, acct):
    base = dict(type="enrich", items=["a", "b"], priority=3, metadata={"m": 1})
    first = submit_row(conn, acct, idempotency_key="key-1", **base)
    before = job(conn, first["id"])
    for change in BODY_CHANGES:
        with pg_error("PJ422", "idempotency_key"):
            submit_row(conn, acct, idempotency_key="key-1", **{**base, **change})
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 1
    assert job(conn, first["id"]) == before


def test_idempotency_key_is_per_account(conn, acct):
    other = new_account(conn)
    a = submit_row(conn, acct, idempotency_key="shared")
    b = submit_row(conn, other, idempotency_key="shared")
    assert a["created"] and b["created"]
    assert a["id"] != b["id"]
    assert job(conn, b["id"])["account_id"] == other
    # Without a key, the same body makes a new job every time.
    c = submit_row(conn, acct)
    d = submit_row(conn, acct)
    assert c["created"] and d["created"] and c["id"] != d["id"]
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 4


def test_concurrent_submits_with_one_key_make_one_job(conn, connect, acct):
    """Two transactions insert the same key at once: the second waits for
    the first (ON CONFLICT), then answers the first one's job."""
    c1, c2 = connect(), connect()
    c1.autocommit = False
    try:
        first = submit_row(c1, acct, idempotency_key="race")
        result = {}

        def second():
            try:
                result["row"] = submit_row(c2, acct, idempotency_key="race")
            except Exception as e:  # reported below
                result["error"] = e

        t = threading.Thread(target=second)
        t.start()
        # The second submit must block on the first one's uncommitted row.
        waiting = False
        for _ in range(200):
            waiting = value(conn, """
                SELECT count(*) > 0 FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND query LIKE '%%pgjob.submit%%'""")
            if waiting:
                break
            t.join(0.05)  # bounded wait for the other thread to block
        assert waiting, "second submit never waited on the first"
        c1.commit()
    finally:
        c1.autocommit = True
    t.join(30)
    assert not t.is_alive()
    assert "error" not in result, result.get("error")
    assert result["row"]["created"] is False
    assert result["row"]["id"] == first["id"]
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 1


def test_concurrent_submit_threads_one_job(connect, conn, acct):
    """Eight threads submit the same key at the same time: one job."""
    n = 8
    conns = [connect() for _ in range(n)]
    barrier = threading.Barrier(n)
    out, errors = [], []

    def worker(c):
        try:
            barrier.wait(10)
            out.append(submit_row(c, acct, idempotency_key="same"))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len({r["id"] for r in out}) == 1
    assert sum(r["created"] for r in out) == 1
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 1
