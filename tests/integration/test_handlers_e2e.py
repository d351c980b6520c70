# SPDX-License-Identifier: MIT
"""The built-in enrich and contact handlers end to end: submitted over the
native API under lighttpd, run by the real pgjobd, results read back."""

import pytest

pytest.register_assert_rewrite("web")
from web import describe  # noqa: E402

pytest_plugins = ("web",)


def finished(api, items, type_):
    r = api.client.submit(type_, items, headers={"Prefer": "wait=10"})
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


def test_enrich_job_end_to_end(api, worker):
    worker()
    items = ["SQ *BLUE BOTTLE COFFE Oakland CA",
             {"description": "POS DEBIT 0412 NETFLIX.COM 866-579-7172 CA", "custom_id": "n1"},
             "   "]
    job = finished(api, items, "enrich")
    coffee, netflix, blank = job["results"]
    assert coffee["status"] == "completed"
    out = coffee["output"]
    assert out["merchant"] == "Blue Bottle Coffee" and out["category"] == "coffee"
    assert out["payment_processor"] == "Square" and out["channel"] == "in_store"
    assert netflix["custom_id"] == "n1"
    assert netflix["output"]["merchant"] == "Netflix"
    assert netflix["output"]["is_subscription"] is True
    assert blank["status"] == "failed" and blank["error"]["code"] == "rejected"
    assert job["items_failed"] == 1


def test_contact_job_end_to_end(api, worker):
    worker()
    items = [{"name": "ludwig VAN beethoven", "email": "Ludwig@Example.DE",
              "phone": "030 1234567", "title": "VP of Sales", "country": "Germany",
              "custom_id": "c1"},
             {}]
    job = finished(api, items, "contact")
    person, bad = job["results"]
    assert person["status"] == "completed" and person["custom_id"] == "c1"
    out = person["output"]
    assert out["email"]["address"] == "ludwig@example.de"
    assert out["phone"]["e164"] == "+49301234567"
    assert out["country"] == "DE"
    assert (out["first_name"], out["last_name"]) == ("Ludwig", "van Beethoven")
    assert (out["seniority"], out["department"]) == ("vp", "sales")
    assert bad["status"] == "failed" and bad["error"]["code"] == "empty_record"


@pytest.mark.parametrize("type_, items, index", [
    ("enrich", ["SQ *COFFEE", 42], 1),
    ("enrich", [{"amount": 3}], 0),
    ("contact", [{"email": "a@b.c"}, {"email": "d@e.f"}, "not a record"], 2),
])
def test_items_of_the_wrong_shape_are_422_at_submit(api, type_, items, index):
    r = api.client.submit(type_, items)
    assert r.status_code == 422, describe(r)
    body = r.json()
    assert body["code"] == "invalid_item" and body["field"] == f"items[{index}]", body
    assert api.jobs() == 0
