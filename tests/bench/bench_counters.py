# SPDX-License-Identifier: MIT
"""The cost of the outcome counters (sql/009_metrics.sql) on the
claim-and-complete path: the same jobs claimed and completed in batches
with the counting trigger enabled and disabled, interleaved, several
rounds; prints the median time per job of each and the difference.
A figure beside its baseline, never an assertion (`make bench`).

Starts a throwaway PostgreSQL as the integration tests do.
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from psycopg2.extras import Json  # noqa: E402

from pgserver import PgServer  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("PGJOB_BUILD", "build"))
JOBS, BATCH, ROUNDS = 5000, 100, 5


def run_once(conn, account):
    """Submits JOBS echo jobs, then claims and completes them in batches;
    the seconds per job of the claim-and-complete part."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM generate_series(1, %s) i,"
                    " pgjob.submit(%s, 'echo', jsonb_build_array(i))", (JOBS, account))
        start = time.perf_counter()
        while True:
            cur.execute("SELECT id, attempt FROM pgjob.claim('bench', %s)", (BATCH,))
            got = cur.fetchall()
            if not got:
                break
            cur.execute("SELECT count(*) FROM pgjob.complete(%s)",
                        (Json([{"id": str(i), "attempt": a, "results": [{"ok": 1}],
                                "processing_ms": 1} for i, a in got]),))
        return (time.perf_counter() - start) / JOBS


def main():
    pg = PgServer()
    try:
        pg.setup()
        pg.execute("CREATE DATABASE bench")
        subprocess.run([os.path.join(BUILD, "pgjobctl"), "migrate", "--database",
                        pg.dsn("bench")], check=True, stdout=subprocess.DEVNULL)
        conn = pg.connect("bench")
        with conn.cursor() as cur:
            cur.execute("SELECT pgjob.create_account('bench')")
            account = cur.fetchone()[0]
        times = {"ENABLE": [], "DISABLE": []}
        for _ in range(ROUNDS):
            for mode in times:
                with conn.cursor() as cur:
                    cur.execute(f"ALTER TABLE pgjob.job {mode} TRIGGER job_count_outcomes")
                times[mode].append(run_once(conn, account))
        on, off = statistics.median(times["ENABLE"]), statistics.median(times["DISABLE"])
        print(f"claim+complete per job, batches of {BATCH}, median of {ROUNDS}: "
              f"counters on {on * 1e6:.1f} us, off {off * 1e6:.1f} us "
              f"({(on - off) * 1e6:+.1f} us, {on / off - 1:+.1%})")
    finally:
        pg.cleanup()


if __name__ == "__main__":
    main()
