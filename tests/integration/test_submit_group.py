# SPDX-License-Identifier: MIT
"""The group submit (cgi/submit_group.c, sql/018_submit_group.sql): the
submits a pgjob.fcgi process receives while one is being written are
written together by one statement, and each still gets the answer it
would have had alone.

To gather a group on purpose, a test holds a SHARE lock on pgjob.ready:
the first submit's statement then waits for it inside PostgreSQL, and the
submits sent meanwhile wait in pgjob.fcgi (pgjob_submits_waiting) until
the lock is released.  The servers' statement_timeout_seconds is longer
than any of those waits.
"""

import contextlib
import json
import signal
import threading

import pytest

pytest.register_assert_rewrite("web")
import fcgi_client  # noqa: E402
from web import (describe, metric, new_account, pg_outage, poll, problem,  # noqa: E402
                 prometheus, revoke_key)

pytest_plugins = ("web",)

# The signature of pgjob.submit_group, for the test that replaces it.
GROUP_SIGNATURE = ("pgjob.submit_group(bigint[], bytea[], bigint[], text[], jsonb[], integer[],"
                   " timestamptz[], integer[], interval)")


# A body whose numbers only its own text holds exactly.
DIGITS = ('{"type": "echo", "items": ["a", 1.50, {"n": 12345678901234567}],'
          ' "metadata": {"m": 1}, "priority": 7, "max_attempts": 5}')


def counts(server, client):
    samples = prometheus(client(server).get("/metrics").text)
    return {name: metric(samples, name) for name in
            ("pgjob_submits_waiting", "pgjob_submit_groups_total",
             "pgjob_submits_grouped_total")}


class HeldReady:
    """A transaction holding a SHARE lock on pgjob.ready: inserts into it
    (every submit) wait until release()."""

    def __init__(self, web):
        self.conn = web.connect()
        self.conn.autocommit = False
        with self.conn.cursor() as cur:
            cur.execute("LOCK TABLE pgjob.ready IN SHARE MODE")
        # pg_stat_activity is read once per transaction: watch from outside it.
        self.watch = web.connect()

    def waiting(self, pattern="%pgjob.submit%"):
        """The backends waiting on a lock whose statement is LIKE pattern
        (by default every submit's, grouped or not)."""
        with self.watch.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE %s", (pattern,))
            return [r[0] for r in cur.fetchall()]

    def cancel(self, pid):
        with self.watch.cursor() as cur:
            cur.execute("SELECT pg_cancel_backend(%s)", (pid,))

    def release(self):
        with contextlib.suppress(Exception):  # the outage test's died with PostgreSQL
            self.conn.rollback()
        self.conn.close()
        self.watch.close()


def send_all(requests):
    """Send each request (a callable) on a thread of its own; return the
    threads and the dict their Responses land in, by index."""
    answers = {}
    threads = []
    for i, send in enumerate(requests):
        def run(i=i, send=send):
            answers[i] = send()
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
    return threads, answers


def join_all(threads):
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)


class Gathering:
    """What gathering() yields: held (the HeldReady), join() (wait for
    every request) and, once the block is left, answers (first's at 0,
    then rest's in order)."""

    def __init__(self, held):
        self.held = held
        self.threads = []
        self.answers = None

    def join(self):
        join_all(self.threads)


@contextlib.contextmanager
def gathering(web, server, client, first, rest, waiting=None):
    """Send first, wait until its statement waits on a held lock on
    pgjob.ready, then send rest and wait until all of them wait in
    pgjob.fcgi; then the block.  Leaving it releases the lock and waits
    for every answer.  waiting() reads pgjob_submits_waiting (by default
    through server's web server with client)."""
    if waiting is None:
        def waiting():
            return counts(server, client)["pgjob_submits_waiting"]
    g = Gathering(HeldReady(web))
    try:
        t0, a0 = send_all([first])
        g.threads += t0
        poll("the first submit to wait on the lock", lambda: len(g.held.waiting()) == 1,
             timeout=60, pause=0.05, logs=server.log_block)
        t1, a1 = send_all(rest)
        g.threads += t1
        poll(f"{len(rest)} submits to gather", lambda: waiting() == len(rest),
             timeout=60, pause=0.05, logs=server.log_block)
        yield g
    finally:
        g.held.release()
        g.join()
    g.answers = [a0[0]] + [a1[i] for i in range(len(rest))]


def gather(web, server, client, first, rest):
    """gathering() with nothing done in between: the answers."""
    with gathering(web, server, client, first, rest) as g:
        pass
    return g.answers


def stored(conn, job_id):
    with conn.cursor() as cur:
        cur.execute("SELECT j.account_id, j.api_key_id, j.type, j.items, j.metadata, j.priority,"
                    "       j.max_attempts, j.status, r.job_id IS NOT NULL"
                    "  FROM pgjob.job j LEFT JOIN pgjob.ready r ON r.job_id = j.id"
                    " WHERE j.id = %s", (job_id,))
        return cur.fetchone()


def jobs_of(conn, account_id):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s", (account_id,))
        return cur.fetchone()[0]


def test_submits_that_gather_are_written_by_one_statement(web, web_conn, lighttpd, client):
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    known, cached, fresh, revoked = (new_account(web_conn) for _ in range(4))
    # A key used once is found live lately: its next submit looks it up in
    # the group's own statement.  A key never used is looked up first.
    assert client(server, cached.key).get("/v1/jobs").status_code == 200
    assert client(server, revoked.key).get("/v1/jobs").status_code == 200
    revoke_key(web_conn, revoked.key_id)
    before = counts(server, client)
    bodies = [
        dict(type="echo", items=["first"]),
        json.loads(DIGITS),
        dict(type="echo", items=[[1, 2]], run_at="2999-01-01T00:00:00Z"),
        dict(type="echo", items=["by a revoked key"]),
        dict(type="enrich", items=[{"description": "AMZN Mktp US"}], metadata={"x": "y"}),
    ]
    keys = [known, cached, fresh, revoked, cached]
    sends = [lambda b=b, k=k: client(server, k.key).post("/v1/jobs", b)
             for b, k in zip(bodies, keys)]
    sends[1] = lambda: client(server, cached.key).request(
        "POST", "/v1/jobs", data=DIGITS, headers={"Content-Type": "application/json"})
    answers = gather(web, server, client, sends[0], sends[1:])

    problem(answers[3], 401, "invalid_api_key")
    after = counts(server, client)
    assert after["pgjob_submit_groups_total"] == before["pgjob_submit_groups_total"] + 1
    assert after["pgjob_submits_grouped_total"] == before["pgjob_submits_grouped_total"] + 4
    assert jobs_of(web_conn, revoked.account_id) == 0
    for i in (0, 1, 2, 4):
        r = answers[i]
        assert r.status_code == 202, describe(r)
        job = r.json()
        assert r.headers["Location"] == f"/v1/jobs/{job['id']}"
        assert job["status"] == "queued" and job["type"] == bodies[i]["type"]
        assert job["item_count"] == len(bodies[i]["items"])
        assert job["metadata"] == bodies[i].get("metadata", {})
        row = stored(web_conn, job["id"])
        assert row[0] == keys[i].account_id and row[1] == keys[i].key_id, row
        assert row[2:7] == (bodies[i]["type"], bodies[i]["items"], bodies[i].get("metadata", {}),
                            bodies[i].get("priority", 0), bodies[i].get("max_attempts", 3))
        assert row[7] == "queued" and row[8], row
    # Numbers keep every digit the client wrote.
    with web_conn.cursor() as cur:
        cur.execute("SELECT items::text FROM pgjob.job WHERE id = %s", (answers[1].json()["id"],))
        assert cur.fetchone()[0] == '["a", 1.50, {"n": 12345678901234567}]'
    assert answers[2].json()["run_at"].startswith("2999-01-01T00:00:00")
    # Each job reads back with its key, and only with its key.
    for i in (0, 1, 2, 4):
        job_id = answers[i].json()["id"]
        assert client(server, keys[i].key).job(job_id).status_code == 200
        other = known if keys[i] is cached else cached
        problem(client(server, other.key).job(job_id), 404)


def beside_the_group(web, server, client, grouped, alone):
    """Send grouped (a submit the group writes) and alone (one written on
    its own thread's connection) at once, wait until both statements wait
    on a held lock on pgjob.ready with no submit gathered behind the
    group's, then release it; their Responses, by index (0: grouped)."""
    held = HeldReady(web)
    threads = []
    try:
        t0, answers = send_all([grouped, alone])
        threads += t0
        poll("both submits to wait on the lock", lambda: len(held.waiting()) == 2,
             timeout=60, pause=0.05, logs=server.log_block)
        assert counts(server, client)["pgjob_submits_waiting"] == 0
    finally:
        held.release()
        join_all(threads)
    return answers


def test_a_large_body_is_written_alone_beside_the_group(web, web_conn, lighttpd, client):
    """A body over 64 KiB does not wait for the group: it is written on
    its own thread's connection (here it waits on the held lock beside
    the group's writer), and no submit gathers behind it."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120, max_body_bytes=1048576)
    acct = new_account(web_conn)
    c = client(server, acct.key)
    large = [f"item {i} " + "x" * 25000 for i in range(4)]  # about 100 KB of JSON
    a0 = beside_the_group(web, server, client, lambda: c.submit("echo", ["small"]),
                          lambda: client(server, acct.key).submit("echo", large))
    assert [a0[i].status_code for i in (0, 1)] == [202, 202], [describe(a0[i]) for i in (0, 1)]
    assert a0[1].json()["item_count"] == 4
    assert jobs_of(web_conn, acct.account_id) == 2


@contextlib.contextmanager
def replaced_submit_group(conn, body):
    """pgjob.submit_group replaced, for the block, by a plpgsql function of
    the same signature whose body is body (the original is there as
    pgjob.submit_group_kept); the original is back after it, unchanged."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_get_functiondef(%s::regprocedure)", (GROUP_SIGNATURE,))
        original = cur.fetchone()[0]
        cur.execute("ALTER FUNCTION " + GROUP_SIGNATURE + " RENAME TO submit_group_kept")
        cur.execute("CREATE FUNCTION pgjob.submit_group(p_accounts bigint[], p_key_hashes bytea[],"
                    " p_key_ids bigint[], p_types text[], p_bodies jsonb[],"
                    " p_priorities integer[], p_run_ats timestamptz[],"
                    " p_max_attempts integer[], p_retention interval DEFAULT '7 days')"
                    " RETURNS TABLE (n integer, auth_account bigint, auth_key bigint,"
                    " created boolean, job pgjob.job) LANGUAGE plpgsql AS $$ BEGIN "
                    + body + " END $$")
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP FUNCTION " + GROUP_SIGNATURE)
            cur.execute("ALTER FUNCTION pgjob.submit_group_kept(bigint[], bytea[], bigint[],"
                        " text[], jsonb[], integer[], timestamptz[], integer[], interval)"
                        " RENAME TO submit_group")
            cur.execute("SELECT pg_get_functiondef(%s::regprocedure)", (GROUP_SIGNATURE,))
            assert cur.fetchone()[0] == original


# The original's rows, as the replacement's RETURN QUERY.
KEPT = ("SELECT * FROM pgjob.submit_group_kept(p_accounts, p_key_hashes, p_key_ids, p_types,"
        " p_bodies, p_priorities, p_run_ats, p_max_attempts, p_retention) s")


def test_a_refused_group_is_written_one_by_one(web, web_conn, lighttpd, client):
    """When pgjob.submit_group refuses a group, nothing of it was written,
    and each of its submits is written alone: each answered once, each
    job written once."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    with replaced_submit_group(
            web_conn, "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'PJ400';"):
        before = counts(server, client)
        c = client(server, acct.key)
        sends = [lambda i=i: c.submit("echo", [f"item {i}"]) for i in range(4)]
        answers = gather(web, server, client, sends[0], sends[1:])
        after = counts(server, client)
    assert [r.status_code for r in answers] == [202] * 4, [describe(r) for r in answers]
    assert after["pgjob_submit_groups_total"] == before["pgjob_submit_groups_total"]
    with web_conn.cursor() as cur:
        cur.execute("SELECT items ->> 0 FROM pgjob.job WHERE account_id = %s ORDER BY 1",
                    (acct.account_id,))
        assert [r[0] for r in cur.fetchall()] == [f"item {i}" for i in range(4)]


@pytest.mark.parametrize("answer", [
    KEPT + " OFFSET 1",                            # a row missing
    KEPT.replace("SELECT *", "SELECT s.n + 1, s.auth_account, s.auth_key, s.created, s.job"),
], ids=["row-missing", "n-shifted"])
def test_a_group_written_but_not_answered_is_never_written_again(web, web_conn, lighttpd,
                                                                 client, answer):
    """A group statement that ended (so its jobs are written) but whose
    rows do not answer its submits one by one (n = 1, 2, ...): each of its
    submits is told 500, and none is written a second time."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    with replaced_submit_group(web_conn, "RETURN QUERY " + answer + ";"):
        c = client(server, acct.key)
        sends = [lambda i=i: c.submit("echo", [f"item {i}"]) for i in range(4)]
        answers = gather(web, server, client, sends[0], sends[1:])
    assert answers[0].status_code == 202, describe(answers[0])
    for r in answers[1:]:
        problem(r, 500, "internal_error")
    assert jobs_of(web_conn, acct.account_id) == 4


def test_submits_gathered_when_the_database_goes_away_are_503_and_written_by_none(
        pg, web, web_conn, lighttpd, client):
    """Submits that gathered while PostgreSQL stops each get the 503 a
    lone submit gets, nothing is written, and the process recovers."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    c = client(server, acct.key)
    assert c.get("/v1/jobs").status_code == 200
    with gathering(web, server, client, lambda: c.submit("echo", ["first"]),
                   [lambda i=i: client(server, acct.key).submit("echo", [i])
                    for i in range(3)]) as g:
        with pg_outage(pg, web):
            g.join()
    for r in g.answers:
        problem(r, 503)
        assert "Retry-After" in r.headers, describe(r)
    conn = web.connect()
    try:
        assert jobs_of(conn, acct.account_id) == 0
        # And the process recovers: the next submits are written.
        poll("a submit to succeed after the outage",
             lambda: c.submit("echo", ["after"]).status_code == 202,
             timeout=60, pause=0.2, logs=server.log_block)
        assert jobs_of(conn, acct.account_id) >= 1
    finally:
        conn.close()


def test_a_group_canceled_in_flight_is_503_for_each_and_not_retried(
        web, web_conn, lighttpd, client):
    """A group statement that ends without an answer (here canceled, as
    statement_timeout cancels) gives each of its submits the 503 a lone
    submit gets: none is written again alone, because a statement that
    ended so may or may not have been written."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    c = client(server, acct.key)
    assert c.get("/v1/jobs").status_code == 200
    with gathering(web, server, client, lambda: c.submit("echo", ["first"]),
                   [lambda i=i: client(server, acct.key).submit("echo", [i])
                    for i in range(3)]) as g:
        g.held.cancel(g.held.waiting("%pgjob.submit(%")[0])
        poll("the group's statement to wait on the lock",
             lambda: len(g.held.waiting("%submit_group%")) == 1,
             timeout=60, pause=0.05, logs=server.log_block)
        g.held.cancel(g.held.waiting("%submit_group%")[0])
        g.join()
    for r in g.answers:
        problem(r, 503, "db_timeout")
    assert jobs_of(web_conn, acct.account_id) == 0


# Bodies whose text the group's array literal must carry unchanged.
AWKWARD = ['quote " here', 'back\\slash', '\\"', '{brace}', 'a,b', '}', '{', 'NULL', 'null',
           '  spaced  ', '', '\u00e9 \u00fc \u4e2d\u6587 \U0001f600', 'tab\there',
           'new\nline', '"NULL"', '\\\\', '{"a": "b,c"}']


def test_bodies_that_need_escaping_reach_the_database_unchanged(web, web_conn, lighttpd,
                                                                 client):
    # 7 submits held, and threads to spare for the metrics' polls.
    server = lighttpd(fcgi_threads=10, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    c = client(server, acct.key)
    bodies = [dict(type="echo", items=AWKWARD[i::4], metadata={"k": AWKWARD[i], "NULL": None})
              for i in range(4)]
    bodies.append(dict(type="echo", items=["NULL"]))
    raw = '  {"type":"echo","items":["x\\\\\\"y", "\\u00e9"]}  '
    sends = [lambda b=b: client(server, acct.key).post("/v1/jobs", b) for b in bodies]
    sends.append(lambda: client(server, acct.key).request(
        "POST", "/v1/jobs", data=raw, headers={"Content-Type": "application/json"}))
    before = counts(server, client)
    answers = gather(web, server, client, lambda: c.submit("echo", ["first"]), sends)
    after = counts(server, client)
    assert after["pgjob_submits_grouped_total"] - before["pgjob_submits_grouped_total"] == \
        len(sends)
    for b, r in zip(bodies, answers[1:]):
        assert r.status_code == 202, describe(r)
        with web_conn.cursor() as cur:
            cur.execute("SELECT items, metadata FROM pgjob.job WHERE id = %s", (r.json()["id"],))
            assert cur.fetchone() == (b["items"], b["metadata"] if "metadata" in b else {})
    r = answers[-1]
    assert r.status_code == 202, describe(r)
    with web_conn.cursor() as cur:
        cur.execute("SELECT items FROM pgjob.job WHERE id = %s", (r.json()["id"],))
        assert cur.fetchone()[0] == json.loads(raw)["items"]


def test_a_submit_with_an_idempotency_key_is_not_grouped(web, web_conn, lighttpd, client):
    """It is written on its own thread's connection (it waits on the held
    lock beside the group's writer), and its key works as before."""
    server = lighttpd(fcgi_threads=8, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    c = client(server, acct.key)
    a0 = beside_the_group(web, server, client, lambda: c.submit("echo", ["small"]),
                          lambda: client(server, acct.key).submit(
                              "echo", ["k"], headers={"Idempotency-Key": "abc"}))
    assert [a0[i].status_code for i in (0, 1)] == [202, 202], [describe(a0[i]) for i in (0, 1)]
    again = c.submit("echo", ["k"], headers={"Idempotency-Key": "abc"})
    assert again.status_code == 202 and again.json()["id"] == a0[1].json()["id"], describe(again)


# ---- handed submits: the group answers them, no request thread waits -------------------

def fcgi_counts(proc):
    """The group's counts and the waiters, read over FastCGI."""
    samples = prometheus(fcgi_client.http(proc.address, "GET", "/metrics").body.decode())
    return {name: metric(samples, name) for name in
            ("pgjob_submits_waiting", "pgjob_submit_groups_total",
             "pgjob_submits_grouped_total", "pgjob_submits_not_handed_total",
             "pgjob_waiters")}


def fcgi_submit(proc, key, items, metadata=None, timeout=fcgi_client.DEFAULT_TIMEOUT):
    body = {"type": "echo", "items": items}
    if metadata is not None:
        body["metadata"] = metadata
    return fcgi_client.http(proc.address, "POST", "/v1/jobs", {"X-API-Key": key}, body=body,
                            timeout=timeout)


def fcgi_gathering(web, proc, key):
    """gathering() of four echo submits of key sent to proc over FastCGI:
    the first waits on the lock, the other three gather."""
    return gathering(web, proc, None,
                     lambda: fcgi_submit(proc, key, ["first"], timeout=120),
                     [lambda i=i: fcgi_submit(proc, key, [i], timeout=120) for i in range(3)],
                     waiting=lambda: fcgi_counts(proc)["pgjob_submits_waiting"])


def test_a_grouped_submit_holds_no_request_thread(web, web_conn, standalone):
    """With one request thread, submits gather behind a write that waits
    on a lock, and the thread still serves other requests meanwhile: a
    submit without Prefer: wait is handed to the group, which writes and
    answers it.  Each is then answered 202 and written once."""
    proc = standalone(threads=1, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    earlier = fcgi_submit(proc, acct.key, ["earlier"])
    assert earlier.status == 202, repr(earlier)
    with fcgi_gathering(web, proc, acct.key) as g:
        # The one thread is free: a read is answered while they wait.
        r = fcgi_client.http(proc.address, "GET", f"/v1/jobs/{earlier.json()['id']}",
                             {"X-API-Key": acct.key})
        assert r.status == 200 and r.json()["id"] == earlier.json()["id"], repr(r)
    for r in g.answers:
        assert r.status == 202, repr(r)
        assert r.header("Location") == f"/v1/jobs/{r.json()['id']}"
    assert len({r.json()["id"] for r in g.answers}) == 4
    assert jobs_of(web_conn, acct.account_id) == 5
    c = fcgi_counts(proc)
    assert c["pgjob_submit_groups_total"] == 1 and c["pgjob_submits_grouped_total"] == 3, c


def test_sigterm_answers_the_submits_handed_to_the_group(web, web_conn, standalone):
    """SIGTERM while submits wait for the group's writer: the process
    writes and answers every one of them before it exits 0."""
    proc = standalone(threads=2, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    with fcgi_gathering(web, proc, acct.key) as g:
        proc.proc.send_signal(signal.SIGTERM)
        poll("the stop to begin", lambda: "signal 15: stopping" in proc.log_block(),
             timeout=20, logs=proc.log_block)
        assert proc.proc.poll() is None, proc.log_block()
        g.held.release()
        assert proc.wait_exit(60) == 0, proc.log_block()
    assert [r.status for r in g.answers] == [202] * 4, [repr(r) for r in g.answers]
    assert jobs_of(web_conn, acct.account_id) == 4


def fcgi_backlog(web, proc, key, items):
    """gathering() over FastCGI of one echo submit per entry of items
    (the first waits on the lock, the rest gather), then released; checks
    every one was answered 202 and written.  The group's counts after."""
    with gathering(web, proc, None, lambda: fcgi_submit(proc, key.key, items[0], timeout=120),
                   [lambda i=i: fcgi_submit(proc, key.key, i, timeout=120) for i in items[1:]],
                   waiting=lambda: fcgi_counts(proc)["pgjob_submits_waiting"]) as g:
        pass
    assert [r.status for r in g.answers] == [202] * len(items), [
        repr(r) for r in g.answers if r.status != 202][:3]
    return fcgi_counts(proc)


def test_a_backlog_is_written_in_statements_of_at_most_256(web, web_conn, standalone):
    """300 submits gathered behind one write (one request thread, so only
    handing them over lets them gather) are written by two statements,
    not one that grows with the backlog."""
    proc = standalone(threads=1, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    c = fcgi_backlog(web, proc, acct, [[i] for i in range(300)])
    assert jobs_of(web_conn, acct.account_id) == 300
    assert c["pgjob_submit_groups_total"] == 2 and c["pgjob_submits_grouped_total"] == 299, c


def test_a_backlog_of_large_bodies_is_written_in_statements_of_at_most_4_mib(web, web_conn,
                                                                           standalone):
    """68 submits of about 64 KB each: the 67 that gather hold 4.3 MB of
    bodies, so they are written by two statements (65 that fit in 4 MiB,
    then 2)."""
    proc = standalone(threads=1, statement_timeout_seconds=120, max_body_bytes=1048576)
    acct = new_account(web_conn)
    c = fcgi_backlog(web, proc, acct, [["x" * 63900]] * 68)
    assert jobs_of(web_conn, acct.account_id) == 68
    assert c["pgjob_submit_groups_total"] == 2 and c["pgjob_submits_grouped_total"] == 67, c


def waiting_and_not_handed(proc):
    c = fcgi_counts(proc)
    return c["pgjob_submits_waiting"], c["pgjob_submits_not_handed_total"]


def test_past_512_handed_submits_a_request_thread_writes_its_own(web, web_conn, standalone):
    """With 512 handed submits unanswered (the first is being written and
    waits on a lock), the next submit is not handed: its request thread
    waits for the group itself (pgjob_submits_not_handed_total), and the
    other thread still answers.  Every submit is then answered 202."""
    proc = standalone(threads=2, statement_timeout_seconds=120)
    acct = new_account(web_conn)
    handed = 512  # the first among them
    with gathering(web, proc, None, lambda: fcgi_submit(proc, acct.key, ["first"], timeout=120),
                   [lambda i=i: fcgi_submit(proc, acct.key, [i], timeout=120)
                    for i in range(handed - 1)],
                   waiting=lambda: fcgi_counts(proc)["pgjob_submits_waiting"]) as g:
        t, past = send_all([lambda: fcgi_submit(proc, acct.key, ["past"], timeout=120)])
        g.threads += t
        poll("the next submit to wait on its own thread",
             lambda: waiting_and_not_handed(proc) == (handed, 1),
             timeout=60, pause=0.05, logs=proc.log_block)
    assert past[0].status == 202, repr(past[0])
    assert [r.status for r in g.answers] == [202] * handed, [repr(r) for r in g.answers
                                                            if r.status != 202][:3]
    assert jobs_of(web_conn, acct.account_id) == handed + 1


def test_a_submit_on_a_kept_connection_keeps_it(web_conn, standalone):
    """A web server that keeps its FastCGI connection (FCGI_KEEP_CONN)
    can send the next request on it after a submit: such a submit is not
    handed to the group's threads (whose answers close the connection),
    but written on its own thread."""
    proc = standalone(threads=2)
    acct = new_account(web_conn)
    body = json.dumps({"type": "echo", "items": [1]}).encode()
    with fcgi_client.Connection(proc.address) as conn:
        r = conn.request(fcgi_client.http_params("POST", "/v1/jobs", {
            "X-API-Key": acct.key, "Content-Type": "application/json"}, body), body,
            keep_conn=True)
        assert r.status == 202, repr(r)
        again = conn.request(fcgi_client.http_params("GET", f"/v1/jobs/{r.json()['id']}",
                                                     {"X-API-Key": acct.key}), keep_conn=True)
        assert again.status == 200 and again.json()["id"] == r.json()["id"], repr(again)
    assert jobs_of(web_conn, acct.account_id) == 1


# Small send buffers (PGJOB_TEST_SNDBUF) and a client's small receive
# buffer: a submit's answer of 60 KB of metadata does not fit at once.
SLOW_READER = {"PGJOB_TEST_SNDBUF": "4096"}
SLOW_METADATA = {"note": "m" * 60000}


def send_slow_submit(proc, key):
    """A submit with SLOW_METADATA on a connection that reads nothing yet;
    the connection."""
    conn = fcgi_client.Connection(proc.address, timeout=60, rcvbuf=4096)
    body = json.dumps({"type": "echo", "items": ["slow"], "metadata": SLOW_METADATA}).encode()
    params = fcgi_client.http_params("POST", "/v1/jobs", {
        "X-API-Key": key, "Content-Type": "application/json"}, body)
    conn.send(fcgi_client.begin_request()
              + fcgi_client.stream(fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(params))
              + fcgi_client.stream(fcgi_client.STDIN, 1, body))
    return conn


def test_a_slow_reader_gets_its_whole_answer_and_holds_up_no_other_submit(web, web_conn,
                                                                        standalone):
    """A client that does not read its answer: what its connection does
    not take at once is left to the long-poll listener (it holds a waiter
    slot meanwhile), other submits are answered meanwhile, and the client
    reads its whole answer later."""
    proc = standalone(threads=2, statement_timeout_seconds=120, max_body_bytes=1048576,
                      env=SLOW_READER)
    acct = new_account(web_conn)
    conn = send_slow_submit(proc, acct.key)
    try:
        poll("the answer's rest to wait for the slow reader",
             lambda: fcgi_counts(proc)["pgjob_waiters"] == 1,
             timeout=60, pause=0.05, logs=proc.log_block)
        for i in range(3):
            other = fcgi_submit(proc, acct.key, [i])
            assert other.status == 202, repr(other)
        r = conn.read_response()
        assert r.status == 202 and r.json()["metadata"] == SLOW_METADATA, repr(r)[:300]
        poll("the slot to be given back", lambda: fcgi_counts(proc)["pgjob_waiters"] == 0,
             timeout=60, pause=0.05, logs=proc.log_block)
    finally:
        conn.close()
    assert jobs_of(web_conn, acct.account_id) == 4


def test_a_slow_readers_answer_without_a_waiter_slot_is_cut_off(web, web_conn, standalone):
    """With every waiter slot taken (max_waiters 1, held by a long-poll),
    a slow reader's answer gets 100 ms and its connection is closed, with
    a warning; its job is written, and the process goes on answering."""
    proc = standalone(threads=2, statement_timeout_seconds=120, max_body_bytes=1048576,
                      max_waiters=1, wait_max_seconds=60, env=SLOW_READER)
    acct = new_account(web_conn)
    queued = fcgi_submit(proc, acct.key, ["waited on"])
    poll_conn = fcgi_client.Connection(proc.address, timeout=60)
    params = fcgi_client.http_params("GET", f"/v1/jobs/{queued.json()['id']}?wait=60",
                                     {"X-API-Key": acct.key})
    poll_conn.send(fcgi_client.begin_request()
                   + fcgi_client.stream(fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(params))
                   + fcgi_client.stream(fcgi_client.STDIN, 1, b""))
    conn = None
    try:
        poll("the long-poll to take the slot", lambda: fcgi_counts(proc)["pgjob_waiters"] == 1,
             timeout=60, pause=0.05, logs=proc.log_block)
        conn = send_slow_submit(proc, acct.key)
        poll("the slow answer to be given up",
             lambda: "the long-poll listener could not take it over" in proc.log_block(),
             timeout=60, pause=0.05, logs=proc.log_block)
        with pytest.raises((fcgi_client.ProtocolError, ConnectionError)):
            conn.read_response()
        assert jobs_of(web_conn, acct.account_id) == 2
        other = fcgi_submit(proc, acct.key, ["after"])
        assert other.status == 202, repr(other)
    finally:
        poll_conn.close()
        if conn is not None:
            conn.close()
