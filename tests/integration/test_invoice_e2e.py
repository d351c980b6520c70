# SPDX-License-Identifier: MIT
"""The invoice handler end to end: invoices submitted as text, as PDFs
(base64 in JSON and multipart uploads, written by groff at test time) and
as already-extracted fields over the native API under lighttpd, run by
the real pgjobd, the job read back with its results, validation_flags,
confidence and model."""

import base64
import os
import sys
import tempfile

import pytest

pytest.register_assert_rewrite("web")
from web import describe, poll  # noqa: E402

import documents  # noqa: E402

pytest_plugins = ("web",)

CORPUS = os.path.join(os.path.dirname(__file__), "..", "invoice", "corpus")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "invoice"))
import make_pdf  # noqa: E402


def fixture(name):
    with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
        return f.read()


def finished(api, items):
    r = api.client.submit("invoice", items, headers={"Prefer": "wait=10"})
    assert r.status_code == 200, describe(r)
    job = r.json()
    assert job["status"] == "completed", job
    if isinstance(job["results"], dict):
        # The test server's large_result_bytes is small: read the pointer.
        page = api.client.get(job["results"]["url"] + "?limit=1000")
        assert page.status_code == 200, describe(page)
        job["results"] = page.json()["results"]
    assert len(job["results"]) == len(items)
    return job


SERVER_KEYS = dict(max_body_bytes=4_000_000, document_max_pdf_bytes=2_000_000,
                   document_max_html_bytes=100_000, document_max_text_bytes=100_000)


@pytest.fixture
def docs(lighttpd, account, client, worker):
    """A front end with room for documents, a pgjobd, and a client."""
    server = lighttpd(**SERVER_KEYS)
    worker()
    return client(server, account().key)


def ended(c, r):
    """Wait for the job of submit response r to end; its final state."""
    assert r.status_code in (200, 202), describe(r)
    job_id = r.json()["id"]

    def done():
        j = c.job(job_id).json()
        return j if j["status"] in ("completed", "failed") else None
    return poll(f"job {job_id} to end", done, timeout=60)


def test_invoice_text_document_has_fields_flags_confidence_model(docs):
    """An invoice sent as text is a document job: one item, its bytes kept
    apart from the claim, read by the rules with its columns."""
    job = ended(docs, docs.submit("invoice", [{"text": fixture("001_it_clean.txt"),
                                               "custom_id": "ok"}]))
    assert job["status"] == "completed", job
    ok, = job["results"]
    assert ok["status"] == "completed" and ok["custom_id"] == "ok"
    out = ok["output"]
    assert out["invoice_number"] == "2026/0101"
    assert (out["issue_date"], out["due_date"]) == ("2026-05-14", "2026-06-13")
    assert out["supplier"] == {"name": "Edilgreco S.r.l.", "vat_id": "IT39309650099"}
    assert out["customer"]["vat_id"] == "IT72337390073"
    assert (out["currency"], out["subtotal"], out["tax"], out["total"]) == \
        ("EUR", 43.75, 9.63, 53.38)
    assert out["vat_rates"] == [22]
    assert out["line_items"] == [{"description": "Consulenza tecnica", "quantity": 5,
                                  "unit_price": 8.75, "amount": 43.75}]
    assert out["validation_flags"] == [] and out["source"] == "text"
    assert job["validation_flags"] == []
    assert job["model"] == "pgjob-invoice-rules/2"
    assert job["confidence"] == out["confidence"] and 0 < out["confidence"] <= 1


@pytest.mark.parametrize("how", ["file_base64", "upload"])
def test_invoice_pdf_has_the_parzo_flags(docs, how):
    """A PDF written by groff from a fixture, sent as base64 or uploaded:
    the job's validation_flags exactly as the Parzo page defines them."""
    pdf = make_pdf.make_pdf(os.path.join(CORPUS, "013_it_mismatch_and_dates.txt"),
                            tempfile.mkdtemp(prefix="pgjob-invoice-"))
    with open(pdf, "rb") as f:
        data = f.read()
    if how == "upload":
        r = docs.post("/v1/jobs", files={"file": ("fattura.pdf", data, "application/pdf")},
                      data={"type": "invoice"})
    else:
        r = docs.submit("invoice", [{"file_base64": base64.b64encode(data).decode(),
                                     "filename": "fattura.pdf"}])
    job = ended(docs, r)
    assert job["status"] == "completed", job
    out = job["results"][0]["output"]
    assert out["source"] == "pdf"
    assert out["invoice_number"] and out["total"] is not None
    assert job["validation_flags"] == [
        {"code": "ARITHMETIC_MISMATCH", "severity": "error",
         "message": "subtotal + tax \u2260 total", "item": 0},
        {"code": "DATE_INCOHERENCE", "severity": "warning",
         "message": "Issue date is after due date", "item": 0},
    ]
    assert job["model"] == "pgjob-invoice-rules/2"


def test_invoice_scanned_pdf_fails_the_job_once(docs):
    job = ended(docs, docs.post("/v1/jobs",
                                files={"file": ("scan.pdf", documents.scanned(),
                                                "application/pdf")},
                                data={"type": "invoice"}))
    assert job["status"] == "failed", job
    assert job["error"] == {"code": "no_text", "message": "Unable to extract text from document"}
    assert job["attempt_count"] == 1, job


def test_invoice_fields_are_only_validated(api, worker):
    worker()
    fields = {"invoice_number": "7", "issue_date": "12/03/2026", "due_date": "2026-03-12",
              "supplier": {"name": "Rossi", "vat_id": "IT01234567890"},
              "subtotal": "1.000,00", "tax": 210, "total": 1210, "vat_rates": [21]}
    job = finished(api, [{"fields": fields}, {"fields": {"total": 0}}])
    first, second = job["results"]
    out = first["output"]
    assert out["source"] == "fields"
    assert (out["issue_date"], out["subtotal"]) == ("2026-03-12", 1000)
    codes = [(f["code"], f["item"]) for f in job["validation_flags"]]
    assert codes == [("INVALID_IT_VAT_RATE", 0), ("INVALID_PIVA_CHECKSUM", 0),
                     ("INVALID_TOTAL", 1)]
    assert second["output"]["total"] == 0


def test_invoice_field_it_cannot_read_fails_the_item_only(api, worker):
    worker()
    job = finished(api, [{"fields": {"total": "a lot"}, "custom_id": "x"},
                         {"fields": {"total": 10}}])
    bad, good = job["results"]
    assert bad["status"] == "failed" and bad["error"]["code"] == "invalid_invoice"
    assert "total" in bad["error"]["message"]
    assert good["status"] == "completed"
    assert job["items_failed"] == 1


@pytest.mark.parametrize("items, code, field", [
    (["Fattura 1"], "invalid_item", "items[0]"),
    ([{"text": "x"}, {"text": "y"}], "too_many_items", "items"),
    ([{"fields": {}}, {"fields": [1, 2]}], "invalid_item", "items[1]"),
    ([{"text": "x", "fields": {}}], "invalid_item", "items[0]"),
    ([{}], "invalid_item", "items[0]"),
])
def test_invoice_items_of_the_wrong_shape_are_422(api, items, code, field):
    """A document (text or file) is one job of one item; fields come as
    objects, any number of them."""
    r = api.client.submit("invoice", items)
    assert r.status_code == 422, describe(r)
    body = r.json()
    assert body["code"] == code and body["field"] == field, body
    assert api.jobs() == 0
