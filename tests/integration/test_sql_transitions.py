# SPDX-License-Identifier: MIT
"""Every (state, action) pair of the state machine, allowed or not.

For each action (cancel, pause, resume, complete, fail, heartbeat, release)
and each state (queued, processing, paused, completed, failed, canceled,
expired) a fresh job is put in that state and the action applied.  An
allowed action must reach the expected status, bump version and
updated_at and keep the ready/lease invariants; a forbidden one must raise
PJ409 "cannot <action> a job that is <status>" (the client actions) or
answer 'lost' (the worker actions) and change nothing at all.
"""

import datetime
import itertools

import psycopg2
import pytest

from jobs_helpers import (check_invariants, claim_one, complete_one, db_now,
                          expire, fail_one, heartbeat, job, lease_row,
                          new_account, pg_error, ready_row, release_one,
                          row, rows, submit, value)


pytestmark = pytest.mark.sql_only

STATES = ("queued", "processing", "paused", "completed", "failed",
          "canceled", "expired")

# What each action does from each state: a status it reaches (with the
# outcome a worker action answers), or PJ409, or 'lost' (nothing changes).
# heartbeat never changes the status; its answer is the state it reports.
TABLE = {
    "cancel": {"queued": "canceled", "processing": "canceled",
               "paused": "canceled"},
    "pause": {"queued": "paused", "processing": "paused"},
    "resume": {"paused": "queued"},
    "complete": {"processing": ("completed", "completed")},
    "fail": {"processing": ("queued", "retrying")},
    "release": {"processing": ("queued", "released")},
    "heartbeat": {"processing": "running", "paused": "paused",
                  "canceled": "canceled"},
}
CLIENT_ACTIONS = ("cancel", "pause", "resume")
_types = itertools.count(1)
WORKER_ACTIONS = ("complete", "fail", "release", "heartbeat")


def make_job(conn, acct, state):
    """A job in `state` that has been through one attempt where the state
    allows it; return (id, attempt of the latest claim)."""
    # A type of its own, so that queued jobs made before do not get in
    # the way of its claim.
    jid = submit(conn, acct, f"t{next(_types)}", ["a", "b", "c"])
    if state == "queued":
        # Claimed once and handed back: attempt 1 exists but holds nothing.
        a = claim_one(conn, jid, by_type=True)["attempt"]
        assert release_one(conn, jid, a) == "released"
        return jid, a
    a = claim_one(conn, jid, by_type=True)["attempt"]
    if state == "processing":
        pass
    elif state == "paused":
        pause(conn, acct, jid)
    elif state == "completed":
        assert complete_one(conn, jid, a) == "completed"
    elif state == "failed":
        assert fail_one(conn, jid, a, fatal=True)["outcome"] == "failed"
    elif state == "canceled":
        cancel(conn, acct, jid)
    elif state == "expired":
        assert complete_one(conn, jid, a) == "completed"
        conn.cursor().execute(
            "UPDATE pgjob.job SET expires_at = now() - interval '1 second', "
            "sweep_at = now() - interval '1 second' WHERE id = %s", (jid,))
        assert expire(conn) == 1
    assert job(conn, jid)["status"] == state
    return jid, a


def cancel(conn, acct, jid, reason=None):
    return row(conn, "SELECT * FROM pgjob.cancel(%s, %s, %s)",
               (acct, jid, reason))


def pause(conn, acct, jid):
    return row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, jid))


def resume(conn, acct, jid):
    return row(conn, "SELECT * FROM pgjob.resume(%s, %s)", (acct, jid))


def act(conn, acct, action, jid, attempt):
    """Apply an action; return the job row (client actions) or the
    outcome/state (worker actions)."""
    if action in CLIENT_ACTIONS:
        return {"cancel": cancel, "pause": pause,
                "resume": resume}[action](conn, acct, jid)
    if action == "complete":
        return complete_one(conn, jid, attempt)
    if action == "fail":
        return fail_one(conn, jid, attempt, base="0 seconds")["outcome"]
    if action == "release":
        return release_one(conn, jid, attempt)
    if action == "heartbeat":
        return heartbeat(conn, jid, attempt)["state"]
    raise ValueError(action)


def snapshot(conn, jid):
    return job(conn, jid), ready_row(conn, jid), lease_row(conn, jid)


def age(conn, jid):
    """Move updated_at a day back, so a transition's bump is visible."""
    conn.cursor().execute("UPDATE pgjob.job SET updated_at = updated_at - "
                          "interval '1 day' WHERE id = %s", (jid,))


@pytest.mark.parametrize("action", list(TABLE))
def test_transition_table(conn, action):
    acct = new_account(conn)
    problems = []
    for state in STATES:
        jid, attempt = make_job(conn, acct, state)
        age(conn, jid)
        before, ready_before, lease_before = snapshot(conn, jid)
        expected = TABLE[action].get(state)
        t0 = db_now(conn)
        where = f"{action} from {state}"
        try:
            if action in CLIENT_ACTIONS and expected is None:
                with pg_error("PJ409",
                              message=f"cannot {action} a job that is "
                                      f"{state}") as caught:
                    act(conn, acct, action, jid, attempt)
                if caught[0].diag.message_detail != state:
                    problems.append(f"{where}: DETAIL "
                                    f"{caught[0].diag.message_detail!r}")
                got = None
            else:
                got = act(conn, acct, action, jid, attempt)
        except (AssertionError, psycopg2.Error) as e:
            problems.append(f"{where}: {type(e).__name__}: {e}")
            continue
        after, ready_after, lease_after = snapshot(conn, jid)
        if action in CLIENT_ACTIONS and expected is not None:
            if got is None or got["status"] != expected:
                problems.append(f"{where}: returned {got}")
            elif got != after:
                problems.append(f"{where}: returned row is not the stored one")
        if action == "heartbeat":
            want_state = expected or "lost"
            if got != want_state:
                problems.append(f"{where}: state {got!r}, want {want_state!r}")
            # A heartbeat without progress never changes the job.
            if after != before:
                problems.append(f"{where}: the job changed")
            if state != "processing" and lease_after != lease_before:
                problems.append(f"{where}: the lease changed")
        elif action in WORKER_ACTIONS and expected is None:
            if got != "lost":
                problems.append(f"{where}: outcome {got!r}, want 'lost'")
        elif action in WORKER_ACTIONS:
            want_status, want_outcome = expected
            if got != want_outcome:
                problems.append(f"{where}: outcome {got!r}, want "
                                f"{want_outcome!r}")
            expected = want_status
        if action != "heartbeat":
            if expected is None:
                if (after, ready_after, lease_after) != \
                        (before, ready_before, lease_before):
                    problems.append(f"{where}: refused, but something changed")
            else:
                if after["status"] != expected:
                    problems.append(f"{where}: status {after['status']}, "
                                    f"want {expected}")
                if after["version"] != before["version"] + 1:
                    problems.append(f"{where}: version {before['version']} "
                                    f"-> {after['version']}")
                if not after["updated_at"] >= t0:
                    problems.append(f"{where}: updated_at not bumped")
        try:
            check_invariants(conn)
        except AssertionError as e:
            problems.append(f"{where}: {e}")
    assert not problems, "\n".join(problems)


def test_cancel_details(conn):
    acct = new_account(conn)
    jid = submit(conn, acct, retention=datetime.timedelta(hours=3))
    t0 = db_now(conn)
    got = cancel(conn, acct, jid, "no longer needed")
    assert got["status"] == "canceled"
    assert got["error"] == {"code": "canceled", "message": "no longer needed"}
    assert got["completed_at"] >= t0
    assert got["expires_at"] == got["completed_at"] + datetime.timedelta(hours=3)
    jid2 = submit(conn, acct)
    assert cancel(conn, acct, jid2)["error"] == \
        {"code": "canceled", "message": "canceled by request"}
    check_invariants(conn)


def test_pause_resume_details(conn):
    acct = new_account(conn)
    # Paused while queued, and paused while queued for a later run_at.
    jid = submit(conn, acct)
    p = pause(conn, acct, jid)
    assert p["status"] == "paused" and ready_row(conn, jid) is None
    assert p["completed_at"] is None and p["expires_at"] is None
    r = resume(conn, acct, jid)
    assert r["status"] == "queued"
    assert ready_row(conn, jid)["run_at"] == r["run_at"]
    assert claim_one(conn, jid)["attempt"] == 1

    later = db_now(conn) + datetime.timedelta(hours=1)
    jid2 = submit(conn, acct, run_at=later, priority=5)
    pause(conn, acct, jid2)
    resume(conn, acct, jid2)
    ready = ready_row(conn, jid2)
    assert (ready["run_at"], ready["priority"], ready["type"]) == \
        (later, 5, "enrich")
    assert value(conn, "SELECT count(*) FROM pgjob.claim('w', 10)") == 0
    check_invariants(conn)


def test_paused_running_job_resumes_with_next_attempt(conn):
    acct = new_account(conn)
    jid = submit(conn, acct)
    a1 = claim_one(conn, jid)["attempt"]
    heartbeat(conn, jid, a1, items_done=1, results=[{"r": 1}])
    pause(conn, acct, jid)
    j = job(conn, jid)
    assert j["status"] == "paused"
    assert j["failed_attempts"] == 0
    assert lease_row(conn, jid) is None
    resume(conn, acct, jid)
    r = claim_one(conn, jid, "w2")
    assert r["attempt"] == a1 + 1
    assert (r["items_done"], r["results"]) == (1, [{"r": 1}])
    assert job(conn, jid)["failed_attempts"] == 0
    check_invariants(conn)


@pytest.mark.parametrize("action", CLIENT_ACTIONS)
def test_other_accounts_job_is_not_found(conn, action):
    owner = new_account(conn)
    intruder = new_account(conn)
    # A state from which the owner could do this.
    state = {"cancel": "queued", "pause": "processing",
             "resume": "paused"}[action]
    jid, attempt = make_job(conn, owner, state)
    before = snapshot(conn, jid)
    fn = {"cancel": cancel, "pause": pause, "resume": resume}[action]
    with pg_error("PJ404"):
        fn(conn, intruder, jid)
    assert snapshot(conn, jid) == before
    # A job in a terminal state is not told apart either: still 404.
    done, a = make_job(conn, owner, "completed")
    with pg_error("PJ404"):
        fn(conn, intruder, done)
    # Unknown ids.
    with pg_error("PJ404"):
        fn(conn, owner, "00000000-0000-0000-0000-000000000000")
    # The owner can.
    assert fn(conn, owner, jid)["status"] == TABLE[action][state]
    check_invariants(conn)


def test_worker_actions_on_unknown_job_are_lost(conn):
    unknown = "00000000-0000-0000-0000-000000000001"
    assert complete_one(conn, unknown, 1) == "lost"
    assert fail_one(conn, unknown, 1)["outcome"] == "lost"
    assert fail_one(conn, unknown, 1)["run_at"] is None
    assert release_one(conn, unknown, 1) == "lost"
    assert heartbeat(conn, unknown, 1) == {"state": "lost",
                                           "lease_until": None}
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0


def test_version_and_updated_at_bump_on_every_change(conn):
    """Walk one job through every kind of change and check each bump."""
    acct = new_account(conn)
    jid = submit(conn, acct, max_attempts=5)
    seen = [job(conn, jid)["version"]]
    assert seen == [1]

    def step(label, fn):
        age(conn, jid)
        before = job(conn, jid)
        t0 = db_now(conn)
        fn()
        after = job(conn, jid)
        assert after["version"] == before["version"] + 1, label
        assert after["updated_at"] >= t0, label
        seen.append(after["version"])

    attempt = {}

    def do_claim():
        attempt["n"] = claim_one(conn, jid)["attempt"]

    step("claim", do_claim)
    step("heartbeat with progress",
         lambda: heartbeat(conn, jid, attempt["n"], items_done=1))
    step("pause", lambda: pause(conn, acct, jid))
    step("resume", lambda: resume(conn, acct, jid))
    step("claim 2", do_claim)
    step("release", lambda: release_one(conn, jid, attempt["n"]))
    step("claim 3", do_claim)
    step("fail", lambda: fail_one(conn, jid, attempt["n"], base="0 seconds"))
    step("claim 4", do_claim)

    def rescue():
        conn.cursor().execute("UPDATE pgjob.lease SET lease_until = now() - "
                              "interval '1 second' WHERE job_id = %s", (jid,))
        assert rows(conn, "SELECT * FROM pgjob.rescue()")[0]["id"] == jid
    step("rescue", rescue)
    step("claim 5", do_claim)
    step("complete", lambda: complete_one(conn, jid, attempt["n"]))

    def do_expire():
        conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 second', "
                              "sweep_at = now() - interval '1 second' WHERE id = %s", (jid,))
        assert expire(conn) == 1
    step("expire", do_expire)
    assert seen == list(range(1, 15))
    # A heartbeat without progress is not a change of the job.
    jid2 = submit(conn, acct)
    a = claim_one(conn, jid2)["attempt"]
    before = job(conn, jid2)
    assert heartbeat(conn, jid2, a)["state"] == "running"
    assert job(conn, jid2) == before
