# SPDX-License-Identifier: MIT
"""pgjobd when things go wrong: a daemon killed with SIGKILL mid-job, a
SIGTERM during a long job, PostgreSQL restarted under a running daemon, and
several daemons sharing one queue (every job completed exactly once).
"""

import os
import signal
import time

# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir, probe  # noqa: F401
from daemon import (alive, block_script, echoed, job, script, submit, submit_many, wait_gone,
                    wait_status, wait_until)


def test_kill9_mid_job_rescued_by_another_daemon(daemon, conn, acct, ddir, probe):
    """Daemon A (lease 2 s) is SIGKILLed while its job runs; daemon B
    rescues the job once the lease expires and completes it on attempt 2.

    What happens to A's program: it is in a process group of its own, so
    the SIGKILL of pgjobd does not reach it as a group signal, but the
    program asked the kernel for SIGKILL when its parent thread dies
    (PR_SET_PDEATHSIG), so it goes with pgjobd.
    """
    block = block_script(ddir, probe)
    a = daemon({"exec.block.command": block}, name="A", lease_seconds=2,
               heartbeat_seconds=1)
    items = ["x", {"custom_id": "c"}, 3]
    jid = submit(conn, acct, "block", items, max_attempts=3)
    first = probe.wait("start")[0]
    wait_status(conn, jid, "processing")
    pid = int(first[1])
    a.kill9()
    wait_gone([pid], timeout=5, what="A's program after A was killed")

    t0 = time.monotonic()
    b = daemon({"exec.block.command": block}, name="B", lease_seconds=2,
               heartbeat_seconds=1, rescue_interval_seconds=1)
    j = wait_status(conn, jid, "completed", timeout=20)
    assert time.monotonic() - t0 < 15
    second = probe.wait("start", count=2)[1]
    assert second[2] == "2", second
    results = echoed(items)
    assert j["results"] == results
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)
    assert j["error"] is None
    b.wait_log(r"rescued 1 jobs whose lease expired")
    assert b.stop() == 0
    c = b.stopped_counters()
    assert (c["claimed"], c["completed"], c["rescued"], c["lost"]) == (1, 1, 1, 0)


def test_stopped_worker_cannot_overwrite_the_rescued_job(daemon, conn, acct, ddir, probe):
    """Fencing with a live stale worker: daemon B is frozen (SIGSTOP) mid-job
    and its lease runs out; the maintainer A rescues the job, C completes
    it on attempt 2; when B thaws, its attempt learns it lost the job and
    writes nothing."""
    block = block_script(ddir, probe)
    a = daemon(name="A", types="echo", rescue_interval_seconds=1)
    a.wait_log(r"connected to the database, listening, maintainer")
    b = daemon({"exec.block.command": block}, name="B", lease_seconds=2,
               heartbeat_seconds=1)
    jid = submit(conn, acct, "block", ["x", "y"], max_attempts=3)
    probe.wait("start")
    wait_status(conn, jid, "processing")
    b.send(signal.SIGSTOP)
    try:
        wait_until(conn, "SELECT status = 'queued' FROM pgjob.job WHERE id = %s", (jid,),
                   timeout=15, what="the frozen worker's job to be rescued")
        daemon({"exec.block.command": block}, name="C", lease_seconds=2, heartbeat_seconds=1)
        done = wait_status(conn, jid, "completed", timeout=15)
    finally:
        b.send(signal.SIGCONT)
    b.wait_log(rf"\[job {jid}\] stopping attempt 1: the job is lost")
    assert b.stop() == 0
    cb = b.stopped_counters()
    assert (cb["completed"], cb["lost"]) == (0, 1), cb
    j = job(conn, jid)
    assert j == done, "the stale attempt changed the job"
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)
    assert j["results"] == echoed(["x", "y"])
    assert a.stop() == 0
    assert a.stopped_counters()["rescued"] == 1


def test_frozen_maintainer_does_not_stop_rescue(daemon, conn, acct, ddir, probe):
    """A daemon that hangs (here: SIGSTOP) holding the maintenance lock must
    not keep the others from rescuing expired leases: sql/002 rescue is
    meant for jobs whose worker "died or hung".

    A, the maintainer (2 s lease), freezes mid-job; B, started next, should
    rescue the job once A's lease runs out and complete it."""
    block = block_script(ddir, probe)
    a = daemon({"exec.block.command": block}, name="A", lease_seconds=2,
               heartbeat_seconds=1)
    a.wait_log(r"connected to the database, listening, maintainer")
    jid = submit(conn, acct, "block", ["x"], max_attempts=3)
    probe.wait("start")
    wait_status(conn, jid, "processing")
    a.send(signal.SIGSTOP)
    try:
        daemon({"exec.block.command": block}, name="B", lease_seconds=2, heartbeat_seconds=1,
               rescue_interval_seconds=1)
        j = wait_status(conn, jid, "completed", timeout=10)
        assert j["attempt_count"] == 2
    finally:
        a.send(signal.SIGCONT)


def test_sigterm_releases_a_long_job_at_once(daemon, conn, acct, ddir, probe):
    """SIGTERM with shutdown_grace_seconds = 1 and a 60 s lease: A exits 0
    within a few seconds, handing the job back (queued, not failed), and B
    completes it long before the lease would have expired."""
    block = block_script(ddir, probe)
    a = daemon({"exec.block.command": block}, name="A", shutdown_grace_seconds=1,
               lease_seconds=60, heartbeat_seconds=10)
    jid = submit(conn, acct, "block", ["x", "y"], max_attempts=2)
    pid = int(probe.wait("start")[0][1])
    wait_status(conn, jid, "processing")

    t0 = time.monotonic()
    assert a.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 8
    a.wait_log(r"grace period over: handing back 1 running jobs")
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == ("queued", 1, 0)
    assert j["error"] is None
    assert a.stopped_counters()["released"] == 1
    assert not alive(pid), "A's program outlived A's shutdown"

    daemon({"exec.block.command": block}, name="B", lease_seconds=60, heartbeat_seconds=10)
    j = wait_status(conn, jid, "completed", timeout=20)
    assert time.monotonic() - t0 < 20
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 0)
    assert j["results"] == echoed(["x", "y"])


def test_three_daemons_complete_20000_jobs_exactly_once(daemon, conn, acct):
    n = 20000
    ds = [daemon(name=f"d{i}", workers=4, lease_seconds=30, heartbeat_seconds=5)
          for i in range(3)]
    assert submit_many(conn, acct, n) == n
    wait_until(conn, """SELECT NOT EXISTS (SELECT 1 FROM pgjob.ready)
                           AND NOT EXISTS (SELECT 1 FROM pgjob.lease)""",
               timeout=90, min_interval=0.5, what=f"the {n} jobs to be done")
    for d in ds:
        assert d.stop() == 0
    counters = [d.stopped_counters() for d in ds]
    assert sum(c["completed"] for c in counters) == n, counters
    assert sum(c["claimed"] for c in counters) == n, counters
    assert all(c["lost"] == 0 and c["failed"] == 0 for c in counters), counters
    assert all(c["claimed"] > 0 for c in counters), f"a daemon did nothing: {counters}"
    bad = conn.cursor()
    bad.execute("""
        SELECT count(*) FILTER (WHERE status <> 'completed'),
               count(*) FILTER (WHERE attempt_count <> 1 OR failed_attempts <> 0),
               count(*) FILTER (WHERE results IS DISTINCT FROM jsonb_build_array(
                   jsonb_build_object('status', 'completed', 'output', items -> 0,
                                      'error', NULL))),
               count(*)
          FROM pgjob.job""")
    assert bad.fetchone() == (0, 0, 0, n)


def test_postgres_restart_under_a_running_daemon(pg, daemon, conn, connect, acct, ddir):
    """PostgreSQL stops while a daemon works through a backlog and starts
    again once the daemon has noticed: the daemon stays up, logs that it
    lost the connection and that it connected again, and every job
    completes, each exactly once."""
    slowish = script(ddir, "slowish.sh", "sleep 0.01\nexec cat\n")
    n = 400
    assert submit_many(conn, acct, n, type="slowish") == n
    d = daemon({"exec.slowish.command": slowish}, workers=2, claim_batch=2,
               lease_seconds=10, heartbeat_seconds=2, reconnect_max_seconds=1)
    wait_until(conn, "SELECT count(*) >= 40 FROM pgjob.job WHERE status = 'completed'",
               what="40 jobs completed before the restart")
    mark = d.log_mark()
    pg.stop()
    try:
        lost = d.wait_log(r"WARN pgjobd: database (connection lost|unavailable)",
                          since=mark, timeout=20)
        assert d.running(), "pgjobd exited when PostgreSQL went away"
    finally:
        pg.start()
    d.wait_log(r"INFO pgjobd: connected to the database", since=mark, timeout=20)
    conn = connect()
    wait_until(conn, "SELECT count(*) = %s FROM pgjob.job WHERE status = 'completed'",
               (n,), timeout=60, min_interval=0.2, what=f"all {n} jobs to complete")
    assert d.running(), f"pgjobd exited after: {lost.string}"
    assert d.stop() == 0
    c = d.stopped_counters()
    assert c["completed"] + c["lost"] >= n and c["failed"] == 0, c
    cur = conn.cursor()
    cur.execute("""SELECT count(*) FILTER (WHERE results = jsonb_build_array(
                              jsonb_build_object('status', 'completed', 'output', items -> 0,
                                                 'error', NULL))),
                          max(attempt_count)
                     FROM pgjob.job""")
    good, most = cur.fetchone()
    assert good == n and most <= 2, (good, most)


def test_prefetched_job_keeps_its_lease_while_it_waits(daemon, conn, acct, ddir, probe):
    """A job claimed ahead (prefetch) waits in the daemon's queue while the
    only worker runs a long job: its lease must be kept alive meanwhile,
    or the daemon's own rescue counts a failed attempt for a job that
    never ran (and, with max_attempts 1, fails it for good).

    One worker, prefetch 1, a 2 s lease: the long job waits for a gate
    file; the echo job queued behind it must still be processing, with a
    lease renewed past its first one, then complete on attempt 1."""
    gate = f"{ddir}/gate"
    long = script(ddir, "long.sh", f"""
echo "start $$" > {probe.path}
while [ ! -e {gate} ]; do sleep 0.05; done
exec cat
""")
    d = daemon({"exec.long.command": long}, workers=1, prefetch=1, lease_seconds=2,
               heartbeat_seconds=1, rescue_interval_seconds=1)
    first = submit(conn, acct, "long", ["l"])
    probe.wait("start")
    waiting = submit(conn, acct, "echo", ["e"], max_attempts=1)
    wait_status(conn, waiting, "processing")
    lease0 = conn.cursor()
    lease0.execute("SELECT lease_until FROM pgjob.lease WHERE job_id = %s", (waiting,))
    (until,) = lease0.fetchone()
    wait_until(conn, """SELECT j.status <> 'processing' OR l.lease_until > %s + interval '1 second'
                          FROM pgjob.job j LEFT JOIN pgjob.lease l ON l.job_id = j.id
                         WHERE j.id = %s""", (until, waiting), timeout=15,
               what="the waiting job's lease to be renewed (or the job to leave processing)")
    j = job(conn, waiting)
    assert (j["status"], j["failed_attempts"]) == ("processing", 0), \
        f"the prefetched job lost its lease while waiting: {j['status']}, {j['error']}"
    open(gate, "w").close()
    wait_status(conn, first, "completed")
    j = wait_status(conn, waiting, ("completed", "failed"))
    assert (j["status"], j["attempt_count"]) == ("completed", 1), j["error"]
    assert d.stop() == 0


def test_kill9_takes_a_silent_program_along(daemon, conn, acct, ddir, probe):
    """A program that neither writes nor reads (here: sleep) must not run
    on after its pgjobd was killed with SIGKILL."""
    silent = script(ddir, "silent.sh", f"""
echo "start $$" > {probe.path}
exec sleep 60
""")
    a = daemon({"exec.silent.command": silent}, name="A")
    submit(conn, acct, "silent", ["x"])
    pid = int(probe.wait("start")[0][1])
    a.kill9()
    wait_gone([pid], timeout=5, what="the silent program after its pgjobd was killed")


def wait_for_progress(conn, n, stall, limit):
    """Wait until n jobs are completed while completions keep coming:
    returns the number completed when none came for `stall` seconds, or
    `limit` seconds passed, or n."""
    cur = conn.cursor()
    start = last_change = time.monotonic()
    seen = -1
    while True:
        cur.execute("SELECT count(*) FROM pgjob.job WHERE status = 'completed'")
        done = cur.fetchone()[0]
        now = time.monotonic()
        if done != seen:
            seen, last_change = done, now
        if done >= n or now - last_change > stall or now - start > limit:
            return done
        time.sleep(0.2)  # samples the count; the bounds above decide


def test_lane_connections_killed_under_load(daemon, conn, acct, ddir):
    """The dispatcher's extra connections (application_name 'pgjobd lane')
    are terminated again and again while it works through a backlog: the
    daemon logs each loss and carries on, outcomes cut off are written
    again and claims cut off come back after their lease; every job is
    completed once, with the right result."""
    slowish = script(ddir, "slowish.sh", "sleep 0.005\nexec cat\n")
    n = 3000
    assert submit_many(conn, acct, n // 2) == n // 2
    assert submit_many(conn, acct, n - n // 2, type="slowish") == n - n // 2
    # A lease of five heartbeats: a renewal delayed a second or two on a
    # loaded machine must not cost a running job its lease, since the test
    # asserts below that no attempt failed; claims cut off still come back
    # within a few seconds.
    d = daemon({"exec.slowish.command": slowish}, workers=4, claim_batch=20,
               complete_batch=20, prefetch=40, lease_seconds=5, heartbeat_seconds=1,
               rescue_interval_seconds=1)
    killer = conn.cursor()
    killed = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        killer.execute("""SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
                            FROM pg_stat_activity WHERE application_name = 'pgjobd lane'""")
        killed += killer.fetchone()[0]
        killer.execute("SELECT count(*) FROM pgjob.job WHERE status = 'completed'")
        if killed >= 3 or killer.fetchone()[0] == n:
            break
        time.sleep(0.05)  # paces the fault injection; nothing waits on it
    assert killed >= 3, f"only {killed} lane connections were seen to kill"
    # A busy machine makes the daemon slow, not stuck: wait as long as the
    # jobs keep completing, and fail on a stall (no completion for 30 s).
    progress = wait_for_progress(conn, n, stall=30, limit=300)
    assert progress == n, f"pgjobd stalled at {progress} of {n} completed jobs"
    d.wait_log(r"WARN pgjobd: lane \d's connection lost", timeout=5)
    assert d.running()
    assert d.stop() == 0
    cur = conn.cursor()
    cur.execute("""SELECT count(*) FILTER (WHERE results = jsonb_build_array(
                              jsonb_build_object('status', 'completed', 'output', items -> 0,
                                                 'error', NULL))),
                          count(*) FILTER (WHERE failed_attempts > 0)
                     FROM pgjob.job""")
    assert cur.fetchone() == (n, 0)


def test_sigterm_with_the_database_down_gives_up_after_the_grace_period(
        pg, daemon, conn, acct, ddir, probe):
    """A job ends while PostgreSQL is stopped, so its outcome cannot be
    written; SIGTERM then exits 0 once the grace period (1 s) and the wait
    for the database (5 s) are over, saying what was not recorded."""
    gate = os.path.join(ddir, "gate")
    gated = script(ddir, "gated.sh", f"""
echo "start $$" > {probe.path}
while [ ! -e {gate} ]; do sleep 0.05; done
exec cat
""")
    d = daemon({"exec.gated.command": gated}, shutdown_grace_seconds=1,
               reconnect_max_seconds=1)
    jid = submit(conn, acct, "gated", ["x"])
    probe.wait("start")
    wait_status(conn, jid, "processing")
    conn.close()
    mark = d.log_mark()
    pg.stop()
    try:
        open(gate, "w").close()
        d.wait_log(r"WARN pgjobd: database (connection lost|unavailable)", since=mark,
                   timeout=20)
        t0 = time.monotonic()
        assert d.stop(timeout=30) == 0
        assert time.monotonic() - t0 >= 5
        d.wait_log(r"WARN pgjobd: 1 outcomes not recorded", since=mark, timeout=1)
    finally:
        pg.start()
