# SPDX-License-Identifier: MIT
"""The same API behind each supported web server, each running the
snippet pgjob ships in cgi/ unchanged: lighttpd spawning pgjob.fcgi
(lighttpd-pgjob.conf), Apache with mod_proxy_fcgi to a standalone
pgjob.fcgi on a Unix socket (apache-pgjob.conf), and Apache with mod_fcgid
spawning it (apache-pgjob-fcgid.conf).

A smoke set: submit, poll to completion with a running pgjobd, the
synchronous mode, results, errors and authentication.  The full API is in
test_api_jobs.py and test_api_errors.py (under lighttpd).
"""

import os
import pwd

import pytest

pytest.register_assert_rewrite("web")
from web import (describe, fcgi_pids, poll, problem, reset_jobs,  # noqa: E402
                 sanitizer_report)

pytest_plugins = ("web",)

SERVERS = ["lighttpd", "apache-proxy_fcgi", "apache-fcgid"]


class Served:
    """One test's view of a shared server: the server, a fresh account
    and a client with its key."""

    def __init__(self, server, conn, account, client):
        self.server = server
        self.conn = conn
        self.account = account()
        self.new_account = account
        self.new_client = client
        self.client = client(server, self.account.key)
        self.mark = server.logs.mark()

    def logs(self):
        return self.server.log_block(self.mark)


@pytest.fixture(params=SERVERS)
def served(request, web, web_conn, account, client):
    server = web.shared(request.param)
    reset_jobs(web_conn)
    s = Served(server, web_conn, account, client)
    yield s
    print(server.log_block(s.mark))
    report = sanitizer_report(server.logs.since(s.mark))
    if report:
        pytest.fail(report, pytrace=False)


def test_submit_and_poll_to_completion(served, worker):
    c = served.client
    r = c.submit("echo", ["a", "b"])
    assert r.status_code == 202, describe(r)
    job = r.json()
    assert r.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert r.headers["Retry-After"] == "1"
    worker()

    def completed():
        r = c.job(job["id"])
        assert r.status_code == 200, describe(r)
        return r if r.json()["status"] == "completed" else None

    r = poll("the job to complete", completed, logs=served.logs)
    done = r.json()
    assert done["results"] == [{"status": "completed", "output": x, "error": None}
                               for x in ("a", "b")]
    assert "Retry-After" not in r.headers
    etag = r.headers["ETag"]
    r = c.job(job["id"], headers={"If-None-Match": etag})
    assert r.status_code == 304, describe(r)
    page = c.get(f"/v1/jobs/{job['id']}/results?limit=1").json()
    assert page["total"] == 2 and len(page["results"]) == 1 and page["next_cursor"]
    listed = c.get("/v1/jobs?status=completed").json()
    assert [j["id"] for j in listed["jobs"]] == [job["id"]]


def test_prefer_wait_answers_the_finished_job(served, worker):
    worker()
    r = served.client.submit("echo", ["s"], headers={"Prefer": "wait=5"})
    assert r.status_code == 200, describe(r)
    job = r.json()
    assert job.get("status") == "completed", describe(r)
    assert job["results"][0]["output"] == "s"
    assert r.headers.get("Preference-Applied", "").startswith("wait="), describe(r)
    assert served.client.get("/v1/jobs").json()["jobs"][0]["id"] == job["id"]


def test_cancel_and_conflict(served):
    job = served.client.submit().json()
    r = served.client.post(f"/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled", describe(r)
    problem(served.client.post(f"/v1/jobs/{job['id']}/cancel"), 409, "invalid_state")


def test_errors(served):
    c = served.client
    problem(c.post("/v1/jobs", data=b'{"type": "echo", "items": [1,]}',
                   headers={"Content-Type": "application/json"}), 400, "malformed_json")
    problem(c.submit("nosuchtype"), 422, "unknown_type", "type")
    problem(c.post("/v1/jobs", data=b"{}", headers={"Content-Type": "text/plain"}), 415)
    problem(c.post("/v1/jobs", data=("x" * 9000).encode(),
                   headers={"Content-Type": "application/json"}), 413, "body_too_large")
    problem(c.get("/v1/nothing"), 404, "not_found")
    problem(c.get("/v1/jobs/not-a-uuid"), 404, "not_found")
    r = c.request("DELETE", "/v1/jobs")
    problem(r, 405, "method_not_allowed")
    assert r.headers.get("Allow") == "GET, HEAD, POST"
    assert served.client.get("/v1/jobs").json()["jobs"] == []


def test_auth(served):
    anonymous = served.new_client(served.server)
    r = anonymous.get("/v1/jobs")
    problem(r, 401, "missing_api_key")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), describe(r)
    problem(served.new_client(served.server, "pgj_" + "0" * 64).get("/v1/jobs"), 401,
            "invalid_api_key")
    # Authorization reaches pgjob.fcgi (Apache needs CGIPassAuth On).
    bearer = served.new_client(served.server, served.account.key, bearer=True)
    r = bearer.submit()
    assert r.status_code == 202, describe(r)
    job_id = r.json()["id"]
    assert bearer.job(job_id).status_code == 200
    stranger = served.new_client(served.server, served.new_account().key)
    problem(stranger.job(job_id), 404, "job_not_found")


def test_health_and_metrics(served):
    anonymous = served.new_client(served.server)
    r = anonymous.get("/v1/health")
    assert r.status_code == 200 and r.json()["database"] == "up", describe(r)
    r = anonymous.get("/metrics")
    assert r.status_code == 200, describe(r)
    assert "pgjob_http_requests_total{" in r.text
    assert r.headers["Content-Type"].startswith("text/plain")


def test_long_poll(served):
    job = served.client.submit().json()
    r = served.client.get(f"/v1/jobs/{job['id']}?wait=1")
    assert r.status_code == 200 and r.json()["status"] == "queued", describe(r)


@pytest.mark.parametrize("kind,threads", [("lighttpd", 8), ("apache-fcgid", 1)])
def test_the_spawned_processes(web, client, kind, threads):
    """lighttpd runs one pgjob.fcgi of fcgi_threads threads; mod_fcgid,
    which sends a process one request at a time, runs processes of one
    thread (apache-pgjob-fcgid.conf), as Apache's User when started as
    root."""
    server = web.shared(kind)
    assert client(server).get("/v1/health").status_code == 200
    pids = fcgi_pids(server.dir)
    assert pids, server.log_block()
    if kind == "lighttpd":
        assert len(pids) == 1, pids
    assert f"serving with {threads} threads" in server.logs.since(), server.log_block()
    if kind == "apache-fcgid" and os.geteuid() == 0:
        with open(f"/proc/{pids[0]}/status") as f:
            uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
        assert uid == pwd.getpwnam("www-data").pw_uid


@pytest.mark.parametrize("kind", ["lighttpd", "proxy_fcgi", "fcgid"])
def test_stopping_the_server_stops_pgjob_fcgi_cleanly(lighttpd, apache, client, kind):
    """The web server's stop reaches pgjob.fcgi (or, for mod_proxy_fcgi,
    the test stops it), which finishes and exits: no process is left and
    each one logged its clean exit."""
    server = lighttpd() if kind == "lighttpd" else apache(kind)
    c = client(server)
    for _ in range(5):
        assert c.get("/v1/health").status_code == 200
    c.close()
    pids = fcgi_pids(server.dir)
    assert pids
    problems = server.stop()
    assert problems == [], "\n".join(problems)
    log = server.log_block()
    assert log.count("stopped after") >= len(pids), log
