# SPDX-License-Identifier: MIT
"""Keys made by pgjobctl as the API profiles' clients hold them (issue
13's keys): a ParseTx client with a pt_live_ key, an enrichment service
client keeping the inv_ key it had elsewhere (imported), and the
profiles' own refusals once a key has expired or been rotated out."""

import json
import os

import pytest

import programs

pytest.register_assert_rewrite("web", "profiles_helpers")
from profiles_helpers import ProfileClient, exactly, servers  # noqa: E402,F401

pytest_plugins = ("web",)

PARSETX_INVALID = {"error": "Invalid or revoked API key."}
TOKEN = {"message": "Invalid or expired token"}


def jctl(dsn, *args, input=None):
    proc = programs.run_ctl(*args, "--database", dsn, "--json", input=input)
    return json.loads(proc.stdout)


def test_profile_clients_use_pgjobctl_keys(servers, web, web_conn):
    server = servers.get("lighttpd")
    dsn = web.dsn
    acct = jctl(dsn, "account", "create", f"ctl-profiles-{os.getpid()}")["id"]
    pt = jctl(dsn, "key", "create", "--account", str(acct), "--prefix", "pt_live_")
    inv_key = "inv_" + "9fK2" * 8
    inv = jctl(dsn, "key", "import", "--account", str(acct), "--value", "-", "--prefix", "inv_",
               input=inv_key + "\n")
    clients = []

    def client(profile, key, bearer=False):
        c = ProfileClient(server, profile, key, bearer)
        clients.append(c)
        return c

    try:
        parsetx = client("parsetx", pt["key"])
        r = parsetx.post("/v1/enrich/async", {"transactions": ["STARBUCKS STORE 12345 SEATTLE WA"]})
        assert r.status_code == 202, r.text
        path = f"/v1/enrich/jobs/{r.json()['job_id']}"
        assert parsetx.get(path).status_code == 200
        enrichment = client("enrichment", inv_key, bearer=True)
        assert enrichment.get("/api/v1/enrichment/status/").status_code == 200

        # Rotated out with no grace: the old key is refused in the page's words,
        # the new one works (for jobs it submits: ParseTx ties a job to its key).
        new = jctl(dsn, "key", "rotate", str(pt["id"]), "--grace", "0")
        assert new["key"].startswith("pt_live_")
        exactly(parsetx.get(path), 401, PARSETX_INVALID)
        fresh = client("parsetx", new["key"])
        r = fresh.post("/v1/enrich/async", {"transactions": ["NETFLIX.COM 866-579-7172 CA"]})
        assert r.status_code == 202, r.text

        # The imported key expires: "Invalid or expired token".
        web_conn.cursor().execute(
            "UPDATE pgjob.api_key SET expires_at = now() - interval '1 second' WHERE id = %s",
            (inv["id"],))
        exactly(enrichment.get("/api/v1/enrichment/status/"), 401, TOKEN)
    finally:
        for c in clients:
            c.close()
