# SPDX-License-Identifier: MIT
"""HTTP front-end benchmark: pgjob.fcgi beside a hello-world FastCGI
program, both under ONE lighttpd, measured with wrk in the same run.

Starts a throwaway PostgreSQL (as the integration tests do), migrates it
with the real pgjobctl, and starts lighttpd the way the tests do
(tests/integration/web.py: the shipped cgi/lighttpd-pgjob.conf serves
/v1/ with pgjob.fcgi) plus a second fastcgi.server on /hello running
build/hello_fcgi (tests/bench/hello_fcgi.c) with as many threads as
pgjob.fcgi's fcgi_threads, on the same database.  Then wrk (2 threads,
keep-alive, on 127.0.0.1) measures, at 16 and 64 connections:

  GET      GET /v1/jobs/{id} of a completed 10-item echo job (API key,
           key lookup, job read, rendering, ETag), against the hello
           program's GET of the same row (one prepared primary-key SELECT);
  304      the same GET revalidated with If-None-Match and the job's
           ETag, against the same hello GET;
  POST     POST /v1/jobs of a 10-item echo batch (queued; no worker
           runs), against the same hello GET: a write beside the
           cheapest read, so the ratio says what a submit costs;
  memory   peak resident memory (VmHWM) of each pgjob.fcgi process and
           of lighttpd (beside hello_fcgi's);
  goal 6   LONG_POLLS clients hold GET /v1/jobs/{id}?wait=30 of a queued
           job through lighttpd, all parked in the one pgjob.fcgi
           (pgjob_waiters), while wrk measures the GET job at 16
           connections; its p99 beside the same GET on the idle server,
           run just before (aim: within 1.2x), and the resident memory
           the parked long-polls add, per long-poll.
  CPU      CPU time (user and system, from /proc) per request of the
           FastCGI program and its PostgreSQL backends, for the hello GET
           and the POST: what one request costs, which a busy machine
           changes far less than it changes requests/s (lighttpd and wrk
           are left out: the same for both).

Each figure (requests/s, p50, p99 from wrk --latency) is the median of
RUNS runs; the runs of the programs are interleaved so that a noisy
machine slows both alike.  Figures, not assertions: nothing here fails on
a slow machine, but wrong answers (non-2xx/3xx, socket errors) are
reported under the table.

Environment: PGJOB_BUILD (build folder, default build), BENCH_RUNS
(default 3), BENCH_HTTP_SECONDS (one wrk run, default 5),
BENCH_HTTP_CONNECTIONS (default 16,64), BENCH_HTTP_THREADS (fcgi_threads
of both programs, default 8), BENCH_BASE_BUILD (optional, as in
bench_queue.py: the build folder of another version, e.g. of main before
a change; its pgjob.fcgi then runs under a second lighttpd on a database
its own pgjobctl migrated, and its POST is measured in the same runs,
interleaved, against the same hello GET: a before/after comparison that
a busy machine slows alike).
"""

import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import requests  # noqa: E402
from psycopg2.extras import Json  # noqa: E402

import web  # noqa: E402
from pgserver import BenchPgServer  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PGJOB_BUILD", "build"))
BEFORE = os.environ.get("BENCH_BASE_BUILD")
BEFORE_BUILD = os.path.join(ROOT, BEFORE) if BEFORE else None
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "5"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_HTTP_CONNECTIONS", "16,64").split(",")]
THREADS = int(os.environ.get("BENCH_HTTP_THREADS", "8"))
# Other jobs in the table: enough that every plan of a job read by id is an
# index scan (with a hundred rows the hello's generic plan is a sequential
# scan, which the POST runs then make slow).
OTHER_JOBS = 10000
WRK_THREADS = 2
WARMUP_SECONDS = 1
DBNAME = "bench_http"
BEFORE_DBNAME = "bench_http_before"
ITEMS = [f"item {i}" for i in range(10)]
BATCH_BODY = '{"type": "echo", "items": [%s]}' % ", ".join(f'"{x}"' for x in ITEMS)

# The aims printed beside the figures.
AIM_RATIO = 0.8  # status reads at this fraction of the baseline or better
AIM_P99_MS = 10.0  # p99 under this at AIM_P99_CONNECTIONS
AIM_P99_CONNECTIONS = 64
LABEL = 38  # width of the table's first column
# Goal 6 (issue 11): this many long-polls held by one pgjob.fcgi while the
# GET job is measured at LONG_POLL_CONNECTIONS; its p99 within
# AIM_LONG_POLL_P99 of the idle server's.
LONG_POLLS = int(os.environ.get("BENCH_LONG_POLLS", "1000"))
LONG_POLL_CONNECTIONS = 16
AIM_LONG_POLL_P99 = 1.2


class BenchError(RuntimeError):
    pass


# ---- servers ------------------------------------------------------------------

class BenchLighttpd(web.Lighttpd):
    """The tests' lighttpd (the shipped snippet for /v1/), plus a second
    fastcgi.server that spawns hello_fcgi for /hello."""

    kind = "lighttpd-bench"

    def __init__(self, fcgi_conf, hello, threads, dsn):
        super().__init__(fcgi_conf)
        self.hello = hello
        with open(self.main_conf, "a") as f:
            f.write(f"""
# goal 6: LONG_POLLS clients, each with a connection to pgjob.fcgi too
server.max-fds = {max(4096, 4 * LONG_POLLS)}
server.max-connections = {max(1024, 2 * LONG_POLLS)}
# the baseline of tests/bench/bench_http.py
$HTTP["url"] =~ "^/hello" {{
    fastcgi.server = (
        "/hello" => ((
            "bin-path" => "{hello} {threads}",
            "socket" => "{self.dir}/hello-fcgi.sock",
            "check-local" => "disable",
            "max-procs" => 1,
            # HELLO_BENCH_DIR: how hello_pids finds it, whoever its parent
            "bin-environment" => ( "HELLO_DATABASE" => "{dsn}",
                                   "HELLO_BENCH_DIR" => "{self.dir}" ),
        )),
    )
}}
""")

    def fcgi_pids(self):
        """The live pgjob.fcgi processes of this server."""
        return sorted(set(web.fcgi_pids(self.dir)))

    def hello_pids(self):
        """The live hello_fcgi processes of this server (by the marker in
        their environment, as web.fcgi_pids finds pgjob.fcgi)."""
        exe = os.path.realpath(self.hello)
        marker = f"HELLO_BENCH_DIR={self.dir}"
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{entry}/exe") != exe:
                    continue
            except OSError:
                continue
            if web.daemon_helpers.alive(int(entry)) and \
                    marker in web._proc_text(entry, "environ"):
                found.append(int(entry))
        return sorted(found)


def peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def kill_leftovers(pids):
    """SIGKILL the given pids (processes this run started) that still live."""
    for pid in web.wait_exit(pids, web.STOP_TIMEOUT):
        print(f"bench_http: pid {pid} still ran after lighttpd stopped; killed",
              file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- the database ------------------------------------------------------------

def prepare_database(pg, dbname=DBNAME, build=BUILD):
    """Migrate (with build's pgjobctl), make an account with a key, a
    completed 10-item echo job (the one every read asks for) and
    OTHER_JOBS queued ones around it.  Returns (key, job_id)."""
    pg.execute(f"CREATE DATABASE {dbname}")
    subprocess.run([os.path.join(build, "pgjobctl"), "migrate", "--database", pg.dsn(dbname)],
                   check=True, stdout=subprocess.DEVNULL)
    conn = pg.connect(dbname)
    try:
        account = web.new_account(conn, "bench")
        with conn.cursor() as cur:
            cur.execute("SELECT (job).id FROM pgjob.submit(%s, 'echo', %s)",
                        (account.account_id, Json(ITEMS)))
            job_id = str(cur.fetchone()[0])
        attempt = web.sql_claim(conn, job_id)
        outcome = web.sql_complete(conn, job_id, attempt,
                                   [{"status": "completed", "output": x, "error": None}
                                    for x in ITEMS])
        with conn.cursor() as cur:
            cur.execute("SELECT status FROM pgjob.job WHERE id = %s", (job_id,))
            status = cur.fetchone()[0]
            if status != "completed":
                raise BenchError(f"the benchmark job is {status} ({outcome}), not completed")
            cur.execute("SELECT count(*) FROM generate_series(1, %s) g,"
                        " pgjob.submit(%s, 'echo', jsonb_build_array(g))",
                        (OTHER_JOBS, account.account_id))
            cur.execute("VACUUM ANALYZE pgjob.job, pgjob.ready, pgjob.api_key")
        return account.key, job_id
    finally:
        conn.close()


# ---- wrk -------------------------------------------------------------------------

class Scenario:
    def __init__(self, name, method, path, headers=None, body=None, expect=200, server=None,
                 cpu_pids=None):
        self.name = name
        self.server = server  # None: the main server
        self.cpu_pids = cpu_pids  # None, or a function: the pids whose CPU time a request costs
        self.method = method
        self.path = path
        self.headers = headers or {}
        self.body = body
        self.expect = expect
        self.script = None

    def write_script(self, folder):
        """The wrk Lua script: method, headers and body of every request."""
        lines = [f"-- {self.name}, written by tests/bench/bench_http.py",
                 f"wrk.method = {lua_string(self.method)}"]
        for k, v in self.headers.items():
            # spaces: "[[" would open a long string
            lines.append(f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}")
        if self.body is not None:
            lines.append(f"wrk.body = {lua_string(self.body)}")
        self.script = os.path.join(folder, f"{self.name}.lua")
        with open(self.script, "w") as f:
            f.write("\n".join(lines) + "\n")

    def check(self, server):
        """One request with requests: the status wrk will be counting on."""
        server = self.server or server
        r = requests.request(self.method, server.url(self.path), headers=self.headers,
                             data=self.body, timeout=10, allow_redirects=False)
        if r.status_code != self.expect:
            raise BenchError(f"{self.name}: {self.method} {self.path} answered "
                             f"{r.status_code}, not {self.expect}: {r.text[:500]}\n"
                             f"{server.log_block()}")
        return r


def lua_string(text):
    """text as a Lua long string (no escapes to get wrong)."""
    for level in range(1, 10):
        eq = "=" * level
        if f"]{eq}]" not in text:
            return f"[{eq}[{text}]{eq}]"
    raise BenchError(f"cannot quote {text!r} for Lua")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_duration_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        raise BenchError(f"cannot read the wrk duration {text!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse_wrk(out):
    """requests/s, p50 and p99 (ms), and the error counts of wrk --latency."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (rps and p50 and p99):
        raise BenchError(f"cannot read wrk's output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    return {
        "rps": float(rps.group(1)),
        "p50": parse_duration_ms(p50.group(1)),
        "p99": parse_duration_ms(p99.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "bad_status": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
    }


def cpu_seconds(pid):
    """User plus system CPU time of pid so far, in seconds (0 once gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(server, scenario, connections, seconds):
    server = scenario.server or server
    threads = min(WRK_THREADS, connections)  # wrk wants a connection per thread at least
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--latency", "-s", scenario.script, server.url(scenario.path)]
    pids = scenario.cpu_pids() if scenario.cpu_pids else []
    cpu_before = sum(cpu_seconds(p) for p in pids)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60,
                          check=False)
    cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    result = parse_wrk(proc.stdout)
    result["cpu_us"] = cpu / result["requests"] * 1e6 if pids and result["requests"] else None
    return result


def backend_pids(pg, dbname, pgjob):
    """The client backends of dbname: pgjob.fcgi's (pgjob) or the hello
    program's (no application_name)."""
    conn = pg.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s"
                        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                        " AND (CASE WHEN %s THEN application_name LIKE 'pgjob.fcgi%%'"
                        "      ELSE application_name = '' END)", (dbname, pgjob))
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


# ---- the table -------------------------------------------------------------------

def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def aims_text(row_kind, connections, ratio, p99):
    """The aims of a row and whether this run met them."""
    parts = []
    if row_kind == "read":
        parts.append(f"ratio>={AIM_RATIO:.2f} {'met' if ratio >= AIM_RATIO else 'MISSED'}")
    if connections == AIM_P99_CONNECTIONS:
        parts.append(f"p99<{AIM_P99_MS:.0f}ms {'met' if p99 < AIM_P99_MS else 'MISSED'}")
    return ", ".join(parts) or "-"


def lighttpd_version():
    out = subprocess.run([web.find_program("lighttpd"), "-v"], capture_output=True, text=True,
                         check=False).stdout
    return out.split()[0] if out.split() else "lighttpd"


def print_table(results, memory, errors, cpu):
    print()
    print(f"pgjob.fcgi benchmark: {lighttpd_version()}, pgjob.fcgi and hello_fcgi with "
          f"{THREADS} threads each under one lighttpd; wrk {WRK_THREADS} threads, "
          f"{SECONDS} s runs, median of {RUNS} runs")
    head = (f"{'measure':<{LABEL}} {'pgjob':>9} {'baseline':>9} {'ratio':>6} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'base p50':>8} {'base p99':>8}  aim")
    print(head)
    for label, kind, conns, ours, base in results:
        ratio = ours["rps"] / base["rps"] if base["rps"] else float("nan")
        print(f"{label:<{LABEL}} {ours['rps']:>9.0f} {base['rps']:>9.0f} {ratio:>6.2f} "
              f"{ours['p50']:>7.2f} {ours['p99']:>7.2f} {base['p50']:>8.2f} "
              f"{base['p99']:>8.2f}  {aims_text(kind, conns, ratio, ours['p99'])}")
    for label, ours_kb, base_kb in memory:
        base = f"{base_kb / 1024:>9.1f}" if base_kb else f"{'-':>9}"
        ratio = f"{ours_kb / base_kb:>6.2f}" if base_kb else f"{'-':>6}"
        print(f"{label:<{LABEL}} {ours_kb / 1024:>9.1f} {base} {ratio}")
    print(f"{'CPU per request, us (FastCGI program + its backends)':<{LABEL + 20}} "
          f"{'median':>7} {'min':>7}")
    for label, median, low in cpu:
        print(f"{label:<{LABEL + 20}} {median:>7.0f} {low:>7.0f}")
    print("requests/s (higher is better); ratio = pgjob / baseline; latencies from wrk --latency.")
    if BEFORE_BUILD:
        print(f"base build: the POST of the pgjob.fcgi built in {BEFORE} (its own lighttpd")
        print("        and database, same cluster), in the same runs against the same hello GET.")
    print("baseline: hello_fcgi's GET /hello?id= of the same job row (one prepared primary-key")
    print("          SELECT, no API key); the POST rows use that same GET as their baseline:")
    print("          a queued 10-item write beside the cheapest read.  Memory: hello_fcgi.")
    print(f"aims: status reads (GET, 304) at {AIM_RATIO} of the baseline or better; p99 under"
          f" {AIM_P99_MS:.0f} ms at {AIM_P99_CONNECTIONS}")
    print("      connections (on a busy machine p99 varies most between runs: read it beside")
    print("      the baseline's).")
    print("database: a new cluster, fsync and full_page_writes off, wal_init_zero off (as a")
    print("          server that recycles its WAL segments; PostgreSQL's default is on; see")
    print("          pgserver.BenchPgServer).")
    for line in errors:
        print(f"WARNING: {line}")


# ---- goal 6: long-polls held while reads are measured ----------------------------------

def waiters_now(server):
    text = requests.get(server.url("/metrics"), timeout=30).text
    m = re.search(r"^pgjob_waiters (\d+)$", text, re.M)
    return int(m.group(1)) if m else -1


def hold_long_polls(server, key, job_id, n):
    """n connections to lighttpd, each sending GET /v1/jobs/{job_id}?wait=30
    and reading nothing; returns them once pgjob.fcgi holds all n."""
    host, port = "127.0.0.1", server.port
    request = (f"GET /v1/jobs/{job_id}?wait=30 HTTP/1.1\r\nHost: {host}\r\n"
               f"X-API-Key: {key}\r\n\r\n").encode()
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(request)
        socks.append(s)
    for _ in range(600):
        if waiters_now(server) >= n:
            return socks
        time.sleep(0.05)
    close_all(socks)
    raise BenchError(f"pgjob.fcgi holds {waiters_now(server)} of {n} long-polls\n"
                     + server.log_block())


def close_all(socks):
    for s in socks:
        s.close()


def fcgi_rss_kb(server):
    pids = server.fcgi_pids()
    return sum(current_rss_kb(p) for p in pids)


def current_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure_long_polls(server, key, get, queued_id):
    """Goal 6: RUNS times, wrk's GET job on the idle server, then with
    LONG_POLLS long-polls held; (idle, loaded, memory per long-poll in KiB,
    errors)."""
    idle_runs, loaded_runs, per_poll, errors = [], [], [], []
    for _ in range(RUNS):
        idle_runs.append(wrk(server, get, LONG_POLL_CONNECTIONS, SECONDS))
        before = fcgi_rss_kb(server)
        socks = hold_long_polls(server, key, queued_id, LONG_POLLS)
        try:
            per_poll.append((fcgi_rss_kb(server) - before) / LONG_POLLS)
            loaded_runs.append(wrk(server, get, LONG_POLL_CONNECTIONS, SECONDS))
            held = waiters_now(server)
            if held < LONG_POLLS:
                errors.append(f"goal 6: only {held} of {LONG_POLLS} long-polls were still "
                              "held after the loaded run")
        finally:
            close_all(socks)
        for _ in range(600):
            if waiters_now(server) == 0:
                break
            time.sleep(0.05)
        else:
            errors.append("goal 6: the long-polls of clients that left were not dropped")
    for name, rs in (("idle GET", idle_runs), ("GET beside long-polls", loaded_runs)):
        bad = sum(r["bad_status"] + r["socket_errors"] for r in rs)
        if bad:
            errors.append(f"goal 6 {name}: {bad} bad answers or socket errors")

    def med(rs):
        return {k: median_of(rs, k) for k in ("rps", "p50", "p99")}

    return med(idle_runs), med(loaded_runs), statistics.median(per_poll), errors


def print_long_polls(idle, loaded, per_poll_kb):
    ratio = loaded["p99"] / idle["p99"] if idle["p99"] else float("nan")
    met = "met" if ratio <= AIM_LONG_POLL_P99 else "MISSED"
    print()
    print(f"goal 6: {LONG_POLLS} long-polls (?wait=30) held by one pgjob.fcgi of {THREADS} "
          f"threads, GET job at {LONG_POLL_CONNECTIONS} conns")
    print(f"{'measure':<{LABEL}} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7}")
    print(f"{'GET job, idle server':<{LABEL}} {idle['rps']:>9.0f} {idle['p50']:>7.2f} "
          f"{idle['p99']:>7.2f}")
    print(f"{f'GET job, {LONG_POLLS} long-polls held':<{LABEL}} {loaded['rps']:>9.0f} "
          f"{loaded['p50']:>7.2f} {loaded['p99']:>7.2f}")
    print(f"{'p99 ratio (held / idle)':<{LABEL}} {ratio:>9.2f}  aim <= {AIM_LONG_POLL_P99} {met}")
    print(f"{'resident memory per long-poll, KiB':<{LABEL}} {per_poll_kb:>9.1f}")


# ---- main ------------------------------------------------------------------------------

def measure(pg, server, key, job_id, folder, before=None):
    """The runs; before: (server, key) of BENCH_BASE_BUILD's pgjob.fcgi."""
    hello = Scenario("hello", "GET", f"/hello?id={job_id}",
                     cpu_pids=lambda: server.hello_pids() + backend_pids(pg, DBNAME, False))
    get = Scenario("get", "GET", f"/v1/jobs/{job_id}", {"X-API-Key": key})
    hello_body = hello.check(server).json()
    if hello_body.get("id") != job_id or hello_body.get("status") != "completed":
        raise BenchError(f"hello_fcgi answered {hello_body}")
    etag = get.check(server).headers.get("ETag")
    if not etag:
        raise BenchError("GET /v1/jobs/{id} sent no ETag")
    revalidate = Scenario("304", "GET", f"/v1/jobs/{job_id}",
                          {"X-API-Key": key, "If-None-Match": etag}, expect=304)
    submit = Scenario("post", "POST", "/v1/jobs",
                      {"X-API-Key": key, "Content-Type": "application/json"}, BATCH_BODY,
                      expect=202,
                      cpu_pids=lambda: server.fcgi_pids() + backend_pids(pg, DBNAME, True))
    revalidate.check(server)
    submit.check(server)
    scenarios = [hello, get, revalidate, submit]
    writes = [submit]
    if before is not None:
        submit_before = Scenario("post_before", "POST", "/v1/jobs",
                                 {"X-API-Key": before[1], "Content-Type": "application/json"},
                                 BATCH_BODY, expect=202, server=before[0],
                                 cpu_pids=lambda: web.fcgi_pids(before[0].dir)
                                 + backend_pids(pg, BEFORE_DBNAME, True))
        submit_before.check(server)
        scenarios.append(submit_before)
        writes.append(submit_before)
    for s in scenarios:
        s.write_script(folder)

    # Every thread of both programs connects and prepares before timing.
    for s in scenarios:
        wrk(server, s, max(CONNECTIONS), WARMUP_SECONDS)

    runs = {(s.name, c): [] for s in scenarios for c in CONNECTIONS}
    for i in range(RUNS):
        # Reads first, interleaved; the writes last, so that the rows they
        # add weigh on the next run's reads of both programs alike.
        for c in CONNECTIONS:
            order = [hello, get, revalidate] if i % 2 == 0 else [revalidate, get, hello]
            for s in order + (writes if i % 2 == 0 else writes[::-1]):
                runs[(s.name, c)].append(wrk(server, s, c, SECONDS))

    errors = []
    for (name, c), rs in runs.items():
        bad = sum(r["bad_status"] for r in rs)
        sock = sum(r["socket_errors"] for r in rs)
        if bad or sock:
            errors.append(f"{name} at {c} connections: {bad} non-2xx/3xx answers, "
                          f"{sock} socket errors (timeouts are left out of wrk's latencies)")

    def med(name, c):
        rs = runs[(name, c)]
        return {k: median_of(rs, k) for k in ("rps", "p50", "p99")}

    cpu = []
    for label, name in (("hello GET", "hello"), ("POST 10 items", "post"),
                        ("POST 10 items, base build", "post_before")):
        for c in CONNECTIONS:
            values = [r["cpu_us"] for r in runs.get((name, c), []) if r["cpu_us"] is not None]
            if values:
                cpu.append((f"{label}, {c} conns", statistics.median(values), min(values)))
    results = []
    rows = [("GET job", "get", "read"), ("304 revalidation", "304", "read"),
            ("POST 10 items (vs hello GET)", "post", "write")]
    if before is not None:
        rows.append(("POST 10 items, base build", "post_before", "write"))
    for label, name, kind in rows:
        for c in CONNECTIONS:
            results.append((f"{label}, {c} conns", kind, c, med(name, c), med("hello", c)))
    queued_id = submit.check(server).json()["id"]
    long_polls = measure_long_polls(server, key, get, queued_id)
    errors += long_polls[3]
    return results, errors, cpu, long_polls[:3]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    hello_bin = os.path.join(BUILD, "hello_fcgi")
    if not os.access(hello_bin, os.X_OK):
        raise BenchError(f"{hello_bin} is missing: make bench builds it")
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    # The long-polls' client sockets, beside wrk's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = LONG_POLLS + 1024
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY
                                                    else min(want, hard), hard))
    if BEFORE_BUILD and not os.access(os.path.join(BEFORE_BUILD, "pgjob.fcgi"), os.X_OK):
        raise BenchError(f"BENCH_BASE_BUILD: {BEFORE_BUILD}/pgjob.fcgi is missing")
    pg = BenchPgServer()
    server = None
    before = None
    started = []
    before_started = []
    folder = tempfile.mkdtemp(prefix="pgjob-bench-http-")
    try:
        pg.setup()
        key, job_id = prepare_database(pg)
        dsn = pg.dsn(DBNAME)
        server = BenchLighttpd(fcgi_conf(dsn), hello_bin, THREADS, dsn)
        server.start()
        started = server.fcgi_pids() + server.hello_pids()
        if not server.fcgi_pids() or not server.hello_pids():
            raise BenchError("lighttpd did not spawn both pgjob.fcgi and hello_fcgi\n"
                             + server.log_block())
        if BEFORE_BUILD:
            before_key, _ = prepare_database(pg, BEFORE_DBNAME, BEFORE_BUILD)
            before = start_before(pg.dsn(BEFORE_DBNAME))
            before_started = web.fcgi_pids(before.dir)
        results, errors, cpu, long_polls = measure(pg, server, key, job_id, folder,
                                                   (before, before_key) if before else None)
        hello_kb = max((peak_rss_kb(p) or 0 for p in server.hello_pids()), default=0)
        memory = [(f"peak RSS pgjob.fcgi pid {p}, MiB", peak_rss_kb(p) or 0, hello_kb)
                  for p in server.fcgi_pids()]
        memory.append(("peak RSS lighttpd, MiB", peak_rss_kb(server.proc.pid) or 0, None))
        print_table(results, memory, errors, cpu)
        print_long_polls(*long_polls)
    finally:
        try:
            if before is not None:
                stop_server(before, before_started)
            if server is not None:
                stop_server(server, started)
        finally:
            pg.cleanup()
            shutil.rmtree(folder, ignore_errors=True)


def fcgi_conf(dsn):
    """pgjob.conf of a benchmarked pgjob.fcgi."""
    return {"database": dsn, "fcgi_threads": THREADS, "log_level": "warn",
            # the defaults of pgjob.conf, not the tests' small caps
            "max_items": None, "max_body_bytes": None, "wait_max_seconds": None,
            "max_waiters": None, "large_result_bytes": None}


def start_before(dsn):
    """A second lighttpd (the tests' own) serving BENCH_BASE_BUILD's
    pgjob.fcgi on dsn."""
    saved = os.environ.get("PGJOB_BUILD")
    os.environ["PGJOB_BUILD"] = BEFORE_BUILD  # web.py finds pgjob.fcgi there
    try:
        before = web.Lighttpd(fcgi_conf(dsn))
    finally:
        if saved is None:
            del os.environ["PGJOB_BUILD"]
        else:
            os.environ["PGJOB_BUILD"] = saved
    before.start()
    if not web.fcgi_pids(before.dir):
        log = before.log_block()
        stop_server(before, [])
        raise BenchError("the base build's lighttpd did not spawn pgjob.fcgi\n" + log)
    return before


def stop_server(server, started):
    """Stop lighttpd, which stops pgjob.fcgi and hello_fcgi; then kill
    any of them still running (web.py's teardown does so for pgjob.fcgi)."""
    hello = server.hello_pids() if isinstance(server, BenchLighttpd) else []
    started = sorted(set(started) | set(web.fcgi_pids(server.dir)) | set(hello))
    problem = server.cleanup()
    if problem:
        print(f"bench_http: lighttpd did not stop cleanly:\n{problem}", file=sys.stderr)
    kill_leftovers(started)


if __name__ == "__main__":
    main()
