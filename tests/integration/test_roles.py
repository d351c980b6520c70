# SPDX-License-Identifier: MIT
"""sql/roles.sql.example, run with psql as an operator would: pgjobd
connected as the role pgjob and pgjob.fcgi (behind lighttpd) as pgjob_web
do their whole work with only the grants it gives: submit, long-poll,
list, cancel, pause, resume, results, metrics; claims, outcomes, retries,
rescues, expiry and pruning.  Each role is refused what it does not need:
the tables, and the other's functions."""

import contextlib
import os
import re
import shutil
import subprocess

import psycopg2
import pytest

import programs

pytest.register_assert_rewrite("web")
from daemon import acct, daemon, ddir, probe  # noqa: F401,E402
from daemon import script, wait_status, wait_until  # noqa: E402
from web import describe, metric, new_account, prometheus  # noqa: E402

pytest_plugins = ("web",)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "sql", "roles.sql.example")


# The functions pgjobd and pgjob.fcgi call, but api_key_lookup and get_job.
WORKER_FUNCTIONS = ["claim", "heartbeat", "renew", "complete", "fail", "release", "rescue",
                    "expire", "prune", "document_fetch", "result_cache_prune"]
WEB_FUNCTIONS = ["submit", "list_jobs", "get_results", "cancel", "pause", "resume",
                 "queue_depth", "outcome_counts", "submit_document", "get_all_results",
                 "submit_group"]


def as_role(dsn, role):
    return re.sub(r"\buser=\S+", f"user={role}", dsn)


def run_script(dsn):
    proc = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", SCRIPT],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def refused(dsn, sql):
    """Whether sql, run as dsn's role, is refused for lack of privilege."""
    c = psycopg2.connect(dsn)
    try:
        with c.cursor() as cur:
            cur.execute(sql)
        return False
    except psycopg2.errors.InsufficientPrivilege:
        return True
    finally:
        c.close()


def test_migrate_gives_submit_group_the_rights_of_submit(pg, empty_db, connect):
    """018 adds pgjob.submit_group, the write of pgjob.fcgi's grouped
    submits: on a database whose submit has the services' rights, it gets
    the same (SECURITY DEFINER, its search_path, no EXECUTE for PUBLIC,
    EXECUTE for pgjob_web), so pgjob_web can still submit."""
    cur = _migrated_by_hand(pg, connect, empty_db.name, 17)
    _give_rights(cur, "submit", "pgjob_web")
    out = _migrate(empty_db)
    assert "applied 018_submit_group" in out, out
    kept = [(True, ["search_path=pg_catalog, pgjob, pg_temp"], False, True)]
    assert _rights(cur, "submit", "pgjob_web") == kept
    assert _rights(cur, "submit_group", "pgjob_web") == kept
    assert _rights(cur, "submit_group", "pgjob") == [(True, kept[0][1], False, False)]


def test_a_fresh_submit_group_has_the_rights_of_a_fresh_submit(pg, empty_db, connect):
    """Where nobody set rights, submit_group is left as submit is."""
    _migrate(empty_db)
    cur = connect(empty_db.name).cursor()
    cur.execute("SELECT current_user")
    me = cur.fetchone()[0]
    assert _rights(cur, "submit_group", me) == _rights(cur, "submit", me) == \
        [(False, None, True, True)]


def test_submit_group_takes_the_owner_of_submit(pg, empty_db, connect):
    """Where submit is SECURITY DEFINER under an owner other than the
    role that migrates, submit_group gets that owner too: it must run with
    submit's rights, not with the migrating role's."""
    pg.execute("""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob_owner') THEN
            CREATE ROLE pgjob_owner NOLOGIN;
        END IF;
    END $$""")
    cur = _migrated_by_hand(pg, connect, empty_db.name, 17)
    cur.execute("ALTER FUNCTION pgjob.submit(bigint, text, jsonb, integer, timestamptz, integer,"
                " jsonb, text, bigint, interval) OWNER TO pgjob_owner")
    _give_rights(cur, "submit", "pgjob_web")
    _migrate(empty_db)
    cur.execute("""SELECT proname, proowner::regrole::text FROM pg_proc
                    WHERE pronamespace = 'pgjob'::regnamespace
                      AND proname IN ('submit', 'submit_group') ORDER BY 1""")
    assert cur.fetchall() == [("submit", "pgjob_owner"), ("submit_group", "pgjob_owner")]
    kept = [(True, ["search_path=pg_catalog, pgjob, pg_temp"], False, True)]
    assert _rights(cur, "submit_group", "pgjob_web") == kept
    assert _rights(cur, "submit_group", "pgjob_owner") == kept


@pytest.mark.skipif(shutil.which("psql") is None, reason="no psql")
def test_roles_script_grants_exactly_what_each_service_needs(conn, dsn):
    run_script(dsn)
    run_script(dsn)  # idempotent
    with conn.cursor() as cur:
        cur.execute("""SELECT grantee, table_name, privilege_type
                         FROM information_schema.role_table_grants
                        WHERE grantee IN ('pgjob', 'pgjob_web') AND table_schema = 'pgjob'
                        ORDER BY 1, 2, 3""")
        tables = cur.fetchall()
        cur.execute("""SELECT DISTINCT grantee, table_name, privilege_type
                         FROM information_schema.column_privileges
                        WHERE grantee IN ('pgjob', 'pgjob_web') AND table_schema = 'pgjob'
                          AND table_name IN ('job', 'api_key')
                        ORDER BY 1, 2, 3""")
        columns = cur.fetchall()
        cur.execute("""SELECT proname FROM pg_proc
                        WHERE pronamespace = 'pgjob'::regnamespace AND prosecdef
                          AND proconfig = '{"search_path=pg_catalog, pgjob, pg_temp"}'
                          AND NOT has_function_privilege('public', oid, 'EXECUTE')
                        ORDER BY 1""")
        definers = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT proname FROM pg_proc
                        WHERE pronamespace = 'pgjob'::regnamespace AND prosecdef
                        ORDER BY 1""")
        all_definers = [r[0] for r in cur.fetchall()]
    assert tables == [("pgjob", "merchant", "SELECT"), ("pgjob", "schema_migration", "SELECT"),
                      ("pgjob_web", "schema_migration", "SELECT")]
    # The functions the services call but the two inlined reads of a
    # status request, and nothing else.
    assert definers == sorted(WORKER_FUNCTIONS + WEB_FUNCTIONS), definers
    # And the triggers of the outcome counters (sql/009_metrics.sql) and
    # of documents (sql/010_documents.sql), definers of their own that
    # nobody can call.
    assert all_definers == sorted(definers + ["count_outcomes", "document_done"]), all_definers
    assert columns == [("pgjob_web", "api_key", "SELECT"), ("pgjob_web", "job", "SELECT")]
    worker, web = as_role(dsn, "pgjob"), as_role(dsn, "pgjob_web")
    for dsn_ in (worker, web):
        assert refused(dsn_, "SELECT items FROM pgjob.job")
        assert refused(dsn_, "UPDATE pgjob.job SET status = 'completed'")
        assert refused(dsn_, "DELETE FROM pgjob.job")
        assert refused(dsn_, "SELECT label FROM pgjob.api_key")
        assert refused(dsn_, "UPDATE pgjob.api_key SET revoked_at = NULL")
        assert refused(dsn_, "SELECT pgjob.create_account('intruder')")
    assert refused(worker, "SELECT count(*) FROM pgjob.job")
    assert refused(web, "SELECT * FROM pgjob.claim('w', 1)")
    assert refused(web, "SELECT pgjob.expire(1)")
    assert refused(worker, "SELECT * FROM pgjob.submit(1, 'echo', '[1]'::jsonb)")
    assert refused(worker, "SELECT * FROM pgjob.api_key_lookup('\\x00'::bytea)")
    # pgjob.fcgi's grouped submits: pgjob_web writes a group, pgjob may not.
    with conn.cursor() as cur:
        cur.execute("SELECT pgjob.create_account('grouped')")
        account = cur.fetchone()[0]
    group = ("SELECT s.created FROM pgjob.submit_group(ARRAY[%d]::bigint[], ARRAY[NULL]::bytea[],"
             " ARRAY[NULL]::bigint[], ARRAY['echo'], ARRAY['{\"items\": [1]}']::jsonb[], ARRAY[0],"
             " ARRAY[NULL]::timestamptz[], ARRAY[3]) s" % account)
    assert refused(worker, group)
    with contextlib.closing(psycopg2.connect(web)) as c, c.cursor() as cur:
        cur.execute(group)
        assert cur.fetchall() == [(True,)]


@pytest.fixture
def owned_db(pg, empty_db):
    """As docs/deployment.md sets it up: the roles made by a superuser, a
    database owned by pgjob_admin (no superuser), migrated by pgjobctl as
    pgjob_admin, roles.sql.example run as pgjob_admin.  Its conninfo as
    pgjob_admin."""
    pg.execute("""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob_admin') THEN
            CREATE ROLE pgjob_admin LOGIN NOSUPERUSER NOCREATEROLE;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob') THEN
            CREATE ROLE pgjob LOGIN;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob_web') THEN
            CREATE ROLE pgjob_web LOGIN;
        END IF;
    END $$""")
    pg.execute(f'ALTER DATABASE "{empty_db.name}" OWNER TO pgjob_admin')
    admin = as_role(empty_db.dsn, "pgjob_admin")
    proc = subprocess.run(programs.ctl_argv("migrate", "--database", admin), capture_output=True,
                          text=True, env=programs.clean_env(), timeout=programs.CTL_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_script(admin)
    return admin


@pytest.mark.skipif(shutil.which("psql") is None, reason="no psql")
def test_services_work_with_only_the_roles_grants(owned_db, daemon, ddir, lighttpd, client):
    dsn = owned_db
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    worker_dsn, web_dsn = as_role(dsn, "pgjob"), as_role(dsn, "pgjob_web")
    with conn.cursor() as cur:
        cur.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'pgjob'")
        assert cur.fetchone()[0] == "pgjob_admin"
    flaky = script(ddir, "flaky.sh",
                   'cat >/dev/null; [ "$PGJOB_ATTEMPT" -ge 2 ] && echo \'{"ok":1}\' && exit 0;'
                   " exit 1\n")
    d = daemon({"exec.flaky.command": flaky}, database=worker_dsn, expire_interval_seconds=1,
               prune_interval_seconds=1, prune_after_days=0)
    server = lighttpd(database=web_dsn, wait_max_seconds=20, exec__flaky__command=flaky)
    account = new_account(conn)
    c = client(server, account.key)

    # Submit and long-poll until pgjobd has run it.
    r = c.submit("echo", ["a", "b"])
    assert r.status_code == 202, describe(r)
    job_id = r.json()["id"]
    # A long-poll answers at each change: queued, processing, completed.
    for _ in range(5):
        r = c.get(f"/v1/jobs/{job_id}?wait=20")
        assert r.status_code == 200, describe(r)
        if r.json()["status"] == "completed":
            break
    assert r.json()["status"] == "completed", describe(r)
    r = c.get(f"/v1/jobs/{job_id}/results")
    assert r.status_code == 200, describe(r)
    assert c.get("/v1/jobs").json()["jobs"][0]["id"] == job_id

    # A retry (fail, then complete on attempt 2).
    r = c.submit("flaky", ["x"], max_attempts=3)
    assert r.status_code == 202, describe(r)
    retried = r.json()["id"]
    wait_status(conn, retried, "completed")

    # Pause, resume and cancel of a job no daemon can run (run later).
    r = c.submit("echo", ["later"], run_at="2999-01-01T00:00:00Z")
    later = r.json()["id"]
    for action, status in (("pause", "paused"), ("resume", "queued"), ("cancel", "canceled")):
        r = c.post(f"/v1/jobs/{later}/{action}")
        assert r.status_code == 200 and r.json()["status"] == status, describe(r)

    # A rescue: a job claimed by a daemon that died, its lease run out.
    # Submitted and claimed in one transaction: pgjobd never sees it queued.
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT (s.job).id FROM pgjob.submit(%s, 'echo', '[1]'::jsonb) s",
                    (account.account_id,))
        orphan = str(cur.fetchone()[0])
        cur.execute("SELECT id FROM pgjob.claim('dead:1', 10)")
        assert [str(r[0]) for r in cur.fetchall()] == [orphan]
        cur.execute("COMMIT")
        cur.execute("UPDATE pgjob.lease SET lease_until = now() - interval '1 s'")
    wait_status(conn, orphan, "completed")

    # Expiry and pruning by the maintainer, as pgjob.
    with conn.cursor() as cur:
        cur.execute("UPDATE pgjob.job SET expires_at = now() - interval '1 s',"
                    " sweep_at = now() - interval '1 s' WHERE id = %s",
                    (job_id,))
    wait_until(conn, "SELECT NOT EXISTS (SELECT FROM pgjob.job WHERE id = %s)", (job_id,),
               what="the job to be expired and pruned")

    # The metrics and the health check of the front end.
    text = c.get("/metrics").text
    samples = prometheus(text)
    assert metric(samples, "pgjob_database_up") == 1
    assert metric(samples, "pgjob_job_outcomes_total", type="echo", outcome="completed") == 2
    assert metric(samples, "pgjob_job_outcomes_total", type="flaky", outcome="retried") == 1
    assert metric(samples, "pgjob_job_outcomes_total", type="echo", outcome="canceled") == 1
    assert metric(samples, "pgjob_job_outcomes_total", type="echo", outcome="expired") == 1
    assert c.get("/v1/health").status_code == 200

    assert not d.log_lines(r"permission denied|ERROR"), d.log()
    assert "permission denied" not in server.log_block(0)
    conn.close()


# The functions migration 007 replaces (CREATE OR REPLACE), with the role
# roles.sql.example grants each to.
REPLACED_BY_007 = {"complete": "pgjob", "fail": "pgjob", "rescue": "pgjob", "expire": "pgjob",
                   "prune": "pgjob", "cancel": "pgjob_web"}


def _migrations():
    """[(version, name, path)] of sql/NNN_*.sql in order."""
    found = []
    for name in sorted(os.listdir(os.path.join(ROOT, "sql"))):
        if re.fullmatch(r"\d{3}_.*\.sql", name):
            found.append((int(name[:3]), name[:-4], os.path.join(ROOT, "sql", name)))
    return found


def _rights(cur, name, role=None):
    """[(definer, config, public may execute, role may execute)] per
    signature of pgjob.name; role: REPLACED_BY_007's by default."""
    cur.execute("""SELECT p.prosecdef, p.proconfig,
                          has_function_privilege('public', p.oid, 'EXECUTE'),
                          has_function_privilege(%s, p.oid, 'EXECUTE')
                     FROM pg_proc p
                    WHERE p.pronamespace = 'pgjob'::regnamespace AND p.proname = %s""",
                (role or REPLACED_BY_007[name], name))
    return cur.fetchall()


def _migrated_by_hand(pg, connect, db_name, upto):
    """The services' roles, and db_name migrated to version upto as an
    older pgjobctl left it (common/schema.c: the table, then each file
    with its row, in one transaction).  An open cursor on it."""
    pg.execute("""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob') THEN
            CREATE ROLE pgjob LOGIN;
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgjob_web') THEN
            CREATE ROLE pgjob_web LOGIN;
        END IF;
    END $$""")
    cur = connect(db_name).cursor()
    cur.execute("CREATE SCHEMA pgjob")
    cur.execute("CREATE TABLE pgjob.schema_migration (version int PRIMARY KEY, name text NOT NULL,"
                " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
    for version, name, path in [m for m in _migrations() if m[0] <= upto]:
        text = open(path, encoding="utf-8").read()
        cur.execute("BEGIN")
        cur.execute(text)
        cur.execute("INSERT INTO pgjob.schema_migration (version, name, checksum)"
                    " VALUES (%s, %s, md5(%s))", (version, name, text))
        cur.execute("COMMIT")
    return cur


def _give_rights(cur, name, role):
    """What roles.sql.example gives every signature of pgjob.name."""
    cur.execute("""DO $$ DECLARE f regprocedure; BEGIN
        FOR f IN SELECT oid::regprocedure FROM pg_proc
                  WHERE pronamespace = 'pgjob'::regnamespace AND proname = '%s' LOOP
            EXECUTE format('ALTER FUNCTION %%s SECURITY DEFINER
                            SET search_path = pg_catalog, pgjob, pg_temp', f);
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %%s FROM PUBLIC', f);
            EXECUTE format('GRANT EXECUTE ON FUNCTION %%s TO %s', f);
        END LOOP; END $$""" % (name, role))


def _migrate(db):
    proc = subprocess.run(programs.ctl_argv("migrate", "--database", db.dsn),
                          capture_output=True, text=True, env=programs.clean_env(),
                          timeout=programs.CTL_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_migrate_keeps_the_rights_of_the_functions_it_replaces(pg, empty_db, connect):
    """A database an older pgjob migrated to version 6, with the services'
    rights set as roles.sql.example sets them; `pgjobctl migrate` then
    applies 007, which replaces their functions: they keep SECURITY
    DEFINER, the search_path, no EXECUTE for PUBLIC and the role's."""
    cur = _migrated_by_hand(pg, connect, empty_db.name, 6)
    for name, role in REPLACED_BY_007.items():
        _give_rights(cur, name, role)
    kept = [(True, ["search_path=pg_catalog, pgjob, pg_temp"], False, True)]
    for name in REPLACED_BY_007:
        assert _rights(cur, name) == kept, name

    out = _migrate(empty_db)
    assert "applied 007_history" in out, out
    for name in REPLACED_BY_007:
        assert _rights(cur, name) == kept, name
    # What nobody changed stays as the migrations made it.
    cur.execute("""SELECT prosecdef, has_function_privilege('public', oid, 'EXECUTE')
                     FROM pg_proc WHERE oid = 'pgjob.create_account'::regproc""")
    assert cur.fetchone() == (False, True)


@pytest.mark.skipif(shutil.which("psql") is None, reason="no psql")
def test_roles_script_grants_every_overload(conn, dsn):
    """A function with two signatures: the script grants both (a GRANT by
    name alone is refused: "function name is not unique")."""
    with conn.cursor() as cur:
        cur.execute("CREATE FUNCTION pgjob.queue_depth(p_type text) RETURNS bigint"
                    " LANGUAGE sql AS 'SELECT 0::bigint'")
    run_script(dsn)
    with conn.cursor() as cur:
        cur.execute("""SELECT bool_and(has_function_privilege('pgjob_web', oid, 'EXECUTE')),
                              bool_or(has_function_privilege('public', oid, 'EXECUTE')), count(*)
                         FROM pg_proc WHERE pronamespace = 'pgjob'::regnamespace
                          AND proname = 'queue_depth'""")
        assert cur.fetchone() == (True, False, 2)
