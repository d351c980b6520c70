# SPDX-License-Identifier: MIT
"""The document profiles end to end with the real pgjobd: clients written
from the pages (../shared/seeds/003 for Parzo, 002 for Pulse) upload real
documents (PDFs written by groff at test time, documents.py and
tests/invoice/make_pdf.py), poll as the pages say until the job ends, and
read the pages' shapes back:

  Parzo  POST /v1/extract/invoice, then GET /v1/jobs/:id as the page's
         wait_for_result does: the completed shape (confidence, model,
         cache_hit, validation_flags, result), and a scan without a text
         layer as the failed shape, "Unable to extract text from document"
  Pulse  POST /extract with async=true, then GET /job/{id} until
         completed: the result object; a large one (at or over
         large_result_bytes, small here) as {is_url, url}, whose url
         downloads the full result JSON

lighttpd runs the shipped snippet with room for documents (the module
servers of test_profiles*.py keep max_body_bytes small)."""

import os
import sys
import tempfile

import pytest

pytest.register_assert_rewrite("web", "profiles_helpers")
from profiles_helpers import MILLIS, ProfileClient, UUID, body_of, keys  # noqa: E402
from web import poll, reset_jobs  # noqa: E402

import documents  # noqa: E402

pytest_plugins = ("web",)

CORPUS = os.path.join(os.path.dirname(__file__), "..", "invoice", "corpus")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "invoice"))
import make_pdf  # noqa: E402

# large_result_bytes sits between an invoice's result (inline) and the
# extraction of a few pages (a pointer).
SERVER_KEYS = dict(max_body_bytes=4_000_000, document_max_pdf_bytes=2_000_000,
                   large_result_bytes=4000)

PENDING = ["job_id", "status", "queued_at", "started_at", "completed_at", "processing_ms"]
COMPLETED = PENDING + ["confidence", "model", "cache_hit", "validation_flags", "result"]
FAILED = ["job_id", "status", "error", "attempt_count"]
POLL = ["job_id", "status", "created_at", "updated_at"]


class JobFailed(Exception):
    pass


@pytest.fixture
def profiles(lighttpd, account, worker, web_conn):
    """A lighttpd with room for documents, a pgjobd, and the account's
    Parzo and Pulse clients."""
    reset_jobs(web_conn)
    server = lighttpd(**SERVER_KEYS)
    worker()
    key = account().key
    clients = {p: ProfileClient(server, p, key) for p in ("parzo", "pulse")}
    yield clients
    for c in clients.values():
        c.close()


def parzo_wait_for_result(c, job_id, timeout=60):
    """The page's wait_for_result, polling faster: the whole response once
    completed (the page returns response["result"]; the test reads the
    rest of the shape too); raises with the error when failed."""
    def ended():
        response = body_of(c.get(f"/v1/jobs/{job_id}"), 200)
        if response["status"] == "completed":
            return response
        if response["status"] == "failed":
            raise JobFailed(response)
        return None
    return poll(f"Parzo job {job_id}", ended, timeout=timeout)


def parzo_upload(c, name, data, hit=False):
    """POST /v1/extract/invoice: the pending shape, or (hit) the completed
    one of a job answered from the result cache at submit."""
    r = c.request("POST", "/v1/extract/invoice", files={"file": (name, data, "application/pdf")})
    got = keys(r, 202, COMPLETED if hit else PENDING)
    assert got["status"] == ("completed" if hit else "pending"), got
    assert UUID.match(got["job_id"]), got
    return got


def test_parzo_client_gets_an_invoice_with_its_flags(profiles):
    c = profiles["parzo"]
    pdf = make_pdf.make_pdf(os.path.join(CORPUS, "013_it_mismatch_and_dates.txt"),
                            tempfile.mkdtemp(prefix="pgjob-parzo-"))
    with open(pdf, "rb") as f:
        data = f.read()
    job_id = parzo_upload(c, "fattura.pdf", data)["job_id"]
    response = parzo_wait_for_result(c, job_id)
    assert list(response) == COMPLETED, response
    assert response["job_id"] == job_id
    assert all(MILLIS.match(response[k]) for k in ("queued_at", "started_at", "completed_at"))
    assert isinstance(response["processing_ms"], int) and response["processing_ms"] >= 0
    assert 0 < response["confidence"] <= 1
    assert response["model"] == "pgjob-invoice-rules/2"
    assert response["cache_hit"] is False
    assert response["validation_flags"] == [
        {"code": "ARITHMETIC_MISMATCH", "severity": "error",
         "message": "subtotal + tax \u2260 total", "item": 0},
        {"code": "DATE_INCOHERENCE", "severity": "warning",
         "message": "Issue date is after due date", "item": 0},
    ], response
    result = response["result"]
    assert isinstance(result, dict) and result["invoice_number"], response
    assert result["total"] is not None and result["source"] == "pdf", result

    # The same invoice again: answered from the result cache at submit,
    # in the submit's answer and in the poll.
    hit = parzo_upload(c, "copy.pdf", data, hit=True)
    assert hit["cache_hit"] is True and hit["result"] == result, hit
    again = parzo_wait_for_result(c, hit["job_id"])
    assert again["cache_hit"] is True and again["result"] == result
    assert again["validation_flags"] == response["validation_flags"]


def test_parzo_client_sees_a_scan_fail(profiles):
    c = profiles["parzo"]
    job_id = parzo_upload(c, "scan.pdf", documents.scanned())["job_id"]
    with pytest.raises(JobFailed) as failed:
        parzo_wait_for_result(c, job_id)
    response = failed.value.args[0]
    assert list(response) == FAILED, response
    assert response == {"job_id": job_id, "status": "failed",
                        "error": "Unable to extract text from document", "attempt_count": 1}


def pulse_extract(c, name, data):
    r = c.request("POST", "/extract", files={"file": (name, data, "application/pdf"),
                                             "async": (None, "true")})
    got = keys(r, 202, POLL)
    assert got["status"] == "pending" and UUID.match(got["job_id"]), got
    return got["job_id"]


def pulse_wait(c, job_id, timeout=60):
    def ended():
        r = c.get(f"/job/{job_id}")
        body = body_of(r, 200)
        return body if body["status"] in ("completed", "failed", "canceled") else None
    return poll(f"Pulse job {job_id}", ended, timeout=timeout)


def test_pulse_client_extracts_small_and_large_documents(profiles):
    c = profiles["pulse"]
    small = pulse_wait(c, pulse_extract(c, "table.pdf", documents.fixture("table.ms")))
    assert list(small) == POLL + ["result"], small
    assert small["status"] == "completed", small
    result = small["result"]
    assert isinstance(result, dict) and "is_url" not in result, small
    assert result["metadata"]["page_count"] == 1 and "|" in result["markdown"], result

    job_id = pulse_extract(c, "long.pdf", documents.pages(30))
    large = pulse_wait(c, job_id)
    assert large["status"] == "completed", large
    assert large["result"] == {"is_url": True, "url": c.url(f"/job/{job_id}/result")}, large
    full = body_of(c.get(f"/job/{job_id}/result"), 200)
    assert full["metadata"]["page_count"] == 30, full
    assert [p["page"] for p in full["pages"]] == list(range(1, 31)), full
    assert "This is page 30 of 30" in full["markdown"], full
