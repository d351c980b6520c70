# SPDX-License-Identifier: MIT
"""Four workers drain 10,000 jobs at once: each job is claimed exactly once,
completed once, with no deadlock and no lost job."""

import collections
import threading
import time

import pytest
from psycopg2.extras import Json

from jobs_helpers import check_invariants, new_account, rows, value


pytestmark = pytest.mark.sql_only

JOBS = 10_000
WORKERS = 4
BATCH = 50
DEADLINE = 60  # seconds; the run normally takes a few


def test_four_workers_claim_each_job_once(conn, connect):
    acct = new_account(conn)
    conn.cursor().execute("""
        SELECT count(*) FROM generate_series(1, %s) AS g(i),
               LATERAL pgjob.submit(p_account_id => %s, p_type => 'enrich',
                                    p_items => jsonb_build_array(g.i)) s""",
                          (JOBS, acct))
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == JOBS

    conns = [connect() for _ in range(WORKERS)]
    claimed = collections.defaultdict(list)   # worker -> [(id, attempt)]
    errors = []
    start = threading.Barrier(WORKERS)
    give_up = time.monotonic() + DEADLINE

    def work(n, c):
        name = f"w{n}"
        try:
            start.wait(30)
            while time.monotonic() < give_up:
                got = rows(c, f"SELECT id, attempt, items FROM "
                           f"pgjob.claim('{name}', {BATCH})")
                if not got:
                    return
                claimed[name].extend((r["id"], r["attempt"]) for r in got)
                out = rows(c, "SELECT * FROM pgjob.complete(%s)", (Json([
                    {"id": r["id"], "attempt": r["attempt"],
                     "results": [{"echo": r["items"][0]}],
                     "processing_ms": 1} for r in got]),))
                lost = [r for r in out if r["outcome"] != "completed"]
                if lost:
                    errors.append(f"{name}: not completed: {lost}")
                    return
            errors.append(f"{name}: still claiming after {DEADLINE}s")
        except Exception as e:   # a deadlock or anything else
            errors.append(f"{name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(n, c))
               for n, c in enumerate(conns, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE + 30)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors

    all_claims = [c for per in claimed.values() for c in per]
    ids = [i for i, _ in all_claims]
    assert len(ids) == JOBS, "total claims"
    assert len(set(ids)) == JOBS, "a job was claimed twice"
    assert {a for _, a in all_claims} == {1}

    assert rows(conn, """
        SELECT status, attempt_count, failed_attempts, count(*) AS n,
               bool_and(results = jsonb_build_array(
                            jsonb_build_object('echo', items -> 0))) AS echoed
          FROM pgjob.job GROUP BY 1, 2, 3""") == [
        {"status": "completed", "attempt_count": 1, "failed_attempts": 0,
         "n": JOBS, "echoed": True}]
    assert value(conn, "SELECT count(*) FROM pgjob.ready") == 0
    assert value(conn, "SELECT count(*) FROM pgjob.lease") == 0
    check_invariants(conn)
