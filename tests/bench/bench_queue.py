# SPDX-License-Identifier: MIT
"""The queue at scale: pgjobd beside the plain SKIP LOCKED loop and its peers.

Starts a throwaway PostgreSQL (as the integration tests do, with
shared_buffers 256MB and wal_init_zero off: pgserver.BenchPgServer) and
drains a preloaded backlog of JOBS no-op jobs through each side in turn,
the sides interleaved within each of RUNS rounds so that a noisy stretch
of a shared machine hits them alike.
Filling the queue is not timed; each side's figure is jobs / seconds from
the worker's start until nothing is left, and the table prints medians,
each beside its baselines as a ratio.

Sides:
  plain      the physical baseline: pgbench, 2 clients, on its own minimal
             table (one row per job, a partial index on the queued rows):
             claim 100 in one UPDATE ... WHERE id = ANY (ARRAY(SELECT ...
             FOR UPDATE SKIP LOCKED LIMIT 100)), complete them in one
             UPDATE
  functions  pgbench, 2 clients, pgjob.claim(100) + pgjob.complete: the
             state machine without pgjobd
  pgjobd     the echo handler, 2 workers, claim_batch = complete_batch =
             100, prefetch 200
  gw, boss   graphile-worker and pg-boss (tests/bench/peers/drain.mjs for
             their settings), installed by npm into build/bench-peers on
             first use; skipped, with a note, when npm is missing or
             BENCH_PEERS=0
  held       pgjobd as above while another session holds a REPEATABLE
             READ snapshot (so no dead tuple can be removed) for two
             backlogs in a row: the second drains on top of the first's
             dead tuples.
  twice      the same two backlogs with no snapshot held: the baseline
             of held's ratio of backlog 2 to backlog 1, since backlog 2
             drains beside backlog 1's finished jobs either way (and,
             unvacuumed in a drain of seconds, most of its dead tuples).

Beside jobs/s it prints the WAL written per job of each pgbench loop
and pgjobd drain (pg_current_wal_lsn before and after; autovacuum's
included) and the CPU time per job of each pgjobd drain (pgjobd's and
its backends', from /proc): what a drain costs, which a loaded machine
bends far less than it bends the rates.

Figures, not assertions.  Environment: PGJOB_BUILD (build folder),
BENCH_QUEUE_JOBS (default 30000), BENCH_LARGE=1 (200,000 jobs),
BENCH_RUNS (default 3), BENCH_PEERS (0: no peers), BENCH_MEMORY_JOBS (jobs
through one pgjobd, 100,000 queued at a time, for its peak resident
memory after the first 100,000 and after all; default 0, 1,000,000 with
BENCH_LARGE=1), BENCH_STATEMENTS=1
(load pg_stat_statements and print where the database time of pgjobd's
drains went), BENCH_BASE_BUILD (a build folder whose pgjobd, on a
database its pgjobctl migrated, runs as one more side: before and after
a change, measured in one run).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

from pgserver import BenchPgServer, PortLock  # noqa: E402
from plain_loop import PLAIN_SCHEMA  # noqa: E402
from bench_daemon import Daemon, LOOP_SCRIPT  # noqa: E402
from web import metric, prometheus  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PGJOB_BUILD", "build"))
LARGE = os.environ.get("BENCH_LARGE") == "1"
JOBS = int(os.environ.get("BENCH_QUEUE_JOBS", "200000" if LARGE else "30000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PEERS = os.environ.get("BENCH_PEERS", "1") != "0"
STATEMENTS = os.environ.get("BENCH_STATEMENTS") == "1"
# Another build (its pgjobctl and pgjobd), e.g. of the main branch, run as
# one more side on a database of its own: a before/after in one run.
BASE = os.environ.get("BENCH_BASE_BUILD")
# Jobs through one pgjobd for the memory figure (0: skipped), in backlogs
# of 100,000: peak resident memory after the first and after the last.
MEMORY_JOBS = int(os.environ.get("BENCH_MEMORY_JOBS", "1000000" if LARGE else "0"))
PEERS_DIR = os.path.join(BUILD, "bench-peers")
BATCH = 100
CLIENTS = 2
DEADLINE = 1800  # seconds any one drain may take
# The sides that drain two backlogs a run (their results are pairs).
PAIRS = ("held", "twice", "base held")

# -M extended: :ids is sent as a parameter, not spliced into the text.
PLAIN_SCRIPT = """\
WITH claimed AS (
    UPDATE plain_job SET status = 'running', locked_at = now(), attempts = attempts + 1
     WHERE id = ANY (ARRAY(SELECT id FROM plain_job
                            WHERE status = 'queued' AND run_at <= now()
                            ORDER BY priority DESC, run_at, id
                            LIMIT 100 FOR UPDATE SKIP LOCKED))
    RETURNING id, payload)
SELECT coalesce(array_agg(id), '{}') AS ids FROM claimed \\gset
UPDATE plain_job SET status = 'done', result = '{"ok": true}', locked_at = NULL
 WHERE id = ANY (:ids::bigint[])
"""


def cpu_seconds(pid):
    """The CPU time (user + system) a process has used, in seconds; 0
    when it is gone.  The server runs on this machine, so its backends'
    times are readable here too."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BenchServer(BenchPgServer):
    SETTINGS = dict(BenchPgServer.SETTINGS, shared_buffers="256MB")
    if STATEMENTS:
        SETTINGS["shared_preload_libraries"] = "'pg_stat_statements'"
        SETTINGS["pg_stat_statements.track"] = "all"


class BuildDaemon(Daemon):
    """bench_daemon's Daemon, running the pgjobd of a given build, with its
    metrics on a loopback port of its own: completed() reads its count of
    recorded completions."""

    def __init__(self, build, dsn, settings):
        self._port = PortLock()
        super().__init__(dsn, dict(settings, metrics_listen=f'"127.0.0.1:{self._port.port}"'))
        self.build = build

    def completed(self):
        url = f"http://127.0.0.1:{self._port.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as r:
            samples = prometheus(r.read().decode())
        return int(metric(samples, "pgjobd_job_outcomes_total", outcome="completed"))

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self._port.release()

    def __enter__(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        try:
            self.proc = subprocess.Popen([os.path.join(self.build, "pgjobd"), "--config",
                                          self.conf], env=env, stdout=self.log, stderr=self.log)
        except OSError:
            self._port.release()
            raise
        return self


class Queue:
    """pgjob's sides on one database migrated by one build's pgjobctl; the
    first Queue (main=True) also runs the plain loop and the peers."""

    def __init__(self, pg, build=BUILD, db="bench_pgjob", main=True):
        self.pg = pg
        self.build = build
        self.db = db
        pg.execute(f"CREATE DATABASE {db}")
        subprocess.run([os.path.join(build, "pgjobctl"), "migrate",
                        "--database", pg.dsn(db)],
                       check=True, stdout=subprocess.DEVNULL)
        self.conn = pg.connect(db)
        self.account = self.one("SELECT pgjob.create_account('bench')")
        self.rss = {}
        # WAL bytes written per job, per side: a figure of the work a
        # drain writes that a loaded machine does not bend
        self.wal = {}
        # CPU time per job of a pgjobd drain: the daemon's and its
        # backends', which a loaded machine bends much less than the rate
        self.cpu = {}
        if not main:
            return
        pg.execute("CREATE DATABASE bench_plain")
        if STATEMENTS:
            self.run("CREATE EXTENSION pg_stat_statements")
        self.peers = self.peers_ready() if PEERS else "BENCH_PEERS=0"

    def one(self, sql, params=None, conn=None):
        with (conn or self.conn).cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def run(self, sql, params=None, conn=None):
        with (conn or self.conn).cursor() as cur:
            cur.execute(sql, params)

    # ---- the peers, from npm, outside the product ----

    def peers_ready(self):
        """Install the peers into build/bench-peers; True, or why not."""
        node = os.path.join(PEERS_DIR, "node_modules", ".bin", "node")
        src = os.path.join(HERE, "peers")
        if shutil.which("npm") is None:
            return "npm is not installed"
        os.makedirs(PEERS_DIR, exist_ok=True)
        for name in ("package.json", "drain.mjs"):
            shutil.copyfile(os.path.join(src, name), os.path.join(PEERS_DIR, name))
        if not os.path.exists(node):
            out = subprocess.run(["npm", "install", "--no-audit", "--no-fund"],
                                 cwd=PEERS_DIR, capture_output=True, text=True)
            if out.returncode != 0 or not os.path.exists(node):
                return "npm install failed: " + out.stderr.strip()[-300:]
        return True

    def peer(self, name):
        out = subprocess.run([os.path.join("node_modules", ".bin", "node"), "drain.mjs",
                              name, self.pg.host, str(self.pg.port), f"bench_{name}",
                              str(JOBS)], cwd=PEERS_DIR, capture_output=True, text=True,
                             timeout=DEADLINE)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            raise RuntimeError(f"peer {name} failed: {out.stderr[-500:]}")
        return json.loads(lines[-1])["jobs_per_s"]

    # ---- pgjob ----

    def fill(self, n, truncate=True):
        """Queue n one-item echo jobs, 1,000 per statement (not timed)."""
        if truncate:
            self.run("TRUNCATE pgjob.job, pgjob.ready, pgjob.lease, pgjob.job_history")
        for start in range(0, n, 1000):
            self.run("SELECT count(*) FROM generate_series(%s, %s) g,"
                     " pgjob.submit(%s, 'echo', jsonb_build_array(g))",
                     (start + 1, min(n, start + 1000), self.account))
        if truncate:
            self.run("VACUUM ANALYZE pgjob.job, pgjob.ready, pgjob.lease, pgjob.job_history")
        else:
            self.run("ANALYZE pgjob.job, pgjob.ready, pgjob.lease")

    def left(self):
        return self.one("SELECT (SELECT count(*) FROM pgjob.ready)"
                        " + (SELECT count(*) FROM pgjob.lease)")

    def wait_empty(self, d, total):
        """Wait until daemon d has recorded `total` completions, then check
        that nothing is queued or running.  The daemon's own counter (its
        metrics_listen), read over loopback, is the probe: it counts a
        completion once the database has answered for it and costs the
        database nothing.  Counting rows is no cheap probe under a held
        snapshot (pgjob.ready and pgjob.lease hold every dead tuple of a
        drain), and the statistics' insert counter can lag by the server's
        idle flush interval (10 s in PostgreSQL 15), which once made a
        drain of 1.2 s measure as 10."""
        end = time.monotonic() + DEADLINE
        while d.completed() < total:
            if d.proc.poll() is not None:
                raise RuntimeError("pgjobd exited during the benchmark")
            if time.monotonic() > end:
                raise RuntimeError("a drain did not finish in time")
            time.sleep(0.02)  # a measurement poll, not synchronisation
        done = time.monotonic()
        left = self.left()
        if left != 0:
            raise RuntimeError(f"{left} jobs queued or running after {total} completions")
        return done

    def completed(self):
        return self.one("SELECT count(*) FROM pgjob.job WHERE status = 'completed'"
                        " AND attempt_count = 1")

    def wal_mark(self):
        return self.one("SELECT pg_current_wal_lsn()::text")

    def wal_count(self, side, mark):
        """Record the WAL written since mark, per job of a backlog."""
        written = self.one("SELECT pg_current_wal_lsn() - %s::pg_lsn", (mark,))
        self.wal.setdefault(side, []).append(float(written) / JOBS)

    def drain(self, side):
        """Drain the queued backlog of JOBS jobs with a fresh pgjobd;
        returns jobs/s."""
        mark = self.wal_mark()
        with BuildDaemon(self.build, self.pg.dsn(self.db), {
                "workers": CLIENTS, "claim_batch": BATCH, "complete_batch": BATCH,
                "prefetch": 2 * BATCH, "types": "echo"}) as d:
            start = d.wait_ready()
            end = self.wait_empty(d, JOBS)
            self.rss[side] = max(self.rss.get(side, 0), d.peak_rss_kb())
            # the daemon is fresh, and so are its backends: all their time
            # is this drain's
            with self.conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
                pids = [r[0] for r in cur.fetchall()]
            used = cpu_seconds(d.proc.pid) + sum(cpu_seconds(p) for p in pids)
            self.cpu.setdefault(side, []).append(used * 1e6 / JOBS)
        self.wal_count(side, mark)
        return JOBS / (end - start)

    def pgjobd(self, reset=False):
        self.fill(JOBS)
        if reset:
            self.run("SELECT pg_stat_statements_reset()")
        rate = self.drain("pgjobd")
        if self.completed() != JOBS:
            raise RuntimeError(f"pgjobd completed {self.completed()} of {JOBS} jobs once")
        return rate

    def held(self, hold=True):
        """Two backlogs in a row under one held REPEATABLE READ snapshot:
        the second is queued on top of the first's dead tuples.  With
        hold=False, the same two backlogs with no snapshot held (side
        "twice"): the baseline of the second backlog's ratio, which the
        first backlog's unvacuumed dead tuples move too."""
        side = "held" if hold else "twice"
        self.fill(JOBS)
        holder = self.pg.connect(self.db, autocommit=False) if hold else None
        try:
            if holder is not None:
                holder.set_session(isolation_level="REPEATABLE READ")
                self.run("SELECT count(*) FROM pgjob.account", conn=holder)
                if self.one("SELECT backend_xmin IS NOT NULL FROM pg_stat_activity"
                            " WHERE pid = %s", (holder.get_backend_pid(),)) is not True:
                    raise RuntimeError("the snapshot holder holds no xmin")
            rates = [self.drain(side)]
            self.fill(JOBS, truncate=False)
            rates.append(self.drain(side))
        finally:
            if holder is not None:
                holder.rollback()
                holder.close()
        if self.completed() != 2 * JOBS:
            raise RuntimeError(f"pgjobd completed {self.completed()} of {2 * JOBS} jobs once")
        return rates

    def memory(self, total):
        """One pgjobd drains `total` jobs, 100,000 queued at a time;
        returns [(jobs so far, its peak resident memory in KiB)]."""
        step = min(total, 100000)
        self.fill(0)
        marks = []
        with BuildDaemon(self.build, self.pg.dsn(self.db), {
                "workers": CLIENTS, "claim_batch": BATCH, "complete_batch": BATCH,
                "prefetch": 2 * BATCH, "types": "echo"}) as d:
            d.wait_ready()
            for done in range(step, total + 1, step):
                self.fill(step, truncate=False)
                self.wait_empty(d, done)
                marks.append((done, d.peak_rss_kb()))
                print(f"memory: {done} jobs, pgjobd peak {marks[-1][1] / 1024:.1f} MiB",
                      flush=True)
        return marks

    # ---- pgbench loops ----

    def pgbench(self, db, script, per_client):
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
            f.write(script)
            f.flush()
            os.chmod(f.name, 0o644)
            argv = [os.path.join(self.pg.pg_bindir, "pgbench"), "-n", "-M", "extended",
                    "-c", str(CLIENTS), "-j", str(CLIENTS), "-t", str(per_client),
                    "-f", f.name, "-h", self.pg.host, "-p", str(self.pg.port),
                    "-U", "postgres", db]
            start = time.monotonic()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=DEADLINE)
            return time.monotonic() - start

    def plain(self):
        conn = self.pg.connect("bench_plain")
        try:
            self.run("DROP TABLE IF EXISTS plain_job", conn=conn)
            self.run(PLAIN_SCHEMA, conn=conn)
            for start in range(0, JOBS, 1000):
                self.run("INSERT INTO plain_job (payload) SELECT jsonb_build_object('n', g)"
                         " FROM generate_series(%s, %s) g",
                         (start + 1, min(JOBS, start + 1000)), conn=conn)
            self.run("VACUUM ANALYZE plain_job", conn=conn)
            mark = self.wal_mark()
            elapsed = self.pgbench("bench_plain", PLAIN_SCRIPT, JOBS // (BATCH * CLIENTS) + 2)
            self.wal_count("plain", mark)
            done = self.one("SELECT count(*) FROM plain_job WHERE status = 'done'", conn=conn)
        finally:
            conn.close()
        if done != JOBS:
            raise RuntimeError(f"the plain loop completed {done} of {JOBS} jobs")
        return JOBS / elapsed

    def functions(self):
        self.fill(JOBS)
        mark = self.wal_mark()
        elapsed = self.pgbench(self.db, LOOP_SCRIPT.format(batch=BATCH),
                               JOBS // (BATCH * CLIENTS) + 2)
        self.wal_count("functions", mark)
        done = self.completed()
        if done != JOBS:
            raise RuntimeError(f"the functions loop completed {done} of {JOBS} jobs")
        return JOBS / elapsed

    # ---- where the time went ----

    def statements(self):
        rows = []
        with self.conn.cursor() as cur:
            cur.execute("SELECT calls, total_exec_time, rows, toplevel,"
                        " left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
                        " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
                        " WHERE datname = 'bench_pgjob') ORDER BY total_exec_time DESC LIMIT 12")
            rows = cur.fetchall()
        return rows


def fmt_ratio(a, b):
    return f"{a / b:5.2f}" if a and b else "    -"


def main():
    # SIGTERM ends the run through the finally below, which stops PostgreSQL.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    pg = BenchServer()
    load_start = os.getloadavg()
    try:
        pg.setup()
        q = Queue(pg)
        sides = [("plain", q.plain), ("functions", q.functions), ("pgjobd", q.pgjobd)]
        if BASE:
            base = Queue(pg, BASE, "bench_pgjob_base", main=False)
            sides += [("base", base.pgjobd), ("base held", base.held)]
        if q.peers is True:
            sides += [("gw", lambda: q.peer("gw")), ("boss", lambda: q.peer("boss"))]
        sides += [("held", q.held), ("twice", lambda: q.held(hold=False))]
        res = {name: [] for name, _ in sides}
        for r in range(RUNS):
            for name, f in sides:
                last = name == "pgjobd" and STATEMENTS and r == RUNS - 1
                v = q.pgjobd(reset=True) if last else f()
                res[name].append(v)
                shown = " ".join(f"{x:.0f}" for x in v) if isinstance(v, list) else f"{v:.0f}"
                print(f"run {r + 1} {name:10s} {shown} jobs/s", flush=True)
                if last:
                    top = q.statements()
        load_end = os.getloadavg()
        med = {k: statistics.median(v) for k, v in res.items() if k not in PAIRS}
        names = {"plain": "plain SKIP LOCKED loop (pgbench)",
                 "functions": "pgjob.claim + complete (pgbench)",
                 "pgjobd": "pgjobd", "gw": "graphile-worker 0.18",
                 "boss": "pg-boss 12", "base": "pgjobd, base build"}
        gw = med.get("gw")
        print()
        print(f"queue drain: {JOBS} no-op jobs per backlog, median of {RUNS} runs,"
              " sides interleaved in each run")
        print(f"{'side':<46} {'jobs/s':>9} {'/plain':>7} {'/gw':>7}")
        for k, v in med.items():
            print(f"{names[k]:<46} {v:>9.0f} {fmt_ratio(v, med['plain']):>7}"
                  f" {fmt_ratio(v, gw):>7}")
        # the sides of two backlogs each; the unheld pair is the held
        # ratio's baseline
        for pair, normal, how in (("held", "pgjobd", "held xmin"),
                                  ("twice", "pgjobd", "no snapshot held"),
                                  ("base held", "base", "held xmin")):
            if pair not in res:
                continue
            first = statistics.median(v[0] for v in res[pair])
            second = statistics.median(v[1] for v in res[pair])
            # the ratio of each run's pair, then their median: the two
            # drains of a run saw the same stretch of the machine
            decay = statistics.median(v[1] / v[0] for v in res[pair])
            label = f"{names[normal]}, {how}, backlog"
            print(f"{label + ' 1':<46} {first:>9.0f}   {first / med[normal]:.2f} of {names[normal]}")
            print(f"{label + ' 2':<46} {second:>9.0f}   {second / med[normal]:.2f} of"
                  f" {names[normal]}, {decay:.2f} of backlog 1 (same runs)")
        if BASE:
            print(f"pgjobd / pgjobd of the base build: {med['pgjobd'] / med['base']:.2f}"
                  f" (BENCH_BASE_BUILD={BASE})")
        if q.peers is not True:
            print(f"peers skipped: {q.peers}")
        print("goals: pgjobd >= 1.5 x graphile-worker, >= 0.8 x plain; held xmin >= 0.5 of"
              " pgjobd, backlog 2 no slower than backlog 1")
        wal = {**q.wal, **({"base": base.wal["pgjobd"]} if BASE else {})}
        cpu = {**q.cpu, **({"base": base.cpu["pgjobd"]} if BASE else {})}
        print("CPU time per job of a pgjobd drain (pgjobd and its backends), median (us): "
              + ", ".join(f"{k} {statistics.median(cpu[k]):.1f}"
                          for k in ("pgjobd", "base") if k in cpu))
        # the held drains come in pairs: backlog 1, backlog 2 of each run
        for k, held in (("pgjobd, held xmin", q.cpu.get("held")),
                        ("pgjobd, no snapshot held", q.cpu.get("twice")),
                        ("base, held xmin", base.cpu.get("held") if BASE else None)):
            if held:
                print(f"  {k}: backlog 1 {statistics.median(held[0::2]):.1f},"
                      f" backlog 2 {statistics.median(held[1::2]):.1f}")
        print("WAL written per job, median (bytes): "
              + ", ".join(f"{k} {statistics.median(wal[k]):.0f}"
                          for k in ("plain", "functions", "pgjobd", "base") if k in wal))
        print(f"pgjobd peak resident memory: {q.rss.get('pgjobd', 0) / 1024:.1f} MiB,"
              f" held-xmin runs {q.rss.get('held', 0) / 1024:.1f} MiB")
        print(f"settings: PostgreSQL {q.one('SHOW server_version')}, shared_buffers 256MB,"
              " fsync off, full_page_writes off, wal_init_zero off, synchronous_commit on;"
              " one database per side;")
        print(f"  batch {BATCH}, {CLIENTS} pgbench clients / pgjobd workers, prefetch 200,"
              " graphile-worker concurrency 24 + local queue 500, pg-boss batch 100 x 2;")
        print(f"  {os.cpu_count()} CPUs, load average {load_start[0]:.1f} at the start,"
              f" {load_end[0]:.1f} at the end")
        if MEMORY_JOBS:
            marks = q.memory(MEMORY_JOBS)
            print(f"pgjobd peak resident memory over {MEMORY_JOBS} jobs (one daemon):"
                  f" {marks[0][1] / 1024:.1f} MiB after {marks[0][0]},"
                  f" {marks[-1][1] / 1024:.1f} MiB after {marks[-1][0]}")
        if STATEMENTS:
            print("\npgjobd's last drain, pg_stat_statements (calls, total ms, rows, top level):")
            for calls, total, rows, top, text in top:
                print(f"  {calls:>7} {total:>9.0f} {rows:>8} {'t' if top else 'f'}  {text}")
    finally:
        pg.cleanup()


if __name__ == "__main__":
    main()
