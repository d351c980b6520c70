# SPDX-License-Identifier: MIT
"""pgjob.rescue (expired leases), pgjob.expire (retention) and pgjob.prune."""

import datetime

import pytest

from jobs_helpers import (Listener, check_invariants, claim, claim_one, complete,
                          complete_one, db_now, expire, fail_one, job,
                          lease_row, new_account, pg_error, ready_row, rescue,
                          row, rows, status, submit, submit_many, submit_row,
                          value)


pytestmark = pytest.mark.sql_only


@pytest.fixture
def acct(conn):
    return new_account(conn)


def expire_leases(conn, ids):
    conn.cursor().execute(
        "UPDATE pgjob.lease SET lease_until = now() - interval '1 second' "
        "WHERE job_id = ANY (%s::uuid[])", (list(ids),))


# ---- rescue -----------------------------------------------------------------

def test_rescue_requeues_or_fails_expired_leases(conn, acct):
    retry = submit(conn, acct, "enrich", ["a", "b"], max_attempts=3)
    last = submit(conn, acct, "enrich", ["a"], max_attempts=1,
                  retention=datetime.timedelta(hours=1))
    alive = submit(conn, acct, "enrich", ["a"])
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 3)}
    assert set(got) == {retry, last, alive}
    # retry's worker recorded progress before it died.
    conn.cursor().execute("SELECT pgjob.heartbeat(%s, %s, p_items_done => 1,"
                          " p_results => '[\"r\"]')", (retry, got[retry]))
    expire_leases(conn, [retry, last])
    alive_lease = lease_row(conn, alive)
    retry_run_at = job(conn, retry)["run_at"]
    alive_job = job(conn, alive)
    t0 = db_now(conn)
    assert rescue(conn) == {retry: "retrying", last: "failed"}
    r = job(conn, retry)
    assert r["status"] == "queued"
    assert (r["attempt_count"], r["failed_attempts"]) == (1, 1)
    assert r["error"]["code"] == "lease_expired"
    assert isinstance(r["error"]["message"], str) and r["error"]["message"]
    # It keeps its place in line (sql/011_hardening.sql).
    assert r["run_at"] == retry_run_at
    assert (r["items_done"], r["results"]) == (1, ["r"])
    assert r["completed_at"] is None and r["expires_at"] is None
    assert ready_row(conn, retry)["run_at"] == r["run_at"]
    f = job(conn, last)
    assert f["status"] == "failed"
    assert f["error"]["code"] == "lease_expired"
    assert f["completed_at"] >= t0
    assert f["expires_at"] == f["completed_at"] + datetime.timedelta(hours=1)
    assert ready_row(conn, last) is None and lease_row(conn, last) is None
    # The live lease is untouched.
    assert lease_row(conn, alive) == alive_lease
    assert job(conn, alive) == alive_job
    check_invariants(conn)
    # Claimable again at once, as the next attempt.
    assert claim_one(conn, retry, "w2")["attempt"] == 2
    assert rescue(conn) == {}


def test_rescue_counts_toward_max_attempts(conn, acct):
    jid = submit(conn, acct, max_attempts=2)
    a = claim_one(conn, jid)["attempt"]
    fail_one(conn, jid, a, base="0 seconds")
    claim_one(conn, jid)
    expire_leases(conn, [jid])
    assert rescue(conn) == {jid: "failed"}
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == \
        ("failed", 2, 2)


def test_rescue_limit(conn, acct):
    ids = submit_many(conn, acct, 5)
    claim(conn, "w", 5)
    expire_leases(conn, ids)
    first = rescue(conn, 2)
    assert len(first) == 2
    assert value(conn, "SELECT count(*) FROM pgjob.lease") == 3
    rest = rescue(conn)
    assert len(rest) == 3 and not set(first) & set(rest)
    assert set(first) | set(rest) == set(ids)
    assert rescue(conn) == {}
    for bad in (0, 100001, None):
        with pg_error("PJ400", "limit"):
            rows(conn, "SELECT * FROM pgjob.rescue(%s)", (bad,))
    check_invariants(conn)


def test_rescue_ignores_paused_and_finished(conn, acct):
    """Only processing jobs have leases to rescue."""
    p = submit(conn, acct)
    a = claim_one(conn, p)["attempt"]
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, p))
    c = submit(conn, acct)
    a = claim_one(conn, c)["attempt"]
    complete_one(conn, c, a)
    before = job(conn, p), job(conn, c)
    assert rescue(conn) == {}
    assert (job(conn, p), job(conn, c)) == before


# ---- expire -------------------------------------------------------------------

def make_due_for_expiry(conn, ids):
    conn.cursor().execute(
        "UPDATE pgjob.job SET expires_at = now() - interval '1 second', "
        "sweep_at = now() - interval '1 second' WHERE id = ANY (%s::uuid[])", (list(ids),))


def test_expire_keeps_a_stub(conn, acct):
    r = submit_row(conn, acct, "invoice", ["a", "b"], idempotency_key="k1",
                   metadata={"m": 1})
    jid = r["id"]
    a = claim_one(conn, jid)["attempt"]
    complete(conn, [{"id": jid, "attempt": a, "results": [{"x": 1},
                     {"error": {"code": "e"}}], "processing_ms": 7,
                     "validation_flags": [{"code": "F"}], "confidence": 0.5}])
    before = job(conn, jid)
    make_due_for_expiry(conn, [jid])
    t0 = db_now(conn)
    assert expire(conn) == 1
    j = job(conn, jid)
    assert j["status"] == "expired"
    assert j["items"] is None and j["results"] is None
    assert j["validation_flags"] == []
    assert j["idempotency_key"] is None
    assert j["version"] == before["version"] + 1
    assert j["updated_at"] >= t0
    for kept in ("id", "account_id", "type", "item_count", "items_done",
                 "items_failed", "attempt_count", "failed_attempts",
                 "max_attempts", "error", "created_at", "started_at",
                 "completed_at", "processing_ms", "priority", "confidence"):
        assert j[kept] == before[kept], kept
    check_invariants(conn)
    # The idempotency key is free again: a new job.
    again = submit_row(conn, acct, "invoice", ["a", "b"], idempotency_key="k1",
                       metadata={"m": 1})
    assert again["created"] is True and again["id"] != jid
    assert expire(conn) == 0


def test_expire_keeps_error_of_failed_and_canceled(conn, acct):
    f = submit(conn, acct)
    a = claim_one(conn, f)["attempt"]
    fail_one(conn, f, a, "bad", "reason", fatal=True)
    c = submit(conn, acct)
    row(conn, "SELECT * FROM pgjob.cancel(%s, %s, 'stop')", (acct, c))
    make_due_for_expiry(conn, [f, c])
    assert expire(conn) == 2
    assert job(conn, f)["error"] == {"code": "bad", "message": "reason"}
    assert job(conn, f)["attempt_count"] == 1
    assert job(conn, c)["error"] == {"code": "canceled", "message": "stop"}
    assert {job(conn, f)["status"], job(conn, c)["status"]} == {"expired"}


def test_expire_only_due_terminal_jobs(conn, acct):
    queued = submit(conn, acct)
    paused = submit(conn, acct)
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, paused))
    running = submit(conn, acct, "other")
    claim_one(conn, running, by_type=True)
    done_later = submit(conn, acct, "later")
    a = claim_one(conn, done_later, by_type=True)["attempt"]
    complete_one(conn, done_later, a)
    # Non-terminal jobs with an expires_at in the past (set by hand) and a
    # terminal job not due yet: none expire, and nothing a client sees
    # changes.  The unfinished ones are moved on (sweep_at, 020), a
    # retention ahead.
    make_due_for_expiry(conn, [queued, paused, running])
    before = {i: seen(conn, i) for i in (queued, paused, running, done_later)}
    assert expire(conn) == 0
    assert {i: seen(conn, i) for i in before} == before
    assert value(conn, "SELECT bool_and(sweep_at > now() + interval '6 days') FROM pgjob.job"
                       " WHERE id = ANY (%s::uuid[])", ([queued, paused, running],))
    check_invariants(conn)


def seen(conn, job_id):
    """The job's row but for sweep_at, which only expire reads."""
    j = job(conn, job_id)
    del j["sweep_at"]
    return j


# ---- expire's sweep (sql/020_hot_completion.sql) -------------------------------

def sweep_at(conn, job_id):
    return value(conn, "SELECT sweep_at FROM pgjob.job WHERE id = %s", (job_id,))


def test_submit_sets_sweep_at_a_retention_after_now(conn, acct):
    jid = submit(conn, acct, retention=datetime.timedelta(hours=1))
    assert value(conn, "SELECT sweep_at = created_at + retention FROM pgjob.job"
                       " WHERE id = %s", (jid,))
    grouped = value(conn, "SELECT (s.job).id FROM pgjob.submit_group("
                          "ARRAY[%s]::bigint[], ARRAY[NULL]::bytea[], ARRAY[NULL]::bigint[],"
                          " ARRAY['echo'], ARRAY['{\"items\": [1]}']::jsonb[], ARRAY[0],"
                          " ARRAY[NULL]::timestamptz[], ARRAY[3], interval '2 hours') s",
                    (acct,))
    assert value(conn, "SELECT sweep_at = created_at + interval '2 hours' FROM pgjob.job"
                       " WHERE id = %s", (grouped,))


def test_no_completion_moves_sweep_at(conn, acct):
    """A completion, a fatal fail and a cancel set expires_at but leave
    sweep_at (the only column job_expiry_idx names) as submit set it."""
    ids = submit_many(conn, acct, 3)
    before = {i: sweep_at(conn, i) for i in ids}
    got = {r["id"]: r["attempt"] for r in claim(conn, "w", 2)}
    done, failed = sorted(got)
    complete_one(conn, done, got[done], item_count=1)
    fail_one(conn, failed, got[failed], "bad", "reason", fatal=True)
    canceled = (set(ids) - set(got)).pop()
    row(conn, "SELECT * FROM pgjob.cancel(%s, %s)", (acct, canceled))
    assert value(conn, "SELECT count(*) FROM pgjob.job WHERE id = ANY (%s::uuid[])"
                       " AND expires_at IS NOT NULL", (ids,)) == 3
    assert {i: sweep_at(conn, i) for i in ids} == before


def test_a_terminal_job_found_early_is_moved_to_its_expires_at(conn, acct):
    jid = submit(conn, acct)
    complete_one(conn, jid, claim_one(conn, jid)["attempt"])
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 second'"
                          " WHERE id = %s", (jid,))
    assert expire(conn) == 0
    assert value(conn, "SELECT sweep_at = expires_at FROM pgjob.job WHERE id = %s", (jid,))
    assert status(conn, jid) == "completed"
    # Once that time has come, the sweep expires it, and the stub's
    # sweep_at is its expires_at, from which prune ages it.
    make_due_for_expiry(conn, [jid])
    assert expire(conn) == 1
    assert value(conn, "SELECT status = 'expired' AND sweep_at = expires_at FROM pgjob.job"
                       " WHERE id = %s", (jid,))


def test_an_unfinished_job_is_moved_at_least_ten_minutes_ahead(conn, acct):
    """A job of no retention that is still queued when the sweep finds
    it is not looked at again by every sweep; once done, it expires."""
    jid = submit(conn, acct, retention=datetime.timedelta(0))
    conn.autocommit = False
    try:
        assert expire(conn) == 0
        # now() is the transaction's: the same in both statements.
        assert value(conn, "SELECT sweep_at = now() + interval '10 minutes' FROM pgjob.job"
                           " WHERE id = %s", (jid,))
        conn.commit()
    finally:
        conn.autocommit = True
    complete_one(conn, jid, claim_one(conn, jid)["attempt"])
    assert expire(conn) == 0
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() WHERE id = %s", (jid,))
    assert expire(conn) == 1


def test_jobs_moved_on_do_not_hold_back_due_ones(conn, acct):
    """The sweep takes the oldest sweep_at first.  Unfinished jobs it
    moves on do not count against its limit: it looks again, behind
    them, so a limit of n still expires n due jobs."""
    waiting = [submit(conn, acct, retention=datetime.timedelta(0)) for _ in range(3)]
    done = [submit(conn, acct, "other", retention=datetime.timedelta(0)) for _ in range(3)]
    for jid in done:
        complete_one(conn, jid, claim_one(conn, jid, by_type=True)["attempt"])
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 hour'"
                          " WHERE id = ANY (%s::uuid[])", (waiting,))
    assert expire(conn, 3) == 3
    assert {status(conn, j) for j in done} == {"expired"}
    assert {status(conn, j) for j in waiting} == {"queued"}
    assert value(conn, "SELECT bool_and(sweep_at > now()) FROM pgjob.job"
                       " WHERE id = ANY (%s::uuid[])", (waiting,))
    check_invariants(conn)


def test_a_call_looks_at_most_at_ten_times_its_limit(conn, acct):
    """Behind 25 unfinished jobs, a call with limit 2 looks at 20 and
    stops; the next call goes on from there."""
    waiting = submit_many(conn, acct, 25, retention=datetime.timedelta(0))
    done = submit(conn, acct, "other", retention=datetime.timedelta(0))
    complete_one(conn, done, claim_one(conn, done, by_type=True)["attempt"])
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 hour'"
                          " WHERE id = ANY (%s::uuid[])", (waiting,))
    assert expire(conn, 2) == 0
    assert value(conn, "SELECT count(*) FROM pgjob.job WHERE id = ANY (%s::uuid[])"
                       " AND sweep_at > now()", (waiting,)) == 20
    assert expire(conn, 2) == 1
    assert status(conn, done) == "expired"
    check_invariants(conn)


def test_a_call_expires_at_most_its_limit_over_its_passes(conn, acct, connect):
    """An unfinished job, then three due ones, limit 2: the first pass
    moves one and expires one, the second expires one and leaves the
    third as it was.  One notification names both."""
    waiting = submit(conn, acct, retention=datetime.timedelta(0))
    done = [submit(conn, acct, "other", retention=datetime.timedelta(0)) for _ in range(3)]
    for jid in done:
        complete_one(conn, jid, claim_one(conn, jid, by_type=True)["attempt"])
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 hour'"
                          " WHERE id = %s", (waiting,))
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 minute' * n"
                          " FROM unnest(%s::uuid[]) WITH ORDINALITY AS d(id, n)"
                          " WHERE pgjob.job.id = d.id", (done[::-1],))
    listener = Listener(connect())
    assert expire(conn, 2) == 2
    assert [status(conn, j) for j in done] == ["expired", "expired", "completed"]
    notes = [p for c, p in listener.drain(conn) if c == "pgjob_job"]
    assert len(notes) == 1 and set(notes[0].split()) == set(done[:2])
    assert value(conn, "SELECT sweep_at FROM pgjob.job WHERE id = %s", (done[2],)) < \
        value(conn, "SELECT now()")
    check_invariants(conn)


def test_a_pass_moves_only_the_jobs_before_its_last_expiry(conn, acct):
    """Due in this order: expirable, unfinished, expirable, unfinished;
    limit 2.  The call expires both expirable jobs and moves the
    unfinished one between them; the last one, behind the limit, is left
    as it was, for the next call."""
    zero = datetime.timedelta(0)
    e1, e2 = (submit(conn, acct, "other", retention=zero) for _ in range(2))
    for jid in (e1, e2):
        complete_one(conn, jid, claim_one(conn, jid, by_type=True)["attempt"])
    n1, n2 = (submit(conn, acct, retention=zero) for _ in range(2))
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 minute' * d.n"
                          " FROM unnest(%s::uuid[]) WITH ORDINALITY AS d(id, n)"
                          " WHERE pgjob.job.id = d.id", ([n2, e2, n1, e1],))
    assert expire(conn, 2) == 2
    assert (status(conn, e1), status(conn, e2)) == ("expired", "expired")
    assert value(conn, "SELECT sweep_at > now() FROM pgjob.job WHERE id = %s", (n1,))
    assert value(conn, "SELECT sweep_at < now() FROM pgjob.job WHERE id = %s", (n2,))
    check_invariants(conn)


def test_passes_start_where_the_last_one_ended(conn, acct):
    """19 due jobs, then 181 unfinished ones, limit 20: ten passes of 20,
    each reading the index from where the last one ended, not from its
    start again (the entries behind are this call's own, dead to it)."""
    done = submit_many(conn, acct, 19, "other", retention=datetime.timedelta(0))
    got = claim(conn, "w", 19, ["other"])
    complete(conn, [{"id": r["id"], "attempt": r["attempt"], "results": ["r"],
                     "processing_ms": 1} for r in got])
    waiting = submit_many(conn, acct, 181, retention=datetime.timedelta(0))
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 hour'"
                          " WHERE id = ANY (%s::uuid[])", (done,))
    conn.cursor().execute("UPDATE pgjob.job SET sweep_at = now() - interval '1 minute'"
                          " WHERE id = ANY (%s::uuid[])", (waiting,))
    conn.cursor().execute("VACUUM pgjob.job")
    conn.autocommit = False
    try:
        # The walk of the index is what is measured: on a table this small
        # the planner would rather read the whole table.
        conn.cursor().execute("SET LOCAL enable_seqscan = off")
        conn.cursor().execute("SET LOCAL enable_bitmapscan = off")
        read = "SELECT pg_stat_get_xact_tuples_returned('pgjob.job_expiry_idx'::regclass)"
        before = value(conn, read)
        assert expire(conn, 20) == 19
        walked = value(conn, read) - before
        conn.commit()
    finally:
        conn.autocommit = True
    assert 200 <= walked <= 3 * 10 * 20, walked
    assert value(conn, "SELECT count(*) FROM pgjob.job WHERE id = ANY (%s::uuid[])"
                       " AND sweep_at > now()", (waiting,)) == 181


def test_expire_limit(conn, acct):
    ids = submit_many(conn, acct, 5)
    got = claim(conn, "w", 5)
    complete(conn, [{"id": r["id"], "attempt": r["attempt"], "results": ["r"],
                     "processing_ms": 1} for r in got])
    make_due_for_expiry(conn, ids)
    assert expire(conn, 2) == 2
    assert value(conn, "SELECT count(*) FROM pgjob.job "
                 "WHERE status = 'expired'") == 2
    assert expire(conn) == 3
    assert expire(conn) == 0
    for bad in (0, 100001, None):
        with pg_error("PJ400", "limit"):
            value(conn, "SELECT pgjob.expire(%s)", (bad,))


# ---- prune --------------------------------------------------------------------

def test_prune_deletes_only_old_expired_stubs(conn, acct):
    ids = submit_many(conn, acct, 4)
    got = claim(conn, "w", 4)
    complete(conn, [{"id": r["id"], "attempt": r["attempt"], "results": ["r"],
                     "processing_ms": 1} for r in got])
    make_due_for_expiry(conn, ids[:3])
    assert expire(conn) == 3
    old = ids[:2]
    conn.cursor().execute(
        "UPDATE pgjob.job SET expires_at = now() - interval '31 days', "
        "sweep_at = now() - interval '31 days' WHERE id = ANY (%s::uuid[])", (old + [ids[3]],))
    # ids[2]: expired just now; ids[3]: completed (old expires_at) but not
    # expired.  Only the two old stubs go.
    assert value(conn, "SELECT pgjob.prune()") == 2
    left = {r["id"] for r in rows(conn, "SELECT id FROM pgjob.job")}
    assert left == {ids[2], ids[3]}
    assert value(conn, "SELECT pgjob.prune()") == 0
    # A shorter age takes the fresh stub too, within the limit.
    assert value(conn, "SELECT pgjob.prune('0 seconds', 1)") == 1
    assert job(conn, ids[3])["status"] == "completed"
    for args, column in ((("1 day", 0), "limit"),
                         (("-1 day", 10), "older_than")):
        with pg_error("PJ400", column):
            value(conn, "SELECT pgjob.prune(%s, %s)", args)


def test_prune_limit(conn, acct):
    ids = submit_many(conn, acct, 3)
    for r in claim(conn, "w", 3):
        complete_one(conn, r["id"], r["attempt"], item_count=1)
    make_due_for_expiry(conn, ids)
    assert expire(conn) == 3
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '40 days', "
                          "sweep_at = now() - interval '40 days'")
    assert value(conn, "SELECT pgjob.prune(p_limit => 2)") == 2
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT pgjob.prune()") == 1
