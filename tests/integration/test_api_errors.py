# SPDX-License-Identifier: MIT
"""Authentication, errors, health, metrics and a database outage of the
native API (v1), through lighttpd and the real pgjob.fcgi.

Every error is an application/problem+json document (RFC 9457) with a
machine code, and no failed request leaves a job behind: after each error
case the account has no job in the database.
"""

import json
import threading
import time

import pytest

pytest.register_assert_rewrite("web")
from web import (describe, metric, new_key, pg_outage, poll, problem,  # noqa: E402
                 prometheus, revoke_key)

pytest_plugins = ("web",)

UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


# ---- authentication -----------------------------------------------------------

def test_missing_key_is_401_with_www_authenticate(api):
    anonymous = api.client_for(None)
    for method, path in (("POST", "/v1/jobs"), ("GET", "/v1/jobs"),
                         ("GET", f"/v1/jobs/{UNKNOWN_JOB}"),
                         ("GET", f"/v1/jobs/{UNKNOWN_JOB}/results"),
                         ("POST", f"/v1/jobs/{UNKNOWN_JOB}/cancel")):
        body = {"type": "echo", "items": [1]} if method == "POST" else None
        r = anonymous.request(method, path, json_body=body)
        problem(r, 401, "missing_api_key")
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), describe(r)
    assert api.jobs() == 0


def test_wrong_or_revoked_key_is_401(api):
    wrong = api.client_for(key="pgj_" + "0" * 64)
    problem(wrong.submit(), 401, "invalid_api_key")
    problem(api.client_for(key="not a key \u00e9").get("/v1/jobs"), 401)
    # Another key of the account works until it is revoked.
    key, key_id = new_key(api.conn, api.account.account_id)
    second = api.client_for(key=key)
    assert second.get("/v1/jobs").status_code == 200
    revoke_key(api.conn, key_id)
    r = second.submit()
    problem(r, 401, "invalid_api_key")
    assert "WWW-Authenticate" in r.headers
    assert api.jobs() == 0
    # The first key still works.
    assert api.client.get("/v1/jobs").status_code == 200


def test_bearer_key_works(api):
    bearer = api.client_for(api.account, bearer=True)
    r = bearer.submit()
    assert r.status_code == 202, describe(r)
    job_id = r.json()["id"]
    assert bearer.job(job_id).status_code == 200
    # The scheme is case-insensitive; both headers with one key are fine.
    r = api.client_for(None).get(f"/v1/jobs/{job_id}",
                                 headers={"Authorization": f"bearer {api.account.key}",
                                          "X-API-Key": api.account.key})
    assert r.status_code == 200, describe(r)
    # Two different keys, or another scheme, are refused.
    r = api.client.get(f"/v1/jobs/{job_id}",
                       headers={"Authorization": "Bearer pgj_" + "1" * 64})
    problem(r, 400, "conflicting_api_keys")
    r = api.client_for(None).get(f"/v1/jobs/{job_id}",
                                 headers={"Authorization": "Basic dXNlcjpwYXNz"})
    problem(r, 401, "unsupported_auth_scheme")


def test_another_accounts_job_is_404_never_403(api):
    stranger = api.new_account()
    theirs = api.client_for(stranger).submit().json()["id"]
    for method, path in (("GET", f"/v1/jobs/{theirs}"),
                         ("GET", f"/v1/jobs/{theirs}/results"),
                         ("POST", f"/v1/jobs/{theirs}/cancel"),
                         ("POST", f"/v1/jobs/{theirs}/pause"),
                         ("POST", f"/v1/jobs/{theirs}/resume")):
        mine = problem(api.client.request(method, path), 404, "job_not_found")
        unknown = problem(api.client.request(method, path.replace(theirs, UNKNOWN_JOB)),
                          404, "job_not_found")
        # Nothing tells a foreign job from a missing one but the id.
        assert mine["title"] == unknown["title"]
    assert api.status(theirs) == "queued"


# ---- errors of POST /v1/jobs ------------------------------------------------------

JSON = "application/json"

SUBMIT_ERRORS = [
    # (name, body, content type, status, code, field)
    ("malformed_json", '{"type": "echo", "items": [1,]}', JSON, 400, "malformed_json", None),
    ("not_json", "type=echo", JSON, 400, "malformed_json", None),
    ("empty_body", "", JSON, 400, "malformed_json", None),
    ("duplicate_key", '{"type": "echo", "type": "echo", "items": [1]}', JSON, 400,
     "malformed_json", None),
    ("not_an_object", '[{"type": "echo"}]', JSON, 400, "invalid_body", None),
    ("unknown_field", '{"type": "echo", "items": [1], "priorty": 3}', JSON, 400,
     "unknown_field", "priorty"),
    ("missing_type", '{"items": [1]}', JSON, 400, "missing_field", "type"),
    ("missing_items", '{"type": "echo"}', JSON, 400, "missing_field", "items"),
    ("items_not_array", '{"type": "echo", "items": "abc"}', JSON, 400, "invalid_field",
     "items"),
    ("priority_out_of_range", '{"type": "echo", "items": [1], "priority": 1001}', JSON, 400,
     "invalid_field", "priority"),
    ("priority_not_integer", '{"type": "echo", "items": [1], "priority": "high"}', JSON, 400,
     "invalid_field", "priority"),
    ("max_attempts_zero", '{"type": "echo", "items": [1], "max_attempts": 0}', JSON, 400,
     "invalid_field", "max_attempts"),
    ("bad_run_at", '{"type": "echo", "items": [1], "run_at": "tomorrow"}', JSON, 400,
     "invalid_field", "run_at"),
    ("metadata_not_object", '{"type": "echo", "items": [1], "metadata": [1]}', JSON, 400,
     "invalid_field", "metadata"),
    ("bad_type_name", '{"type": "Echo!", "items": [1]}', JSON, 400, "invalid_field", "type"),
    ("unknown_type", '{"type": "nosuchtype", "items": [1]}', JSON, 422, "unknown_type",
     "type"),
    ("empty_items", '{"type": "echo", "items": []}', JSON, 422, "empty_items", "items"),
    # max_items = 5
    ("too_many_items", '{"type": "echo", "items": [1, 2, 3, 4, 5, 6]}', JSON, 422,
     "too_many_items", "items"),
    ("text_plain", '{"type": "echo", "items": [1]}', "text/plain", 415,
     "unsupported_media_type", None),
    ("no_content_type", '{"type": "echo", "items": [1]}', None, 415,
     "unsupported_media_type", None),
    ("form", "type=echo&items=1", "application/x-www-form-urlencoded", 415,
     "unsupported_media_type", None),
    # max_body_bytes = 8192
    ("body_too_large", json.dumps({"type": "echo", "items": ["x" * 9000]}), JSON, 413,
     "body_too_large", None),
]


@pytest.mark.parametrize("name,body,ctype,status,code,field", SUBMIT_ERRORS,
                         ids=[e[0] for e in SUBMIT_ERRORS])
def test_submit_errors(api, name, body, ctype, status, code, field):
    headers = {"Content-Type": ctype} if ctype else {}
    r = api.client.post("/v1/jobs", data=body.encode(), headers=headers)
    problem(r, status, code, field)
    assert api.jobs() == 0, f"{name} left a job behind"


def test_bad_idempotency_key_is_400(api):
    r = api.client.submit(headers={"Idempotency-Key": "k" * 300})
    problem(r, 400, "invalid_field", "idempotency_key")
    assert api.jobs() == 0


def test_too_much_metadata_is_400(api):
    r = api.client.submit(metadata={f"k{i}": i for i in range(65)})
    problem(r, 400, "invalid_field", "metadata")
    assert api.jobs() == 0


def test_json_with_a_charset_is_json(api):
    r = api.client.post("/v1/jobs", data=b'{"type": "echo", "items": [1]}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 202, describe(r)


def test_the_accepted_limits_are_accepted(api):
    r = api.client.submit("echo", [1, 2, 3, 4, 5], priority=-1000, max_attempts=100)
    assert r.status_code == 202, describe(r)
    body = json.dumps({"type": "echo", "items": ["x" * 8000]})
    assert len(body) <= 8192
    r = api.client.post("/v1/jobs", data=body, headers={"Content-Type": JSON})
    assert r.status_code == 202, describe(r)
    assert api.jobs() == 2


# ---- routes ---------------------------------------------------------------------------

def test_unknown_routes_are_404(api):
    for path in ("/v1/nothing", "/v1/jobs/", f"/v1/jobs/{UNKNOWN_JOB}/", "/v1/",
                 f"/v1/jobs/{UNKNOWN_JOB}/explode", "/v1/jobs/not-a-uuid",
                 "/v1/jobs/not-a-uuid/cancel", "/v1/jobs/123", "/v1/health/x"):
        problem(api.client.get(path), 404, "not_found")
    # Outside /v1/ and /metrics, pgjob.fcgi is not asked at all.
    r = api.client.get("/")
    assert r.status_code == 200 and r.text == "not pgjob\n", describe(r)
    r = api.client.get("/metricsx")
    assert r.status_code == 404 and "problem" not in r.headers.get("Content-Type", "")


def test_wrong_method_is_405_with_allow(api):
    cases = [("DELETE", "/v1/jobs", "GET, HEAD, POST"),
             ("PUT", f"/v1/jobs/{UNKNOWN_JOB}", "GET, HEAD"),
             ("GET", f"/v1/jobs/{UNKNOWN_JOB}/cancel", "POST"),
             ("POST", f"/v1/jobs/{UNKNOWN_JOB}/results", "GET, HEAD"),
             ("POST", "/v1/health", "GET, HEAD"),
             ("DELETE", "/metrics", "GET, HEAD")]
    for method, path, allow in cases:
        r = api.client.request(method, path)
        problem(r, 405, "method_not_allowed")
        assert r.headers.get("Allow") == allow, describe(r)
    assert api.jobs() == 0


# ---- health and metrics -----------------------------------------------------------------

def test_health_counts_the_queue(api):
    anonymous = api.client_for(None)
    r = anonymous.get("/v1/health")
    assert r.status_code == 200, describe(r)
    assert r.json() == {"status": "ok", "database": "up",
                        "queue": {"queued": 0, "processing": 0, "paused": 0}}
    ids = [api.client.submit().json()["id"] for _ in range(3)]
    api.client.post(f"/v1/jobs/{ids[0]}/pause")
    with api.conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.claim('tests', 1)")
    r = anonymous.get("/v1/health")
    assert r.json()["queue"] == {"queued": 1, "processing": 1, "paused": 1}, r.text


def test_metrics_count_the_requests(api):
    anonymous = api.client_for(None)

    def scrape():
        r = anonymous.get("/metrics")
        assert r.status_code == 200, describe(r)
        assert r.headers["Content-Type"].startswith("text/plain"), describe(r)
        assert "version=0.0.4" in r.headers["Content-Type"]
        return r.text, prometheus(r.text)

    _, before = scrape()
    job_id = api.client.submit().json()["id"]
    api.client.submit()
    for _ in range(3):
        api.client.job(job_id)
    api.client.job(UNKNOWN_JOB)
    api.client_for(None).job(job_id)
    api.client.get("/v1/nowhere")
    text, after = scrape()

    def delta(**labels):
        return (metric(after, "pgjob_http_requests_total", **labels)
                - metric(before, "pgjob_http_requests_total", **labels))

    assert delta(route="submit_job", status="202") == 2, text
    assert delta(route="get_job", status="200") == 3, text
    assert delta(route="get_job", status="404") == 1, text
    assert delta(route="get_job", status="401") == 1, text
    assert delta(route="none", status="404") == 1, text
    assert delta(route="metrics", status="200") == 1, text
    # The histogram of durations: cumulative buckets ending at +Inf, which
    # counts every request of the route, as _count does.
    name = "pgjob_http_request_duration_seconds"
    assert f"# TYPE {name} histogram" in text
    assert "# TYPE pgjob_http_requests_total counter" in text
    buckets = sorted(((float(dict(labels)["le"]), value) for (n, labels), value in after.items()
                      if n == f"{name}_bucket" and dict(labels).get("route") == "get_job"))
    assert buckets and buckets[-1][0] == float("inf"), text
    assert [v for _, v in buckets] == sorted(v for _, v in buckets), "buckets not cumulative"
    count = metric(after, f"{name}_count", route="get_job")
    assert buckets[-1][1] == count
    total = sum(v for (n, labels), v in after.items()
                if n == "pgjob_http_requests_total" and dict(labels)["route"] == "get_job")
    assert count == total, text
    assert metric(after, f"{name}_sum", route="get_job") >= 0
    assert metric(after, "pgjob_database_up") == 1
    assert metric(after, "pgjob_jobs", status="queued") == 2
    assert metric(after, "pgjob_waiters") == 0
    assert metric(after, "pgjob_process_start_time_seconds") > 1.6e9


# ---- the database goes away -------------------------------------------------------------


def test_submit_after_a_database_restart_is_not_503(pg, web, lighttpd, account, client):
    """A submit whose key was seen lately is its request's first statement,
    and a write is never sent twice (it may have run): pgjob.fcgi replaces
    a connection the server closed while idle before it sends one, so the
    submits right after a PostgreSQL restart succeed."""
    server = lighttpd(fcgi_threads=2)
    acct = account()
    c = client(server, acct.key)
    for _ in range(6):  # the threads connected, the key seen live
        r = c.submit()
        assert r.status_code == 202, describe(r)
    with pg_outage(pg, web):
        pass  # a restart: every connection of the server died while idle
    codes = [c.submit().status_code for _ in range(6)]
    assert codes == [202] * 6, server.log_block()
    conn = web.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s",
                        (acct.account_id,))
            assert cur.fetchone()[0] == 12
    finally:
        conn.close()


def test_a_waiting_submit_answers_its_job_through_an_outage(pg, web, lighttpd, account, client):
    """A submit with Prefer: wait has written its job before it waits; if
    the database goes away during the wait, the answer is still 202 with
    that job (its id and Location), never a 503 that tells the client to
    send the job again."""
    server = lighttpd(fcgi_threads=2)
    acct = account()
    c = client(server, acct.key)
    outcome = {}

    def submit():
        outcome["r"] = c.submit("echo", ["kept"], headers={"Prefer": "wait=8"})

    waiter = threading.Thread(target=submit)
    waiter.start()
    try:
        poll("the submit to wait", lambda: metric(prometheus(client(server).get("/metrics").text),
                                                  "pgjob_waiters") == 1,
             timeout=30, pause=0.1, logs=server.log_block)
        with pg_outage(pg, web):
            # the answer comes while the database is down: the wait's
            # re-read found no database
            waiter.join(timeout=60)
    finally:
        waiter.join(timeout=60)
    assert not waiter.is_alive()
    r = outcome["r"]
    assert r.status_code == 202, describe(r)
    assert "Preference-Applied" not in r.headers, describe(r)
    job = r.json()
    assert job["status"] == "queued" and r.headers["Location"] == f"/v1/jobs/{job['id']}"
    conn = web.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s AND id = %s",
                        (acct.account_id, job["id"]))
            assert cur.fetchone()[0] == 1
    finally:
        conn.close()


def test_database_outage_is_503_and_recovers(pg, web, lighttpd, account, client):
    server = lighttpd(fcgi_threads=2)
    acct = account()
    c = client(server, acct.key)
    job_id = c.submit().json()["id"]
    path = f"/v1/jobs/{job_id}"
    assert c.get(path).status_code == 200
    with pg_outage(pg, web):
        for r in (c.get(path), c.submit(), c.get("/v1/jobs"),
                  client(server).get("/v1/health")):
            problem(r, 503, "db_unavailable")
            assert r.headers.get("Retry-After", "").isdigit(), describe(r)
        metrics = client(server).get("/metrics")
        assert metrics.status_code == 200, describe(metrics)
        assert metric(prometheus(metrics.text), "pgjob_database_up") == 0
    # Back up: the same request succeeds again, nothing restarted.
    r = poll("GET to answer 200 again", lambda: (lambda r: r if r.status_code == 200 else None)(
        c.get(path)), timeout=20, pause=0.2, logs=server.log_block)
    assert r.json()["id"] == job_id
    # Every thread reconnects: soon every request succeeds.
    streak = []

    def all_ok():
        r = c.get(path)
        streak.append(r.status_code)
        return len(streak) >= 10 and set(streak[-10:]) == {200}

    poll("ten answers in a row to be 200", all_ok, timeout=20, pause=0.1,
         logs=server.log_block)
    assert c.get("/v1/health").status_code == 200
    assert c.submit().status_code == 202
    # The submit during the outage left nothing.
    conn = web.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s",
                        (acct.account_id,))
            assert cur.fetchone()[0] == 2
    finally:
        conn.close()


def test_requests_take_a_bounded_time(api):
    """A burst of requests from several clients at once is served (the
    threads share the listening socket)."""
    import concurrent.futures
    clients = [api.client_for(api.account) for _ in range(8)]
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda c: c.submit().status_code, clients * 5))
    assert codes == [202] * 40
    assert time.monotonic() - start < 20
    assert api.jobs() == 40


def test_status_read_checks_the_key_in_its_one_round_trip(api):
    """GET /v1/jobs/{id} looks the key up in the same statement as the job:
    an unknown or revoked key is still 401 (never 404), an unknown job of
    a good key 404."""
    r = api.client.submit()
    assert r.status_code == 202, describe(r)
    job_id = r.json()["id"]
    path = f"/v1/jobs/{job_id}"
    problem(api.client_for(key="pgj_" + "0" * 64).get(path), 401, "invalid_api_key")
    key, key_id = new_key(api.conn, api.account.account_id)
    second = api.client_for(key=key)
    assert second.get(path).status_code == 200
    revoke_key(api.conn, key_id)
    problem(second.get(path), 401, "invalid_api_key")
    problem(api.client.get("/v1/jobs/00000000-0000-4000-8000-000000000000"), 404,
            "job_not_found")
    assert api.client.get(path).status_code == 200


def test_submit_checks_a_recent_key_with_the_write(api):
    """A key pgjob.fcgi found live lately is checked by the submit's own
    statement (cgi/keycache.h): the job is written under that key, and a
    key revoked or expired since is 401 with nothing written, on every
    submit after as well."""
    for end in ("revoke", "expire"):
        key, key_id = new_key(api.conn, api.account.account_id)
        client = api.client_for(key=key)
        before = api.jobs()
        ids = []
        # The first submit looks the key up before its body; the next ones
        # in the same statement as the write.
        for _ in range(3):
            r = client.submit(items=["x"])
            assert r.status_code == 202, describe(r)
            ids.append(r.json()["id"])
        with api.conn.cursor() as cur:
            cur.execute("SELECT DISTINCT api_key_id FROM pgjob.job WHERE id = ANY(%s::uuid[])",
                        (ids,))
            assert cur.fetchall() == [(key_id,)]
            if end == "revoke":
                revoke_key(api.conn, key_id)
            else:
                cur.execute("UPDATE pgjob.api_key SET expires_at = now() - interval '1 second'"
                            " WHERE id = %s", (key_id,))
        for _ in range(2):
            r = client.submit(items=["y"])
            problem(r, 401, "invalid_api_key")
            assert "WWW-Authenticate" in r.headers, describe(r)
        assert api.jobs() == before + 3
    # The account's other key is untouched.
    assert api.client.submit().status_code == 202
