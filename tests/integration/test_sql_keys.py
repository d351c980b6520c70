# SPDX-License-Identifier: MIT
"""API keys with a prefix, an expiry, rotation and import, and retries of
finished jobs (sql/008_keys.sql)."""

import hashlib
import re

import pytest

from jobs_helpers import (cancel, claim_one, complete_one, fail_one,
                          new_account, pg_error, row, rows, submit, value)


pytestmark = pytest.mark.sql_only


def lookup(conn, key):
    return rows(conn, "SELECT * FROM pgjob.api_key_lookup(%s)",
                (hashlib.sha256(key.encode()).digest(),))


def create(conn, account, **kw):
    args = ", ".join(f"p_{k} => %s" for k in kw)
    return row(conn, "SELECT * FROM pgjob.create_api_key(%s" +
               (", " + args if args else "") + ")", (account, *kw.values()))


def state(conn, key_id):
    return value(conn, "SELECT pgjob.api_key_state(%s)", (key_id,))


def test_prefix_and_storage(conn):
    acct = new_account(conn)
    k = create(conn, acct, prefix="pt_live_", label="parsetx")
    assert re.fullmatch(r"pt_live_[0-9a-f]{64}", k["key"])
    assert k["prefix"] == k["key"][:16]
    stored = row(conn, "SELECT * FROM pgjob.api_key WHERE id = %s",
                 (k["key_id"],))
    assert stored["key_prefix"] == "pt_live_"
    assert stored["last4"] == k["key"][-4:]
    assert stored["origin"] == "created" and stored["expires_at"] is None
    text = value(conn, "SELECT string_agg(k::text, ' ') FROM pgjob.api_key k")
    assert k["key"][16:-4] not in text
    assert lookup(conn, k["key"]) == [{"account_id": acct,
                                       "key_id": k["key_id"]}]
    # The default is still pgj_ with a 12-character prefix.
    d = create(conn, acct)
    assert d["key"].startswith("pgj_") and d["prefix"] == d["key"][:12]
    for bad in ("has space", "x" * 33, "é_", None):
        with pg_error("PJ400", "prefix"):
            create(conn, acct, prefix=bad)
    # An empty prefix is allowed: 64 hex digits.
    assert re.fullmatch(r"[0-9a-f]{64}", create(conn, acct, prefix="")["key"])


def test_expiry_is_not_live(conn):
    acct = new_account(conn)
    k = create(conn, acct, expires_at="2999-01-01T00:00:00Z")
    assert lookup(conn, k["key"]) != []
    assert state(conn, k["key_id"]) == "live"
    conn.cursor().execute("UPDATE pgjob.api_key SET expires_at = now() - "
                          "interval '1 second' WHERE id = %s", (k["key_id"],))
    assert lookup(conn, k["key"]) == []
    assert state(conn, k["key_id"]) == "expired"
    with pg_error("PJ400", "expires"):
        create(conn, acct, expires_at="2000-01-01T00:00:00Z")
    r = create(conn, acct)
    value(conn, "SELECT pgjob.revoke_api_key(%s)", (r["key_id"],))
    assert state(conn, r["key_id"]) == "revoked"


def test_lookup_stays_inlined(conn):
    """The front end's status read joins api_key_lookup: the planner must
    inline it (an index scan on the key hash, no function scan)."""
    with conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT * FROM pgjob.api_key_lookup('\\x00'::bytea)")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Function Scan" not in plan, plan
    assert "api_key_key_hash_key" in plan, plan


def test_import_by_value_and_sha256(conn):
    acct = new_account(conn)
    other = new_account(conn)
    key = "inv_" + "Zq9" * 10
    k = row(conn, "SELECT * FROM pgjob.import_api_key(%s, %s, NULL, 'inv_', "
            "'migrated')", (acct, key))
    assert k["prefix"] == "inv_" and k["last4"] == key[-4:]
    assert lookup(conn, key) == [{"account_id": acct, "key_id": k["key_id"]}]
    assert row(conn, "SELECT origin, label FROM pgjob.api_key WHERE id = %s",
               (k["key_id"],)) == {"origin": "imported", "label": "migrated"}
    # The same key again, to any account: refused.
    with pg_error("PJ409"):
        value(conn, "SELECT key_id FROM pgjob.import_api_key(%s, %s, NULL)",
              (other, key))
    key2 = "pt_live_0123456789abcdefXYZ"
    digest = hashlib.sha256(key2.encode()).digest()
    k2 = row(conn, "SELECT * FROM pgjob.import_api_key(%s, NULL, %s, "
             "'pt_live_')", (other, digest))
    assert k2["last4"] is None
    assert lookup(conn, key2) == [{"account_id": other,
                                   "key_id": k2["key_id"]}]
    # Bad input changes nothing.
    n = value(conn, "SELECT count(*) FROM pgjob.api_key")
    for args, column in (((acct, "short", None), "key"),
                         ((acct, "has a space in it....", None), "key"),
                         ((acct, None, None), "key"),
                         ((acct, key + "x", digest), "key"),
                         ((acct, None, b"\x01" * 31), "sha256")):
        with pg_error("PJ400", column):
            value(conn, "SELECT key_id FROM pgjob.import_api_key(%s, %s, %s)",
                  args)
    with pg_error("PJ400", "prefix"):
        value(conn, "SELECT key_id FROM pgjob.import_api_key(%s, %s, NULL, "
              "'pt_live_')", (acct, "inv_" + "y" * 20))
    with pg_error("PJ404"):
        value(conn, "SELECT key_id FROM pgjob.import_api_key(987654, %s, NULL)",
              ("z" * 20,))
    assert value(conn, "SELECT count(*) FROM pgjob.api_key") == n


def test_rotate_with_grace(conn):
    acct = new_account(conn)
    old = create(conn, acct, prefix="pt_live_", label="ci")
    r = row(conn, "SELECT * FROM pgjob.rotate_api_key(%s, interval '1 hour')",
            (old["key_id"],))
    assert r["old_key_id"] == old["key_id"]
    assert r["key"].startswith("pt_live_") and r["key"] != old["key"]
    # Both work during the grace period; the old one ends with it.
    assert lookup(conn, old["key"]) and lookup(conn, r["key"])
    assert value(conn, "SELECT %s - now() BETWEEN interval '59 minutes' "
                 "AND interval '1 hour'", (r["old_expires_at"],))
    new = row(conn, "SELECT label, rotated_from, expires_at FROM pgjob.api_key "
              "WHERE id = %s", (r["key_id"],))
    assert new == {"label": "ci", "rotated_from": old["key_id"],
                   "expires_at": None}
    # A grace of zero ends the old key at once; a dead key cannot rotate.
    r2 = row(conn, "SELECT * FROM pgjob.rotate_api_key(%s, interval '0')",
             (r["key_id"],))
    assert lookup(conn, r["key"]) == [] and lookup(conn, r2["key"]) != []
    with pg_error("PJ409"):
        value(conn, "SELECT key_id FROM pgjob.rotate_api_key(%s)",
              (r["key_id"],))
    with pg_error("PJ404"):
        value(conn, "SELECT key_id FROM pgjob.rotate_api_key(987654)")
    with pg_error("PJ400", "grace"):
        value(conn, "SELECT key_id FROM pgjob.rotate_api_key(%s, "
              "interval '-1 hour')", (r2["key_id"],))
    # A grace never lengthens an earlier expiry.
    soon = create(conn, acct, expires_at="2999-01-01T00:00:00Z")
    conn.cursor().execute("UPDATE pgjob.api_key SET expires_at = now() + "
                          "interval '10 minutes' WHERE id = %s",
                          (soon["key_id"],))
    r3 = row(conn, "SELECT * FROM pgjob.rotate_api_key(%s, interval '1 day')",
             (soon["key_id"],))
    assert value(conn, "SELECT %s < now() + interval '11 minutes'",
                 (r3["old_expires_at"],))


def retry(conn, account, job_id, failed_only=False):
    return row(conn, "SELECT * FROM pgjob.retry(%s, %s, %s)",
               (account, job_id, failed_only))


def test_retry_failed_job(conn):
    acct = new_account(conn)
    job = submit(conn, acct, items=["a", "b", "c"], priority=5,
                 metadata={"m": 1}, max_attempts=1)
    c = claim_one(conn, job)
    # Two items done (one with an error), then the attempt fails for good.
    conn.cursor().execute(
        "SELECT * FROM pgjob.heartbeat(%s, %s, p_items_done => 2, "
        "p_results => %s)", (job, c["attempt"], '[{"ok": 1}, {"error": {"code": "x"}}]'))
    assert fail_one(conn, job, c["attempt"])["outcome"] == "failed"
    before = row(conn, "SELECT * FROM pgjob.job WHERE id = %s", (job,))
    full = retry(conn, acct, job)
    assert full["retry_of"] == job and full["retry_items"] is None
    assert full["items"] == ["a", "b", "c"] and full["status"] == "queued"
    assert (full["priority"], full["metadata"], full["max_attempts"]) == \
        (5, {"m": 1}, 1)
    part = retry(conn, acct, job, True)
    assert part["items"] == ["b", "c"] and part["retry_items"] == [1, 2]
    # The original never changes; the new jobs are queued.
    assert row(conn, "SELECT * FROM pgjob.job WHERE id = %s", (job,)) == before
    assert value(conn, "SELECT count(*) FROM pgjob.ready WHERE job_id IN "
                 "(%s, %s)", (full["id"], part["id"])) == 2
    with pg_error("PJ404"):
        retry(conn, new_account(conn), job)


def test_retry_refused(conn):
    acct = new_account(conn)
    queued = submit(conn, acct)
    with pg_error("PJ409"):
        retry(conn, acct, queued)
    cancel(conn, acct, queued)
    done = submit(conn, acct)
    c = claim_one(conn, done)
    complete_one(conn, done, c["attempt"])
    with pg_error("PJ409"):
        retry(conn, acct, done)          # completed: only failed items
    with pg_error("PJ409"):
        retry(conn, acct, done, True)    # ... and it has none
    partly = submit(conn, acct, items=["x", "y"])
    c = claim_one(conn, partly)
    complete_one(conn, partly, c["attempt"],
                 results=[{"ok": 1}, {"error": {"code": "bad"}}])
    assert retry(conn, acct, partly, True)["items"] == ["y"]
    canceled = submit(conn, acct, items=["q"])
    cancel(conn, acct, canceled)
    assert retry(conn, acct, canceled)["items"] == ["q"]
    conn.cursor().execute("UPDATE pgjob.job SET expires_at = now(), sweep_at = now() "
                          "WHERE id = %s", (canceled,))
    conn.cursor().execute("SELECT pgjob.expire()")
    with pg_error("PJ409"):
        retry(conn, acct, canceled)
