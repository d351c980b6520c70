# SPDX-License-Identifier: MIT
"""sql/010_documents.sql: document bytes kept out of the claim, fetched by
the attempt that holds the job, and the result cache that completes an
identical submit at once (pgjob.submit_document, pgjob.document_fetch,
the terminal trigger, pgjob.result_cache_prune)."""

import datetime
import hashlib
import threading

import psycopg2
import pytest
from psycopg2.extras import Json

from jobs_helpers import (Listener, check_invariants, claim_one, complete_one,
                          cancel, expire, fail_one, job, new_account, pg_error,
                          row, rows, value)


pytestmark = pytest.mark.sql_only

DAY = datetime.timedelta(days=1)


@pytest.fixture
def acct(conn):
    return new_account(conn)


def submit_doc(conn, account, data=b"%PDF-1.4 hello", type="extract",
               items=None, options=None, cache=DAY, shared=False,
               idempotency_key=None, metadata=None, model=None, run_at=None):
    """pgjob.submit_document; return {created, <job columns>}."""
    if items is None:
        items = [{"filename": "a.pdf", "sha256": hashlib.sha256(data).hexdigest()}]
    return row(conn, """
        SELECT s.created, (s.job).*
          FROM pgjob.submit_document(
                 p_account_id => %s, p_type => %s, p_items => %s, p_priority => 0,
                 p_run_at => %s, p_max_attempts => 3, p_metadata => %s,
                 p_idempotency_key => %s, p_api_key_id => NULL,
                 p_retention => '7 days', p_bytes => %s, p_media_type => 'application/pdf',
                 p_options => %s, p_cache_max_age => %s, p_cache_shared => %s,
                 p_model => %s) s""",
               (account, type, Json(items), run_at, Json(metadata or {}), idempotency_key,
                psycopg2.Binary(data), Json(options or {}), cache, shared, model))


def fetch(conn, job_id, attempt):
    return row(conn, "SELECT * FROM pgjob.document_fetch(%s, %s)", (job_id, attempt))


def run_to_completion(conn, job_id, output="text", **extra):
    c = claim_one(conn, job_id)
    results = [{"status": "completed", "output": output, "error": None}]
    assert complete_one(conn, job_id, c["attempt"], results=results, **extra) == "completed"
    return c


def test_bytes_stay_out_of_the_claim(conn, acct):
    data = b"%PDF-1.4\n" + bytes(range(256)) * 10
    r = submit_doc(conn, acct, data)
    assert r["created"] and r["status"] == "queued" and r["cache_hit"] is None
    d = row(conn, "SELECT * FROM pgjob.document WHERE job_id = %s", (r["id"],))
    assert bytes(d["bytes"]) == data
    assert bytes(d["sha256"]) == hashlib.sha256(data).digest()
    assert d["size_bytes"] == len(data) and d["media_type"] == "application/pdf"
    c = claim_one(conn, r["id"])
    assert "bytes" not in c and all(not isinstance(v, (bytes, memoryview)) for v in c.values())
    f = fetch(conn, r["id"], c["attempt"])
    assert f["held"] is True and bytes(f["bytes"]) == data
    assert f["media_type"] == "application/pdf"
    check_invariants(conn)


def test_fetch_is_fenced(conn, acct):
    r = submit_doc(conn, acct)
    # Not claimed: no attempt holds it.
    assert fetch(conn, r["id"], 1) == {"held": False, "media_type": None, "sha256": None,
                                       "bytes": None}
    c = claim_one(conn, r["id"])
    assert fetch(conn, r["id"], c["attempt"] + 1)["held"] is False
    assert fetch(conn, r["id"], c["attempt"] - 1)["held"] is False
    # A job without a document: held, no bytes.
    plain = value(conn, "SELECT (pgjob.submit(%s, 'echo', '[1]')).job.id", (acct,))
    pc = claim_one(conn, plain)
    f = fetch(conn, plain, pc["attempt"])
    assert f["held"] is True and f["bytes"] is None
    # An unknown job.
    assert fetch(conn, "00000000-0000-0000-0000-000000000000", 1)["held"] is False


def test_terminal_deletes_bytes_and_completion_fills_cache(conn, acct):
    r = submit_doc(conn, acct)
    run_to_completion(conn, r["id"], output={"pages": 1},
                      validation_flags=[{"code": "X", "severity": "warning",
                                         "message": "m", "item": 0}],
                      confidence=0.75, model="m-1")
    assert value(conn, "SELECT count(*) FROM pgjob.document WHERE job_id = %s", (r["id"],)) == 0
    c = row(conn, "SELECT * FROM pgjob.result_cache")
    assert c["scope"] == acct and c["type"] == "extract"
    assert c["results"][0]["output"] == {"pages": 1}
    assert c["confidence"] == 0.75 and c["model"] == "m-1"
    assert c["validation_flags"][0]["code"] == "X"

    # A failed job and a canceled one leave nothing behind, nor a cache row.
    f = submit_doc(conn, acct, b"other", cache=DAY)
    fc = claim_one(conn, f["id"])
    fail_one(conn, f["id"], fc["attempt"], code="no_text", fatal=True)
    k = submit_doc(conn, acct, b"third")
    cancel(conn, acct, k["id"])
    assert value(conn, "SELECT count(*) FROM pgjob.document") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.result_cache") == 1


def test_retry_keeps_the_bytes(conn, acct):
    r = submit_doc(conn, acct)
    c = claim_one(conn, r["id"])
    assert fail_one(conn, r["id"], c["attempt"])["outcome"] == "retrying"
    assert value(conn, "SELECT count(*) FROM pgjob.document WHERE job_id = %s", (r["id"],)) == 1


def test_identical_submit_completes_at_submit(conn, acct):
    first = submit_doc(conn, acct, items=[{"filename": "a.pdf", "custom_id": "one"}])
    run_to_completion(conn, first["id"], output={"text": "hi"}, confidence=0.5, model="x")
    hit = submit_doc(conn, acct, items=[{"filename": "a.pdf", "custom_id": "two"}], model="x")
    assert hit["created"] is True
    assert hit["status"] == "completed" and hit["cache_hit"] is True
    assert hit["results"] == [{"status": "completed", "output": {"text": "hi"}, "error": None,
                               "custom_id": "two"}]
    assert hit["items_done"] == 1 and hit["items_failed"] == 0
    assert hit["confidence"] == 0.5 and hit["model"] == "x"
    assert hit["processing_ms"] == 0 and hit["attempt_count"] == 0
    assert hit["completed_at"] is not None and hit["expires_at"] is not None
    # No worker involved: nothing ready, no document kept.
    assert value(conn, "SELECT count(*) FROM pgjob.ready WHERE job_id = %s", (hit["id"],)) == 0
    assert value(conn, "SELECT count(*) FROM pgjob.document WHERE job_id = %s", (hit["id"],)) == 0
    # The hit is a completion like any other: its history row is written.
    h = row(conn, "SELECT * FROM pgjob.job_history WHERE job_id = %s", (hit["id"],))
    assert h["status"] == "completed" and h["cache_hit"] is True and h["model"] == "x"
    check_invariants(conn)


def test_a_hit_wakes_no_worker(conn, connect, acct):
    """A miss is queued and sends one pgjob_ready naming its type; a hit is
    completed in its submit, so it sends none (a worker woken for it finds
    nothing), only the pgjob_job notification of its completion."""
    listener = Listener(connect())
    miss = submit_doc(conn, acct)
    notes = listener.drain(conn)
    assert Listener.on(notes, "pgjob_ready") == ["extract"]
    run_to_completion(conn, miss["id"])
    listener.drain(conn)
    hit = submit_doc(conn, acct)
    assert hit["cache_hit"] is True
    notes = listener.drain(conn)
    assert Listener.on(notes, "pgjob_ready") == []
    assert Listener.on(notes, "pgjob_job") == [str(hit["id"])]
    # The quiet hit does not silence a later submit of the same transaction.
    with conn.cursor() as cur:
        cur.execute("BEGIN")
    submit_doc(conn, acct)
    submit_doc(conn, acct, b"another document")
    with conn.cursor() as cur:
        cur.execute("COMMIT")
    assert Listener.on(listener.drain(conn), "pgjob_ready") == ["extract"]


def test_a_hit_makes_the_checks_of_submit(conn, acct):
    """The cache-hit path is pgjob.submit then an immediate completion, so
    every check of submit applies: a hit and a miss refuse the same
    request the same way."""
    first = submit_doc(conn, acct)
    run_to_completion(conn, first["id"])
    assert submit_doc(conn, acct)["cache_hit"] is True
    with pg_error("PJ400", column="idempotency_key"):
        submit_doc(conn, acct, idempotency_key="k" * 300)
    with pg_error("PJ400", column="account"):
        submit_doc(conn, None)
    # The same 300-character key is refused on a miss too.
    with pg_error("PJ400", column="idempotency_key"):
        submit_doc(conn, acct, data=b"%PDF-1.4 miss", idempotency_key="k" * 300)


def test_a_future_run_at_skips_the_cache(conn, acct):
    first = submit_doc(conn, acct)
    run_to_completion(conn, first["id"])
    later = value(conn, "SELECT now() + interval '1 hour'")
    r = submit_doc(conn, acct, run_at=later)
    assert r["status"] == "queued" and r["cache_hit"] is None and r["run_at"] == later
    # A run_at already past is due now: the cache answers.
    earlier = value(conn, "SELECT now() - interval '1 hour'")
    assert submit_doc(conn, acct, run_at=earlier)["cache_hit"] is True


def test_another_model_misses(conn, acct):
    """A result of another extractor version is not served: the submit
    names the model that would run the job now."""
    first = submit_doc(conn, acct, model="pgjob-extract/1")
    run_to_completion(conn, first["id"], model="pgjob-extract/1")
    assert submit_doc(conn, acct, model="pgjob-extract/1")["cache_hit"] is True
    upgraded = submit_doc(conn, acct, model="pgjob-extract/2")
    assert upgraded["status"] == "queued"
    # Its completion replaces the old model's row.
    run_to_completion(conn, upgraded["id"], model="pgjob-extract/2")
    assert value(conn, "SELECT model FROM pgjob.result_cache") == "pgjob-extract/2"
    assert submit_doc(conn, acct, model="pgjob-extract/1")["status"] == "queued"


def test_what_makes_a_miss(conn, acct):
    first = submit_doc(conn, acct, options={"a": 1, "b": 2})
    run_to_completion(conn, first["id"])
    # Options compare as JSON, not as text.
    assert submit_doc(conn, acct, options={"b": 2, "a": 1})["cache_hit"] is True
    assert submit_doc(conn, acct, options={"a": 2})["status"] == "queued"
    assert submit_doc(conn, acct, data=b"%PDF-1.4 other")["status"] == "queued"
    assert submit_doc(conn, acct, type="invoice")["status"] == "queued"
    # Per account by default; the shared cache is another scope.
    other = new_account(conn)
    assert submit_doc(conn, other)["status"] == "queued"
    assert submit_doc(conn, acct, shared=True)["status"] == "queued"
    # Turned off: neither read nor written.
    off = submit_doc(conn, acct, cache=None)
    assert off["status"] == "queued"
    assert value(conn, "SELECT cache_key FROM pgjob.document WHERE job_id = %s",
                 (off["id"],)) is None


def test_shared_cache_serves_every_account(conn, acct):
    first = submit_doc(conn, acct, shared=True)
    run_to_completion(conn, first["id"])
    other = new_account(conn)
    assert submit_doc(conn, other, shared=True)["cache_hit"] is True
    assert value(conn, "SELECT scope FROM pgjob.result_cache") == 0


def test_cache_age(conn, acct):
    first = submit_doc(conn, acct)
    run_to_completion(conn, first["id"])
    conn.cursor().execute("UPDATE pgjob.result_cache SET created_at = now() - interval '2 hours'")
    assert submit_doc(conn, acct, cache=datetime.timedelta(hours=1))["status"] == "queued"
    assert submit_doc(conn, acct, cache=datetime.timedelta(hours=3))["cache_hit"] is True


def test_idempotent_replay_of_a_cache_hit(conn, acct):
    first = submit_doc(conn, acct)
    run_to_completion(conn, first["id"])
    a = submit_doc(conn, acct, idempotency_key="k1")
    b = submit_doc(conn, acct, idempotency_key="k1")
    assert a["created"] is True and b["created"] is False and a["id"] == b["id"]
    with pg_error("PJ422", column="idempotency_key"):
        submit_doc(conn, acct, idempotency_key="k1", metadata={"x": 1})
    # A key first used by a queued document job replays it.
    c = submit_doc(conn, acct, data=b"new", idempotency_key="k2")
    d = submit_doc(conn, acct, data=b"new", idempotency_key="k2")
    assert c["status"] == "queued" and d["created"] is False and d["id"] == c["id"]
    assert value(conn, "SELECT count(*) FROM pgjob.document WHERE job_id = %s", (c["id"],)) == 1


def test_bad_arguments(conn, acct):
    with pg_error("PJ400", column="document"):
        row(conn, """SELECT * FROM pgjob.submit_document(%s, 'extract', '[{}]', 0, NULL, 3,
                     '{}', NULL, NULL, '7 days', NULL, 'text/plain')""", (acct,))
    with pg_error("PJ400", column="options"):
        submit_doc(conn, acct, options=[1])
    with pg_error("PJ422", column="items"):
        submit_doc(conn, acct, items=[])
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0


def test_concurrent_identical_submits(connect, conn, acct):
    """Submits racing a completion: each gets a job, none errs; those
    after the completion commit are hits."""
    first = submit_doc(conn, acct)
    c = claim_one(conn, first["id"])
    out, errors = [], []

    def worker():
        try:
            wc = connect()
            for _ in range(5):
                out.append(submit_doc(wc, acct))
            wc.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    complete_one(conn, first["id"], c["attempt"],
                 results=[{"status": "completed", "output": 1, "error": None}])
    for t in threads:
        t.join()
    assert not errors
    assert len(out) == 20 and len({r["id"] for r in out}) == 20
    assert all(r["status"] in ("queued", "completed") for r in out)
    assert submit_doc(conn, acct)["cache_hit"] is True
    # Completing the racing copies (if any) and one more that reads no
    # cache (age 0) but writes it refreshes the one cache row.
    # In the order they were queued (the threads' appends are not), as
    # claims take them.
    queued = [r["id"] for r in out if r["status"] == "queued"]
    queued.sort(key=lambda i: tuple(row(conn, "SELECT run_at, seq FROM pgjob.ready"
                                        " WHERE job_id = %s", (i,)).values()))
    for job_id in queued:
        run_to_completion(conn, job_id, output=1)
    again = submit_doc(conn, acct, cache=datetime.timedelta(0))
    assert again["status"] == "queued"
    run_to_completion(conn, again["id"], output=2)
    assert value(conn, "SELECT count(*) FROM pgjob.result_cache") == 1
    assert submit_doc(conn, acct)["results"][0]["output"] == 2
    check_invariants(conn)


def test_prune_by_age_and_rows(conn, acct):
    for i in range(5):
        j = submit_doc(conn, acct, data=b"doc %d" % i)
        run_to_completion(conn, j["id"])
    conn.cursor().execute("""
        UPDATE pgjob.result_cache SET created_at = now() - make_interval(hours => n::integer)
          FROM (SELECT cache_key, row_number() OVER (ORDER BY cache_key) AS n
                  FROM pgjob.result_cache) AS o
         WHERE o.cache_key = result_cache.cache_key""")
    # Older than 4.5 hours: one row (5 hours old).
    assert value(conn, "SELECT pgjob.result_cache_prune('270 minutes', 100)") == 1
    # Then keep the newest two.
    assert value(conn, "SELECT pgjob.result_cache_prune(NULL, 2)") == 2
    ages = [r["h"] for r in rows(conn, """
        SELECT round(extract(epoch FROM now() - created_at) / 3600) AS h
          FROM pgjob.result_cache ORDER BY 1""")]
    assert ages == [1, 2]
    # The limit bounds one call.
    assert value(conn, "SELECT pgjob.result_cache_prune(NULL, 0, 1)") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.result_cache") == 1
    with pg_error("PJ400", column="max_rows"):
        value(conn, "SELECT pgjob.result_cache_prune(NULL, -1)")


def test_cache_survives_job_expiry(conn, acct):
    first = submit_doc(conn, acct)
    run_to_completion(conn, first["id"])
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now() WHERE id = %s", (first["id"],))
    assert expire(conn) == 1
    assert submit_doc(conn, acct)["cache_hit"] is True


def test_one_completion_of_two_jobs_of_one_cache_key(conn, acct):
    """The terminal trigger runs once per statement (013_hotpath.sql): two
    jobs of the same cache key completed by one complete() leave one cache
    row (the greater job id's outcome) and no document bytes; a claim or a
    completion of non-document jobs touches neither table."""
    a = submit_doc(conn, acct, cache=datetime.timedelta(0))
    b = submit_doc(conn, acct, cache=datetime.timedelta(0))
    assert a["status"] == b["status"] == "queued"
    got = {r["id"]: r["attempt"] for r in rows(conn, "SELECT id, attempt FROM pgjob.claim("
                                                   "'w', 2, '{extract}'::text[])")}
    assert set(got) == {a["id"], b["id"]}
    entries = [{"id": str(i), "attempt": got[i],
                "results": [{"status": "completed", "output": str(i), "error": None}]}
               for i in got]
    assert sorted(r["outcome"] for r in rows(conn, "SELECT * FROM pgjob.complete(%s::jsonb)",
                                             (Json(entries),))) == ["completed", "completed"]
    assert value(conn, "SELECT count(*) FROM pgjob.document") == 0
    assert rows(conn, "SELECT results -> 0 ->> 'output' AS o FROM pgjob.result_cache") \
        == [{"o": str(max(a["id"], b["id"]))}]
    check_invariants(conn)
