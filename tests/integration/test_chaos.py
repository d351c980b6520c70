# SPDX-License-Identifier: MIT
"""Chaos: several pgjobd with a short lease work through a backlog of exec
jobs while they are SIGKILLed and restarted every few seconds, their
backends are terminated and PostgreSQL restarts once.  Afterwards every
job is completed, exactly once, with the results of the attempt that
completed it; no job failed; and every job handed back (rescued or
released) was claimed again within a few lease periods.

The size fits `make test`; `make chaos` runs it larger:
  PGJOB_CHAOS_JOBS     jobs in the backlog (default 400)
  PGJOB_CHAOS_DAEMONS  pgjobd processes (default 3)
  PGJOB_CHAOS_TIMEOUT  seconds the backlog may take (default 120)
"""

import os
import random
import signal
import time

# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir  # noqa: F401
from daemon import script, wait_until

JOBS = int(os.environ.get("PGJOB_CHAOS_JOBS", "400"))
DAEMONS = int(os.environ.get("PGJOB_CHAOS_DAEMONS", "3"))
TIMEOUT = float(os.environ.get("PGJOB_CHAOS_TIMEOUT", "120"))
LEASE = 2
# A job handed back must be claimed again within this many seconds: a few
# lease periods, plus the time a PostgreSQL restart takes on a busy machine.
REQUEUE_BOUND = 4 * LEASE + 10


class HandBacks:
    """Watches the queue: a job queued again after an attempt (rescued or
    released) is timed until a later attempt claims it."""

    def __init__(self):
        self.waiting = {}  # id -> (attempt_count when seen queued, since)
        self.attempts = {}  # id -> attempt_count last seen
        self.longest = 0.0
        self.count = 0
        self.worst = None
        # Waits that began before this (monotonic) include a PostgreSQL
        # restart: they are reported, not bounded.
        self.exempt_until = 0.0
        self.exempt_longest = 0.0

    def observe(self, cur):
        now = time.monotonic()
        cur.execute("SELECT id, status, attempt_count FROM pgjob.job WHERE attempt_count > 0 "
                    "AND status IN ('queued', 'processing', 'completed')")
        for jid, status, attempts in cur.fetchall():
            seen = self.waiting.get(jid)
            before = self.attempts.get(jid, attempts)
            self.attempts[jid] = attempts
            if seen is None and attempts > before:
                # Handed back and claimed again between two looks.
                self.count += 1
            if status == "queued" and (seen is None or seen[0] != attempts):
                self.waiting[jid] = (attempts, now)
                self.count += 1
            elif status != "queued" and seen is not None and attempts > seen[0]:
                waited = now - seen[1]
                if seen[1] < self.exempt_until:
                    self.exempt_longest = max(self.exempt_longest, waited)
                elif waited > self.longest:
                    self.longest, self.worst = waited, jid
                del self.waiting[jid]

    def still_waiting(self):
        now = time.monotonic()
        return max((now - since for _, since in self.waiting.values()
                    if since >= self.exempt_until), default=0.0)


def test_chaos_every_job_completed_exactly_once(pg, daemon, conn, connect, acct, ddir):
    runs = os.path.join(ddir, "runs")
    os.mkdir(runs)
    # Each run answers its attempt along with the item, so the stored
    # results tell which attempt wrote them; a run also leaves a file.
    prog = script(ddir, "chaos.sh", f"""
read -r item
sleep 0.4
touch {runs}/$PGJOB_JOB_ID.$PGJOB_ATTEMPT
printf '{{"item": %s, "attempt": %s}}\\n' "$item" "$PGJOB_ATTEMPT"
""")
    conf = {"exec.chaos.command": prog, "types": "chaos"}
    keys = dict(workers=3, prefetch=3, claim_batch=3, lease_seconds=LEASE, heartbeat_seconds=1,
                rescue_interval_seconds=1, reconnect_max_seconds=1, log_level="warn")
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM generate_series(1, %s) g, "
                "pgjob.submit(%s, 'chaos', jsonb_build_array(g), p_max_attempts => 5)",
                (JOBS, acct))
    rng = random.Random(JOBS)
    live = [daemon(conf, name=f"c{i}-0", **keys) for i in range(DAEMONS)]
    generation = 1
    handbacks = HandBacks()
    restarted = False
    kills = terminated = 0
    start = time.monotonic()
    next_kill = start + 1.5
    next_terminate = start + 1.0
    done = 0
    while done < JOBS:
        assert time.monotonic() - start < TIMEOUT, \
            f"{done} of {JOBS} jobs done after {TIMEOUT} s"
        now = time.monotonic()
        if now >= next_kill:
            i = rng.randrange(len(live))
            live[i].kill9()
            kills += 1
            live[i] = daemon(conf, name=f"c{i}-{generation}", ready=False, **keys)
            generation += 1
            next_kill = now + rng.uniform(1.5, 3.0)
        if now >= next_terminate:
            cur.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                        "FROM pg_stat_activity WHERE application_name LIKE 'pgjobd%%'")
            terminated += cur.fetchone()[0]
            next_terminate = now + rng.uniform(1.0, 3.0)
        if not restarted and done >= JOBS // 3:
            handbacks.exempt_until = time.monotonic() + 3600
            pg.restart()
            restarted = True
            # The daemons reconnect within reconnect_max_seconds.
            handbacks.exempt_until = time.monotonic() + 5
            conn = connect()
            cur = conn.cursor()
        handbacks.observe(cur)
        assert handbacks.still_waiting() < REQUEUE_BOUND, \
            f"a job handed back has waited {handbacks.still_waiting():.1f} s to be claimed"
        cur.execute("SELECT count(*) FROM pgjob.job WHERE status IN ('completed', 'failed')")
        done = cur.fetchone()[0]
        time.sleep(0.2)  # paces the observation and the faults; nothing waits on it
    for d in live:
        d.stop(signal.SIGTERM)
    assert restarted and kills >= 2, (restarted, kills)
    cur.execute("""
        SELECT count(*) FILTER (WHERE status <> 'completed'),
               count(*) FILTER (WHERE results IS DISTINCT FROM jsonb_build_array(
                   jsonb_build_object('status', 'completed', 'error', NULL,
                                      'output', jsonb_build_object('item', items -> 0,
                                                                   'attempt', attempt_count)))),
               count(*), max(attempt_count), sum(attempt_count - 1), max(failed_attempts)
          FROM pgjob.job""")
    bad_status, bad_results, total, most, extra, most_failed = cur.fetchone()
    assert (bad_status, bad_results, total) == (0, 0, JOBS), \
        (bad_status, bad_results, total)
    assert handbacks.longest < REQUEUE_BOUND, (handbacks.longest, handbacks.worst)
    print(f"chaos: {JOBS} jobs, {kills} SIGKILLs, {terminated} backends terminated, "
          f"1 PostgreSQL restart; {handbacks.count} hand-backs, longest wait "
          f"{handbacks.longest:.1f} s ({handbacks.exempt_longest:.1f} s across the restart); "
          f"{extra} extra attempts, most {most}, most failed {most_failed}; "
          f"{len(os.listdir(runs))} runs")
    wait_until(conn, "SELECT count(*) = 0 FROM pgjob.lease", what="no lease left")
