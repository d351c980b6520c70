# SPDX-License-Identifier: MIT
"""The invoice handler end to end: invoices submitted as text and as
fields over the native API under lighttpd, run by the real pgjobd, the
job read back with its results, validation_flags, confidence and model."""

import os

import pytest

pytest.register_assert_rewrite("web")
from web import describe  # noqa: E402

pytest_plugins = ("web",)

CORPUS = os.path.join(os.path.dirname(__file__), "..", "invoice", "corpus")


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


def test_invoice_text_job_has_fields_flags_confidence_model(api, worker):
    worker()
    clean = fixture("001_it_clean.txt")
    flagged = fixture("013_it_mismatch_and_dates.txt")
    job = finished(api, [{"text": clean, "custom_id": "ok"}, {"text": flagged}])
    ok, bad = job["results"]
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
    assert 0 < out["confidence"] <= 1

    # the job: the second invoice's two flags, named by item, exactly as
    # the Parzo page defines them
    assert job["validation_flags"] == [
        {"code": "ARITHMETIC_MISMATCH", "severity": "error",
         "message": "subtotal + tax \u2260 total", "item": 1},
        {"code": "DATE_INCOHERENCE", "severity": "warning",
         "message": "Issue date is after due date", "item": 1},
    ]
    assert bad["output"]["validation_flags"] == job["validation_flags"]
    assert job["model"] == "pgjob-invoice-rules/2"
    assert job["confidence"] == min(ok["output"]["confidence"], bad["output"]["confidence"])
    assert job["items_failed"] == 0


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


@pytest.mark.parametrize("items, index", [
    (["Fattura 1"], 0),
    ([{"text": "x"}, {"text": ""}], 1),
    ([{"text": "x", "fields": {}}], 0),
    ([{"fields": [1, 2]}], 0),
    ([{}], 0),
])
def test_invoice_items_of_the_wrong_shape_are_422(api, items, index):
    r = api.client.submit("invoice", items)
    assert r.status_code == 422, describe(r)
    body = r.json()
    assert body["code"] == "invalid_item" and body["field"] == f"items[{index}]", body
    assert api.jobs() == 0
