# SPDX-License-Identifier: MIT
"""Fencing: only the attempt that holds a job's lease may write the job.

The attempt number from claim is the token.  A worker whose lease expired
and was rescued, or whose job was paused or canceled under it, is answered
'lost' (or told 'paused' / 'canceled' by heartbeat) and writes nothing.
"""

import pytest

from jobs_helpers import (check_invariants, claim_one, complete,
                          complete_one, expire_lease, fail_one, heartbeat,
                          job, lease_row, new_account, release_one, rescue,
                          row, submit)


pytestmark = pytest.mark.sql_only


@pytest.fixture
def acct(conn):
    return new_account(conn)


def rescued_job(conn, acct, **kw):
    """A job claimed by worker A (attempt 1), whose lease then expired and
    was rescued; returns its id."""
    jid = submit(conn, acct, "enrich", ["a", "b", "c"], **kw)
    assert claim_one(conn, jid, "A", by_type=True)["attempt"] == 1
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "retrying"}
    return jid


def stale_writes_are_lost(conn, jid, attempt):
    """Every write of a stale attempt answers lost and changes nothing."""
    before = job(conn, jid), lease_row(conn, jid)
    assert heartbeat(conn, jid, attempt, items_done=3,
                     results=[1, 2, 3]) == {"state": "lost",
                                            "lease_until": None}
    assert complete_one(conn, jid, attempt) == "lost"
    r = fail_one(conn, jid, attempt, fatal=True)
    assert (r["outcome"], r["run_at"]) == ("lost", None)
    assert fail_one(conn, jid, attempt)["outcome"] == "lost"
    assert release_one(conn, jid, attempt) == "lost"
    assert (job(conn, jid), lease_row(conn, jid)) == before
    check_invariants(conn)


def test_rescued_worker_cannot_write_while_queued(conn, acct):
    jid = rescued_job(conn, acct)
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == \
        ("queued", 1, 1)
    stale_writes_are_lost(conn, jid, 1)


def test_rescued_worker_cannot_write_after_reclaim(conn, acct):
    jid = rescued_job(conn, acct)
    b = claim_one(conn, jid, "B")
    assert b["attempt"] == 2
    stale_writes_are_lost(conn, jid, 1)
    # The lease is B's and untouched by A's heartbeat.
    assert lease_row(conn, jid)["worker"] == "B"
    assert lease_row(conn, jid)["attempt"] == 2
    # The new holder writes.
    assert heartbeat(conn, jid, 2)["state"] == "running"
    assert complete_one(conn, jid, 2, results=["x", "y", "z"]) == "completed"
    j = job(conn, jid)
    assert j["status"] == "completed" and j["results"] == ["x", "y", "z"]
    # And after completion, A is still lost (and so is B now).
    stale_writes_are_lost(conn, jid, 1)
    stale_writes_are_lost(conn, jid, 2)


def test_wrong_attempt_numbers_are_lost(conn, acct):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    for wrong in (a - 1, a + 1, 0, -1):
        before = job(conn, jid), lease_row(conn, jid)
        assert heartbeat(conn, jid, wrong)["state"] == "lost"
        assert heartbeat(conn, jid, wrong, items_done=1)["state"] == "lost"
        assert complete_one(conn, jid, wrong) == "lost"
        assert fail_one(conn, jid, wrong)["outcome"] == "lost"
        assert release_one(conn, jid, wrong) == "lost"
        assert (job(conn, jid), lease_row(conn, jid)) == before
    assert complete_one(conn, jid, a) == "completed"


def test_expired_but_not_rescued_lease_still_holds(conn, acct):
    """A lease past lease_until that rescue has not taken yet is still the
    holder's: it may heartbeat (and so renew) and complete."""
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    expire_lease(conn, jid)
    assert heartbeat(conn, jid, a)["state"] == "running"
    assert rescue(conn) == {}
    assert complete_one(conn, jid, a) == "completed"


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_paused_or_canceled_while_running(conn, acct, action):
    jid = submit(conn, acct)
    a = claim_one(conn, jid)["attempt"]
    assert heartbeat(conn, jid, a, items_done=1, results=["r1"])["state"] \
        == "running"
    row(conn, f"SELECT * FROM pgjob.{action}(%s, %s)", (acct, jid))
    status = {"pause": "paused", "cancel": "canceled"}[action]
    before = job(conn, jid)
    assert before["status"] == status
    assert lease_row(conn, jid) is None
    # The worker learns it at its heartbeat, with or without progress,
    # and writes nothing.
    assert heartbeat(conn, jid, a) == {"state": status, "lease_until": None}
    assert heartbeat(conn, jid, a, items_done=3, results=[1, 2, 3]) == \
        {"state": status, "lease_until": None}
    assert complete_one(conn, jid, a) == "lost"
    assert fail_one(conn, jid, a)["outcome"] == "lost"
    assert release_one(conn, jid, a) == "lost"
    after = job(conn, jid)
    assert after == before
    assert (after["items_done"], after["results"]) == (1, ["r1"])
    check_invariants(conn)


def test_pause_resume_reclaim_fences_old_attempt(conn, acct):
    jid = submit(conn, acct)
    a1 = claim_one(conn, jid, "A")["attempt"]
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, jid))
    row(conn, "SELECT * FROM pgjob.resume(%s, %s)", (acct, jid))
    a2 = claim_one(conn, jid, "B")["attempt"]
    assert a2 == a1 + 1
    stale_writes_are_lost(conn, jid, a1)
    assert heartbeat(conn, jid, a2)["state"] == "running"
    assert complete_one(conn, jid, a2) == "completed"


def test_batch_mixing_held_and_lost(conn, acct):
    held = submit(conn, acct, "invoice", ["a"])
    lost = rescued_job(conn, acct)
    assert claim_one(conn, held, by_type=True)["attempt"] == 1
    b = claim_one(conn, lost, "B", by_type=True)["attempt"]
    out = complete(conn, [
        {"id": held, "attempt": 1, "results": ["ok"], "processing_ms": 1},
        {"id": lost, "attempt": 1, "results": ["x", "y", "z"],
         "processing_ms": 1},
    ])
    assert out == {held: "completed", lost: "lost"}
    assert job(conn, held)["status"] == "completed"
    j = job(conn, lost)
    assert (j["status"], j["attempt_count"]) == ("processing", b)
    assert lease_row(conn, lost)["worker"] == "B"
    check_invariants(conn)


def test_rescued_then_paused_heartbeat_says_paused(conn, acct):
    # heartbeat names the job's present state once the attempt lost it:
    # either way the worker stops and writes nothing.
    jid = rescued_job(conn, acct)
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, jid))
    assert heartbeat(conn, jid, 1)["state"] == "paused"
    out = complete(conn, [{"id": jid, "attempt": 1, "results": ["x"],
                           "processing_ms": 1}])
    assert out == {jid: "lost"}
