# SPDX-License-Identifier: MIT
"""The job report of the exec protocol ({"job": {...}} after the last
item): run by the real pgjobd, with the complete example program of
docs/handlers/exec.md taken from that page, and with bad reports."""

import os
import re

from daemon import acct, daemon, ddir, probe  # noqa: F401
from daemon import script, submit, wait_status

import programs

DOC = os.path.join(programs.REPO_ROOT, "docs", "handlers", "exec.md")


def documented_program():
    """The Python block of docs/handlers/exec.md."""
    with open(DOC) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 1, "docs/handlers/exec.md holds one program"
    return blocks[0]


def test_the_documented_program_reports_on_the_job(daemon, conn, acct, ddir):
    path = os.path.join(ddir, "classify.py")
    with open(path, "w") as f:
        f.write(documented_program())
    os.chmod(path, 0o755)
    d = daemon({"exec.classify.command": path})
    jid = submit(conn, acct, "classify",
                 ["Invoice 42, total 120.00 EUR, VAT 22%", {"text": ""},
                  "Dear Ann, the agreement is signed. Regards"])
    j = wait_status(conn, jid, "completed")
    r = j["results"]
    assert r[0]["output"]["class"] == "invoice"
    assert r[1]["status"] == "failed" and r[1]["error"]["code"] == "empty"
    assert r[2]["output"]["class"] in ("letter", "contract")
    assert j["validation_flags"][0] == {"code": "EMPTY_TEXT", "severity": "warning",
                                        "message": "an item has no text", "item": 1}
    assert {f["code"] for f in j["validation_flags"]} <= {"EMPTY_TEXT", "LOW_CONFIDENCE"}
    assert 0 <= j["confidence"] <= 1
    assert j["model"] == "keyword-classifier/1" and j["cache_hit"] is False
    assert d.stop() == 0


def test_a_report_without_items_and_without_a_report(daemon, conn, acct, ddir):
    plain = script(ddir, "plain.sh", "while IFS= read -r l; do printf '%s\\n' \"$l\"; done\n")
    hit = script(ddir, "hit.sh", """
while IFS= read -r l; do printf '%s\\n' "$l"; done
echo '{"job": {"cache_hit": true, "confidence": 0.25}}'
echo 'a line past the report is ignored'
""")
    d = daemon({"exec.plain.command": plain, "exec.hit.command": hit})
    j = wait_status(conn, submit(conn, acct, "plain", ["a"]), "completed")
    assert (j["validation_flags"], j["confidence"], j["model"], j["cache_hit"]) == \
        ([], None, None, None)
    j = wait_status(conn, submit(conn, acct, "hit", ["a", {"job": {"model": "x"}}]),
                    "completed")
    # An item's output that looks like a report is still the item's.
    assert j["results"][1]["output"] == {"job": {"model": "x"}}
    assert j["cache_hit"] is True and j["confidence"] == 0.25 and j["model"] is None
    assert d.stop() == 0


def test_bad_reports_fail_the_job_once(daemon, conn, acct, ddir):
    bodies = {
        "unknown": '{"job": {"colour": "red"}}',
        "range": '{"job": {"confidence": 1.5}}',
        "flag": '{"job": {"validation_flags": [{"code": "X", "severity": "fatal", '
                '"message": "m"}]}}',
        "model": '{"job": {"model": "' + "m" * 64 + '"}}',
        # One report per run: a second is refused, not appended.
        "twice": '{"job": {"confidence": 0.5}}\'\n'
                 'echo \'{"job": {"validation_flags": []}}',
        # A numeric item names one of the job's items (here: one, 0).
        "item": '{"job": {"validation_flags": [{"code": "X", "severity": "info", '
                '"message": "m", "item": 1}]}}',
        "negative": '{"job": {"validation_flags": [{"code": "X", "severity": "info", '
                    '"message": "m", "item": -1}]}}',
    }
    conf = {}
    for name, report in bodies.items():
        conf[f"exec.{name}.command"] = script(ddir, f"{name}.sh", f"""
while IFS= read -r l; do printf '%s\\n' "$l"; done
echo '{report}'
""")
    d = daemon(conf)
    for name in bodies:
        j = wait_status(conn, submit(conn, acct, name, ["a"]), "failed")
        assert j["error"]["code"] == "bad_job_report", (name, j["error"])
        assert j["attempt_count"] == 1, name
        assert j["validation_flags"] == [] and j["confidence"] is None, name
    assert d.stop() == 0
