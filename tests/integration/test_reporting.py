# SPDX-License-Identifier: MIT
"""Job history and the reports of sql/007_history.sql.

- Every transition that ends a job writes its pgjob.job_history row, and
  only those do; expiry and pruning keep it; the history's own retention
  prunes it in bounded batches.
- Each report on a small set of jobs driven through the real functions
  (submit, claim, heartbeat, complete, fail, rescue, cancel), with exact
  expected numbers.  Times are set afterwards with plain UPDATEs (time
  travel, as in the other SQL tests), since the functions stamp now().
- At 1,000,000 history rows, every report's plan reads the history
  through its completed_at index (EXPLAIN ANALYZE printed), never a
  sequential scan.
"""

import datetime
import decimal
import os
import time

import pytest
from psycopg2.extras import Json

from jobs_helpers import (claim, claim_one, complete, db_now, expire,
                          expire_lease, fail_one, heartbeat, job, make_due,
                          new_account, pause, pg_error, rescue, row, rows,
                          submit, value)


pytestmark = pytest.mark.sql_only

UTC = datetime.timezone.utc
D = decimal.Decimal

# The columns a history row copies from its job.
COPIED = ("account_id", "type", "item_count", "items_failed", "attempt_count",
          "failed_attempts", "created_at", "started_at", "completed_at",
          "processing_ms", "confidence", "model", "cache_hit")

# Every report function, and the window of its view.
RANGED = ("report_jobs_daily", "report_processing_daily",
          "report_queue_wait_daily", "report_attempts", "report_failures",
          "report_error_codes", "report_validation_flags",
          "report_account_items_daily", "report_throughput_hourly")
VIEW_WINDOW = {name: "30 days" for name in RANGED}
VIEW_WINDOW["report_throughput_hourly"] = "48 hours"


@pytest.fixture
def utc(conn):
    """conn, with days and hours counted in UTC."""
    conn.cursor().execute("SET TIME ZONE 'UTC'")
    return conn


@pytest.fixture
def acct(conn):
    return new_account(conn)


def history(conn, job_id):
    """The job's history row, flags as [(code, severity, n)] or None."""
    h = row(conn, """SELECT h.*, to_jsonb(h.flags) AS flags_json
                       FROM pgjob.job_history h WHERE h.job_id = %s""", (job_id,))
    if h is not None:
        flags = h.pop("flags_json")
        h["flags"] = None if flags is None else [(f["code"], f["severity"], f["n"])
                                                 for f in flags]
    return h


def assert_history_matches_job(conn, job_id, status, error_code=None, flags=None):
    h = history(conn, job_id)
    j = job(conn, job_id)
    assert h is not None, f"job {job_id} ({j['status']}) has no history row"
    assert (h["status"], h["error_code"], h["flags"]) == (status, error_code, flags)
    assert {c: h[c] for c in COPIED} == {c: j[c] for c in COPIED}
    return h


def report(conn, name, start, end):
    return rows(conn, f"SELECT * FROM pgjob.{name}(%s, %s)", (start, end))


# ---- writing history ----------------------------------------------------------

def test_every_terminal_transition_writes_one_history_row(conn, acct):
    flags = [{"code": "amount_missing", "severity": "error", "message": "m", "item": 0},
             {"code": "amount_missing", "severity": "error", "message": "m", "item": 2},
             {"code": "date_format", "severity": "warning", "message": "m", "item": 1},
             {"code": 7, "message": "neither code nor severity is a string"}]
    done = submit(conn, acct, "enrich", ["a", "b", "c"])
    a = claim_one(conn, done)["attempt"]
    assert history(conn, done) is None
    assert complete(conn, [dict(id=done, attempt=a, processing_ms=42, confidence=0.75,
                                model="rules-1", cache_hit=True, validation_flags=flags,
                                results=[{"ok": 1}, {"error": "x"}, {"ok": 3}])]) == \
        {done: "completed"}
    h = assert_history_matches_job(conn, done, "completed", flags=[
        ("amount_missing", "error", 2), ("date_format", "warning", 1),
        ("unknown", "unknown", 1)])
    assert (h["items_failed"], h["processing_ms"], h["cache_hit"]) == (1, 42, True)

    # A lost completion writes nothing.
    assert complete(conn, [dict(id=done, attempt=a, results=[1, 2, 3])]) == {done: "lost"}

    # fail: a retry writes nothing; failing for good writes the row.
    retried = submit(conn, acct, "contact", ["a"], max_attempts=2)
    a = claim_one(conn, retried)["attempt"]
    assert fail_one(conn, retried, a, code="timeout", base="0 seconds")["outcome"] == "retrying"
    assert history(conn, retried) is None
    make_due(conn, retried)
    a = claim_one(conn, retried)["attempt"]
    heartbeat(conn, retried, a, items_done=1, items_failed=1)
    assert fail_one(conn, retried, a, code="timeout")["outcome"] == "failed"
    h = assert_history_matches_job(conn, retried, "failed", "timeout")
    assert (h["attempt_count"], h["failed_attempts"], h["items_failed"]) == (2, 2, 1)

    fatal = submit(conn, acct, "contact", ["a"])
    a = claim_one(conn, fatal)["attempt"]
    assert fail_one(conn, fatal, a, code="bad_input", fatal=True)["outcome"] == "failed"
    assert_history_matches_job(conn, fatal, "failed", "bad_input")

    # rescue: a job out of attempts fails with lease_expired.
    lost = submit(conn, acct, "enrich", ["a"], max_attempts=1)
    claim_one(conn, lost)
    expire_lease(conn, lost)
    assert rescue(conn) == {lost: "failed"}
    assert_history_matches_job(conn, lost, "failed", "lease_expired")

    # cancel: queued (never started), paused, and running.
    queued = submit(conn, acct, "enrich", ["a"])
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s, 'not needed')", (acct, queued))
    h = assert_history_matches_job(conn, queued, "canceled", "canceled")
    assert (h["started_at"], h["attempt_count"]) == (None, 0)
    paused = submit(conn, acct, "enrich", ["a"])
    claim_one(conn, paused)
    pause(conn, acct, paused)
    assert history(conn, paused) is None
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, paused))
    assert_history_matches_job(conn, paused, "canceled", "canceled")
    running = submit(conn, acct, "enrich", ["a"])
    claim_one(conn, running)
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, running))
    assert_history_matches_job(conn, running, "canceled", "canceled")

    # A refused cancel writes nothing more.
    with pg_error("PJ409"):
        conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, done))
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == 7
    assert value(conn, """SELECT count(*) FROM pgjob.job
                           WHERE status IN ('completed', 'failed', 'canceled')""") == 7


def test_a_failed_batch_writes_no_history(conn, acct):
    jid = submit(conn, acct, "enrich", ["a", "b"])
    a = claim_one(conn, jid)["attempt"]
    with pg_error("PJ400", "results"):
        complete(conn, [dict(id=jid, attempt=a, results=[1])])
    assert history(conn, jid) is None
    assert job(conn, jid)["status"] == "processing"


def test_history_survives_expiry_and_pruning(conn, acct):
    flags = [{"code": "amount_missing", "severity": "error", "message": "m", "item": 0}]
    jid = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, jid)["attempt"]
    complete(conn, [dict(id=jid, attempt=a, results=[1], processing_ms=9,
                         validation_flags=flags)])
    before = history(conn, jid)
    assert before["flags"] == [("amount_missing", "error", 1)]

    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 second',"
                          " sweep_at = now() - interval '1 second' WHERE id = %s", (jid,))
    assert expire(conn) == 1
    j = job(conn, jid)
    assert (j["status"], j["validation_flags"], j["results"]) == ("expired", [], None)
    assert history(conn, jid) == before

    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '31 days',"
                          " sweep_at = now() - interval '31 days' WHERE id = %s", (jid,))
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 10)") == 1
    assert job(conn, jid) is None
    assert history(conn, jid) == before


def test_expire_writes_a_missing_history_row_before_dropping_the_flags(conn, acct):
    flags = [{"code": "date_format", "severity": "warning", "message": "m", "item": 0}]
    jid = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, jid)["attempt"]
    complete(conn, [dict(id=jid, attempt=a, results=[1], validation_flags=flags)])
    written = history(conn, jid)
    # As if the job had ended by a path that wrote no row.
    conn.cursor().execute("DELETE FROM pgjob.job_history WHERE job_id = %s", (jid,))
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '1 second',"
                          " sweep_at = now() - interval '1 second' WHERE id = %s", (jid,))
    assert expire(conn) == 1
    assert history(conn, jid) == written


def test_history_retention_prunes_in_bounded_batches(conn, acct):
    assert value(conn, "SELECT retention FROM pgjob.history_config") == \
        datetime.timedelta(days=400)
    with pg_error("23514"):
        conn.cursor().execute("UPDATE pgjob.history_config SET retention = '1 hour'")
    with pg_error("23505"):
        conn.cursor().execute("INSERT INTO pgjob.history_config (retention)"
                              " VALUES ('2 days')")
    conn.cursor().execute("UPDATE pgjob.history_config SET retention = '10 days'")

    # 5 rows older than the retention, 2 younger, and 3 expired job stubs
    # past prune's age.
    conn.cursor().execute("""
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, completed_at)
        SELECT gen_random_uuid(), %s, 'enrich', 'completed', 1, 0, 1, 0, t, t
          FROM unnest(ARRAY[now() - interval '40 days', now() - interval '30 days',
                            now() - interval '20 days', now() - interval '11 days',
                            now() - interval '10 days 1 minute',
                            now() - interval '9 days', now()]) AS t""", (acct,))
    stubs = []
    for _ in range(3):
        jid = submit(conn, acct, "enrich", ["a"])
        conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, jid))
        stubs.append(jid)
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now()"
                          " WHERE id = ANY (%s::uuid[])",
                          ([str(s) for s in stubs],))
    assert expire(conn) == 3
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '31 days',"
                          " sweep_at = now() - interval '31 days'")

    # The stubs go first, then history with what is left of the batch.
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 2)") == 2
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == 10
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 2)") == 2
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == 9
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 2)") == 2
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 2)") == 2
    assert value(conn, "SELECT pgjob.prune(interval '30 days', 2)") == 0
    # The history rows of the stubs (just finished) and the two younger
    # rows stay; the oldest go first.
    assert value(conn, """SELECT count(*) FROM pgjob.job_history
                           WHERE completed_at < now() - interval '10 days'""") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == 5
    assert value(conn, "SELECT count(*) FROM pgjob.job_history WHERE job_id = ANY (%s::uuid[])",
                 ([str(s) for s in stubs],)) == 3



def _backfill_sql():
    """The backfill statement of sql/007_history.sql, as the migration ran it."""
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    text = open(os.path.join(root, "sql", "007_history.sql")).read()
    start = text.index("INSERT INTO pgjob.job_history", text.index("-- Backfill:"))
    return text[start:text.index(";\n", start) + 1]


def test_backfill_of_jobs_finished_before_the_migration(conn, acct):
    flags = [{"code": "date_format", "severity": "warning", "message": "m", "item": 0}]
    done = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, done)["attempt"]
    complete(conn, [dict(id=done, attempt=a, results=[1], processing_ms=3,
                         validation_flags=flags)])
    failed = submit(conn, acct, "enrich", ["a"])
    a = claim_one(conn, failed)["attempt"]
    fail_one(conn, failed, a, code="bad_input", fatal=True)
    canceled = submit(conn, acct, "enrich", ["a"])
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, canceled))
    expired = {}
    for outcome in ("completed", "failed", "canceled"):
        jid = submit(conn, acct, "contact", ["a"])
        if outcome == "canceled":
            conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, jid))
        else:
            a = claim_one(conn, jid)["attempt"]
            if outcome == "completed":
                complete(conn, [dict(id=jid, attempt=a, results=[1], validation_flags=flags)])
            else:
                fail_one(conn, jid, a, code="timeout", fatal=True)
        conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now() WHERE id = %s", (jid,))
        expired[outcome] = jid
    assert expire(conn) == 3
    live = submit(conn, acct, "enrich", ["a"])
    written = {r["job_id"]: r for r in rows(conn, "SELECT * FROM pgjob.job_history")}
    assert len(written) == 6

    # As before the migration: no history at all.
    conn.cursor().execute("DELETE FROM pgjob.job_history")
    conn.cursor().execute(_backfill_sql())
    got = {r["job_id"]: r for r in rows(conn, "SELECT * FROM pgjob.job_history")}
    assert live not in got
    assert {k: got[k] for k in (done, failed, canceled)} == \
        {k: written[k] for k in (done, failed, canceled)}
    # The expired stubs: the status told from the error; the flags are gone.
    for outcome, jid in expired.items():
        want = dict(written[jid], flags=None)
        assert got[jid] == want, outcome
        assert got[jid]["status"] == outcome


# ---- the reports on a small set of jobs -------------------------------------

def _complete_one(conn, jid, results, **extra):
    a = claim_one(conn, jid)["attempt"]
    assert complete(conn, [dict(id=jid, attempt=a, results=results, **extra)]) == \
        {jid: "completed"}


@pytest.fixture
def dataset(utc):
    """Ten jobs ended through the real functions, their times then set to
    the hours below (UTC).  d1 is two days ago at midnight, so the views
    (the last 30 days) see them too.  Returns (d1, accounts, job ids)."""
    conn = utc
    acme = new_account(conn, "acme")
    globex = new_account(conn, "globex")
    d1 = value(conn, "SELECT date_trunc('day', now()) - interval '2 days'")
    d2 = d1 + datetime.timedelta(days=1)
    d3 = d2 + datetime.timedelta(days=1)
    ok3 = [{"ok": 1}, {"ok": 2}, {"ok": 3}]
    ids = {}

    # j1: one item error, three flags; finishes exactly at d1 (inside).
    ids["j1"] = submit(conn, acme, "enrich", ["a", "b", "c"])
    _complete_one(conn, ids["j1"], [{"ok": 1}, {"error": "e"}, {"ok": 3}], processing_ms=100,
                  validation_flags=[
                      {"code": "amount_missing", "severity": "error", "message": "", "item": 0},
                      {"code": "amount_missing", "severity": "error", "message": "", "item": 1},
                      {"code": "date_format", "severity": "warning", "message": "", "item": 2}])
    ids["j2"] = submit(conn, acme, "enrich", ["a", "b", "c"])
    _complete_one(conn, ids["j2"], ok3, processing_ms=200)
    # j3: a retry, then completed on its second attempt.
    ids["j3"] = submit(conn, globex, "enrich", ["a", "b", "c"])
    a = claim_one(conn, ids["j3"])["attempt"]
    assert fail_one(conn, ids["j3"], a, code="timeout")["outcome"] == "retrying"
    make_due(conn, ids["j3"])
    _complete_one(conn, ids["j3"], ok3, processing_ms=300, validation_flags=[
        {"code": "date_format", "severity": "warning", "message": "", "item": 0},
        {"code": "odd_item", "message": "no severity", "item": 1}])
    # j4: two items failed, then a fatal error.
    ids["j4"] = submit(conn, globex, "enrich", ["a", "b", "c"])
    a = claim_one(conn, ids["j4"])["attempt"]
    heartbeat(conn, ids["j4"], a, items_done=2, items_failed=2)
    assert fail_one(conn, ids["j4"], a, code="bad_input", fatal=True)["outcome"] == "failed"
    ids["j5"] = submit(conn, acme, "contact", ["a", "b"])
    _complete_one(conn, ids["j5"], [{"ok": 1}, {"ok": 2}], processing_ms=50)
    # j6: canceled while queued.
    ids["j6"] = submit(conn, acme, "contact", ["a", "b"])
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acme, ids["j6"]))
    # j7: one item failed, then its worker died with no attempt left.
    ids["j7"] = submit(conn, globex, "contact", ["a", "b"], max_attempts=1)
    a = claim_one(conn, ids["j7"])["attempt"]
    heartbeat(conn, ids["j7"], a, items_done=1, items_failed=1)
    expire_lease(conn, ids["j7"])
    assert rescue(conn) == {ids["j7"]: "failed"}
    ids["j8"] = submit(conn, acme, "enrich", ["a", "b", "c"])
    _complete_one(conn, ids["j8"], ok3, processing_ms=400, validation_flags=[
        {"code": "amount_missing", "severity": "warning", "message": "", "item": 0}])
    # j9 finishes exactly at d3: outside [d1, d3).
    ids["j9"] = submit(conn, acme, "enrich", ["a", "b", "c"])
    _complete_one(conn, ids["j9"], ok3, processing_ms=999)
    ids["j10"] = submit(conn, globex, "enrich", ["a", "b", "c"])
    a = claim_one(conn, ids["j10"])["attempt"]
    assert fail_one(conn, ids["j10"], a, code="bad_input", fatal=True)["outcome"] == "failed"

    def at(day, hms):
        h, m, s = hms.split(":")
        return day + datetime.timedelta(hours=int(h), minutes=int(m), seconds=float(s))

    times = {  # created, started, completed
        "j1": (at(d1, "-1:00:00"), at(d1, "-1:00:00") + datetime.timedelta(seconds=2), d1),
        "j2": (at(d1, "10:30:00"), at(d1, "10:30:05"), at(d1, "10:40:00")),
        "j3": (at(d1, "11:00:00"), at(d1, "11:00:10"), at(d1, "11:05:00")),
        "j4": (at(d2, "08:59:00"), at(d2, "08:59:30"), at(d2, "09:00:00")),
        "j5": (at(d2, "09:29:59"), at(d2, "09:30:00"), at(d2, "09:30:30")),
        "j6": (at(d2, "09:50:00"), None, at(d2, "10:00:00")),
        "j7": (at(d2, "10:00:00"), at(d2, "10:00:00.5"), at(d2, "10:30:00")),
        "j8": (at(d2, "12:00:00"), at(d2, "12:00:00"), at(d2, "12:10:00")),
        "j9": (at(d2, "23:00:00"), at(d2, "23:00:00"), d3),
        "j10": (at(d2, "12:00:00"), at(d2, "12:00:01"), at(d2, "13:00:00")),
    }
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == len(times)
    cur = conn.cursor()
    for name, (created, started, completed) in times.items():
        cur.execute("""UPDATE pgjob.job_history
                          SET created_at = %s, started_at = %s, completed_at = %s
                        WHERE job_id = %s""", (created, started, completed, ids[name]))
        assert cur.rowcount == 1
    return d1, (acme, globex), ids


def test_report_jobs_daily(utc, dataset):
    d1, _, _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    got = report(utc, "report_jobs_daily", d1, d3)
    assert [tuple(r.values()) for r in got] == [
        (d1, "enrich", 3, 3, 0, 0, D("0.0000"), 9, 1),
        (d2, "contact", 3, 1, 1, 1, D("0.3333"), 6, 1),
        (d2, "enrich", 3, 1, 2, 0, D("0.6667"), 9, 2),
    ]
    assert list(got[0]) == ["day", "type", "jobs", "completed", "failed", "canceled",
                            "failure_rate", "items", "items_failed"]
    # The range is half-open: from d3, only j9.
    assert [(r["day"], r["jobs"]) for r in report(utc, "report_jobs_daily", d3, d3 +
                                                  datetime.timedelta(days=1))] == [(d3, 1)]
    assert report(utc, "report_jobs_daily", d1, d1) == []


def test_report_processing_daily(utc, dataset):
    d1, _, _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    got = report(utc, "report_processing_daily", d1, d3)
    # Failed and canceled jobs have no processing time.
    assert [tuple(r.values()) for r in got] == [
        (d1, "enrich", 3, 200, 300, 300, D("200.0"), 300),
        (d2, "contact", 1, 50, 50, 50, D("50.0"), 50),
        (d2, "enrich", 1, 400, 400, 400, D("400.0"), 400),
    ]
    assert list(got[0]) == ["day", "type", "jobs", "p50_ms", "p95_ms", "p99_ms", "avg_ms",
                            "max_ms"]


def test_report_queue_wait_daily(utc, dataset):
    d1, _, _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    got = report(utc, "report_queue_wait_daily", d1, d3)
    # j6 never started; j7 waited 0.5 s.
    assert [tuple(r.values()) for r in got] == [
        (d1, "enrich", 3, 5000, 10000, 10000, D("5666.7"), 10000),
        (d2, "contact", 2, 500, 1000, 1000, D("750.0"), 1000),
        (d2, "enrich", 3, 1000, 30000, 30000, D("10333.3"), 30000),
    ]


def test_report_attempts(utc, dataset):
    d1, _, _ = dataset
    got = report(utc, "report_attempts", d1, d1 + datetime.timedelta(days=2))
    assert [tuple(r.values()) for r in got] == [
        ("contact", 0, 1, 0, 0, 1, D("0.3333")),
        ("contact", 1, 2, 1, 1, 0, D("0.6667")),
        ("enrich", 1, 5, 3, 2, 0, D("0.8333")),
        ("enrich", 2, 1, 1, 0, 0, D("0.1667")),
    ]
    assert list(got[0]) == ["type", "attempts", "jobs", "completed", "failed", "canceled",
                            "share"]


def test_report_failures_and_error_codes(utc, dataset):
    d1, _, _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    assert [tuple(r.values()) for r in report(utc, "report_failures", d1, d3)] == [
        ("contact", 3, 1, 1, D("0.3333"), 6, 1, D("0.1667")),
        ("enrich", 6, 2, 0, D("0.3333"), 18, 3, D("0.1667")),
    ]
    h = datetime.timedelta(hours=1)
    got = report(utc, "report_error_codes", d1, d3)
    # j3's retry (timeout) did not end the job: not counted.
    assert [tuple(r.values()) for r in got] == [
        ("enrich", "failed", "bad_input", 2, d2 + 9 * h, d2 + 13 * h),
        ("contact", "canceled", "canceled", 1, d2 + 10 * h, d2 + 10 * h),
        ("contact", "failed", "lease_expired", 1, d2 + 10.5 * h, d2 + 10.5 * h),
    ]


def test_report_validation_flags(utc, dataset):
    d1, _, _ = dataset
    got = report(utc, "report_validation_flags", d1, d1 + datetime.timedelta(days=2))
    assert [tuple(r.values()) for r in got] == [
        ("enrich", "amount_missing", "error", 2, 1),
        ("enrich", "date_format", "warning", 2, 2),
        ("enrich", "amount_missing", "warning", 1, 1),
        ("enrich", "odd_item", "unknown", 1, 1),
    ]
    assert list(got[0]) == ["type", "code", "severity", "flags", "jobs"]


def test_report_account_items_daily(utc, dataset):
    d1, (acme, globex), _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    assert [tuple(r.values()) for r in report(utc, "report_account_items_daily", d1, d3)] == [
        (d1, acme, "acme", 2, 6, 1),
        (d1, globex, "globex", 1, 3, 0),
        (d2, acme, "acme", 3, 7, 0),
        (d2, globex, "globex", 3, 8, 3),
    ]


def test_report_throughput_hourly(utc, dataset):
    d1, _, _ = dataset
    d2, d3 = d1 + datetime.timedelta(days=1), d1 + datetime.timedelta(days=2)
    h = datetime.timedelta(hours=1)
    assert [tuple(r.values()) for r in report(utc, "report_throughput_hourly", d1, d3)] == [
        (d1, "enrich", 1, 1, 0, 0, 3),
        (d1 + 10 * h, "enrich", 1, 1, 0, 0, 3),
        (d1 + 11 * h, "enrich", 1, 1, 0, 0, 3),
        (d2 + 9 * h, "contact", 1, 1, 0, 0, 2),
        (d2 + 9 * h, "enrich", 1, 0, 1, 0, 3),
        (d2 + 10 * h, "contact", 2, 0, 1, 1, 4),
        (d2 + 12 * h, "enrich", 1, 1, 0, 0, 3),
        (d2 + 13 * h, "enrich", 1, 0, 1, 0, 3),
    ]


def test_views_are_the_reports_over_their_window(connect, dataset):
    conn = connect(autocommit=False)  # one transaction: one now()
    conn.cursor().execute("SET TIME ZONE 'UTC'")
    for name in RANGED:
        view = rows(conn, f"SELECT * FROM pgjob.{name}")
        func = rows(conn, f"SELECT * FROM pgjob.{name}(now() - interval %s, 'infinity')",
                    (VIEW_WINDOW[name],))
        assert view == func, name
        assert view, f"{name}: the view should see the dataset"
    d1, _, _ = dataset
    # The daily view also has j9's day (d3, yesterday).
    assert [r["jobs"] for r in rows(conn, "SELECT * FROM pgjob.report_jobs_daily"
                                          " WHERE day = %s", (d1 + datetime.timedelta(days=2),))] \
        == [1]
    conn.rollback()


def test_report_queue(conn, acct):
    early = submit(conn, acct, "enrich", ["a"])
    later = submit(conn, acct, "enrich", ["a"])
    submit(conn, acct, "enrich", ["a"], run_at=db_now(conn) + datetime.timedelta(hours=1))
    running = submit(conn, acct, "enrich", ["a"])
    paused = submit(conn, acct, "enrich", ["a"])
    busy = submit(conn, acct, "contact", ["a"])
    cur = conn.cursor()
    # running, paused and busy are claimed first; early became due first.
    cur.execute("UPDATE pgjob.ready SET run_at = now() - interval '10 minutes' WHERE job_id = %s",
                (early,))
    cur.execute("UPDATE pgjob.ready SET run_at = now() - interval '5 minutes' WHERE job_id = %s",
                (later,))
    cur.execute("UPDATE pgjob.ready SET run_at = now() - interval '1 hour'"
                " WHERE job_id = ANY (%s::uuid[])", ([str(running), str(paused), str(busy)],))
    assert {r["id"] for r in claim(conn, "w", 3)} == {running, paused, busy}
    pause(conn, acct, paused)
    due_since = value(conn, "SELECT run_at FROM pgjob.ready WHERE job_id = %s", (early,))
    got = rows(conn, "SELECT * FROM pgjob.report_queue")
    wait = got[1].pop("oldest_wait_seconds")
    assert got == [
        dict(type="contact", queued=0, scheduled=0, processing=1, paused=0, oldest_job_id=None,
             oldest_due_since=None, oldest_wait_seconds=None),
        dict(type="enrich", queued=2, scheduled=1, processing=1, paused=1, oldest_job_id=early,
             oldest_due_since=due_since),
    ]
    assert 600 <= wait < 600 + 120
    # Nothing live: no rows.
    cur.execute("TRUNCATE pgjob.ready, pgjob.lease")
    cur.execute("UPDATE pgjob.job SET status = 'canceled'")
    assert rows(conn, "SELECT * FROM pgjob.report_queue") == []


# ---- 1,000,000 rows -----------------------------------------------------------

BIG_ROWS = 1_000_000
BIG_DAYS = 400


def _plan(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [r[0] for r in cur.fetchall()]


def test_reports_use_the_index_at_a_million_rows(connect, capsys):
    conn = connect()
    cur = conn.cursor()
    started = time.monotonic()
    # 1,000,000 finished jobs over the last 400 days, in completion order
    # as the functions write them: 4 types, 50 accounts, 1 in 20 failed,
    # 1 in 50 canceled, 1 in 10 with validation flags.
    cur.execute("""
        INSERT INTO pgjob.job_history (job_id, account_id, type, status, item_count,
                                       items_failed, attempt_count, failed_attempts,
                                       created_at, started_at, completed_at, processing_ms,
                                       error_code, flags, confidence, cache_hit)
        SELECT gen_random_uuid(), 1 + mod(g, 50),
               (ARRAY['enrich', 'contact', 'echo', 'exec.upper'])[1 + mod(g, 4)],
               s.status, 1 + mod(g, 100), CASE WHEN mod(g, 7) = 0 THEN mod(g, 3) ELSE 0 END,
               1 + (mod(g, 20) = 0)::int + (mod(g, 60) = 0)::int, (mod(g, 20) = 0)::int,
               t.done - make_interval(secs => 1 + mod(g, 600)),
               t.done - make_interval(secs => 1), t.done,
               CASE WHEN s.status = 'completed' THEN 5 + mod(g::bigint * 7919, 5000) END,
               CASE s.status WHEN 'failed' THEN (ARRAY['timeout', 'bad_input',
                    'lease_expired'])[1 + mod(g, 3)] WHEN 'canceled' THEN 'canceled' END,
               CASE WHEN mod(g, 10) = 0
                    THEN ARRAY[('amount_missing', 'error', 1 + mod(g, 3))::pgjob.flag_count,
                               ('date_format', 'warning', 1)::pgjob.flag_count]
               END,
               mod(g, 100) / 100.0, mod(g, 3) = 0
          FROM generate_series(1, %(rows)s) AS g,
               LATERAL (SELECT now() - make_interval(days => %(days)s)
                               + make_interval(days => %(days)s) * g / %(rows)s AS done) AS t,
               LATERAL (SELECT CASE WHEN mod(g, 20) = 1 THEN 'failed'
                                    WHEN mod(g, 50) = 2 THEN 'canceled'
                                    ELSE 'completed' END AS status) AS s
    """, dict(rows=BIG_ROWS, days=BIG_DAYS))
    cur.execute("VACUUM ANALYZE pgjob.job_history")
    assert value(conn, "SELECT count(*) FROM pgjob.job_history") == BIG_ROWS
    loaded = time.monotonic() - started

    week = ("now() - interval '7 days'", "now()")
    cases = [(f"pgjob.{name}({week[0]}, {week[1]})", True) for name in RANGED]
    cases += [(f"pgjob.{name}", True) for name in RANGED]  # the views
    cases.append(("pgjob.report_queue", False))
    out = [f"{BIG_ROWS} history rows loaded in {loaded:.1f} s"]
    for source, ranged in cases:
        plan = _plan(conn, f"SELECT * FROM {source}")
        out.append(f"---- EXPLAIN ANALYZE SELECT * FROM {source}")
        out.extend(plan)
        text = "\n".join(plan)
        assert "Function Scan on report_" not in text, f"{source}: not inlined\n{text}"
        assert "Seq Scan on job_history" not in text, f"{source}: full scan\n{text}"
        # An estimate far off (a jsonb expansion counts 100 rows per
        # level) would cost a JIT compilation of a third of a second.
        assert "JIT:" not in text, f"{source}: estimated past jit_above_cost\n{text}"
        if ranged:
            assert "job_history_completed_idx" in text, f"{source}: no range scan\n{text}"
        else:
            assert "job_history" not in text, f"{source} reads history\n{text}"
    with capsys.disabled():
        print("\n" + "\n".join(out))
