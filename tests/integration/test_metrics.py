# SPDX-License-Identifier: MIT
"""Metrics, scraped for real.

- The job outcome counters of sql/009_metrics.sql: each transition of the
  state machine counts (or not) as it should, whichever function made it,
  in one statement or many, from several shards, whatever the rights of
  the role that made it.
- GET /metrics of pgjob.fcgi behind lighttpd shows them by type.
- pgjobd's own GET /metrics on metrics_listen: claims, outcomes, the
  handler time histogram, rescues; a bad request; a port in use.
"""

import socket
import time
import urllib.request

import pytest
from psycopg2.extras import Json

pytest.register_assert_rewrite("web")
from daemon import acct, daemon, ddir, probe  # noqa: F401,E402
from daemon import script, submit, wait_status, wait_until  # noqa: E402
from jobs_helpers import (cancel, claim, claim_one, complete, complete_one,  # noqa: E402
                          expire, expire_lease, fail_one, heartbeat, new_account,
                          release_one, rescue, rows, submit_many, value)
from web import metric, prometheus, sql_claim, sql_complete, sql_fail  # noqa: E402

pytest_plugins = ("web",)

OUTCOMES = ("completed", "failed", "retried", "canceled", "expired")


def counts(conn):
    """pgjob.outcome_counts() as {(type, outcome): jobs}."""
    return {(r["type"], r["outcome"]): r["jobs"]
            for r in rows(conn, "SELECT * FROM pgjob.outcome_counts()")}


# ---- the SQL counters ------------------------------------------------------------

def test_each_transition_counts_once(conn):
    account = new_account(conn)

    def one(type="echo"):
        # Submitted when every other job is claimed or finished (or
        # queued behind it), so that it is the one claim_one takes.
        return str(submit_many(conn, account, 1, type=type)[0])

    assert counts(conn) == {}
    # complete: one completed; a heartbeat before it counts nothing.
    j0 = one()
    got = claim_one(conn, j0)
    heartbeat(conn, j0, got["attempt"], items_done=0)
    assert counts(conn) == {}
    complete_one(conn, j0, got["attempt"], item_count=1)
    # fail with attempts left: retried; then fatal: failed.
    j1 = one()
    got = claim_one(conn, j1)
    assert fail_one(conn, j1, got["attempt"], base="0", max_="0")["outcome"] == "retrying"
    got = claim_one(conn, j1)
    assert fail_one(conn, j1, got["attempt"], fatal=True)["outcome"] == "failed"
    # release (a daemon's shutdown) is no outcome.
    j2 = one()
    got = claim_one(conn, j2)
    assert release_one(conn, j2, got["attempt"]) == "released"
    assert counts(conn) == {("echo", "completed"): 1, ("echo", "retried"): 1,
                            ("echo", "failed"): 1}
    # rescue of an expired lease: retried (attempts left).
    got = claim_one(conn, j2)
    expire_lease(conn, j2)
    assert rescue(conn) == {got["id"]: "retrying"}
    # cancel, from queued.
    cancel(conn, account, one())
    assert counts(conn) == {("echo", "completed"): 1, ("echo", "retried"): 2,
                            ("echo", "failed"): 1, ("echo", "canceled"): 1}

    # expire: the completed, failed and canceled jobs, past retention.
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 s', "
                          "sweep_at = now() - interval '1 s' "
                          "WHERE status IN ('completed', 'failed', 'canceled')")
    assert expire(conn) == 3
    # A direct UPDATE that changes no status counts nothing.
    conn.cursor().execute("UPDATE pgjob.job SET priority = 5 WHERE id = %s", (j2,))
    # Another type is counted apart.
    other = one("contact")
    got = claim(conn, limit=10, types=["contact"])
    assert [str(r["id"]) for r in got] == [other]
    complete_one(conn, other, got[0]["attempt"], item_count=1)
    assert counts(conn) == {("echo", "completed"): 1, ("echo", "retried"): 2,
                            ("echo", "failed"): 1, ("echo", "canceled"): 1,
                            ("echo", "expired"): 3, ("contact", "completed"): 1}


def test_batches_count_every_job_of_the_statement(conn):
    account = new_account(conn)
    submit_many(conn, account, 250, type="echo")
    got = claim(conn, limit=250)
    assert len(got) == 250
    done = complete(conn, [{"id": str(r["id"]), "attempt": r["attempt"],
                            "results": [{"ok": 1}], "processing_ms": 1} for r in got[:200]])
    assert set(done.values()) == {"completed"}
    # One fail statement: some retried, some failed for good.
    entries = [{"id": str(r["id"]), "attempt": r["attempt"], "fatal": i % 2 == 0,
                "error": {"code": "x", "message": "y"}} for i, r in enumerate(got[200:])]
    rows(conn, "SELECT * FROM pgjob.fail(%s)", (Json(entries),))
    assert counts(conn) == {("echo", "completed"): 200, ("echo", "failed"): 25,
                            ("echo", "retried"): 25}


def test_counters_from_several_shards_add_up(conn, connect):
    """Outcomes written from connections whose pids fall in different
    shards (pid modulo 16) land in different rows, and the reader sums
    them."""
    account = new_account(conn)
    by_shard = {}
    for _ in range(40):  # bounded: pids are assigned in order, so a few do
        c = connect()
        by_shard.setdefault(value(c, "SELECT pg_backend_pid() % 16"), c)
        if len(by_shard) == 3:
            break
    assert len(by_shard) == 3, "no three connections in different shards"
    for n, c in enumerate(by_shard.values(), start=1):
        submit_many(c, account, 10 * n, type="echo")
        got = claim(c, limit=10 * n)
        complete(c, [{"id": str(r["id"]), "attempt": r["attempt"], "results": [{"ok": 1}],
                      "processing_ms": 1} for r in got])
    shards = {r["shard"]: r["jobs"] for r in rows(
        conn, "SELECT shard, jobs FROM pgjob.outcome_count WHERE outcome = 'completed'")}
    assert shards == {shard: 10 * n for n, shard in enumerate(by_shard, start=1)}
    assert counts(conn) == {("echo", "completed"): 60}


def test_counters_need_no_right_on_the_counter_table(conn, connect, pg, db_name):
    """A role that may change jobs but has no right on pgjob.outcome_count
    still ends them: the trigger writes with its owner's rights."""
    role = f"no_counters_{db_name}"[:63]
    cur = conn.cursor()
    cur.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        cur.execute(f'GRANT USAGE ON SCHEMA pgjob TO "{role}"')
        cur.execute(f'GRANT SELECT, UPDATE ON pgjob.job TO "{role}"')
        account = new_account(conn)
        job = str(submit_many(conn, account, 1, type="echo")[0])
        other = connect()
        other.cursor().execute(f'SET ROLE "{role}"')
        other.cursor().execute("UPDATE pgjob.job SET status = 'canceled' WHERE id = %s", (job,))
        other.cursor().execute("RESET ROLE")
        assert value(conn, "SELECT status FROM pgjob.job WHERE id = %s", (job,)) == "canceled"
        assert counts(conn) == {("echo", "canceled"): 1}
    finally:
        cur.execute(f'DROP OWNED BY "{role}"')
        cur.execute(f'DROP ROLE "{role}"')


def test_counters_stop_while_the_trigger_is_disabled(conn):
    """The counting is the trigger's alone: with it disabled the same
    claims and completes count nothing, enabled again they count.  (The
    trigger's cost is measured by `make bench`: tests/bench/bench_counters.py.)"""
    account = new_account(conn)
    cur = conn.cursor()

    def run_once(jobs):
        submit_many(conn, account, jobs, type="echo")
        got = claim(conn, limit=jobs)
        complete(conn, [{"id": str(r["id"]), "attempt": r["attempt"],
                         "results": [{"ok": 1}], "processing_ms": 1} for r in got])

    cur.execute("ALTER TABLE pgjob.job DISABLE TRIGGER job_count_outcomes")
    try:
        run_once(30)
    finally:
        cur.execute("ALTER TABLE pgjob.job ENABLE TRIGGER job_count_outcomes")
    assert counts(conn) == {}
    run_once(20)
    assert counts(conn) == {("echo", "completed"): 20}


# ---- GET /metrics of pgjob.fcgi ---------------------------------------------------

def test_front_end_metrics_count_outcomes_by_type(api):
    before = prometheus(api.client.get("/metrics").text)
    for outcome in OUTCOMES:
        # Every accepted type has every outcome from the first scrape.
        assert ("pgjob_job_outcomes_total",
                frozenset({("type", "echo"), ("outcome", outcome)})) in before

    job = api.client.submit("echo", ["a"]).json()
    attempt = sql_claim(api.conn, job["id"])
    assert sql_complete(api.conn, job["id"], attempt, [{"a": 1}]) == "completed"
    job = api.client.submit("echo", ["b"]).json()
    attempt = sql_claim(api.conn, job["id"])
    assert sql_fail(api.conn, job["id"], attempt, fatal=True) == "failed"
    job = api.client.submit("contact", [{"email": "a@example.com"}]).json()
    assert api.client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200

    r = api.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    after = prometheus(r.text)

    def delta(type, outcome):
        name = "pgjob_job_outcomes_total"
        return (metric(after, name, type=type, outcome=outcome)
                - metric(before, name, type=type, outcome=outcome))

    assert delta("echo", "completed") == 1
    assert delta("echo", "failed") == 1
    assert delta("contact", "canceled") == 1
    assert delta("echo", "retried") == 0 and delta("enrich", "completed") == 0
    assert "# TYPE pgjob_job_outcomes_total counter" in r.text


# ---- pgjobd's own /metrics --------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return prometheus(r.read().decode())


def test_pgjobd_metrics_count_claims_outcomes_and_handler_times(daemon, ddir, conn, acct):
    port = free_port()
    fails = script(ddir, "fails.sh", "cat >/dev/null; sleep 0.2; exit 1\n")
    d = daemon({"exec.fails.command": fails}, metrics_listen=f"127.0.0.1:{port}")
    assert d.log_lines(rf"serving GET /metrics on 127\.0\.0\.1:{port}")
    first = scrape(port)
    assert metric(first, "pgjobd_workers") == 4
    assert metric(first, "pgjobd_database_up") == 1

    ids = [submit(conn, acct, "echo", [i]) for i in range(3)]
    for job_id in ids:
        wait_status(conn, job_id, "completed")
    bad = submit(conn, acct, "fails", [1], max_attempts=2)
    wait_status(conn, bad, "failed")

    def settled():
        s = scrape(port)
        return s if metric(s, "pgjobd_job_outcomes_total", outcome="failed") >= 1 else None

    s = wait_until_true("pgjobd to count the failure", settled)
    assert metric(s, "pgjobd_jobs_claimed_total") == 5
    assert metric(s, "pgjobd_job_outcomes_total", outcome="completed") == 3
    assert metric(s, "pgjobd_job_outcomes_total", outcome="retried") == 1
    assert metric(s, "pgjobd_job_outcomes_total", outcome="failed") == 1
    hist = "pgjobd_handler_duration_seconds"
    assert metric(s, f"{hist}_count", type="echo", result="ok") == 3
    assert metric(s, f"{hist}_bucket", type="echo", result="ok", le="+Inf") == 3
    assert metric(s, f"{hist}_count", type="fails", result="error") == 2
    # Two attempts of at least 0.2 s each (the script sleeps).
    assert metric(s, f"{hist}_sum", type="fails", result="error") >= 0.4
    assert metric(s, "pgjobd_jobs_running") == 0


def test_pgjobd_metrics_count_rescues(daemon, conn, acct):
    # A job claimed by a daemon that died: its lease has run out.
    job_id = submit(conn, acct, "echo", [1])
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM pgjob.claim('dead:1', 1)")
        assert cur.rowcount == 1
    expire_lease(conn, job_id)
    port = free_port()
    daemon(metrics_listen=f"127.0.0.1:{port}")
    wait_status(conn, job_id, "completed")
    s = wait_until_true("the rescue to be counted", lambda: (
        lambda s: s if metric(s, "pgjobd_rescues_total", outcome="requeued") >= 1 else None)(
            scrape(port)))
    assert metric(s, "pgjobd_rescues_total", outcome="requeued") == 1
    assert metric(s, "pgjobd_rescues_total", outcome="failed") == 0


def test_pgjobd_metrics_refuse_what_is_not_get_metrics(daemon):
    port = free_port()
    daemon(metrics_listen=f"127.0.0.1:{port}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"DELETE /metrics HTTP/1.0\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.0 405 ")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\nX: " + b"a" * 5000 + b"\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.0 431 ")
    # Still serving.
    assert metric(scrape(port), "pgjobd_workers") == 4


def test_pgjobd_exits_when_the_metrics_port_is_taken(daemon):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        d = daemon(metrics_listen=f"127.0.0.1:{port}", ready=False)
        # 78 (EX_CONFIG): the unit's RestartPreventExitStatus=78 stops a
        # restart loop that would only meet the same port again.
        assert d.wait_exit() == 78
        assert d.log_lines(rf"cannot listen on 127\.0\.0\.1:{port}")


def test_pgjobd_refuses_a_bad_metrics_listen(daemon):
    d = daemon(metrics_listen="9465", ready=False)
    assert d.wait_exit() == 78
    assert d.log_lines(r"metrics_listen")


def wait_until_true(what, check, timeout=30):
    """check() until it returns something truthy (bounded); return it."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # between two bounded scrapes
