# SPDX-License-Identifier: MIT
"""The README stays true: it documents every configuration key the
programs know, and pgjob.conf.example lists them all."""

import os
import re
import subprocess

import programs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def config_keys(bindir):
    out = subprocess.run([os.path.join(bindir, "pgjobd"), "--print-config"],
                         env=programs.clean_env(), capture_output=True, text=True, check=True)
    keys = [line.split("=", 1)[0].strip() for line in out.stdout.splitlines()
            if "=" in line and not line.startswith("#")]
    assert len(keys) > 20, out.stdout
    return keys


def test_readme_documents_every_configuration_key(bindir):
    readme = open(os.path.join(ROOT, "README.md")).read()
    missing = [k for k in config_keys(bindir) if f"| `{k}` |" not in readme]
    assert not missing, f"README.md lacks these keys (paste config_write_docs): {missing}"


def test_example_file_lists_every_key(bindir):
    example = open(os.path.join(ROOT, "pgjob.conf.example")).read()
    missing = [k for k in config_keys(bindir) if not re.search(rf"^#{re.escape(k)} = ",
                                                                 example, re.M)]
    assert not missing, f"pgjob.conf.example lacks: {missing}"
