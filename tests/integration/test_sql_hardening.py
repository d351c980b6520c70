# SPDX-License-Identifier: MIT
"""sql/011_hardening.sql: a job handed back (rescued or released) keeps its
place in line, and an attempt that never started is not a failure."""

import pytest

from jobs_helpers import (check_invariants, claim, claim_one, expire_lease, heartbeat, job,
                          lease_row, new_account, pg_error, ready_row, release_one, rescue,
                          rows, submit, submit_many)


@pytest.fixture
def acct(conn):
    return new_account(conn)


def claim_start(conn, limit, start, worker="w1"):
    """pgjob.claim with p_start: the first `start` rows are started."""
    return rows(conn, "SELECT * FROM pgjob.claim(%s, %s, NULL, '30 seconds', %s)",
                (worker, limit, start))


def claim_order(conn, n):
    return [r["id"] for r in claim(conn, "order", n)]


def test_rescued_job_keeps_its_place_in_line(conn, acct):
    """A job whose worker died is claimed before the jobs submitted after it."""
    first = submit(conn, acct)
    later = submit_many(conn, acct, 3)
    run_at = job(conn, first)["run_at"]
    attempt = claim_one(conn, first)["attempt"]
    heartbeat(conn, first, attempt)
    expire_lease(conn, first)
    assert rescue(conn) == {first: "retrying"}
    assert job(conn, first)["run_at"] == run_at
    assert ready_row(conn, first)["run_at"] == run_at
    assert claim_order(conn, 4) == [first] + later
    check_invariants(conn)


def test_released_job_keeps_its_place_in_line(conn, acct):
    first = submit(conn, acct)
    later = submit_many(conn, acct, 3)
    run_at = job(conn, first)["run_at"]
    attempt = claim_one(conn, first)["attempt"]
    assert release_one(conn, first, attempt) == "released"
    assert job(conn, first)["run_at"] == run_at
    assert claim_order(conn, 4) == [first] + later
    check_invariants(conn)


def test_claim_marks_only_the_first_p_start_rows_started(conn, acct):
    ids = submit_many(conn, acct, 5)
    got = claim_start(conn, 5, 2)
    assert [r["id"] for r in got] == ids, "rows come back in claim order"
    started = {r["id"]: lease_row(conn, r["id"])["started"] for r in got}
    assert [started[i] for i in ids] == [True, True, False, False, False]
    # Without p_start every attempt is started, as before.
    more = submit(conn, acct)
    claim_one(conn, more)
    assert lease_row(conn, more)["started"] is True
    with pg_error("PJ400", "start"):
        claim_start(conn, 1, -1)


def test_unstarted_attempt_is_not_a_failure(conn, acct):
    """A prefetched job whose daemon died before starting it goes back as
    it was: no failed attempt, no error, same place, outcome requeued,
    even on its last allowed attempt."""
    jid = submit(conn, acct, max_attempts=1)
    later = submit(conn, acct)
    before = job(conn, jid)
    got = claim_start(conn, 1, 0)
    assert [r["id"] for r in got] == [jid]
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "requeued"}
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == ("queued", 1, 0)
    assert j["error"] is None and j["run_at"] == before["run_at"]
    check_invariants(conn)
    # Claimed again first, as attempt 2; a started attempt that dies counts.
    again = claim_start(conn, 1, 1)
    assert [(r["id"], r["attempt"]) for r in again] == [(jid, 2)]
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "failed"}
    j = job(conn, jid)
    assert (j["status"], j["failed_attempts"], j["error"]["code"]) == \
        ("failed", 1, "lease_expired")
    assert claim_order(conn, 1) == [later]


def test_first_heartbeat_starts_the_attempt(conn, acct):
    jid = submit(conn, acct, max_attempts=3)
    attempt = claim_start(conn, 1, 0)[0]["attempt"]
    assert lease_row(conn, jid)["started"] is False
    assert heartbeat(conn, jid, attempt)["state"] == "running"
    assert lease_row(conn, jid)["started"] is True
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "retrying"}
    assert job(conn, jid)["failed_attempts"] == 1


def test_renewing_a_waiting_job_does_not_start_it(conn, acct):
    """pgjob.renew is what the daemon sends for prefetched jobs."""
    jid = submit(conn, acct)
    attempt = claim_start(conn, 1, 0)[0]["attempt"]
    rows(conn, "SELECT * FROM pgjob.renew(%s::jsonb)",
         ('[{"id": "%s", "attempt": %d}]' % (jid, attempt),))
    assert lease_row(conn, jid)["started"] is False


def test_fencing_holds_for_an_unstarted_attempt(conn, acct):
    """The requeued job's old attempt cannot write: attempt_count moved on."""
    jid = submit(conn, acct)
    attempt = claim_start(conn, 1, 0)[0]["attempt"]
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "requeued"}
    assert heartbeat(conn, jid, attempt)["state"] == "lost"
    assert release_one(conn, jid, attempt) == "lost"
    new = claim_one(conn, jid)["attempt"]
    assert new == attempt + 1
    assert heartbeat(conn, jid, attempt)["state"] == "lost"


def test_unstarted_attempts_are_free_only_up_to_a_bound(conn, acct):
    """A job that keeps dying before its first heartbeat (it may kill its
    daemon) counts a failure once it has had 100 free attempts."""
    jid = submit(conn, acct, max_attempts=2)
    rows(conn, "UPDATE pgjob.job SET attempt_count = 100 WHERE id = %s", (jid,))
    claim_start(conn, 1, 0)
    expire_lease(conn, jid)
    assert rescue(conn) == {jid: "retrying"}
    assert job(conn, jid)["failed_attempts"] == 1


def test_handed_back_job_keeps_its_place_in_a_batch_of_one_statement(conn, acct):
    """Jobs submitted in one statement share run_at: submission order
    (ready.seq) decides, and a job handed back keeps its own."""
    ids = submit_many(conn, acct, 5)
    assert len({job(conn, i)["run_at"] for i in ids}) == 1
    got = claim(conn, "w", 2)
    assert [r["id"] for r in got] == ids[:2]
    assert release_one(conn, ids[0], got[0]["attempt"]) == "released"
    heartbeat(conn, ids[1], got[1]["attempt"])
    expire_lease(conn, ids[1])
    assert rescue(conn) == {ids[1]: "retrying"}
    assert claim_order(conn, 5) == ids
    check_invariants(conn)
