# SPDX-License-Identifier: MIT
"""pgjobd benchmark: figures beside their baselines, measured in one run.

Starts a throwaway PostgreSQL (as the integration tests do), migrates it
with the real pgjobctl, and measures:

  throughput  no-op (echo) jobs per second through pgjobd at 2 and 8
              workers, against the plain-SQL loop of the same batched
              claim and complete statements driven by pgbench at the same
              concurrency and batch size;
  latency     submit-to-start of single jobs with an idle daemon (the
              job's started_at minus its created_at, both from the
              server's clock), against a minimal LISTEN client that claims
              on each notification;
  memory      peak resident memory (VmHWM) of pgjobd.

Each figure is the median of RUNS runs.  Figures, not assertions: nothing
here fails on a slow machine.

Environment: PGJOB_BUILD (build folder, default build), BENCH_JOBS
(default 50000), BENCH_RUNS (default 3), BENCH_LATENCY_JOBS (default
1000).
"""

import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402

from pgserver import PgServer  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PGJOB_BUILD", "build"))
JOBS = int(os.environ.get("BENCH_JOBS", "50000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LATENCY_JOBS = int(os.environ.get("BENCH_LATENCY_JOBS", "1000"))
DEADLINE = 600  # seconds any one measurement may take

# The claim names the job types it takes, as pgjobd's does (a daemon only
# claims the types it has handlers for: here the built-in ones); the
# filter costs PostgreSQL some 7-10% over a claim of every type.
LOOP_SCRIPT = """\
SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'attempt', attempt,
       'results', jsonb_build_array(jsonb_build_object('status', 'completed',
       'output', items -> 0, 'error', NULL)), 'processing_ms', 0)), '[]') AS batch
  FROM pgjob.claim('pgbench', {batch}, '{{echo,enrich,contact}}'::text[]) \\gset
SELECT count(*) FROM pgjob.complete(:batch::jsonb)
"""


class Bench:
    def __init__(self, pg):
        self.pg = pg
        self.dbname = "bench"
        pg.execute(f"CREATE DATABASE {self.dbname}")
        subprocess.run([os.path.join(BUILD, "pgjobctl"), "migrate",
                        "--database", pg.dsn(self.dbname)],
                       check=True, stdout=subprocess.DEVNULL)
        self.conn = pg.connect(self.dbname)
        self.account = self.one("SELECT pgjob.create_account('bench')")

    def one(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def run(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def fill(self, n):
        """Empty the queue and history, then queue n one-item echo jobs."""
        self.run("TRUNCATE pgjob.job, pgjob.ready, pgjob.lease")
        self.run("SELECT count(*) FROM generate_series(1, %s) g,"
                 " pgjob.submit(%s, 'echo', jsonb_build_array(g))",
                 (n, self.account))
        self.run("VACUUM ANALYZE pgjob.job, pgjob.ready, pgjob.lease")

    def left(self):
        return self.one("SELECT (SELECT count(*) FROM pgjob.ready)"
                        " + (SELECT count(*) FROM pgjob.lease)")

    def wait_empty(self, proc=None):
        """Wait until every job is done; polled, bounded."""
        end = time.monotonic() + DEADLINE
        while self.left() > 0:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("pgjobd exited during the benchmark")
            if time.monotonic() > end:
                raise RuntimeError("benchmark did not finish in time")
            time.sleep(0.02)  # a measurement poll, not synchronisation
        return time.monotonic()

    # ---- throughput ----

    def sql_loop(self, clients, batch):
        self.fill(JOBS)
        per_client = JOBS // (batch * clients) + 2
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
            f.write(LOOP_SCRIPT.format(batch=batch))
            f.flush()
            os.chmod(f.name, 0o644)
            argv = [os.path.join(self.pg.pg_bindir, "pgbench"), "-n", "-M",
                    "extended", "-c", str(clients), "-j", str(clients), "-t",
                    str(per_client), "-f", f.name, "-h", self.pg.host, "-p",
                    str(self.pg.port), "-U", "postgres", self.dbname]
            start = time.monotonic()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=DEADLINE)
            elapsed = time.monotonic() - start
        done = self.one("SELECT count(*) FROM pgjob.job WHERE status = 'completed'")
        if done != JOBS:
            raise RuntimeError(f"SQL loop completed {done} of {JOBS} jobs")
        return JOBS / elapsed

    def daemon(self, workers, batch, extra=None):
        self.fill(JOBS)
        # prefetch of two batches, as docs/configuration.md advises for many short
        # jobs: one claim runs while the last batch is worked off.  The
        # SQL loop's clients hold up to clients x batch jobs at once.
        with Daemon(self.pg.dsn(self.dbname), {
                "workers": workers, "claim_batch": batch,
                "complete_batch": batch, "prefetch": 2 * batch,
                **(extra or {})}) as d:
            start = d.wait_ready()
            end = self.wait_empty(d.proc)
            rss = d.peak_rss_kb()
        done = self.one("SELECT count(*) FROM pgjob.job WHERE status = 'completed'"
                        " AND attempt_count = 1")
        if done != JOBS:
            raise RuntimeError(f"pgjobd completed {done} of {JOBS} jobs once")
        return JOBS / (end - start), rss

    # ---- latency ----

    def submit_one_by_one(self, n):
        lat = []
        for i in range(n):
            jid = self.one("SELECT (job).id FROM pgjob.submit(%s, 'echo', '[1]')",
                           (self.account,))
            end = time.monotonic() + 10
            while True:
                ms = self.one("SELECT extract(epoch FROM started_at - created_at) * 1000"
                              " FROM pgjob.job WHERE id = %s", (jid,))
                if ms is not None:
                    lat.append(ms)
                    break
                if time.monotonic() > end:
                    raise RuntimeError("a job did not start within 10 s")
                time.sleep(0.0005)  # a measurement poll
        return lat

    def latency_daemon(self):
        self.run("TRUNCATE pgjob.job, pgjob.ready, pgjob.lease")
        with Daemon(self.pg.dsn(self.dbname), {"workers": 2}) as d:
            d.wait_ready()
            lat = self.submit_one_by_one(LATENCY_JOBS)
            rss = d.peak_rss_kb()
        return lat, rss

    def latency_listener(self):
        """A minimal LISTEN client: claim and complete on each NOTIFY."""
        self.run("TRUNCATE pgjob.job, pgjob.ready, pgjob.lease")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                listener(self.pg.dsn(self.dbname))
            except BaseException:
                code = 1
            os._exit(code)
        try:
            ready = time.monotonic() + 10
            while self.one("SELECT count(*) FROM pg_stat_activity"
                           " WHERE application_name = 'bench-listener'") == 0:
                if time.monotonic() > ready:
                    raise RuntimeError("listener did not start")
                time.sleep(0.01)
            return self.submit_one_by_one(LATENCY_JOBS)
        finally:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def listener(dsn):
    conn = psycopg2.connect(dsn, application_name="bench-listener")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("LISTEN pgjob_ready")
    while True:
        # Notifications that arrived with the last query's answer are in
        # conn.notifies already: wait on the socket only when there are none.
        if not conn.notifies:
            select.select([conn], [], [], 1.0)
            conn.poll()
        if not conn.notifies:
            continue
        conn.notifies.clear()
        cur.execute("SELECT id, attempt, items FROM pgjob.claim('listener', 10)")
        rows = cur.fetchall()
        if rows:
            cur.execute(
                "SELECT count(*) FROM pgjob.complete(%s::jsonb)",
                (psycopg2.extras.Json([
                    {"id": r[0], "attempt": r[1], "processing_ms": 0,
                     "results": [{"status": "completed", "output": x, "error": None}
                                 for x in r[2]]} for r in rows]),))


class Daemon:
    """pgjobd with a config file and a NOTIFY_SOCKET to see READY=1."""

    def __init__(self, dsn, settings):
        self.dir = tempfile.mkdtemp(prefix="pgjob-bench-")
        self.conf = os.path.join(self.dir, "pgjob.conf")
        with open(self.conf, "w") as f:
            f.write(f'database = "{dsn}"\n')
            f.write("log_level = warn\n")
            for k, v in settings.items():
                f.write(f"{k} = {v}\n")
        self.sock_path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.log = open(os.path.join(self.dir, "pgjobd.log"), "w+")
        self.proc = None

    def __enter__(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        self.proc = subprocess.Popen([os.path.join(BUILD, "pgjobd"), "--config", self.conf],
                                     env=env, stdout=self.log, stderr=self.log)
        return self

    def wait_ready(self):
        end = time.monotonic() + 30
        while time.monotonic() < end:
            r, _, _ = select.select([self.sock], [], [], 0.5)
            if r and b"READY=1" in self.sock.recv(4096):
                return time.monotonic()
            if self.proc.poll() is not None:
                break
        self.log.seek(0)
        raise RuntimeError("pgjobd did not become ready:\n" + self.log.read())

    def peak_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.log.close()
        subprocess.run(["rm", "-rf", self.dir], check=False)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    pg = PgServer()
    try:
        pg.setup()
        bench = Bench(pg)
        rows = []
        peak = 0
        for workers in (2, 8):
            for batch in (100, 10):
                # Interleaved, so that a noisy stretch of the machine hits
                # both sides alike.
                bases, runs = [], []
                for _ in range(RUNS):
                    bases.append(bench.sql_loop(workers, batch))
                    runs.append(bench.daemon(workers, batch))
                base = statistics.median(bases)
                ours = statistics.median(r[0] for r in runs)
                peak = max([peak] + [r[1] for r in runs])
                rows.append((f"jobs/s, {workers} workers, batch {batch}", ours, base))
        lat_d, rss = bench.latency_daemon()
        peak = max(peak, rss)
        lat_l = bench.latency_listener()
        rows.append(("submit-to-start median, ms", statistics.median(lat_d),
                     statistics.median(lat_l)))
        rows.append(("submit-to-start p99, ms", pct(lat_d, 99), pct(lat_l, 99)))

        print()
        print(f"pgjobd benchmark: {JOBS} echo jobs per throughput run, median of {RUNS} runs,"
              f" {LATENCY_JOBS} jobs for latency")
        print(f"{'measure':<34} {'pgjobd':>12} {'baseline':>12} {'ratio':>7}")
        for name, ours, base in rows:
            print(f"{name:<34} {ours:>12.1f} {base:>12.1f} {ours / base:>7.2f}")
        print("pgjobd settings: claim_batch = complete_batch = batch, prefetch = 2 x batch")
        print("baselines: throughput = pgbench running pgjob.claim (of the same job types)"
              " + pgjob.complete at the same concurrency and batch size;")
        print("           latency = a minimal LISTEN client claiming on each notification"
              " (lower is better there)")
        print(f"pgjobd peak resident memory: {peak / 1024:.1f} MiB")
    finally:
        pg.cleanup()


if __name__ == "__main__":
    main()
