# SPDX-License-Identifier: MIT
"""The C unit tests, one pytest test per C test.

`unit_tests --list` names the tests (one per line) at collection time and
each pytest test runs `unit_tests NAME`, so pytest's summary counts every
C test.  If the binary is missing or cannot list, a single failing test
says so instead of the suite silently shrinking.
"""

import subprocess

import pytest

import programs

UNIT_TIMEOUT = 120  # seconds for one C test (ASan builds are slow)


def _collect():
    """(names, problem): the C test names, or why there are none."""
    try:
        binary = programs.program("unit_tests")
    except programs.MissingProgram as e:
        return [], str(e)
    try:
        proc = subprocess.run([binary, "--list"], text=True,
                              capture_output=True, timeout=60,
                              env=programs.clean_env(), check=False)
    except subprocess.TimeoutExpired:
        return [], f"{binary} --list did not finish within 60 s"
    if proc.returncode != 0:
        return [], "unit_tests --list failed:\n" + programs.describe(proc)
    names = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if not names:
        return [], "unit_tests --list printed no test names"
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        return [], f"unit_tests --list names tests twice: {dupes}"
    return names, None


def _text(out):
    # TimeoutExpired carries bytes even for a text-mode run.
    if isinstance(out, bytes):
        return out.decode("utf-8", "replace")
    return out or ""


_NAMES, _PROBLEM = _collect()


if _PROBLEM is not None:
    def test_unit_tests_available():
        pytest.fail(_PROBLEM, pytrace=False)
else:
    @pytest.mark.parametrize("name", _NAMES)
    def test_c(name):
        binary = programs.program("unit_tests")
        try:
            proc = subprocess.run([binary, name], text=True,
                                  capture_output=True, timeout=UNIT_TIMEOUT,
                                  env=programs.clean_env(), check=False)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"C unit test {name} did not finish within "
                        f"{UNIT_TIMEOUT} s\n{_text(e.stdout)}{_text(e.stderr)}",
                        pytrace=False)
        if proc.returncode != 0:
            pytest.fail(f"C unit test {name} failed\n" +
                        programs.describe(proc), pytrace=False)
