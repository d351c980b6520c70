# SPDX-License-Identifier: MIT
"""What the profile tests (test_profiles*.py) share: the servers, each
running the shipped snippets unchanged (lighttpd, Apache mod_proxy_fcgi,
Apache mod_fcgid) with every profile at the root of a port of its own;
clients that send a profile's headers; and jobs put in any state with
SQL, as pgjobd would.

The servers are this module's own, not web.py's shared ones: a profile's
request counts in the metrics under the native route of its action
(docs/profiles.md), and test_openapi.py holds the shared lighttpd's counts
to the native document.
"""

import json
import re

import pytest
import requests
from psycopg2.extras import Json

pytest.register_assert_rewrite("web")
import web  # noqa: E402
from web import describe, reset_jobs, sql_claim  # noqa: E402

SERVERS = ["lighttpd", "apache-proxy_fcgi", "apache-fcgid"]
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Servers:
    """The servers of one test module, started on first use."""

    def __init__(self, web_session):
        self.web = web_session
        self.started = {}

    def get(self, kind):
        server = self.started.get(kind)
        if server is None or not server.running():
            conf = self.web.fcgi_conf()
            server = web.Lighttpd(conf) if kind == "lighttpd" else \
                web.Apache(kind.split("-", 1)[1], conf)
            self.started[kind] = server
            server.start()
        return server

    def cleanup(self):
        return [r for r in (s.cleanup() for s in self.started.values()) if r]


@pytest.fixture(scope="module")
def servers(web):
    s = Servers(web)
    yield s
    reports = s.cleanup()
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


class ProfileClient:
    """requests against one profile of a server: at the root of its port,
    or (prefix=True) under /<profile> on the server's port; key sent as
    X-API-Key, or as Authorization: Bearer with bearer=True."""

    def __init__(self, server, profile, key=None, bearer=False, prefix=False):
        self.server = server
        self.profile = profile
        self.key = key
        self.bearer = bearer
        self.prefix = prefix
        self.session = requests.Session()

    def url(self, path):
        if self.profile is None:
            return self.server.url(path)
        if self.prefix:
            return self.server.url(f"/{self.profile}{path}")
        return self.server.url(path, profile=self.profile)

    def request(self, method, path, json_body=None, data=None, headers=None, files=None):
        h = {}
        if self.key is not None:
            if self.bearer:
                h["Authorization"] = f"Bearer {self.key}"
            else:
                h["X-API-Key"] = self.key
        if json_body is not None:
            data = json.dumps(json_body)
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        return self.session.request(method, self.url(path), data=data, files=files,
                                    headers={k: v for k, v in h.items() if v is not None},
                                    timeout=web.HTTP_TIMEOUT, allow_redirects=False)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.request("POST", path, json_body=json_body, **kwargs)

    def close(self):
        self.session.close()


class Served:
    """One test's view: a server, the database, an account and clients."""

    def __init__(self, server, conn, account_factory):
        self.server = server
        self.conn = conn
        self.new_account = account_factory
        self.account = account_factory()
        self.clients = []
        self.mark = server.logs.mark()

    def client(self, profile, key="account", bearer=False, prefix=False):
        """A client of profile (None: the native API) with the account's
        key (key="account"), another key, or none (key=None)."""
        c = ProfileClient(self.server, profile, self.account.key if key == "account" else key,
                          bearer, prefix)
        self.clients.append(c)
        return c

    def logs(self):
        return self.server.log_block(self.mark)

    def close(self):
        for c in self.clients:
            c.close()


@pytest.fixture(params=SERVERS)
def served(request, servers, web_conn, account):
    server = servers.get(request.param)
    reset_jobs(web_conn)
    s = Served(server, web_conn, account)
    yield s
    s.close()
    print(server.log_block(s.mark))
    report = web.sanitizer_report(server.logs.since(s.mark))
    if report:
        pytest.fail(report, pytrace=False)


# ---- answers ------------------------------------------------------------------

def body_of(r, status):
    """Assert r's status and a JSON body; the body."""
    assert r.status_code == status, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    return r.json()


def exactly(r, status, body):
    """Assert r is status with exactly body (field by field, nothing more)."""
    got = body_of(r, status)
    assert got == body, describe(r)
    return got


def keys(r, status, names):
    """Assert r's status and that its body has exactly names, in order."""
    got = body_of(r, status)
    assert list(got) == list(names), describe(r)
    return got


# ---- jobs in any state, with SQL ---------------------------------------------------

def sql_submit(conn, account, job_type, items, key_id=None):
    """A queued job of any type, submitted with SQL as a client would
    through its key (key_id: the creating key; default the account's)."""
    with conn.cursor() as cur:
        cur.execute("SELECT (s.job).id FROM pgjob.submit(%s, %s, %s, p_api_key_id => %s) AS s",
                    (account.account_id, job_type, Json(items),
                     key_id if key_id is not None else account.key_id))
        return str(cur.fetchone()[0])


def sql_complete_with(conn, job_id, attempt, results, **meta):
    """Complete a claimed job with results and handler metadata
    (confidence, model, cache_hit, validation_flags, processing_ms)."""
    entry = {"id": str(job_id), "attempt": attempt, "results": results,
             "processing_ms": 942, **meta}
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM pgjob.complete(%s)", (Json([entry]),))
        return cur.fetchone()[0]


def sql_action(conn, account, action, job_id):
    with conn.cursor() as cur:
        cur.execute(f"SELECT status FROM pgjob.{action}(%s, %s)", (account.account_id, job_id))
        return cur.fetchone()[0]


def claim(conn, job_id):
    return sql_claim(conn, job_id)


def done(outputs):
    """A handler's results: each output completed."""
    return [{"status": "completed", "output": o, "error": None} for o in outputs]


def type_runs(served, job_type):
    """Whether this build runs job_type (the native API says: an unknown
    type is 422 unknown_type)."""
    r = served.client(None).post("/v1/jobs", {"type": job_type, "items": [1]})
    if r.status_code == 202:
        with served.conn.cursor() as cur:
            cur.execute("DELETE FROM pgjob.ready WHERE job_id = %s", (r.json()["id"],))
            cur.execute("DELETE FROM pgjob.job WHERE id = %s", (r.json()["id"],))
        return True
    assert r.status_code == 422 and r.json()["code"] == "unknown_type", describe(r)
    return False
