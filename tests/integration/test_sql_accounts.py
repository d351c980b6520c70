# SPDX-License-Identifier: MIT
"""Accounts and API keys (sql/003_accounts.sql): keys are shown once,
stored only as SHA-256, found by that hash, revocable, several per account."""

import hashlib
import re

import pytest

from jobs_helpers import pg_error, row, rows, value


pytestmark = pytest.mark.sql_only


def create_key(conn, account, label=None):
    return row(conn, "SELECT * FROM pgjob.create_api_key(%s, %s)",
               (account, label))


def lookup(conn, key):
    return rows(conn, "SELECT * FROM pgjob.api_key_lookup(%s)",
                (hashlib.sha256(key.encode()).digest(),))


def test_create_account(conn):
    a = value(conn, "SELECT pgjob.create_account('acme')")
    b = value(conn, "SELECT pgjob.create_account('globex')")
    assert a != b
    assert row(conn, "SELECT name FROM pgjob.account WHERE id = %s",
               (a,)) == {"name": "acme"}
    with pg_error("PJ409"):
        value(conn, "SELECT pgjob.create_account('acme')")
    for bad in ("", "x" * 201, None):
        with pg_error("PJ400", "name"):
            value(conn, "SELECT pgjob.create_account(%s)", (bad,))
    assert value(conn, "SELECT count(*) FROM pgjob.account") == 2
    value(conn, "SELECT pgjob.create_account(%s)", ("x" * 200,))


def test_api_key_shape_and_storage(conn):
    acct = value(conn, "SELECT pgjob.create_account('acme')")
    k = create_key(conn, acct, "ci")
    key = k["key"]
    assert key.startswith("pgj_") and len(key) == 68
    assert re.fullmatch(r"pgj_[0-9a-f]{64}", key)
    assert k["prefix"] == key[:12]
    stored = row(conn, "SELECT * FROM pgjob.api_key WHERE id = %s",
                 (k["key_id"],))
    assert stored["account_id"] == acct
    assert stored["label"] == "ci"
    assert stored["prefix"] == key[:12]
    assert bytes(stored["key_hash"]) == hashlib.sha256(key.encode()).digest()
    assert stored["revoked_at"] is None
    assert bytes(value(conn, "SELECT pgjob.api_key_hash(%s)", (key,))) == \
        hashlib.sha256(key.encode()).digest()
    # The key itself is nowhere in the table: not as text, nor its secret
    # part, nor in hex.
    text = value(conn, "SELECT string_agg(k::text, ' ') FROM pgjob.api_key k")
    assert key not in text and key[4:] not in text and key[12:] not in text
    assert key.encode().hex() not in text
    # Keys differ.
    assert create_key(conn, acct)["key"] != key


def test_lookup_and_revoke(conn):
    acct = value(conn, "SELECT pgjob.create_account('acme')")
    other = value(conn, "SELECT pgjob.create_account('globex')")
    k1 = create_key(conn, acct)
    k2 = create_key(conn, acct)
    k3 = create_key(conn, other)
    assert lookup(conn, k1["key"]) == [{"account_id": acct,
                                        "key_id": k1["key_id"]}]
    assert lookup(conn, k2["key"]) == [{"account_id": acct,
                                        "key_id": k2["key_id"]}]
    assert lookup(conn, k3["key"]) == [{"account_id": other,
                                        "key_id": k3["key_id"]}]
    assert lookup(conn, "pgj_" + "0" * 64) == []
    assert lookup(conn, k1["key"].upper()) == []
    # Revoking one key leaves the other working (rotation).
    assert value(conn, "SELECT pgjob.revoke_api_key(%s)", (k1["key_id"],)) \
        is True
    assert lookup(conn, k1["key"]) == []
    assert lookup(conn, k2["key"]) == [{"account_id": acct,
                                        "key_id": k2["key_id"]}]
    assert value(conn, "SELECT revoked_at IS NOT NULL FROM pgjob.api_key "
                 "WHERE id = %s", (k1["key_id"],))
    assert value(conn, "SELECT pgjob.revoke_api_key(%s)", (k1["key_id"],)) \
        is False
    assert lookup(conn, k1["key"]) == []
    with pg_error("PJ404"):
        value(conn, "SELECT pgjob.revoke_api_key(987654)")


def test_key_for_unknown_account(conn):
    with pg_error("PJ404"):
        create_key(conn, 987654)
    assert value(conn, "SELECT count(*) FROM pgjob.api_key") == 0
