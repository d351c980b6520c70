# SPDX-License-Identifier: MIT
"""The FastCGI parameters that choose a profile (docs/profiles.md), sent
to a standalone pgjob.fcgi without a web server, so that what no web
server lets through is tried too: a request malformed before routing, a
profile pgjob does not know, a prefix.
"""

import pytest

pytest.register_assert_rewrite("web")
import fcgi_client  # noqa: E402

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
