# SPDX-License-Identifier: MIT
"""The hostile probes of issue 10 as regression tests, through lighttpd and
the real pgjob.fcgi: every bad input is a 4xx problem that names its field
and writes nothing, so that nothing accepted can fail later."""

import http.client
import json
import time

import pytest

pytest.register_assert_rewrite("web")
from web import describe, poll, problem  # noqa: E402

pytest_plugins = ("web",)


def post_raw(api, text, headers=None):
    """POST /v1/jobs with the JSON text as sent (json.dumps cannot write
    1e-20000 or a 309-digit number)."""
    return api.client.post("/v1/jobs", data=text.encode(),
                           headers={"Content-Type": "application/json", **(headers or {})})


UNSTORABLE = [
    # (name, body, field)
    ("underflow_in_items", '{"type": "echo", "items": [1e-20000]}', "items"),
    ("underflow_in_metadata", '{"type": "echo", "items": [1], "metadata": {"x": 1e-20000}}',
     "metadata"),
    ("too_many_decimals", '{"type": "echo", "items": [{"a": [0.1e-16383]}]}', "items"),
    ("integer_past_64_bits", '{"type": "echo", "items": [9223372036854775808]}', "items"),
    ("negative_past_64_bits", '{"type": "echo", "items": [-9223372036854775809]}', "items"),
    ("1e308_is_an_integer_in_jsonb", '{"type": "echo", "items": [1e308]}', "items"),
    ("1e19", '{"type": "echo", "items": [1], "metadata": {"n": 1e19}}', "metadata"),
]


@pytest.mark.parametrize("name,body,field", UNSTORABLE, ids=[u[0] for u in UNSTORABLE])
def test_unstorable_number_is_422_and_writes_nothing(api, name, body, field):
    r = post_raw(api, body)
    problem(r, 422, "unstorable_number", field)
    assert api.jobs() == 0


def test_unstorable_number_in_multipart_metadata_is_422(api):
    r = api.client.post("/v1/jobs", files={"file": ("a.txt", b"hello", "text/plain")},
                        data={"type": "echo", "metadata": '{"x": 1e-20000}'})
    problem(r, 422, "unstorable_number", "metadata")
    assert api.jobs() == 0


def test_storable_edge_numbers_round_trip(api):
    """What the door lets through reads back exactly as jsonb keeps it."""
    body = ('{"type": "echo", "items": [9223372036854775807, -9223372036854775808, '
            '1e18, 1.5e-300, 0.000001], "metadata": {"n": 1.0e2}}')
    r = post_raw(api, body)
    assert r.status_code == 202, describe(r)
    job = api.client.job(r.json()["id"]).json()
    assert job["metadata"] == {"n": 100}
    with api.conn.cursor() as cur:
        cur.execute("SELECT items::text FROM pgjob.job WHERE id = %s", (job["id"],))
        items = json.loads(cur.fetchone()[0])
    assert items[:3] == [9223372036854775807, -9223372036854775808, 10**18]


@pytest.mark.parametrize("run_at", [
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59.9999999Z",
])
def test_run_at_outside_years_1_to_9999_in_utc_is_400(api, run_at):
    r = api.client.submit(run_at=run_at)
    problem(r, 400, "invalid_field", "run_at")
    assert api.jobs() == 0
    r = api.client.post("/v1/jobs", files={"file": ("a.txt", b"x", "text/plain")},
                        data={"type": "echo", "run_at": run_at})
    problem(r, 400, "invalid_field", "run_at")
    assert api.jobs() == 0


def test_run_at_at_the_edges_is_accepted_and_readable(api):
    for run_at, utc in (("9999-12-31T23:59:59+01:00", "9999-12-31T22:59:59.000Z"),
                        ("0001-01-01T00:30:00+00:30", "0001-01-01T00:00:00.000Z")):
        r = api.client.submit(run_at=run_at)
        assert r.status_code == 202, describe(r)
        assert r.json()["run_at"] == utc
        assert api.client.job(r.json()["id"]).status_code == 200
    assert api.client.get("/v1/jobs").status_code == 200


# (A control character never gets past lighttpd, which answers 400 itself.)
@pytest.mark.parametrize("key", [b"\xff", b"abc\xc3", b"\xc0\xaf", b"x" * 256])
def test_bad_idempotency_key_is_400(api, key):
    r = api.client.submit(headers={"Idempotency-Key": key})
    problem(r, 400, "invalid_field", "idempotency_key")
    assert api.jobs() == 0


def test_utf8_idempotency_key_is_accepted(api):
    key = "clé-☃".encode()
    first = api.client.submit(headers={"Idempotency-Key": key})
    again = api.client.submit(headers={"Idempotency-Key": key})
    assert first.status_code == 202 and again.status_code in (200, 202), describe(again)
    assert first.json()["id"] == again.json()["id"]


def test_metadata_too_large_for_an_exec_environment_is_422(api, lighttpd):
    """An exec program gets the metadata in its environment, where Linux
    caps one variable at 128 KiB: larger metadata is refused at the door
    rather than failing every attempt with E2BIG."""
    server = lighttpd(max_body_bytes=1 << 20)
    client = api.new_client(server, api.account.key)
    meta = {f"k{i}": "v" * 2000 for i in range(40)}  # about 80 KB
    r = client.submit(metadata=meta)
    problem(r, 422, "metadata_too_large", "metadata")
    assert api.jobs() == 0


# ---- POST with no body and no Content-Length (curl -X POST) --------------------

def bare_post(server, path, key, content_length=None):
    """POST path the way `curl -X POST` sends it: no body and no
    Content-Length (or the given one).  Returns (status, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("X-API-Key", key)
        if content_length is not None:
            conn.putheader("Content-Length", str(content_length))
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["proxy_fcgi", "fcgid"])
def test_bodiless_post_action_works_under_the_shipped_apache_configs(api, apache, kind):
    server = apache(kind)
    r = api.client.submit(run_at="2099-01-01T00:00:00Z")
    assert r.status_code == 202, describe(r)
    jid = r.json()["id"]
    for action, status in (("pause", "paused"), ("resume", "queued"), ("cancel", "canceled")):
        code, body = bare_post(server, f"/v1/jobs/{jid}/{action}", api.account.key)
        assert code == 200, body[:500]
        assert json.loads(body)["status"] == status


def test_bodiless_post_under_lighttpd(api):
    """lighttpd 1.4 refuses a POST without Content-Length in its request
    parser, before any module or setting applies (411, its own HTML), so
    docs/hardening.md gives the call with Content-Length: 0 (curl -d '')
    for it; that call works."""
    r = api.client.submit(run_at="2099-01-01T00:00:00Z")
    jid = r.json()["id"]
    code, body = bare_post(api.server, f"/v1/jobs/{jid}/cancel", api.account.key,
                           content_length=0)
    assert code == 200, body[:500]
    assert json.loads(body)["status"] == "canceled"


# ---- slow bodies ------------------------------------------------------------------

def slow_post(server, key=None, length=1000):
    """Open a POST /v1/jobs whose body never comes (one byte of length is
    sent); return the socket."""
    import socket
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (f"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n")
    if key is not None:
        head += f"X-API-Key: {key}\r\n"
    s.sendall((head + "\r\n{").encode())
    return s


def test_slow_unauthenticated_bodies_do_not_take_every_thread(api, apache):
    """Under Apache with mod_proxy_fcgi (which streams bodies), more slow
    unauthenticated bodies than pgjob.fcgi has threads: pgjob.fcgi refuses
    each from its headers (401) without waiting for a byte of body, so a
    real client is served at once.  (Apache itself relays the 401 only
    once it has read the client's body, or its own RequestReadTimeout
    cuts the client off.)"""
    server = apache("proxy_fcgi", fcgi_threads=2)
    socks = [slow_post(server) for _ in range(4)]
    try:
        client = api.new_client(server, api.account.key)
        r = client.post("/v1/jobs", {"type": "echo", "items": [1]}, timeout=8)
        assert r.status_code == 202, describe(r)
    finally:
        for s in socks:
            s.close()


def test_slow_authenticated_body_does_not_hold_the_only_thread(api, apache):
    """Under Apache with mod_proxy_fcgi and one pgjob.fcgi thread, an
    authenticated body that stops coming does not keep the next client
    out: pgjob.fcgi cuts it off after body_timeout_seconds (408; the exact
    behaviour is tested without a web server in test_fcgi.py), or Apache
    ends the stalled body itself first, and either way the thread is free
    again.  Nothing of the slow body is written."""
    server = apache("proxy_fcgi", fcgi_threads=1, body_timeout_seconds=1)
    sock = slow_post(server, api.account.key)
    try:
        client = api.new_client(server, api.account.key)
        r = client.post("/v1/jobs", {"type": "echo", "items": [1]}, timeout=30)
        assert r.status_code == 202, describe(r)
        # The slow request's line may reach the log a moment after the
        # next client's answer: wait for it, bounded.
        poll("pgjob.fcgi to log the end of the slow body",
             lambda: any(line in server.log_block() for line in
                         ("did not arrive within 1000 ms", "the body ended after 1 of 1000 bytes")),
             timeout=30, logs=server.log_block)
    finally:
        sock.close()
    assert api.jobs() == 1


def test_huge_body_is_refused_by_lighttpd_from_its_length(api):
    """lighttpd reads a whole body (to /var/tmp when large) before it hands
    it on: a 300 MB Content-Length is refused at once by its own limit in
    the shipped snippet, before a byte is spooled."""
    import socket
    server = api.server
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall((f"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {api.account.key}\r\n"
                   "Content-Type: application/json\r\nContent-Length: 314572800\r\n\r\n{").encode())
        data = s.recv(4096)
    assert data.split()[1] == b"413", data


def test_body_over_128k_reaches_pgjob_under_fcgid(api, apache):
    """mod_fcgid refuses bodies past FcgidMaxRequestLen (128 KiB unless set);
    the shipped snippet raises it to max_body_bytes."""
    server = apache("fcgid", max_body_bytes=1 << 20)
    client = api.new_client(server, api.account.key)
    r = client.post("/v1/jobs", {"type": "echo", "items": ["x" * 1000] * 5,
                                 "metadata": {"pad": "y" * 60000}}, timeout=30)
    assert r.status_code == 202, describe(r)
    r = client.post("/v1/jobs", files={"file": ("big.bin", b"z" * 300000)},
                    data={"type": "echo"}, timeout=30)
    assert r.status_code == 202, describe(r)


def test_long_poll_takes_a_waiter_slot_only_once_authenticated(api, web):
    """A long-poll whose key is still being looked up (here: the key table
    is locked, so the lookup waits) holds no waiter slot; only a caller
    whose key reads the job may take one of the max_waiters."""
    import threading
    from web import metric, prometheus
    locker = web.connect()
    locker.autocommit = False
    answers = []
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE pgjob.api_key IN ACCESS EXCLUSIVE MODE")
        bad = api.client_for(key="pgj_" + "1" * 64)
        t = threading.Thread(target=lambda: answers.append(
            bad.get("/v1/jobs/00000000-0000-4000-8000-000000000000?wait=20", timeout=60)))
        t.start()
        with api.conn.cursor() as cur:
            end = time.monotonic() + 20
            while True:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND query LIKE '%%get_job%%'")
                if cur.fetchone()[0] > 0:
                    break
                assert time.monotonic() < end, "the long-poll never reached the key lookup"
                time.sleep(0.05)  # polls pg_stat_activity; bounded above
        r = api.client.get("/metrics")
        assert metric(prometheus(r.text), "pgjob_waiters") == 0
    finally:
        locker.rollback()
        locker.close()
    t.join(60)
    assert answers and answers[0].status_code == 401, answers


# ---- a statement that does not finish -------------------------------------------

def test_blocked_statement_is_503_with_retry_after(api, lighttpd, web):
    """pgjob.fcgi's statements are bounded by statement_timeout_seconds:
    with pgjob.job locked, a read and a submit each wait that long and
    answer 503 db_timeout with Retry-After (not 500), nothing is written,
    and the same connection serves the next request once the lock goes."""
    server = lighttpd(statement_timeout_seconds=1, fcgi_threads=1)
    client = api.new_client(server, api.account.key)
    job_id = client.submit().json()["id"]
    locker = web.connect()
    locker.autocommit = False
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE pgjob.job IN ACCESS EXCLUSIVE MODE")
        for r in (client.job(job_id), client.submit()):
            problem(r, 503, "db_timeout")
            assert r.headers.get("Retry-After", "").isdigit(), describe(r)
    finally:
        locker.rollback()
        locker.close()
    r = client.job(job_id)
    assert r.status_code == 200, describe(r)
    assert api.jobs() == 1
    # One connection throughout: the timeout did not drop it.
    log = server.log_block()
    assert "database unavailable" not in log, log
