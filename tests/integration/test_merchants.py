# SPDX-License-Identifier: MIT
"""The merchant table of the enrich handler (sql/005_merchants.sql): the
shipped rows `pgjobctl migrate` keeps up to date, operators' rows, pgjobd
reading the table at start and on SIGHUP, and the result cache.

Every wait is for an event (a log line, a job status), never for time.
"""

import os
import re
import signal
import subprocess

import programs
# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir  # noqa: F401
from daemon import rows, submit, value, wait_status

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shipped_names():
    """The merchant names of daemon/handlers/merchants.tsv."""
    names = []
    with open(os.path.join(ROOT, "daemon", "handlers", "merchants.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                names.append(line.split("\t")[0])
    return names


SHIPPED = len(shipped_names())


def sync_line(proc):
    m = re.search(r"^merchants: (\d+) shipped \((\d+) added, (\d+) updated, (\d+) removed\)$",
                  proc.stdout, re.M)
    assert m, programs.describe(proc)
    return tuple(int(g) for g in m.groups())


def snapshot(conn):
    """Every row with its physical version, to prove nothing was written."""
    return rows(conn, "SELECT name, xmin::text AS xmin, updated_at, origin "
                      "FROM pgjob.merchant ORDER BY name")


def add_operator(conn, name, aliases, category="restaurants", domain=None, mcc=None):
    conn.cursor().execute(
        "INSERT INTO pgjob.merchant (name, domain, category, mcc, channel, aliases) "
        "VALUES (%s, %s, %s, %s, 'in_store', %s)", (name, domain, category, mcc, aliases))


def enrich(conn, acct, items):
    """Run one enrich job; return (results, cache_hit)."""
    jid = submit(conn, acct, "enrich", items)
    j = wait_status(conn, jid, "completed")
    return j["results"], j["cache_hit"]


def out(result):
    assert result["status"] == "completed", result
    return result["output"]


def sighup_and_wait(d):
    """SIGHUP d and wait until it loaded the merchant table again."""
    mark = d.log_mark()
    d.send(signal.SIGHUP)
    return d.wait_log(r"merchant table loaded: (\d+) merchants \((\d+) of operators\).*"
                      r", (\d+) bad rows skipped", since=mark)


# ---- pgjobctl migrate ------------------------------------------------------------

def test_migrate_loads_the_shipped_merchants_once(pg, empty_db, run_ctl, connect):
    assert SHIPPED >= 500
    proc = run_ctl("migrate", "--database", empty_db.dsn)
    assert sync_line(proc) == (SHIPPED, SHIPPED, 0, 0)
    conn = connect(empty_db.name)
    assert value(conn, "SELECT count(*) FROM pgjob.merchant WHERE origin = 'shipped'") == SHIPPED
    assert sorted(r["name"] for r in rows(conn, "SELECT name FROM pgjob.merchant")) == \
        sorted(shipped_names())
    netflix = rows(conn, "SELECT * FROM pgjob.merchant WHERE name = 'Netflix'")[0]
    assert netflix["domain"] == "netflix.com" and netflix["category"] == "subscriptions"
    assert netflix["subscription"] is True and netflix["origin"] == "shipped"
    assert isinstance(netflix["aliases"], list) and netflix["aliases"]
    # Empty domain and MCC in the file are NULL in the table.
    assert value(conn, "SELECT count(*) FROM pgjob.merchant WHERE domain = '' OR mcc = ''") == 0

    before = snapshot(conn)
    proc = run_ctl("migrate", "--database", empty_db.dsn)
    assert sync_line(proc) == (SHIPPED, 0, 0, 0)
    assert snapshot(conn) == before


def test_migrate_resyncs_shipped_rows_and_leaves_operator_rows(conn, dsn, run_ctl):
    c = conn.cursor()
    add_operator(conn, "Corner Deli", ["ZQXDELI MARKET"], domain="cornerdeli.example")
    # An operator took Netflix over; a shipped row was edited, one deleted,
    # one is no longer shipped.
    c.execute("UPDATE pgjob.merchant SET origin = 'operator', domain = 'mine.example' "
              "WHERE name = 'Netflix'")
    c.execute("UPDATE pgjob.merchant SET domain = 'wrong.example' WHERE name = 'Spotify'")
    c.execute("DELETE FROM pgjob.merchant WHERE name = 'Walmart'")
    c.execute("INSERT INTO pgjob.merchant (name, category, origin) "
              "VALUES ('Gone Merchant', 'shopping', 'shipped')")
    operator_before = rows(conn, "SELECT *, xmin::text AS x FROM pgjob.merchant "
                                 "WHERE origin = 'operator' ORDER BY name")

    proc = run_ctl("migrate", "--database", dsn)
    assert sync_line(proc) == (SHIPPED, 1, 1, 1)
    assert value(conn, "SELECT domain FROM pgjob.merchant WHERE name = 'Spotify'") == "spotify.com"
    assert value(conn, "SELECT count(*) FROM pgjob.merchant WHERE name = 'Walmart'") == 1
    assert value(conn, "SELECT count(*) FROM pgjob.merchant WHERE name = 'Gone Merchant'") == 0
    assert rows(conn, "SELECT *, xmin::text AS x FROM pgjob.merchant "
                      "WHERE origin = 'operator' ORDER BY name") == operator_before
    assert [r["name"] for r in operator_before] == ["Corner Deli", "Netflix"]
    assert sync_line(run_ctl("migrate", "--database", dsn)) == (SHIPPED, 0, 0, 0)


def test_the_table_refuses_malformed_rows(conn):
    import psycopg2
    bad = [
        ("X1", "gambling", None, "any", []),
        ("X2", "shopping", "12", "any", []),
        ("X3", "shopping", None, "mail", []),
        ("X4", "shopping", None, "any", ["A|B"]),
        ("X5", "shopping", None, "any", [None]),
    ]
    for name, category, mcc, channel, aliases in bad:
        try:
            conn.cursor().execute(
                "INSERT INTO pgjob.merchant (name, category, mcc, channel, aliases) "
                "VALUES (%s, %s, %s, %s, %s)", (name, category, mcc, channel, aliases))
        except psycopg2.errors.CheckViolation:
            continue
        raise AssertionError(f"{name} was accepted")
    assert value(conn, "SELECT origin FROM pgjob.merchant WHERE name = 'Netflix'") == "shipped"


# ---- pgjobd reads the table ------------------------------------------------------------

def test_operator_merchant_is_used_after_sighup(daemon, conn, acct):
    d = daemon()
    m = d.wait_log(r"merchant table loaded: (\d+) merchants \((\d+) of operators\)")
    assert (int(m.group(1)), int(m.group(2))) == (SHIPPED, 0)
    item = "POS DEBIT ZQXDELI MARKET 0412 OAKLAND CA"
    results, _ = enrich(conn, acct, [item])
    assert out(results[0])["merchant"] != "Corner Deli"

    add_operator(conn, "Corner Deli", ["ZQXDELI MARKET"], domain="cornerdeli.example",
                 mcc="5812")
    m = sighup_and_wait(d)
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (SHIPPED + 1, 1, 0)
    results, cache_hit = enrich(conn, acct, [item])
    o = out(results[0])
    assert (o["merchant"], o["domain"], o["category"]) == (
        "Corner Deli", "cornerdeli.example", "restaurants")
    assert o["location"]["city"] == "Oakland"
    # The same descriptor as before, but a new table: the rules answer it.
    assert o["source"] == "rules" and cache_hit is False
    assert d.stop() == 0


def test_bad_operator_row_is_skipped_and_the_rest_load(daemon, conn, acct):
    add_operator(conn, "Acme Tools", ["ACME"], category="shopping")
    add_operator(conn, "Acme Toys", ["A.C.M.E."], category="shopping")
    add_operator(conn, "Corner Deli", ["ZQXDELI MARKET"])
    # An operator alias wins over a shipped merchant's.
    add_operator(conn, "My Streaming", ["NETFLIX"], category="entertainment")
    d = daemon()
    d.wait_log(r'WARN pgjobd: merchant table: merchant "Acme Toys" skipped: "A\.C\.M\.E\." '
               r'has the key of merchant "Acme Tools"')
    m = d.wait_log(r"merchant table loaded: (\d+) merchants \((\d+) of operators\).*"
                   r", (\d+) bad rows skipped, (\d+) shipped keys taken")
    assert tuple(int(g) for g in m.groups()) == (SHIPPED + 3, 3, 1, 1)
    results, _ = enrich(conn, acct, ["ACME HARDWARE 12", "ZQXDELI MARKET", "NETFLIX"])
    assert [out(r)["merchant"] for r in results] == ["Acme Tools", "Corner Deli",
                                                     "My Streaming"]
    assert d.stop() == 0


def test_unreadable_table_keeps_the_running_one(daemon, conn, acct):
    add_operator(conn, "Corner Deli", ["ZQXDELI MARKET"])
    d = daemon()
    d.wait_log(r"merchant table loaded: \d+ merchants \(1 of operators\)")
    conn.cursor().execute("ALTER TABLE pgjob.merchant RENAME TO merchant_away")
    mark = d.log_mark()
    d.send(signal.SIGHUP)
    d.wait_log(r"ERROR pgjobd: cannot load the merchant table, keeping the current one: "
               r".*merchant", since=mark)
    results, _ = enrich(conn, acct, ["ZQXDELI MARKET"])
    assert out(results[0])["merchant"] == "Corner Deli"
    conn.cursor().execute("ALTER TABLE pgjob.merchant_away RENAME TO merchant")
    assert d.stop() == 0


def test_empty_table_falls_back_to_the_built_in_merchants(daemon, conn, acct):
    conn.cursor().execute("DELETE FROM pgjob.merchant")
    d = daemon()
    d.wait_log(r"WARN pgjobd: pgjob.merchant is empty .*using the merchants built into pgjobd")
    d.wait_log(rf"merchant table loaded: {SHIPPED} merchants")
    results, _ = enrich(conn, acct, ["NETFLIX.COM"])
    assert out(results[0])["merchant"] == "Netflix"
    assert d.stop() == 0


# ---- the result cache ------------------------------------------------------------------

def test_repeated_descriptor_comes_from_the_cache(daemon, conn, acct):
    d = daemon()
    netflix = {"description": "NETFLIX.COM", "custom_id": "n"}
    results, cache_hit = enrich(conn, acct, [netflix, "SPOTIFY USA", netflix])
    assert [out(r)["source"] for r in results] == ["rules", "rules", "cache"]
    assert cache_hit is True
    first, third = out(results[0]), out(results[2])
    assert results[2]["custom_id"] == "n"
    assert {**first, "source": None} == {**third, "source": None}
    # Another job: a known item is a hit, a new one is not.
    results, cache_hit = enrich(conn, acct, ["SPOTIFY USA"])
    assert out(results[0])["source"] == "cache" and cache_hit is True
    # Another field is another item.
    results, cache_hit = enrich(conn, acct, [{**netflix, "amount": 15.49}])
    assert out(results[0])["source"] == "rules" and cache_hit is False
    # A reload starts with an empty cache.
    sighup_and_wait(d)
    results, cache_hit = enrich(conn, acct, [netflix, netflix])
    assert [out(r)["source"] for r in results] == ["rules", "cache"]
    assert d.stop() == 0


def test_cache_can_be_turned_off(daemon, conn, acct):
    d = daemon(enrich_cache_entries=0)
    results, cache_hit = enrich(conn, acct, ["NETFLIX.COM", "NETFLIX.COM"])
    assert [out(r)["source"] for r in results] == ["rules", "rules"]
    assert cache_hit is False
    assert d.stop() == 0


# ---- documentation ---------------------------------------------------------------------

def test_help_unit_and_docs_say_sighup_reloads_merchants(bindir):
    helptext = subprocess.run([os.path.join(bindir, "pgjobd"), "--help"], capture_output=True,
                              text=True, check=True).stdout
    assert "merchant table" in helptext
    with open(os.path.join(ROOT, "systemd", "pgjobd.service.in")) as f:
        assert "pgjob.merchant" in f.read()
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        operations = f.read()
    assert "| SIGHUP | reload `pgjob.conf`" in operations and "`pgjob.merchant`" in operations
    with open(os.path.join(ROOT, "docs", "handlers", "enrich.md")) as f:
        enrich = f.read()
    assert "## The merchant table" in enrich and "INSERT INTO pgjob.merchant" in enrich
    assert "systemctl reload pgjobd" in enrich
