# SPDX-License-Identifier: MIT
"""pgjobd's exec job types: real programs (small /bin/sh scripts) speaking
JSON Lines, and how their output, exit status, time limit and output cap
become results and job errors; cancel and pause of a running program.
"""

import os

import pytest

# Fixtures, found by pytest under these names:
from daemon import acct, daemon, ddir, probe  # noqa: F401
from daemon import group_members, job, script, submit, wait_gone, wait_status, wait_until

# Echo each stdin line back with the PGJOB_* environment around it.
ENV_ECHO = """
while IFS= read -r line; do
  printf '{"item":%s,"job":"%s","type":"%s","attempt":%s,"offset":%s,"meta":%s}\\n' \\
    "$line" "$PGJOB_JOB_ID" "$PGJOB_JOB_TYPE" "$PGJOB_ATTEMPT" "$PGJOB_ITEM_OFFSET" \\
    "$PGJOB_METADATA"
done
"""


def exec_daemon(daemon, ddir, type, body, **conf):
    """A daemon with one exec type `type` running a script with body."""
    path = script(ddir, f"{type}.sh", body)
    return daemon({f"exec.{type}.command": path, **conf.pop("exec_conf", {})}, **conf)


def statuses(results):
    return [r["status"] for r in results]


def test_exec_results_in_order_with_environment(daemon, conn, acct, ddir):
    d = exec_daemon(daemon, ddir, "envecho", ENV_ECHO)
    items = ["a", 2, {"custom_id": "k-1", "v": [1, "x y"]}, None, "back\\slash %s",
             {"nested": {"deep": True}}, "two\nlines", "ünï"]
    jid = submit(conn, acct, "envecho", items, metadata={"who": "test", "n": 1})
    j = wait_status(conn, jid, "completed")
    expected = []
    for item in items:
        r = {"status": "completed", "error": None,
             "output": {"item": item, "job": jid, "type": "envecho", "attempt": 1,
                        "offset": 0, "meta": {"who": "test", "n": 1}}}
        if isinstance(item, dict) and "custom_id" in item:
            r["custom_id"] = item["custom_id"]
        expected.append(r)
    assert j["results"] == expected
    assert (j["attempt_count"], j["items_done"], j["items_failed"]) == (1, len(items), 0)
    assert j["processing_ms"] is not None and j["error"] is None
    assert d.stop() == 0


def test_exec_per_item_errors(daemon, conn, acct, ddir):
    d = exec_daemon(daemon, ddir, "picky", """
while IFS= read -r line; do
  case "$line" in
    '"bad"') echo '{"error": "bad"}' ;;
    '"coded"') echo '{"error": {"code": "E42", "message": "not this one"}}' ;;
    '"nullerr"') echo '{"error": null, "v": 1}' ;;
    *) printf '%s\\n' "$line" ;;
  esac
done
""")
    items = ["ok1", "bad", {"custom_id": "c"}, "coded", "nullerr"]
    jid = submit(conn, acct, "picky", items)
    j = wait_status(conn, jid, "completed")
    r = j["results"]
    assert statuses(r) == ["completed", "failed", "completed", "failed", "completed"]
    assert r[0]["output"] == "ok1" and r[0]["error"] is None
    assert r[1]["output"] is None
    assert r[1]["error"]["code"] == "item_error" and r[1]["error"]["message"] == "bad"
    assert r[2]["custom_id"] == "c"
    assert r[3]["error"] == {"code": "E42", "message": "not this one"}
    assert r[4]["output"] == {"error": None, "v": 1}
    assert j["items_failed"] == 2 and j["items_done"] == 5
    assert j["error"] is None and j["attempt_count"] == 1
    assert d.stop() == 0


def test_exec_garbage_and_missing_lines(daemon, conn, acct, ddir):
    """A line that is not JSON fails its item (bad_output); items left
    without a line when the program exits 0 fail with no_output."""
    d = exec_daemon(daemon, ddir, "messy", """
read -r a; printf '%s\\n' "$a"
read -r b; echo 'this is { not json'
read -r c; echo ''
""")
    jid = submit(conn, acct, "messy", ["one", "two", "three", "four"])
    j = wait_status(conn, jid, "completed")
    r = j["results"]
    assert statuses(r) == ["completed", "failed", "failed", "failed"]
    assert r[1]["error"]["code"] == "bad_output"
    assert "this is { not json" in r[1]["error"]["message"]
    assert r[2]["error"]["code"] == "bad_output"
    assert r[3]["error"]["code"] == "no_output"
    assert j["items_failed"] == 3
    assert d.stop() == 0


def test_exec_time_limit_kills_the_program_group(daemon, conn, acct, ddir, probe):
    d = exec_daemon(daemon, ddir, "sleeper", f"""
sleep 60 &
echo "start $$ $!" > {probe.path}
wait
""", exec_conf={"exec.sleeper.timeout_seconds": 1})
    jid = submit(conn, acct, "sleeper", ["x"], max_attempts=1)
    start = probe.wait("start")[0]
    shell, child = int(start[1]), int(start[2])
    j = wait_status(conn, jid, "failed", timeout=20)
    assert j["error"]["code"] == "timeout", j["error"]
    assert "1 s" in j["error"]["message"]
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 1)
    wait_gone([shell, child], what="the timed-out program and its child")
    assert group_members(shell) == []
    d.wait_log(r"time limit of 1 s is up")
    assert d.stop() == 0


def test_exec_exit_1_is_retried_then_fails(daemon, conn, acct, ddir):
    d = exec_daemon(daemon, ddir, "flaky", """
echo "boom on attempt $PGJOB_ATTEMPT" >&2
exit 1
""", backoff_base_ms=10, backoff_max_ms=20)
    jid = submit(conn, acct, "flaky", ["x"], max_attempts=2)
    j = wait_status(conn, jid, "failed")
    assert j["error"]["code"] == "exit_status", j["error"]
    assert "boom on attempt 2" in j["error"]["message"], j["error"]
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 2)
    assert d.stop() == 0
    c = d.stopped_counters()
    assert (c["retried"], c["failed"], c["completed"]) == (1, 1, 0)


@pytest.mark.parametrize("status", [64, 65, 78])
def test_exec_permanent_exit_status_fails_at_once(daemon, conn, acct, ddir, status):
    d = exec_daemon(daemon, ddir, "fatal", f"""
echo "cannot do this" >&2
exit {status}
""")
    jid = submit(conn, acct, "fatal", ["x"], max_attempts=3)
    j = wait_status(conn, jid, "failed")
    assert j["error"]["code"] == "exit_status", j["error"]
    assert "cannot do this" in j["error"]["message"]
    assert (j["attempt_count"], j["failed_attempts"]) == (1, 1)
    assert d.stop() == 0


@pytest.mark.parametrize("body, code", [
    ("exit 75", "exit_status"),  # EX_TEMPFAIL is retried
    ("kill -9 $$", "killed"),
])
def test_exec_temporary_failures_are_retried(daemon, conn, acct, ddir, body, code):
    d = exec_daemon(daemon, ddir, "temp", f"""
if [ "$PGJOB_ATTEMPT" -gt 1 ]; then exec cat; fi
{body}
""")
    jid = submit(conn, acct, "temp", ["x"], max_attempts=3)
    j = wait_status(conn, jid, ("completed", "failed"))
    assert j["status"] == "completed", j["error"]
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)
    assert j["results"][0]["output"] == "x"
    assert j["error"] is None
    assert d.stop() == 0
    assert d.stopped_counters()["retried"] == 1


def test_exec_output_over_the_cap_fails(daemon, conn, acct, ddir):
    d = exec_daemon(daemon, ddir, "chatty", """
head -c 200000 /dev/zero | tr '\\0' x
echo
""", exec_conf={"exec.chatty.max_output_bytes": 1024})
    jid = submit(conn, acct, "chatty", ["x"], max_attempts=3)
    j = wait_status(conn, jid, "failed")
    assert j["error"]["code"] == "output_too_large", j["error"]
    assert j["attempt_count"] == 1
    assert d.stop() == 0


def test_exec_program_that_cannot_start_fails(daemon, conn, acct, ddir):
    missing = os.path.join(ddir, "no-such-program")
    d = daemon({"exec.ghost.command": missing})
    jid = submit(conn, acct, "ghost", ["x"], max_attempts=3)
    j = wait_status(conn, jid, "failed")
    assert j["error"]["code"] == "exec_failed", j["error"]
    assert j["attempt_count"] == 1
    assert d.stop() == 0


# ---- cancel and pause of a running program ---------------------------------------------

def stepper(ddir, probe):
    """An exec program answering one item every 0.3 s, with its attempt and
    item offset in each output; it announces itself on the probe."""
    return script(ddir, "stepper.sh", f"""
echo "start $$ $PGJOB_ATTEMPT $PGJOB_ITEM_OFFSET" > {probe.path}
while IFS= read -r line; do
  sleep 0.3
  printf '{{"item":%s,"attempt":%s,"offset":%s}}\\n' "$line" "$PGJOB_ATTEMPT" "$PGJOB_ITEM_OFFSET"
done
""")


def wait_checkpoint(conn, jid, at_least):
    wait_until(conn, "SELECT items_done >= %s FROM pgjob.job WHERE id = %s",
               (at_least, jid), what=f"job {jid} to checkpoint {at_least} items")


def test_cancel_stops_the_running_program(daemon, conn, acct, ddir, probe):
    d = daemon({"exec.steps.command": stepper(ddir, probe)}, heartbeat_seconds=1)
    jid = submit(conn, acct, "steps", list(range(20)))
    pid = int(probe.wait("start")[0][1])
    wait_checkpoint(conn, jid, 2)
    conn.cursor().execute("SELECT pgjob.cancel(%s, %s)", (acct, jid))
    d.wait_log(rf"\[job {jid}\] stopping attempt 1: the job is canceled")
    wait_gone([pid], what="the canceled job's program")
    # The daemon goes on serving, and the job stays canceled.
    other = submit(conn, acct, "echo", ["after the cancel"])
    wait_status(conn, other, "completed")
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"]) == ("canceled", 1)
    assert j["error"]["code"] == "canceled"
    assert d.stop() == 0
    c = d.stopped_counters()
    assert (c["completed"], c["failed"], c["lost"]) == (1, 0, 1)
    j = job(conn, jid)
    assert (j["status"], j["attempt_count"]) == ("canceled", 1)


def test_pause_and_resume_continue_from_the_checkpoint(daemon, conn, acct, ddir, probe):
    d = daemon({"exec.steps.command": stepper(ddir, probe)}, heartbeat_seconds=1)
    items = list(range(20))
    jid = submit(conn, acct, "steps", items)
    pid = int(probe.wait("start")[0][1])
    wait_checkpoint(conn, jid, 2)
    conn.cursor().execute("SELECT pgjob.pause(%s, %s)", (acct, jid))
    d.wait_log(rf"\[job {jid}\] stopping attempt 1: the job is paused")
    wait_gone([pid], what="the paused job's program")
    j = job(conn, jid)
    done = j["items_done"]
    assert j["status"] == "paused" and 0 < done < 20
    assert len(j["results"]) == done
    assert [r["output"]["item"] for r in j["results"]] == items[:done]

    conn.cursor().execute("SELECT pgjob.resume(%s, %s)", (acct, jid))
    j = wait_status(conn, jid, "completed", timeout=30)
    second = probe.wait("start", count=2)[1]
    assert second[2:] == ["2", str(done)], f"second attempt started as {second}"
    outputs = [r["output"] for r in j["results"]]
    assert [o["item"] for o in outputs] == items
    assert all((o["attempt"], o["offset"]) == (1, 0) for o in outputs[:done])
    assert all((o["attempt"], o["offset"]) == (2, done) for o in outputs[done:])
    assert (j["attempt_count"], j["failed_attempts"], j["items_done"]) == (2, 0, 20)
    assert d.stop() == 0


def test_exec_large_input_and_output(daemon, conn, acct, ddir):
    """800 kB of items (one of 300 kB) through a program that answers as
    it reads: neither side may block on a full pipe."""
    d = exec_daemon(daemon, ddir, "copy", "exec cat\n")
    items = [f"{i:05d}-" + "x" * 90 for i in range(5000)] + ["y" * 300000]
    jid = submit(conn, acct, "copy", items)
    j = wait_status(conn, jid, "completed", timeout=60)
    assert [r["output"] for r in j["results"]] == items
    assert d.stop() == 0


def test_exec_program_that_reads_nothing(daemon, conn, acct, ddir):
    """A program may exit 0 without reading its input (the daemon ignores
    SIGPIPE): every item is then a no_output error."""
    d = exec_daemon(daemon, ddir, "lazy", "exit 0\n")
    items = ["y" * 100] * 3000
    jid = submit(conn, acct, "lazy", items)
    j = wait_status(conn, jid, "completed", timeout=60)
    assert {r["error"]["code"] for r in j["results"]} == {"no_output"}
    assert j["items_failed"] == 3000
    assert d.running()
    assert d.stop() == 0


def test_retry_continues_from_the_last_checkpoint(daemon, conn, acct, ddir, probe):
    """A program that fails midway (exit 1 after 6 items, 0.3 s each) is
    retried from the checkpoint of its last heartbeat, not from scratch."""
    crashy = script(ddir, "crashy.sh", f"""
echo "start $$ $PGJOB_ATTEMPT $PGJOB_ITEM_OFFSET" > {probe.path}
n=0
while IFS= read -r line; do
  if [ "$PGJOB_ATTEMPT" -eq 1 ]; then
    [ $n -eq 6 ] && exit 1
    sleep 0.3
  fi
  printf '{{"item":%s,"attempt":%s}}\\n' "$line" "$PGJOB_ATTEMPT"
  n=$((n + 1))
done
""")
    d = daemon({"exec.crashy.command": crashy}, heartbeat_seconds=1, backoff_base_ms=10)
    items = list(range(10))
    jid = submit(conn, acct, "crashy", items, max_attempts=2)
    j = wait_status(conn, jid, ("completed", "failed"), timeout=30)
    assert j["status"] == "completed", j["error"]
    offset = int(probe.wait("start", count=2)[1][3])
    assert 0 < offset <= 6, f"attempt 2 started at item {offset}"
    outputs = [r["output"] for r in j["results"]]
    assert [o["item"] for o in outputs] == items
    assert [o["attempt"] for o in outputs] == [1] * offset + [2] * (10 - offset)
    assert (j["attempt_count"], j["failed_attempts"]) == (2, 1)
    assert d.stop() == 0
