# SPDX-License-Identifier: MIT
"""The read functions of sql/004_api.sql: get_job, list_jobs, get_results,
queue_depth.  Every read is scoped to the account."""

import pytest

from jobs_helpers import (claim_one, complete_one, expire, heartbeat, new_account,
                          pause, pg_error, row, rows, submit, value)


@pytest.fixture
def acct(conn):
    return new_account(conn)


def get_job(conn, account, job_id, inline_max=None):
    return row(conn, "SELECT * FROM pgjob.get_job(%s, %s, %s)", (account, job_id, inline_max))


def list_jobs(conn, account, **kw):
    args = dict(p_status=None, p_type=None, p_created_after=None, p_before_created=None,
                p_before_id=None, p_limit=50)
    args.update({f"p_{k}": v for k, v in kw.items()})
    return rows(conn, "SELECT * FROM pgjob.list_jobs(%s, %s, %s, %s, %s, %s, %s)",
                (account, args["p_status"], args["p_type"], args["p_created_after"],
                 args["p_before_created"], args["p_before_id"], args["p_limit"]))


def get_results(conn, account, job_id, offset=0, limit=100):
    return row(conn, "SELECT * FROM pgjob.get_results(%s, %s, %s, %s)",
               (account, job_id, offset, limit))


def test_get_job_is_scoped_to_the_account(conn, acct):
    jid = submit(conn, acct, "echo", [1, 2])
    other = new_account(conn)
    j = get_job(conn, acct, jid)
    assert (j["status"], j["item_count"], j["version"]) == ("queued", 2, 1)
    assert "items" not in j and "request_hash" not in j and "account_id" not in j
    assert get_job(conn, other, jid) is None


def test_get_job_inlines_results_under_the_threshold_only(conn, acct):
    jid = submit(conn, acct, "echo", ["a", "b", "c"])
    attempt = claim_one(conn, jid)["attempt"]
    results = [{"status": "completed", "output": "x" * 100, "error": None}] * 3
    complete_one(conn, jid, attempt, results=results)
    j = get_job(conn, acct, jid)
    size = j["results_bytes"]
    assert size == len(value(conn, "SELECT results::text FROM pgjob.job WHERE id = %s", (jid,)))
    assert get_job(conn, acct, jid, size + 1)["results"] == results
    assert get_job(conn, acct, jid, size)["results"] is None
    assert get_job(conn, acct, jid, size)["results_bytes"] == size


def test_list_jobs_newest_first_with_cursor_paging(conn, acct):
    ids = [submit(conn, acct, "echo", [i]) for i in range(7)]
    other = new_account(conn)
    submit(conn, other, "echo", [0])
    seen, before = [], (None, None)
    while True:
        page = list_jobs(conn, acct, limit=3, before_created=before[0], before_id=before[1])
        if not page:
            break
        seen += [r["id"] for r in page]
        before = (page[-1]["created_at"], page[-1]["id"])
    assert seen == list(reversed(ids))
    assert all(r["results"] is None for r in list_jobs(conn, acct))


def test_list_jobs_filters(conn, acct):
    a = submit(conn, acct, "echo", [1])
    b = submit(conn, acct, "other", [1])
    pause(conn, acct, b)
    assert [r["id"] for r in list_jobs(conn, acct, status="paused")] == [b]
    assert [r["id"] for r in list_jobs(conn, acct, type="echo")] == [a]
    after = value(conn, "SELECT created_at FROM pgjob.job WHERE id = %s", (a,))
    assert {r["id"] for r in list_jobs(conn, acct, created_after=after)} <= {b}


@pytest.mark.parametrize("kw, column", [
    ({"status": "bogus"}, "status"),
    ({"limit": 0}, "limit"),
    ({"limit": 1001}, "limit"),
    ({"before_id": "00000000-0000-0000-0000-000000000000"}, "cursor"),
])
def test_list_jobs_rejects_bad_arguments(conn, acct, kw, column):
    with pg_error("PJ400", column=column):
        list_jobs(conn, acct, **kw)


def test_get_results_pages_partial_results_while_running(conn, acct):
    jid = submit(conn, acct, "echo", list(range(5)))
    attempt = claim_one(conn, jid)["attempt"]
    partial = [{"status": "completed", "output": i, "error": None} for i in range(3)]
    assert heartbeat(conn, jid, attempt, items_done=3, items_failed=0,
                     results=partial)["state"] == "running"
    page = get_results(conn, acct, jid, offset=1, limit=10)
    assert (page["results"], page["total"], page["status"]) == (partial[1:], 3, "processing")
    assert get_results(conn, acct, jid, offset=3)["results"] == []


def test_get_results_errors(conn, acct):
    jid = submit(conn, acct, "echo", [1])
    with pg_error("PJ404"):
        get_results(conn, new_account(conn), jid)
    with pg_error("PJ400", column="cursor"):
        get_results(conn, acct, jid, offset=-1)
    with pg_error("PJ400", column="limit"):
        get_results(conn, acct, jid, limit=0)
    attempt = claim_one(conn, jid)["attempt"]
    complete_one(conn, jid, attempt, results=["r"])
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 s',"
                          " sweep_at = now() - interval '1 s'")
    assert expire(conn) == 1
    with pg_error("PJ410"):
        get_results(conn, acct, jid)


def test_queue_depth_counts_live_jobs(conn, acct):
    a, b, c = (submit(conn, acct, "echo", [i]) for i in range(3))
    claim_one(conn, a)
    pause(conn, acct, b)
    depth = {r["status"]: r["jobs"] for r in rows(conn, "SELECT * FROM pgjob.queue_depth()")}
    assert depth == {"queued": 1, "processing": 1, "paused": 1}
