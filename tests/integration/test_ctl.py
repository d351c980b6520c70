# SPDX-License-Identifier: MIT
"""pgjobctl's subcommands against a real PostgreSQL, the real front end
under lighttpd and the real pgjobd: accounts, keys (prefix, expiry,
rotation, import), jobs (show, list, cancel, pause, resume, retry),
submit, wait, report and status; --json and table output; exit codes."""

import hashlib
import json
import os
import subprocess
import time

import pytest

import programs
from daemon import daemon, ddir  # noqa: F401
from jobs_helpers import claim_one, complete_one, fail_one, row, value

pytest_plugins = ("web",)


def poll(what, check, timeout=30):
    """check() until it returns something truthy, at most timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # a bounded poll of a condition


def ctl(dsn, *args, code=0, input=None, env=None):
    """Run pgjobctl --database dsn args; check its exit status is code;
    return the CompletedProcess."""
    proc = programs.run_ctl(*args, "--database", dsn, check=False, input=input, env=env)
    assert proc.returncode == code, programs.describe(proc)
    return proc


def jctl(dsn, *args, code=0, input=None):
    """ctl with --json; return the parsed document."""
    proc = ctl(dsn, *args, "--json", code=code, input=input)
    return json.loads(proc.stdout)


def make_account(dsn, name="acme"):
    return jctl(dsn, "account", "create", name)["id"]


def submit_json(dsn, account, body, type="echo"):
    return jctl(dsn, "submit", "--account", str(account), "--type", type, "-",
                input=json.dumps(body))


# ---- help and usage -----------------------------------------------------------

COMMANDS = ("migrate", "status", "account", "key", "job", "submit", "wait", "report")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(run_ctl, command):
    out = run_ctl(command, "--help").stdout
    assert out.startswith("usage: pgjobctl " + command), out
    assert "--json" in out and "--config" in out
    assert run_ctl("help", command).stdout == out


def test_help_lists_every_command(run_ctl):
    out = run_ctl("help").stdout
    assert out == run_ctl("--help").stdout
    for command in COMMANDS:
        assert f"  {command} " in out
    assert "69" in out and "75" in out


@pytest.mark.parametrize("args", [
    (), ("nosuch",), ("help", "nosuch"), ("account",), ("account", "nosuch"),
    ("account", "create"), ("account", "create", "a", "b"), ("account", "show"),
    ("key", "create"), ("key", "create", "--account"), ("key", "revoke"),
    ("key", "revoke", "x1"), ("key", "list", "--grace", "1h"),
    ("key", "create", "--account", "1", "--expires-in", "soon"),
    ("key", "create", "--account", "1", "--expires", "2030-01-01T00:00:00Z",
     "--expires-in", "1d"),
    ("key", "import", "--account", "1"),
    ("key", "import", "--account", "1", "--value", "x" * 20, "--sha256", "ab" * 32),
    ("key", "import", "--account", "1", "--sha256", "xyz"),
    ("key", "rotate", "5", "--grace", "-1h"),
    ("job", "show"), ("job", "show", "not-a-uuid"), ("job", "list", "--status", "done"),
    ("job", "list", "--limit", "0"), ("job", "list", "--limit", "1001"),
    ("job", "show", "00000000-0000-0000-0000-000000000000", "--reason", "x"),
    ("job", "cancel", "00000000-0000-0000-0000-000000000000", "--failed-items-only"),
    ("submit",), ("submit", "--account", "1", "a", "b"),
    ("wait",), ("wait", "nope"), ("wait", "00000000-0000-0000-0000-000000000000",
                                  "--timeout", "x"),
    ("report",), ("report", "Bad-Name"), ("report", "list", "--from", "2026-01-01"),
    ("status", "extra"), ("migrate", "--nosuch"), ("--database",),
])
def test_bad_arguments_exit_2(run_ctl, args):
    """Bad command lines are refused before any database is asked (none
    is reachable here), with a message on stderr and nothing on stdout."""
    proc = run_ctl(*args, check=False,
                   env={"PGHOST": "/nonexistent", "PGDATABASE": "none"})
    assert proc.returncode == 2, programs.describe(proc)
    assert proc.stdout == "" and "ERROR" in proc.stderr, programs.describe(proc)


def test_database_down_exits_69(pg, run_ctl):
    for args in (("status",), ("account", "list"), ("key", "list"), ("job", "list"),
                 ("report", "list"),
                 ("wait", "00000000-0000-0000-0000-000000000000")):
        proc = run_ctl(*args, "--database", pg.dsn("no_such_database"), check=False)
        assert proc.returncode == 69, programs.describe(proc)
        assert "no_such_database" in proc.stderr


# ---- configuration --------------------------------------------------------------

def test_config_file_and_overrides(pg, dsn, db_name, run_ctl, tmp_path):
    conf = tmp_path / "pgjob.conf"
    conf.write_text(f'database = "{dsn}"\n')
    run_ctl("--config", str(conf), "account", "create", "from-file")
    run_ctl("account", "create", "from-env", env={"PGJOB_CONFIG": str(conf)})
    names = [a["name"] for a in json.loads(run_ctl(
        "account", "list", "--json", "--config", str(conf)).stdout)]
    assert names == ["from-file", "from-env"]
    # PGJOB_DATABASE overrides the file, --database overrides both.
    bad = pg.dsn("no_such_database")
    proc = run_ctl("account", "list", "--config", str(conf), check=False,
                   env={"PGJOB_DATABASE": bad})
    assert proc.returncode == 69, programs.describe(proc)
    run_ctl("account", "list", "--config", str(conf), "--database", dsn,
            env={"PGJOB_DATABASE": bad})
    # No file, no database: the PG* environment.
    run_ctl("account", "list", env=pg.libpq_env(db_name))
    # A bad file is a configuration error.
    conf.write_text("workers = many\n")
    proc = run_ctl("account", "list", "--config", str(conf), check=False)
    assert proc.returncode == 78 and "workers" in proc.stderr, programs.describe(proc)
    proc = run_ctl("account", "list", "--config", str(tmp_path / "missing"), check=False)
    assert proc.returncode == 78, programs.describe(proc)


# ---- accounts -------------------------------------------------------------------

def test_account_create_list_show(dsn, conn):
    a = jctl(dsn, "account", "create", "acme")
    assert set(a) == {"id", "name", "created_at"} and a["name"] == "acme"
    assert a["created_at"].endswith("+00:00")
    b = make_account(dsn, "globex")
    ctl(dsn, "account", "create", "acme", code=1)
    ctl(dsn, "account", "create", "", code=2)
    listed = jctl(dsn, "account", "list")
    assert [(x["id"], x["name"], x["live_keys"]) for x in listed] == \
        [(a["id"], "acme", 0), (b, "globex", 0)]
    # Options may come before the command, the action, or after.
    for args in (("--json", "account", "list"), ("account", "--json", "list")):
        assert json.loads(ctl(dsn, *args).stdout) == listed
    jctl(dsn, "key", "create", "--account", "acme")
    shown = jctl(dsn, "account", "show", "acme")
    assert shown == jctl(dsn, "account", "show", str(a["id"]))
    assert shown["live_keys"] == 1 and shown["keys"] == 1 and shown["jobs"] == {}
    submit_json(dsn, a["id"], {"items": [1]})
    assert jctl(dsn, "account", "show", "acme")["jobs"] == {"queued": 1}
    ctl(dsn, "account", "show", "nobody", code=1)
    ctl(dsn, "account", "show", "987654", code=1)


def test_table_output(dsn):
    make_account(dsn, "acme")
    make_account(dsn, "a much longer name")
    out = ctl(dsn, "account", "list").stdout.splitlines()
    assert out[0].split() == ["id", "name", "created_at", "live_keys"]
    assert set(out[1]) <= {"-", " "}
    # Columns line up: each starts where its header does.
    start = out[0].index("created_at")
    assert all(line[start - 1] == " " and line[start].isdigit() for line in out[2:4]), out
    assert out[2].split()[:2] == ["1", "acme"]
    assert out[4] == "(2 rows)"
    # A record is one "column value" line per column, times in UTC.
    rec = ctl(dsn, "account", "show", "acme").stdout.splitlines()
    assert rec[1].split() == ["name", "acme"]
    assert rec[2].startswith("created_at") and rec[2].endswith("Z")


# ---- keys -----------------------------------------------------------------------

def sha(key):
    return hashlib.sha256(key.encode()).digest()


def test_key_create_list_revoke(dsn, conn):
    acct = make_account(dsn)
    k = jctl(dsn, "key", "create", "--account", "acme", "--prefix", "pt_live_",
             "--name", "parsetx", "--expires-in", "90d")
    assert k["key"].startswith("pt_live_") and len(k["key"]) == 72
    assert k["account"] == acct and k["prefix"] == k["key"][:16]
    stored = row(conn, "SELECT * FROM pgjob.api_key WHERE id = %s", (k["id"],))
    assert bytes(stored["key_hash"]) == sha(k["key"])
    assert value(conn, "SELECT %s::timestamptz - now() BETWEEN interval '89 days' "
                 "AND interval '90 days'", (k["expires_at"],))
    k2 = jctl(dsn, "key", "create", "--account", str(acct), "--expires",
              "2999-01-01T00:00:00Z")
    assert k2["key"].startswith("pgj_") and k2["expires_at"].startswith("2999-01-01")
    listed = jctl(dsn, "key", "list")
    assert [x["id"] for x in listed] == [k["id"], k2["id"]]
    assert all("key" not in x for x in listed)
    assert listed[0]["last4"] == k["key"][-4:] and listed[0]["state"] == "live"
    assert listed[0]["name"] == "parsetx" and listed[0]["origin"] == "created"
    text = ctl(dsn, "key", "list").stdout + json.dumps(listed)
    assert k["key"] not in text and k["key"][16:-4] not in text
    assert jctl(dsn, "key", "list", "--account", str(make_account(dsn, "b"))) == []
    assert jctl(dsn, "key", "revoke", str(k["id"])) == {"id": k["id"], "revoked_now": True}
    assert jctl(dsn, "key", "revoke", str(k["id"]))["revoked_now"] is False
    assert jctl(dsn, "key", "list")[0]["state"] == "revoked"
    ctl(dsn, "key", "revoke", "987654", code=1)
    ctl(dsn, "key", "create", "--account", "987654", code=1)
    ctl(dsn, "key", "create", "--account", "nobody", code=1)
    ctl(dsn, "key", "create", "--account", "acme", "--prefix", "bad prefix", code=2)
    ctl(dsn, "key", "create", "--account", "acme", "--expires", "2001-01-01T00:00:00Z",
        code=2)
    ctl(dsn, "key", "create", "--account", "acme", "--expires", "not a time", code=2)
    assert value(conn, "SELECT count(*) FROM pgjob.api_key") == 2


def test_key_create_table_prints_key_once(dsn):
    make_account(dsn)
    proc = ctl(dsn, "key", "create", "--account", "acme")
    lines = {line.split()[0]: line[len(line.split()[0]):].strip()
             for line in proc.stdout.splitlines()}
    assert lines["key"].startswith("pgj_") and len(lines["key"]) == 68
    assert "only time" in proc.stderr


def test_key_rotate(dsn, conn):
    make_account(dsn)
    old = jctl(dsn, "key", "create", "--account", "acme", "--prefix", "inv_",
               "--name", "ci")
    new = jctl(dsn, "key", "rotate", str(old["id"]), "--grace", "2h")
    assert new["key"].startswith("inv_") and new["old_key_id"] == old["id"]
    assert value(conn, "SELECT %s::timestamptz - now() BETWEEN interval '119 minutes' "
                 "AND interval '2 hours'", (new["old_expires_at"],))
    listed = {x["id"]: x for x in jctl(dsn, "key", "list")}
    assert listed[new["id"]]["rotated_from"] == old["id"]
    assert listed[new["id"]]["name"] == "ci"
    assert listed[old["id"]]["state"] == "live"       # during the grace period
    newer = jctl(dsn, "key", "rotate", str(new["id"]), "--grace", "0")
    assert jctl(dsn, "key", "list")[1]["state"] == "expired"
    ctl(dsn, "key", "rotate", str(new["id"]), code=1)   # not live any more
    ctl(dsn, "key", "rotate", "987654", code=1)
    assert newer["key"] != new["key"]


def test_key_import(dsn, conn):
    make_account(dsn)
    value_key = "pt_live_" + "Ab3" * 10
    k = jctl(dsn, "key", "import", "--account", "acme", "--value", value_key,
             "--prefix", "pt_live_")
    assert k["prefix"] == "pt_live_" and k["last4"] == value_key[-4:]
    assert "key" not in k
    stdin_key = "inv_" + "z9" * 12
    k2 = jctl(dsn, "key", "import", "--account", "acme", "--value", "-", input=stdin_key + "\n")
    digest_key = "sk_other_" + "q" * 30
    k3 = jctl(dsn, "key", "import", "--account", "acme", "--sha256",
              hashlib.sha256(digest_key.encode()).hexdigest(), "--name", "old service")
    assert k3["last4"] is None
    for key, kid in ((value_key, k["id"]), (stdin_key, k2["id"]), (digest_key, k3["id"])):
        assert value(conn, "SELECT key_id FROM pgjob.api_key_lookup(%s)", (sha(key),)) == kid
    ctl(dsn, "key", "import", "--account", "acme", "--value", value_key, code=1)
    ctl(dsn, "key", "import", "--account", "acme", "--value", "short", code=2)
    ctl(dsn, "key", "import", "--account", "acme", "--value", "-", input="", code=2)
    listed = jctl(dsn, "key", "list")
    assert [x["origin"] for x in listed] == ["imported"] * 3


# ---- jobs -----------------------------------------------------------------------

def test_submit_and_job_show_list(dsn, conn, tmp_path):
    acct = make_account(dsn)
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"type": "echo", "items": ["a", {"b": 1.10}],
                                "priority": 7, "metadata": {"m": "x"}}))
    job = jctl(dsn, "submit", "--account", "acme", str(body))
    assert job["status"] == "queued" and job["account"] == acct
    assert job["priority"] == 7 and job["metadata"] == {"m": "x"}
    assert job["item_count"] == 2 and job["retry_of"] is None
    assert value(conn, "SELECT items FROM pgjob.job WHERE id = %s",
                 (job["id"],)) == ["a", {"b": 1.10}]
    shown = jctl(dsn, "job", "show", job["id"])
    assert shown["id"] == job["id"] and shown["results"] == []
    other = submit_json(dsn, make_account(dsn, "b"), {"items": [1]})
    assert [j["id"] for j in jctl(dsn, "job", "list")] == [other["id"], job["id"]]
    assert [j["id"] for j in jctl(dsn, "job", "list", "--account", "acme")] == [job["id"]]
    assert jctl(dsn, "job", "list", "--status", "failed") == []
    assert jctl(dsn, "job", "list", "--type", "enrich") == []
    assert len(jctl(dsn, "job", "list", "--limit", "1")) == 1
    ctl(dsn, "job", "show", "00000000-0000-0000-0000-000000000000", code=1)
    table = ctl(dsn, "job", "list").stdout
    assert job["id"] in table and "(2 rows)" in table
    # Bad bodies change nothing.
    for text, args in (("[1]", ()), ("{", ()), ('{"items": [1], "priorty": 1}', ()),
                       ('{"items": 1}', ()), ('{"items": []}', ()),
                       ('{"items": [1], "priority": 5000}', ()),
                       ('{"items": [1], "priority": "high"}', ()),
                       ('{"items": [1], "run_at": "someday"}', ()),
                       ('{"items": [1], "type": "contact"}', ()),
                       ('{"items": [1]}', ("--type", "nosuch"))):
        proc = programs.run_ctl("submit", "--database", dsn, "--account", "acme",
                                *(args or ("--type", "echo")), input=text, check=False)
        assert proc.returncode == 2, programs.describe(proc)
    ctl(dsn, "submit", "--account", "nobody", "--type", "echo", input='{"items": [1]}', code=1)
    assert value(conn, "SELECT count(*) FROM pgjob.job") == 2


def test_cancel_pause_resume(dsn, conn):
    acct = make_account(dsn)
    a = submit_json(dsn, acct, {"items": [1]})
    assert jctl(dsn, "job", "pause", a["id"])["status"] == "paused"
    ctl(dsn, "job", "pause", a["id"], code=1)
    assert jctl(dsn, "job", "resume", a["id"])["status"] == "queued"
    c = jctl(dsn, "job", "cancel", a["id"], "--reason", "operator said so")
    assert c["status"] == "canceled"
    assert c["error"] == {"code": "canceled", "message": "operator said so"}
    for verb in ("cancel", "pause", "resume"):
        ctl(dsn, "job", verb, a["id"], code=1)     # terminal stays terminal
        ctl(dsn, "job", verb, "00000000-0000-0000-0000-000000000000", code=1)
    assert value(conn, "SELECT status FROM pgjob.job WHERE id = %s", (a["id"],)) == "canceled"


def test_retry_links_to_original(dsn, conn):
    acct = make_account(dsn)
    job = submit_json(dsn, acct, {"items": ["x", "y", "z"], "max_attempts": 1})
    c = claim_one(conn, job["id"])
    conn.cursor().execute(
        "SELECT pgjob.heartbeat(%s, %s, p_items_done => 2, p_results => %s)",
        (job["id"], c["attempt"], json.dumps([{"ok": 1}, {"error": {"code": "bad"}}])))
    fail_one(conn, job["id"], c["attempt"])
    before = jctl(dsn, "job", "show", job["id"])
    full = jctl(dsn, "job", "retry", job["id"])
    assert full["retry_of"] == job["id"] and full["retry_items"] is None
    assert full["status"] == "queued" and full["item_count"] == 3
    part = jctl(dsn, "job", "retry", job["id"], "--failed-items-only")
    assert part["retry_items"] == [1, 2] and part["item_count"] == 2
    after = jctl(dsn, "job", "show", job["id"])
    assert after["retries"] == [full["id"], part["id"]]
    after.pop("retries")
    before.pop("retries")
    assert after == before                       # the original never changes
    ctl(dsn, "job", "retry", full["id"], code=1)  # queued: nothing to retry
    done = submit_json(dsn, acct, {"items": [1]})
    ctl(dsn, "job", "cancel", full["id"])
    ctl(dsn, "job", "cancel", part["id"])
    c = claim_one(conn, done["id"])
    complete_one(conn, done["id"], c["attempt"], item_count=1)
    ctl(dsn, "job", "retry", done["id"], code=1)
    ctl(dsn, "job", "retry", done["id"], "--failed-items-only", code=1)


# ---- wait -----------------------------------------------------------------------

def test_wait_for_daemon(dsn, daemon):
    acct = make_account(dsn)
    job = submit_json(dsn, acct, {"items": ["a", "b"]})
    daemon()
    started = time.monotonic()
    proc = ctl(dsn, "wait", job["id"], "--timeout", "60", "--json")
    final = json.loads(proc.stdout)
    assert final["id"] == job["id"] and final["status"] == "completed"
    assert len(final["results"]) == 2
    assert time.monotonic() - started < 60


def test_wait_wakes_on_notification(dsn, conn):
    """A job finished while wait waits: the notification wakes it (its
    -v log says so), and each outcome has its exit status."""
    acct = make_account(dsn)
    outcomes = []
    for outcome, code in (("complete", 0), ("fail", 1), ("cancel", 3)):
        job = submit_json(dsn, acct, {"items": [1], "max_attempts": 1})
        proc = subprocess.Popen(
            programs.ctl_argv("-v", "wait", job["id"], "--database", dsn, "--timeout", "120",
                              "--json"),
            env=programs.clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        # Change the job once wait LISTENs and has read it queued.
        poll("wait to read the job", lambda: value(
            conn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgjobctl' "
            "AND state = 'idle' AND query LIKE 'SELECT j.status%%'"), timeout=60)
        t0 = time.monotonic()
        if outcome == "cancel":
            ctl(dsn, "job", "cancel", job["id"])
        else:
            c = claim_one(conn, job["id"])
            if outcome == "complete":
                complete_one(conn, job["id"], c["attempt"], item_count=1)
            else:
                fail_one(conn, job["id"], c["attempt"])
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, json.loads(out)["status"], time.monotonic() - t0))
        assert proc.returncode == code, err
        assert "notified" in err, err
    assert [o[:2] for o in outcomes] == [(0, "completed"), (1, "failed"), (3, "canceled")]


def test_wait_timeout_and_expired(dsn, conn):
    acct = make_account(dsn)
    job = submit_json(dsn, acct, {"items": [1]})
    t0 = time.monotonic()
    proc = ctl(dsn, "wait", job["id"], "--timeout", "2", "--json", code=5)
    assert 1.9 <= time.monotonic() - t0 < 60
    assert json.loads(proc.stdout)["status"] == "queued"
    assert "still queued" in proc.stderr
    ctl(dsn, "wait", job["id"], "--timeout", "0", code=5)
    ctl(dsn, "job", "cancel", job["id"])
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now() WHERE id = %s",
                          (job["id"],))
    conn.cursor().execute("SELECT pgjob.expire()")
    assert jctl(dsn, "wait", job["id"], code=4)["status"] == "expired"
    ctl(dsn, "wait", "00000000-0000-0000-0000-000000000000", code=2)


def test_wait_connection_lost_exits_75(pg, dsn, conn):
    acct = make_account(dsn)
    job = submit_json(dsn, acct, {"items": [1]})
    proc = subprocess.Popen(
        programs.ctl_argv("wait", job["id"], "--database", dsn, "--timeout", "120"),
        env=programs.clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        poll("wait to read the job", lambda: value(
            conn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgjobctl' "
            "AND state = 'idle' AND query LIKE 'SELECT j.status%%'"), timeout=60)
        pg.stop()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 75, err
        assert "lost" in err or "connection" in err, err
    finally:
        proc.kill()
        proc.wait()
        pg.start()


# ---- migrate --json -----------------------------------------------------------

def test_migrate_json(empty_db, run_ctl):
    names = sorted(f[:-4] for f in os.listdir(os.path.join(programs.REPO_ROOT, "sql"))
                   if f.endswith(".sql") and f[:3].isdigit())
    st = json.loads(run_ctl("migrate", "--status", "--json", "--database", empty_db.dsn).stdout)
    assert [(e["name"], e["state"], e["applied_at"]) for e in st] == \
        [(n, "pending", None) for n in names]
    done = json.loads(run_ctl("migrate", "--json", "--database", empty_db.dsn).stdout)
    assert done["applied"] == names and done["version"] == int(names[-1][:3])
    assert done["merchants"]["added"] == done["merchants"]["shipped"] > 0
    again = json.loads(run_ctl("migrate", "--json", "--database", empty_db.dsn).stdout)
    assert again["applied"] == [] and again["merchants"]["added"] == 0
    st = json.loads(run_ctl("migrate", "--status", "--json", "--database", empty_db.dsn).stdout)
    assert {e["state"] for e in st} == {"applied"}


# ---- report and status -----------------------------------------------------------

def test_report(dsn, conn):
    conn.cursor().execute(
        "CREATE VIEW pgjob.report_ctl_test AS "
        "SELECT d::date AS day, n FROM (VALUES ('2026-01-01'::date, 1), "
        "('2026-01-02', 2), ('2026-01-03', 3)) v(d, n) ORDER BY 1")
    conn.cursor().execute(
        "CREATE VIEW pgjob.report_ctl_flat AS SELECT 42 AS answer")
    listed = {r["name"]: r for r in jctl(dsn, "report", "list")}
    assert listed["ctl_test"]["time_column"] == "day"
    assert listed["ctl_flat"]["time_column"] is None
    assert [r["n"] for r in jctl(dsn, "report", "ctl_test")] == [1, 2, 3]
    assert [r["n"] for r in jctl(dsn, "report", "ctl_test", "--from", "2026-01-02")] == [2, 3]
    assert [r["n"] for r in jctl(dsn, "report", "report_ctl_test", "--from", "2026-01-02",
                                 "--to", "2026-01-03")] == [2]
    assert jctl(dsn, "report", "ctl_flat") == [{"answer": 42}]
    ctl(dsn, "report", "ctl_flat", "--from", "2026-01-01", code=2)
    ctl(dsn, "report", "nosuch", code=2)
    ctl(dsn, "report", "ctl_test", "--from", "not a day", code=2)
    assert "answer" in ctl(dsn, "report", "ctl_flat").stdout
    # The reports of sql/ that take a range go through their function.
    for name, r in listed.items():
        if r["takes_range"]:
            jctl(dsn, "report", name, "--from", "2026-01-01", "--to", "2026-02-01")
            jctl(dsn, "report", name)


def test_status(dsn, daemon):
    st = jctl(dsn, "status")
    assert st["schema"][0]["version"] == st["schema"][0]["known"]
    assert st["schema"][0]["pending"] == 0
    assert [m["version"] for m in st["migrations"]] == \
        list(range(1, st["schema"][0]["known"] + 1))
    assert {q["status"]: q["jobs"] for q in st["queue"]} == \
        {"queued": 0, "processing": 0, "paused": 0}
    acct = make_account(dsn)
    submit_json(dsn, acct, {"items": [1]})
    submit_json(dsn, acct, {"items": [1]})
    st = jctl(dsn, "status")
    assert {q["status"]: q["jobs"] for q in st["queue"]}["queued"] == 2
    d = daemon()

    def holder():
        s = jctl(dsn, "status")
        return [p for p in s["programs"] if p["maintenance"]]

    held = poll("pgjobd to take the maintenance lock", holder, timeout=30)
    assert held[0]["program"].startswith("pgjobd"), held
    assert d is not None
    table = ctl(dsn, "status").stdout
    for section in ("schema", "migrations", "queue", "leases", "programs"):
        assert f"\n{section}\n" in "\n" + table


def test_status_of_empty_database(empty_db, run_ctl):
    proc = run_ctl("status", "--json", "--database", empty_db.dsn)
    st = json.loads(proc.stdout)
    assert st["schema"][0]["version"] == 0 and st["schema"][0]["pending"] > 0
    assert "migrate" in proc.stderr


# ---- the front end honours the keys --------------------------------------------------

def test_front_end_and_keys(api, web, client):
    dsn = web.dsn
    acct = jctl(dsn, "account", "create", f"ctl-http-{os.getpid()}")["id"]
    live = jctl(dsn, "key", "create", "--account", str(acct), "--prefix", "pt_live_")
    expiring = jctl(dsn, "key", "create", "--account", str(acct), "--expires-in", "1h")
    imported = "inv_" + "Xy7" * 9
    jctl(dsn, "key", "import", "--account", str(acct), "--value", imported, "--prefix", "inv_")
    by_hash = "legacy-" + "k" * 30
    jctl(dsn, "key", "import", "--account", str(acct), "--sha256",
         hashlib.sha256(by_hash.encode()).hexdigest())

    def status(key, path="/v1/jobs"):
        return client(api.server, key=key).get(path).status_code

    for key in (live["key"], expiring["key"], imported, by_hash):
        assert status(key) == 200, key
    # A job submitted with the imported key is read with it, by bearer too.
    c = client(api.server, key=imported)
    r = c.submit(type="echo", items=["a"])
    assert r.status_code in (200, 201, 202), r.text
    job_id = r.json()["id"]
    assert c.job(job_id).status_code == 200
    assert client(api.server, key=imported, bearer=True).job(job_id).status_code == 200
    # Expired: refused by the front end, both for listing and for the job.
    api.conn.cursor().execute("UPDATE pgjob.api_key SET expires_at = now() - interval '1s' "
                              "WHERE id = %s", (expiring["id"],))
    assert status(expiring["key"]) == 401
    assert client(api.server, key=expiring["key"]).job(job_id).status_code == 401
    # Rotation: both keys work during the grace period, the old one not after.
    new = jctl(dsn, "key", "rotate", str(live["id"]), "--grace", "1h")
    assert status(live["key"]) == 200 and status(new["key"]) == 200
    jctl(dsn, "key", "rotate", str(new["id"]), "--grace", "0")
    assert status(new["key"]) == 401 and status(live["key"]) == 200
    ctl(dsn, "key", "revoke", str(live["id"]))
    assert status(live["key"]) == 401


# ---- the manual page -------------------------------------------------------------

MAN_PAGE = os.path.join(programs.REPO_ROOT, "ctl", "pgjobctl.1")


def test_man_page_renders_without_warnings():
    proc = subprocess.run(["groff", "-man", "-ww", "-z", MAN_PAGE], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_man_page_covers_every_command_and_option(run_ctl):
    import re
    with open(MAN_PAGE, encoding="utf-8") as f:
        page = f.read().replace("\\-", "-")
    for command in COMMANDS:
        assert re.search(rf"^\.SS \"?{command}\b", page, re.M), command
        helptext = run_ctl(command, "--help").stdout
        for option in set(re.findall(r"--[a-z][a-z0-9-]*", helptext)):
            assert option in page, f"{command} {option} is not in pgjobctl.1"
    section = page[page.index(".SH EXIT STATUS"):page.index(".SH ENVIRONMENT")]
    for code in (0, 1, 2, 3, 4, 5, 69, 75, 78):
        assert f".B {code}\n" in section, code
