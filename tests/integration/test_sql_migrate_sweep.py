# SPDX-License-Identifier: MIT
"""sql/020_hot_completion.sql on a database that already holds jobs: the
backfill of pgjob.job.sweep_at, from which expiry goes on as before."""

import datetime
import glob
import os

import pytest

import programs
from jobs_helpers import (claim_one, complete_one, expire, new_account, row, status, submit,
                          value)

pytestmark = pytest.mark.sql_only

SQL_DIR = os.path.join(programs.REPO_ROOT, "sql")


def apply(conn, versions):
    """Run the migration files whose number is in versions, in order, as
    plain SQL (pgjobctl's bookkeeping is not needed here)."""
    for path in sorted(glob.glob(os.path.join(SQL_DIR, "[0-9][0-9][0-9]_*.sql"))):
        if int(os.path.basename(path)[:3]) in versions:
            with open(path, encoding="utf-8") as f:
                conn.cursor().execute(f.read())


def test_backfill_gives_each_kind_of_job_its_sweep_at(connect, empty_db):
    conn = connect(empty_db.name)
    apply(conn, range(1, 20))
    acct = new_account(conn)
    hour = datetime.timedelta(hours=1)
    queued = submit(conn, acct, retention=hour)
    done = submit(conn, acct, "done", retention=hour)
    complete_one(conn, done, claim_one(conn, done, by_type=True)["attempt"])
    stub = submit(conn, acct, "stub", retention=hour)
    complete_one(conn, stub, claim_one(conn, stub, by_type=True)["attempt"])
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now() - interval '2 days'"
                          " WHERE id = %s", (stub,))
    assert expire(conn) == 1
    running = submit(conn, acct, "running", retention=hour)
    claim_one(conn, running, by_type=True)
    paused = submit(conn, acct, "paused", retention=hour)
    row(conn, "SELECT * FROM pgjob.pause(%s, %s)", (acct, paused))
    canceled = submit(conn, acct, "canceled", retention=hour)
    row(conn, "SELECT * FROM pgjob.cancel(%s, %s)", (acct, canceled))
    # An unfinished job whose floor has passed already.
    old = submit(conn, acct, retention=hour)
    conn.cursor().execute("UPDATE pgjob.job SET created_at = now() - interval '2 hours'"
                          " WHERE id = %s", (old,))

    apply(conn, [20])

    by_floor = "SELECT sweep_at = created_at + retention FROM pgjob.job WHERE id = %s"
    by_expiry = "SELECT sweep_at = expires_at FROM pgjob.job WHERE id = %s"
    for jid in (queued, running, paused, old):
        assert value(conn, by_floor, (jid,))
    for jid in (done, canceled, stub):
        assert value(conn, by_expiry, (jid,))
    assert value(conn, "SELECT attnotnull FROM pg_attribute"
                       " WHERE attrelid = 'pgjob.job'::regclass AND attname = 'sweep_at'")
    # Expiry and pruning go on from there: the passed floor is moved on,
    # the completed job expires when its time comes, the stub is pruned
    # by the age of its expires_at.
    assert expire(conn) == 0
    assert value(conn, "SELECT sweep_at > now() FROM pgjob.job WHERE id = %s", (old,))
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now()"
                          " WHERE id = %s", (done,))
    assert expire(conn) == 1 and status(conn, done) == "expired"
    assert value(conn, "SELECT pgjob.prune(interval '1 day', 10)") == 1
    assert row(conn, "SELECT id FROM pgjob.job WHERE id = %s", (stub,)) is None
