# SPDX-License-Identifier: MIT
"""cgi/openapi.json, the OpenAPI 3.1 document of the native API (v1), held
to the server.

- Its (method, path) set is the router's own table (`pgjob.fcgi
  --print-routes`), and each operationId is the route's name.  HEAD is
  left implicit: every GET route answers HEAD (router.h), which an
  operation of its own could not say, since operationIds are unique and
  the route's name is the GET's; test_get_routes_answer_head checks the
  rule instead.
- It is checked offline as far as no OpenAPI validator is needed: its
  structure, every $ref, and every schema compiled with jsonschema's
  Draft202012Validator.
- Real answers, through lighttpd and the real pgjob.fcgi (web.py), are
  validated against the schema the document gives for their operation
  and status, with their documented headers; a status an operation does
  not list fails at once (check()), and the last test checks
  every (route, status) pgjob.fcgi counted in /metrics during the whole
  session, so answers of other test modules are held to the document
  too.
"""

import datetime
import json
import os
import re
import subprocess
import time
import urllib.parse

import jsonschema
import pytest
import requests

pytest.register_assert_rewrite("web")
import programs  # noqa: E402
import web  # noqa: E402
from web import (describe, prometheus, sql_claim, sql_complete, sql_expire,  # noqa: E402
                 sql_fail, sql_heartbeat)

pytest_plugins = ("web",)

DOC_PATH = os.path.join(programs.REPO_ROOT, "cgi", "openapi.json")
with open(DOC_PATH) as _f:
    DOC = json.load(_f)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
# The headers of the API: one of these in an answer must be documented
# for that answer.
API_HEADERS = ("Location", "Content-Location", "Retry-After", "ETag", "Allow",
               "Preference-Applied", "WWW-Authenticate")
# Documented statuses no test can provoke (out of memory, a bad row).
UNPROVOKED = {"500"}

# (operationId or "none", status) of every answer check() saw.
SEEN = set()


# ---- the document -------------------------------------------------------------

def operations(doc=DOC):
    """(METHOD, path, operation) of every operation of the document."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def pointer(doc, ref):
    """The value a local $ref ("#/a/b") names; KeyError when it names none."""
    assert ref.startswith("#/"), f"not a local reference: {ref}"
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(node):
    """node, or what its $ref names (Reference Objects of responses,
    parameters, headers)."""
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(DOC, node["$ref"])
    return node


def walk(node, where="#"):
    """(where, dict) of every object in node, depth first."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}/{i}")


def schemas_of(doc=DOC):
    """(where, schema) of every Schema Object of the document: components,
    parameters, headers, request and response bodies."""
    for name, schema in doc["components"]["schemas"].items():
        yield f"#/components/schemas/{name}", schema
    for where, node in walk(doc):
        if where.startswith("#/components/schemas"):
            continue
        if "schema" in node and isinstance(node["schema"], dict) and (
                "in" in node or "content" not in node):
            yield f"{where}/schema", node["schema"]
        if "content" in node and isinstance(node["content"], dict):
            for media, obj in node["content"].items():
                if "schema" in obj:
                    yield f"{where}/content/{media}/schema", obj["schema"]


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    """RFC 3339 date-time with an offset (jsonschema needs an optional
    package for it)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
                        value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    datetime.datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", value.replace("t", "T")))
    return True


# The document as a resource that $refs name: "#/components/..." in a
# schema taken out of it becomes DOC_URI + "#/components/...".
DOC_URI = "urn:pgjob:openapi"


def absolute_refs(node):
    """node with its local $refs made to name DOC_URI."""
    if isinstance(node, dict):
        return {k: DOC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else absolute_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [absolute_refs(v) for v in node]
    return node


try:
    # jsonschema 4.18 and later: a referencing registry.
    import referencing
    import referencing.jsonschema

    REGISTRY = referencing.Registry().with_resource(
        DOC_URI, referencing.Resource.from_contents(
            DOC, default_specification=referencing.jsonschema.DRAFT202012))

    def validator(schema):
        """A Draft 2020-12 validator of schema whose $refs resolve in DOC."""
        return jsonschema.Draft202012Validator(absolute_refs(schema), registry=REGISTRY,
                                               format_checker=FORMATS)
except ImportError:
    # Debian 12's jsonschema 4.10: a RefResolver.
    def validator(schema):
        """A Draft 2020-12 validator of schema whose $refs resolve in DOC."""
        resolver = jsonschema.RefResolver(base_uri=DOC_URI, referrer=DOC, store={DOC_URI: DOC})
        return jsonschema.Draft202012Validator(absolute_refs(schema), resolver=resolver,
                                               format_checker=FORMATS)


def schema_errors(schema, instance):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator(schema).iter_errors(instance)]


# ---- answers against the document ----------------------------------------------

TEMPLATES = [(re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", UUID, re.escape(path)) + "$"), path)
             for path in DOC["paths"]]


def path_template(path):
    """The document's path that path is an instance of, or None."""
    for rx, template in TEMPLATES:
        if rx.match(path):
            return template
    return None


def header_value(schema, text):
    """A header's text as the type its schema says (simple style)."""
    schema = deref(schema)
    if schema.get("type") == "integer" and re.fullmatch(r"\d+", text):
        return int(text)
    return text


def check_answer(r, response, where):
    """Assert r is the documented response (a Response Object): its body
    against the media type's schema, its headers against theirs."""
    response = deref(response)
    head = r.request.method == "HEAD"
    content = response.get("content")
    ctype = r.headers.get("Content-Type", "")
    if content is None:
        assert r.content == b"", f"{where}: no body documented\n{describe(r)}"
    else:
        media = ctype.split(";")[0].strip().lower()
        assert media in content, f"{where}: Content-Type {ctype!r} is not one of " \
                                 f"{list(content)}\n{describe(r)}"
        if head:
            assert r.content == b"", f"{where}: HEAD with a body\n{describe(r)}"
        else:
            body = r.json() if media.endswith("json") else r.text
            errors = schema_errors(content[media]["schema"], body)
            assert not errors, f"{where}: the body does not match the schema:\n" + \
                "\n".join(errors) + f"\n{describe(r)}"
    documented = {name.lower(): deref(h) for name, h in response.get("headers", {}).items()}
    for name, h in documented.items():
        if name not in r.headers:
            assert not h.get("required"), f"{where}: no {name} header\n{describe(r)}"
            continue
        errors = schema_errors(h["schema"], header_value(h["schema"], r.headers[name]))
        assert not errors, f"{where}: header {name}: {errors}\n{describe(r)}"
    for name in API_HEADERS:
        assert name not in r.headers or name.lower() in documented, \
            f"{where}: header {name} is not documented for this answer\n{describe(r)}"


def check(r):
    """Assert the answer r (a requests Response) is one the document
    describes for its request; record (operationId, status) in SEEN;
    return r."""
    method = r.request.method
    path = urllib.parse.urlsplit(r.request.url).path
    status = str(r.status_code)
    template = path_template(path)
    item = DOC["paths"].get(template, {})
    op = item.get("get" if method == "HEAD" else method.lower())
    if op is None:
        # The router's answers: no such path, or not this method.
        name = "MethodNotAllowed" if template else "PathNotFound"
        response = DOC["components"]["responses"][name]
        expected = 405 if template else 404
        assert r.status_code == expected, f"{method} {path}: expected {expected}\n{describe(r)}"
        check_answer(r, response, f"{method} {path} ({name})")
        if template:
            allowed = [m.upper() for m in METHODS if m in item]
            allowed += ["HEAD"] if "GET" in allowed else []
            assert r.headers["Allow"] == ", ".join(sorted(allowed)), describe(r)
        SEEN.add(("none", status))
        return r
    where = f"{method} {template} ({op['operationId']}) {status}"
    assert status in op["responses"], \
        f"{where}: status not documented (documented: {list(op['responses'])})\n{describe(r)}"
    check_answer(r, op["responses"][status], where)
    SEEN.add((op["operationId"], status))
    return r


class Checked:
    """A web.Client whose every answer goes through check()."""

    def __init__(self, client):
        self.c = client

    def request(self, method, path, **kwargs):
        return check(self.c.request(method, path, **kwargs))

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.request("POST", path, json_body=json_body, **kwargs)

    def submit(self, type="echo", items=("a", "b"), headers=None, **fields):
        return self.post("/v1/jobs", {"type": type, "items": list(items), **fields},
                         headers=headers)

    def job(self, job_id, **kwargs):
        return self.get(f"/v1/jobs/{job_id}", **kwargs)


def expect(r, status, code=None):
    """Assert r's status (and problem code); return its JSON body, or None."""
    assert r.status_code == status, describe(r)
    if r.request.method == "HEAD" or "json" not in r.headers.get("Content-Type", ""):
        return None
    body = r.json()
    if code is not None:
        assert body.get("code") == code, describe(r)
    return body


def echoed(items):
    return [{"status": "completed", "output": item, "error": None} for item in items]


@pytest.fixture
def c(api):
    """The test account's client, checked."""
    return Checked(api.client)


def client_of(api, key=None, bearer=False):
    return Checked(api.client_for(key=key, bearer=bearer) if key is not None
                   else api.client_for(None))


# ---- the document itself ------------------------------------------------------

def test_paths_are_the_router_table():
    """The document's (method, path) set is the server's own route table,
    and each operationId is the route's name; HEAD stays implicit."""
    out = subprocess.run([web.fcgi_binary(), "--print-routes"], capture_output=True,
                         text=True, check=True, env=programs.clean_env(), timeout=30)
    routes = {}
    for line in out.stdout.splitlines():
        method, pattern, name = line.split(" ")
        routes[(method, pattern)] = name
    assert len(routes) >= 9, out.stdout
    documented = {(m, p): op["operationId"] for m, p, op in operations()}
    assert set(documented) == set(routes), (
        f"only in the router: {sorted(set(routes) - set(documented))}; "
        f"only in the document: {sorted(set(documented) - set(routes))}")
    assert documented == routes
    assert all(m != "HEAD" for m, _ in routes), "the router has HEAD routes now: document them"


def test_document_structure():
    assert DOC["openapi"] == "3.1.0"
    assert DOC.get("jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema") == \
        "https://json-schema.org/draft/2020-12/schema"
    assert isinstance(DOC["info"]["title"], str) and isinstance(DOC["info"]["version"], str)
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header",
                                 "name": "X-API-Key"}
    assert schemes["Bearer"]["type"] == "http" and schemes["Bearer"]["scheme"] == "bearer"
    assert DOC["security"] == [{"ApiKey": []}, {"Bearer": []}]
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids)), ids
    for method, path, op in operations():
        where = f"{method} {path}"
        open_route = path in ("/v1/health", "/metrics")
        assert op.get("security", DOC["security"]) == ([] if open_route else DOC["security"]), \
            where
        for requirement in op.get("security", DOC["security"]):
            assert set(requirement) <= set(schemes), where
        params = [deref(p) for p in op.get("parameters", [])]
        for p in params:
            assert set(p) >= {"name", "in", "schema"}, (where, p)
            assert p["in"] in ("query", "header", "path", "cookie"), (where, p)
            assert p["in"] != "path" or p.get("required") is True, (where, p)
        names = [(p["in"], p["name"].lower()) for p in params]
        assert len(names) == len(set(names)), (where, names)
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        assert in_path == {p["name"] for p in params if p["in"] == "path"}, where
        assert op["responses"], where
        for status, response in op["responses"].items():
            assert re.fullmatch(r"[1-5][0-9][0-9]", status), (where, status)
            response = deref(response)
            assert response["description"], (where, status)
            for name, h in response.get("headers", {}).items():
                assert name.lower() != "content-type", (where, status)
                assert "schema" in deref(h), (where, status, name)
        if method in ("GET", "HEAD", "DELETE"):
            assert "requestBody" not in op, where
    assert "requestBody" in DOC["paths"]["/v1/jobs"]["post"]


def test_every_ref_resolves_and_every_component_is_used():
    text = json.dumps(DOC)
    refs = 0
    for where, node in walk(DOC):
        if "$ref" in node:
            refs += 1
            try:
                pointer(DOC, node["$ref"])
            except (KeyError, IndexError, ValueError) as e:
                pytest.fail(f"{where}: $ref {node['$ref']} does not resolve ({e!r})")
    assert refs > 20
    for kind, components in DOC["components"].items():
        if kind == "securitySchemes":
            continue
        for name in components:
            assert f'"#/components/{kind}/{name}"' in text or \
                f"#/components/{kind}/{name}" in DOC["info"]["description"], \
                f"#/components/{kind}/{name} is never used"


def test_schemas_compile():
    found = list(schemas_of())
    assert len(found) > 30
    for where, schema in found:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            pytest.fail(f"{where}: {e.message}")
        # The validator the answers are checked with resolves every $ref
        # in it (validating anything walks all of them but behind a
        # oneOf/anyOf branch that is not taken; None takes most).
        for instance in (None, {}, []):
            list(validator(schema).iter_errors(instance))


def test_schemas_hold_what_they_promise():
    """A few fixed instances, so that a schema too loose to reject
    anything cannot pass the answer checks."""
    job = DOC["components"]["schemas"]["Job"]
    assert set(job["required"]) == set(job["properties"]) and len(job["required"]) == 26
    assert schema_errors({"$ref": "#/components/schemas/Job"}, {"id": "x"})
    assert schema_errors({"$ref": "#/components/schemas/Problem"},
                         {"type": "about:blank", "title": "Gone", "status": 410})
    assert schema_errors({"$ref": "#/components/schemas/Timestamp"}, "2026-13-40T00:00:00.000Z")
    assert schema_errors({"$ref": "#/components/schemas/SubmitRequest"},
                         {"type": "echo", "items": [1], "priorty": 3})
    assert not schema_errors({"$ref": "#/components/schemas/SubmitRequest"},
                             {"type": "echo", "items": [1], "priority": None,
                              "run_at": "2030-01-02T04:04:05.250+01:00", "metadata": {}})
    pointer_schema = {"$ref": "#/components/schemas/LargeResultPointer"}
    assert not schema_errors(pointer_schema, {"is_url": True, "url": f"/v1/jobs/{UNKNOWN_JOB}"
                                              "/results", "size_bytes": 9, "expires_at": None})


# ---- real answers ---------------------------------------------------------------

def test_submit_and_read_a_job_in_every_state(api, c):
    conn = api.conn
    first = expect(c.submit("echo", ["a", {"custom_id": "c1", "x": 1}], priority=7,
                            max_attempts=5, metadata={"batch": "b1"},
                            run_at="2030-01-02T04:04:05.250+01:00"), 202)
    assert first["results"] == []
    # The same keys in the same order as the document lists them.
    assert list(first) == list(DOC["components"]["schemas"]["Job"]["properties"])
    check(api.client.get(f"/v1/jobs/{first['id']}"))
    c.post(f"/v1/jobs/{first['id']}/cancel")
    ids = {}
    # Claimed from SQL, one at a time: each is the only due job then.
    ids["processing"] = expect(c.submit("echo", ["p", "q", "r"]), 202)["id"]
    attempt = sql_claim(conn, ids["processing"])
    assert sql_heartbeat(conn, ids["processing"], attempt, echoed(["p"])) == "running"
    ids["completed"] = expect(c.submit("echo", ["d"]), 202)["id"]
    sql_complete(conn, ids["completed"], sql_claim(conn, ids["completed"]), echoed(["d"]))
    ids["failed"] = expect(c.submit("echo", ["f"]), 202)["id"]
    assert sql_fail(conn, ids["failed"], sql_claim(conn, ids["failed"])) == "failed"
    ids["expired"] = expect(c.submit("echo", ["e"]), 202)["id"]
    sql_complete(conn, ids["expired"], sql_claim(conn, ids["expired"]), echoed(["e"]))
    sql_expire(conn, ids["expired"])
    ids["queued"] = expect(c.submit("echo", ["q"], headers={"Idempotency-Key": "k1"}),
                           202)["id"]
    ids["paused"] = expect(c.submit("echo", ["s"]), 202)["id"]
    expect(c.post(f"/v1/jobs/{ids['paused']}/pause"), 200)
    ids["canceled"] = expect(c.submit("echo", ["c"]), 202)["id"]
    expect(c.post(f"/v1/jobs/{ids['canceled']}/pause"), 200)
    expect(c.post(f"/v1/jobs/{ids['canceled']}/resume"), 200)
    expect(c.post(f"/v1/jobs/{ids['canceled']}/cancel"), 200)

    for status, job_id in ids.items():
        job = expect(c.job(job_id), 200)
        assert job["status"] == status
        expect(c.head(f"/v1/jobs/{job_id}"), 200)
        # Not modified, with the ETag it sent; Retry-After while unfinished.
        r = c.job(job_id, headers={"If-None-Match": f'W/"{job_id[:8]}-{job["version"]}"'})
        expect(r, 304)
        assert ("Retry-After" in r.headers) == (status in ("queued", "processing", "paused"))
        if status != "expired":
            page = expect(c.get(f"/v1/jobs/{job_id}/results?limit=1"), 200)
            assert page["status"] == status
    # Results of every state: partial while running, null once expired.
    assert expect(c.job(ids["processing"]), 200)["results"] == echoed(["p"])
    assert expect(c.job(ids["expired"]), 200)["results"] is None
    assert expect(c.job(ids["failed"]), 200)["error"] == {"code": "boom",
                                                          "message": "it broke"}
    # A read that asks to wait on a finished job answers at once.
    expect(c.job(ids["completed"], headers={"Prefer": "wait=2"}), 200)
    expect(c.get(f"/v1/jobs/{ids['queued']}?wait=0"), 200)
    # Idempotency: the same request answers the same job; another is 422.
    same = expect(c.submit("echo", ["q"], headers={"Idempotency-Key": "k1"}), 202)
    assert same["id"] == ids["queued"]
    expect(c.submit("echo", ["other"], headers={"Idempotency-Key": "k1"}), 422,
           "idempotency_key_reused")
    # The bearer form of the key answers the same.
    bearer = client_of(api, api.account.key, bearer=True)
    expect(bearer.job(ids["queued"]), 200)


def test_prefer_wait_that_runs_out_answers_202_with_preference_applied(api, c):
    start = time.monotonic()
    r = c.submit("echo", ["later"], run_at="2030-01-01T00:00:00Z", headers={"Prefer": "wait=1"})
    expect(r, 202)
    assert r.headers.get("Preference-Applied") == "wait=1", describe(r)
    assert time.monotonic() - start < 5


def test_finished_jobs_results_and_the_large_result_pointer(api, c, worker):
    worker()
    items = ["a", "b", {"custom_id": "c", "v": 3}, "d", "e"]
    r = c.submit("echo", items, headers={"Prefer": "wait=10", "Idempotency-Key": "done"})
    job = expect(r, 200)
    assert job["status"] == "completed", job
    assert r.headers.get("Content-Location") == f"/v1/jobs/{job['id']}"
    assert r.headers.get("Preference-Applied", "").startswith("wait=")
    # The same request again: the finished job, 200 at once.
    assert expect(c.submit("echo", items, headers={"Idempotency-Key": "done"}), 200)["id"] == \
        job["id"]
    got, cursor = [], ""
    for _ in range(5):
        page = expect(c.get(f"/v1/jobs/{job['id']}/results?limit=2"
                            + (f"&cursor={cursor}" if cursor else "")), 200)
        got += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(got) == 5 and got[2]["custom_id"] == "c"
    expect(c.head(f"/v1/jobs/{job['id']}/results"), 200)
    # large_result_bytes is 1024 (web.FCGI_CONF): these results are over it.
    big = expect(c.submit("echo", [ch * 600 for ch in "xyz"], headers={"Prefer": "wait=10"}),
                 200)
    assert big["results"]["is_url"] is True, big
    assert expect(c.job(big["id"]), 200)["results"] == big["results"]
    page = expect(c.get(big["results"]["url"]), 200)
    assert page["total"] == 3
    # Terminal jobs refuse every transition.
    for action in ("cancel", "pause", "resume"):
        expect(c.post(f"/v1/jobs/{big['id']}/{action}"), 409, "invalid_state")


def test_a_running_jobs_large_partial_results_are_a_pointer(api, c):
    job = expect(c.submit("echo", ["x" * 700, "y" * 700, "z"]), 202)
    attempt = sql_claim(api.conn, job["id"])
    sql_heartbeat(api.conn, job["id"], attempt, echoed(["x" * 700, "y" * 700]))
    running = expect(c.job(job["id"]), 200)
    assert running["results"]["is_url"] is True and running["results"]["expires_at"] is None
    paused = expect(c.post(f"/v1/jobs/{job['id']}/pause"), 200)
    assert paused["results"] == running["results"]
    assert expect(c.get(f"/v1/jobs/{job['id']}/results"), 200)["total"] == 2


def test_idempotent_replay_keeps_the_large_result_pointer(api, c, worker):
    worker()
    items = [ch * 600 for ch in "xyz"]
    headers = {"Idempotency-Key": "big"}
    first = expect(c.submit("echo", items, headers={**headers, "Prefer": "wait=10"}), 200)
    assert isinstance(first["results"], dict), first
    again = expect(c.submit("echo", items, headers=headers), 200)
    assert again["results"] == first["results"], \
        "docs/api.md: results at or over large_result_bytes are not inlined in the job"


def test_list_pages_and_filters(api, c):
    ids = [expect(c.submit("echo", [i]), 202)["id"] for i in range(5)]
    expect(c.post(f"/v1/jobs/{ids[0]}/cancel"), 200)
    seen, cursor = [], ""
    for _ in range(5):
        body = expect(c.get("/v1/jobs?limit=2" + (f"&cursor={cursor}" if cursor else "")), 200)
        seen += [j["id"] for j in body["jobs"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    assert [j["id"] for j in expect(c.get("/v1/jobs?status=canceled&type=echo"),
                                     200)["jobs"]] == [ids[0]]
    expect(c.get("/v1/jobs?created_after=2000-01-01T00:00:00Z&limit=1000"), 200)
    expect(c.head("/v1/jobs"), 200)
    for query, code in (("status=done", "invalid_field"), ("limit=0", "invalid_field"),
                        ("cursor=not-a-cursor", "invalid_cursor"),
                        ("created_after=yesterday", "invalid_field"),
                        ("limit=1&limit=2", "invalid_query")):
        expect(c.get(f"/v1/jobs?{query}"), 400, code)


SUBMIT_ERRORS = [
    # (body, content type, status, code)
    ('{"type": "echo", "items": [1,]}', "application/json", 400, "malformed_json"),
    ('[{"type": "echo"}]', "application/json", 400, "invalid_body"),
    ('{"type": "echo", "items": [1], "priorty": 3}', "application/json", 400, "unknown_field"),
    ('{"items": [1]}', "application/json", 400, "missing_field"),
    ('{"type": "echo", "items": [1], "priority": 1001}', "application/json", 400,
     "invalid_field"),
    ('{"type": "nosuchtype", "items": [1]}', "application/json", 422, "unknown_type"),
    ('{"type": "echo", "items": []}', "application/json", 422, "empty_items"),
    ('{"type": "echo", "items": [1, 2, 3, 4, 5, 6]}', "application/json", 422, "too_many_items"),
    ('{"type": "echo", "items": [1]}', "text/plain", 415, "unsupported_media_type"),
    # max_body_bytes is 8192 (web.FCGI_CONF).
    (json.dumps({"type": "echo", "items": ["x" * 9000]}), "application/json", 413,
     "body_too_large"),
]


def test_errors(api, c):
    job = expect(c.submit(), 202)
    job_routes = [("GET", f"/v1/jobs/{job['id']}"), ("GET", f"/v1/jobs/{job['id']}/results"),
                  ("POST", f"/v1/jobs/{job['id']}/pause"),
                  ("POST", f"/v1/jobs/{job['id']}/resume"),
                  ("POST", f"/v1/jobs/{job['id']}/cancel")]
    key_routes = [("GET", "/v1/jobs"), ("POST", "/v1/jobs")] + job_routes
    anonymous = client_of(api)
    wrong = client_of(api, "pgj_" + "0" * 64)
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    conflicting = {"Authorization": "Bearer pgj_" + "1" * 64}
    for method, path in key_routes:
        expect(anonymous.request(method, path), 401, "missing_api_key")
        expect(wrong.request(method, path), 401, "invalid_api_key")
        expect(anonymous.request(method, path, headers=basic), 401, "unsupported_auth_scheme")
        expect(c.request(method, path, headers=conflicting), 400, "conflicting_api_keys")
    for method, path in job_routes:
        expect(c.request(method, path.replace(job["id"], UNKNOWN_JOB)), 404, "job_not_found")
    expect(c.post(f"/v1/jobs/{job['id']}/resume"), 409, "invalid_state")
    for body, ctype, status, code in SUBMIT_ERRORS:
        expect(c.request("POST", "/v1/jobs", data=body.encode(),
                         headers={"Content-Type": ctype}), status, code)
    expect(c.submit(headers={"Idempotency-Key": "k" * 300}), 400, "invalid_field")
    expect(c.get(f"/v1/jobs/{job['id']}?wait=soon"), 400, "invalid_field")
    expect(c.get(f"/v1/jobs/{job['id']}/results?limit=0"), 400, "invalid_field")
    expect(c.get(f"/v1/jobs/{job['id']}/results?cursor=x"), 400, "invalid_cursor")
    # Expired: the job reads 200, its results 410.
    sql_complete(api.conn, job["id"], sql_claim(api.conn, job["id"]), echoed(["a", "b"]))
    sql_expire(api.conn, job["id"])
    expect(c.get(f"/v1/jobs/{job['id']}/results"), 410, "expired")
    expect(c.job(job["id"]), 200)
    # The router's answers: unknown paths, other methods (Allow).
    for path in ("/v1/nothing", "/v1/jobs/", "/v1/jobs/not-a-uuid",
                 f"/v1/jobs/{UNKNOWN_JOB}/explode", "/v1/health/x"):
        expect(c.get(path), 404, "not_found")
    for path in DOC["paths"]:
        concrete = path.replace("{id}", UNKNOWN_JOB)
        for method in ("PUT", "DELETE", "PATCH", "POST", "GET"):
            if method.lower() not in DOC["paths"][path]:
                expect(c.request(method, concrete), 405, "method_not_allowed")
    assert api.jobs() == 1


def test_get_routes_answer_head(api, c):
    """HEAD is implicit in the document: every GET route answers it with
    the GET's status and headers and no body."""
    job_id = expect(c.submit(), 202)["id"]
    for method, path, _ in operations():
        if method != "GET":
            continue
        concrete = path.replace("{id}", job_id)
        get = c.get(concrete)
        head = c.head(concrete)
        assert head.status_code == get.status_code, describe(head)
        assert head.content == b""
        same = ("Content-Type",) + API_HEADERS
        assert {k: get.headers.get(k) for k in same} == {k: head.headers.get(k) for k in same}, \
            describe(head)


def test_health_and_metrics(api):
    anonymous = client_of(api)
    assert expect(anonymous.get("/v1/health"), 200)["database"] == "up"
    r = anonymous.get("/metrics")
    expect(r, 200)
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert prometheus(r.text)


class DatabaseDown(web.Lighttpd):
    """A lighttpd whose pgjob.fcgi has no database: ready when /metrics
    answers, which it does without one."""

    def wait_ready(self):
        for _ in range(web.READY_TRIES):
            if not self.running():
                self.fail(f"{self.name} exited")
            try:
                if requests.get(self.url("/metrics"), timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(web.READY_PAUSE)  # pause between two bounded polls
        self.fail(f"{self.name}: /metrics never answered")


@pytest.fixture
def database_down(web, client):
    """A lighttpd whose database does not exist, and a client with a key
    (any key: it is looked up in that database)."""
    dsn = web.pg.dsn("pgjob_no_such_database")
    assert dsn != web.dsn
    server = DatabaseDown(web.fcgi_conf(database=dsn))
    try:
        server.start()
        yield server, Checked(client(server, "pgj_" + "2" * 64))
    finally:
        print(server.log_block())
        report = server.cleanup()
        if report:
            pytest.fail(report, pytrace=False)


def test_database_unavailable_is_503(database_down):
    server, c = database_down
    for method, path, _ in operations():
        if path == "/metrics":
            continue
        r = c.request(method, path.replace("{id}", UNKNOWN_JOB),
                      json_body={"type": "echo", "items": [1]} if method == "POST" else None)
        expect(r, 503, "db_unavailable")
    r = c.get("/metrics")
    expect(r, 200)
    samples = prometheus(r.text)
    assert web.metric(samples, "pgjob_database_up") == 0, r.text
    check_counted_statuses(samples, server.name)


# ---- every status seen ------------------------------------------------------------

def check_counted_statuses(samples, where):
    """Every (route, status) pgjob_http_requests_total counted is
    documented for that route (route "none": the router's 404 and 405, and
    the 400 and 413 of requests answered before routing, which the
    document's introduction describes)."""
    by_id = {op["operationId"]: op for _, _, op in operations()}
    counted = {(dict(labels)["route"], dict(labels)["status"])
               for (name, labels), value in samples.items()
               if name == "pgjob_http_requests_total" and value > 0}
    assert counted, where
    print(f"{where} counted: {sorted(counted)}")
    undocumented = sorted((route, status) for route, status in counted
                          if not (route == "none" and status in ("400", "404", "405", "413"))
                          and status not in by_id.get(route, {}).get("responses", {}))
    assert not undocumented, f"{where} answered statuses the document does not list: " \
                             f"{undocumented}"


def test_every_status_answered_is_documented(web, client, request):
    """The statuses of this run: every answer this module checked (SEEN),
    and every (route, status) the shared lighttpd's pgjob.fcgi counted in
    the session (other modules' requests too).  Then, when the whole
    module ran, every documented status but UNPROVOKED was seen: the
    document lists nothing the tests cannot show."""
    server = web.shared("lighttpd")
    r = check(client(server).get("/metrics"))
    check_counted_statuses(prometheus(r.text), server.name)
    by_id = {op["operationId"]: op for _, _, op in operations()}
    for route, status in SEEN:
        assert route == "none" or status in by_id[route]["responses"], (route, status)
    module_tests = [i for i in request.session.items if i.module is request.module]
    if len(module_tests) < len([n for n in dir(request.module) if n.startswith("test_")]):
        pytest.skip("not the whole module ran: the coverage of statuses is not known")
    missing = sorted((op_id, status) for op_id, op in by_id.items()
                     for status in op["responses"]
                     if status not in UNPROVOKED and (op_id, status) not in SEEN)
    assert not missing, f"documented but never answered in this run: {missing}"
