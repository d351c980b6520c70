# SPDX-License-Identifier: MIT
"""The shipped systemd units pass `systemd-analyze verify`, with their
programs pointed at the ones just built."""

import glob
import os
import shutil
import subprocess

import pytest

import programs

UNITS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "systemd", "*")))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", UNITS, ids=os.path.basename)
def test_unit_verifies(unit, tmp_path, bindir):
    text = open(unit).read()
    for name in ("pgjobd", "pgjob.fcgi", "pgjobctl"):
        path = os.path.join(programs.build_dir(), name)
        if os.path.exists(path):
            text = text.replace(f"/usr/local/bin/{name}", path)
    copy = tmp_path / os.path.basename(unit)
    copy.write_text(text)
    proc = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                          text=True, timeout=60)
    # verify also complains about units the host lacks (User= may not
    # exist here); only messages about this file count.
    problems = [line for line in (proc.stdout + proc.stderr).splitlines()
                if os.path.basename(unit) in line]
    assert proc.returncode == 0 and not problems, proc.stdout + proc.stderr


def test_pgjobd_unit_is_type_notify_with_a_watchdog():
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "systemd",
                             "pgjobd.service")).read()
    for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                 "KillSignal=SIGTERM", "RestartPreventExitStatus=78"):
        assert line in text
