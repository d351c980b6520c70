# SPDX-License-Identifier: MIT
"""`pgjobctl migrate` against a real PostgreSQL.

The rules checked here: every file sql/NNN_*.sql is applied once, in order,
and recorded in pgjob.schema_migration; applying again is a no-op; a
database that is ahead of this build, or whose applied migrations differ
from the files, is refused untouched; a migration that fails leaves no
trace; two concurrent runs apply each migration once; the database is
found from --database, PGJOB_DATABASE or the standard PG* variables.
"""

import glob
import hashlib
import os
import re
import subprocess

import pytest

import programs

SQL_DIR = os.path.join(programs.REPO_ROOT, "sql")


def _migration_files():
    """[(version, 'NNN_name')] for sql/NNN_*.sql in file-name order."""
    found = []
    for path in sorted(glob.glob(os.path.join(SQL_DIR,
                                              "[0-9][0-9][0-9]_*.sql"))):
        base = os.path.basename(path)[:-len(".sql")]
        found.append((int(base[:3]), base))
    return found


MIGRATIONS = _migration_files()
LATEST = MIGRATIONS[-1][0] if MIGRATIONS else 0

pytestmark = pytest.mark.skipif(not MIGRATIONS,
                                reason="sql/ has no NNN_*.sql migration yet")

# A snapshot of everything in schema pgjob that a migration can create or
# change.  Each row is (kind, name, detail); function bodies are compared by
# the md5 of their full definition.
SNAPSHOT_SQL = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = 'pgjob')
SELECT 'rel', c.relname::text,
       format('%s %s', c.relkind, c.reloptions)
  FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT 'col', format('%s.%s', c.relname, a.attname),
       format('%s %s notnull=%s default=%s identity=%s generated=%s',
              a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid), a.attidentity,
              a.attgenerated)
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE c.relnamespace IN (SELECT oid FROM ns)
   AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT 'constraint', format('%s.%s', conrelid::regclass, conname),
       pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT 'function',
       format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)),
       format('%s %s', p.prokind,
              CASE WHEN p.prokind IN ('f', 'p')
                   THEN md5(pg_get_functiondef(p.oid)) END)
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT 'trigger', format('%s.%s', t.tgrelid::regclass, t.tgname),
       pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace IN (SELECT oid FROM ns) AND NOT t.tgisinternal
UNION ALL
SELECT 'view', c.relname::text, md5(pg_get_viewdef(c.oid))
  FROM pg_class c
 WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 'type', t.typname::text, format('%s %s', t.typtype,
         (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_type t
 WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype IN ('e', 'd', 'c')
UNION ALL
SELECT 'extension', extname::text, extversion FROM pg_extension
ORDER BY 1, 2, 3
"""


def _snapshot(pg, dbname):
    """The schema catalog snapshot plus the recorded migrations."""
    rows = pg.execute(SNAPSHOT_SQL, dbname=dbname)
    return {"catalog": rows, "recorded": _recorded(pg, dbname, full=True)}


def _has_migration_table(pg, dbname):
    return pg.execute("SELECT to_regclass('pgjob.schema_migration') "
                      "IS NOT NULL", dbname=dbname)[0][0]


def _recorded(pg, dbname, full=False):
    """Rows of pgjob.schema_migration by version ([] if no table)."""
    if not _has_migration_table(pg, dbname):
        return []
    cols = ("version, name, checksum::text, applied_at" if full
            else "version, name")
    return pg.execute(f"SELECT {cols} FROM pgjob.schema_migration "
                      "ORDER BY version", dbname=dbname)


def _applied_lines(proc):
    return re.findall(r"^applied (\S+)\s*$", proc.stdout, re.MULTILINE)


def _up_to_date_line(version):
    return f"schema is up to date at version {version}"


def _assert_fully_migrated(pg, dbname, proc):
    recorded = _recorded(pg, dbname)
    versions = [row[0] for row in recorded]
    assert versions == [v for v, _ in MIGRATIONS], (
        f"schema_migration versions {versions} do not match the files "
        f"{MIGRATIONS}\n" + programs.describe(proc))


# ---- applying -----------------------------------------------------------

def test_migration_files_are_numbered_one_to_n():
    versions = [v for v, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1)), (
        f"sql/ migrations must be numbered 001..N without gaps or repeats: "
        f"{[name for _, name in MIGRATIONS]}")


def test_migrate_applies_every_migration_in_order(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", "--database", empty_db.dsn)
    assert _applied_lines(proc) == [name for _, name in MIGRATIONS], (
        programs.describe(proc))
    assert _up_to_date_line(LATEST) in proc.stdout, programs.describe(proc)
    recorded = _recorded(pg, empty_db.name, full=True)
    assert [r[0] for r in recorded] == list(range(1, LATEST + 1))
    for (version, name, checksum, applied_at), (fv, fname) in zip(
            recorded, MIGRATIONS):
        assert version == fv
        assert name in (fname, fname[4:]), (
            f"version {version} recorded as {name!r}, file is {fname}")
        assert checksum, f"version {version} has an empty checksum"
        assert applied_at is not None
    checksums = [r[2] for r in recorded]
    assert len(set(checksums)) == len(checksums), (
        f"different files recorded with equal checksums: {recorded}")


def test_recorded_checksum_is_md5_of_the_file(pg, empty_db, run_ctl):
    """schema.h: checksum = md5 of the migration's text, byte for byte, so
    it also proves the binary embeds the sql/ files as they are now."""
    run_ctl("migrate", "--database", empty_db.dsn)
    recorded = {r[0]: r[2] for r in _recorded(pg, empty_db.name, full=True)}
    for version, name in MIGRATIONS:
        with open(os.path.join(SQL_DIR, name + ".sql"), "rb") as f:
            want = hashlib.md5(f.read()).hexdigest()
        assert recorded.get(version) == want, (
            f"{name}: recorded checksum {recorded.get(version)!r}, md5 of "
            f"sql/{name}.sql is {want} (stale build? run make)")


def test_version_reports_the_latest_schema(run_ctl):
    proc = run_ctl("--version")
    assert f"schema version {LATEST}" in proc.stdout, (
        f"pgjobctl does not embed sql/ up to {MIGRATIONS[-1][1]} "
        "(stale build? run make)\n" + programs.describe(proc))


def test_migrated_schema_has_the_job_table(pg, empty_db, run_ctl):
    run_ctl("migrate", "--database", empty_db.dsn)
    assert pg.execute("SELECT to_regclass('pgjob.job') IS NOT NULL",
                      dbname=empty_db.name)[0][0]


def test_template_database_is_fully_migrated(pg, db_name):
    assert [r[0] for r in _recorded(pg, db_name)] == [
        v for v, _ in MIGRATIONS]


def test_second_migrate_is_a_no_op(pg, empty_db, run_ctl):
    run_ctl("migrate", "--database", empty_db.dsn)
    before = _snapshot(pg, empty_db.name)
    proc = run_ctl("migrate", "--database", empty_db.dsn)
    assert _applied_lines(proc) == [], (
        "second migrate applied something:\n" + programs.describe(proc))
    assert _up_to_date_line(LATEST) in proc.stdout, programs.describe(proc)
    assert _snapshot(pg, empty_db.name) == before


def test_snapshot_sees_schema_changes(pg, empty_db, run_ctl):
    """The no-op checks are only as good as the snapshot: prove it notices
    a changed function body, a new column and a new index."""
    run_ctl("migrate", "--database", empty_db.dsn)
    base = _snapshot(pg, empty_db.name)
    pg.execute("ALTER TABLE pgjob.job ADD COLUMN snapshot_probe int",
               dbname=empty_db.name)
    assert _snapshot(pg, empty_db.name) != base
    pg.execute("ALTER TABLE pgjob.job DROP COLUMN snapshot_probe",
               dbname=empty_db.name)
    assert _snapshot(pg, empty_db.name) == base
    pg.execute("CREATE FUNCTION pgjob.snapshot_probe() RETURNS int "
               "LANGUAGE sql AS 'SELECT 1'", dbname=empty_db.name)
    with_fn = _snapshot(pg, empty_db.name)
    assert with_fn != base
    pg.execute("CREATE OR REPLACE FUNCTION pgjob.snapshot_probe() "
               "RETURNS int LANGUAGE sql AS 'SELECT 2'",
               dbname=empty_db.name)
    assert _snapshot(pg, empty_db.name) != with_fn
    pg.execute("CREATE INDEX snapshot_probe_idx ON pgjob.job (created_at)",
               dbname=empty_db.name)
    assert "snapshot_probe_idx" in repr(_snapshot(pg, empty_db.name))


def test_status_lists_pending_and_changes_nothing(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", "--status", "--database", empty_db.dsn)
    pending = re.findall(r"^pending (\S+)$", proc.stdout, re.MULTILINE)
    assert pending == [name for _, name in MIGRATIONS], programs.describe(proc)
    assert not _has_migration_table(pg, empty_db.name), (
        "migrate --status created pgjob.schema_migration")
    assert pg.execute("SELECT count(*) FROM pg_namespace "
                      "WHERE nspname = 'pgjob'", dbname=empty_db.name) == [(0,)]


def test_status_after_migrate_lists_applied(pg, empty_db, run_ctl):
    run_ctl("migrate", "--database", empty_db.dsn)
    before = _snapshot(pg, empty_db.name)
    proc = run_ctl("migrate", "--status", "--database", empty_db.dsn)
    applied = re.findall(r"^applied (\S+) \S+", proc.stdout, re.MULTILINE)
    assert applied == [name for _, name in MIGRATIONS], programs.describe(proc)
    assert "pending" not in proc.stdout, programs.describe(proc)
    assert _up_to_date_line(LATEST) in proc.stdout, programs.describe(proc)
    assert _snapshot(pg, empty_db.name) == before


# ---- refusing -----------------------------------------------------------

def test_database_ahead_of_this_build_is_refused(pg, empty_db, run_ctl):
    run_ctl("migrate", "--database", empty_db.dsn)
    future = LATEST + 1
    pg.execute("INSERT INTO pgjob.schema_migration (version, name, checksum) "
               "SELECT %s, 'future', checksum FROM pgjob.schema_migration "
               "WHERE version = %s", (future, LATEST), dbname=empty_db.name)
    before = _snapshot(pg, empty_db.name)
    proc = run_ctl("migrate", "--database", empty_db.dsn, check=False)
    assert proc.returncode == 1, programs.describe(proc)
    assert str(future) in proc.stdout + proc.stderr, (
        f"the refusal should name version {future}\n" +
        programs.describe(proc))
    assert _applied_lines(proc) == []
    assert _snapshot(pg, empty_db.name) == before


def test_changed_applied_migration_is_refused(pg, empty_db, run_ctl):
    run_ctl("migrate", "--database", empty_db.dsn)
    # A different checksum of the same shape, whatever its type.
    ctype = pg.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'pgjob.schema_migration'::regclass "
        "AND attname = 'checksum'", dbname=empty_db.name)[0][0]
    if ctype == "bytea":
        tamper = ("UPDATE pgjob.schema_migration SET checksum = "
                  "set_byte(checksum, 0, (get_byte(checksum, 0) + 1) % 256) "
                  "WHERE version = 1")
    else:
        tamper = ("UPDATE pgjob.schema_migration SET checksum = "
                  "translate(checksum, '0123456789abcdefABCDEF', "
                  "'123456789abcdef0BCDEFA') WHERE version = 1")
    pg.execute(tamper, dbname=empty_db.name)
    before = _snapshot(pg, empty_db.name)
    proc = run_ctl("migrate", "--database", empty_db.dsn, check=False)
    assert proc.returncode == 1, programs.describe(proc)
    first = MIGRATIONS[0][1]
    out = proc.stdout + proc.stderr
    assert first in out or first[:3] in out, (
        f"the refusal should name migration {first}\n" +
        programs.describe(proc))
    assert _applied_lines(proc) == []
    assert _snapshot(pg, empty_db.name) == before


def test_failing_migration_leaves_no_trace(pg, empty_db, run_ctl):
    # A pgjob.job of another shape makes the first migration fail.
    pg.execute("CREATE SCHEMA pgjob; CREATE TABLE pgjob.job (x int)",
               dbname=empty_db.name)
    proc = run_ctl("migrate", "--database", empty_db.dsn, check=False)
    assert proc.returncode == 1, programs.describe(proc)
    first = MIGRATIONS[0][1]
    assert first in proc.stdout + proc.stderr, (
        f"the failure should name migration {first}\n" +
        programs.describe(proc))
    assert _applied_lines(proc) == []
    assert _recorded(pg, empty_db.name) == []
    relations = pg.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = "
        "'pgjob'::regnamespace AND relkind = 'r' ORDER BY 1",
        dbname=empty_db.name)
    assert [r[0] for r in relations] in (["job"], ["job", "schema_migration"]), (
        f"the failed migration left tables behind: {relations}")
    columns = pg.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'pgjob.job'::regclass "
        "AND attnum > 0 AND NOT attisdropped", dbname=empty_db.name)
    assert columns == [("x",)]
    # With the obstacle gone, the same database migrates cleanly: nothing
    # of the failed attempt was left half-done.
    pg.execute("DROP TABLE pgjob.job", dbname=empty_db.name)
    proc = run_ctl("migrate", "--database", empty_db.dsn)
    assert _applied_lines(proc) == [name for _, name in MIGRATIONS]
    _assert_fully_migrated(pg, empty_db.name, proc)


def test_unreachable_database_exits_69(pg, run_ctl):
    """EX_UNAVAILABLE, as for every pgjobctl command (pgjobctl(1))."""
    proc = run_ctl("migrate", "--database", pg.dsn("no_such_database"),
                   check=False)
    assert proc.returncode == 69, programs.describe(proc)
    assert "no_such_database" in proc.stderr, programs.describe(proc)


# ---- finding the database -------------------------------------------------

def test_pgjob_database_env(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", env={"PGJOB_DATABASE": empty_db.dsn})
    _assert_fully_migrated(pg, empty_db.name, proc)


def test_standard_libpq_env(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", env=pg.libpq_env(empty_db.name))
    _assert_fully_migrated(pg, empty_db.name, proc)


def test_postgresql_url(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", "--database", empty_db.url)
    _assert_fully_migrated(pg, empty_db.name, proc)


def test_database_option_beats_environment(pg, empty_db, run_ctl):
    proc = run_ctl("migrate", "--database", empty_db.dsn,
                   env={"PGJOB_DATABASE": pg.dsn("no_such_database")})
    _assert_fully_migrated(pg, empty_db.name, proc)


# ---- usage --------------------------------------------------------------

def test_help_exits_0(run_ctl):
    proc = run_ctl("--help")
    assert "migrate" in proc.stdout, programs.describe(proc)


def test_migrate_help_exits_0(run_ctl):
    proc = run_ctl("migrate", "--help")
    assert "--database" in proc.stdout, programs.describe(proc)


def test_unknown_subcommand_exits_2(run_ctl):
    proc = run_ctl("frobnicate", check=False)
    assert proc.returncode == 2, programs.describe(proc)
    assert proc.stderr.strip(), "a usage error should say why on stderr"


def test_no_subcommand_exits_2(run_ctl):
    proc = run_ctl(check=False)
    assert proc.returncode == 2, programs.describe(proc)


def test_unknown_migrate_option_exits_2(run_ctl, empty_db, pg):
    proc = run_ctl("migrate", "--database", empty_db.dsn, "--no-such-option",
                   check=False)
    assert proc.returncode == 2, programs.describe(proc)
    assert _recorded(pg, empty_db.name) == []


# ---- concurrency --------------------------------------------------------

def test_concurrent_migrations_apply_each_once(pg, empty_db, run_ctl):
    argv = programs.ctl_argv("migrate", "--database", empty_db.dsn)
    env = programs.clean_env()
    procs = [subprocess.Popen(argv, env=env, text=True, cwd=programs.REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    done = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=programs.CTL_TIMEOUT)
            done.append(subprocess.CompletedProcess(argv, proc.returncode,
                                                    out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    report = "\n".join(programs.describe(p) for p in done)
    assert [p.returncode for p in done] == [0, 0], report
    applied = _applied_lines(done[0]) + _applied_lines(done[1])
    assert sorted(applied) == [name for _, name in MIGRATIONS], (
        "each migration must be applied by exactly one of the two runs\n"
        + report)
    for p in done:
        assert _up_to_date_line(LATEST) in p.stdout, report
    _assert_fully_migrated(pg, empty_db.name, done[0])
