# SPDX-License-Identifier: MIT
"""pgjob.heartbeat with p_results_from (sql/016_heartbeat_delta.sql): a
checkpoint carries only the results from index k on; the job keeps its
first k results and the rest are replaced, so a resend of the same k after
a lost answer neither loses nor duplicates results."""

import pytest

from jobs_helpers import (check_invariants, claim_one, expire_lease, heartbeat,
                          job, lease_row, new_account, pg_error, release_one,
                          submit, value)


pytestmark = pytest.mark.sql_only


@pytest.fixture
def acct(conn):
    return new_account(conn)


def r(i):
    return {"n": i, "error": None}


def results_bytes_ok(conn, jid):
    return value(conn, "SELECT results_bytes = octet_length(results::text)"
                       " FROM pgjob.job WHERE id = %s", (jid,))


def test_delta_appends_at_its_index(conn, acct):
    jid = submit(conn, acct, "enrich", [f"i{i}" for i in range(6)])
    a = claim_one(conn, jid)["attempt"]
    v0 = job(conn, jid)["version"]
    hb = heartbeat(conn, jid, a, items_done=2, items_failed=0,
                   results=[r(0), r(1)], results_from=0)
    assert hb["state"] == "running"
    assert job(conn, jid)["results"] == [r(0), r(1)]
    heartbeat(conn, jid, a, items_done=3, items_failed=1,
              results=[{"error": {"code": "x"}}], results_from=2)
    heartbeat(conn, jid, a, items_done=5, items_failed=1,
              results=[r(3), r(4)], results_from=3)
    j = job(conn, jid)
    assert j["results"] == [r(0), r(1), {"error": {"code": "x"}}, r(3), r(4)]
    assert (j["items_done"], j["items_failed"]) == (5, 1)
    assert j["version"] == v0 + 3
    assert results_bytes_ok(conn, jid)
    # An empty delta at the end changes no result (progress only).
    heartbeat(conn, jid, a, items_done=5, items_failed=1, results=[], results_from=5)
    assert job(conn, jid)["results"] == j["results"]
    check_invariants(conn)


def test_resend_of_the_same_index_is_idempotent(conn, acct):
    """The daemon resends from the index the database last confirmed when
    a heartbeat's answer was lost, whether or not it was recorded."""
    jid = submit(conn, acct, "enrich", [f"i{i}" for i in range(5)])
    a = claim_one(conn, jid)["attempt"]
    heartbeat(conn, jid, a, items_done=2, results=[r(0), r(1)], results_from=0)
    # Recorded, but its answer was lost: the same k again, same results.
    heartbeat(conn, jid, a, items_done=3, results=[r(2)], results_from=2)
    heartbeat(conn, jid, a, items_done=3, results=[r(2)], results_from=2)
    assert job(conn, jid)["results"] == [r(0), r(1), r(2)]
    # ... and again from the same k with the items done since.
    heartbeat(conn, jid, a, items_done=4, results=[r(2), r(3)], results_from=2)
    j = job(conn, jid)
    assert j["results"] == [r(0), r(1), r(2), r(3)]
    assert j["items_done"] == 4
    # From an earlier index: what is there from k on is replaced.
    heartbeat(conn, jid, a, items_done=2, results=[{"n": "again"}], results_from=1)
    j = job(conn, jid)
    assert j["results"] == [r(0), {"n": "again"}]
    assert j["items_done"] == 2
    assert results_bytes_ok(conn, jid)
    # The whole array (no index) replaces everything, as before 016.
    heartbeat(conn, jid, a, items_done=1, results=[r(9)])
    assert job(conn, jid)["results"] == [r(9)]
    check_invariants(conn)


def test_index_past_the_recorded_results_is_refused(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b", "c", "d"])
    a = claim_one(conn, jid)["attempt"]
    heartbeat(conn, jid, a, items_done=1, results=[r(0)], results_from=0)
    expire_lease(conn, jid)
    before = job(conn, jid), lease_row(conn, jid)
    with pg_error("PJ409", "results_from"):
        heartbeat(conn, jid, a, lease="60 seconds", items_done=3,
                  results=[r(2)], results_from=2)
    # Nothing changed: neither the checkpoint nor the lease.
    assert (job(conn, jid), lease_row(conn, jid)) == before


def test_delta_validation(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b"])
    a = claim_one(conn, jid)["attempt"]
    before = job(conn, jid), lease_row(conn, jid)
    with pg_error("PJ400", "results_from"):
        heartbeat(conn, jid, a, items_done=1, results=[r(0)], results_from=-1)
    with pg_error("PJ400", "results_from"):
        heartbeat(conn, jid, a, items_done=1, results_from=0)
    with pg_error("PJ400", "results"):
        heartbeat(conn, jid, a, items_done=1, results={"n": 0}, results_from=0)
    assert (job(conn, jid), lease_row(conn, jid)) == before


def test_stale_attempt_is_refused(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b", "c"], max_attempts=5)
    a1 = claim_one(conn, jid)["attempt"]
    heartbeat(conn, jid, a1, items_done=1, results=[r(0)], results_from=0)
    assert release_one(conn, jid, a1) == "released"
    a2 = claim_one(conn, jid)["attempt"]
    assert a2 == a1 + 1
    heartbeat(conn, jid, a2, items_done=2, results=[r(1)], results_from=1)
    before = job(conn, jid), lease_row(conn, jid)
    # The old attempt's resend, its next delta, and one past the end: all
    # told 'lost' (not an error), and none writes anything.
    for k, res in ((0, [{"old": 0}]), (1, [{"old": 1}]), (2, [{"old": 2}]), (9, [{"old": 9}])):
        hb = heartbeat(conn, jid, a1, items_done=k + 1, results=res, results_from=k)
        assert hb == {"state": "lost", "lease_until": None}
    assert (job(conn, jid), lease_row(conn, jid)) == before
    assert job(conn, jid)["results"] == [r(0), r(1)]
    # Released, the job is no one's: a delta of its last attempt is lost too.
    assert release_one(conn, jid, a2) == "released"
    assert heartbeat(conn, jid, a2, items_done=3, results=[r(2)],
                     results_from=2)["state"] == "lost"
    assert job(conn, jid)["results"] == [r(0), r(1)]
    check_invariants(conn)
