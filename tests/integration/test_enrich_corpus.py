# SPDX-License-Identifier: MIT
"""The enrich handler's accuracy on the labeled corpus tests/enrich/corpus.tsv.

Runs the unit test enrich_corpus of the built unit_tests binary, which
enriches every descriptor of the corpus, compares merchant, category,
channel, transaction_type and payment_processor with the hand labels,
fails when a field is under its floor (ACCURACY_FLOORS in
tests/unit/test_enrich.c, where the floors are justified), and prints the
accuracy table and a one-core throughput figure.  This test shows the
table (run pytest with -s, or read it in a failure) and checks it too.
"""
import os
import re
import subprocess

from programs import build_dir

CORPUS = os.path.join(os.path.dirname(__file__), "..", "enrich", "corpus.tsv")


def _rows():
    with open(CORPUS, encoding="utf-8") as f:
        return [line for line in f if line.strip() and not line.startswith("#")]


def test_corpus_is_labeled():
    rows = _rows()
    assert len(rows) >= 300
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


def test_corpus_accuracy():
    binary = os.path.join(build_dir(), "unit_tests")
    proc = subprocess.run([binary, "enrich_corpus"], capture_output=True, text=True,
                          timeout=120)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = dict(re.findall(r"^(\w+)\s+\d+/\d+\s+([0-9.]+)\s+[0-9.]+$", proc.stdout, re.M))
    assert set(table) == {"merchant", "category", "channel", "transaction_type",
                          "payment_processor"}, proc.stdout
    assert "ok enrich_corpus" in proc.stdout
