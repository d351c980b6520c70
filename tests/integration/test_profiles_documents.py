# SPDX-License-Identifier: MIT
"""The document profiles (docs/profiles.md): Parzo (type invoice,
../shared/seeds/003) and Pulse (type extract, 002), behind lighttpd,
Apache mod_proxy_fcgi and Apache mod_fcgid running the shipped snippets.

Their jobs are made with SQL (pgjob.submit takes any type) and moved
through their states as pgjobd would, so that every documented shape is
checked field by field whether or not this build runs the invoice and
extract handlers.  A submission through the profile is answered 202 when
the build runs the type, else the profile's 500 (the server logs why):
those tests check whichever applies.
"""

import pytest

pytest.register_assert_rewrite("web", "profiles_helpers")
from profiles_helpers import (MILLIS, UNKNOWN_JOB, UUID, body_of, claim, done,  # noqa: E402,F401
                              exactly, keys, served, servers, sql_action, sql_complete_with,
                              sql_submit, type_runs)
from web import describe, sql_expire, sql_fail  # noqa: E402

pytest_plugins = ("web",)

DOCUMENT = {"filename": "invoice.pdf", "content_type": "application/pdf", "size_bytes": 9,
            "data_base64": "JVBERi0xLjQK"}
INVOICE = {"invoice_number": "2026-041", "total": 122.0, "currency": "EUR"}
PDF = ("invoice.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf")

# ---- Parzo ----------------------------------------------------------------------------

PENDING = ["job_id", "status", "queued_at", "started_at", "completed_at", "processing_ms"]
COMPLETED = PENDING + ["confidence", "model", "cache_hit", "validation_flags", "result"]
FAILED = ["job_id", "status", "error", "attempt_count"]


def test_parzo_the_three_shapes(served):
    """GET /v1/jobs/:id answers exactly the page's pending, completed and
    failed shapes; processing has the pending shape, a paused job reads
    pending, a canceled one failed, an expired one not found."""
    c = served.client("parzo")
    conn = served.conn
    job_id = sql_submit(conn, served.account, "invoice", [DOCUMENT])
    r = c.get(f"/v1/jobs/{job_id}")
    pending = keys(r, 200, PENDING)
    assert pending["job_id"] == job_id and pending["status"] == "pending"
    assert MILLIS.match(pending["queued_at"]), pending
    assert [pending[k] for k in PENDING[3:]] == [None, None, None], pending
    assert r.headers["Retry-After"] == "3", describe(r)

    attempt = claim(conn, job_id)
    processing = keys(c.get(f"/v1/jobs/{job_id}"), 200, PENDING)
    assert processing["status"] == "processing" and MILLIS.match(processing["started_at"])
    assert processing["completed_at"] is None and processing["processing_ms"] is None

    flags = [{"code": "ARITHMETIC_MISMATCH", "severity": "error",
              "message": "subtotal + tax != total", "item": 0}]
    sql_complete_with(conn, job_id, attempt, done([INVOICE]), confidence=0.95,
                      model="claude-haiku-4-5", cache_hit=False, validation_flags=flags)
    r = c.get(f"/v1/jobs/{job_id}")
    completed = keys(r, 200, COMPLETED)
    assert completed["status"] == "completed" and completed["processing_ms"] == 942
    assert all(MILLIS.match(completed[k]) for k in ("queued_at", "started_at", "completed_at"))
    assert (completed["confidence"], completed["model"], completed["cache_hit"]) == \
        (0.95, "claude-haiku-4-5", False)
    assert completed["validation_flags"] == flags and completed["result"] == INVOICE
    assert "Retry-After" not in r.headers

    failed = sql_submit(conn, served.account, "invoice", [DOCUMENT])
    sql_fail(conn, failed, claim(conn, failed), code="unreadable",
             message="Unable to extract text from document")
    exactly(c.get(f"/v1/jobs/{failed}"), 200,
            {"job_id": failed, "status": "failed",
             "error": "Unable to extract text from document", "attempt_count": 1})

    canceled = sql_submit(conn, served.account, "invoice", [DOCUMENT])
    sql_action(conn, served.account, "cancel", canceled)
    exactly(c.get(f"/v1/jobs/{canceled}"), 200,
            {"job_id": canceled, "status": "failed", "error": "canceled by request",
             "attempt_count": 0})
    paused = sql_submit(conn, served.account, "invoice", [DOCUMENT])
    sql_action(conn, served.account, "pause", paused)
    assert keys(c.get(f"/v1/jobs/{paused}"), 200, PENDING)["status"] == "pending"

    sql_expire(conn, job_id)
    exactly(c.get(f"/v1/jobs/{job_id}"), 404, {"error": "Job not found"})


def test_parzo_errors_and_submit(served):
    c = served.client("parzo")
    exactly(served.client("parzo", key=None).get(f"/v1/jobs/{UNKNOWN_JOB}"), 401,
            {"error": "Missing API key"})
    exactly(served.client("parzo", key="inv_" + "0" * 40).get(f"/v1/jobs/{UNKNOWN_JOB}"), 401,
            {"error": "Invalid API key"})
    exactly(c.get(f"/v1/jobs/{UNKNOWN_JOB}"), 404, {"error": "Job not found"})
    other = sql_submit(served.conn, served.new_account(), "invoice", [DOCUMENT])
    exactly(c.get(f"/v1/jobs/{other}"), 404, {"error": "Job not found"})
    exactly(c.get("/v1/jobs"), 404, {"error": "Not found"})
    exactly(c.get("/v1/health"), 404, {"error": "Not found"})
    exactly(c.request("DELETE", f"/v1/jobs/{UNKNOWN_JOB}"), 405, {"error": "Method not allowed"})
    exactly(c.post("/v1/extract/invoice", {"file": "x"}), 415,
            {"error": "Send the invoice as multipart/form-data"})
    exactly(c.post("/v1/extract/invoice", data=b"x" * 9000,
                   headers={"Content-Type": "multipart/form-data; boundary=b"}), 413,
            {"error": "File too large"})
    assert set(body_of(c.request("POST", "/v1/extract/invoice",
                                 files={"other": ("a.txt", b"a")}), 400)) == {"error"}
    r = c.request("POST", "/v1/extract/invoice", files={"file": PDF})
    if type_runs(served, "invoice"):
        got = keys(r, 202, PENDING)
        assert got["status"] == "pending" and UUID.match(got["job_id"])
    else:
        # Until the invoice handler is merged: the profile's 500.
        exactly(r, 500, {"error": "Internal server error"})
        assert "does not run" in served.logs()


# ---- Pulse ------------------------------------------------------------------------------

POLL = ["job_id", "status", "created_at", "updated_at"]


def test_pulse_every_status(served):
    c = served.client("pulse")
    conn = served.conn
    job_id = sql_submit(conn, served.account, "extract", [DOCUMENT])
    pending = keys(c.get(f"/job/{job_id}"), 200, POLL)
    assert pending["status"] == "pending" and MILLIS.match(pending["created_at"])
    attempt = claim(conn, job_id)
    assert keys(c.get(f"/job/{job_id}"), 200, POLL)["status"] == "processing"
    output = {"markdown": "# Invoice", "pages": 1}
    sql_complete_with(conn, job_id, attempt, done([output]))
    completed = keys(c.get(f"/job/{job_id}"), 200, POLL + ["result"])
    assert completed["status"] == "completed" and completed["result"] == output

    failed = sql_submit(conn, served.account, "extract", [DOCUMENT])
    sql_fail(conn, failed, claim(conn, failed), message="the document is encrypted")
    got = keys(c.get(f"/job/{failed}"), 200, POLL + ["error"])
    assert got["status"] == "failed" and got["error"] == "the document is encrypted"

    # Cancel before completion (the route pgjob chose); never after.
    canceled = sql_submit(conn, served.account, "extract", [DOCUMENT])
    got = keys(c.post(f"/job/{canceled}/cancel"), 200, POLL)
    assert got["status"] == "canceled"
    assert keys(c.get(f"/job/{canceled}"), 200, POLL)["status"] == "canceled"
    assert set(body_of(c.post(f"/job/{job_id}/cancel"), 409)) == {"error"}
    paused = sql_submit(conn, served.account, "extract", [DOCUMENT])
    sql_action(conn, served.account, "pause", paused)
    assert keys(c.get(f"/job/{paused}"), 200, POLL)["status"] == "pending"

    # Expired: the retention stub.
    sql_expire(conn, job_id)
    got = keys(c.get(f"/job/{job_id}"), 200, POLL + ["result"])
    assert got["status"] == "expired" and got["result"]["expired"] is True
    assert MILLIS.match(got["result"]["expired_at"]), got


def test_pulse_large_result_is_a_pointer_to_the_full_json(served):
    """At or over large_result_bytes (5 MB by default; 1024 in the
    tests) the result is {is_url, url}, and url downloads the full
    result JSON."""
    c = served.client("pulse")
    conn = served.conn
    job_id = sql_submit(conn, served.account, "extract", [DOCUMENT])
    output = {"markdown": "x" * 3000, "pages": 9}
    sql_complete_with(conn, job_id, claim(conn, job_id), done([output]))
    got = keys(c.get(f"/job/{job_id}"), 200, POLL + ["result"])
    assert got["result"] == {"is_url": True,
                             "url": c.url(f"/job/{job_id}/result")}, got
    assert body_of(c.get(f"/job/{job_id}/result"), 200) == output
    # The same under the prefix: the URL carries it.
    under = served.client("pulse", prefix=True)
    got = body_of(under.get(f"/job/{job_id}"), 200)
    assert got["result"]["url"] == under.url(f"/job/{job_id}/result")
    assert body_of(under.get(f"/job/{job_id}/result"), 200) == output
    # A small result is inline; its file is there too.
    small = sql_submit(conn, served.account, "extract", [DOCUMENT])
    sql_complete_with(conn, small, claim(conn, small), done([{"pages": 1}]))
    assert body_of(c.get(f"/job/{small}"), 200)["result"] == {"pages": 1}
    assert body_of(c.get(f"/job/{small}/result"), 200) == {"pages": 1}
    pending = sql_submit(conn, served.account, "extract", [DOCUMENT])
    exactly(c.get(f"/job/{pending}/result"), 404, {"error": "Job not found."})


def test_pulse_errors_and_submit(served):
    c = served.client("pulse")
    exactly(served.client("pulse", key=None).get(f"/job/{UNKNOWN_JOB}"), 401,
            {"error": "Missing API key."})
    exactly(served.client("pulse", key="nope").get(f"/job/{UNKNOWN_JOB}"), 401,
            {"error": "Invalid API key."})
    exactly(c.get(f"/job/{UNKNOWN_JOB}"), 404, {"error": "Job not found."})
    exactly(c.post(f"/job/{UNKNOWN_JOB}/cancel"), 404, {"error": "Job not found."})
    exactly(c.get("/nothing"), 404, {"error": "Not found."})
    exactly(c.get("/extract"), 405, {"error": "Method not allowed."})
    exactly(c.post("/extract", {"async": True}), 415,
            {"error": "Content-Type must be multipart/form-data."})
    # async must be true: pgjob has no synchronous extraction here.
    r = c.request("POST", "/extract", files={"file": PDF})
    assert set(body_of(r, 400)) == {"error"} and "async" in r.json()["error"]
    r = c.request("POST", "/extract", files={"file": PDF, "async": (None, "true")})
    if type_runs(served, "extract"):
        got = keys(r, 202, POLL)
        assert got["status"] == "pending"
    else:
        # Until the extract handler is merged: the profile's 500.
        exactly(r, 500, {"error": "Internal server error."})
