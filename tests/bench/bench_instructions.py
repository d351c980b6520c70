# SPDX-License-Identifier: MIT
"""Instructions per job: pgjob's claim + complete beside the plain SKIP
LOCKED loop, counted by valgrind.

The rates of bench_queue.py swing by a fifth or more between runs of one
build on a shared machine, which hides a change worth a few per cent.
The instructions a backend executes per job do not swing: two runs of
one build agree to a hundredth of a per cent.  So this benchmark counts
them, for a change's before and after and for the gap to the plain loop.

Starts a throwaway PostgreSQL (pgserver.BenchPgServer), migrates a
database with this build's pgjobctl (and one with BENCH_BASE_BUILD's,
when set), queues JOBS one-item echo jobs in each and a plain_job table
as bench_queue.py's plain loop has it, then stops the server.  For each
side, on a copy of the stopped cluster, one single-user backend
(`postgres --single`) runs under `valgrind --tool=cachegrind` a script of
WARM batches of 100 and then, on a second copy, WARM + COUNTED batches;
the difference of the two instruction totals, divided by COUNTED x 100,
is the side's instructions per job: start-up and the first batches'
planning cancel out.

A batch is two transactions, as a worker's are: the claim, whose rows
are kept in an unlogged table, and the complete, whose JSON text is
built from them with string functions and parsed by pgjob.complete as
pgjobd's is (pgjobd builds it in C; the string functions cost a little
more).  The plain side is bench_queue.py's two statements, the claimed
ids kept between them the same way.

Figures, not assertions.  Environment: PGJOB_BUILD, BENCH_BASE_BUILD (a
build folder: its migrations as one more side), BENCH_IR_JOBS (jobs
queued, default 30000), BENCH_IR_BATCHES (batches counted, default 10).
Needs valgrind (make bench installs it).
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

from pgserver import BenchPgServer  # noqa: E402
from plain_loop import PLAIN_SCHEMA  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PGJOB_BUILD", "build"))
BASE = os.environ.get("BENCH_BASE_BUILD")
JOBS = int(os.environ.get("BENCH_IR_JOBS", "30000"))
COUNTED = int(os.environ.get("BENCH_IR_BATCHES", "10"))
# Batches run before the counted ones.  PL/pgSQL plans each statement of
# a function afresh for its first five runs, then keeps a generic plan if
# that looks no dearer: after six batches every statement has settled.
WARM = 6
BATCH = 100

# One line per transaction: single-user mode runs each line as one.  The
# batch tables are unlogged, and hold narrow rows that are never compressed.
# Keeping a batch between its two transactions (a DELETE and an INSERT of
# 100 narrow rows) and building the completions' text cost the functions
# side a few thousand instructions a job that pgjobd does not spend in the
# database; a before and after are alike in that.
SIDES = {
    "functions": (
        "DELETE FROM bench_batch; INSERT INTO bench_batch"
        " SELECT id, attempt, items -> 0 FROM pgjob.claim('bench', 100, '{echo}'::text[]);",
        "SELECT count(*) FROM pgjob.complete((SELECT '[' || string_agg('{\"id\": \"' || id"
        " || '\", \"attempt\": ' || attempt || ', \"results\": [{\"status\": \"completed\","
        " \"output\": ' || output || ', \"error\": null}], \"items_failed\": 0,"
        " \"processing_ms\": 0}', ', ') || ']' FROM bench_batch)::jsonb);",
    ),
    "plain": (
        "DELETE FROM bench_ids; WITH claimed AS (UPDATE plain_job SET status = 'running',"
        " locked_at = now(), attempts = attempts + 1 WHERE id = ANY (ARRAY(SELECT id"
        " FROM plain_job WHERE status = 'queued' AND run_at <= now()"
        " ORDER BY priority DESC, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED))"
        " RETURNING id, payload) INSERT INTO bench_ids"
        " SELECT coalesce(array_agg(id), '{}') FROM claimed;",
        "UPDATE plain_job SET status = 'done', result = '{\"ok\": true}', locked_at = NULL"
        " WHERE id = ANY ((SELECT ids FROM bench_ids)::bigint[]);",
    ),
}


# What a run has done, checked at its end.
DONE = {
    "functions": "SELECT 1 / (count(*) = {n})::integer FROM pgjob.job"
                 " WHERE status = 'completed' AND attempt_count = 1;",
    "plain": "SELECT 1 / (count(*) = {n})::integer FROM plain_job"
             " WHERE status = 'done' AND attempts = 1;",
}


class Cluster(BenchPgServer):
    SETTINGS = dict(BenchPgServer.SETTINGS, shared_buffers="256MB")


def prepare(pg, db, build):
    """A database migrated by build's pgjobctl, with JOBS queued jobs, the
    plain table with JOBS rows, and the two batch tables."""
    pg.execute(f"CREATE DATABASE {db}")
    subprocess.run([os.path.join(build, "pgjobctl"), "migrate", "--database", pg.dsn(db)],
                   check=True, stdout=subprocess.DEVNULL)
    conn = pg.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pgjob.create_account('bench')")
            account = cur.fetchone()[0]
            cur.execute(PLAIN_SCHEMA)
            for start in range(0, JOBS, 1000):
                span = (start + 1, min(JOBS, start + 1000))
                cur.execute("SELECT count(*) FROM generate_series(%s, %s) g,"
                            " pgjob.submit(%s, 'echo', jsonb_build_array(g))", span + (account,))
                cur.execute("INSERT INTO plain_job (payload) SELECT jsonb_build_object('n', g)"
                            " FROM generate_series(%s, %s) g", span)
            cur.execute("CREATE UNLOGGED TABLE bench_batch (id uuid, attempt integer, output jsonb);"
                        " CREATE UNLOGGED TABLE bench_ids (ids bigint[])")
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def count(pg, db, side, batches, work):
    """Instructions of one single-user backend running `batches` batches
    of side on a fresh copy of the stopped cluster."""
    copy = os.path.join(work, "data")
    shutil.rmtree(copy, ignore_errors=True)
    # cp -a keeps the files' owner (the postgres user when run as root)
    subprocess.run(["cp", "-a", pg.datadir, copy], check=True)
    script = os.path.join(work, "script.sql")
    claim, complete = SIDES[side]
    with open(script, "w", encoding="utf-8") as f:
        # A first statement of no cost: the backend's own start-up
        # (catalog caches) happens on both runs alike.
        f.write("SELECT 1;\n")
        for _ in range(batches):
            f.write(claim + "\n" + complete + "\n")
        # Every job of the batches must have been done, once: a division by
        # zero otherwise, which exit_on_error turns into a failed run.
        f.write(DONE[side].format(n=batches * BATCH) + "\n")
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           os.path.join(pg.pg_bindir, "postgres"), "--single", "-D", copy,
           "-c", "fsync=off", "-c", "shared_buffers=256MB", "-c", "exit_on_error=on", db]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    with open(script, encoding="utf-8") as stdin:
        out = subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, cwd=work,
                             timeout=1800)
    if out.returncode != 0 or "ERROR:" in out.stdout + out.stderr:
        raise RuntimeError(f"{side}: the single-user run failed:\n"
                           f"{(out.stdout + out.stderr)[-2000:]}")
    for line in out.stderr.splitlines():
        if "I   refs:" in line or "I refs:" in line:
            return int(line.split(":")[1].replace(",", "").strip())
    raise RuntimeError(f"{side}: no instruction count in valgrind's output")


def per_job(pg, db, side, work):
    low = count(pg, db, side, WARM, work)
    high = count(pg, db, side, WARM + COUNTED, work)
    return (high - low) / (COUNTED * BATCH)


def main():
    if COUNTED < 1 or JOBS < (WARM + COUNTED) * BATCH:
        sys.exit(f"BENCH_IR_BATCHES must be at least 1 and BENCH_IR_JOBS at least"
                 f" {(WARM + COUNTED) * BATCH} (the batches run)")
    if shutil.which("valgrind") is None:
        print("instructions per job: skipped (valgrind is not installed; make bench installs it)")
        return
    pg = Cluster()
    work = tempfile.mkdtemp(prefix="pgjob-ir-")
    try:
        pg.setup()
        dbs = [("this build", "bench_ir", BUILD)]
        if BASE:
            dbs.append(("base build", "bench_ir_base", BASE))
        for _, db, build in dbs:
            prepare(pg, db, build)
        pg.stop()
        if os.geteuid() == 0:
            shutil.chown(work, "postgres")
        plain = per_job(pg, "bench_ir", "plain", work)
        rows = [("plain SKIP LOCKED loop", plain)]
        for name, db, _ in dbs:
            rows.append((f"pgjob.claim + complete ({name})", per_job(pg, db, "functions", work)))
    finally:
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"instructions per job: one single-user backend under valgrind (cachegrind),"
          f" {JOBS} jobs queued, {COUNTED} batches of {BATCH} counted after {WARM}")
    print(f"{'side':<52} {'instructions':>12} {'/plain':>7}")
    for name, ir in rows:
        print(f"{name:<52} {ir:>12,.0f} {ir / plain:>7.2f}")
    if BASE:
        print(f"this build / base build: {rows[1][1] / rows[2][1]:.3f}")
    print("a batch is two transactions (claim, complete), as a worker's; the functions side"
          " builds its completions' JSON text in SQL, which pgjobd does in C")


if __name__ == "__main__":
    main()
