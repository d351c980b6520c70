# SPDX-License-Identifier: MIT
"""Fixtures for the tests of the HTTP front end (test_api*.py,
test_fcgi*.py): the real pgjob.fcgi behind the real lighttpd and Apache,
standalone on a socket, or socket-activated the way systemd does it.

Test modules load this file as a plugin (pytest_plugins = ("web",)), so
its session fixtures exist once per session whatever the number of
modules.

Session:
  web           a WebSession: one migrated database (api_web) that every
                HTTP test shares, scripts for exec job types, and the
                shared servers, started on first use and restarted when a
                test made them stale (pg_outage)
Per test:
  api           an Api: the shared lighttpd, the data reset (every job
                deleted), a fresh account with a key and a client for it;
                the lighttpd log written during the test is printed at
                teardown (pytest shows it on failure)
  account       factory: account(name=None) -> Account(account_id, key,
                key_id), made with SQL in the shared database
  client        factory: client(server, key=None, bearer=False) -> Client
  lighttpd      factory: lighttpd(**conf_keys) -> a started Lighttpd of
                its own (for tests that need other settings or break it)
  apache        factory: apache(mode, **conf_keys) -> a started Apache,
                mode "proxy_fcgi" (with a standalone pgjob.fcgi on a Unix
                socket) or "fcgid" (Apache spawns pgjob.fcgi)
  standalone    factory: standalone(**conf_keys) -> a started FcgiProcess
                listening on 127.0.0.1:PORT, for fcgi_client.py
  worker        factory: worker(**conf_keys) -> a ready pgjobd (daemon.py)
                on the shared database

Every server runs in a short folder of its own under /tmp, on a free
loopback port reserved with pgserver.PortLock; readiness is GET /v1/health
polled a bounded number of times; teardown stops the server and fails if
a pgjob.fcgi process it started is left running.  Nothing here sleeps to
synchronise: waits are bounded polls, with the logs in their failure
messages.
"""

import collections
import contextlib
import grp
import json
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests
from psycopg2.extras import Json

import daemon as daemon_helpers
import fcgi_client
import programs
from pgserver import PortLock

SNIPPET_DIR = os.path.join(programs.REPO_ROOT, "cgi")
LIGHTTPD_SNIPPET = os.path.join(SNIPPET_DIR, "lighttpd-pgjob.conf")
APACHE_PROXY_SNIPPET = os.path.join(SNIPPET_DIR, "apache-pgjob.conf")
APACHE_FCGID_SNIPPET = os.path.join(SNIPPET_DIR, "apache-pgjob-fcgid.conf")

# pgjob.conf keys of every front end the tests start, unless a test
# overrides them: small caps so that each limit is cheap to reach.
FCGI_CONF = {
    "log_level": "info",
    "fcgi_threads": 8,
    "wait_max_seconds": 2,
    "max_waiters": 4,
    "max_items": 5,
    "max_body_bytes": 8192,
    "large_result_bytes": 1024,
    "retry_after_seconds": 1,
}

# The shared database of the HTTP tests.
API_DB = "api_web"

# The API profiles (cgi/profiles.c): every server the tests start serves
# each at the root of a loopback port of its own, as the shipped snippets
# do (docs/profiles.md), besides the native API on the server's port.
PROFILES = ("parsetx", "pulse", "parzo", "enrichment")

# Readiness: GET /v1/health this many times at most, this far apart.
READY_TRIES = 300
READY_PAUSE = 0.05  # seconds
# How long a server may take to stop, and its pgjob.fcgi processes after it.
STOP_TIMEOUT = 20  # seconds
# Timeout of one HTTP request of a test, seconds.
HTTP_TIMEOUT = 30

Account = collections.namedtuple("Account", "account_id key key_id")


class WebError(AssertionError):
    """A server could not be started, or misbehaved outside a request."""


# ---- files and processes ---------------------------------------------------

def short_tempdir(prefix):
    """A new folder under /tmp (Unix socket paths must stay short) that
    every user can search: Apache's and lighttpd's users read in it."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


def write_pgjob_conf(path, database, conf=None, **keys):
    """Write a pgjob.conf for a front end at path: database, FCGI_CONF,
    then conf (a dict, for dotted keys such as exec.x.command) and keys.
    A value None drops the key.  Readable by everyone (Apache's User)."""
    full = {"database": database, **FCGI_CONF, **(conf or {}), **keys}
    daemon_helpers.write_conf(path, {k: v for k, v in full.items() if v is not None})
    os.chmod(path, 0o644)
    return path


def fcgi_binary():
    return programs.program("pgjob.fcgi")


def find_program(*names):
    """The first of names found on PATH or in the sbin folders."""
    for name in names:
        for folder in [*os.environ.get("PATH", "").split(os.pathsep),
                       "/usr/sbin", "/sbin", "/usr/local/sbin"]:
            path = os.path.join(folder, name)
            if folder and os.access(path, os.X_OK):
                return path
    raise WebError(f"none of {names} is installed (Debian: make deps)")


def _proc_text(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def fcgi_pids(marker):
    """Pids of the live pgjob.fcgi processes (any build folder) whose
    command line or environment mentions marker (a server's folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if os.path.basename(exe.replace(" (deleted)", "")) != "pgjob.fcgi":
            continue
        if not daemon_helpers.alive(int(entry)):
            continue
        if marker in _proc_text(entry, "cmdline") or marker in _proc_text(entry, "environ"):
            found.append(int(entry))
    return found


def wait_exit(pids, timeout):
    """Wait (pidfd + select) until every pid has exited; return those
    still alive after timeout seconds."""
    deadline = time.monotonic() + timeout
    left_alive = []
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except (ProcessLookupError, OSError):
            continue
        try:
            while daemon_helpers.alive(pid):
                left = deadline - time.monotonic()
                if left <= 0:
                    left_alive.append(pid)
                    break
                select.select([fd], [], [], min(left, daemon_helpers.RECHECK))
        finally:
            os.close(fd)
    return left_alive


def sanitizer_report(text):
    for marker in daemon_helpers.SANITIZER_MARKERS:
        if marker in text:
            return f"sanitizer report ({marker!r}) in the log"
    return None


class LogFiles:
    """A set of log files read from a mark on: mark() -> sizes, since(mark)."""

    def __init__(self, *paths):
        self.paths = list(paths)

    def mark(self):
        return {p: _size(p) for p in self.paths}

    def since(self, mark=None):
        out = []
        for p in self.paths:
            start = (mark or {}).get(p, 0)
            try:
                with open(p, "rb") as f:
                    f.seek(start)
                    text = f.read().decode(errors="replace")
            except OSError:
                continue
            if text:
                out.append(f"---- {p} ----\n{text}" + ("" if text.endswith("\n") else "\n"))
        return "".join(out) or "(the logs are empty)\n"


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# ---- pgjob.fcgi on its own -------------------------------------------------------

class FcgiProcess:
    """One pgjob.fcgi started by the test: standalone (--listen), or with
    the socket handed over as systemd does it (see socket_activated).

    address is what fcgi_client connects to: (host, port) or a path."""

    def __init__(self, folder, conf_path, listen=None, name="pgjob.fcgi", argv=None,
                 env=None, stdin=None, threads=None):
        self.folder = folder
        self.conf_path = conf_path
        self.name = name
        self.log_path = os.path.join(folder, f"{name}.log")
        self.listen = listen
        self.address = None
        if listen is not None:
            host, colon, port = listen.rpartition(":")
            self.address = (host or "127.0.0.1", int(port)) if colon and port.isdigit() \
                else listen
        self.argv = argv or [fcgi_binary(), "--config", conf_path]
        if argv is None and listen is not None:
            self.argv += ["--listen", listen]
        if argv is None and threads is not None:
            self.argv += ["--threads", str(threads)]
        self.env = env or {}
        self.stdin = stdin
        self.proc = None
        self.logs = LogFiles(self.log_path)

    def start(self):
        env = programs.clean_env({"LISTEN_FDS": None, "LISTEN_PID": None,
                                  "LISTEN_FDNAMES": None, **self.env})
        with open(self.log_path, "ab") as log:
            # umask 0: the socket is writable by Apache's user; its folder
            # is what keeps others out.
            self.proc = subprocess.Popen(
                self.argv, stdin=self.stdin if self.stdin is not None else subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder, umask=0)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        return self.logs.since()

    def log_block(self):
        status = "running" if self.running() else f"exit status {self.proc.returncode}"
        return f"==== {self.name} ({status}) ====\n{self.log()}"

    def wait_ready(self):
        """Poll GET /v1/health over FastCGI until it answers 200."""
        last = None
        for _ in range(READY_TRIES):
            if not self.running():
                raise WebError(f"{self.name} exited with status {self.proc.returncode} "
                               f"before it served\n{self.log_block()}")
            try:
                r = fcgi_client.http(self.address, "GET", "/v1/health", timeout=5)
                if r.status == 200:
                    return self
                last = repr(r)
            except (OSError, fcgi_client.ProtocolError) as e:
                last = repr(e)
            time.sleep(READY_PAUSE)  # pause between two bounded polls
        raise WebError(f"{self.name} did not answer GET /v1/health with 200 after "
                       f"{READY_TRIES} tries; last: {last}\n{self.log_block()}")

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for the exit; the exit status.  Fails after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise WebError(f"{self.name} did not exit within {timeout}s\n"
                           f"{self.log_block()}") from None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig and wait for the exit; the exit status."""
        if self.running():
            self.proc.send_signal(sig)
        return self.wait_exit(timeout)

    def cleanup(self):
        """Teardown: stop (SIGTERM, then SIGKILL).  Returns a problem
        report or None."""
        if self.proc is None:
            return None
        try:
            status = self.stop()
        except WebError as e:
            return str(e)
        problem = sanitizer_report(self.log())
        if problem is None and status not in (0, 1, 2, 78, -signal.SIGKILL):
            problem = f"{self.name} ended with status {status}"
        return f"{self.name}: {problem}\n{self.log_block()}" if problem else None


def socket_activated(folder, conf_path, sock, env=None, name="pgjob.fcgi-activated"):
    """A FcgiProcess started as systemd starts a socket-activated service:
    sock (a socket object, or any file object with fileno) as fd 3,
    LISTEN_FDS=1 and LISTEN_PID the pid of pgjob.fcgi itself.  A tiny
    shell moves the socket from stdin to fd 3 and sets LISTEN_PID=$$
    before it execs pgjob.fcgi, which keeps the shell's pid.  env is
    added (it may override LISTEN_FDS or LISTEN_PID)."""
    script = ('exec 3<&0 0</dev/null; LISTEN_PID=${LISTEN_PID:-$$}; '
              'export LISTEN_PID; exec "$@"')
    argv = ["/bin/sh", "-c", script, "sh", fcgi_binary(), "--config", conf_path]
    return FcgiProcess(folder, conf_path, name=name, argv=argv,
                       env={"LISTEN_FDS": "1", **(env or {})}, stdin=sock.fileno())


# ---- web servers ---------------------------------------------------------------

class WebServer:
    """What lighttpd and Apache share: a folder, a port, a process, logs,
    readiness and a teardown that leaves no pgjob.fcgi behind."""

    kind = "web"

    def __init__(self, fcgi_conf):
        self.dir = short_tempdir(f"pgjob-{self.kind}-")
        self.conf_path = write_pgjob_conf(os.path.join(self.dir, "pgjob.conf"), **fcgi_conf)
        self.fcgi_conf = fcgi_conf
        self._portlock = PortLock()
        self.port = self._portlock.port
        self._profile_locks = {name: PortLock() for name in PROFILES}
        self.profile_ports = {name: lock.port for name, lock in self._profile_locks.items()}
        self.proc = None
        self.out_path = os.path.join(self.dir, f"{self.kind}.out")
        self.logs = LogFiles(self.out_path)
        self.helpers = []  # FcgiProcess started beside the server
        self.stale = False

    @property
    def name(self):
        return f"{self.kind} on port {self.port}"

    def url(self, path, profile=None):
        """The URL of path on the server's port, or at the root of a
        profile's own port."""
        port = self.profile_ports[profile] if profile else self.port
        return f"http://127.0.0.1:{port}{path}"

    def argv(self):
        raise NotImplementedError

    def start(self):
        for helper in self.helpers:
            helper.start()
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, cwd=self.dir,
                                         env=programs.clean_env())
        self.wait_ready()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_block(self, mark=None):
        status = "running" if self.running() else (
            f"exit status {self.proc.returncode}" if self.proc else "not started")
        text = f"==== {self.name} ({status}), logs ====\n{self.logs.since(mark)}"
        for helper in self.helpers:
            text += helper.log_block()
        return text

    def fail(self, message, mark=None):
        raise WebError(f"{message}\n{self.log_block(mark)}")

    def wait_ready(self):
        """Poll GET /v1/health until it answers 200, a bounded number of
        times; fail with the logs if the server exits or never answers."""
        last = None
        for _ in range(READY_TRIES):
            if not self.running():
                self.fail(f"{self.name} exited with status {self.proc.returncode}")
            for helper in self.helpers:
                if not helper.running():
                    self.fail(f"{helper.name} exited with status {helper.proc.returncode}")
            try:
                r = requests.get(self.url("/v1/health"), timeout=5)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:300]!r}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(READY_PAUSE)  # pause between two bounded polls
        self.fail(f"{self.name}: GET /v1/health did not answer 200 after {READY_TRIES} "
                  f"tries; last: {last}")

    def stop_signal(self):
        return signal.SIGTERM

    def stop(self):
        """Stop the server and its helpers; wait until every pgjob.fcgi
        it started has exited (killing those left after STOP_TIMEOUT).
        Returns a list of problems (empty: a clean stop)."""
        problems = []
        before = fcgi_pids(self.dir)
        if self.running():
            self.proc.send_signal(self.stop_signal())
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"{self.name} did not stop within {STOP_TIMEOUT}s")
                self.proc.kill()
                self.proc.wait()
        for helper in self.helpers:
            report = helper.cleanup()
            if report:
                problems.append(report)
        left = wait_exit(sorted(set(before) | set(fcgi_pids(self.dir))), STOP_TIMEOUT)
        if left:
            problems.append(f"pgjob.fcgi processes {left} still run {STOP_TIMEOUT}s after "
                            f"{self.name} stopped; killed")
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        report = sanitizer_report(self.logs.since())
        if report:
            problems.append(report)
        return problems

    def cleanup(self):
        """Teardown: stop, free the port, remove the folder unless there
        was a problem.  Returns a problem report or None."""
        problems = self.stop()
        self._portlock.release()
        for lock in self._profile_locks.values():
            lock.release()
        if problems:
            return "\n".join(problems) + "\n" + self.log_block()
        shutil.rmtree(self.dir, ignore_errors=True)
        return None


class Lighttpd(WebServer):
    """lighttpd -D with a small main config that includes the shipped
    cgi/lighttpd-pgjob.conf; lighttpd spawns pgjob.fcgi itself."""

    kind = "lighttpd"

    def __init__(self, fcgi_conf):
        super().__init__(fcgi_conf)
        self.error_log = os.path.join(self.dir, "error.log")
        self.logs.paths.append(self.error_log)
        docroot = os.path.join(self.dir, "htdocs")
        os.mkdir(docroot)
        with open(os.path.join(docroot, "index.html"), "w") as f:
            f.write("not pgjob\n")
        self.main_conf = os.path.join(self.dir, "lighttpd.conf")
        with open(self.main_conf, "w") as f:
            f.write(f"""# written by tests/integration/web.py
server.document-root = "{docroot}"
server.bind = "127.0.0.1"
server.port = {self.port}
server.errorlog = "{self.error_log}"
index-file.names = ( "index.html" )

var.pgjob_bin = "{fcgi_binary()}"
var.pgjob_conf = "{self.conf_path}"
var.pgjob_socket = "{self.dir}/pgjob-fcgi.sock"
""")
            for name, port in self.profile_ports.items():
                f.write(f'var.pgjob_{name}_listen = "127.0.0.1:{port}"\n')
            f.write(f'include "{LIGHTTPD_SNIPPET}"\n')

    def argv(self):
        return [find_program("lighttpd"), "-D", "-f", self.main_conf]


APACHE_MODULE_DIRS = ("/usr/lib/apache2/modules", "/usr/lib64/httpd/modules",
                      "/usr/lib/httpd/modules")


def _apache_builtin():
    """The modules compiled into the apache2 binary ("unixd" on Debian)."""
    if _apache_builtin.cache is None:
        out = subprocess.run([find_program("apache2", "httpd"), "-l"], capture_output=True,
                             text=True, check=False, env=programs.clean_env()).stdout
        _apache_builtin.cache = set(re.findall(r"mod_(\w+)\.c", out))
    return _apache_builtin.cache


_apache_builtin.cache = None


def _apache_module(name):
    for folder in APACHE_MODULE_DIRS:
        path = os.path.join(folder, f"mod_{name}.so")
        if os.path.exists(path):
            return path
    raise WebError(f"Apache module mod_{name}.so not found in {APACHE_MODULE_DIRS} "
                   "(Debian: make deps)")


class Apache(WebServer):
    """apache2 -DFOREGROUND with a minimal main config that includes the
    shipped snippet of mode: "proxy_fcgi" (cgi/apache-pgjob.conf, with
    pgjob.fcgi started beside it on a Unix socket) or "fcgid"
    (cgi/apache-pgjob-fcgid.conf: mod_fcgid spawns pgjob.fcgi)."""

    kind = "apache"

    MODULES = {
        "proxy_fcgi": ("mpm_event", "authz_core", "unixd", "proxy", "proxy_fcgi", "setenvif"),
        "fcgid": ("mpm_event", "authz_core", "unixd", "alias", "fcgid", "setenvif"),
    }

    def __init__(self, mode, fcgi_conf):
        assert mode in self.MODULES, mode
        self.mode = mode
        self.kind = f"apache-{mode}"
        # Find every module before anything is created.
        modules = {m: _apache_module(m) for m in self.MODULES[mode]
                   if m not in _apache_builtin()}
        super().__init__(fcgi_conf)
        self.error_log = os.path.join(self.dir, "error.log")
        self.logs.paths.append(self.error_log)
        docroot = os.path.join(self.dir, "htdocs")
        os.mkdir(docroot)
        as_root = os.geteuid() == 0
        user = "www-data"
        lines = [
            "# written by tests/integration/web.py",
            f'ServerRoot "{self.dir}"',
            "ServerName 127.0.0.1",
            f"Listen 127.0.0.1:{self.port}",
            f'PidFile "{self.dir}/apache.pid"',
            f'DefaultRuntimeDir "{self.dir}"',
            f'ErrorLog "{self.error_log}"',
            "LogLevel warn",
            f'DocumentRoot "{docroot}"',
            # A small event MPM: one child is enough for the tests.
            "StartServers 1", "ServerLimit 2", "ThreadsPerChild 16",
            "MaxRequestWorkers 32", "MinSpareThreads 4", "MaxSpareThreads 32",
        ]
        for module, path in modules.items():
            lines += [f"<IfModule !{module}_module>",
                      f'    LoadModule {module}_module "{path}"',
                      "</IfModule>"]
        if as_root:
            # Apache refuses to serve as root; its children run as User.
            lines += [f"User {user}", f"Group {user}"]
        lines += [f"Define PGJOB_{name.upper()}_LISTEN 127.0.0.1:{port}"
                  for name, port in self.profile_ports.items()]
        if mode == "proxy_fcgi":
            run = os.path.join(self.dir, "run")
            os.mkdir(run)
            if as_root:
                os.chown(run, 0, grp.getgrnam(user).gr_gid)
            os.chmod(run, 0o750)
            self.socket_path = os.path.join(run, "fcgi.sock")
            self.helpers.append(FcgiProcess(self.dir, self.conf_path, listen=self.socket_path,
                                            name="pgjob.fcgi-standalone"))
            lines += [f"Define PGJOB_SOCKET {self.socket_path}",
                      f'Include "{APACHE_PROXY_SNIPPET}"']
        else:
            ipc = os.path.join(self.dir, "fcgid")
            os.mkdir(ipc)
            if as_root:
                os.chown(ipc, _uid(user), grp.getgrnam(user).gr_gid)
            lines += [f'FcgidIPCDir "{ipc}"',
                      f'FcgidProcessTableFile "{ipc}/shm"',
                      f"Define PGJOB_BIN {fcgi_binary()}",
                      f"Define PGJOB_CONF {self.conf_path}",
                      f'Include "{APACHE_FCGID_SNIPPET}"']
        self.main_conf = os.path.join(self.dir, "apache.conf")
        with open(self.main_conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for helper in self.helpers:
            helper.start()
        for helper in self.helpers:
            helper.wait_ready()
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, cwd=self.dir,
                                         env=programs.clean_env())
        self.wait_ready()
        return self

    def argv(self):
        return [find_program("apache2", "httpd"), "-f", self.main_conf, "-DFOREGROUND"]


def _uid(user):
    return pwd.getpwnam(user).pw_uid


# ---- the HTTP client -------------------------------------------------------------

class Client:
    """requests with an API key: X-API-Key, or Authorization: Bearer with
    bearer=True; key None sends none.  Paths are relative to the server."""

    def __init__(self, server, key=None, bearer=False):
        self.server = server
        self.key = key
        self.bearer = bearer
        self.session = requests.Session()

    def headers(self, extra=None):
        h = {}
        if self.key is not None:
            if self.bearer:
                h["Authorization"] = f"Bearer {self.key}"
            else:
                h["X-API-Key"] = self.key
        h.update(extra or {})
        return {k: v for k, v in h.items() if v is not None}

    def request(self, method, path, json_body=None, data=None, headers=None,
                timeout=HTTP_TIMEOUT, **kwargs):
        if json_body is not None:
            data = json.dumps(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.session.request(method, self.server.url(path), data=data,
                                    headers=self.headers(headers), timeout=timeout,
                                    allow_redirects=False, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.request("POST", path, json_body=json_body, **kwargs)

    def submit(self, type="echo", items=("a", "b"), headers=None, **fields):
        """POST /v1/jobs {type, items, **fields}; the Response."""
        return self.post("/v1/jobs", {"type": type, "items": list(items), **fields},
                         headers=headers)

    def job(self, job_id, **kwargs):
        return self.get(f"/v1/jobs/{job_id}", **kwargs)

    def close(self):
        self.session.close()


def problem(r, status, code=None, field=None):
    """Assert r is a problem document (RFC 9457) with status and code;
    return it as a dict."""
    assert r.status_code == status, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/problem+json"), describe(r)
    body = r.json()
    for key in ("type", "title", "status", "detail", "code"):
        assert key in body, f"problem without {key}: {body}"
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str), body
    if code is not None:
        assert body["code"] == code, describe(r)
    if field is not None:
        assert body.get("field") == field, describe(r)
    return body


def describe(r):
    """A requests Response as text, for assertion messages."""
    head = "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    return (f"{r.request.method} {r.request.url} -> {r.status_code} {r.reason}\n{head}\n\n"
            f"{r.text[:2000]}")


# ---- SQL helpers -------------------------------------------------------------------

def new_account(conn, name=None):
    """Create an account and an API key with SQL; Account(account_id,
    key, key_id)."""
    new_account.count += 1
    name = name or f"web-{os.getpid()}-{new_account.count}"
    with conn.cursor() as cur:
        cur.execute("SELECT pgjob.create_account(%s)", (name,))
        account_id = cur.fetchone()[0]
        cur.execute("SELECT key_id, key FROM pgjob.create_api_key(%s, %s)",
                    (account_id, "tests"))
        key_id, key = cur.fetchone()
    return Account(account_id, key, key_id)


new_account.count = 0


def new_key(conn, account_id):
    """Another key of an account: (key, key_id)."""
    with conn.cursor() as cur:
        cur.execute("SELECT key, key_id FROM pgjob.create_api_key(%s, 'more')", (account_id,))
        return cur.fetchone()


def revoke_key(conn, key_id):
    with conn.cursor() as cur:
        cur.execute("SELECT pgjob.revoke_api_key(%s)", (key_id,))


def jobs_of(conn, account_id):
    """How many jobs the account has in the database."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgjob.job WHERE account_id = %s", (account_id,))
        return cur.fetchone()[0]


def reset_jobs(conn):
    """Delete every job, its document and the result cache (the per-test
    reset of the shared database)."""
    with conn.cursor() as cur:
        cur.execute("TRUNCATE pgjob.ready, pgjob.lease, pgjob.job, pgjob.document,"
                    " pgjob.result_cache")


def sql_claim(conn, job_id):
    """Claim the given job (it must be the only due one); its attempt."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, attempt FROM pgjob.claim('tests', 10)")
        got = cur.fetchall()
    assert [str(r[0]) for r in got] == [str(job_id)], f"claimed {got}, wanted {job_id}"
    return got[0][1]


def sql_heartbeat(conn, job_id, attempt, results, items_done=None):
    with conn.cursor() as cur:
        cur.execute("SELECT state FROM pgjob.heartbeat(p_job_id => %s, p_attempt => %s, "
                    "p_items_done => %s, p_results => %s)",
                    (job_id, attempt, len(results) if items_done is None else items_done,
                     Json(results)))
        return cur.fetchone()[0]


def sql_complete(conn, job_id, attempt, results):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM pgjob.complete(%s)",
                    (Json([{"id": str(job_id), "attempt": attempt, "results": results,
                            "processing_ms": 7}]),))
        return cur.fetchone()[0]


def sql_fail(conn, job_id, attempt, code="boom", message="it broke", fatal=True):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM pgjob.fail(%s)",
                    (Json([{"id": str(job_id), "attempt": attempt, "fatal": fatal,
                            "error": {"code": code, "message": message}}]),))
        return cur.fetchone()[0]


def sql_expire(conn, job_id):
    """Expire a terminal job now (its retention made to have passed)."""
    with conn.cursor() as cur:
        cur.execute("UPDATE pgjob.job SET expires_at = now() - interval '1 second', "
                    "sweep_at = now() - interval '1 second' WHERE id = %s", (job_id,))
        cur.execute("SELECT pgjob.expire()")
        assert cur.fetchone()[0] >= 1


def db_status(conn, job_id):
    with conn.cursor() as cur:
        cur.execute("SELECT status FROM pgjob.job WHERE id = %s", (job_id,))
        row = cur.fetchone()
        return row[0] if row else None


# ---- waiting ------------------------------------------------------------------------

def poll(what, check, timeout=20, pause=0.05, logs=None):
    """Call check() until it returns something truthy, at most timeout
    seconds, pause seconds apart; return it.  Fails naming what, with the
    last value and logs() (a callable) when given."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            extra = logs() if logs else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                 f"last: {last!r}\n{extra}")
        time.sleep(pause)  # pause between two bounded polls


def prometheus(text):
    """Samples of a Prometheus text exposition: {(name, frozenset of
    (label, value)): float}."""
    samples = {}
    rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
    label_rx = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = rx.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(label_rx.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def metric(samples, name, **labels):
    """The value of one sample (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


# ---- the session -------------------------------------------------------------------

class WebSession:
    """The shared database, exec scripts and shared servers of a session."""

    def __init__(self, pg, template_db):
        self.pg = pg
        self.dir = short_tempdir("pgjob-websess-")
        self.db_name = API_DB
        if not pg.running:
            pg.start()
        pg.execute(f'DROP DATABASE IF EXISTS "{API_DB}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{API_DB}" TEMPLATE {template_db} STRATEGY FILE_COPY')
        self.dsn = pg.dsn(API_DB)
        self.exec_conf = {"exec.gated.command": self._gated_script()}
        self._shared = {}

    def _gated_script(self):
        """An exec program that echoes each item, and after the first one
        waits until the file named by the job's metadata "gate" exists
        (at most 60 s): a job that stays processing with one result."""
        return daemon_helpers.script(self.dir, "gated.py", """
import json, os, sys, time
gate = json.loads(os.environ.get("PGJOB_METADATA") or "{}").get("gate")
done = 0
for line in iter(sys.stdin.readline, ""):
    if done == 1 and gate:
        deadline = time.monotonic() + 60
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.02)
    sys.stdout.write(line)
    sys.stdout.flush()
    done += 1
""", interpreter="/usr/bin/python3")

    def fcgi_conf(self, **keys):
        """The keys of write_pgjob_conf for a front end on the shared database."""
        conf = {"database": self.dsn, "conf": dict(self.exec_conf)}
        for key, value in keys.items():
            conf["conf"][key.replace("__", ".")] = value
        return conf

    def connect(self):
        if not self.pg.running:
            self.pg.start()
        return self.pg.connect(self.db_name)

    def shared(self, kind):
        """The shared server of kind ("lighttpd", "apache-proxy_fcgi",
        "apache-fcgid"), started now if it is not running."""
        server = self._shared.get(kind)
        if server is not None and (server.stale or not server.running()):
            self._stop(kind)
            server = None
        if server is None:
            if kind == "lighttpd":
                server = Lighttpd(self.fcgi_conf())
            else:
                server = Apache(kind.split("-", 1)[1], self.fcgi_conf())
            self._shared[kind] = server
            server.start()
        return server

    def _stop(self, kind):
        server = self._shared.pop(kind, None)
        if server is not None:
            report = server.cleanup()
            if report:
                print(report)
            return report
        return None

    def invalidate(self):
        """Restart the shared servers before their next use (after the
        database was restarted under them)."""
        for server in self._shared.values():
            server.stale = True

    def cleanup(self):
        reports = [r for r in (self._stop(k) for k in list(self._shared)) if r]
        with contextlib.suppress(Exception):
            if not self.pg.running:
                self.pg.start()
            self.pg.execute(f'DROP DATABASE IF EXISTS "{API_DB}" WITH (FORCE)')
        shutil.rmtree(self.dir, ignore_errors=True)
        return reports


@contextlib.contextmanager
def pg_outage(pg, web):
    """Stop PostgreSQL for the block, start it again after it, and have
    the shared servers restarted before their next use (their connections
    died with the server)."""
    web.invalidate()
    pg.stop()
    try:
        yield
    finally:
        pg.start()


# ---- fixtures ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def web(pg, template_db, bindir):
    """The WebSession; its servers are stopped at the end of the session."""
    try:
        fcgi_binary()
    except programs.MissingProgram as e:
        pytest.fail(str(e), pytrace=False)
    session = WebSession(pg, template_db)
    yield session
    reports = session.cleanup()
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


@pytest.fixture
def short_dir():
    """A short folder under /tmp for this test, removed afterwards."""
    path = short_tempdir("pgjob-t-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def web_conn(web):
    """An autocommit connection to the shared database."""
    conn = web.connect()
    yield conn
    conn.close()


@pytest.fixture
def account(web_conn):
    """Factory: account(name=None) -> Account(account_id, key, key_id)."""
    return lambda name=None: new_account(web_conn, name)


@pytest.fixture
def client():
    """Factory: client(server, key=None, bearer=False) -> Client."""
    made = []

    def make(server, key=None, bearer=False):
        c = Client(server, key, bearer)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


class Api:
    """What an API test gets: server (the shared lighttpd), conn (to the
    shared database), account and client (a fresh account and a client
    with its key), and helpers."""

    def __init__(self, server, conn, account_factory, client_factory):
        self.server = server
        self.conn = conn
        self.new_account = account_factory
        self.new_client = client_factory
        self.account = account_factory()
        self.client = client_factory(server, self.account.key)

    def client_for(self, account=None, key=None, bearer=False):
        return self.new_client(self.server, key if key is not None else
                               (account.key if account else None), bearer)

    def jobs(self, account=None):
        """How many jobs the account (default: the test's) has."""
        return jobs_of(self.conn, (account or self.account).account_id)

    def status(self, job_id):
        return db_status(self.conn, job_id)

    def logs(self):
        return self.server.log_block(self.mark)


@pytest.fixture
def api(web, web_conn, account, client):
    """Per test: the shared lighttpd, every job deleted, a fresh account
    and its client.  The server log of the test is printed at teardown."""
    server = web.shared("lighttpd")
    reset_jobs(web_conn)
    a = Api(server, web_conn, account, client)
    a.mark = server.logs.mark()
    yield a
    print(server.log_block(a.mark))
    report = sanitizer_report(server.logs.since(a.mark))
    if report:
        pytest.fail(report, pytrace=False)


def _factory(make):
    """A fixture body: start servers with make(**keys), clean them up."""
    started = []

    def start(*args, **keys):
        server = make(*args, **keys)
        started.append(server)
        return server.start()

    return started, start


def _cleanup_all(started):
    reports = [r for r in (s.cleanup() for s in started) if r]
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


@pytest.fixture
def lighttpd(web):
    """Factory: lighttpd(**keys) -> a started Lighttpd of this test, on
    the shared database, pgjob.conf keys overridden by keys ("exec__x__command"
    for dotted ones); stopped at teardown."""
    started, start = _factory(lambda **keys: Lighttpd(web.fcgi_conf(**keys)))
    yield start
    for s in started:
        print(s.log_block())
    _cleanup_all(started)


@pytest.fixture
def apache(web):
    """Factory: apache(mode, **keys) -> a started Apache of this test;
    mode "proxy_fcgi" or "fcgid"."""
    started, start = _factory(lambda mode, **keys: Apache(mode, web.fcgi_conf(**keys)))
    yield start
    for s in started:
        print(s.log_block())
    _cleanup_all(started)


@pytest.fixture
def standalone(web):
    """Factory: standalone(threads=None, env=None, **keys) -> a ready
    FcgiProcess on 127.0.0.1:PORT (--listen), for fcgi_client, with env
    added to its environment; stopped at teardown, and a sanitizer report
    or a crash fails the test."""
    started = []

    def start(threads=None, env=None, **keys):
        folder = short_tempdir("pgjob-fcgi-")
        conf = write_pgjob_conf(os.path.join(folder, "pgjob.conf"), **web.fcgi_conf(**keys))
        lock = PortLock()
        proc = FcgiProcess(folder, conf, listen=f"127.0.0.1:{lock.port}", threads=threads,
                           env=env)
        started.append((proc, lock, folder))
        return proc.start().wait_ready()

    yield start
    reports = []
    for proc, lock, folder in started:
        print(proc.log_block())
        report = proc.cleanup()
        lock.release()
        if report:
            reports.append(report)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


@pytest.fixture
def worker(web, bindir):
    """Factory: worker(**keys) -> a ready pgjobd (daemon.Daemon) on the
    shared database, with daemon.DEFAULT_CONF and the session's exec
    types; stopped at teardown, its log printed."""
    started = []

    def start(**keys):
        folder = tempfile.mkdtemp(prefix="pgjobd-", dir="/tmp")
        conf = {"database": web.dsn, **daemon_helpers.DEFAULT_CONF, **web.exec_conf,
                **{k.replace("__", "."): v for k, v in keys.items()}}
        d = daemon_helpers.Daemon(bindir, folder, conf, f"pgjobd-{len(started) + 1}")
        started.append((d, folder))
        return d.start()

    yield start
    reports = []
    for d, folder in started:
        report = d.cleanup()
        print(d.log_block())
        if d in daemon_helpers._live:
            daemon_helpers._live.remove(d)
        if report:
            reports.append(report)
        shutil.rmtree(folder, ignore_errors=True)
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)
