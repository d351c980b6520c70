# SPDX-License-Identifier: MIT
"""`make install` as an operator runs it: into a folder of its own, with
PREFIX, sysconfdir and localstatedir under it, so that the units it
generates name programs that exist.  The test checks the file list, that
every unit passes `systemd-analyze verify` with those paths (its man:
links too), the hardening score, that the man pages render without a
warning, that the web server snippets and the socket unit agree, and that
a second install keeps the operator's pgjob.conf."""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

import fcgi_client
import programs

ROOT = programs.REPO_ROOT

UNITS = ["pgjobd.service", "pgjobd@.service", "pgjob-fcgi.socket", "pgjob-fcgi.service"]
SERVICES = ["pgjobd.service", "pgjobd@.service", "pgjob-fcgi.service"]
# The exposure `systemd-analyze security` may rate each service at most.
EXPOSURE_MAX = 2.5


def make(args, **kw):
    """Runs make in the repository with args (stamps of the build not
    remade, so that the tests' build is installed as it is, whatever flags
    built it); the CompletedProcess."""
    build = os.path.relpath(programs.build_dir(), ROOT)
    stamps = [f"-o{build}/gen/{s}" for s in ("flags", "version", "sql_files")]
    return subprocess.run(["make", "--no-print-directory", f"BUILD={build}", *stamps, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


class Install:
    """One `make install` into root: the folders it used."""

    def __init__(self, root):
        self.root = str(root)
        self.prefix = os.path.join(self.root, "usr")
        self.sysconfdir = os.path.join(self.root, "etc")
        self.localstatedir = os.path.join(self.root, "var")
        self.args = [f"PREFIX={self.prefix}", f"sysconfdir={self.sysconfdir}",
                     f"localstatedir={self.localstatedir}"]
        self.unitdir = os.path.join(self.prefix, "lib", "systemd", "system")
        self.mandir = os.path.join(self.prefix, "share", "man")
        self.conf = os.path.join(self.sysconfdir, "pgjob", "pgjob.conf")

    def run(self, target="install"):
        proc = make([target, *self.args])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def files(self):
        found = set()
        for folder, _, names in os.walk(self.root):
            for name in names:
                found.add(os.path.relpath(os.path.join(folder, name), self.root))
        return found

    def unit(self, name):
        return open(os.path.join(self.unitdir, name)).read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory, bindir):
    inst = Install(tmp_path_factory.mktemp("install"))
    inst.run()
    return inst


def test_install_writes_every_file(installed):
    files = installed.files()
    expected = {
        "usr/bin/pgjobd", "usr/bin/pgjob.fcgi", "usr/bin/pgjobctl",
        "usr/share/pgjob/openapi.json",
        "usr/share/pgjob/lighttpd-pgjob.conf", "usr/share/pgjob/apache-pgjob.conf",
        "usr/share/pgjob/apache-pgjob-fcgid.conf",
        "usr/share/pgjob/sql/roles.sql.example",
        "usr/lib/systemd/system/pgjobd.service", "usr/lib/systemd/system/pgjobd@.service",
        "usr/lib/systemd/system/pgjob-fcgi.socket", "usr/lib/systemd/system/pgjob-fcgi.service",
        "usr/lib/sysusers.d/pgjob.conf", "usr/lib/tmpfiles.d/pgjob.conf",
        "usr/share/man/man8/pgjobd.8", "usr/share/man/man8/pgjob.fcgi.8",
        "usr/share/man/man5/pgjob.conf.5",
        "usr/share/doc/pgjob/README.md", "usr/share/doc/pgjob/docs/deployment.md",
        "usr/share/doc/pgjob/pgjob.conf.example",
        "etc/pgjob/pgjob.conf",
    }
    expected |= {f"usr/share/pgjob/sql/{os.path.basename(p)}"
                 for p in os.listdir(os.path.join(ROOT, "sql")) if re.match(r"\d{3}_.*\.sql$", p)}
    for folder, _, names in os.walk(os.path.join(ROOT, "docs")):
        expected |= {os.path.join("usr/share/doc/pgjob", os.path.relpath(folder, ROOT), n)
                     for n in names if n.endswith(".md")}
    expected |= {f"usr/share/pgjob/{p}" for p in os.listdir(os.path.join(ROOT, "cgi"))
                 if re.match(r"openapi-[a-z]+\.json$", p)}
    if os.path.exists(os.path.join(ROOT, "ctl", "pgjobctl.1")):
        expected.add("usr/share/man/man1/pgjobctl.1")
    assert files == expected, (sorted(files - expected), sorted(expected - files))


def test_programs_are_installed_stripped(installed):
    for name in ("pgjobd", "pgjob.fcgi", "pgjobctl"):
        path = os.path.join(installed.prefix, "bin", name)
        assert os.access(path, os.X_OK)
        sections = subprocess.run(["readelf", "-S", "-W", path], capture_output=True,
                                  text=True, check=True).stdout
        assert ".symtab" not in sections and ".debug_info" not in sections, name
    out = subprocess.run([os.path.join(installed.prefix, "bin", "pgjobd"), "--version"],
                         capture_output=True, text=True, env=programs.clean_env())
    assert out.returncode == 0 and out.stdout.startswith("pgjobd "), out


def test_units_name_the_installed_paths(installed):
    pgjobd = installed.unit("pgjobd.service")
    assert (f"ExecStart={installed.prefix}/bin/pgjobd --config "
            f"{installed.sysconfdir}/pgjob/pgjob.conf") in pgjobd
    instance = installed.unit("pgjobd@.service")
    assert f"--config {installed.sysconfdir}/pgjob/%i.conf" in instance
    assert f"ExecStart={installed.prefix}/bin/pgjob.fcgi" in installed.unit("pgjob-fcgi.service")
    # No template placeholder (@bindir@ ...) is left in any generated file.
    for path in installed.files():
        if path.startswith("usr/bin/"):
            continue
        text = open(os.path.join(installed.root, path), errors="replace").read()
        assert not re.search(r"@[a-z_]+@", text), path
    sysusers = open(os.path.join(installed.prefix, "lib/sysusers.d/pgjob.conf")).read()
    assert re.search(r"^u pgjob\s", sysusers, re.M) and re.search(r"^u pgjob_web\s", sysusers, re.M)
    assert f"{installed.localstatedir}/lib/pgjob" in sysusers


def test_pgjobd_unit_is_type_notify_with_a_watchdog(installed):
    text = installed.unit("pgjobd.service")
    for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                 "KillSignal=SIGTERM", "RestartPreventExitStatus=78", "Restart=on-failure",
                 "User=pgjob", "StateDirectory=pgjob", "CapabilityBoundingSet=\n",
                 "SystemCallFilter=@system-service", "UMask=0077"):
        assert line in text, line
    # The stop timeout covers the default grace period and the last flush.
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", text, re.M).group(1))
    assert stop > 30 + 5


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", UNITS)
def test_installed_unit_verifies(installed, unit):
    env = dict(os.environ, MANPATH=installed.mandir)
    path = os.path.join(installed.unitdir, unit)
    proc = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                          timeout=120, env=env)
    # verify also complains about units the host lacks; only messages
    # about this unit count (an instance is checked as pgjobd@i).
    stem = unit.split(".")[0].rstrip("@")
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if stem in line]
    assert proc.returncode == 0 and not problems, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", SERVICES)
def test_services_are_hardened(installed, unit):
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                           os.path.join(installed.unitdir, unit)],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout)
    assert found, proc.stdout + proc.stderr
    print(f"{unit}: exposure {found.group(1)}")
    assert float(found.group(1)) <= EXPOSURE_MAX, proc.stdout


def test_man_pages_render_without_warnings(installed):
    pages = []
    for folder, _, names in os.walk(installed.mandir):
        pages += [os.path.join(folder, n) for n in names]
    assert len(pages) >= 3
    for page in pages:
        proc = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0 and proc.stderr == "", (page, proc.stderr)


def test_pgjob_conf_5_lists_every_key(installed, bindir):
    out = subprocess.run([os.path.join(bindir, "pgjobd"), "--print-config"],
                         env=programs.clean_env(), capture_output=True, text=True, check=True)
    keys = [line.split("=", 1)[0].strip() for line in out.stdout.splitlines()
            if "=" in line and not line.startswith("#")]
    assert len(keys) > 20
    page = open(os.path.join(installed.mandir, "man5", "pgjob.conf.5")).read()
    missing = [k for k in keys if f".TP\n\\fB{k}\\fR\n" not in page]
    assert not missing, missing


def test_snippets_agree_with_the_install(installed):
    share = os.path.join(installed.prefix, "share", "pgjob")
    socket_unit = installed.unit("pgjob-fcgi.socket")
    listen = re.search(r"^ListenStream=(\S+)$", socket_unit, re.M).group(1)
    apache = open(os.path.join(share, "apache-pgjob.conf")).read()
    assert f"Define PGJOB_SOCKET {listen}\n" in apache
    bindir = os.path.join(installed.prefix, "bin")
    conf = os.path.join(installed.sysconfdir, "pgjob", "pgjob.conf")
    for name in ("apache-pgjob.conf", "apache-pgjob-fcgid.conf", "lighttpd-pgjob.conf"):
        text = open(os.path.join(share, name)).read()
        assert "/usr/local" not in text, name
        # Each says where it is installed, and where the docs are.
        assert os.path.join(share, name) in text, name
        assert os.path.join(installed.prefix, "share/doc/pgjob/docs/deployment.md") in text, name
    fcgid = open(os.path.join(share, "apache-pgjob-fcgid.conf")).read()
    assert f"Define PGJOB_BIN {bindir}/pgjob.fcgi" in fcgid
    assert f"Define PGJOB_CONF {conf}" in fcgid
    lighttpd = open(os.path.join(share, "lighttpd-pgjob.conf")).read()
    assert f'"{bindir}/pgjob.fcgi"' in lighttpd and f'"{conf}"' in lighttpd


def test_second_install_keeps_the_configuration(installed):
    with open(installed.conf, "a") as f:
        f.write("workers = 7\n")
    before = open(installed.conf).read()
    proc = installed.run("install-data")
    assert "keeping" in proc.stdout
    assert open(installed.conf).read() == before
    example = os.path.join(installed.prefix, "share", "doc", "pgjob", "pgjob.conf.example")
    assert open(example).read() == open(os.path.join(ROOT, "pgjob.conf.example")).read()


def test_uninstall_leaves_only_the_configuration(tmp_path, bindir):
    inst = Install(tmp_path)
    inst.run()
    inst.run("uninstall")
    assert inst.files() == {"etc/pgjob/pgjob.conf"}
    assert not os.path.exists(os.path.join(inst.prefix, "share", "pgjob"))
    assert not os.path.exists(os.path.join(inst.prefix, "share", "doc", "pgjob"))


def test_uninstall_removes_only_its_own_files(tmp_path, bindir):
    """datadir in its GNU meaning (the folder of every package) on the
    command line, and files of others beside and inside pgjob's folders:
    uninstall takes only what install wrote."""
    inst = Install(tmp_path)
    share = os.path.join(inst.prefix, "share")
    inst.args += [f"datadir={share}"]
    inst.run()
    others = [os.path.join(share, "other", "file"),
              os.path.join(share, "doc", "other", "README"),
              os.path.join(share, "pgjob", "sql", "local.sql"),
              os.path.join(share, "doc", "pgjob", "NOTES")]
    for path in others:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    inst.run("uninstall")
    assert inst.files() == {"etc/pgjob/pgjob.conf"} | {
        os.path.relpath(p, inst.root) for p in others}


def test_install_keeps_the_configuration_folder_mode(tmp_path, bindir):
    """The configuration folder is made 0750; an operator's later chmod
    (or chgrp) survives the next install."""
    inst = Install(tmp_path)
    folder = os.path.join(inst.sysconfdir, "pgjob")
    inst.run("install-data")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o750
    os.chmod(folder, 0o710)
    inst.run("install-data")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o710


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                    reason="no systemd-socket-activate")
def test_installed_front_end_runs_socket_activated(installed, dsn):
    """pgjob-fcgi.service's ExecStart, started as its socket unit starts it
    (systemd-socket-activate: the listening socket as fd 3, LISTEN_FDS=1,
    on the first connection), with the installed configuration, answers
    FastCGI on that socket."""
    service = installed.unit("pgjob-fcgi.service")
    execstart = re.search(r"^ExecStart=(.*)$", service, re.M).group(1).split()
    assert re.search(r"^ListenStream=/run/pgjob/fcgi\.sock$", installed.unit("pgjob-fcgi.socket"),
                     re.M)
    assert execstart[-2:] == ["--config", installed.conf]
    with open(installed.conf, "a") as f:
        f.write(f"database = \"{dsn}\"\nfcgi_threads = 2\n")
    folder = tempfile.mkdtemp(prefix="pgjob-sa-", dir="/tmp")  # a short socket path
    sock = os.path.join(folder, "fcgi.sock")
    proc = subprocess.Popen(["systemd-socket-activate", "-l", sock, *execstart],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=programs.clean_env())
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
            time.sleep(0.05)  # until systemd-socket-activate listens
        r = fcgi_client.http(sock, "GET", "/v1/health")
        assert r.status == 200, (r.status, r.body)
        assert json.loads(r.body)["database"] == "up"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        print(out.decode(errors="replace"))
        shutil.rmtree(folder, ignore_errors=True)
    assert proc.returncode == 0, out
