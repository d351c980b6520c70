# SPDX-License-Identifier: MIT
"""The FastCGI parameters that choose a profile (docs/profiles.md), sent
to a standalone pgjob.fcgi without a web server, so that what no web
server lets through is tried too: a request malformed before routing, a
profile pgjob does not know, a prefix.
"""

import pytest

pytest.register_assert_rewrite("web")
import fcgi_client  # noqa: E402
from web import metric, poll, prometheus  # noqa: E402

pytest_plugins = ("web",)

UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def fcgi(standalone):
    """A standalone pgjob.fcgi: its address."""
    return standalone().address


def ask(address, method, uri, profile=None, prefix=None, headers=None, **kwargs):
    """One request with the profile's parameters as a web server sets them."""
    extra = {"PGJOB_PROFILE": profile, "PGJOB_PREFIX": prefix, **kwargs.pop("extra", {})}
    params = fcgi_client.http_params(method, uri, headers, extra=extra, **kwargs)
    return fcgi_client.request(address, params, b"")


def test_errors_before_routing_are_in_the_profiles_envelope(fcgi):
    # A malformed %-escape: refused before any route is looked at.
    r = ask(fcgi, "GET", "/v1/enrich/jobs/%zz", profile="parsetx")
    assert r.status == 400 and list(r.json()) == ["error"], r
    r = ask(fcgi, "GET", "/api/v1/enrichment/status/%zz/", profile="enrichment")
    assert r.status == 400 and list(r.json()) == ["detail"], r
    # No method at all.
    r = ask(fcgi, None, "/job/x", profile="pulse")
    assert r.status == 400 and list(r.json()) == ["error"], r
    # The native API's problem document without a profile.
    r = ask(fcgi, "GET", "/v1/jobs/%zz")
    assert r.status == 400 and r.header("Content-Type").startswith("application/problem+json")


def test_prefix_and_unknown_profile(fcgi):
    r = ask(fcgi, "GET", f"/parsetx/v1/enrich/jobs/{UNKNOWN_JOB}", profile="parsetx",
            prefix="/parsetx")
    assert r.status == 401 and r.json() == {
        "error": "Missing API key. Provide your key via the X-API-Key header."}, r
    # A path outside the prefix is no route of the profile.
    r = ask(fcgi, "GET", f"/v1/enrich/jobs/{UNKNOWN_JOB}", profile="parsetx", prefix="/parsetx")
    assert r.status == 404 and r.json() == {"error": "Not found."}, r
    r = ask(fcgi, "GET", "/v1/health", profile="nosuchprofile")
    assert r.status == 500 and r.header("Content-Type").startswith("application/problem+json")
    assert r.json()["code"] == "unknown_profile"


def test_a_profiles_long_poll_is_parked_and_answered_in_its_shape(standalone, account, web_conn):
    """A profile's read with ?wait= parks like the native one (no thread
    held) and, when the job changes, answers in the profile's own shape
    and words: ParseTx says "failed" for a canceled job."""
    proc = standalone(threads=2, max_waiters=10, wait_max_seconds=30)
    acct = account()
    with web_conn.cursor() as cur:
        cur.execute("SELECT (s.job).id FROM pgjob.submit(%s, 'enrich', %s::jsonb, "
                    "p_api_key_id => %s) AS s",
                    (acct.account_id, '[{"description": "COFFEE", "amount": -3.5}]',
                     acct.key_id))
        job_id = str(cur.fetchone()[0])
    params = fcgi_client.http_params("GET", f"/v1/enrich/jobs/{job_id}?wait=30",
                                     {"X-API-Key": acct.key}, extra={"PGJOB_PROFILE": "parsetx"})
    conn = fcgi_client.Connection(proc.address, timeout=60)
    try:
        conn.send(fcgi_client.begin_request() + fcgi_client.stream(
            fcgi_client.PARAMS, 1, fcgi_client.encode_pairs(params))
            + fcgi_client.stream(fcgi_client.STDIN, 1, b""))

        def parked():
            r = fcgi_client.http(proc.address, "GET", "/metrics")
            return metric(prometheus(r.body.decode()), "pgjob_waiters") == 1
        poll("the profile's long-poll to be parked", parked, timeout=20, logs=proc.log_block)
        # Two request threads, one parked read: plain reads still answer.
        for _ in range(3):
            r = ask(proc.address, "GET", f"/v1/enrich/jobs/{job_id}", profile="parsetx",
                    headers={"X-API-Key": acct.key})
            assert r.status == 200 and r.json()["status"] == "queued", r
        with web_conn.cursor() as cur:
            cur.execute("SELECT pgjob.cancel(%s, %s)", (acct.account_id, job_id))
        r = conn.read_response()
        assert r.status == 200, r
        body = r.json()
        assert body["id"] == job_id and body["status"] == "failed", body
        assert r.header("ETag") is not None and r.header("Retry-After") is None, r
    finally:
        conn.close()
