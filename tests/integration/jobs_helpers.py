# SPDX-License-Identifier: MIT
"""Small helpers for the tests of the SQL state machine (test_sql_*.py).

They call the functions of sql/002_jobs.sql and sql/003_accounts.sql through
a psycopg2 connection and hand rows back as dicts.  Nothing here sleeps: to
make time pass, tests move timestamps (ready.run_at, lease.lease_until,
job.expires_at with job.sweep_at) with plain UPDATEs.
"""

import contextlib
import datetime
import itertools
import select

import psycopg2
from psycopg2.extras import Json

_names = itertools.count(1)

# Every column a test compares across a transition.
JOB_COLUMNS = (
    "id", "account_id", "api_key_id", "type", "status", "items", "item_count",
    "items_done", "items_failed", "results", "error", "metadata",
    "attempt_count", "failed_attempts", "max_attempts", "priority", "run_at",
    "created_at", "started_at", "completed_at", "updated_at", "retention",
    "expires_at", "processing_ms", "validation_flags", "confidence", "model",
    "cache_hit", "version", "idempotency_key", "request_hash")


def rows(conn, sql, params=None):
    """Run sql; return its rows as a list of dicts (empty if no result)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        if cur.description is None:
            return []
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def row(conn, sql, params=None):
    """Run sql; return its only row as a dict (None when there is none)."""
    found = rows(conn, sql, params)
    assert len(found) <= 1, f"expected at most one row, got {len(found)}"
    return found[0] if found else None


def value(conn, sql, params=None):
    """Run sql; return the first column of its only row."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def db_now(conn):
    """now() of a statement of its own: a bound for the next statement's now()."""
    return value(conn, "SELECT now()")


@contextlib.contextmanager
def pg_error(code, column=None, message=None):
    """Expect the block to raise a psycopg2 error with SQLSTATE `code`.

    column: the expected COLUMN field; message: the expected primary message.
    Yields a one-element list that holds the exception afterwards.
    """
    caught = []
    try:
        yield caught
    except psycopg2.Error as e:
        caught.append(e)
        assert e.pgcode == code, (
            f"SQLSTATE {e.pgcode} ({e.diag.message_primary}), expected {code}")
        if column is not None:
            assert e.diag.column_name == column, (
                f"COLUMN {e.diag.column_name!r}, expected {column!r} "
                f"({e.diag.message_primary})")
        if message is not None:
            assert e.diag.message_primary == message
        return
    raise AssertionError(f"no error raised, expected SQLSTATE {code}")


# ---- accounts ---------------------------------------------------------

def new_account(conn, name=None):
    """Create an account with a fresh name; return its id."""
    name = name or f"acct-{next(_names)}"
    return value(conn, "SELECT pgjob.create_account(%s)", (name,))


# ---- transitions ------------------------------------------------------

def _named_args(kwargs):
    """'p_k => %s, ...' and the values, jsonb-wrapping dicts and lists."""
    parts, params = [], []
    for key, val in kwargs.items():
        parts.append(f"p_{key} => %s")
        params.append(Json(val) if isinstance(val, (dict, list)) else val)
    return ", ".join(parts), params


def submit_row(conn, account, type="enrich", items=None, **kwargs):
    """pgjob.submit; return {created, <job columns>}."""
    if items is None:
        items = ["a", "b", "c"]
    args, params = _named_args(dict(account_id=account, type=type,
                                    items=items, **kwargs))
    return row(conn, f"SELECT s.created, (s.job).* FROM pgjob.submit({args}) s",
               params)


def submit(conn, account, type="enrich", items=None, **kwargs):
    """pgjob.submit; return the new job's id."""
    return submit_row(conn, account, type, items, **kwargs)["id"]


def submit_many(conn, account, n, type="enrich", items=('x',), **kwargs):
    """Submit n jobs of one type in one statement; return their ids in
    submission order.  Each job's metadata is {"i": its number}, which
    also keeps the planner from calling submit once for all rows."""
    extra, params = _named_args(kwargs)
    return [r["id"] for r in rows(conn, f"""
        SELECT (s.job).id AS id
          FROM generate_series(1, %s) AS g(i),
               LATERAL pgjob.submit(p_account_id => %s, p_type => %s,
                                    p_items => %s::jsonb,
                                    p_metadata => jsonb_build_object('i', g.i)
                                    {', ' + extra if extra else ''}) s
         ORDER BY g.i""", [n, account, type, Json(list(items))] + params)]


def claim(conn, worker="w1", limit=10, types=None, lease=None):
    """pgjob.claim; return the claimed rows (dicts)."""
    kw = dict(worker=worker, limit=limit)
    if types is not None:
        kw["types"] = list(types)
    if lease is not None:
        kw["lease"] = lease
    args, params = _named_args({k: v for k, v in kw.items() if k != "types"})
    if types is not None:
        args += ", p_types => %s::text[]"
        params.append(list(types))
    return rows(conn, f"SELECT * FROM pgjob.claim({args})", params)


def claim_one(conn, job_id, worker="w1", lease=None, by_type=False):
    """Claim exactly the given job; return its row.  The job must be the
    first due one (of its type, with by_type=True)."""
    types = None
    if by_type:
        types = [value(conn, "SELECT type FROM pgjob.job WHERE id = %s",
                       (job_id,))]
    got = claim(conn, worker, 1, types=types, lease=lease)
    assert [r["id"] for r in got] == [job_id], f"claimed {got}, wanted {job_id}"
    return got[0]


def _outcomes(found):
    return {r["id"]: r["outcome"] for r in found}


def complete(conn, entries):
    """pgjob.complete(entries); return {id: outcome}."""
    return _outcomes(rows(conn, "SELECT * FROM pgjob.complete(%s)",
                          (Json(_jsonable(entries)),)))


def complete_one(conn, job_id, attempt, results=None, item_count=3, **extra):
    """Complete one job with `results` (default: one ok result per item)."""
    if results is None:
        results = [{"ok": i} for i in range(item_count)]
    entry = dict(id=job_id, attempt=attempt, results=results,
                 processing_ms=5, **extra)
    return complete(conn, [entry])[job_id]


def fail_rows(conn, entries, base=None, max_=None):
    """pgjob.fail(entries, base, max); return the rows."""
    sql = "SELECT * FROM pgjob.fail(%s"
    params = [Json(_jsonable(entries))]
    if base is not None:
        sql += ", p_backoff_base => %s"
        params.append(base)
    if max_ is not None:
        sql += ", p_backoff_max => %s"
        params.append(max_)
    return rows(conn, sql + ")", params)


def fail_one(conn, job_id, attempt, code="boom", message="it broke",
             fatal=None, base=None, max_=None):
    """Fail one attempt; return its row {id, outcome, run_at}."""
    entry = dict(id=job_id, attempt=attempt,
                 error={"code": code, "message": message})
    if fatal is not None:
        entry["fatal"] = fatal
    found = fail_rows(conn, [entry], base, max_)
    assert len(found) == 1
    return found[0]


def release(conn, entries):
    """pgjob.release(entries); return {id: outcome}."""
    return _outcomes(rows(conn, "SELECT * FROM pgjob.release(%s)",
                          (Json(_jsonable(entries)),)))


def release_one(conn, job_id, attempt):
    return release(conn, [{"id": job_id, "attempt": attempt}])[job_id]


def heartbeat(conn, job_id, attempt, lease=None, **progress):
    """pgjob.heartbeat; return {state, lease_until}."""
    kw = dict(job_id=job_id, attempt=attempt)
    if lease is not None:
        kw["lease"] = lease
    kw.update(progress)
    args, params = _named_args(kw)
    return row(conn, f"SELECT * FROM pgjob.heartbeat({args})", params)


def cancel(conn, account, job_id, reason=None):
    return row(conn, "SELECT * FROM pgjob.cancel(%s, %s, %s)",
               (account, job_id, reason))


def pause(conn, account, job_id):
    return row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (account, job_id))


def resume(conn, account, job_id):
    return row(conn, "SELECT * FROM pgjob.resume(%s, %s)", (account, job_id))


def rescue(conn, limit=None):
    """pgjob.rescue; return {id: outcome}."""
    if limit is None:
        return _outcomes(rows(conn, "SELECT * FROM pgjob.rescue()"))
    return _outcomes(rows(conn, "SELECT * FROM pgjob.rescue(%s)", (limit,)))


def expire(conn, limit=None):
    if limit is None:
        return value(conn, "SELECT pgjob.expire()")
    return value(conn, "SELECT pgjob.expire(%s)", (limit,))


def _jsonable(obj):
    """Entries with uuid ids made JSON-friendly (str)."""
    if isinstance(obj, list):
        return [_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if obj is not None and type(obj).__name__ == "UUID":
        return str(obj)
    return obj


# ---- time travel --------------------------------------------------------

def make_due(conn, job_id):
    """Make a queued job claimable now (its ready.run_at in the past)."""
    n = value(conn, """
        WITH u AS (UPDATE pgjob.ready SET run_at = now() - interval '1 second'
                    WHERE job_id = %s RETURNING 1)
        SELECT count(*) FROM u""", (job_id,))
    assert n == 1, f"job {job_id} has no ready row"


def expire_lease(conn, job_id):
    """Put a running job's lease_until in the past."""
    n = value(conn, """
        WITH u AS (UPDATE pgjob.lease SET lease_until = now() - interval '1 second'
                    WHERE job_id = %s RETURNING 1)
        SELECT count(*) FROM u""", (job_id,))
    assert n == 1, f"job {job_id} has no lease"


# ---- reading state ------------------------------------------------------

def job(conn, job_id):
    """The job's row (all columns) as a dict."""
    return row(conn, "SELECT * FROM pgjob.job WHERE id = %s", (job_id,))


def status(conn, job_id):
    return value(conn, "SELECT status FROM pgjob.job WHERE id = %s", (job_id,))


def ready_row(conn, job_id):
    return row(conn, "SELECT * FROM pgjob.ready WHERE job_id = %s", (job_id,))


def lease_row(conn, job_id):
    return row(conn, "SELECT * FROM pgjob.lease WHERE job_id = %s", (job_id,))


def check_invariants(conn):
    """Assert the invariants of 001_schema.sql over every job:
    queued <=> a ready row (with the job's type and priority);
    processing <=> a lease row for attempt = attempt_count; other statuses
    have neither; a terminal job has completed_at and expires_at; paused
    <=> paused_since, and only an expired job has no items (the partial
    indexes of 013_hotpath.sql); a terminal job is looked at by expire no
    later than ten minutes after its expires_at, and a stub's sweep_at is
    its expires_at (020_hot_completion.sql)."""
    bad = rows(conn, """
        SELECT j.id, j.status, j.attempt_count, r.job_id AS ready,
               r.type AS r_type, r.priority AS r_priority,
               l.job_id AS lease, l.attempt AS l_attempt
          FROM pgjob.job j
          LEFT JOIN pgjob.ready r ON r.job_id = j.id
          LEFT JOIN pgjob.lease l ON l.job_id = j.id
         WHERE (j.status = 'queued') IS DISTINCT FROM (r.job_id IS NOT NULL)
            OR (j.status = 'processing') IS DISTINCT FROM (l.job_id IS NOT NULL)
            OR (r.job_id IS NOT NULL AND (r.type <> j.type OR r.priority <> j.priority))
            OR (l.job_id IS NOT NULL AND l.attempt <> j.attempt_count)
            OR (j.status IN ('completed', 'failed', 'canceled')
                AND (j.completed_at IS NULL OR j.expires_at IS NULL))
            OR (j.status = 'paused') IS DISTINCT FROM (j.paused_since IS NOT NULL)
            OR (j.items IS NULL) IS DISTINCT FROM (j.status = 'expired')
            OR (j.status IN ('completed', 'failed', 'canceled')
                AND j.sweep_at > j.expires_at + interval '10 minutes')
            OR (j.status = 'expired' AND j.sweep_at IS DISTINCT FROM j.expires_at)""")
    assert not bad, f"invariants broken: {bad}"
    orphans = value(conn, """
        SELECT (SELECT count(*) FROM pgjob.ready r
                 WHERE NOT EXISTS (SELECT 1 FROM pgjob.job j WHERE j.id = r.job_id))
             + (SELECT count(*) FROM pgjob.lease l
                 WHERE NOT EXISTS (SELECT 1 FROM pgjob.job j WHERE j.id = l.job_id))""")
    assert orphans == 0


# ---- notifications ------------------------------------------------------

class Listener:
    """A connection LISTENing on pgjob_ready and pgjob_job.

    drain(sender) sends a sentinel from the sending connection and collects
    every notification until the sentinel arrives: a session's
    notifications are delivered in commit order, so when the sentinel is in,
    everything the sender committed before it is in too.  No sleeping; the
    wait is a bounded select().
    """

    CHANNELS = ("pgjob_ready", "pgjob_job")
    SENTINEL_CHANNEL = "pgjob_test_sentinel"

    def __init__(self, conn):
        self.conn = conn
        self._seq = itertools.count(1)
        with conn.cursor() as cur:
            for ch in self.CHANNELS + (self.SENTINEL_CHANNEL,):
                cur.execute(f"LISTEN {ch}")
        self.clear_pending()

    def clear_pending(self):
        self.conn.poll()
        self.conn.notifies.clear()

    def drain(self, sender, timeout=10.0):
        """[(channel, payload)] received up to a sentinel sent by sender."""
        token = f"s{next(self._seq)}"
        with sender.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, %s)",
                        (self.SENTINEL_CHANNEL, token))
        got = []
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
        while True:
            self.conn.poll()
            while self.conn.notifies:
                n = self.conn.notifies.pop(0)
                if n.channel == self.SENTINEL_CHANNEL:
                    if n.payload == token:
                        return got
                    continue
                got.append((n.channel, n.payload))
            left = (deadline - datetime.datetime.now()).total_seconds()
            if left <= 0:
                raise AssertionError(
                    f"sentinel not received within {timeout}s; got {got}")
            select.select([self.conn], [], [], left)

    @staticmethod
    def on(notes, channel):
        """The payloads received on one channel."""
        return [p for ch, p in notes if ch == channel]
