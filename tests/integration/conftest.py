# SPDX-License-Identifier: MIT
"""Fixtures for the integration tests: a real PostgreSQL and real programs.

Session:
  pg            the running PgServer (tests/integration/pgserver.py)
  bindir        absolute build folder holding the programs ($PGJOB_BUILD)
  template_db   name of a database migrated once by `pgjobctl migrate`
Per test:
  db_name       a fresh copy of the template (dropped afterwards)
  dsn, db_url   its libpq conninfo (Unix socket) and postgresql:// URL
  connect       factory: connect(dbname=None, autocommit=True) -> psycopg2
                connection, closed at teardown
  conn          one autocommit connection to db_name
  empty_db      a fresh database with nothing applied (a Database tuple)
  run_ctl       run pgjobctl: run_ctl(*args, env=None, check=True)
"""

import atexit
import collections
import itertools
import os
import signal

import pytest

import programs
from pgserver import PgServer

Database = collections.namedtuple("Database", "name dsn url")

TEMPLATE_DB = "pgjob_template"

_db_counter = itertools.count(1)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sql_only: the module drives only pgjob's SQL functions through "
        "psycopg2 and runs none of our programs; the sanitizer run (make asan, "
        "PGJOB_SANITIZED=1) skips it, since a sanitizer build changes nothing there")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PGJOB_SANITIZED") != "1":
        return
    skip = pytest.mark.skip(reason="SQL only: make test runs it; a sanitizer build "
                            "changes nothing here")
    for item in items:
        if item.get_closest_marker("sql_only"):
            item.add_marker(skip)


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def pg(request):
    """The session's PostgreSQL server, removed at the end of the session
    (by the finalizer, or by atexit if the run is cut short)."""
    # A plain SIGTERM would end Python without running finalizers or atexit
    # hooks; turn it into KeyboardInterrupt so the server is still removed.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    server = PgServer()
    atexit.register(server.cleanup)
    request.addfinalizer(server.cleanup)
    server.setup()
    return server


@pytest.fixture(scope="session")
def bindir():
    """Absolute path of the build folder; fails if pgjobctl is not built."""
    try:
        programs.program("pgjobctl")
    except programs.MissingProgram as e:
        pytest.fail(str(e), pytrace=False)
    return programs.build_dir()


@pytest.fixture(scope="session")
def run_ctl(bindir):
    """The programs.run_ctl helper, once pgjobctl is known to exist."""
    return programs.run_ctl


@pytest.fixture(scope="session")
def template_db(pg, run_ctl):
    """A database migrated by the real `pgjobctl migrate`, to copy from."""
    pg.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    run_ctl("migrate", "--database", pg.dsn(TEMPLATE_DB))
    return TEMPLATE_DB


def _ensure_running(pg):
    # A test may stop the server on purpose; drops need it back up.
    if not pg.running:
        pg.start()


def _drop(pg, name):
    _ensure_running(pg)
    pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_name(pg, template_db):
    """A fresh migrated database for this test; dropped afterwards."""
    name = f"t_{next(_db_counter)}"
    _ensure_running(pg)
    pg.execute(f'CREATE DATABASE "{name}" TEMPLATE {template_db} '
               "STRATEGY FILE_COPY")
    yield name
    _drop(pg, name)


@pytest.fixture
def dsn(pg, db_name):
    """libpq conninfo of db_name (Unix socket)."""
    return pg.dsn(db_name)


@pytest.fixture
def db_url(pg, db_name):
    """postgresql:// URL of db_name (TCP, 127.0.0.1)."""
    return pg.url(db_name)


@pytest.fixture
def connect(pg, request):
    """Factory for extra psycopg2 connections, all closed at teardown.

    connect(dbname=None, autocommit=True): dbname defaults to the test's
    db_name (requested lazily, so tests on empty_db need no template).
    """
    opened = []

    def _connect(dbname=None, autocommit=True):
        if dbname is None:
            dbname = request.getfixturevalue("db_name")
        _ensure_running(pg)
        conn = pg.connect(dbname, autocommit=autocommit)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def conn(connect, db_name):
    """An autocommit psycopg2 connection to db_name."""
    return connect(db_name)


@pytest.fixture
def empty_db(pg):
    """A fresh database with no migration applied; dropped afterwards."""
    name = f"e_{next(_db_counter)}"
    _ensure_running(pg)
    pg.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    yield Database(name, pg.dsn(name), pg.url(name))
    _drop(pg, name)
