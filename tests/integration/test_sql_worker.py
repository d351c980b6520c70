# SPDX-License-Identifier: MIT
"""The worker's writes: pgjob.complete, pgjob.heartbeat, pgjob.release."""

import datetime

import pytest
from psycopg2.extras import Json

from jobs_helpers import (check_invariants, claim, claim_one, complete,
                          db_now, expire_lease, fail_one, heartbeat, job,
                          lease_row, new_account, pg_error, ready_row,
                          release, rows, submit, submit_many, value, cancel)


pytestmark = pytest.mark.sql_only

S = datetime.timedelta(seconds=1)


@pytest.fixture
def acct(conn):
    return new_account(conn)


# ---- complete -----------------------------------------------------------

def test_complete_stores_everything(conn, acct):
    jid = submit(conn, acct, "invoice", ["i1", "i2", "i3", "i4"],
                 retention=datetime.timedelta(days=2))
    a = claim_one(conn, jid)["attempt"]
    results = [{"n": 1},
               {"error": {"code": "bad", "message": "unreadable"}},
               {"n": 3, "error": None},
               {"n": 4, "custom_id": "c4"}]
    flags = [{"code": "INVALID_TOTAL", "severity": "error",
              "message": "total mismatch", "item": 1}]
    t0 = db_now(conn)
    out = complete(conn, [{"id": jid, "attempt": a, "results": results,
                           "processing_ms": 1234, "validation_flags": flags,
                           "confidence": 0.87, "model": "rules-v2",
                           "cache_hit": True}])
    t1 = db_now(conn)
    assert out == {jid: "completed"}
    j = job(conn, jid)
    assert j["status"] == "completed"
    assert j["results"] == results            # item order kept
    assert j["items_done"] == 4
    assert j["items_failed"] == 1             # one non-null "error"
    assert j["processing_ms"] == 1234
    assert j["validation_flags"] == flags
    assert j["confidence"] == 0.87
    assert j["model"] == "rules-v2"
    assert j["cache_hit"] is True
    assert j["error"] is None
    assert t0 <= j["completed_at"] <= t1
    assert j["expires_at"] == j["completed_at"] + datetime.timedelta(days=2)
    assert lease_row(conn, jid) is None and ready_row(conn, jid) is None
    check_invariants(conn)


def test_complete_defaults_and_explicit_items_failed(conn, acct):
    a_id = submit(conn, acct, "enrich", ["x", "y"])
    b_id = submit(conn, acct, "enrich", ["x", "y", "z"])
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 2)}
    results_b = [{"error": {"code": "e"}}, {"ok": 1}, {"ok": 2}]
    out = complete(conn, [
        {"id": a_id, "attempt": got[a_id], "results": [1, "two"]},
        {"id": b_id, "attempt": got[b_id], "results": results_b,
         "items_failed": 2},
    ])
    assert out == {a_id: "completed", b_id: "completed"}
    a = job(conn, a_id)
    assert a["results"] == [1, "two"]
    assert a["items_failed"] == 0
    assert a["validation_flags"] == []
    assert (a["confidence"], a["model"], a["cache_hit"]) == (None, None, None)
    assert job(conn, b_id)["items_failed"] == 2   # explicit wins over 1


def test_complete_clears_error_of_earlier_attempt(conn, acct):
    jid = submit(conn, acct, "enrich", ["x"])
    a = claim_one(conn, jid)["attempt"]
    fail_one(conn, jid, a, base="0 seconds")
    assert job(conn, jid)["error"] is not None
    a = claim_one(conn, jid)["attempt"]
    assert complete(conn, [{"id": jid, "attempt": a, "results": ["ok"],
                            "processing_ms": 1}]) == {jid: "completed"}
    j = job(conn, jid)
    assert j["error"] is None
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)


def test_complete_wrong_length_changes_nothing_in_the_batch(conn, acct):
    ids = submit_many(conn, acct, 3, items=("a", "b"))
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 3)}
    before = [(job(conn, i), lease_row(conn, i)) for i in ids]
    entries = [{"id": str(i), "attempt": got[i], "results": ["r1", "r2"],
                "processing_ms": 1} for i in ids]
    for wrong in ([], ["only one"], ["r1", "r2", "r3"]):
        batch = [dict(e) for e in entries]
        batch[1]["results"] = wrong
        with pg_error("PJ400", "results"):
            rows(conn, "SELECT * FROM pgjob.complete(%s)", (Json(batch),))
        assert [(job(conn, i), lease_row(conn, i)) for i in ids] == before
    assert complete(conn, entries) == {i: "completed" for i in ids}
    check_invariants(conn)


def test_complete_malformed_entries(conn, acct):
    jid = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, jid)["attempt"]
    before = job(conn, jid), lease_row(conn, jid)
    good = {"id": str(jid), "attempt": a, "results": ["r"],
            "processing_ms": 1}
    bad_batches = [
        {"id": str(jid)},
        [{k: v for k, v in good.items() if k != "results"}],
        [{**good, "results": {"0": "r"}}],
        [{k: v for k, v in good.items() if k != "attempt"}],
        [{k: v for k, v in good.items() if k != "id"}],
        [{**good, "validation_flags": {"code": "X"}}],
        [{**good, "processing_ms": -1}],
        [{**good, "confidence": 1.5}],
        [{**good, "confidence": -0.1}],
        [{**good, "items_failed": -1}],
    ]
    for batch in bad_batches:
        with pg_error("PJ400", "jobs"):
            rows(conn, "SELECT * FROM pgjob.complete(%s)", (Json(batch),))
    assert (job(conn, jid), lease_row(conn, jid)) == before
    assert complete(conn, [good]) == {jid: "completed"}


def test_complete_batch_with_held_and_lost(conn, acct):
    ids = submit_many(conn, acct, 4)
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 4)}
    stale = ids[3]
    expire_lease(conn, stale)
    assert rows(conn, "SELECT * FROM pgjob.rescue()")[0]["id"] == stale
    before_stale = job(conn, stale)
    out = complete(conn, [{"id": str(i), "attempt": got[i], "results": ["r"],
                           "processing_ms": 2} for i in ids])
    assert out == {**{i: "completed" for i in ids[:3]}, stale: "lost"}
    assert [job(conn, i)["status"] for i in ids[:3]] == ["completed"] * 3
    assert job(conn, stale) == before_stale
    assert ready_row(conn, stale) is not None
    check_invariants(conn)


# ---- heartbeat ------------------------------------------------------------

def test_heartbeat_extends_lease(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid, lease="5 seconds")["attempt"]
    expire_lease(conn, jid)
    before = job(conn, jid)
    t0 = db_now(conn)
    hb = heartbeat(conn, jid, a, lease="90 seconds")
    t1 = db_now(conn)
    assert hb["state"] == "running"
    assert t0 + 90 * S <= hb["lease_until"] <= t1 + 90 * S
    assert lease_row(conn, jid)["lease_until"] == hb["lease_until"]
    # No progress given: the job row is not written, version stays.
    assert job(conn, jid) == before
    # Default lease: 30 seconds.
    t0 = db_now(conn)
    hb = heartbeat(conn, jid, a)
    assert t0 + 30 * S <= hb["lease_until"] <= db_now(conn) + 30 * S
    # The renewed lease is not rescued.
    assert rows(conn, "SELECT * FROM pgjob.rescue()") == []


def test_heartbeat_records_progress(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b", "c", "d"])
    a = claim_one(conn, jid)["attempt"]
    v0 = job(conn, jid)["version"]
    t0 = db_now(conn)
    hb = heartbeat(conn, jid, a, items_done=2, items_failed=1,
                   results=[{"r": "a"}, {"error": {"code": "x"}}])
    assert hb["state"] == "running"
    j = job(conn, jid)
    assert (j["items_done"], j["items_failed"]) == (2, 1)
    assert j["results"] == [{"r": "a"}, {"error": {"code": "x"}}]
    assert j["version"] == v0 + 1
    assert j["updated_at"] >= t0
    assert j["status"] == "processing"
    # Progress without results keeps the recorded results.
    heartbeat(conn, jid, a, items_done=3)
    j = job(conn, jid)
    assert (j["items_done"], j["items_failed"]) == (3, 1)
    assert j["results"] == [{"r": "a"}, {"error": {"code": "x"}}]
    assert j["version"] == v0 + 2
    # items_done never passes item_count.
    heartbeat(conn, jid, a, items_done=99, items_failed=99)
    j = job(conn, jid)
    assert (j["items_done"], j["items_failed"]) == (4, 4)
    assert j["version"] == v0 + 3
    # No progress: no new version.
    heartbeat(conn, jid, a)
    assert job(conn, jid)["version"] == v0 + 3


def test_heartbeat_validation(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    before = job(conn, jid), lease_row(conn, jid)
    for lease in ("0 seconds", "999 milliseconds", "61 minutes"):
        with pg_error("PJ400", "lease"):
            heartbeat(conn, jid, a, lease=lease)
    with pg_error("PJ400", "lease"):
        rows(conn, "SELECT * FROM pgjob.heartbeat(%s, %s, NULL)", (jid, a))
    with pg_error("PJ400", "results"):
        heartbeat(conn, jid, a, results={"not": "array"})
    assert (job(conn, jid), lease_row(conn, jid)) == before
    assert heartbeat(conn, jid, a, lease="1 hour")["state"] == "running"
    assert heartbeat(conn, jid, a, lease="1 second")["state"] == "running"


# ---- release ----------------------------------------------------------------

def test_release_requeues_at_once(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b"], priority=4, max_attempts=2)
    a = claim_one(conn, jid)["attempt"]
    heartbeat(conn, jid, a, items_done=1, results=["r"])
    run_at = job(conn, jid)["run_at"]
    assert release(conn, [{"id": jid, "attempt": a}]) == {jid: "released"}
    j = job(conn, jid)
    assert j["status"] == "queued"
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 0)
    # It keeps its place in line (sql/011_hardening.sql).
    assert j["run_at"] == run_at
    assert (j["items_done"], j["results"]) == (1, ["r"])
    assert j["error"] is None and j["completed_at"] is None
    ready = ready_row(conn, jid)
    assert (ready["priority"], ready["type"]) == (4, "enrich")
    assert ready["run_at"] == j["run_at"]
    assert lease_row(conn, jid) is None
    check_invariants(conn)
    # Claimable at once; the next attempt number follows.
    r = claim_one(conn, jid, "w2")
    assert r["attempt"] == 2
    assert (r["items_done"], r["results"]) == (1, ["r"])
    # Releases never use up attempts: max_attempts is 2 and this is the
    # third claim.
    assert release(conn, [{"id": jid, "attempt": 2}]) == {jid: "released"}
    r = claim_one(conn, jid, "w3")
    assert r["attempt"] == 3
    assert job(conn, jid)["failed_attempts"] == 0
    assert fail_one(conn, jid, 3, base="0 seconds")["outcome"] == "retrying"


def test_release_of_a_job_that_was_due_later(conn, acct):
    """A released job is claimable now even if it was first due later
    (it was claimed after its run_at was moved)."""
    later = db_now(conn) + datetime.timedelta(hours=1)
    jid = submit(conn, acct, run_at=later)
    conn.cursor().execute("UPDATE pgjob.ready SET run_at = now() "
                          "WHERE job_id = %s", (jid,))
    a = claim_one(conn, jid)["attempt"]
    release(conn, [{"id": jid, "attempt": a}])
    assert claim_one(conn, jid)["attempt"] == a + 1


def test_release_batch(conn, acct):
    ids = submit_many(conn, acct, 3)
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 3)}
    out = release(conn, [{"id": str(i), "attempt": got[i]} for i in ids] +
                  [{"id": "00000000-0000-0000-0000-000000000000",
                    "attempt": 1}])
    assert all(out[i] == "released" for i in ids)
    assert out["00000000-0000-0000-0000-000000000000"] == "lost"
    # Released again: those attempts hold nothing any more.
    assert release(conn, [{"id": str(i), "attempt": got[i]} for i in ids]) \
        == {i: "lost" for i in ids}
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 3
    assert value(conn, "SELECT count(*) FROM pgjob.lease") == 0
    with pg_error("PJ400", "jobs"):
        rows(conn, "SELECT * FROM pgjob.release(%s)", (Json({"id": 1}),))
    check_invariants(conn)


# ---- malformed values are PJ400, not a lower-level error -----------------

def test_malformed_entry_values_are_pj400(conn, acct):
    jid = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, jid)["attempt"]
    err = {"code": "c", "message": "m"}
    for fn, batch in [
        ("complete", [{"id": "not-a-uuid", "attempt": a, "results": ["r"]}]),
        ("complete", [{"id": str(jid), "attempt": "one", "results": ["r"]}]),
        ("complete", [1, 2]),
        ("fail", [{"id": "not-a-uuid", "attempt": a, "error": err}]),
        ("fail", [{"id": str(jid), "attempt": "one", "error": err}]),
        ("release", [{"id": "not-a-uuid", "attempt": a}]),
        ("release", [{"id": str(jid), "attempt": "one"}]),
    ]:
        with pg_error("PJ400", "jobs"):
            rows(conn, f"SELECT * FROM pgjob.{fn}(%s)", (Json(batch),))
    assert job(conn, jid)["status"] == "processing"
    assert lease_row(conn, jid)["attempt"] == a


def test_heartbeat_negative_progress_is_pj400(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    with pg_error("PJ400", "items_done"):
        heartbeat(conn, jid, a, items_done=-1)
    with pg_error("PJ400", "items_failed"):
        heartbeat(conn, jid, a, items_failed=-1)


# ---- a batch names each job once; renew keeps waiting jobs leased --------

@pytest.mark.parametrize("fn, entry", [
    ("complete", lambda jid, a: {"id": str(jid), "attempt": a, "results": ["r"]}),
    ("fail", lambda jid, a: {"id": str(jid), "attempt": a,
                             "error": {"code": "c", "message": "m"}}),
    ("release", lambda jid, a: {"id": str(jid), "attempt": a}),
])
def test_a_job_twice_in_one_batch_is_pj400(conn, acct, fn, entry):
    jid = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, jid)["attempt"]
    with pg_error("PJ400", "jobs"):
        rows(conn, f"SELECT * FROM pgjob.{fn}(%s)", (Json([entry(jid, a), entry(jid, a)]),))
    assert job(conn, jid)["status"] == "processing"
    check_invariants(conn)


def test_release_entry_without_attempt_is_pj400(conn, acct):
    jid = submit(conn, acct, "enrich", ["a"])
    claim_one(conn, jid)
    with pg_error("PJ400", "jobs"):
        rows(conn, "SELECT * FROM pgjob.release(%s)", (Json([{"id": str(jid)}]),))


def test_renew_extends_held_leases_and_reports_lost_ones(conn, acct):
    held = submit(conn, acct, "enrich", ["a"])
    lost = submit(conn, acct, "enrich", ["b"])
    a = claim_one(conn, held, lease="2 seconds")["attempt"]
    b = claim_one(conn, lost)["attempt"]
    cancel(conn, acct, lost)
    before = lease_row(conn, held)["lease_until"]
    out = {r["id"]: r["state"] for r in rows(
        conn, "SELECT * FROM pgjob.renew(%s, interval '60 seconds')",
        (Json([{"id": str(held), "attempt": a}, {"id": str(lost), "attempt": b}]),))}
    assert out == {held: "running", lost: "lost"}
    assert lease_row(conn, held)["lease_until"] > before
    assert job(conn, held)["version"] == 2  # a lease renewal is not a change of the job
    with pg_error("PJ400", "lease"):
        rows(conn, "SELECT * FROM pgjob.renew(%s, interval '0 seconds')", (Json([]),))
