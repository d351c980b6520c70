# SPDX-License-Identifier: MIT
"""pgjobd end to end: echo jobs, sd_notify, signals, reload, the command
line, per-type concurrency, poll-only mode and waking on notifications.

Every test starts the real daemon on a fresh database (tests/integration/
daemon.py) and waits for events (sd_notify datagrams, log lines, LISTEN,
a FIFO the job scripts write to), never for time.
"""

import os
import re
import signal
import subprocess
import time

import pytest

import programs
# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir, probe  # noqa: F401
from daemon import (block_script, echoed, job, script, submit, wait_gone, wait_status,
                    wait_until)


# ---- echo ------------------------------------------------------------------------

def test_echo_jobs_complete_with_results_in_order(daemon, conn, acct):
    d = daemon()
    batches = [
        ["a", 1, {"custom_id": "c-1", "x": 1}, [1, 2], None, {"no": "id"}],
        [{"custom_id": 7}, "é ünïcode", {"custom_id": "z", "deep": {"k": [True]}}],
        ["single"],
    ]
    ids = [submit(conn, acct, "echo", items) for items in batches]
    for jid, items in zip(ids, batches):
        j = wait_status(conn, jid, "completed")
        assert j["results"] == echoed(items)
        assert j["attempt_count"] == 1 and j["failed_attempts"] == 0
        assert j["processing_ms"] is not None and j["processing_ms"] >= 0
        assert j["started_at"] is not None and j["completed_at"] is not None
        assert j["started_at"] <= j["completed_at"]
        assert j["items_done"] == j["item_count"] == len(items)
        assert j["items_failed"] == 0
        assert j["error"] is None
    assert d.stop() == 0
    c = d.stopped_counters()
    assert (c["claimed"], c["completed"], c["failed"], c["lost"]) == (3, 3, 0, 0)


def test_unknown_type_stays_queued(daemon, conn, acct):
    """A daemon claims only the types it has a handler for."""
    d = daemon()
    other = submit(conn, acct, "nosuchtype", ["x"])
    mine = submit(conn, acct, "echo", ["y"])
    wait_status(conn, mine, "completed")
    assert job(conn, other)["status"] == "queued"
    assert d.stop() == 0


# ---- sd_notify and reload -------------------------------------------------------

def test_sd_notify_ready_status_reload_and_stopping(daemon, conn, acct):
    d = daemon(stats_period_seconds=1, lease_seconds=10)
    assert d.notifications[0] == "READY=1", d.notifications
    i = d.wait_notify(lambda t: t.startswith("STATUS="), what="STATUS=...")
    assert re.match(r"STATUS=running=0/4 claimed=\d+ completed=\d+ ", d.notifications[i])

    # A good new file: RELOADING=1 with MONOTONIC_USEC, then READY=1.
    mark, logmark = len(d.notifications), d.log_mark()
    d.rewrite_conf(lease_seconds=7, log_level="debug")
    sent = time.monotonic()
    d.send(signal.SIGHUP)
    i = d.wait_notify(lambda t: "RELOADING=1" in t.split("\n"), since=mark,
                      what="RELOADING=1")
    m = re.search(r"^MONOTONIC_USEC=(\d+)$", d.notifications[i], re.M)
    assert m, d.notifications[i]
    assert abs(int(m.group(1)) / 1e6 - sent) < 10, "MONOTONIC_USEC is not CLOCK_MONOTONIC"
    d.wait_notify("READY=1", since=i + 1)
    d.wait_log(r"INFO pgjobd: config: lease_seconds changed from 10 to 7", since=logmark)
    d.wait_log(r"config: log_level changed from info to debug", since=logmark)
    d.wait_log(r"configuration reloaded", since=logmark)
    # The new lease is what the next claim takes.
    jid = submit(conn, acct, "echo", ["after reload"])
    wait_status(conn, jid, "completed")

    # A bad file: an error naming file and line; the old config stays.
    mark, logmark = len(d.notifications), d.log_mark()
    d.rewrite_conf(workers=None)
    line = d.append_conf("workers = abc\n")
    d.send(signal.SIGHUP)
    d.wait_log(rf"ERROR pgjobd: reload failed, keeping the current configuration: "
               rf"{re.escape(d.conf_path)}:{line}: workers", since=logmark)
    d.wait_notify("READY=1", since=mark)
    jid = submit(conn, acct, "echo", ["after a bad reload"])
    wait_status(conn, jid, "completed")
    assert d.running()

    ready_at = max(i for i, t in enumerate(d.notifications) if "READY=1" in t.split("\n"))
    assert d.stop(signal.SIGTERM) == 0
    stopping = [i for i, t in enumerate(d.notifications) if "STOPPING=1" in t.split("\n")]
    assert stopping and stopping[0] > ready_at, d.notifications


def test_watchdog_keepalives(daemon):
    """With WATCHDOG_USEC set (and WATCHDOG_PID unset), WATCHDOG=1 comes
    every half of it."""
    d = daemon(env={"WATCHDOG_USEC": "400000"})
    t0 = time.monotonic()
    d.wait_notify(lambda t: t == "WATCHDOG=1", what="WATCHDOG=1")
    i = d.wait_notify(lambda t: t == "WATCHDOG=1", what="a second WATCHDOG=1",
                      since=d.notifications.index("WATCHDOG=1") + 1)
    d.wait_notify(lambda t: t == "WATCHDOG=1", what="a third WATCHDOG=1", since=i + 1)
    assert time.monotonic() - t0 < 5
    assert d.stop() == 0


def test_watchdog_for_another_pid_is_ignored(daemon, conn, acct):
    d = daemon(env={"WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"}, stats_period_seconds=1)
    # Two stats periods are plenty of watchdog periods.
    d.wait_notify(lambda t: t.startswith("STATUS="))
    first = next(i for i, t in enumerate(d.notifications) if t.startswith("STATUS="))
    d.wait_notify(lambda t: t.startswith("STATUS="), since=first + 1)
    assert "WATCHDOG=1" not in d.notifications
    assert d.stop() == 0


def test_sighup_with_restart_only_key_warns(daemon, conn, acct):
    d = daemon(workers=4)
    logmark = d.log_mark()
    d.rewrite_conf(workers=2)
    d.send(signal.SIGHUP)
    d.wait_log(r"WARN pgjobd: config: workers changed from 4 to 2; needs a restart",
               since=logmark)
    d.wait_log(r"configuration reloaded", since=logmark)
    assert d.stop() == 0
    assert "running=0/4" in d.log_lines(r"stopped:")[-1]


# ---- signals -------------------------------------------------------------------------

def _start_blocked(daemon, conn, acct, ddir, probe, **conf):
    """A daemon running one job that blocks on attempt 1; returns (d, job id,
    pid of the job's program)."""
    d = daemon({"exec.block.command": block_script(ddir, probe)}, **conf)
    jid = submit(conn, acct, "block", ["x", "y"])
    start = probe.wait("start")[0]
    wait_status(conn, jid, "processing")
    return d, jid, int(start[1])


def test_sigterm_drains_then_exits(daemon, conn, acct):
    d = daemon()
    jid = submit(conn, acct, "echo", ["x"])
    wait_status(conn, jid, "completed")
    assert d.stop(signal.SIGTERM) == 0
    assert "STOPPING=1" in d.notifications
    d.wait_log(r"shutting down: 0 jobs running")


def test_sigterm_lets_running_jobs_finish_and_claims_nothing_new(daemon, conn, acct, ddir,
                                                                 probe):
    """Draining: a running job that ends within the grace period is
    completed, not handed back; nothing new is claimed meanwhile."""
    gate = os.path.join(ddir, "gate")
    gated = script(ddir, "gated.sh", f"""
echo "start $$" > {probe.path}
while [ ! -e {gate} ]; do sleep 0.05; done
exec cat
""")
    d = daemon({"exec.gated.command": gated}, shutdown_grace_seconds=60)
    jid = submit(conn, acct, "gated", ["a"])
    probe.wait("start")
    d.send(signal.SIGTERM)
    d.wait_log(r"shutting down: 1 jobs running, grace period 60 s")
    late = submit(conn, acct, "echo", ["too late"])
    open(gate, "w").close()
    assert d.wait_exit(timeout=20) == 0
    assert job(conn, jid)["status"] == "completed"
    assert job(conn, late)["status"] == "queued"
    c = d.stopped_counters()
    # A claim already in flight when SIGTERM came may take the late job:
    # it is handed back at once, never run.
    assert (c["claimed"] - c["released"], c["completed"]) == (1, 1), c


def test_second_sigterm_during_drain_exits_fast(daemon, conn, acct, ddir, probe):
    d, jid, pid = _start_blocked(daemon, conn, acct, ddir, probe,
                                 shutdown_grace_seconds=600, lease_seconds=60)
    d.send(signal.SIGTERM)
    d.wait_log(r"shutting down: 1 jobs running, grace period 600 s")
    d.wait_notify("STOPPING=1")
    assert d.running() and job(conn, jid)["status"] == "processing"
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM, timeout=15) == 0
    assert time.monotonic() - t0 < 10
    d.wait_log(r"fast shutdown: handing back 1 running jobs")
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"], j["error"]) == \
        ("queued", 1, 0, None)
    assert d.stopped_counters()["released"] == 1
    wait_gone([pid], what="the job's program after the fast exit")


def test_sigquit_exits_fast(daemon, conn, acct, ddir, probe):
    d, jid, pid = _start_blocked(daemon, conn, acct, ddir, probe,
                                 shutdown_grace_seconds=600, lease_seconds=60)
    t0 = time.monotonic()
    assert d.stop(signal.SIGQUIT, timeout=15) == 0
    assert time.monotonic() - t0 < 10
    assert "STOPPING=1" in d.notifications
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"], j["failed_attempts"]) == ("queued", 1, 0)
    assert d.stopped_counters()["released"] == 1
    wait_gone([pid], what="the job's program after SIGQUIT")


# ---- configuration and command line ------------------------------------------------

def run_pgjobd(bindir, *args, env=None):
    return subprocess.run([os.path.join(bindir, "pgjobd"), *args], text=True,
                          capture_output=True, env=programs.clean_env(env),
                          timeout=30, check=False)


def test_check_config_good_file(bindir, ddir):
    path = os.path.join(ddir, "good.conf")
    with open(path, "w") as f:
        f.write("# a comment\nworkers = 2\nlease_seconds = 20\n"
                "exec.up.command = /bin/cat -u\nconcurrency.up = 1\n")
    p = run_pgjobd(bindir, "--check-config", "--config", path)
    assert p.returncode == 0, programs.describe(p)


@pytest.mark.parametrize("text, line, key", [
    ("workers = 2\nlease_seconds = abc\n", 2, "lease_seconds"),
    ("\n# x\nworkers = 0\n", 3, "workers"),
    ("listen = maybe\n", 1, "listen"),
    ("no_such_key = 1\n", 1, "no_such_key"),
])
def test_check_config_bad_value_exits_78(bindir, ddir, text, line, key):
    path = os.path.join(ddir, "bad.conf")
    with open(path, "w") as f:
        f.write(text)
    p = run_pgjobd(bindir, "--check-config", "--config", path)
    assert p.returncode == 78, programs.describe(p)
    assert f"{path}:{line}:" in p.stderr and key in p.stderr, p.stderr
    # Starting with it fails the same way, before touching any database.
    p = run_pgjobd(bindir, "--config", path)
    assert p.returncode == 78 and f"{path}:{line}:" in p.stderr, programs.describe(p)


def test_bad_environment_override_exits_78(bindir):
    p = run_pgjobd(bindir, "--check-config", env={"PGJOB_WORKERS": "abc"})
    assert p.returncode == 78 and "PGJOB_WORKERS" in p.stderr, programs.describe(p)


def test_version_help_and_usage_errors(bindir):
    p = run_pgjobd(bindir, "--version")
    assert p.returncode == 0 and p.stdout.startswith("pgjobd "), programs.describe(p)
    p = run_pgjobd(bindir, "--help")
    assert p.returncode == 0 and "Usage: pgjobd" in p.stdout, programs.describe(p)
    for args in (["--bogus"], ["extra-argument"], ["--config"]):
        p = run_pgjobd(bindir, *args)
        assert p.returncode == 2, programs.describe(p)
        assert "Usage: pgjobd" in p.stderr


def test_print_config_loads_back(bindir, ddir):
    path = os.path.join(ddir, "in.conf")
    with open(path, "w") as f:
        f.write('workers = 3\ndatabase = "host=/tmp dbname=x # not a comment"\n'
                "exec.up.command = /bin/cat -u\nexec.up.timeout_seconds = 9\n"
                "concurrency.up = 2\nconcurrency.echo = 1\nlog_level = debug\n")
    first = run_pgjobd(bindir, "--print-config", "--config", path)
    assert first.returncode == 0, programs.describe(first)
    assert "workers" in first.stdout and "exec.up.command" in first.stdout
    printed = os.path.join(ddir, "printed.conf")
    with open(printed, "w") as f:
        f.write(first.stdout)
    p = run_pgjobd(bindir, "--check-config", "--config", printed)
    assert p.returncode == 0, programs.describe(p) + "\n" + first.stdout
    again = run_pgjobd(bindir, "--print-config", "--config", printed)
    assert again.returncode == 0 and again.stdout == first.stdout


# ---- modes ------------------------------------------------------------------------------

def test_poll_only_mode(daemon, conn, acct):
    d = daemon(listen=False, poll_interval_ms=200)
    d.wait_log(r"connected to the database, polling only")
    ids = [submit(conn, acct, "echo", [i]) for i in range(5)]
    for i, jid in enumerate(ids):
        assert wait_status(conn, jid, "completed", timeout=20)["results"] == echoed([i])
    assert d.stop() == 0


def test_per_type_concurrency_limit(daemon, conn, acct, ddir):
    """concurrency.slow = 1 with 4 workers: never two slow jobs at once,
    while jobs of another type still run side by side."""
    trace = os.path.join(ddir, "trace")

    def timed(name, seconds):
        return script(ddir, f"{name}.sh", f"""
echo "{name} $PGJOB_JOB_ID begin $(date +%s%N)" >> {trace}
sleep {seconds}
echo "{name} $PGJOB_JOB_ID end $(date +%s%N)" >> {trace}
exec cat
""")

    d = daemon({"exec.slow.command": timed("slow", 0.3),
                "exec.par.command": timed("par", 0.6),
                "concurrency.slow": 1}, workers=4, poll_interval_ms=200)
    ids = [submit(conn, acct, "slow", [i]) for i in range(4)]
    ids += [submit(conn, acct, "par", [i]) for i in range(4)]
    for jid in ids:
        wait_status(conn, jid, "completed", timeout=30)
    spans = {}
    with open(trace) as f:
        for line in f:
            name, jid, what, ns = line.split()
            spans.setdefault((name, jid), {})[what] = int(ns)
    slow = sorted((s["begin"], s["end"]) for (n, _), s in spans.items() if n == "slow")
    par = sorted((s["begin"], s["end"]) for (n, _), s in spans.items() if n == "par")
    assert len(slow) == 4 and len(par) == 4
    for (b0, e0), (b1, e1) in zip(slow, slow[1:]):
        assert b1 >= e0, f"two slow jobs ran at once: {slow}"
    overlapping = any(b1 < e0 for (b0, e0), (b1, e1) in zip(par, par[1:]))
    assert overlapping, f"par jobs never ran side by side: {par}"
    assert d.stop() == 0


def test_limited_type_claims_when_its_slot_frees(daemon, conn, acct, ddir):
    """A job of a type at its concurrency limit is claimed as soon as the
    running one ends, not at the next poll.

    Poll interval 30 s: three 0.2 s jobs of a type limited to 1 must be
    done in a few seconds."""
    slow = script(ddir, "slow.sh", "sleep 0.2\nexec cat\n")
    # Queued before the start, so that the start-up claim finds them and
    # no notification is involved.
    ids = [submit(conn, acct, "slow", [i]) for i in range(3)]
    d = daemon({"exec.slow.command": slow, "concurrency.slow": 1},
               poll_interval_ms=30000)
    for jid in ids:
        wait_status(conn, jid, "completed", timeout=8)
    assert d.stop() == 0


def test_many_limited_types_are_all_claimed(daemon, conn, acct, ddir):
    """Twenty types, each with a concurrency limit: more claim groups than
    one claim round holds (16).  Every type's job is claimed and
    completed, the ones left out of a round in the next."""
    cat = script(ddir, "cat.sh", "exec cat\n")
    types = [f"limited_type_{i:02d}" for i in range(20)]
    settings = {}
    for t in types:
        settings[f"exec.{t}.command"] = cat
        settings[f"concurrency.{t}"] = 1
    ids = [submit(conn, acct, t, [t]) for t in types]
    # prefetch: enough free slots for every group to join one round
    d = daemon(settings, workers=4, prefetch=40)
    for jid in ids:
        wait_status(conn, jid, "completed", timeout=20)
    assert d.stop() == 0


def test_limited_types_take_turns(daemon, conn, acct, ddir):
    """Two limited types, aa with a deep queue and bb with one job, and
    only two workers: bb does not wait for aa's queue to run dry."""
    quick = script(ddir, "quick.sh", "sleep 0.05\nexec cat\n")
    aa = [submit(conn, acct, "aa", [i]) for i in range(20)]
    bb = submit(conn, acct, "bb", ["b"])
    d = daemon({"exec.aa.command": quick, "exec.bb.command": quick,
                "concurrency.aa": 2, "concurrency.bb": 2}, workers=2)
    for jid in aa + [bb]:
        wait_status(conn, jid, "completed", timeout=30)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pgjob.job WHERE type = 'aa'"
                " AND started_at > (SELECT started_at FROM pgjob.job WHERE id = %s)", (bb,))
    later = cur.fetchone()[0]
    assert later >= 5, f"bb started after all but {later} of aa's 20 jobs"
    assert d.stop() == 0


def test_notification_during_a_statement_wakes_the_daemon(daemon, conn, connect, acct,
                                                          ddir, probe):
    """A NOTIFY that libpq reads while the dispatcher runs a statement must
    still trigger a claim.

    Set-up (poll interval 30 s, so only a notification can wake the
    daemon): two exec jobs, X (completes) and Z (exit 65, fails), end
    together when a gate file appears, so their outcomes are written
    one after the other: complete([X]) then fail([Z]).  The test holds a
    row lock on X, so complete() blocks; meanwhile it submits an echo job
    Y, whose NOTIFY reaches the daemon's backend.  Once the lock is
    released the backend sends the NOTIFY after complete()'s answer, and
    the next statement, fail(), reads it into libpq's buffer.  The
    dispatcher then poll()s the socket, which has nothing new to read.
    (Outcomes go on whichever of the daemon's two connections is free,
    so the NOTIFY may reach an idle main connection; the test still holds
    the daemon to a prompt claim whichever connection waits.)
    """
    gate = os.path.join(ddir, "gate")
    wait_gate = f"while [ ! -e {gate} ]; do sleep 0.05; done"
    ok = script(ddir, "gated.sh", f"""
echo "start $$" > {probe.path}
{wait_gate}
exec cat
""")
    bad = script(ddir, "gated_bad.sh", f"""
echo "start $$" > {probe.path}
{wait_gate}
exit 65
""")
    d = daemon({"exec.gated.command": ok, "exec.gatedbad.command": bad},
               poll_interval_ms=30000, flush_delay_ms=10000, complete_batch=100,
               rescue_interval_seconds=3600, stats_period_seconds=3600)
    x = submit(conn, acct, "gated", ["x"])
    z = submit(conn, acct, "gatedbad", ["z"])
    probe.wait("start", count=2)
    wait_status(conn, x, "processing")
    wait_status(conn, z, "processing")

    locker = connect(autocommit=False)
    with locker.cursor() as cur:
        cur.execute("SELECT 1 FROM pgjob.job WHERE id = %s FOR UPDATE", (x,))
    open(gate, "w").close()  # both programs end now
    wait_until(conn, """SELECT count(*) > 0 FROM pg_stat_activity
                         WHERE application_name LIKE 'pgjobd%%' AND wait_event_type = 'Lock'""",
               what="the daemon's complete() to wait for the row lock")
    y = submit(conn, acct, "echo", ["y"])
    locker.commit()
    wait_status(conn, x, "completed")
    wait_status(conn, z, "failed")
    wait_status(conn, y, "completed", timeout=8)
    assert d.stop() == 0


def test_unread_notify_socket_does_not_stall_the_daemon(daemon, conn, acct, ddir):
    """sd_notify must not block the daemon: a service manager that is slow
    to read its socket (here: one that never reads) must not stop the
    loop.  A Unix datagram socket queues net.unix.max_dgram_qlen (10)
    datagrams, and each SIGHUP sends two (RELOADING=1, READY=1); after a
    few reloads a blocking sendto() would hang the main loop for good,
    SIGTERM included."""
    import socket
    unread = os.path.join(ddir, "unread.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(unread)
    try:
        d = daemon(ready=False, env={"NOTIFY_SOCKET": unread})
        d.wait_log(r"connected to the database")
        for n in range(1, 9):
            d.send(signal.SIGHUP)
            d.wait_log(r"configuration reloaded", count=n, timeout=5)
        jid = submit(conn, acct, "echo", ["still serving"])
        wait_status(conn, jid, "completed", timeout=5)
        assert d.stop(timeout=10) == 0
    finally:
        # Unblock a daemon stuck in sendto() so that teardown can stop it.
        while True:
            try:
                sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
        sock.close()


def test_types_limits_what_a_daemon_claims(daemon, conn, acct, ddir):
    up = script(ddir, "up.sh", "exec cat\n")
    d = daemon({"exec.up.command": up}, types="up")
    skipped = submit(conn, acct, "echo", ["not mine"])
    mine = submit(conn, acct, "up", ["mine"])
    wait_status(conn, mine, "completed")
    assert job(conn, skipped)["status"] == "queued"
    assert d.stop() == 0


def test_types_naming_no_handler_is_a_config_error(bindir, ddir):
    """types = <a type with no handler> is a configuration error: the
    check says so, and the daemon exits 78 (not 1, a runtime failure)."""
    path = os.path.join(ddir, "types.conf")
    with open(path, "w") as f:
        f.write('types = "echo, nosuch"\n')
    p = run_pgjobd(bindir, "--check-config", "--config", path)
    assert p.returncode == 78 and "nosuch" in p.stderr, programs.describe(p)


def test_types_naming_no_handler_exits_78_at_start(bindir, ddir):
    path = os.path.join(ddir, "types.conf")
    with open(path, "w") as f:
        f.write('types = "echo, nosuch"\ndatabase = "host=/nonexistent dbname=x"\n')
    p = run_pgjobd(bindir, "--config", path)
    assert p.returncode == 78 and "nosuch" in p.stderr, programs.describe(p)


def test_no_database_at_start_retries_and_stops_cleanly(daemon, ddir):
    """With the database unreachable the daemon keeps trying, is not
    READY, and still stops at once on SIGTERM."""
    d = daemon(ready=False, database=f"host={ddir} port=1 dbname=x connect_timeout=2")
    d.wait_log(r"WARN pgjobd: database unavailable: .*; retrying")
    assert d.running()
    assert "READY=1" not in d.drain_notifications()
    t0 = time.monotonic()
    assert d.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 10
    assert "READY=1" not in d.notifications
