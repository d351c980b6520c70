# SPDX-License-Identifier: MIT
"""Front-end memory over many jobs (issue 11, goal 7): one pgjob.fcgi
process, spawned by lighttpd the way bench_http.py runs it, takes
BENCH_FCGI_MEMORY_JOBS jobs (default 1,000,000), each submitted over
HTTP (one job per POST /v1/jobs) and read back once (GET /v1/jobs/{id}),
while LONG_POLLERS clients keep long-polling queued jobs (GET
/v1/jobs/{id}?wait=1: each parks, and answers at its deadline).  No
worker runs: the jobs stay queued.

wrk drives the submits and reads (a Lua script: every 202's job id is the
connection's next GET), in rounds of ROUND_SECONDS; after each round the
jobs are counted in the database and pgjob.fcgi's resident memory
(VmRSS, and its peak VmHWM) is sampled.  Printed: VmRSS at the first
round past 100,000 jobs and at the end, their ratio (1.0: flat), and
every sample in between, so that the slope shows.

Figures, not assertions.  `make bench` runs it only with BENCH_LARGE=1:
at a few thousand requests/s a million jobs take many minutes.
Environment: PGJOB_BUILD (build folder), BENCH_FCGI_MEMORY_JOBS,
BENCH_HTTP_THREADS (fcgi_threads, default 8).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import requests  # noqa: E402

import web  # noqa: E402
from bench_http import (BenchError, THREADS, current_rss_kb, fcgi_conf,  # noqa: E402
                        kill_leftovers, lua_string, peak_rss_kb, prepare_database)
from pgserver import PgServer  # noqa: E402

JOBS = int(os.environ.get("BENCH_FCGI_MEMORY_JOBS", "1000000"))
REFERENCE_JOBS = 100000  # the first sample at or past this is the reference
ROUND_SECONDS = 10
WRK_THREADS = 2
WRK_CONNECTIONS = 16
LONG_POLLERS = 8
LONG_POLL_SECONDS = 1
DBNAME = "bench_fcgi_memory"

# The wrk script: POST a one-item echo job; the id of each 202 is the next
# request's GET (a queue per thread, so that no id is lost whichever of
# the thread's connections asks next).  Counts are globals, for done().
SCRIPT = """
wrk.headers["X-API-Key"] = %(key)s
wrk.headers["Content-Type"] = "application/json"
local post
local ids, first, last = {}, 1, 0
posts, gets, bad = 0, 0, 0

init = function(args)
  post = wrk.format("POST", "/v1/jobs", nil, %(body)s)
end

request = function()
  if first <= last then
    local id = ids[first]
    ids[first] = nil
    first = first + 1
    return wrk.format("GET", "/v1/jobs/" .. id, nil, nil)
  end
  return post
end

response = function(status, headers, body)
  if status == 202 then
    local id = body:match('"id"%%s*:%%s*"([%%x%%-]+)"')
    if id then
      posts = posts + 1
      last = last + 1
      ids[last] = id
    else
      bad = bad + 1
    end
  elseif status == 200 then
    gets = gets + 1
  else
    bad = bad + 1
  end
end

local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local p, g, b = 0, 0, 0
  for _, t in ipairs(threads) do
    p = p + t:get("posts")
    g = g + t:get("gets")
    b = b + t:get("bad")
  end
  io.write(string.format("PGJOB posts=%%d gets=%%d bad=%%d\\n", p, g, b))
end
"""


class LongPollers:
    """LONG_POLLERS threads, each long-polling its own queued job with
    ?wait=LONG_POLL_SECONDS over and over until stopped."""

    def __init__(self, server, key, job_ids):
        self.server, self.key, self.job_ids = server, key, job_ids
        self.stop = threading.Event()
        self.answered = 0
        self.bad = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(j,), daemon=True)
                        for j in job_ids]

    def run(self, job_id):
        session = requests.Session()
        url = self.server.url(f"/v1/jobs/{job_id}?wait={LONG_POLL_SECONDS}")
        while not self.stop.is_set():
            try:
                r = session.get(url, headers={"X-API-Key": self.key},
                                timeout=LONG_POLL_SECONDS + 30)
                ok = r.status_code == 200
            except requests.RequestException:
                ok = False
            with self.lock:
                self.answered += ok
                self.bad += not ok
            if not ok:
                time.sleep(0.5)  # not a tight loop against a failing server

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=LONG_POLL_SECONDS + 40)


def submit_queued(server, key, n):
    """n queued jobs submitted over HTTP; their ids."""
    ids = []
    for _ in range(n):
        r = requests.post(server.url("/v1/jobs"), headers={"X-API-Key": key},
                          json={"type": "echo", "items": [1]}, timeout=30)
        if r.status_code != 202:
            raise BenchError(f"POST /v1/jobs answered {r.status_code}: {r.text[:300]}")
        ids.append(r.json()["id"])
    return ids


def wrk_round(server, script):
    """One wrk round; (posts, gets, bad answers, socket errors)."""
    argv = ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS),
            "-d", f"{ROUND_SECONDS}s", "-s", script, server.url("/v1/jobs")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=ROUND_SECONDS + 60,
                          check=False)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    m = re.search(r"^PGJOB posts=(\d+) gets=(\d+) bad=(\d+)$", proc.stdout, re.M)
    if not m:
        raise BenchError(f"cannot read wrk's counts:\n{proc.stdout}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     proc.stdout)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            sum(map(int, sock.groups())) if sock else 0)


def count_jobs(pg):
    conn = pg.connect(DBNAME)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pgjob.job")
            return cur.fetchone()[0]
    finally:
        conn.close()


def run(pg, server, key, folder):
    pid = server.fcgi_pids()[0]
    script = os.path.join(folder, "post_get.lua")
    with open(script, "w") as f:
        f.write(SCRIPT % {"key": lua_string(key),
                          "body": lua_string('{"type": "echo", "items": ["x"]}')})
    base = count_jobs(pg)  # prepare_database's own jobs
    poll_ids = submit_queued(server, key, LONG_POLLERS)
    samples = []  # (jobs through HTTP, VmRSS KiB, VmHWM KiB, seconds)
    totals = {"posts": 0, "gets": 0, "bad": 0, "socket": 0}
    start = time.monotonic()
    with LongPollers(server, key, poll_ids) as pollers:
        jobs = 0
        while jobs < JOBS:
            posts, gets, bad, sock = wrk_round(server, script)
            for k, v in zip(("posts", "gets", "bad", "socket"), (posts, gets, bad, sock)):
                totals[k] += v
            jobs = count_jobs(pg) - base
            samples.append((jobs, current_rss_kb(pid), peak_rss_kb(pid) or 0,
                            time.monotonic() - start))
            print(f"  {jobs:>9,} jobs  VmRSS {samples[-1][1] / 1024:7.1f} MiB"
                  f"  VmHWM {samples[-1][2] / 1024:7.1f} MiB  ({samples[-1][3]:.0f} s)",
                  flush=True)
            if not server.fcgi_pids() or server.fcgi_pids()[0] != pid:
                raise BenchError("pgjob.fcgi was restarted\n" + server.log_block())
    return samples, totals, pollers.answered, pollers.bad


def report(samples, totals, polls, poll_errors):
    ref = next((s for s in samples if s[0] >= REFERENCE_JOBS), None)
    end = samples[-1]
    print(f"\npgjob.fcgi memory over {end[0]:,} jobs (one process, fcgi_threads {THREADS}; "
          f"one POST and one GET per job, {WRK_CONNECTIONS} wrk connections; "
          f"{LONG_POLLERS} clients long-polling)")
    if ref is None:
        print(f"  fewer than {REFERENCE_JOBS:,} jobs: no reference sample")
    else:
        print(f"  VmRSS at {ref[0]:>9,} jobs: {ref[1] / 1024:7.1f} MiB")
        print(f"  VmRSS at {end[0]:>9,} jobs: {end[1] / 1024:7.1f} MiB"
              f"  (ratio {end[1] / ref[1]:.3f}; 1.0 is flat)")
        print(f"  VmHWM at the end: {end[2] / 1024:.1f} MiB")
    rate = end[0] / end[3] if end[3] > 0 else 0
    print(f"  {totals['posts']:,} POSTs, {totals['gets']:,} GETs ({rate:,.0f} jobs/s), "
          f"{polls:,} long-polls answered")
    if totals["bad"] or totals["socket"] or poll_errors:
        print(f"  errors: {totals['bad']} unexpected statuses, {totals['socket']} socket "
              f"errors, {poll_errors} failed long-polls")


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    pg = PgServer()
    server = None
    started = []
    folder = tempfile.mkdtemp(prefix="pgjob-bench-fcgi-memory-")
    try:
        pg.setup()
        key, _ = prepare_database(pg, DBNAME)
        server = web.Lighttpd(fcgi_conf(pg.dsn(DBNAME)))
        server.start()
        started = web.fcgi_pids(server.dir)
        if len(started) != 1:
            raise BenchError(f"lighttpd spawned {len(started)} pgjob.fcgi, not one\n"
                             + server.log_block())
        server.fcgi_pids = lambda: web.fcgi_pids(server.dir)
        report(*run(pg, server, key, folder))
    finally:
        try:
            if server is not None:
                problem = server.cleanup()
                if problem:
                    print(f"bench_fcgi_memory: lighttpd did not stop cleanly:\n{problem}",
                          file=sys.stderr)
                kill_leftovers(started)
        finally:
            pg.cleanup()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
