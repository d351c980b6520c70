# SPDX-License-Identifier: MIT
"""pgjobd's checkpoints over a long job: each heartbeat sends only the
results added since the last one the database confirmed
(sql/016_heartbeat_delta.sql, daemon/lease.c), and the job's results end
complete and in order."""

import os

import psycopg2

# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir  # noqa: F401
from daemon import job, script, submit, value, wait_status, wait_until


def gated(ddir):
    """An exec program answering one item every 0.05 s that, before items
    10 and 20, waits until the file gate10 / gate20 exists in ddir."""
    return script(ddir, "gated.sh", f"""
n=0
while IFS= read -r line; do
  for g in 10 20; do
    if [ $n -eq $g ]; then
      while [ ! -e {ddir}/gate$g ]; do sleep 0.05; done
    fi
  done
  sleep 0.05
  printf '{{"item":%s,"attempt":%s}}\\n' "$line" "$PGJOB_ATTEMPT"
  n=$((n + 1))
done
""")


def checkpoint(conn, jid, count):
    """Wait until the job's recorded results hold count entries; return
    the job."""
    wait_until(conn, "SELECT coalesce(jsonb_array_length(results), 0) >= %s"
                     " FROM pgjob.job WHERE id = %s", (count, jid),
               what=f"job {jid} to checkpoint {count} results")
    return job(conn, jid)


def test_long_job_checkpoints_deltas_in_order(daemon, conn, acct, ddir):
    d = daemon({"exec.gated.command": gated(ddir)}, heartbeat_seconds=1)
    items = list(range(30))
    jid = submit(conn, acct, "gated", items)
    expected = [{"status": "completed", "error": None, "output": {"item": i, "attempt": 1}}
                for i in items]

    # The program waits before item 10: the heartbeats that follow record
    # the first ten results, from index 0.
    first = checkpoint(conn, jid, 10)
    assert first["status"] == "processing"
    assert first["results"] == expected[:10] and first["items_done"] == 10
    open(os.path.join(ddir, "gate10"), "w").close()

    # Then ten more, sent from index 10 and appended after the first ten.
    second = checkpoint(conn, jid, 20)
    assert second["status"] == "processing"
    assert second["results"] == expected[:20] and second["items_done"] == 20
    assert second["version"] > first["version"]
    open(os.path.join(ddir, "gate20"), "w").close()

    j = wait_status(conn, jid, "completed")
    assert j["results"] == expected
    assert (j["attempt_count"], j["items_done"], j["items_failed"]) == (1, 30, 0)
    assert value(conn, "SELECT results_bytes = octet_length(results::text)"
                       " FROM pgjob.job WHERE id = %s", (jid,))
    assert "heartbeat failed" not in d.log()
    assert d.stop() == 0


def test_failed_heartbeat_is_sent_again_from_the_confirmed_index(daemon, conn, acct, ddir):
    """A heartbeat carrying results fails (its connection is killed while
    it waits for the job's row): the worker reconnects and sends again
    from the index the database last confirmed, with the results done
    since; nothing is lost or recorded twice."""
    d = daemon({"exec.gated.command": gated(ddir)}, heartbeat_seconds=1)
    items = list(range(30))
    jid = submit(conn, acct, "gated", items)
    expected = [{"status": "completed", "error": None, "output": {"item": i, "attempt": 1}}
                for i in items]
    assert checkpoint(conn, jid, 10)["results"] == expected[:10]

    holder = psycopg2.connect(conn.dsn, connect_timeout=5)
    try:
        cur = holder.cursor()
        cur.execute("SELECT 1 FROM pgjob.job WHERE id = %s FOR UPDATE", (jid,))
        open(os.path.join(ddir, "gate10"), "w").close()
        # The next checkpoint (results from index 10) waits for the row.
        waiting = "application_name LIKE 'pgjobd worker%%' AND wait_event_type = 'Lock'"
        wait_until(conn, f"SELECT count(*) = 1 FROM pg_stat_activity WHERE {waiting}",
                   what="a worker's heartbeat to wait for the job's row")
        killed = value(conn, f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                             f" WHERE {waiting}")
        assert killed == 1
        holder.rollback()
    finally:
        holder.close()
    d.wait_log(rf"\[job {jid}\] heartbeat failed")
    # Recorded by a heartbeat after the reconnect, sent from index 10.
    second = checkpoint(conn, jid, 20)
    assert second["results"] == expected[:20] and second["items_done"] == 20
    open(os.path.join(ddir, "gate20"), "w").close()

    j = wait_status(conn, jid, "completed")
    assert j["results"] == expected
    assert (j["attempt_count"], j["items_done"]) == (1, 30)
    assert d.stop() == 0
    # Only the killed one failed: the one sent again was not refused.
    assert d.log().count(f"[job {jid}] heartbeat failed") == 1
