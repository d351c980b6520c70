# SPDX-License-Identifier: MIT
"""The enrich handler's accuracy on the labeled corpora of tests/enrich/.

corpus.tsv (mostly US descriptors) and international.tsv (UK, EU,
Nordic, Australian, NZ and Canadian ones).  Runs the unit tests
enrich_corpus and enrich_international of the built unit_tests binary,
which enrich every descriptor of a corpus, compare merchant, category,
channel, transaction_type and payment_processor with the hand labels,
fail when a field is under its floor (ACCURACY_FLOORS and
INTERNATIONAL_FLOORS in tests/unit/test_enrich.c, where the floors are
justified), and print the accuracy table (enrich_corpus a one-core
throughput figure too).  These tests show the tables (run pytest with -s,
or read them in a failure) and check them too.
"""
import os
import re
import subprocess

import pytest

from programs import build_dir

CORPORA = os.path.join(os.path.dirname(__file__), "..", "enrich")


def _rows(name):
    with open(os.path.join(CORPORA, name), encoding="utf-8") as f:
        return [line for line in f if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("name,least", [("corpus.tsv", 300), ("international.tsv", 250)])
def test_corpus_is_labeled(name, least):
    rows = _rows(name)
    assert len(rows) >= least
    for line in rows:
        fields = line.rstrip("\n").split("\t")
        assert len(fields) == 7, line
        category, channel, ttype = fields[3], fields[4], fields[5]
        assert channel in ("online", "in_store", "atm", "transfer", "-"), line
        assert ttype in ("purchase", "refund", "transfer", "fee", "atm_withdrawal",
                         "income", "-"), line
        assert category in ("groceries", "restaurants", "coffee", "travel", "transport",
                            "fuel", "shopping", "subscriptions", "utilities", "telecom",
                            "entertainment", "health", "education", "insurance", "fees",
                            "transfers", "atm", "income", "refunds", "taxes", "-"), line


@pytest.mark.parametrize("test", ["enrich_corpus", "enrich_international"])
def test_corpus_accuracy(test):
    binary = os.path.join(build_dir(), "unit_tests")
    proc = subprocess.run([binary, test], capture_output=True, text=True, timeout=120)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = dict(re.findall(r"^(\w+)\s+\d+/\d+\s+([0-9.]+)\s+[0-9.]+$", proc.stdout, re.M))
    assert set(table) == {"merchant", "category", "channel", "transaction_type",
                          "payment_processor"}, proc.stdout
    assert f"ok {test}" in proc.stdout
