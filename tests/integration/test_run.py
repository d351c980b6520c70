# SPDX-License-Identifier: MIT
"""`make run` (ctl/run.sh): a throwaway PostgreSQL, pgjobd and lighttpd with
pgjob.fcgi serve a job end to end; a second run while it runs changes
nothing; `stop` stops everything and a later run finds the data again."""

import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

import programs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(ROOT, "ctl", "run.sh")

pytestmark = pytest.mark.skipif(shutil.which("lighttpd") is None, reason="no lighttpd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def run_env(bindir):
    # The throwaway cluster runs as postgres when we are root: it must be
    # able to reach the folder (pytest's tmp_path is private to root).
    top = tempfile.mkdtemp(prefix="pgjob-run-")
    os.chmod(top, 0o755)
    var = os.path.join(top, "var")
    env = programs.clean_env({
        "PGJOB_VAR": var,
        "PGJOB_PORT": str(free_port()),
        "PGJOB_PG_PORT": str(free_port()),
        # The API profiles' ports (docs/profiles.md); by default the four
        # after PGJOB_PORT, which another program may hold.
        **{f"PGJOB_{name}_PORT": str(free_port())
           for name in ("PARSETX", "PULSE", "PARZO", "ENRICHMENT")},
        "PGJOB_BUILD": os.path.relpath(programs.build_dir(), ROOT),
    })
    yield env
    subprocess.run([RUN, "stop"], env=env, capture_output=True, timeout=60)
    shutil.rmtree(top, ignore_errors=True)


def start(env):
    """Start ctl/run.sh run; return (process, output so far) once it is up."""
    proc = subprocess.Popen([RUN, "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b""
    end = time.monotonic() + 90
    while b"pgjob is running" not in out or b"Ctrl-C" not in out:
        if time.monotonic() > end or proc.poll() is not None:
            proc.kill()
            raise AssertionError("make run did not come up:\n" + out.decode(errors="replace"))
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            # os.read, not readline: buffered lines would hide from select.
            out += os.read(proc.stdout.fileno(), 65536)
    return proc, out.decode()


def stop(env, proc):
    done = subprocess.run([RUN, "stop"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert proc.wait(timeout=30) == 0


def test_make_run_serves_a_job_end_to_end(run_env):
    proc, out = start(run_env)
    key = re.search(r"export PGJOB_KEY=(\S+)", out).group(1)
    url = f"http://127.0.0.1:{run_env['PGJOB_PORT']}"
    headers = {"X-API-Key": key}

    r = requests.post(f"{url}/v1/jobs", json={"type": "upper", "items": ["hello", "world"]},
                      headers={**headers, "Prefer": "wait=10"}, timeout=30)
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "completed"
    assert [x["output"] for x in job["results"]] == ["HELLO", "WORLD"]

    # The printed poll command's way: submit, then long-poll until finished.
    r = requests.post(f"{url}/v1/jobs", json={"type": "upper", "items": ["x"]},
                      headers=headers, timeout=30)
    assert r.status_code in (200, 202)
    jid = r.json()["id"]
    status = r.json()["status"]
    end = time.monotonic() + 30
    while status not in ("completed", "failed"):
        assert time.monotonic() < end, "the job did not finish"
        status = requests.get(f"{url}/v1/jobs/{jid}?wait=5", headers=headers,
                              timeout=30).json()["status"]
    assert status == "completed"

    # A second run while it runs changes nothing and says so.
    again = subprocess.run([RUN, "run"], env=run_env, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0 and "already running" in again.stdout, again.stdout
    assert key in again.stdout

    stop(run_env, proc)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v1/health", timeout=5)

    # The next run finds the data and the same demo key.
    proc, out = start(run_env)
    assert key in out
    r = requests.get(f"{url}/v1/jobs/{jid}", headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "completed"
    stop(run_env, proc)


def test_make_run_logs_the_cause_of_a_500(run_env):
    """pgjob.fcgi's log (its stderr) lands in var/log/pgjob-fcgi.log, with
    the cause of a 500 (here a job whose run_at the API cannot write,
    made behind the API's back)."""
    import psycopg2
    proc, out = start(run_env)
    key = re.search(r"export PGJOB_KEY=(\S+)", out).group(1)
    url = f"http://127.0.0.1:{run_env['PGJOB_PORT']}"
    var = run_env["PGJOB_VAR"]
    try:
        r = requests.post(f"{url}/v1/jobs", json={"type": "upper", "items": ["x"],
                                                  "run_at": "2099-01-01T00:00:00Z"},
                          headers={"X-API-Key": key}, timeout=30)
        assert r.status_code == 202, r.text
        jid = r.json()["id"]
        conn = psycopg2.connect(host=os.path.join(var, "pg", "run"),
                                port=run_env["PGJOB_PG_PORT"], user="postgres", dbname="pgjob")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("UPDATE pgjob.job SET run_at = '10000-01-01Z' WHERE id = %s", (jid,))
        conn.close()
        r = requests.get(f"{url}/v1/jobs/{jid}", headers={"X-API-Key": key}, timeout=30)
        assert r.status_code == 500, r.text
        path = os.path.join(var, "log", "pgjob-fcgi.log")
        end = time.monotonic() + 10
        text = ""
        while "cannot render job" not in text and time.monotonic() < end:
            time.sleep(0.1)
            text = open(path).read() if os.path.exists(path) else ""
        assert f"cannot render job {jid}" in text, text
        assert "serving with" in text, text
    finally:
        stop(run_env, proc)
