# SPDX-License-Identifier: MIT
"""pgjob.fcgi as a FastCGI program, without a web server: standalone on a
TCP socket (--listen) talked to with tests/integration/fcgi_client.py, so
that a test can forge what no well-behaved web server sends (a missing,
short, huge or non-numeric CONTENT_LENGTH, no REQUEST_METHOD, a broken
%-escape, a client that vanishes), and socket-activated the way systemd
starts pgjob-fcgi.service (LISTEN_FDS, the socket on fd 3).

After each malformed request the process must still be running and
serving, and no job may have been written.
"""

import json
import os
import selectors
import signal
import socket
import subprocess
import threading
import time

import pytest

pytest.register_assert_rewrite("web")
import fcgi_client  # noqa: E402
from web import (FcgiProcess, metric, pg_outage, poll, prometheus,  # noqa: E402
                 socket_activated, write_pgjob_conf)

pytest_plugins = ("web",)

JSON = "application/json"
BODY = b'{"type": "echo", "items": ["a"]}'


@pytest.fixture
def fcgi(standalone):
    """A standalone pgjob.fcgi on 127.0.0.1:PORT."""
    return standalone()


@pytest.fixture
def key(account, web_conn):
    """A fresh account; every job is deleted first."""
    with web_conn.cursor() as cur:
        cur.execute("TRUNCATE pgjob.ready, pgjob.lease, pgjob.job")
    return account()


def jobs(conn, acct):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s", (acct.account_id,))
        return cur.fetchone()[0]


def assert_serving(proc):
    """The process still runs and answers a plain request."""
    assert proc.running(), proc.log_block()
    r = fcgi_client.http(proc.address, "GET", "/v1/health")
    assert r.status == 200, f"{r!r}\n{proc.log_block()}"


def assert_problem(r, status, code, proc):
    assert r.status == status, f"{r!r}\n{proc.log_block()}"
    assert r.header("Content-Type").startswith("application/problem+json"), repr(r)
    body = r.json()
    assert body["status"] == status and body["code"] == code, repr(r)
    assert r.protocol_status == fcgi_client.REQUEST_COMPLETE
    return body


def post_params(acct, **kwargs):
    return fcgi_client.http_params("POST", "/v1/jobs", {"X-API-Key": acct.key},
                                   content_type=JSON, **kwargs)


# ---- well-formed requests ---------------------------------------------------------

def test_the_response_head(fcgi, key):
    r = fcgi_client.http(fcgi.address, "POST", "/v1/jobs", {"X-API-Key": key.key},
                         body={"type": "echo", "items": [1]})
    assert r.status == 202 and r.reason == "Accepted", repr(r)
    assert r.raw.startswith(b"Status: 202 Accepted\r\n"), r.raw[:200]
    assert r.header("Content-Type") == "application/json"
    assert int(r.header("Content-Length")) == len(r.body)
    job = r.json()
    assert r.header("Location") == f"/v1/jobs/{job['id']}"
    assert r.app_status == 0 and r.protocol_status == fcgi_client.REQUEST_COMPLETE
    r = fcgi_client.http(fcgi.address, "GET", "/v1/nothing")
    assert r.raw.startswith(b"Status: 404 Not Found\r\n"), r.raw[:200]


def test_head_answers_without_a_body(fcgi):
    r = fcgi_client.http(fcgi.address, "HEAD", "/v1/health")
    assert r.status == 200, repr(r)
    assert r.body == b"" and int(r.header("Content-Length")) > 0, repr(r)


def test_keep_conn_serves_several_requests_on_one_connection(fcgi, key):
    with fcgi_client.Connection(fcgi.address) as conn:
        for i in range(5):
            r = conn.request(fcgi_client.http_params("GET", "/v1/health"), request_id=i + 1,
                             keep_conn=True)
            assert r.status == 200, repr(r)


def test_cgi_path_without_request_uri(fcgi, key):
    """Without REQUEST_URI the path is SCRIPT_NAME + PATH_INFO."""
    params = fcgi_client.http_params("GET", "/v1/jobs", {"X-API-Key": key.key},
                                     extra={"REQUEST_URI": None, "SCRIPT_NAME": "/v1",
                                            "PATH_INFO": "/jobs"})
    r = fcgi_client.request(fcgi.address, params)
    assert r.status == 200 and r.json()["jobs"] == [], repr(r)


# ---- malformed requests ------------------------------------------------------------

def test_body_without_content_length_is_not_read(fcgi, key, web_conn):
    """No CONTENT_LENGTH means no body: the JSON on stdin is never read,
    and the empty body is refused."""
    params = post_params(key, content_length=False)
    assert "CONTENT_LENGTH" not in params
    r = fcgi_client.request(fcgi.address, params, BODY)
    assert r.status in (400, 411), repr(r)
    assert r.json()["code"] in ("malformed_json", "length_required"), repr(r)
    assert jobs(web_conn, key) == 0
    assert_serving(fcgi)


def test_body_shorter_than_content_length_is_400(fcgi, key, web_conn):
    r = fcgi_client.request(fcgi.address, post_params(key, content_length=len(BODY) + 50),
                            BODY)
    assert_problem(r, 400, "incomplete_body", fcgi)
    assert jobs(web_conn, key) == 0
    assert_serving(fcgi)


def test_slow_body_is_cut_off_and_frees_the_thread(standalone, key, web_conn):
    """A body that stops coming (one byte of a declared 1,000, the input
    left open) is answered 408 once body_timeout_seconds have passed, and
    the only request thread is then free for the next client.  The test
    waits on the answer itself, never on the clock."""
    fcgi = standalone(threads=1, body_timeout_seconds=1)
    with fcgi_client.Connection(fcgi.address, timeout=60) as conn:
        r = conn.request(post_params(key, content_length=1000), b"{", end_stdin=False)
        assert_problem(r, 408, "body_timeout", fcgi)
    assert "did not arrive within 1000 ms" in fcgi.log_block()
    r = fcgi_client.http(fcgi.address, "POST", "/v1/jobs", {"X-API-Key": key.key},
                         {"type": "echo", "items": [1]}, timeout=60)
    assert r.status == 202, f"{r!r}\n{fcgi.log_block()}"
    assert jobs(web_conn, key) == 1


def test_huge_content_length_is_413_before_the_body_is_read(fcgi, key, web_conn):
    """A declared 1 TB body is refused at once: no byte of stdin is sent,
    and the input is left open, so an answer proves nothing was awaited."""
    for length in (10 ** 12, 8193, 2 ** 63 - 1):
        with fcgi_client.Connection(fcgi.address, timeout=10) as conn:
            start = time.monotonic()
            r = conn.request(post_params(key, content_length=length), send_stdin=False)
            assert_problem(r, 413, "body_too_large", fcgi)
            assert time.monotonic() - start < 5
    assert jobs(web_conn, key) == 0
    assert_serving(fcgi)


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "1e3", " 12", "12abc", "0x10",
                                   "99999999999999999999999999"])
def test_malformed_content_length_is_400(fcgi, key, web_conn, value):
    r = fcgi_client.request(fcgi.address, post_params(key, content_length=value), BODY)
    assert_problem(r, 400, "invalid_content_length", fcgi)
    assert jobs(web_conn, key) == 0
    assert_serving(fcgi)


@pytest.mark.parametrize("method", [None, "", "GE T", "GET\n"])
def test_missing_or_malformed_method_is_400(fcgi, key, method):
    params = fcgi_client.http_params("GET", "/v1/health")
    if method is None:
        del params["REQUEST_METHOD"]
    else:
        params["REQUEST_METHOD"] = method
    assert_problem(fcgi_client.request(fcgi.address, params), 400, "bad_request", fcgi)
    assert_serving(fcgi)


@pytest.mark.parametrize("uri", ["/v1/jobs/%zz", "/v1/jobs%", "/v1/jobs%4", "/v1/%00jobs",
                                 "v1/jobs", ""])
def test_malformed_path_is_400(fcgi, key, uri):
    params = fcgi_client.http_params("GET", "/v1/jobs", {"X-API-Key": key.key},
                                     extra={"REQUEST_URI": uri, "PATH_INFO": uri})
    assert_problem(fcgi_client.request(fcgi.address, params), 400, "invalid_path", fcgi)
    assert_serving(fcgi)


def test_escaped_path_is_decoded_before_routing(fcgi, key):
    params = fcgi_client.http_params("GET", "/v1/%6Aobs", {"X-API-Key": key.key})
    r = fcgi_client.request(fcgi.address, params)
    assert r.status == 200 and r.json()["jobs"] == [], repr(r)


def test_clients_that_vanish_do_not_stop_the_server(fcgi, key, web_conn):
    # Half a record header.
    with fcgi_client.Connection(fcgi.address) as conn:
        conn.send(fcgi_client.begin_request()[:5])
    # A request whose body stops halfway.
    with fcgi_client.Connection(fcgi.address) as conn:
        conn.send(fcgi_client.begin_request()
                  + fcgi_client.stream(fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(
                      post_params(key, content_length=1000)))
                  + fcgi_client.stream(fcgi_client.STDIN, 1, BODY[:10], end=False))
    # Params that never end.
    with fcgi_client.Connection(fcgi.address) as conn:
        conn.send(fcgi_client.begin_request()
                  + fcgi_client.record(fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(
                      {"REQUEST_METHOD": "GET"})))
    # A client that leaves before reading a long answer.
    with fcgi_client.Connection(fcgi.address) as conn:
        conn.send(fcgi_client.begin_request() + fcgi_client.stream(
            fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(
                fcgi_client.http_params("GET", "/metrics")))
            + fcgi_client.stream(fcgi_client.STDIN, 1, b""))
    # Garbage.
    with fcgi_client.Connection(fcgi.address) as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    # The threads of the process (8) all serve again.
    for _ in range(20):
        assert_serving(fcgi)
    assert jobs(web_conn, key) == 0


def test_a_burst_of_connections(fcgi, key):
    results = []

    def one():
        try:
            results.append(fcgi_client.http(fcgi.address, "GET", "/v1/health").status)
        except Exception as e:  # reported below
            results.append(repr(e))

    threads = [threading.Thread(target=one) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [200] * 32, results


# ---- long-polls and stopping -------------------------------------------------------------

def fcgi_waiters(proc):
    r = fcgi_client.http(proc.address, "GET", "/metrics")
    return metric(prometheus(r.body.decode()), "pgjob_waiters")


def test_max_waiters_bounds_the_long_polls(standalone, key):
    proc = standalone(max_waiters=1, threads=4, wait_max_seconds=3)
    r = fcgi_client.http(proc.address, "POST", "/v1/jobs", {"X-API-Key": key.key},
                         body={"type": "echo", "items": [1]})
    path = f"/v1/jobs/{r.json()['id']}?wait=3"
    box = {}

    def hold():
        box["r"] = fcgi_client.http(proc.address, "GET", path, {"X-API-Key": key.key})
        box["at"] = time.monotonic()

    start = time.monotonic()
    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    poll("the first long-poll to be held", lambda: fcgi_waiters(proc) == 1, timeout=10,
         logs=proc.log_block)
    # The one waiter slot is taken: a second long-poll answers at once.
    second_start = time.monotonic()
    r = fcgi_client.http(proc.address, "GET", path, {"X-API-Key": key.key})
    assert r.status == 200, repr(r)
    assert time.monotonic() - second_start < 1.0
    thread.join(timeout=10)
    assert box["r"].status == 200 and box["at"] - start >= 2.5


def test_sigterm_stops_cleanly_even_with_a_long_poll_held(standalone, key):
    """SIGTERM lets requests in progress finish; a held long-poll is woken
    (waiters_stop: "their waiters_sleep returns false") and answered with
    the job as it is, so the stop does not wait out wait_max_seconds."""
    proc = standalone(wait_max_seconds=20)
    r = fcgi_client.http(proc.address, "POST", "/v1/jobs", {"X-API-Key": key.key},
                         body={"type": "echo", "items": [1]})
    path = f"/v1/jobs/{r.json()['id']}?wait=20"
    box = {}

    def hold():
        try:
            box["r"] = fcgi_client.http(proc.address, "GET", path, {"X-API-Key": key.key},
                                        timeout=40)
        except Exception as e:  # reported below
            box["error"] = e

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    poll("the long-poll to be held", lambda: fcgi_waiters(proc) == 1, timeout=10,
         logs=proc.log_block)
    proc.proc.send_signal(signal.SIGTERM)
    try:
        status = proc.proc.wait(timeout=8)
    except subprocess.TimeoutExpired:
        status = None
        proc.proc.kill()  # do not wait for the long-poll at teardown
        proc.proc.wait()
    assert status is not None, ("still running 8 s after SIGTERM: the held long-poll "
                                f"(wait=20) holds up the stop\n{proc.log_block()}")
    assert status == 0, proc.log_block()
    thread.join(timeout=10)
    # The held request is answered (with the job as it is) before the exit.
    assert "r" in box and box["r"].status == 200, f"{box}\n{proc.log_block()}"


# ---- parked long-polls: many per process, few threads ------------------------------------

# How many long-polls the tests hold in one process ("several hundred";
# make bench holds 1,000).
MANY = 300


def submit_jobs(proc, key, n):
    """n queued echo jobs of key's account; their ids."""
    ids = []
    for _ in range(n):
        r = fcgi_client.http(proc.address, "POST", "/v1/jobs", {"X-API-Key": key.key},
                             body={"type": "echo", "items": [1]})
        assert r.status == 202, repr(r)
        ids.append(r.json()["id"])
    return ids


def send_long_polls(proc, key, ids, wait, rcvbuf=None):
    """One connection per id, each sending GET /v1/jobs/{id}?wait=wait
    without reading the answer; the connections (rcvbuf: a small receive
    buffer, fcgi_client.Connection)."""
    conns = []
    for job_id in ids:
        conn = fcgi_client.Connection(proc.address, timeout=60, rcvbuf=rcvbuf)
        params = fcgi_client.http_params("GET", f"/v1/jobs/{job_id}?wait={wait}",
                                         {"X-API-Key": key.key})
        conn.send(fcgi_client.begin_request() + fcgi_client.stream(
            fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(params))
            + fcgi_client.stream(fcgi_client.STDIN, 1, b""))
        conns.append(conn)
    return conns


def collect(conns, timeout):
    """Read the answer of every connection as it comes, within timeout
    seconds; {index: (Response, monotonic time)}, missing ones left out."""
    got = {}
    sel = selectors.DefaultSelector()
    for i, conn in enumerate(conns):
        sel.register(conn.sock, selectors.EVENT_READ, i)
    deadline = time.monotonic() + timeout
    while len(got) < len(conns) and time.monotonic() < deadline:
        for key_, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            i = key_.data
            got[i] = (conns[i].read_response(), time.monotonic())
            sel.unregister(conns[i].sock)
    sel.close()
    return got


def thread_count(proc):
    with open(f"/proc/{proc.proc.pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads: line")


def test_one_process_with_four_threads_holds_hundreds_of_long_polls(standalone, key, web_conn):
    """MANY long-polls park in one process of 4 request threads; plain
    requests are served meanwhile; a change answers its waiters at once,
    the others answer at their deadline, and every slot is given back."""
    proc = standalone(threads=4, max_waiters=MANY + 50, wait_max_seconds=60)
    ids = submit_jobs(proc, key, MANY + 10)
    held, short = ids[:MANY], ids[MANY:]
    conns = send_long_polls(proc, key, held, 60)
    try:
        poll(f"{MANY} long-polls to be parked", lambda: fcgi_waiters(proc) == MANY, timeout=60,
             logs=proc.log_block)
        # Few threads: 4 request threads, the listener, the group submit's
        # writer and answerer, and the main thread.
        assert thread_count(proc) <= 8, proc.log_block()
        # Plain requests are served at once, and a short long-poll beside
        # them answers at its deadline with the job as it is.
        start = time.monotonic()
        r = fcgi_client.http(proc.address, "GET", f"/v1/jobs/{held[0]}", {"X-API-Key": key.key})
        assert r.status == 200 and r.json()["status"] == "queued", repr(r)
        assert_serving(proc)
        assert time.monotonic() - start < 5, "a plain read waited behind the long-polls"
        start = time.monotonic()
        shorts = send_long_polls(proc, key, short, 1)
        answers = collect(shorts, 30)
        assert len(answers) == len(short), f"{len(answers)} answered\n{proc.log_block()}"
        for r, at in answers.values():
            assert r.status == 200 and r.json()["status"] == "queued", repr(r)
            assert at - start >= 0.9, "a short long-poll answered before its deadline"
        for c in shorts:
            c.close()
        assert fcgi_waiters(proc) == MANY
        # Nothing was answered of the held ones yet.
        assert collect(conns, 0.2) == {}
        # Every job changes: each long-poll answers with its job.
        changed = time.monotonic()
        with web_conn.cursor() as cur:
            for job_id in held:
                cur.execute("SELECT pgjob.cancel(%s, %s)", (key.account_id, job_id))
        answers = collect(conns, 45)
        assert len(answers) == MANY, f"{len(answers)} of {MANY} answered\n{proc.log_block()}"
        for i, (r, at) in answers.items():
            assert r.status == 200, repr(r)
            job = r.json()
            assert job["id"] == held[i] and job["status"] == "canceled", job
            assert r.header("ETag") == f'W/"{job["id"][:8]}-{job["version"]}"'
            assert at - changed < 40, "answered at the deadline, not at the change"
        poll("every slot to be given back", lambda: fcgi_waiters(proc) == 0, timeout=10,
             logs=proc.log_block)
        assert_serving(proc)
    finally:
        for c in conns:
            c.close()


def test_a_client_that_leaves_while_parked_gives_its_slot_back(standalone, key):
    """The peer closing a parked connection ends the request without an
    answer, long before its deadline; the process serves on."""
    proc = standalone(threads=2, max_waiters=10, wait_max_seconds=60)
    ids = submit_jobs(proc, key, 3)
    conns = send_long_polls(proc, key, ids, 60)
    poll("3 long-polls to be parked", lambda: fcgi_waiters(proc) == 3, timeout=20,
         logs=proc.log_block)
    for c in conns[:2]:
        c.close()
    poll("the 2 that left to be dropped", lambda: fcgi_waiters(proc) == 1, timeout=10,
         logs=proc.log_block)
    assert_serving(proc)
    # The one still there is answered as usual.
    r = fcgi_client.http(proc.address, "POST", f"/v1/jobs/{ids[2]}/cancel", {"X-API-Key": key.key})
    assert r.status == 200, repr(r)
    answers = collect(conns[2:], 20)
    assert answers and answers[0][0].json()["status"] == "canceled", proc.log_block()
    conns[2].close()
    assert proc.running(), proc.log_block()


# A result far larger than a connection's buffers hold.
BIG_RESULT = [{"ok": "x" * (8 * 1024 * 1024)}]


def big_running_jobs(proc, key, web_conn, n):
    """n running jobs of key's account, each with BIG_RESULT so far (the
    process needs large_result_bytes above 8 MB to inline it); their ids.
    No other job of the account may be queued."""
    ids = submit_jobs(proc, key, n)
    with web_conn.cursor() as cur:
        cur.execute("SELECT id::text, attempt FROM pgjob.claim('slow-reader-test', %s)", (n,))
        claimed = dict(cur.fetchall())
        assert sorted(claimed) == sorted(ids), claimed
        for job_id in ids:
            cur.execute("SELECT pgjob.heartbeat(%s, %s, p_items_done => 1, p_results => %s)",
                        (job_id, claimed[job_id], json.dumps(BIG_RESULT)))
    return ids


def test_a_client_that_does_not_read_its_answer_stalls_no_other_long_poll(standalone, key,
                                                                          web_conn):
    """Three parked long-polls whose answers are large (running jobs with
    8 MB of results so far, far more than the socket buffers hold) and
    whose clients read nothing for now, and one small one parked before
    them: when all four jobs change in one statement, the small one is
    answered at once, not after the listener has waited on the three that
    do not read.  The three then read their whole answers."""
    proc = standalone(threads=2, max_waiters=10, wait_max_seconds=60,
                      large_result_bytes=64 * 1024 * 1024)
    big = big_running_jobs(proc, key, web_conn, 3)
    small = submit_jobs(proc, key, 1)
    # The small one first: the listener's batch runs the newest first.
    small_conns = send_long_polls(proc, key, small, 60)
    poll("the small long-poll to be parked", lambda: fcgi_waiters(proc) == 1, timeout=20,
         logs=proc.log_block)
    big_conns = send_long_polls(proc, key, big, 60, rcvbuf=4096)
    try:
        poll("4 long-polls to be parked", lambda: fcgi_waiters(proc) == 4, timeout=20,
             logs=proc.log_block)
        changed = time.monotonic()
        with web_conn.cursor() as cur:
            cur.execute("SELECT pgjob.cancel(%s, j) FROM unnest(%s::uuid[]) AS j",
                        (key.account_id, big + small))
        answers = collect(small_conns, 30)
        assert answers, f"the small long-poll was not answered\n{proc.log_block()}"
        r, at = answers[0]
        assert r.status == 200 and r.json()["status"] == "canceled", repr(r)
        # A write that stalls held the listener 5 s (15 s for the three);
        # answered beside them, it takes well under a second.
        assert at - changed < 10, f"answered {at - changed:.1f} s after the change"
        for i, conn in enumerate(big_conns):
            r = conn.read_response()
            assert r.status == 200, repr(r)[:300]
            job = r.json()
            assert job["id"] == big[i] and job["status"] == "canceled", job["id"]
            assert job["results"] == BIG_RESULT
        poll("every slot to be given back", lambda: fcgi_waiters(proc) == 0, timeout=20,
             logs=proc.log_block)
        assert_serving(proc)
    finally:
        for c in small_conns + big_conns:
            c.close()


def test_sigterm_finishes_writing_a_large_answer(standalone, key, web_conn):
    """SIGTERM answers a parked long-poll whose answer is larger than its
    connection takes at once, and whose client reads only after the
    signal: the process writes the rest as the client reads, then exits
    0."""
    proc = standalone(threads=2, max_waiters=10, wait_max_seconds=60,
                      large_result_bytes=64 * 1024 * 1024)
    ids = big_running_jobs(proc, key, web_conn, 1)
    conns = send_long_polls(proc, key, ids, 60, rcvbuf=4096)
    try:
        poll("the long-poll to be parked", lambda: fcgi_waiters(proc) == 1, timeout=20,
             logs=proc.log_block)
        proc.proc.send_signal(signal.SIGTERM)
        poll("the answer to be under way", lambda: "signal 15: stopping" in proc.log_block(),
             timeout=20, logs=proc.log_block)
        time.sleep(0.5)  # the listener fills the connection meanwhile; the test holds either way
        r = conns[0].read_response()
        assert r.status == 200 and r.json()["id"] == ids[0], repr(r)[:300]
        assert r.json()["results"] == BIG_RESULT
        assert proc.wait_exit(30) == 0, proc.log_block()
    finally:
        for c in conns:
            c.close()


def test_sigterm_answers_every_parked_long_poll(standalone, key):
    """SIGTERM answers each parked long-poll with its job as it is now,
    then the process exits 0, without waiting out the deadlines."""
    proc = standalone(threads=2, max_waiters=100, wait_max_seconds=60)
    ids = submit_jobs(proc, key, 40)
    conns = send_long_polls(proc, key, ids, 60)
    try:
        poll("40 long-polls to be parked", lambda: fcgi_waiters(proc) == 40, timeout=30,
             logs=proc.log_block)
        proc.proc.send_signal(signal.SIGTERM)
        answers = collect(conns, 20)
        assert proc.wait_exit(20) == 0, proc.log_block()
        assert len(answers) == 40, f"{len(answers)} answered\n{proc.log_block()}"
        for i, (r, _) in answers.items():
            assert r.status == 200 and r.json()["id"] == ids[i], repr(r)
            assert r.json()["status"] == "queued"
    finally:
        for c in conns:
            c.close()


def cpu_seconds(proc):
    """The CPU time (user + system) pgjob.fcgi has used so far."""
    with open(f"/proc/{proc.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# How long a test keeps PostgreSQL down: several of the listener's
# one-second reconnection attempts (and, before the fix, its ticks).
OUTAGE_SECONDS = 4


def test_parked_long_polls_outlive_a_database_restart(pg, web, standalone, key):
    """PostgreSQL restarts under parked long-polls: none is answered 503
    while it is down (they stay parked, the listener does not spin), and
    once it is back each answers 200 with its job when the job changes."""
    n = 30
    proc = standalone(threads=2, max_waiters=100, wait_max_seconds=60)
    ids = submit_jobs(proc, key, n)
    conns = send_long_polls(proc, key, ids, 60)
    try:
        poll(f"{n} long-polls to be parked", lambda: fcgi_waiters(proc) == n, timeout=30,
             logs=proc.log_block)
        with pg_outage(pg, web):
            cpu = cpu_seconds(proc)
            early = collect(conns, OUTAGE_SECONDS)
            spent = cpu_seconds(proc) - cpu
        assert early == {}, (f"{len(early)} answered while the database was down, with "
                             f"{sorted({r.status for r, _ in early.values()})}\n"
                             f"{proc.log_block()}")
        assert spent < 1.0, f"{spent:.2f} s of CPU in {OUTAGE_SECONDS} s of outage"
        assert proc.running(), proc.log_block()
        conn = web.connect()
        try:
            changed = time.monotonic()
            with conn.cursor() as cur:
                for job_id in ids:
                    cur.execute("SELECT pgjob.cancel(%s, %s)", (key.account_id, job_id))
        finally:
            conn.close()
        answers = collect(conns, 45)
        assert len(answers) == n, f"{len(answers)} of {n} answered\n{proc.log_block()}"
        for i, (r, at) in answers.items():
            assert r.status == 200, f"{r!r}\n{proc.log_block()}"
            job = r.json()
            assert job["id"] == ids[i] and job["status"] == "canceled", job
            assert at - changed < 40, "answered at the deadline, not at the change"
        poll("every slot to be given back", lambda: fcgi_waiters(proc) == 0, timeout=10,
             logs=proc.log_block)
        assert_serving(proc)
    finally:
        for c in conns:
            c.close()


def test_parked_long_polls_answer_503_at_their_deadline_while_the_database_is_down(
        pg, web, standalone, key):
    """With the database down past their deadline, parked long-polls
    answer 503 db_unavailable with Retry-After at the deadline, not before."""
    n, wait = 10, 6
    proc = standalone(threads=2, max_waiters=100, wait_max_seconds=60)
    ids = submit_jobs(proc, key, n)
    sent = time.monotonic()
    conns = send_long_polls(proc, key, ids, wait)
    try:
        poll(f"{n} long-polls to be parked", lambda: fcgi_waiters(proc) == n, timeout=30,
             logs=proc.log_block)
        with pg_outage(pg, web):
            answers = collect(conns, 30)
        assert len(answers) == n, f"{len(answers)} of {n} answered\n{proc.log_block()}"
        first = min(at for _, at in answers.values())
        assert first - sent >= wait - 0.5, \
            f"answered {first - sent:.1f} s after the request, before its {wait} s deadline"
        for r, _ in answers.values():
            assert_problem(r, 503, "db_unavailable", proc)
            assert (r.header("Retry-After") or "").isdigit(), repr(r)
        poll("every slot to be given back", lambda: fcgi_waiters(proc) == 0, timeout=10,
             logs=proc.log_block)
        # PostgreSQL is back: the process serves again by itself.
        poll("the process to serve again", lambda: fcgi_client.http(
            proc.address, "GET", "/v1/health").status == 200, timeout=20, pause=0.2,
            logs=proc.log_block)
    finally:
        for c in conns:
            c.close()


# ---- socket activation (systemd) ------------------------------------------------------------

@pytest.fixture
def activation(web, short_dir):
    """Factory: activation(sock, env=None) -> a started FcgiProcess that
    got sock as fd 3 with LISTEN_FDS=1 and LISTEN_PID=its pid."""
    started = []
    folder = short_dir
    conf = write_pgjob_conf(os.path.join(folder, "pgjob.conf"), **web.fcgi_conf())

    def start(sock, env=None):
        proc = socket_activated(folder, conf, sock, env=env, name=f"activated-{len(started)}")
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        print(proc.log_block())
        report = proc.cleanup()
        assert report is None, report


@pytest.mark.parametrize("family", ["tcp", "unix"])
def test_socket_activation_serves(activation, family, short_dir):
    if family == "tcp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        address = sock.getsockname()
    else:
        address = os.path.join(short_dir, "activated.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(address)
    sock.listen(16)
    try:
        proc = activation(sock)
    finally:
        sock.close()  # the child holds its own copy
    proc.address = address
    proc.wait_ready()
    r = fcgi_client.http(address, "GET", "/v1/nothing")
    assert r.status == 404, repr(r)
    assert proc.stop() == 0, proc.log_block()


def refused(proc, message):
    status = proc.wait_exit(timeout=15)
    log = proc.log()
    assert status == 2, f"exit status {status}\n{log}"
    assert message in log, log


def test_socket_activation_refuses_a_socket_that_does_not_listen(activation):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    with sock:
        proc = activation(sock)
    refused(proc, "is not a listening stream socket")


def test_socket_activation_refuses_a_datagram_socket(activation):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    with sock:
        proc = activation(sock)
    refused(proc, "is not a listening stream socket")


def test_socket_activation_refuses_what_is_no_socket(activation, tmp_path):
    with open(tmp_path / "file", "w+") as f:
        proc = activation(f)
    refused(proc, "is not a listening stream socket")


def test_socket_activation_takes_exactly_one_socket(activation):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    with sock:
        proc = activation(sock, env={"LISTEN_FDS": "2"})
    refused(proc, "takes exactly one")


def test_sockets_passed_to_another_process_are_ignored(activation):
    """LISTEN_PID names another process: the variables are not for
    pgjob.fcgi, which then has no socket (stdin is /dev/null)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    with sock:
        proc = activation(sock, env={"LISTEN_PID": "1"})
    refused(proc, "no socket to listen on")


def test_no_socket_at_all_is_exit_status_2(web, short_dir):
    folder = short_dir
    conf = write_pgjob_conf(os.path.join(folder, "pgjob.conf"), **web.fcgi_conf())
    proc = FcgiProcess(folder, conf).start()
    refused(proc, "no socket to listen on")


def test_bad_configuration_is_exit_status_78(web, short_dir):
    folder = short_dir
    conf = write_pgjob_conf(os.path.join(folder, "pgjob.conf"),
                            **web.fcgi_conf(max_items="many"))
    proc = FcgiProcess(folder, conf, listen="127.0.0.1:1").start()
    assert proc.wait_exit(timeout=15) == 78, proc.log()
    assert "max_items" in proc.log()
