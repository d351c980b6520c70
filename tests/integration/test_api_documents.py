# SPDX-License-Identifier: MIT
"""Documents over HTTP, end to end: uploaded (multipart), sent as
{"file_base64"} or {"text"} in JSON, extracted by the real pgjobd, read
back; the clean job errors of scanned, corrupt, encrypted, too long and
wrong-type documents; the size caps; the result cache answering at
submit; the full download of a large result, by key and by signed URL.

Every document is made at test time from tests/documents/ (documents.py).
"""

import base64
import datetime
import hashlib
import hmac
import time

import pytest

pytest.register_assert_rewrite("web")
from web import describe, poll, problem, reset_jobs  # noqa: E402

import documents  # noqa: E402

pytest_plugins = ("web",)

SECRET = "test-secret-0123456789abcdef0123456789"
SERVER_KEYS = dict(max_body_bytes=4_000_000, document_max_pdf_bytes=2_000_000,
                   document_max_html_bytes=100_000, document_max_text_bytes=3000,
                   results_url_secret=SECRET, results_url_seconds=600)
MAX_PAGES = 10


@pytest.fixture
def docs(lighttpd, account, client, worker, web_conn):
    """A front end with room for documents, a pgjobd, and a client; no job
    of an earlier test left."""
    reset_jobs(web_conn)
    server = lighttpd(**SERVER_KEYS)
    worker(document_max_pages=MAX_PAGES)
    acct = account()
    return Docs(server, client(server, acct.key), client(server, None), web_conn)


class Docs:
    def __init__(self, server, client, anonymous, conn):
        self.server = server
        self.client = client
        self.anonymous = anonymous
        self.conn = conn

    def submit_file(self, data, filename="doc.bin", **item):
        return self.client.submit("extract", [{"file_base64": base64.b64encode(data).decode(),
                                               "filename": filename, **item}])

    def submit_text(self, text, **item):
        return self.client.submit("extract", [{"text": text, **item}])

    def upload(self, data, filename="doc.bin"):
        return self.client.post("/v1/jobs", files={"file": (filename, data, "application/pdf")},
                                data={"type": "extract"})

    def finish(self, r):
        """Wait for the job of submit response r to end; its final state."""
        assert r.status_code in (200, 202), describe(r)
        job_id = r.json()["id"]

        def ended():
            j = self.client.job(job_id).json()
            return j if j["status"] in ("completed", "failed") else None
        return poll(f"job {job_id} to end", ended, timeout=60)

    def output(self, job):
        """The one result's output, through the large-result pointer."""
        assert job["status"] == "completed", job
        results = job["results"]
        if isinstance(results, dict):
            page = self.client.get(results["url"])
            assert page.status_code == 200, describe(page)
            results = page.json()["results"]
        assert len(results) == 1 and results[0]["status"] == "completed", results
        return results[0]["output"]


# name, expected: markdown fragments, page count, language, tables
PDFS = [
    ("headings.ms", ["# Annual Operations Review", "## 1. Introduction",
                     "## 1.1. Scope of the review", "## 2. Results"], 1, "en", 0),
    ("lists.ms", ["- The supplier has a valid VAT number.", "1. Receive the invoice.",
                  "3. Approve and pay it."], 1, "en", 0),
    ("table.ms", ["| Description | Quantity | Amount |", "| --- | --- | --- |",
                  "| Office chairs | 4 | 1,196.00 |", "| Monitor arms | 2 | 178.00 |"],
     1, "en", 1),
    ("multipage.ms", ["# 1. First page", "# 4. Fourth page"], 4, "en", 0),
    ("report_it.ms", ["Relazione trimestrale", "società è cresciuto"], 1, "it", 0),
    ("report_de.ms", ["Quartalsbericht", "für die Kunden"], 1, "de", 0),
    ("report_fr.ms", ["Rapport trimestriel", "la société est en hausse"], 1, "fr", 0),
    ("report_es.ms", ["Informe trimestral", "La facturación de la empresa"], 1, "es", 0),
    ("invoice_en.ms", ["INVOICE", "| Item | Qty | Unit price | Amount |",
                       "| Total | 198.00 |"], 1, None, 3),
    ("sizes.ms", ["# Product Catalogue", "## Garden tools", "## Kitchen tools"], 1, "en", 0),
]

OTHERS = [
    ("article.html", ["# Moving to the new ledger", "## What changes",
                      "- Invoices are entered once, not twice."], "html", "en", 0),
    ("table.html", ["| Product | Unit | Price |", "| Milk jug | 1 | 12.90 |"], "html", None, 1),
    ("nested.html", ["1. Open the account", "  - Choose a name"], "html", None, 0),
    ("page_fr.html", ["# Conditions de paiement"], "html", "fr", 0),
    ("broken.html", ["## Unclosed tags", "The second one neither does", "- another item"],
     "html", None, 0),
    ("notes.txt", ["Meeting notes", "- Move the open invoices over the weekend."], "text",
     "en", 0),
    ("form_feed.txt", ["Page two of the text document."], "text", "en", 0),
    ("german.txt", ["Die Rechnung ist innerhalb"], "text", "de", 0),
]


def check_output(name, out, fragments, language, tables):
    md = out["markdown"]
    for f in fragments:
        assert f in md, f"{name}: {f!r} not in the Markdown:\n{md}"
    meta = out["metadata"]
    if language is not None:
        assert meta["language"] == language, (name, meta)
    assert meta["table_count"] == tables, (name, meta, md)
    assert meta["character_count"] > 0 and meta["word_count"] > 0
    assert [p["page"] for p in out["pages"]] == list(range(1, meta["page_count"] + 1))


def test_pdfs_uploaded_and_sent_as_base64(docs):
    jobs = []
    for i, (name, fragments, pages, language, tables) in enumerate(PDFS):
        data = documents.fixture(name)
        # Half by multipart upload, half as base64 in JSON; a misleading
        # file name changes nothing (the format comes from the bytes).
        r = docs.upload(data, name + ".txt") if i % 2 else docs.submit_file(data, "x.html")
        assert r.status_code == 202, describe(r)
        jobs.append((name, fragments, pages, language, tables, r))
    for name, fragments, pages, language, tables, r in jobs:
        job = docs.finish(r)
        assert job["status"] == "completed", (name, job)
        assert job["model"].startswith("pgjob-extract/") and job["cache_hit"] is False
        out = docs.output(job)
        assert out["metadata"]["type"] == "pdf" and out["metadata"]["has_layout"] is True
        assert out["metadata"]["page_count"] == pages, (name, out["metadata"])
        check_output(name, out, fragments, language, tables)
    # The stored item describes the document; the bytes are elsewhere.
    with docs.conn.cursor() as cur:
        cur.execute("SELECT items FROM pgjob.job WHERE id = %s", (jobs[0][5].json()["id"],))
        item = cur.fetchone()[0][0]
    data = documents.fixture(PDFS[0][0])
    assert item == {"filename": "x.html", "media_type": "application/pdf",
                    "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_html_and_text_documents(docs):
    jobs = []
    for i, (name, fragments, kind, language, tables) in enumerate(OTHERS):
        data = documents.fixture(name)
        r = docs.submit_text(data.decode()) if i % 2 == 0 else docs.submit_file(data, name)
        jobs.append((name, fragments, kind, language, tables, r))
    for name, fragments, kind, language, tables, r in jobs:
        out = docs.output(docs.finish(r))
        assert out["metadata"]["type"] == kind, (name, out["metadata"])
        check_output(name, out, fragments, language, tables)
    titles = {name: docs.output(docs.finish(r))["metadata"]["title"]
              for name, _, _, _, _, r in jobs}
    assert titles["article.html"] == "Moving to the new ledger"
    assert titles["notes.txt"] is None


@pytest.mark.parametrize("make, code, message", [
    (documents.scanned, "no_text", "Unable to extract text from document"),
    (documents.corrupt, "corrupt_document", None),
    (documents.encrypted, "encrypted_document", None),
    (lambda: documents.pages(MAX_PAGES + 2), "too_many_pages", None),
    (documents.png, "unsupported_type", None),
    (documents.zip_bytes, "unsupported_type", None),
    # 2.5 KB of Flate, 2 million characters on one page: over
    # document_max_page_chars (200000 by default), failed at once.
    (documents.too_complex, "document_too_complex", None),
])
def test_bad_documents_fail_their_job(docs, make, code, message):
    r = docs.upload(make(), "document.pdf")
    assert r.status_code == 202, describe(r)
    job = docs.finish(r)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == code, job
    if message is not None:
        assert job["error"]["message"] == message
    # Failed for good at once: no retry.
    assert job["attempt_count"] == 1, job
    with docs.conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.document WHERE job_id = %s", (job["id"],))
        assert cur.fetchone()[0] == 0, "a finished job keeps no document"


def test_a_document_at_the_page_cap_is_read(docs):
    out = docs.output(docs.finish(docs.upload(documents.pages(MAX_PAGES))))
    assert out["metadata"]["page_count"] == MAX_PAGES


def test_size_caps_and_bad_items(docs):
    # The text cap is 3000 bytes; the HTML one larger: the format decides.
    problem(docs.submit_text("x" * 3001), 413, "document_too_large", "items[0].text")
    html = "<html><body>" + "<p>word</p>" * 400 + "</body></html>"
    assert len(html) > 3000
    assert docs.submit_text(html).status_code == 202
    problem(docs.client.post("/v1/jobs", files={"file": ("a.txt", b"y" * 3001, "text/plain")},
                             data={"type": "extract"}), 413, "document_too_large", "file")
    problem(docs.client.submit("extract", [{"file_base64": "not base64!"}]), 400,
            "invalid_field", "items[0].file_base64")
    problem(docs.client.submit("extract", [{"file_base64": "Zg==", "text": "f"}]), 422,
            "invalid_item", "items[0]")
    problem(docs.client.submit("extract", [{"filename": "a.pdf"}]), 422, "invalid_item")
    problem(docs.client.submit("extract", ["just a string"]), 422, "invalid_item")
    problem(docs.client.submit("extract", [{"text": "a"}, {"text": "b"}]), 422,
            "too_many_items")
    problem(docs.client.submit("extract", [{"text": ""}]), 422, "empty_document")
    problem(docs.client.submit("extract", [{"text": "a", "options": [1]}]), 422,
            "invalid_item", "items[0].options")
    # An upload's own fields sent in JSON: refused, never stored inline.
    problem(docs.client.submit("invoice", [{"data_base64": "aGVsbG8="}]), 422,
            "invalid_item", "items[0]")
    problem(docs.client.submit("invoice", [{"fields": {}, "size_bytes": 5}]), 422,
            "invalid_item", "items[0]")
    with docs.conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.job WHERE status <> 'queued'"
                    " AND type = 'extract' AND created_at > now() - interval '1 minute'"
                    " AND items @> '[{\"size_bytes\": 3001}]'")
        assert cur.fetchone()[0] == 0


def test_identical_documents_are_answered_from_the_cache(docs):
    data = documents.fixture("table.ms")
    first = docs.finish(docs.submit_file(data, "a.pdf", custom_id="one"))
    assert first["cache_hit"] is False
    # The same bytes, another way in: completed in the submit's answer.
    r = docs.upload(data, "b.pdf")
    assert r.status_code == 200, describe(r)
    hit = r.json()
    assert hit["status"] == "completed" and hit["cache_hit"] is True
    assert hit["processing_ms"] == 0 and hit["attempt_count"] == 0
    assert docs.output(hit) == docs.output(first)
    # Other options are another key.
    other = docs.submit_file(data, "a.pdf", options={"pages": False})
    assert other.status_code == 202, describe(other)
    out = docs.output(docs.finish(other))
    assert "pages" not in out


def test_large_results_download_whole_by_key_and_signed_url(docs):
    job = docs.finish(docs.upload(documents.pages(6)))
    pointer = job["results"]
    # large_result_bytes is 1024 in the tests: the output is over it.
    assert isinstance(pointer, dict) and pointer["is_url"] is True, job
    assert pointer["url"] == f"/v1/jobs/{job['id']}/results/full"
    full = docs.client.get(pointer["url"])
    assert full.status_code == 200, describe(full)
    body = full.json()
    assert body["total"] == 1 and body["status"] == "completed"
    assert body["results"][0]["output"]["metadata"]["page_count"] == 6
    # The keyed URL needs the key.
    problem(docs.anonymous.get(pointer["url"]), 401)
    # The signed one does not, and gives the same.
    signed = pointer["signed_url"]
    assert signed.startswith(pointer["url"] + "?expires=")
    assert pointer["signed_url_expires_at"] <= job["expires_at"]
    r = docs.anonymous.get(signed)
    assert r.status_code == 200, describe(r)
    assert r.json() == body
    # Tampered: another job, another expiry, another signature.
    problem(docs.anonymous.get(signed.replace(job["id"][:8], "00000000")), 403,
            "invalid_signature")
    expires = int(signed.split("expires=")[1].split("&")[0])
    problem(docs.anonymous.get(signed.replace(f"expires={expires}", f"expires={expires + 1}")),
            403, "invalid_signature")
    problem(docs.anonymous.get(signed[:-1] + ("0" if signed[-1] != "0" else "1")), 403,
            "invalid_signature")
    problem(docs.anonymous.get(pointer["url"] + "?expires=1"), 403, "invalid_signature")
    # Expired: a signature made with the secret for a time gone by.
    past = int(time.time()) - 5
    sig = hmac.new(SECRET.encode(), f"pgjob-results-v1\n{job['id']}\n{past}".encode(),
                   hashlib.sha256).hexdigest()
    problem(docs.anonymous.get(f"{pointer['url']}?expires={past}&signature={sig}"), 403,
            "url_expired")
    # Another account's key does not read it; a signed URL names one job.
    other = docs.submit_text("small")
    assert other.status_code in (200, 202)
    problem(docs.anonymous.get(signed.replace(job["id"], other.json()["id"])), 403,
            "invalid_signature")


def _unix(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def test_signed_url_expiry_is_the_one_signed(docs):
    """The signed URL's expires, its signature and signed_url_expires_at are
    one time: results_url_seconds from now, cut to the job's expiry."""
    job = docs.finish(docs.upload(documents.pages(6)))
    pointer = job["results"]
    expires = int(pointer["signed_url"].split("expires=")[1].split("&")[0])
    assert _unix(pointer["signed_url_expires_at"]) == expires
    assert abs(expires - (time.time() + SERVER_KEYS["results_url_seconds"])) < 60
    # A job that expires sooner than results_url_seconds: the URL stops
    # then, and says so, and works until then.
    with docs.conn.cursor() as cur:
        cur.execute("UPDATE pgjob.job SET expires_at = now() + interval '100.7 seconds'"
                    " WHERE id = %s RETURNING expires_at", (job["id"],))
        job_expires = cur.fetchone()[0].timestamp()
    again = docs.client.get(f"/v1/jobs/{job['id']}")
    assert again.status_code == 200, describe(again)
    pointer = again.json()["results"]
    expires = int(pointer["signed_url"].split("expires=")[1].split("&")[0])
    assert expires == int(job_expires)
    assert _unix(pointer["signed_url_expires_at"]) == expires
    r = docs.anonymous.get(pointer["signed_url"])
    assert r.status_code == 200, describe(r)


def test_maintenance_bounds_the_result_cache(web_conn, worker):
    """pgjobd's maintainer deletes cached results past result_cache_seconds
    and beyond result_cache_entries."""
    reset_jobs(web_conn)  # no job left to complete and fill the cache
    with web_conn.cursor() as cur:
        cur.execute("""
            INSERT INTO pgjob.result_cache (scope, cache_key, type, results, created_at)
            SELECT 0, sha256(convert_to(g::text, 'UTF8')), 'extract', '[1]',
                   now() - make_interval(mins => g)
              FROM generate_series(1, 4) AS g""")
        cur.execute("""
            INSERT INTO pgjob.result_cache (scope, cache_key, type, results, created_at)
            VALUES (0, sha256('old'), 'extract', '[1]', now() - interval '3 hours')""")
    worker(result_cache_seconds=7200, result_cache_entries=2, expire_interval_seconds=1)

    def left():
        with web_conn.cursor() as cur:
            cur.execute("SELECT round(extract(epoch FROM now() - created_at) / 60)"
                        " FROM pgjob.result_cache ORDER BY created_at DESC")
            ages = [int(r[0]) for r in cur.fetchall()]
        return ages if len(ages) == 2 else None
    assert poll("the cache pruned to 2 rows", left, timeout=30) == [1, 2]
