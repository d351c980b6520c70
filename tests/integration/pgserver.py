# SPDX-License-Identifier: MIT
"""A throwaway PostgreSQL server for one test session.

PgServer runs initdb into a fresh temporary directory, starts the server on a
free loopback port (and a Unix socket in the same directory) and removes
everything again on cleanup().  When the tests run as root, which initdb
refuses, every server program runs as the `postgres` user through runuser.

Readiness is `pg_ctl -w` followed by a bounded number of connection attempts;
nothing here sleeps to synchronise.  A startup failure raises PgServerError
carrying the server log.
"""

import errno
import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import psycopg2

# PostgreSQL versions we know how to run, newest first.
_PG_VERSIONS = ("17", "16", "15", "14", "13")

# The longest Unix socket path (sun_path is 108 bytes with the NUL).
_SOCKET_PATH_MAX = 107

# Bounds for the readiness poll after `pg_ctl -w start`.
_READY_TRIES = 100
_READY_PAUSE = 0.05  # seconds between two connection attempts

# pg_ctl waits at most this long for start and stop.
_PG_CTL_TIMEOUT = 60  # seconds

# Port allocation: how many ports we try before giving up.
_PORT_TRIES = 50


class PgServerError(RuntimeError):
    """PostgreSQL could not be set up, started or stopped."""


def find_bindir():
    """Return the folder holding initdb, pg_ctl and postgres.

    PGJOB_PG_BINDIR wins; then the Debian layout /usr/lib/postgresql/N/bin
    (15 first, since that is what we target, then any other); then whatever
    `pg_config --bindir` says, if initdb is really there.
    """
    forced = os.environ.get("PGJOB_PG_BINDIR")
    if forced:
        if not os.access(os.path.join(forced, "initdb"), os.X_OK):
            raise PgServerError(f"PGJOB_PG_BINDIR={forced} has no initdb")
        return forced
    candidates = ["/usr/lib/postgresql/15/bin"]
    candidates += [f"/usr/lib/postgresql/{v}/bin" for v in _PG_VERSIONS]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True,
                             text=True, check=False)
        if out.returncode == 0:
            candidates.append(out.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    for cand in candidates:
        if cand and os.access(os.path.join(cand, "initdb"), os.X_OK):
            return cand
    raise PgServerError(
        "cannot find initdb: install postgresql (Debian: postgresql-15) "
        "or set PGJOB_PG_BINDIR to the folder holding initdb and pg_ctl")


class PortLock:
    """A free TCP port on 127.0.0.1, reserved against other test sessions.

    The kernel picks a free port (bind to port 0); an exclusive fcntl lock on
    <tmp>/pgjob-test-port-<port>.lock keeps every other session using this
    class off it until release().  Ports whose lock is held elsewhere are
    skipped.  An fcntl lock belongs to the process, so locking a port this
    process already holds would succeed: ports held here are kept in a set
    and skipped too (a server and one of its profile ports once drew the
    same port, and lighttpd served the profile on both).
    """

    _held_here = set()

    def __init__(self):
        self.port = None
        self._fd = None
        self._path = None
        for _ in range(_PORT_TRIES):
            port = self._kernel_port()
            if port not in PortLock._held_here and self._try_lock(port):
                self.port = port
                PortLock._held_here.add(port)
                return
        raise PgServerError(f"no free port after {_PORT_TRIES} tries")

    @staticmethod
    def _kernel_port():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def _try_lock(self, port):
        path = os.path.join(tempfile.gettempdir(),
                            f"pgjob-test-port-{port}.lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            return False  # another user's session holds this port
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        # release() unlinks the file while holding the lock, so a file we
        # opened just before that is no longer the one at `path`: then our
        # lock protects nothing and we must try again.
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return False
        self._fd, self._path = fd, path
        return True

    def release(self):
        """Give the port back. Safe to call twice."""
        if self._fd is None:
            return
        try:
            os.unlink(self._path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None
        PortLock._held_here.discard(self.port)


class PgServer:
    """One PostgreSQL cluster in a temporary directory.

    Attributes: `dir` (temp dir, also the Unix socket dir), `datadir`,
    `logfile`, `port`, `host` (the socket dir, for libpq's host=).
    """

    SETTINGS = {
        "fsync": "off",
        "full_page_writes": "off",
        "listen_addresses": "'127.0.0.1'",
        "max_connections": "200",
        "shared_buffers": "128MB",
        "log_min_messages": "warning",
        "logging_collector": "off",
        # Keep test noise out of the log but show what failed.
        "log_min_error_statement": "error",
        "log_line_prefix": "'%m [%p] %q%d '",
    }

    def __init__(self):
        self.pg_bindir = find_bindir()
        self.dir = None
        self.datadir = None
        self.logfile = None
        self.port = None
        self.running = False
        self._portlock = None
        self._as_postgres = os.geteuid() == 0

    # ---- life cycle -----------------------------------------------------

    def setup(self):
        """initdb, configure and start. Raises PgServerError with the log."""
        self.dir = tempfile.mkdtemp(prefix="pgjob-pg-", dir=_socket_tmpdir())
        os.chmod(self.dir, 0o755)
        self.datadir = os.path.join(self.dir, "data")
        self.logfile = os.path.join(self.dir, "postgresql.log")
        if self._as_postgres:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PgServerError(
                    "running as root, but there is no `postgres` user to run "
                    "initdb and the server as") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._pg("initdb", "-D", self.datadir, "--nosync", "--auth=trust",
                 "-U", "postgres", "-E", "UTF8", "--locale=C")
        # Retry on a new port if another program grabbed ours meanwhile.
        for attempt in range(3):
            self._portlock = PortLock()
            self.port = self._portlock.port
            self._write_settings()
            try:
                self.start()
                return
            except PgServerError:
                if attempt == 2 or "Address already in use" not in self.log():
                    raise
                self._portlock.release()

    def start(self):
        """Start the server and wait until it accepts connections."""
        if self.running:
            return
        proc = self._pg("pg_ctl", "-D", self.datadir, "-l", self.logfile,
                        "-w", "-t", str(_PG_CTL_TIMEOUT), "start",
                        check=False)
        if proc.returncode != 0:
            raise PgServerError(
                f"pg_ctl start failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}\n{self._log_block()}")
        self.running = True
        self._wait_ready()

    def stop(self, mode="fast"):
        """Stop the server (pg_ctl -m MODE) and wait until it is down."""
        if not self.running:
            return
        proc = self._pg("pg_ctl", "-D", self.datadir, "-m", mode, "-w",
                        "-t", str(_PG_CTL_TIMEOUT), "stop", check=False)
        if proc.returncode != 0:
            raise PgServerError(
                f"pg_ctl stop failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}\n{self._log_block()}")
        self.running = False

    def restart(self, mode="fast"):
        """Stop then start again, on the same port and data."""
        self.stop(mode)
        self.start()

    def cleanup(self):
        """Stop at once (-m immediate), free the port, delete the dir.

        Idempotent, so it can be both a fixture finalizer and an atexit hook.
        """
        if self.datadir and os.path.exists(
                os.path.join(self.datadir, "postmaster.pid")):
            self._pg("pg_ctl", "-D", self.datadir, "-m", "immediate", "-w",
                     "-t", str(_PG_CTL_TIMEOUT), "stop", check=False)
        self.running = False
        if self._portlock is not None:
            self._portlock.release()
            self._portlock = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # ---- addresses ------------------------------------------------------

    @property
    def host(self):
        return self.dir

    def dsn(self, dbname="postgres"):
        """libpq conninfo over the Unix socket."""
        return (f"host={self.dir} port={self.port} dbname={dbname} "
                f"user=postgres")

    def url(self, dbname="postgres"):
        """postgresql:// URL over TCP on 127.0.0.1."""
        return (f"postgresql://postgres@127.0.0.1:{self.port}/"
                f"{urllib.parse.quote(dbname, safe='')}")

    def libpq_env(self, dbname="postgres"):
        """The standard PG* variables that point libpq at dbname."""
        return {"PGHOST": self.dir, "PGPORT": str(self.port),
                "PGDATABASE": dbname, "PGUSER": "postgres"}

    # ---- SQL ------------------------------------------------------------

    def connect(self, dbname="postgres", autocommit=True, **kwargs):
        """A new psycopg2 connection; the caller closes it."""
        kwargs.setdefault("connect_timeout", 5)
        conn = psycopg2.connect(self.dsn(dbname), **kwargs)
        conn.autocommit = autocommit
        return conn

    def execute(self, sql, params=None, dbname="postgres"):
        """Run one statement on a short-lived autocommit connection.

        Returns the rows if the statement produced any, else None.
        """
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def log(self):
        """The server log so far ('' if none)."""
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    # ---- internals ------------------------------------------------------

    def _log_block(self):
        return (f"---- server log {self.logfile} ----\n{self.log()}"
                "---- end of server log ----")

    def _write_settings(self):
        settings = dict(self.SETTINGS)
        settings["port"] = str(self.port)
        settings["unix_socket_directories"] = f"'{self.dir}'"
        # postgresql.auto.conf is read last; rewriting it on a port retry
        # replaces the previous values instead of piling them up.
        path = os.path.join(self.datadir, "postgresql.auto.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write("# written by tests/integration/pgserver.py\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        if self._as_postgres:
            st = os.stat(self.datadir)
            os.chown(path, st.st_uid, st.st_gid)

    def _pg(self, program, *args, check=True):
        """Run a server program, as `postgres` when we are root."""
        cmd = [os.path.join(self.pg_bindir, program), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        try:
            proc = subprocess.run(cmd, cwd=self.dir, env=env, text=True,
                                  capture_output=True,
                                  timeout=_PG_CTL_TIMEOUT + 30, check=False)
        except subprocess.TimeoutExpired as e:
            raise PgServerError(f"{program} timed out: {e}\n"
                                f"{self._log_block()}") from None
        if check and proc.returncode != 0:
            raise PgServerError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}")
        return proc

    def _wait_ready(self):
        last = None
        for _ in range(_READY_TRIES):
            try:
                conn = self.connect("postgres", connect_timeout=2)
            except psycopg2.OperationalError as e:
                last = e
                time.sleep(_READY_PAUSE)  # pause between polls, bounded
                continue
            conn.close()
            return
        raise PgServerError(
            f"server not accepting connections after {_READY_TRIES} tries: "
            f"{last}\n{self._log_block()}")


def _socket_tmpdir():
    """A temp root short enough for a Unix socket path inside it."""
    root = tempfile.gettempdir()
    # <root>/pgjob-pg-XXXXXXXX/.s.PGSQL.NNNNN
    if len(root) + len("/pgjob-pg-XXXXXXXX/.s.PGSQL.65535") > _SOCKET_PATH_MAX:
        root = "/tmp"
    return root


class BenchPgServer(PgServer):
    """The benchmarks' cluster, as a server that has run a while would be.
    A new cluster has no WAL segment files to reuse: each 16 MB of WAL goes
    into a new file, which PostgreSQL fills with zeros first while every
    insert that needs the segment waits (every 1.3 s or so under the HTTP
    benchmark's POST, several times a second in a queue drain).  A
    server in steady state recycles old segments at each checkpoint,
    renamed, not filled again.  wal_init_zero off makes a new segment
    without the zeros, so that a figure measures pgjob, not the youth of
    the cluster (docs/benchmarks.md)."""

    SETTINGS = dict(PgServer.SETTINGS, wal_init_zero="off")
