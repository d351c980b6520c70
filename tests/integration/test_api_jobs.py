# SPDX-License-Identifier: MIT
"""The job routes of the native API (v1) through lighttpd and the real
pgjob.fcgi: submit, read (ETag, long-poll), list, cancel/pause/resume and
results, against the shared database of tests/integration/web.py.

Jobs finish only when something runs them: the real pgjobd (the `worker`
fixture) for end-to-end runs, or the state machine's SQL functions
(claim, heartbeat, complete, fail, expire) to put a job in an exact state.
Nothing sleeps: waits are bounded polls or a long-poll's own timing.
"""

import datetime
import threading
import time

import pytest

pytest.register_assert_rewrite("web")
from web import (describe, metric, poll, problem, prometheus, sql_claim,  # noqa: E402
                 sql_complete, sql_expire, sql_fail, sql_heartbeat)

pytest_plugins = ("web",)

# The keys of a job, in this order, in every state (cgi/job_view.h).
JOB_KEYS = [
    "id", "type", "status", "item_count", "items_done", "items_failed",
    "attempt_count", "max_attempts", "priority", "run_at", "created_at",
    "started_at", "completed_at", "updated_at", "expires_at", "processing_ms",
    "validation_flags", "confidence", "model", "cache_hit", "error", "metadata",
    "idempotency_key", "version", "results", "results_url",
]

TERMINAL = ("completed", "failed", "canceled", "expired")


def echoed(items):
    """The results the echo handler gives for items."""
    return [{"status": "completed", "output": item, "error": None} for item in items]


def check_job(r, status, code=200, retry="1"):
    """Assert r is a job answer with status code and job status, and
    Retry-After `retry` (retry_after_seconds) if the job is not finished;
    return the job."""
    assert r.status_code == code, describe(r)
    assert r.headers["Content-Type"].startswith("application/json"), describe(r)
    job = r.json()
    assert list(job) == JOB_KEYS, describe(r)
    assert job["status"] == status, describe(r)
    assert job["results_url"] == f"/v1/jobs/{job['id']}/results"
    etag = r.headers.get("ETag")
    assert etag == f'W/"{job["id"][:8]}-{job["version"]}"', describe(r)
    if status in TERMINAL:
        assert "Retry-After" not in r.headers, describe(r)
    else:
        assert r.headers.get("Retry-After") == retry, describe(r)
    return job


def submitted(r, retry="1"):
    """Assert r answered a new job (202, Location); return the job."""
    job = check_job(r, "queued", 202, retry)
    assert r.headers["Location"] == f"/v1/jobs/{job['id']}", describe(r)
    return job


def wait_job(api, job_id, status, timeout=30):
    """Poll GET /v1/jobs/{id} until the job has status; return it."""
    def check():
        r = api.client.job(job_id)
        assert r.status_code == 200, describe(r)
        return r.json() if r.json()["status"] == status else None
    return poll(f"job {job_id} to be {status}", check, timeout=timeout, logs=api.logs)


def rfc3339(text):
    assert text.endswith("Z"), text
    return datetime.datetime.fromisoformat(text[:-1] + "+00:00")


# ---- submit ---------------------------------------------------------------------

def test_submit_answers_202_with_location_and_the_job(api):
    r = api.client.submit("echo", ["a", {"custom_id": "c1", "x": 1}], priority=7,
                          max_attempts=5, metadata={"batch": "b1", "n": 12},
                          run_at="2030-01-02T03:04:05Z")
    job = submitted(r)
    assert job["type"] == "echo"
    assert job["item_count"] == 2 and job["items_done"] == 0 and job["items_failed"] == 0
    assert job["attempt_count"] == 0 and job["max_attempts"] == 5
    assert job["priority"] == 7
    assert job["run_at"] == "2030-01-02T03:04:05.000Z"
    assert job["metadata"] == {"batch": "b1", "n": 12}
    assert job["results"] == [] and job["error"] is None
    assert job["idempotency_key"] is None
    assert job["version"] == 1
    created = rfc3339(job["created_at"])
    assert abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) < 60
    # The Location is where the job is.
    again = api.client.get(r.headers["Location"])
    assert check_job(again, "queued") == job
    assert api.jobs() == 1


def test_submit_keeps_every_digit_of_numbers(api):
    """Items and metadata are stored from the body's text (validate.h:
    "keeps every digit a client sent"), so decimals beyond a double's
    precision are kept as sent.  (Integers past 64 bits are refused:
    pgjobd could not read them back; test_hostile.py.)"""
    body = ('{"type": "echo", "items": [9223372036854775807, 0.10000000000000000001, 1.50],'
            ' "metadata": {"n": 0.98765432109876543210}}')
    r = api.client.post("/v1/jobs", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 202, describe(r)
    # The metadata is copied as PostgreSQL writes jsonb ("n": with a space).
    assert "0.98765432109876543210" in r.text
    with api.conn.cursor() as cur:
        cur.execute("SELECT items::text FROM pgjob.job WHERE id = %s", (r.json()["id"],))
        assert cur.fetchone()[0] == "[9223372036854775807, 0.10000000000000000001, 1.50]"


def test_run_at_with_an_offset_is_shown_in_utc(api):
    job = submitted(api.client.submit(run_at="2030-01-02T04:04:05.250+01:00"))
    assert job["run_at"] == "2030-01-02T03:04:05.250Z"


def test_submit_defaults(api):
    job = submitted(api.client.submit("echo", [1]))
    assert job["priority"] == 0 and job["max_attempts"] == 3 and job["metadata"] == {}
    assert abs((rfc3339(job["run_at"]) - rfc3339(job["created_at"])).total_seconds()) < 1


def test_idempotency_key_returns_the_same_job_for_the_same_request(api):
    headers = {"Idempotency-Key": "order-42"}
    first = submitted(api.client.submit("echo", ["a"], headers=headers))
    assert first["idempotency_key"] == "order-42"
    again = api.client.submit("echo", ["a"], headers=headers)
    assert again.status_code in (200, 202), describe(again)
    assert again.json()["id"] == first["id"]
    assert again.headers["Location"] == f"/v1/jobs/{first['id']}"
    other = api.client.submit("echo", ["b"], headers=headers)
    problem(other, 422, "idempotency_key_reused")
    # Another account may use the same key for its own job.
    stranger = api.client_for(api.new_account())
    theirs = submitted(stranger.submit("echo", ["b"], headers=headers))
    assert theirs["id"] != first["id"]
    assert api.jobs() == 1


def test_prefer_wait_answers_200_with_the_finished_job(api, worker):
    worker()
    r = api.client.submit("echo", ["x", "y"], headers={"Prefer": "wait=5"})
    job = check_job(r, "completed", 200)
    assert r.headers.get("Preference-Applied", "").startswith("wait="), describe(r)
    assert job["results"] == echoed(["x", "y"])
    assert job["items_done"] == 2 and job["attempt_count"] == 1
    assert job["completed_at"] is not None and job["expires_at"] is not None
    assert job["processing_ms"] is not None


def test_prefer_wait_without_a_worker_answers_202_after_the_wait(api):
    start = time.monotonic()
    r = api.client.submit("echo", ["x"], headers={"Prefer": "wait=5"})
    elapsed = time.monotonic() - start
    submitted(r)
    # wait_max_seconds = 2 caps the wait.
    assert 1.8 <= elapsed < 4.5, f"answered after {elapsed:.2f}s"
    assert r.headers.get("Preference-Applied", "").startswith("wait="), describe(r)


# ---- read ------------------------------------------------------------------------

def test_get_job_in_every_state(api):
    conn, c = api.conn, api.client
    ids = {}
    # Claimed from SQL, one at a time: each is the only due job then.
    ids["processing"] = submitted(c.submit("echo", ["p"]))["id"]
    sql_claim(conn, ids["processing"])
    ids["completed"] = submitted(c.submit("echo", ["d"]))["id"]
    sql_complete(conn, ids["completed"], sql_claim(conn, ids["completed"]), echoed(["d"]))
    ids["failed"] = submitted(c.submit("echo", ["f"]))["id"]
    assert sql_fail(conn, ids["failed"], sql_claim(conn, ids["failed"])) == "failed"
    ids["expired"] = submitted(c.submit("echo", ["e"]))["id"]
    sql_complete(conn, ids["expired"], sql_claim(conn, ids["expired"]), echoed(["e"]))
    sql_expire(conn, ids["expired"])
    ids["queued"] = submitted(c.submit("echo", ["q"]))["id"]
    ids["paused"] = submitted(c.submit("echo", ["s"]))["id"]
    check_job(c.post(f"/v1/jobs/{ids['paused']}/pause"), "paused")
    ids["canceled"] = submitted(c.submit("echo", ["c"]))["id"]
    check_job(c.post(f"/v1/jobs/{ids['canceled']}/cancel"), "canceled")

    jobs = {status: check_job(c.job(job_id), status) for status, job_id in ids.items()}
    assert jobs["processing"]["attempt_count"] == 1
    assert jobs["processing"]["started_at"] is not None
    assert jobs["completed"]["results"] == echoed(["d"])
    assert jobs["completed"]["processing_ms"] == 7
    assert jobs["failed"]["error"] == {"code": "boom", "message": "it broke"}
    assert jobs["canceled"]["error"]["code"] == "canceled"
    assert jobs["expired"]["results"] is None
    for status in ("completed", "failed", "canceled", "expired"):
        assert jobs[status]["completed_at"] is not None, jobs[status]
        assert jobs[status]["expires_at"] is not None, jobs[status]
    for status in ("queued", "paused"):
        assert jobs[status]["started_at"] is None and jobs[status]["completed_at"] is None


def test_head_job_has_the_headers_and_no_body(api):
    job = submitted(api.client.submit())
    r = api.client.request("HEAD", f"/v1/jobs/{job['id']}")
    assert r.status_code == 200, describe(r)
    assert r.content == b""
    assert r.headers["ETag"] == f'W/"{job["id"][:8]}-1"'


def test_etag_and_if_none_match(api):
    job = submitted(api.client.submit())
    path = f"/v1/jobs/{job['id']}"
    first = api.client.get(path)
    etag = first.headers["ETag"]
    r = api.client.get(path, headers={"If-None-Match": etag})
    assert r.status_code == 304, describe(r)
    assert r.content == b""
    assert r.headers.get("ETag") == etag
    # A job that is not finished keeps telling when to poll again.
    assert r.headers.get("Retry-After") is not None, describe(r)
    r = api.client.get(path, headers={"If-None-Match": f'"nope", {etag}'})
    assert r.status_code == 304, describe(r)
    r = api.client.get(path, headers={"If-None-Match": '"other"'})
    check_job(r, "queued")
    # A change makes a new ETag: the old one no longer matches.
    api.client.post(f"{path}/pause")
    r = api.client.get(path, headers={"If-None-Match": etag})
    paused = check_job(r, "paused")
    assert paused["version"] == 2 and r.headers["ETag"] != etag


def long_poll(client, path, headers=None):
    """Start GET path in a thread; returns (thread, box): box gets
    "response" and "at" (monotonic time of the answer)."""
    box = {}

    def run():
        try:
            box["response"] = client.get(path, headers=headers)
        except Exception as e:  # reported by the test
            box["error"] = e
        box["at"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def waiters(client):
    samples = prometheus(client.get("/metrics").text)
    return metric(samples, "pgjob_waiters")


@pytest.fixture
def patient(api, lighttpd, client):
    """A client of api's account on a lighttpd of its own whose long-polls
    last up to 10 s, so that a change is seen long before the cap even on
    a busy machine."""
    return client(lighttpd(wait_max_seconds=10, retry_after_seconds=3), api.account.key)


def test_long_poll_returns_as_soon_as_the_job_changes(api, patient):
    job = submitted(patient.submit(), retry="3")
    start = time.monotonic()
    thread, box = long_poll(patient, f"/v1/jobs/{job['id']}?wait=10")
    # The request holds a long-poll now (one process: the gauge is its own).
    poll("the long-poll to be held", lambda: waiters(patient) >= 1 or "response" in box,
         timeout=8, logs=api.logs)
    assert "response" not in box, "the long-poll answered before the job changed"
    changed = time.monotonic()
    with api.conn.cursor() as cur:
        cur.execute("SELECT pgjob.cancel(%s, %s)", (api.account.account_id, job["id"]))
    thread.join(timeout=15)
    assert "response" in box, box
    got = check_job(box["response"], "canceled")
    assert got["version"] == 2
    assert box["at"] - changed < 1.5, f"answered {box['at'] - changed:.2f}s after the change"
    assert box["at"] - start < 9, "answered at the cap, not at the change"
    assert waiters(patient) == 0


def test_long_poll_wakes_when_a_worker_finishes_the_job(api, patient, worker):
    job = submitted(patient.submit("echo", ["w"]), retry="3")
    start = time.monotonic()
    thread, box = long_poll(patient, f"/v1/jobs/{job['id']}?wait=10")
    poll("the long-poll to be held", lambda: waiters(patient) >= 1 or "response" in box,
         timeout=8, logs=api.logs)
    worker()
    thread.join(timeout=15)
    got = box["response"].json()
    # The first change answers: the claim (processing) or, if the worker
    # was quicker than the re-read, the completion.
    assert got["status"] in ("processing", "completed"), got
    assert box["at"] - start < 9, "answered at the cap, not at the change"
    wait_job(api, job["id"], "completed")


def test_long_poll_returns_at_the_cap_when_nothing_changes(api):
    job = submitted(api.client.submit())
    start = time.monotonic()
    r = api.client.get(f"/v1/jobs/{job['id']}?wait=3")
    elapsed = time.monotonic() - start
    assert check_job(r, "queued") == job
    # wait=3 is capped by wait_max_seconds = 2.
    assert 1.8 <= elapsed < 4.0, f"answered after {elapsed:.2f}s"
    # Prefer: wait=N on a read works the same.
    start = time.monotonic()
    r = api.client.job(job["id"], headers={"Prefer": "wait=1"})
    elapsed = time.monotonic() - start
    check_job(r, "queued")
    assert 0.8 <= elapsed < 3.0, f"answered after {elapsed:.2f}s"


def test_long_poll_on_a_finished_job_answers_at_once(api):
    job = submitted(api.client.submit())
    api.client.post(f"/v1/jobs/{job['id']}/cancel")
    start = time.monotonic()
    check_job(api.client.get(f"/v1/jobs/{job['id']}?wait=2"), "canceled")
    assert time.monotonic() - start < 1.5


def test_bad_wait_is_400(api):
    job = submitted(api.client.submit())
    for wait in ("soon", "-1", "1.5", "%zz"):
        problem(api.client.get(f"/v1/jobs/{job['id']}?wait={wait}"), 400, field="wait")
    start = time.monotonic()
    check_job(api.client.get(f"/v1/jobs/{job['id']}?wait=0"), "queued")
    assert time.monotonic() - start < 1.5


def test_job_ids_are_case_insensitive(api):
    job = submitted(api.client.submit())
    r = api.client.job(job["id"].upper())
    assert check_job(r, "queued")["id"] == job["id"]


# ---- list -------------------------------------------------------------------------

def list_page(client, query=""):
    r = client.get(f"/v1/jobs{query}")
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert list(body) == ["jobs", "next_cursor"], body
    for job in body["jobs"]:
        assert list(job) == JOB_KEYS, job
    return body


def test_list_pages_newest_first(api):
    ids = [submitted(api.client.submit("echo", [i]))["id"] for i in range(25)]
    newest_first = ids[::-1]
    seen, pages, cursor = [], [], None
    while True:
        query = "?limit=10" + (f"&cursor={cursor}" if cursor else "")
        body = list_page(api.client, query)
        pages.append(len(body["jobs"]))
        seen += [j["id"] for j in body["jobs"]]
        cursor = body["next_cursor"]
        if cursor == "":
            break
        assert len(pages) < 5, pages
    assert pages == [10, 10, 5]
    assert seen == newest_first
    # The default page holds them all, newest first; listings carry no results.
    body = list_page(api.client)
    assert [j["id"] for j in body["jobs"]] == newest_first and body["next_cursor"] == ""
    assert all(j["results"] is None for j in body["jobs"])
    # A page that ends exactly at the last job may have a cursor; the page
    # after it is then empty with "".
    body = list_page(api.client, "?limit=25")
    assert len(body["jobs"]) == 25
    if body["next_cursor"]:
        rest = list_page(api.client, f"?limit=25&cursor={body['next_cursor']}")
        assert rest == {"jobs": [], "next_cursor": ""}


def test_list_filters(api):
    c = api.client
    echo = [submitted(c.submit("echo", [i]))["id"] for i in range(4)]
    gated = submitted(c.submit("gated", [1]))["id"]
    c.post(f"/v1/jobs/{echo[1]}/cancel")
    c.post(f"/v1/jobs/{echo[2]}/pause")

    def ids(query):
        return [j["id"] for j in list_page(c, query)["jobs"]]

    assert ids("?status=canceled") == [echo[1]]
    assert ids("?status=paused") == [echo[2]]
    assert ids("?status=queued") == [gated, echo[3], echo[0]]
    assert ids("?type=gated") == [gated]
    assert ids("?type=echo&status=queued") == [echo[3], echo[0]]
    assert ids("?status=failed") == []
    # The API shows milliseconds; the filter compares the stored
    # microseconds, so take those.
    with api.conn.cursor() as cur:
        cur.execute("SELECT to_char(created_at AT TIME ZONE 'UTC',"
                    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM pgjob.job WHERE id = %s",
                    (echo[1],))
        created = cur.fetchone()[0]
    assert ids(f"?created_after={created}") == [gated, echo[3], echo[2]]
    assert ids("?created_after=2000-01-01T00:00:00Z&limit=2") == [gated, echo[3]]
    problem(c.get("/v1/jobs?status=done"), 400, field="status")
    problem(c.get("/v1/jobs?created_after=yesterday"), 400, field="created_after")
    problem(c.get("/v1/jobs?limit=0"), 400, field="limit")
    problem(c.get("/v1/jobs?limit=1001"), 400, field="limit")
    problem(c.get("/v1/jobs?cursor=not-a-cursor"), 400, "invalid_cursor")


def test_list_never_shows_another_accounts_jobs(api):
    mine = submitted(api.client.submit())["id"]
    stranger = api.client_for(api.new_account())
    theirs = submitted(stranger.submit())["id"]
    assert [j["id"] for j in list_page(api.client)["jobs"]] == [mine]
    assert [j["id"] for j in list_page(stranger)["jobs"]] == [theirs]
    assert list_page(api.client, "?status=queued&type=echo")["jobs"][0]["id"] == mine


# ---- cancel, pause, resume ---------------------------------------------------------

def test_pause_resume_cancel_and_conflicts(api):
    c = api.client
    job = submitted(c.submit())
    path = f"/v1/jobs/{job['id']}"
    paused = check_job(c.post(f"{path}/pause"), "paused")
    assert paused["version"] == 2
    problem(c.post(f"{path}/pause"), 409, "invalid_state")
    resumed = check_job(c.post(f"{path}/resume"), "queued")
    assert resumed["version"] == 3
    problem(c.post(f"{path}/resume"), 409, "invalid_state")
    canceled = check_job(c.post(f"{path}/cancel"), "canceled")
    assert canceled["error"]["code"] == "canceled"
    for action in ("cancel", "pause", "resume"):
        problem(c.post(f"{path}/{action}"), 409, "invalid_state")
    assert api.status(job["id"]) == "canceled"


def test_cancel_a_processing_job(api):
    job = submitted(api.client.submit())
    sql_claim(api.conn, job["id"])
    check_job(api.client.post(f"/v1/jobs/{job['id']}/pause"), "paused")
    check_job(api.client.post(f"/v1/jobs/{job['id']}/resume"), "queued")
    sql_claim(api.conn, job["id"])
    check_job(api.client.post(f"/v1/jobs/{job['id']}/cancel"), "canceled")


def test_actions_on_finished_jobs_are_409(api):
    job = submitted(api.client.submit())
    sql_complete(api.conn, job["id"], sql_claim(api.conn, job["id"]), echoed(["a", "b"]))
    for action in ("cancel", "pause", "resume"):
        problem(api.client.post(f"/v1/jobs/{job['id']}/{action}"), 409, "invalid_state")


def test_actions_on_unknown_or_foreign_jobs_are_404(api):
    theirs = submitted(api.client_for(api.new_account()).submit())["id"]
    for job_id in (theirs, "00000000-0000-4000-8000-000000000000"):
        for action in ("cancel", "pause", "resume"):
            problem(api.client.post(f"/v1/jobs/{job_id}/{action}"), 404, "job_not_found")
    assert api.status(theirs) == "queued"


# ---- results ---------------------------------------------------------------------

def results_page(client, job_id, query=""):
    r = client.get(f"/v1/jobs/{job_id}/results{query}")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("application/json"), describe(r)
    return r.json()


def test_results_pages(api, worker):
    worker()
    items = ["a", "b", {"custom_id": "c", "v": 3}, "d", "e"]
    job = check_job(api.client.submit("echo", items, headers={"Prefer": "wait=5"}),
                    "completed")
    expected = echoed(items)
    expected[2]["custom_id"] = "c"
    got, sizes, cursor = [], [], None
    while True:
        page = results_page(api.client, job["id"],
                            "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert page["total"] == 5 and page["status"] == "completed"
        sizes.append(len(page["results"]))
        got += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert len(sizes) < 5, sizes
    assert sizes == [2, 2, 1]
    assert got == expected
    whole = results_page(api.client, job["id"])
    assert whole["results"] == expected and whole["next_cursor"] == ""
    past = results_page(api.client, job["id"], "?cursor=10")
    assert past["results"] == [] and past["next_cursor"] == "" and past["total"] == 5
    problem(api.client.get(f"/v1/jobs/{job['id']}/results?limit=0"), 400, field="limit")
    problem(api.client.get(f"/v1/jobs/{job['id']}/results?cursor=x"), 400, field="cursor")


def test_partial_results_while_the_job_runs(api):
    job = submitted(api.client.submit("echo", ["a", "b", "c", "d"]))
    attempt = sql_claim(api.conn, job["id"])
    assert sql_heartbeat(api.conn, job["id"], attempt, echoed(["a", "b"])) == "running"
    page = results_page(api.client, job["id"])
    assert page["status"] == "processing" and page["total"] == 2
    assert page["results"] == echoed(["a", "b"]) and page["next_cursor"] == ""
    running = check_job(api.client.job(job["id"]), "processing")
    assert running["items_done"] == 2 and running["results"] == echoed(["a", "b"])
    sql_complete(api.conn, job["id"], attempt, echoed(["a", "b", "c", "d"]))
    page = results_page(api.client, job["id"], "?limit=3")
    assert page["total"] == 4 and page["status"] == "completed"
    assert len(page["results"]) == 3 and page["next_cursor"] != ""


def test_partial_results_of_a_running_exec_job(api, worker, tmp_path):
    worker()
    gate = str(tmp_path / "gate")
    job = submitted(api.client.submit("gated", [1, 2, 3], metadata={"gate": gate}))

    def partial():
        page = results_page(api.client, job["id"])
        return page if page["total"] >= 1 else None

    page = poll("a partial result", partial, timeout=20, logs=api.logs)
    assert page["status"] == "processing", page
    assert page["results"][0] == {"status": "completed", "output": 1, "error": None}
    assert page["total"] < 3
    with open(gate, "w"):
        pass
    done = wait_job(api, job["id"], "completed")
    assert done["results"] == echoed([1, 2, 3])


def test_results_of_an_expired_job_are_410(api):
    job = submitted(api.client.submit())
    sql_complete(api.conn, job["id"], sql_claim(api.conn, job["id"]), echoed(["a", "b"]))
    sql_expire(api.conn, job["id"])
    problem(api.client.get(f"/v1/jobs/{job['id']}/results"), 410, "expired")
    expired = check_job(api.client.job(job["id"]), "expired")
    assert expired["results"] is None


def test_results_of_unknown_or_foreign_jobs_are_404(api):
    theirs = submitted(api.client_for(api.new_account()).submit())["id"]
    problem(api.client.get(f"/v1/jobs/{theirs}/results"), 404, "job_not_found")
    problem(api.client.get("/v1/jobs/00000000-0000-4000-8000-000000000000/results"), 404,
            "job_not_found")


def test_large_results_are_behind_a_pointer(api, worker):
    worker()
    # large_result_bytes = 1024: three items of 600 characters are over it.
    items = [c * 600 for c in "xyz"]
    job = check_job(api.client.submit("echo", items, headers={"Prefer": "wait=5"}),
                    "completed")
    pointer = job["results"]
    assert isinstance(pointer, dict), job
    assert pointer["is_url"] is True
    assert pointer["url"] == f"/v1/jobs/{job['id']}/results/full"
    assert pointer["size_bytes"] >= 1800
    assert pointer["expires_at"] == job["expires_at"]
    # No results_url_secret here: no signed URL.
    assert "signed_url" not in pointer
    # The same pointer on a read, and every result where it points, at once.
    assert api.client.job(job["id"]).json()["results"] == pointer
    full = api.client.get(pointer["url"])
    assert full.status_code == 200, describe(full)
    assert full.json() == {"job_id": job["id"], "status": "completed", "total": 3,
                           "results": echoed(items)}
    page = results_page(api.client, job["id"])
    assert page["results"] == echoed(items) and page["total"] == 3
    # A small job's results stay inline.
    small = check_job(api.client.submit("echo", ["s"], headers={"Prefer": "wait=5"}),
                      "completed")
    assert small["results"] == echoed(["s"])
