# SPDX-License-Identifier: MIT
"""The API profiles (docs/profiles.md) that need no handler beyond main's:
ParseTx (type enrich) and the enrichment service (type contact), each at
the root of its own port and under its prefix, behind lighttpd, Apache
mod_proxy_fcgi and Apache mod_fcgid running the shipped snippets
unchanged; and one job read through all four profiles and the native API.

Every example request of the pages (../shared/seeds/000, 001, 004) is
replayed and its answer compared field by field with the page: status,
keys and their order, types, absent fields, nulls, status words and the
exact error bodies.  Jobs are moved through their states with SQL, as
pgjobd would move them.
"""

import json

import pytest
import requests

pytest.register_assert_rewrite("web", "profiles_helpers")
from profiles_helpers import (MILLIS, SECONDS, UNKNOWN_JOB, UUID, body_of,  # noqa: E402,F401
                              claim, done, exactly, keys, served, servers, sql_action,
                              sql_complete_with, sql_submit)
from web import (describe, new_key, poll, revoke_key, sql_expire, sql_fail,  # noqa: E402
                 sql_heartbeat)

pytest_plugins = ("web",)

PARSETX_MISSING = {"error": "Missing API key. Provide your key via the X-API-Key header."}
PARSETX_INVALID = {"error": "Invalid or revoked API key."}
PARSETX_NOT_FOUND = {"error": "Job not found."}
TOKEN = {"message": "Invalid or expired token"}
DRF_NOT_FOUND = {"detail": "Not found."}

# The page's transaction strings.
TRANSACTIONS = ["AMZN MKTP US*2K4RT5QW3 AMZN.COM/BILL WA", "STARBUCKS STORE 12345 SEATTLE WA",
                "NETFLIX.COM 866-579-7172 CA"]


# ---- ParseTx ---------------------------------------------------------------------

def parsetx_submit(c, transactions=TRANSACTIONS):
    r = c.post("/v1/enrich/async", {"transactions": transactions})
    got = keys(r, 202, ["job_id", "status", "created_at"])
    assert UUID.match(got["job_id"]) and got["status"] == "queued", got
    assert MILLIS.match(got["created_at"]), got
    return got["job_id"]


def test_parsetx_job_in_every_state(served):
    """GET /v1/enrich/jobs/{id}: the same shape in every state; item_count
    once picked up; results [] until complete, then one result per
    submitted string in order; the terminal states never change."""
    c = served.client("parsetx")
    conn = served.conn
    job_id = parsetx_submit(c)
    path = f"/v1/enrich/jobs/{job_id}"

    r = c.get(path)
    queued = keys(r, 200, ["id", "status", "results", "created_at", "updated_at"])
    assert queued["id"] == job_id and queued["status"] == "queued" and queued["results"] == []
    assert MILLIS.match(queued["created_at"]) and MILLIS.match(queued["updated_at"])
    assert r.headers["Retry-After"] == "1", describe(r)

    # The page's example: processing, item_count 3, results [].
    attempt = claim(conn, job_id)
    sql_heartbeat(conn, job_id, attempt, done([{"merchant": "Amazon"}]))
    processing = keys(c.get(path), 200,
                      ["id", "status", "item_count", "results", "created_at", "updated_at"])
    assert {k: processing[k] for k in ("id", "status", "item_count", "results")} == {
        "id": job_id, "status": "processing", "item_count": 3, "results": []}

    outputs = [{"merchant": m, "confidence": 0.95} for m in ("Amazon", "Starbucks", "Netflix")]
    outputs[2] = {"merchant": "Netflix", "amount": 12.1}
    sql_complete_with(conn, job_id, attempt, done(outputs))
    r = c.get(path)
    complete = keys(r, 200, ["id", "status", "item_count", "results", "created_at", "updated_at"])
    assert complete["status"] == "complete" and complete["item_count"] == 3
    assert complete["results"] == outputs, complete
    # Numbers keep the digits the handler wrote.
    assert '"confidence": 0.95' in r.text and "0.9499" not in r.text, r.text
    assert "Retry-After" not in r.headers
    # ETag and 304, as the native API.
    r304 = c.get(path, headers={"If-None-Match": r.headers["ETag"]})
    assert r304.status_code == 304, describe(r304)

    # failed (fatal) and canceled (no canceled on this page) read as failed.
    failed = parsetx_submit(c, ["X"])
    assert sql_fail(conn, failed, claim(conn, failed)) == "failed"
    got = keys(c.get(f"/v1/enrich/jobs/{failed}"), 200,
               ["id", "status", "item_count", "results", "created_at", "updated_at"])
    assert got["status"] == "failed" and got["results"] == []
    canceled = parsetx_submit(c, ["Y"])
    sql_action(conn, served.account, "cancel", canceled)
    got = keys(c.get(f"/v1/enrich/jobs/{canceled}"), 200,
               ["id", "status", "results", "created_at", "updated_at"])
    assert got["status"] == "failed", got
    # paused reads as the waiting word.
    paused = parsetx_submit(c, ["Z"])
    sql_action(conn, served.account, "pause", paused)
    assert body_of(c.get(f"/v1/enrich/jobs/{paused}"), 200)["status"] == "queued"
    # expired: the page has no expired; it is the page's not-found.
    sql_expire(conn, job_id)
    exactly(c.get(path), 404, PARSETX_NOT_FOUND)


def test_parsetx_errors_exactly_as_the_page(served, web_conn):
    c = served.client("parsetx")
    job_id = parsetx_submit(c)
    path = f"/v1/enrich/jobs/{job_id}"
    anonymous = served.client("parsetx", key=None)
    exactly(anonymous.get(path), 401, PARSETX_MISSING)
    exactly(anonymous.get(path, headers={"X-API-Key": ""}), 401, PARSETX_MISSING)
    # Only X-API-Key is read: a Bearer token is no key on this page.
    exactly(served.client("parsetx", bearer=True).get(path), 401, PARSETX_MISSING)
    exactly(served.client("parsetx", key="pt_live_" + "0" * 40).get(path), 401, PARSETX_INVALID)
    # Another key of the same account, and another account's key: the
    # key does not match the one that created the job.
    other_key, other_id = new_key(web_conn, served.account.account_id)
    exactly(served.client("parsetx", key=other_key).get(path), 401, PARSETX_INVALID)
    exactly(served.client("parsetx", key=served.new_account().key).get(path), 401,
            PARSETX_INVALID)
    # A revoked key.
    revoke_key(web_conn, other_id)
    exactly(served.client("parsetx", key=other_key).get(path), 401, PARSETX_INVALID)
    exactly(c.get(f"/v1/enrich/jobs/{UNKNOWN_JOB}"), 404, PARSETX_NOT_FOUND)
    # Errors the page does not list, in its envelope.
    exactly(c.get("/v1/enrich/jobs/not-a-uuid"), 404, {"error": "Not found."})
    exactly(c.get("/nothing/here"), 404, {"error": "Not found."})
    exactly(c.get("/v1/jobs"), 404, {"error": "Not found."})
    r = c.request("DELETE", path)
    exactly(r, 405, {"error": "Method not allowed."})
    assert r.headers["Allow"] == "GET, HEAD"
    exactly(c.post("/v1/enrich/async", data=b"x" * 9000,
                   headers={"Content-Type": "application/json"}), 413,
            {"error": "Request body too large."})
    exactly(c.post("/v1/enrich/async", data=b"{}", headers={"Content-Type": "text/plain"}), 415,
            {"error": "Content-Type must be application/json."})
    assert set(body_of(c.post("/v1/enrich/async", {"transactions": []}), 422)) == {"error"}
    assert set(body_of(c.post("/v1/enrich/async", {"items": ["a"]}), 400)) == {"error"}
    assert set(body_of(c.post("/v1/enrich/async", {"transactions": ["a"] * 6}), 422)) == {"error"}
    exactly(anonymous.post("/v1/enrich/async", {"transactions": ["a"]}), 401, PARSETX_MISSING)


def test_parsetx_long_poll_and_prefix(served):
    c = served.client("parsetx")
    job_id = parsetx_submit(c)
    r = c.get(f"/v1/enrich/jobs/{job_id}?wait=1")
    assert body_of(r, 200)["status"] == "queued"
    # The same profile under /parsetx on the server's own port.
    under = served.client("parsetx", prefix=True)
    assert body_of(under.get(f"/v1/enrich/jobs/{job_id}"), 200)["id"] == job_id
    exactly(under.get("/v1/nothing"), 404, {"error": "Not found."})
    exactly(served.client("parsetx", key=None, prefix=True).get(f"/v1/enrich/jobs/{job_id}"),
            401, PARSETX_MISSING)
    # The native API is still the server's port's.
    assert body_of(served.client(None).get(f"/v1/jobs/{job_id}"), 200)["status"] == "queued"


# ---- the enrichment service ------------------------------------------------------------

CONTACTS = [{"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical"}]


def enrichment_submit(c, contacts=CONTACTS):
    got = keys(c.post("/api/v1/enrichment/submit/", {"contacts": contacts}), 202,
               ["job_id", "status", "submitted_at", "updated_at"])
    assert got["status"] == "queued" and SECONDS.match(got["submitted_at"]), got
    return got["job_id"]


def status_of(c, job_id):
    r = c.get(f"/api/v1/enrichment/status/{job_id}/")
    got = keys(r, 200, ["job_id", "status", "submitted_at", "updated_at"])
    assert got["job_id"] == job_id
    assert SECONDS.match(got["submitted_at"]) and SECONDS.match(got["updated_at"]), got
    return got["status"]


def test_enrichment_status_in_every_state(served):
    c = served.client("enrichment", bearer=True)
    conn = served.conn
    job_id = enrichment_submit(c)
    assert status_of(c, job_id) == "queued"
    attempt = claim(conn, job_id)
    assert status_of(c, job_id) == "in-progress"
    sql_complete_with(conn, job_id, attempt, done([{"email": "ada@example.com"}]))
    assert status_of(c, job_id) == "completed"
    failed = enrichment_submit(c)
    sql_fail(conn, failed, claim(conn, failed))
    assert status_of(c, failed) == "failed"
    canceled = enrichment_submit(c)
    sql_action(conn, served.account, "cancel", canceled)
    assert status_of(c, canceled) == "failed"
    paused = enrichment_submit(c)
    sql_action(conn, served.account, "pause", paused)
    assert status_of(c, paused) == "paused"
    sql_expire(conn, job_id)
    exactly(c.get(f"/api/v1/enrichment/status/{job_id}/"), 404, DRF_NOT_FOUND)


def test_enrichment_list_pause_resume_and_results(served):
    c = served.client("enrichment", bearer=True)
    conn = served.conn
    ids = [enrichment_submit(c) for _ in range(3)]
    stranger = served.client("enrichment", key=served.new_account().key, bearer=True)
    enrichment_submit(stranger)
    page = exactly(c.get("/api/v1/enrichment/status/"), 200,
                   {"next": None, "results": [body_of(c.get(
                       f"/api/v1/enrichment/status/{i}/"), 200) for i in reversed(ids)]})
    assert [j["job_id"] for j in page["results"]] == ids[::-1]

    control = "/api/v1/enrichment-control/"
    r = c.post(control, {"job_id": ids[0], "action": "pause"})
    assert body_of(r, 200)["status"] == "paused", describe(r)
    assert status_of(c, ids[0]) == "paused"
    # Results of a paused job; none (yet) of a queued one.
    got = keys(c.get(f"/api/v1/enrichment/results/{ids[0]}/"), 200,
               ["job_id", "status", "results"])
    assert got["status"] == "paused" and got["results"] == []
    assert set(body_of(c.get(f"/api/v1/enrichment/results/{ids[1]}/"), 409)) == {"detail"}
    assert body_of(c.post(control, {"job_id": ids[0], "action": "resume"}), 200)["status"] == \
        "queued"
    # A completed job's results, as stored.
    # Only ids[2] is due: the others stay queued, off the claimable set.
    with conn.cursor() as cur:
        cur.execute("DELETE FROM pgjob.ready WHERE job_id <> %s", (ids[2],))
    attempt = claim(conn, ids[2])
    sql_complete_with(conn, ids[2], attempt, done([{"email": "ada@example.com"}]))
    got = exactly(c.get(f"/api/v1/enrichment/results/{ids[2]}/"), 200,
                  {"job_id": ids[2], "status": "completed",
                   "results": done([{"email": "ada@example.com"}])})
    # Pausing a finished job is refused, in DRF's envelope.
    assert set(body_of(c.post(control, {"job_id": ids[2], "action": "pause"}), 409)) == \
        {"detail"}
    assert set(body_of(c.post(control, {"job_id": ids[2], "action": "stop"}), 400)) == {"detail"}
    exactly(c.post(control, {"job_id": UNKNOWN_JOB, "action": "pause"}), 404, DRF_NOT_FOUND)
    # Another user's job is not found, never forbidden.
    exactly(stranger.post(control, {"job_id": ids[1], "action": "pause"}), 404, DRF_NOT_FOUND)
    assert status_of(c, ids[1]) == "queued"


def test_enrichment_errors_exactly_as_the_page(served):
    c = served.client("enrichment", bearer=True)
    job_id = enrichment_submit(c)
    path = f"/api/v1/enrichment/status/{job_id}/"
    for client in (served.client("enrichment", key=None),
                   served.client("enrichment", key="nope", bearer=True),
                   # Bearer only: an X-API-Key is no token on this page.
                   served.client("enrichment")):
        r = client.get(path)
        exactly(r, 401, TOKEN)
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), describe(r)
        exactly(client.get("/api/v1/enrichment/status/"), 401, TOKEN)
    stranger = served.client("enrichment", key=served.new_account().key, bearer=True)
    exactly(stranger.get(path), 404, DRF_NOT_FOUND)
    exactly(c.get(f"/api/v1/enrichment/status/{UNKNOWN_JOB}/"), 404, DRF_NOT_FOUND)
    # Trailing slashes as documented: without one there is nothing.
    exactly(c.get(f"/api/v1/enrichment/status/{job_id}"), 404, DRF_NOT_FOUND)
    exactly(c.get("/api/v1/enrichment/status"), 404, DRF_NOT_FOUND)
    exactly(c.get("/api/v2/anything/"), 404, DRF_NOT_FOUND)
    exactly(c.request("PUT", path), 405, {"detail": "Method not allowed."})
    exactly(c.post("/api/v1/enrichment/submit/", data=b"x" * 9000,
                   headers={"Content-Type": "application/json"}), 413,
            {"detail": "Request body too large."})
    # Validation errors are DRF's 400.
    assert set(body_of(c.post("/api/v1/enrichment/submit/", {"contacts": []}), 400)) == \
        {"detail"}
    assert set(body_of(c.post("/api/v1/enrichment/submit/", {"contacts": [{"email": 5}]}),
                       400)) == {"detail"}


# ---- one job, five answers -----------------------------------------------------------------

def test_one_job_through_every_profile_and_the_native_api(served):
    """A job submitted through ParseTx, read with the same key through
    ParseTx, Pulse, Parzo, the enrichment service and the native API."""
    conn = served.conn
    job_id = parsetx_submit(served.client("parsetx"), ["AMZN MKTP US", "NETFLIX.COM"])
    attempt = claim(conn, job_id)
    outputs = [{"merchant": "Amazon"}, {"merchant": "Netflix"}]
    sql_complete_with(conn, job_id, attempt, done(outputs), confidence=0.95,
                      model="rules", cache_hit=False, validation_flags=[])

    native = body_of(served.client(None).get(f"/v1/jobs/{job_id}"), 200)
    assert native["status"] == "completed" and native["type"] == "enrich"
    parsetx = body_of(served.client("parsetx").get(f"/v1/enrich/jobs/{job_id}"), 200)
    assert parsetx["status"] == "complete" and parsetx["results"] == outputs
    assert parsetx["created_at"] == native["created_at"]
    pulse = keys(served.client("pulse").get(f"/job/{job_id}"), 200,
                 ["job_id", "status", "created_at", "updated_at", "result"])
    assert pulse["status"] == "completed" and pulse["result"] == outputs[0]
    parzo = keys(served.client("parzo").get(f"/v1/jobs/{job_id}"), 200,
                 ["job_id", "status", "queued_at", "started_at", "completed_at",
                  "processing_ms", "confidence", "model", "cache_hit", "validation_flags",
                  "result"])
    assert parzo["status"] == "completed" and parzo["confidence"] == 0.95
    assert parzo["queued_at"] == native["created_at"] and parzo["processing_ms"] == 942
    enrichment = body_of(served.client("enrichment", bearer=True).get(
        f"/api/v1/enrichment/status/{job_id}/"), 200)
    assert enrichment["status"] == "completed"
    assert enrichment["submitted_at"] == native["created_at"][:19] + "Z"


def test_enrichment_list_pages_newest_first(served):
    """Pages of 50, DRF's cursor pagination: next is the absolute URL of
    the next page, null on the last; expired jobs (not found on this
    page) are left out."""
    c = served.client("enrichment", bearer=True)
    expired = sql_submit(served.conn, served.account, "contact", [{"name": "n0"}])
    sql_complete_with(served.conn, expired, claim(served.conn, expired), done([{"n": 0}]))
    sql_expire(served.conn, expired)
    ids = [expired] + [sql_submit(served.conn, served.account, "contact", [{"name": f"n{i}"}])
                       for i in range(1, 53)]
    first = keys(c.get("/api/v1/enrichment/status/"), 200, ["next", "results"])
    assert len(first["results"]) == 50 and first["next"].startswith(
        c.url("/api/v1/enrichment/status/?cursor=")), first["next"]
    second = requests.get(first["next"], headers={"Authorization": f"Bearer {c.key}"},
                          timeout=30)
    rest = keys(second, 200, ["next", "results"])
    assert rest["next"] is None
    seen = [j["job_id"] for j in first["results"] + rest["results"]]
    assert seen == ids[:0:-1], "newest first, the expired one left out"
    # Under the prefix, next keeps it.
    under = served.client("enrichment", bearer=True, prefix=True)
    assert body_of(under.get("/api/v1/enrichment/status/"), 200)["next"].startswith(
        under.url("/api/v1/enrichment/status/?cursor="))


def test_page_clients_work_end_to_end(served, worker):
    """With pgjobd running: a ParseTx client polls until complete and
    gets one enrich result per transaction in order; an enrichment
    service client polls until completed and reads the results."""
    worker()
    parsetx = served.client("parsetx")
    job_id = parsetx_submit(parsetx)

    def parsetx_done():
        body = body_of(parsetx.get(f"/v1/enrich/jobs/{job_id}"), 200)
        return body if body["status"] in ("complete", "failed") else None

    body = poll("the ParseTx job to finish", parsetx_done, timeout=60, logs=served.logs)
    assert body["status"] == "complete" and body["item_count"] == 3, body
    assert [r["input"] for r in body["results"]] == TRANSACTIONS, body
    assert body["results"][2]["merchant"], body

    service = served.client("enrichment", bearer=True)
    job_id = enrichment_submit(service)
    poll("the enrichment job to complete",
         lambda: status_of(service, job_id) == "completed", timeout=60, logs=served.logs)
    got = keys(service.get(f"/api/v1/enrichment/results/{job_id}/"), 200,
               ["job_id", "status", "results"])
    assert got["results"][0]["status"] == "completed", got
    assert "ada@example.com" in json.dumps(got["results"][0]["output"]), got
