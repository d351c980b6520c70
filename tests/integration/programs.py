# SPDX-License-Identifier: MIT
"""Where the built pgjob programs are, and how tests run them.

The build folder is $PGJOB_BUILD (default `build`, relative to the repo
root; the ASan run sets `build-asan`).  Programs run with an environment
cleaned of PG* and PGJOB_* variables, so the caller's shell never decides
which database a test talks to; tests add exactly what they mean to.
"""

import os
import shlex
import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# No single pgjobctl call in the tests should take longer than this.
CTL_TIMEOUT = 120  # seconds


class MissingProgram(RuntimeError):
    """A program the tests need has not been built."""


def build_dir():
    """Absolute path of the build folder (which may not exist yet)."""
    build = os.environ.get("PGJOB_BUILD") or "build"
    return os.path.normpath(os.path.join(REPO_ROOT, build))


def program(name):
    """Absolute path of a built program; MissingProgram if it is not there."""
    path = os.path.join(build_dir(), name)
    if not os.access(path, os.X_OK):
        raise MissingProgram(
            f"{path} does not exist or is not executable: run make first "
            f"(PGJOB_BUILD={os.environ.get('PGJOB_BUILD', 'build')})")
    return path


def clean_env(extra=None):
    """os.environ without PG*/PGJOB_* variables, plus `extra`.

    A value of None in `extra` removes that variable.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    # Keep the ASan/UBSan settings of an `asan` run, and make UBSan fatal.
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def ctl_argv(*args):
    """The argv that runs pgjobctl with args."""
    return [program("pgjobctl"), *map(str, args)]


def describe(proc):
    """A readable account of a finished process, for assertion messages."""
    argv = proc.args if isinstance(proc.args, list) else [proc.args]
    return (f"$ {shlex.join(map(str, argv))}\n"
            f"exit status {proc.returncode}\n"
            f"---- stdout ----\n{proc.stdout}"
            f"---- stderr ----\n{proc.stderr}---- end ----")


def run_ctl(*args, env=None, check=True, timeout=CTL_TIMEOUT, input=None):
    """Run pgjobctl with args; return the CompletedProcess (text).

    env is added to a clean environment (see clean_env).  With check=True a
    non-zero exit fails with the command, its status and its output.
    """
    proc = subprocess.run(ctl_argv(*args), env=clean_env(env), text=True,
                          capture_output=True, timeout=timeout, input=input,
                          cwd=REPO_ROOT, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("pgjobctl failed:\n" + describe(proc))
    return proc
