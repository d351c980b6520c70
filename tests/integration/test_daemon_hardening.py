# SPDX-License-Identifier: MIT
"""pgjobd faults of issue 10: outcomes held through an outage are written
before the rescue, a prefetched job whose daemon died is no failed
attempt, and a job pgjobd cannot read fails at once."""

import time

# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir, probe  # noqa: F401
from daemon import job, script, submit, submit_many, value, wait_status, wait_until


def test_outcome_held_through_an_outage_is_written_before_the_rescue(
        pg, daemon, conn, connect, acct, ddir, probe):
    """The job finishes while PostgreSQL is down and its lease runs out
    meanwhile.  After the reconnect the daemon must record the held
    completion before it rescues expired leases, or it throws its own
    finished work away and runs the job again."""
    gate = f"{ddir}/gate"
    prog = script(ddir, "gated.sh", f"""
echo "start $$ $PGJOB_ATTEMPT" > {probe.path}
while [ ! -e {gate} ]; do sleep 0.05; done
exec cat
""")
    d = daemon({"exec.gated.command": prog}, workers=1, prefetch=0, lease_seconds=2,
               heartbeat_seconds=1, rescue_interval_seconds=1, reconnect_max_seconds=1)
    jid = submit(conn, acct, "gated", ["a"], max_attempts=3)
    probe.wait("start")
    wait_status(conn, jid, "processing")
    mark = d.log_mark()
    pg.stop()
    try:
        d.wait_log(r"WARN pgjobd: database (connection lost|unavailable)", since=mark,
                   timeout=20)
        open(gate, "w").close()
        # The program has answered; the outcome waits in the daemon, and
        # the lease (2 s) runs out while the database is away.
        time.sleep(3)
    finally:
        pg.start()
    conn = connect()
    j = wait_status(conn, jid, "completed", timeout=30)
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 0), j["error"]
    assert len(probe.events("start")) == 1, "the job ran twice"
    assert d.stop() == 0


def test_prefetched_jobs_of_a_killed_daemon_are_no_failed_attempts(
        daemon, conn, acct, ddir, probe):
    """One worker runs a job that never ends; three more jobs wait in the
    daemon (prefetch).  The daemon is SIGKILLed: the running job's attempt
    counts as failed, the waiting ones do not, and with max_attempts 1
    they still complete on the next daemon, ahead of later jobs."""
    gate = f"{ddir}/gate"
    prog = script(ddir, "hang.sh", f"""
echo "start $$ $PGJOB_ATTEMPT" > {probe.path}
while [ ! -e {gate} ]; do sleep 0.05; done
exec cat
""")
    a = daemon({"exec.hang.command": prog}, name="A", workers=1, prefetch=3, claim_batch=1,
               lease_seconds=2, heartbeat_seconds=1)
    running = submit(conn, acct, "hang", ["r"], max_attempts=2)
    probe.wait("start")
    waiting = [submit(conn, acct, "hang", [f"w{i}"], max_attempts=1) for i in range(3)]
    for w in waiting:
        wait_status(conn, w, "processing")
    a.kill9()
    later = submit(conn, acct, "hang", ["later"], max_attempts=1)
    open(gate, "w").close()
    # B starts once the leases have run out: its first rescue comes before
    # its first claim, so the jobs handed back must run before `later`.
    wait_until(conn, "SELECT bool_and(lease_until < now()) FROM pgjob.lease", timeout=15,
               what="A's leases to run out")
    b = daemon({"exec.hang.command": prog}, name="B", workers=1, prefetch=0,
               lease_seconds=2, heartbeat_seconds=1, rescue_interval_seconds=1)
    for w in waiting:
        j = wait_status(conn, w, ("completed", "failed"), timeout=30)
        assert (j["status"], j["failed_attempts"]) == ("completed", 0), j["error"]
    r = wait_status(conn, running, ("completed", "failed"), timeout=30)
    assert (r["status"], r["failed_attempts"]) == ("completed", 1)
    wait_status(conn, later, "completed", timeout=30)
    done = {k: job(conn, k)["completed_at"] for k in waiting + [later]}
    assert max(done[w] for w in waiting) <= done[later], \
        "a job handed back was run after a job submitted later"
    b.wait_log(r"rescued \d+ jobs whose lease expired \([1-9]\d* had not started\)")
    assert b.stop() == 0


def test_slow_maintenance_stops_neither_claims_nor_renewals(daemon, conn, connect, acct, ddir):
    """A maintenance statement that does not finish (here the result cache
    is locked, so the maintainer's pruning of it waits for the lock) holds
    only its own connection: while one such statement waits, the daemon
    keeps claiming and recording (jobs complete during that one wait), and
    keeps renewing the short leases of the jobs it prefetched, so every
    job of the backlog completes in its first attempt, nothing rescued."""
    prog = script(ddir, "slow.sh", "sleep 0.3\nexec cat\n")
    locker = connect()
    locker.autocommit = False
    waiting = """SELECT pid, query_start FROM pg_stat_activity
                  WHERE wait_event_type = 'Lock' AND query LIKE '%result_cache_prune%'"""
    # A backend waiting for a lock notices its client has gone only with
    # this set: a statement the daemon gave up on must not look waiting.
    with conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        cur.execute(f'ALTER DATABASE "{cur.fetchone()[0]}"'
                    " SET client_connection_check_interval = '100ms'")
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE pgjob.result_cache IN ACCESS EXCLUSIVE MODE")
        # One worker, ten prefetched: a job waits about 3 s in the daemon,
        # longer than its 2 s lease, so only renewals keep it.
        d = daemon({"exec.slow.command": prog}, workers=1, prefetch=10, lease_seconds=2,
                   heartbeat_seconds=1, expire_interval_seconds=1)
        n = submit_many(conn, acct, 60, type="slow")
        # Jobs completed during one wait of the pruning (the same backend
        # and statement start): more than the lanes could have had in
        # flight when it began (3 batches of at most 1 outcome here).
        seen, during = {}, 0
        end = time.monotonic() + 120
        while during < 6:
            done = value(conn, "SELECT count(*) FROM pgjob.job WHERE status = 'completed'")
            with conn.cursor() as cur:
                cur.execute(waiting)
                for key in cur.fetchall():
                    during = max(during, done - seen.setdefault(key, done))
            assert done < n, f"no wait of the pruning saw 6 jobs complete ({during} at most)"
            assert time.monotonic() < end, f"{done} of {n} completed in 120 s"
            time.sleep(0.1)  # samples pg_stat_activity; bounded above
        wait_until(conn, "SELECT count(*) = %s FROM pgjob.job WHERE status = 'completed'",
                   (n,), timeout=120, what="the backlog to complete")
    finally:
        locker.rollback()
        locker.close()
    assert value(conn, "SELECT max(attempt_count) FROM pgjob.job") == 1, \
        "a job was rescued: its lease ran out while it waited in the daemon"
    assert not d.log_lines(r"rescued \d+ jobs"), d.log()
    assert d.stop() == 0


def test_job_pgjobd_cannot_read_fails_at_once(daemon, conn, acct):
    """Items written past the front end (here straight into SQL) that
    pgjobd's JSON reader refuses fail the job at once, for good, with a
    clear code, instead of leaving it processing until its lease expires."""
    jid = submit(conn, acct, "echo", [9223372036854775808], max_attempts=100)
    d = daemon(lease_seconds=30)
    j = wait_status(conn, jid, ("failed", "completed"), timeout=10)
    assert j["status"] == "failed"
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 1)
    assert j["error"]["code"] == "unreadable_job", j["error"]
    assert "items" in j["error"]["message"]
    d.wait_log(rf"\[job {jid}\] pgjobd cannot read the job's items")
    assert d.stop() == 0
    wait_until(conn, "SELECT count(*) = 0 FROM pgjob.lease", what="no lease left")


def test_exec_program_gets_a_clean_environment(daemon, conn, acct, ddir):
    """An exec program never sees pgjobd's credentials or other secrets:
    only the safe list and the names its type's configuration gives."""
    prog = script(ddir, "envdump.sh", """
read -r item
n=$(env | grep -c -e s3cret -e aws-key -e EXTRA_UNNAMED)
printf '{"secrets": %s, "token": "%s", "path": "%s"}\\n' "$n" "${MY_TOKEN:-none}" "${PATH:+set}"
""")
    d = daemon({"exec.envdump.command": prog, "exec.envdump.environment": "MY_TOKEN"},
               env={"PGPASSWORD": "s3cret", "AWS_SECRET_ACCESS_KEY": "aws-key",
                    "DATABASE_URL": "postgresql://u:s3cret@nowhere/db",
                    "EXTRA_UNNAMED": "x", "MY_TOKEN": "tok"})
    jid = submit(conn, acct, "envdump", ["a"])
    j = wait_status(conn, jid, ("completed", "failed"))
    assert j["status"] == "completed", j["error"]
    assert j["results"][0]["output"] == {"secrets": 0, "token": "tok", "path": "set"}
    assert d.stop() == 0


def test_exec_environment_refuses_libpq_variables(daemon, ddir):
    prog = script(ddir, "noop.sh", "exec cat\n")
    d = daemon({"exec.noop.command": prog, "exec.noop.environment": "HOME PGPASSWORD"},
               ready=False)
    d.expect_exit = True
    assert d.wait_exit() == 78
    d.wait_log(r"exec\.noop\.environment: \"PGPASSWORD\" is not a variable")


class Blackhole:
    """A TCP proxy on loopback to PostgreSQL that can stop forwarding in
    both directions while keeping every connection open, and hold new
    ones unanswered: a database host that silently drops packets, as far
    as pgjobd can tell from userland."""

    def __init__(self, port):
        import socket
        import threading
        self.target = ("127.0.0.1", port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.closed = False
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.socks.append(client)
            threading.Thread(target=self._serve, args=(client, socket), daemon=True).start()

    def _serve(self, client, socket):
        import threading
        self.open.wait()
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self.socks.append(upstream)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        while not self.closed:
            self.open.wait()
            try:
                data = src.recv(65536)
                if not data:
                    break
                self.open.wait()  # data read as the hole opened waits for it to close
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.open.set()
        for s in [self.listener] + self.socks:
            try:
                s.close()
            except OSError:
                pass


def test_database_that_drops_packets_does_not_stop_the_watchdog(pg, daemon, conn, acct,
                                                                 db_name):
    """With WatchdogSec=30, PostgreSQL reached through a proxy that stops
    forwarding (and never closes a connection) for 40 s: pgjobd keeps
    sending WATCHDOG=1 at least every 30 s, gives up on the silent
    connection, and once packets flow again reconnects and works."""
    hole = Blackhole(pg.port)
    try:
        dsn = f"host=127.0.0.1 port={hole.port} dbname={db_name} user=postgres"
        # No polling: between two notifications the dispatcher's only statements
        # are its maintenance, which it waits for.
        d = daemon(database=dsn, env={"WATCHDOG_USEC": "30000000"}, poll_interval_ms=60000,
                   rescue_interval_seconds=1, reconnect_max_seconds=1)
        first = submit(conn, acct, "echo", ["before"])
        wait_status(conn, first, "completed")
        pings = []
        seen = 0
        hole.open.clear()
        t0 = time.monotonic()
        submit(conn, acct, "echo", ["during"])  # its notification is stuck in the hole
        while time.monotonic() - t0 < 40:
            notes = d.drain_notifications()
            pings += [time.monotonic() for n in notes[seen:] if n == "WATCHDOG=1"]
            seen = len(notes)
            assert d.running(), "pgjobd died while the database was silent"
            time.sleep(0.2)  # samples the notifications; nothing waits on it
        gaps = [b - a for a, b in zip([t0] + pings, pings + [time.monotonic()])]
        print(f"WATCHDOG=1 gaps while the database was silent: {gaps}")
        assert max(gaps) < 30, f"WATCHDOG=1 gaps while the database was silent: {gaps}"
        d.wait_log(r"did not answer within \d+ ms|no answer within|database (connection lost|"
                   r"unavailable)", timeout=1)
        hole.open.set()
        after = submit(conn, acct, "echo", ["after"])
        wait_status(conn, after, "completed", timeout=60)
        assert d.stop() == 0
    finally:
        hole.close()
