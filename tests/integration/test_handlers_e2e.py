# SPDX-License-Identifier: MIT
"""The built-in enrich and contact handlers end to end: submitted over the
native API under lighttpd, run by the real pgjobd, results read back."""

import re

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


def test_enrich_uses_amount_currency_and_date(api, worker):
    """The same merchant is a purchase with a negative amount (money out)
    and a refund with a positive one; the currency gives the country when
    the text names none; the date comes back normalized and tells the
    descriptor's "0412" for the transaction's date."""
    worker()
    text = "POS DEBIT 0412 AMAZON.COM AMZN.COM/BILL"
    items = [{"description": text, "amount": "-25.50", "currency": "usd",
              "date": "2026-04-14", "custom_id": "out"},
             {"description": text, "amount": 25.5, "currency": "USD",
              "date": "2026-04-14T09:15:00+02:00", "custom_id": "back"},
             text]
    job = finished(api, items, "enrich")
    out, back, plain = [r["output"] for r in job["results"]]
    assert job["items_failed"] == 0

    assert out["merchant"] == back["merchant"] == "Amazon"
    assert (out["transaction_type"], out["direction"], out["amount"]) == \
        ("purchase", "debit", -25.5)
    assert (back["transaction_type"], back["direction"], back["amount"]) == \
        ("refund", "credit", 25.5)
    assert back["category"] == "refunds" and out["category"] == "shopping"
    assert out["currency"] == back["currency"] == "USD"
    assert out["date"] == back["date"] == "2026-04-14"
    assert out["descriptor_date"] == "2026-04-12"
    assert out["location"]["country"] == "US"
    assert out["location"]["country_source"] == "currency"
    assert plain["transaction_type"] == "purchase"
    for field in ("amount", "direction", "currency", "date", "descriptor_date"):
        assert plain[field] is None, field

    items = [{"description": "TESCO STORES 3297", "amount": -12, "currency": "GBP"},
             {"description": "TESCO STORES 3297", "currency": "EUR"},
             {"description": "COSTA COFFEE LONDON GB", "currency": "USD"}]
    job = finished(api, items, "enrich")
    tesco_gbp, tesco_eur, costa = [r["output"] for r in job["results"]]
    assert tesco_gbp["merchant"] == "Tesco"
    assert tesco_gbp["location"] == {"city": None, "region": None, "country": "GB",
                                     "country_source": "currency", "confidence": 0.4}
    assert tesco_eur["location"] is None
    assert costa["location"]["country"] == "GB"
    assert costa["location"]["country_source"] == "descriptor"
    assert costa["location"]["confidence"] > tesco_gbp["location"]["confidence"]


def test_decimal_amounts_come_back_as_written(api, worker):
    """9.99 is not exactly a double: results are written with 15
    significant digits, so the answer's text says 9.99, not
    9.9900000000000002, and a confidence such as 0.85 stays 0.85."""
    worker()
    items = [{"description": "STARBUCKS STORE 05412 SEATTLE WA", "amount": -9.99},
             {"description": "STARBUCKS STORE 05412 SEATTLE WA", "amount": "1234567.89"}]
    job = finished(api, items, "enrich")
    page = api.client.get(f"/v1/jobs/{job['id']}/results?limit=10")
    assert page.status_code == 200, describe(page)
    assert re.search(r'"amount": ?-9\.99[,}]', page.text), page.text
    assert re.search(r'"amount": ?1234567\.89[,}]', page.text), page.text
    assert "00000000" not in page.text, page.text


@pytest.mark.parametrize("type_, items, index", [
    ("enrich", ["SQ *COFFEE", 42], 1),
    ("enrich", [{"amount": 3}], 0),
    ("enrich", ["SQ *COFFEE", {"description": "TESCO", "currency": "XYZ"}], 1),
    ("enrich", [{"description": "TESCO", "currency": "GBP", "amount": "12,50"}], 0),
    ("enrich", [{"description": "TESCO", "amount": 1e15}], 0),
    ("enrich", [{"description": "TESCO"}, {"description": "TESCO", "date": "2026-02-30"}], 1),
    ("enrich", [{"description": "TESCO", "mcc": "58"}], 0),
    ("enrich", [{"description": "TESCO", "mcc": 5411}, {"description": "X", "mcc": 12345}], 1),
    ("contact", [{"email": "a@b.c"}, {"email": "d@e.f"}, "not a record"], 2),
])
def test_items_of_the_wrong_shape_are_422_at_submit(api, type_, items, index):
    r = api.client.submit(type_, items)
    assert r.status_code == 422, describe(r)
    body = r.json()
    assert body["code"] == "invalid_item" and body["field"] == f"items[{index}]", body
    assert api.jobs() == 0


def test_enrich_bad_currency_422_names_the_field(api):
    r = api.client.submit("enrich", [{"description": "TESCO STORES 3297", "currency": "XYZ"}])
    assert r.status_code == 422, describe(r)
    body = r.json()
    assert body["code"] == "invalid_item" and body["field"] == "items[0]", body
    assert "currency" in body["detail"] and "ISO 4217" in body["detail"], body
