# SPDX-License-Identifier: MIT
"""Helpers for the tests of pgjobd (test_daemon*.py): start the real daemon,
talk to it through signals and the sd_notify protocol, and wait for what it
does without ever sleeping.

  Daemon        one pgjobd: its config file, log, NOTIFY_SOCKET and process
  daemon        fixture: factory daemon(conf=None, **keys) -> a ready Daemon;
                every daemon it started is stopped at teardown (SIGQUIT, then
                SIGKILL) and its log printed (pytest shows it on failure)
  ddir          fixture: a short private folder in /tmp for config files,
                scripts, sockets and FIFOs (socket paths must stay short)
  script        write an executable script into a folder; block_script
                writes one that hangs on attempt 1 and echoes later
  echoed        the results echo gives for a list of items
  Probe         a FIFO that scripts write event lines into ("start PID ...")
                and tests wait on with select()
  wait_until    wait for a SQL predicate: LISTEN pgjob_job, select() between
                checks, re-check at least every 0.2 s, bounded
  wait_gone     wait for processes to exit, with pidfd and select()
  new_account, submit, submit_many, job: SQL helpers

Every wait is bounded; its failure message says what was awaited and holds
the logs of every daemon started by the test.  A daemon log that shows an
AddressSanitizer, LeakSanitizer or UBSan report fails the test.
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import psycopg2
import pytest
from psycopg2.extras import Json

import programs

# Sanitizer reports that fail a test when a daemon log holds them.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")

# Defaults written into every test config unless a test overrides them:
# short enough that nothing waits long, long enough for a slow ASan build.
DEFAULT_CONF = {
    "log_level": "info",
    "workers": 4,
    "lease_seconds": 10,
    "heartbeat_seconds": 1,
    "poll_interval_ms": 500,
    "rescue_interval_seconds": 1,
    "backoff_base_ms": 10,
    "backoff_max_ms": 100,
    "shutdown_grace_seconds": 5,
    "reconnect_max_seconds": 1,
}

# How long a daemon may take to send READY=1, and to exit after SIGQUIT.
READY_TIMEOUT = 30
EXIT_TIMEOUT = 30

# The longest select() between two checks of a condition.
RECHECK = 0.2

# Daemons started and not yet cleaned up, for failure messages.
_live = []

# Probes of the running test, closed by the ddir fixture.
_probes = []


def all_logs():
    """The logs of every daemon started by the running test."""
    return "".join(d.log_block() for d in _live)


def fail(message):
    """Raise AssertionError with message and every daemon log."""
    raise AssertionError(f"{message}\n{all_logs()}")


def _check_daemons_alive():
    """Fail at once when a daemon exited that nobody asked to stop."""
    for d in _live:
        if not d.expect_exit and d.proc is not None and d.proc.poll() is not None:
            fail(f"{d.name} exited unexpectedly with status {d.proc.returncode}")


# ---- files ----------------------------------------------------------------

def write_conf(path, conf):
    """Write conf (a dict) as a pgjob.conf: key = "value" lines."""
    with open(path, "w") as f:
        for key, val in conf.items():
            if isinstance(val, bool):
                val = "true" if val else "false"
            text = str(val).replace("\\", "\\\\").replace('"', '\\"')
            f.write(f'{key} = "{text}"\n')


def script(folder, name, body, interpreter="/bin/sh"):
    """Write an executable script `name` with body into folder; return its
    absolute path."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(f"#!{interpreter}\n{body.lstrip()}")
    os.chmod(path, 0o755)
    return path


def block_script(folder, probe):
    """An exec program that announces itself on probe ("start PID ATTEMPT
    OFFSET").  On attempt 1 it never answers: it writes a tick to stderr
    every 0.2 s, forever.  On later attempts it echoes each item."""
    return script(folder, "block.sh", f"""
echo "start $$ $PGJOB_ATTEMPT $PGJOB_ITEM_OFFSET" > {probe.path}
if [ "$PGJOB_ATTEMPT" -gt 1 ]; then exec cat; fi
while :; do echo tick >&2; sleep 0.2; done
""")


def echoed(items):
    """The results the echo handler (or `cat` as an exec program) gives
    for items."""
    out = []
    for item in items:
        r = {"status": "completed", "output": item, "error": None}
        if isinstance(item, dict) and "custom_id" in item:
            r["custom_id"] = item["custom_id"]
        out.append(r)
    return out


# ---- processes --------------------------------------------------------------

def pid_state(pid):
    """The state letter of /proc/PID/stat, or None when there is no such
    process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()[0]


def alive(pid):
    """Whether pid is a process that has not exited (zombies have)."""
    return pid_state(pid) not in (None, "Z", "X")


def group_members(pgid):
    """Pids of the live processes whose process group is pgid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


def wait_gone(pids, timeout=10, what="processes"):
    """Wait until every pid in pids has exited (a zombie counts as exited),
    with a pidfd per process and select(); fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            while alive(pid):
                left = deadline - time.monotonic()
                if left <= 0:
                    fail(f"timed out after {timeout}s waiting for {what}: "
                         f"pid {pid} still runs ({pid_state(pid)})")
                select.select([fd], [], [], min(left, RECHECK))
        finally:
            os.close(fd)


def kill_group(pid):
    """SIGKILL process group pid if pid still leads one (teardown)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---- the FIFO probe -------------------------------------------------------------

class Probe:
    """A FIFO that scripts append event lines to, e.g.
        echo "start $$ $PGJOB_ATTEMPT" > /path/probe
    The test holds both ends open (so a writer never blocks and the reader
    never sees end-of-file) and waits for lines with select().  The second
    word of each line is taken as a pid, killed at teardown if it still
    leads a process group."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path)
        self._rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._wfd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        self._buf = b""
        self.lines = []
        _probes.append(self)

    def _read(self):
        while True:
            try:
                chunk = os.read(self._rfd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self._buf += chunk
            *done, self._buf = self._buf.split(b"\n")
            self.lines.extend(x.decode() for x in done)

    def events(self, word=None):
        """The lines read so far (those starting with word), split."""
        self._read()
        return [ln.split() for ln in self.lines
                if word is None or ln.split()[:1] == [word]]

    def pids(self):
        return [int(f[1]) for f in self.events() if len(f) > 1 and f[1].isdigit()]

    def wait(self, word, count=1, timeout=30):
        """Wait until count lines starting with word have arrived; return
        them split into words."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.events(word)
            if len(got) >= count:
                return got
            _check_daemons_alive()
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"timed out after {timeout}s waiting for {count} "
                     f"'{word}' lines on probe {self.path}; got {self.lines}")
            select.select([self._rfd], [], [], min(left, RECHECK))

    def close(self):
        for fd in (self._rfd, self._wfd):
            os.close(fd)


# ---- SQL ------------------------------------------------------------------------

def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        if cur.description is None:
            return []
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def value(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def new_account(conn, name=None):
    """Create an account; return its id."""
    global _accounts
    _accounts += 1
    return value(conn, "SELECT pgjob.create_account(%s)",
                 (name or f"daemon-test-{os.getpid()}-{_accounts}",))


_accounts = 0


def submit(conn, account, type, items, **kwargs):
    """pgjob.submit one job (named arguments p_<key> for kwargs); return
    its id (text)."""
    args = ["p_account_id => %s", "p_type => %s", "p_items => %s"]
    params = [account, type, Json(items)]
    for key, val in kwargs.items():
        args.append(f"p_{key} => %s")
        params.append(Json(val) if isinstance(val, (dict, list)) else val)
    return str(value(conn, f"SELECT (s.job).id FROM pgjob.submit({', '.join(args)}) s",
                     params))


def submit_many(conn, account, n, type="echo"):
    """Submit n one-item jobs of type in one statement; item g of job g is
    the number g.  Returns n."""
    return value(conn, "SELECT count(*) FROM generate_series(1, %s) g, "
                       "pgjob.submit(%s, %s, jsonb_build_array(g))",
                 (n, account, type))


def job(conn, job_id):
    """The job's row as a dict."""
    found = rows(conn, "SELECT * FROM pgjob.job WHERE id = %s", (job_id,))
    assert len(found) == 1, f"no job {job_id}"
    return found[0]


def wait_until(conn, sql, params=None, timeout=30, what=None, min_interval=0.0):
    """Wait until sql (one row, first column truthy) holds.

    A dedicated connection (to conn's database) LISTENs on pgjob_job before
    the first check, so a change between a check and the wait still wakes
    it; between checks it waits with select() on that connection, at most
    RECHECK seconds.  min_interval spaces checks out when notifications
    arrive faster than that (a busy queue).  Returns the row as a tuple;
    fails after timeout seconds naming `what` (default: the SQL) with every
    daemon log.
    """
    deadline = time.monotonic() + timeout
    listener = psycopg2.connect(conn.dsn, connect_timeout=5)
    listener.autocommit = True
    last = None
    try:
        with listener.cursor() as cur:
            cur.execute("LISTEN pgjob_job")
        while True:
            with listener.cursor() as cur:
                cur.execute(sql, params)
                last = cur.fetchone()
            if last is not None and last[0]:
                return last
            _check_daemons_alive()
            checked = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= deadline:
                    fail(f"timed out after {timeout}s waiting for "
                         f"{what or sql} (params {params}); last row: {last}")
                if listener.notifies and now >= checked + min_interval:
                    break
                if now >= checked + max(RECHECK, min_interval):
                    break
                wake = checked + (min_interval if listener.notifies
                                  else max(RECHECK, min_interval))
                select.select([listener], [], [], min(wake, deadline) - now)
                listener.poll()
            listener.notifies.clear()
    finally:
        listener.close()


def wait_status(conn, job_id, status, timeout=30):
    """Wait until the job has status (or any of a tuple of them)."""
    wanted = (status,) if isinstance(status, str) else tuple(status)
    wait_until(conn, "SELECT status = ANY (%s) FROM pgjob.job WHERE id = %s",
               (list(wanted), job_id), timeout=timeout,
               what=f"job {job_id} to be {' or '.join(wanted)}")
    return job(conn, job_id)


# ---- the daemon --------------------------------------------------------------------

class Daemon:
    """One pgjobd process with its own config file, log and NOTIFY_SOCKET.

    Attributes: name, conf (dict), conf_path, log_path, notify_path, proc,
    notifications (every sd_notify datagram, in order), expect_exit.
    """

    def __init__(self, bindir, folder, conf, name, env=None):
        self.bindir = bindir
        self.name = name
        self.conf = dict(conf)
        self.conf_path = os.path.join(folder, f"{name}.conf")
        self.log_path = os.path.join(folder, f"{name}.log")
        self.notify_path = os.path.join(folder, f"{name}.notify")
        self.env = dict(env or {})
        self.proc = None
        self.notifications = []
        self.expect_exit = False
        self._lines = []
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        self._notify_reader = None
        self._sock = None
        self._pidfd = None
        self._sanitizer_reported = False
        write_conf(self.conf_path, self.conf)

    # -- the config file

    def rewrite_conf(self, **changes):
        """Update keys of the config file (None removes a key); the daemon
        sees it at the next SIGHUP."""
        self.conf.update(changes)
        self.conf = {k: v for k, v in self.conf.items() if v is not None}
        write_conf(self.conf_path, self.conf)

    def append_conf(self, text):
        """Append raw text to the config file; return the line number of
        its first line."""
        with open(self.conf_path) as f:
            first = sum(1 for _ in f) + 1
        with open(self.conf_path, "a") as f:
            f.write(text)
        return first

    # -- life cycle

    def start(self, ready=True):
        """Start pgjobd --config FILE; with ready, wait for READY=1."""
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.notify_path)
        self._stop_r, self._stop_w = os.pipe()
        self._notify_reader = threading.Thread(target=self._read_notify, daemon=True)
        self._notify_reader.start()
        env = programs.clean_env({"NOTIFY_SOCKET": self.notify_path, **self.env})
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, "pgjobd"), "--config", self.conf_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, cwd=os.path.dirname(self.conf_path))
        self._pidfd = os.pidfd_open(self.proc.pid)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        _live.append(self)
        if ready:
            self.wait_ready()
        return self

    def _read_log(self):
        with open(self.log_path, "wb") as out:
            for raw in iter(self.proc.stdout.readline, b""):
                out.write(raw)
                out.flush()
                with self._cond:
                    self._lines.append(raw.decode(errors="replace"))
                    self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig):
        """Send signal sig to the daemon."""
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        """Wait for the daemon to exit; return its exit status (negative:
        killed by that signal).  Fails after timeout seconds (and kills)."""
        self.expect_exit = True
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"{self.name} did not exit within {timeout}s"
                self.kill9()
                fail(msg)
            select.select([self._pidfd], [], [], left)
        self._finish_log()
        self.drain_notifications()
        self.check_sanitizers()
        return self.proc.returncode

    def stop(self, sig=signal.SIGTERM, timeout=EXIT_TIMEOUT):
        """Send sig (SIGTERM: drain) and wait for the exit; return the exit
        status."""
        self.expect_exit = True
        if self.proc.poll() is None:
            self.send(sig)
        return self.wait_exit(timeout)

    def kill9(self):
        """SIGKILL the daemon and reap it."""
        self.expect_exit = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._finish_log()

    def _finish_log(self):
        """After the exit: wait (bounded) for the reader to take every line.
        The pipe may stay open if a child holds it, hence the bound."""
        self._reader.join(timeout=5)

    def cleanup(self):
        """Teardown: fast exit (SIGQUIT), SIGKILL after EXIT_TIMEOUT; close
        the notify socket.  Returns a sanitizer report, or None."""
        if self.proc is not None and self.proc.poll() is None:
            self.expect_exit = True
            self.send(signal.SIGQUIT)
            r, _, _ = select.select([self._pidfd], [], [], EXIT_TIMEOUT)
            if not r:
                print(f"{self.name} ignored SIGQUIT for {EXIT_TIMEOUT}s; SIGKILL")
            self.kill9()
        if self.proc is not None:
            self._finish_log()
            # Closing while the reader thread still reads would wait for
            # it: the pipe stays open as long as something holds its end.
            if not self._reader.is_alive():
                self.proc.stdout.close()
        if self._sock is not None:
            os.write(self._stop_w, b"x")
            self._notify_reader.join()
            self.drain_notifications()
            self._sock.close()
            os.close(self._stop_r)
            os.close(self._stop_w)
            self._sock = None
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        return None if self._sanitizer_reported else self.sanitizer_report()

    # -- the log

    def log(self):
        """The log so far, as text."""
        with self._cond:
            return "".join(self._lines)

    def log_block(self):
        status = "running" if self.running() else (
            f"exit status {self.proc.returncode}" if self.proc else "not started")
        return (f"---- {self.name} log ({self.log_path}, {status}) ----\n"
                f"{self.log()}---- end of {self.name} log ----\n")

    def log_mark(self):
        """A position in the log, for wait_log(since=...)."""
        with self._cond:
            return len(self._lines)

    def log_lines(self, pattern, since=0):
        """The lines from `since` on that match the regex pattern."""
        rx = re.compile(pattern)
        with self._cond:
            return [ln for ln in self._lines[since:] if rx.search(ln)]

    def wait_log(self, pattern, since=0, timeout=30, count=1):
        """Wait for count log lines (from line `since` on) matching the
        regex pattern; return the match object of the last one."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in map(rx.search, self._lines[since:]) if m]
                if len(found) >= count:
                    return found[count - 1]
                if self._eof:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, RECHECK))
        fail(f"{self.name}: not {count} log lines matching {pattern!r} within {timeout}s"
             + (" (the daemon exited)" if self._eof else ""))

    def sanitizer_report(self):
        text = self.log()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return f"{self.name}: sanitizer report ({marker!r}) in the log"
        return None

    def check_sanitizers(self):
        report = self.sanitizer_report()
        if report:
            self._sanitizer_reported = True
            fail(report)

    def stopped_counters(self):
        """The counters of the final 'stopped:' line, as a dict of ints."""
        found = self.log_lines(r"INFO pgjobd: stopped: ")
        assert found, f"{self.name} logged no 'stopped:' line\n{self.log_block()}"
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}

    # -- sd_notify

    def _drain_locked(self):
        """Read every queued datagram (caller holds _cond, which keeps
        their order when two threads read)."""
        got = False
        while True:
            try:
                data = self._sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, OSError):
                break
            self.notifications.append(data.decode(errors="replace"))
            got = True
        if got:
            self._cond.notify_all()

    def _read_notify(self):
        """Thread: read datagrams as they come, as the service manager
        does, so that the daemon never finds the socket's queue full."""
        while True:
            r, _, _ = select.select([self._sock, self._stop_r], [], [])
            if self._stop_r in r:
                return
            with self._cond:
                self._drain_locked()

    def drain_notifications(self):
        """Read every datagram already queued; return the whole list."""
        with self._cond:
            self._drain_locked()
        return self.notifications

    def wait_notify(self, predicate, since=0, timeout=30, what=None):
        """Wait for a datagram (index >= since) for which predicate(text)
        holds, or that holds the line predicate when it is a string; return
        its index in self.notifications."""
        if isinstance(predicate, str):
            line = predicate
            predicate = lambda text: line in text.split("\n")  # noqa: E731
            what = what or line
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(since, len(self.notifications)):
                    if predicate(self.notifications[i]):
                        return i
                if not self.running():
                    self._drain_locked()
                    for i in range(since, len(self.notifications)):
                        if predicate(self.notifications[i]):
                            return i
                    problem = f"exited (status {self.proc.poll()}) before sending"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    problem = f"within {timeout}s sent no datagram"
                    break
                self._cond.wait(min(left, RECHECK))
        fail(f"{self.name} {problem} {what or predicate}; got {self.notifications}")

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Wait for READY=1."""
        return self.wait_notify("READY=1", timeout=timeout)


# ---- fixtures -------------------------------------------------------------------

@pytest.fixture
def ddir():
    """A short private folder under /tmp.  At teardown, which comes after
    the daemon fixture's (that one depends on this), the process groups
    led by the pids that Probes saw are killed, in case a program outlived
    its daemon; then the folder is removed."""
    path = tempfile.mkdtemp(prefix="pgjobd-", dir="/tmp")
    yield path
    while _probes:
        p = _probes.pop()
        for pid in p.pids():
            kill_group(pid)
        p.close()
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def probe(ddir):
    """A Probe at <ddir>/probe (see ddir for its teardown)."""
    return Probe(os.path.join(ddir, "probe"))


@pytest.fixture
def daemon(bindir, dsn, ddir):
    """Factory: daemon(conf=None, *, ready=True, env=None, name=None,
    **keys) writes a config (DEFAULT_CONF, database = the test database,
    then conf and keys) and starts pgjobd; returns the Daemon, READY
    unless ready=False.  Dotted keys go in conf or **{"exec.x.command": p}.
    """
    started = []

    def start(conf=None, *, ready=True, env=None, name=None, **keys):
        full = {"database": dsn, **DEFAULT_CONF, **(conf or {}), **keys}
        full = {k: v for k, v in full.items() if v is not None}
        d = Daemon(bindir, ddir, full, name or f"pgjobd-{len(started) + 1}", env)
        started.append(d)
        return d.start(ready=ready)

    yield start
    reports = []
    for d in started:
        report = d.cleanup()
        print(d.log_block())
        if report:
            reports.append(report)
    for d in started:
        if d in _live:
            _live.remove(d)
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


@pytest.fixture
def acct(conn):
    return new_account(conn)
