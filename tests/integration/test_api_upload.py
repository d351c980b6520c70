# SPDX-License-Identifier: MIT
"""Job submissions that upload a document: POST /v1/jobs with a
multipart/form-data body (cgi/upload.h) through lighttpd and the real
pgjob.fcgi, against the shared database of tests/integration/web.py.

The job gets one item, {filename, content_type, size_bytes, data_base64};
the tests read it back with SQL and decode it to the bytes sent.  Bodies
come from python requests' files= (urllib3's encoder), and by hand where
a test needs a malformed one.
"""

import base64
import json

import pytest

pytest.register_assert_rewrite("web")
from web import describe, problem  # noqa: E402

pytest_plugins = ("web",)

# A small PDF-like document: a header, a binary comment line, CRLFs, a
# NUL and a line that looks like a boundary.
PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
       b"\x00\xff\r\n--not-a-boundary\r\n%%EOF\n")


def upload(api, files, data=None, headers=None):
    """POST /v1/jobs with a multipart body of files and data (text parts)."""
    return api.client.post("/v1/jobs", files=files, data=data, headers=headers)


def stored_items(api, job_id):
    with api.conn.cursor() as cur:
        cur.execute("SELECT items FROM pgjob.job WHERE id = %s", (job_id,))
        return cur.fetchone()[0]


def decoded(item):
    return base64.b64decode(item["data_base64"], validate=True)


def test_upload_stores_the_document_as_one_item(api):
    r = upload(api, {"file": ("scan.pdf", PDF, "application/pdf")}, {"type": "echo"})
    assert r.status_code == 202, describe(r)
    job = r.json()
    assert job["type"] == "echo" and job["status"] == "queued"
    assert job["item_count"] == 1
    assert job["priority"] == 0 and job["max_attempts"] == 3 and job["metadata"] == {}
    assert r.headers["Location"] == f"/v1/jobs/{job['id']}"
    items = stored_items(api, job["id"])
    assert len(items) == 1
    item = items[0]
    assert set(item) == {"filename", "content_type", "size_bytes", "data_base64"}
    assert item["filename"] == "scan.pdf"
    assert item["content_type"] == "application/pdf"
    assert item["size_bytes"] == len(PDF)
    assert decoded(item) == PDF
    assert api.jobs() == 1


def test_upload_with_every_field(api):
    metadata = '{"batch": "b-7", "n": 0.98765432109876543210}'
    r = upload(api, {"file": ("r\u00e9sum\u00e9.txt", b"hello\n", "text/plain; charset=utf-8")},
               {"type": "echo", "priority": "-7", "max_attempts": "5",
                "run_at": "2030-01-02T03:04:05+01:00", "metadata": metadata})
    assert r.status_code == 202, describe(r)
    job = r.json()
    assert job["priority"] == -7 and job["max_attempts"] == 5
    assert job["run_at"] == "2030-01-02T02:04:05.000Z"
    # Every digit of the metadata is kept, as for a JSON body.
    assert job["metadata"]["batch"] == "b-7"
    assert "0.98765432109876543210" in r.text
    item = stored_items(api, job["id"])[0]
    assert item["filename"] == "r\u00e9sum\u00e9.txt"
    assert item["content_type"] == "text/plain; charset=utf-8"
    assert decoded(item) == b"hello\n"


def test_a_file_without_content_type_is_octet_stream(api):
    r = upload(api, {"file": ("blob", b"\x00\x01\x02")}, {"type": "echo"})
    assert r.status_code == 202, describe(r)
    item = stored_items(api, r.json()["id"])[0]
    assert item["content_type"] == "application/octet-stream"
    assert item["size_bytes"] == 3 and decoded(item) == b"\x00\x01\x02"


def test_a_file_near_the_body_cap_is_accepted(api):
    """max_body_bytes = 8192 caps the multipart body, not the JSON text
    (a third larger) that goes to the database."""
    data = bytes(range(256)) * 30
    r = upload(api, {"file": ("big.bin", data, "application/octet-stream")}, {"type": "echo"})
    assert len(r.request.body) <= 8192
    assert r.status_code == 202, describe(r)
    assert decoded(stored_items(api, r.json()["id"])[0]) == data


def test_the_same_upload_with_an_idempotency_key_is_the_same_job(api):
    headers = {"Idempotency-Key": "upload-1"}
    files = {"file": ("a.txt", b"one", "text/plain")}
    first = upload(api, files, {"type": "echo"}, headers)
    assert first.status_code == 202, describe(first)
    again = upload(api, files, {"type": "echo"}, headers)
    assert again.json()["id"] == first.json()["id"], describe(again)
    other = upload(api, {"file": ("a.txt", b"two", "text/plain")}, {"type": "echo"}, headers)
    problem(other, 422, "idempotency_key_reused")
    assert api.jobs() == 1


def test_echo_returns_the_item_as_output(api, worker):
    worker()
    r = upload(api, {"file": ("note.html", b"<p>hi</p>\r\n", "text/html")}, {"type": "echo"},
               {"Prefer": "wait=5"})
    assert r.status_code == 200, describe(r)
    job = r.json()
    assert job["status"] == "completed", describe(r)
    item = stored_items(api, job["id"])[0]
    assert job["results"] == [{"status": "completed", "output": item, "error": None}]
    assert decoded(job["results"][0]["output"]) == b"<p>hi</p>\r\n"


# ---- errors -------------------------------------------------------------------------

FILE = ("a.pdf", PDF, "application/pdf")


def raw(api, body, content_type="multipart/form-data; boundary=XyZ"):
    return api.client.post("/v1/jobs", data=body, headers={"Content-Type": content_type})


UPLOAD_ERRORS = [
    # (name, files, data, status, code, field)
    ("no_file", None, {"type": "echo"}, 400, "missing_field", "file"),
    ("no_type", {"file": FILE}, None, 400, "missing_field", "type"),
    ("two_files", [("file", FILE), ("file", FILE)], {"type": "echo"}, 400,
     "invalid_multipart", "file"),
    ("unknown_type", {"file": FILE}, {"type": "nosuchtype"}, 422, "unknown_type", "type"),
    ("bad_type_name", {"file": FILE}, {"type": "Echo!"}, 400, "invalid_field", "type"),
    ("unknown_part", {"file": FILE}, {"type": "echo", "items": "[1]"}, 400, "unknown_field",
     "items"),
    ("empty_file", {"file": ("a.pdf", b"", "application/pdf")}, {"type": "echo"}, 422,
     "empty_items", "file"),
    ("file_without_filename", {"file": (None, PDF)}, {"type": "echo"}, 400, "invalid_field",
     "file"),
    ("priority_out_of_range", {"file": FILE}, {"type": "echo", "priority": "1001"}, 400,
     "invalid_field", "priority"),
    ("bad_run_at", {"file": FILE}, {"type": "echo", "run_at": "tomorrow"}, 400,
     "invalid_field", "run_at"),
    ("metadata_not_object", {"file": FILE}, {"type": "echo", "metadata": "[1]"}, 400,
     "invalid_field", "metadata"),
    ("too_much_metadata", {"file": FILE},
     {"type": "echo", "metadata": json.dumps({f"k{i}": i for i in range(65)})}, 400,
     "invalid_field", "metadata"),
    # max_body_bytes = 8192
    ("body_too_large", {"file": ("big.bin", b"x" * 9000)}, {"type": "echo"}, 413,
     "body_too_large", None),
]


@pytest.mark.parametrize("name,files,data,status,code,field", UPLOAD_ERRORS,
                         ids=[e[0] for e in UPLOAD_ERRORS])
def test_upload_errors(api, name, files, data, status, code, field):
    if files is None:
        # requests sends a urlencoded body for data alone: build the form.
        files = {k: (None, v) for k, v in data.items()}
        data = None
    r = upload(api, files, data)
    assert r.request.headers["Content-Type"].startswith("multipart/form-data"), name
    problem(r, status, code, field)
    assert api.jobs() == 0, f"{name} left a job behind"


FRAMING_ERRORS = [
    # (name, content type, body)
    ("no_boundary", "multipart/form-data",
     b"--XyZ\r\nContent-Disposition: form-data; name=type\r\n\r\necho\r\n--XyZ--\r\n"),
    ("bad_boundary", "multipart/form-data; boundary=\"XyZ",
     b"--XyZ\r\nContent-Disposition: form-data; name=type\r\n\r\necho\r\n--XyZ--\r\n"),
    ("other_boundary", "multipart/form-data; boundary=Other",
     b"--XyZ\r\nContent-Disposition: form-data; name=type\r\n\r\necho\r\n--XyZ--\r\n"),
    ("no_closing_boundary", "multipart/form-data; boundary=XyZ",
     b"--XyZ\r\nContent-Disposition: form-data; name=type\r\n\r\necho\r\n"),
    ("no_disposition", "multipart/form-data; boundary=XyZ",
     b"--XyZ\r\nContent-Type: text/plain\r\n\r\necho\r\n--XyZ--\r\n"),
    ("lf_only", "multipart/form-data; boundary=XyZ",
     b"--XyZ\nContent-Disposition: form-data; name=type\n\necho\n--XyZ--\n"),
    ("empty_body", "multipart/form-data; boundary=XyZ", b""),
]


@pytest.mark.parametrize("name,ctype,body", FRAMING_ERRORS, ids=[e[0] for e in FRAMING_ERRORS])
def test_malformed_multipart_is_400(api, name, ctype, body):
    problem(raw(api, body, ctype), 400, "invalid_multipart")
    assert api.jobs() == 0, f"{name} left a job behind"


def test_a_form_by_hand_is_accepted(api):
    """A preamble, a quoted boundary, escaped quotes in the filename and
    an epilogue, as RFC 2046 and RFC 7578 allow."""
    body = (b"preamble\r\n--a b\r\n"
            b"Content-Disposition: form-data; name=\"type\"\r\n\r\necho\r\n"
            b"--a b\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"say \\\"hi\\\".txt\"\r\n\r\nhi\r\n--a b--\r\nepilogue")
    r = raw(api, body, 'multipart/form-data; boundary="a b"')
    assert r.status_code == 202, describe(r)
    item = stored_items(api, r.json()["id"])[0]
    assert item["filename"] == 'say "hi".txt'
    assert item["content_type"] == "application/octet-stream"
    assert decoded(item) == b"hi"
