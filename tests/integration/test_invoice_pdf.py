# SPDX-License-Identifier: MIT
"""The invoice corpus as PDFs: every text fixture of tests/invoice/corpus/
written as a PDF by groff at test time (tests/invoice/make_pdf.py; the
repository holds no PDF), read back by pgjobd's document reader (MuPDF,
daemon/handlers/doc_pdf.c) and laid out for the invoice rules
(daemon/handlers/invoice_doc.c).  Runs the unit test invoice_pdf_corpus,
which scores each field against the same labels as the text corpus and
prints the table."""
import glob
import os
import re
import subprocess
import sys

from programs import build_dir

HERE = os.path.dirname(__file__)
CORPUS = os.path.join(HERE, "..", "invoice", "corpus")
sys.path.insert(0, os.path.join(HERE, "..", "invoice"))
import make_pdf  # noqa: E402


def test_invoice_corpus_as_pdf(tmp_path):
    fixtures = sorted(glob.glob(os.path.join(CORPUS, "*.txt")))
    assert len(fixtures) >= 60
    for fx in fixtures:
        make_pdf.make_pdf(fx, str(tmp_path))
    binary = os.path.join(build_dir(), "unit_tests")
    env = dict(os.environ, PGJOB_INVOICE_PDF_DIR=str(tmp_path))
    proc = subprocess.run([binary, "invoice_pdf_corpus"], capture_output=True, text=True,
                          timeout=300, env=env)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "invoice corpus as PDF: " in proc.stdout
    table = dict(re.findall(r"^(\w+)\s+\d+/\d+\s+([0-9.]+)$", proc.stdout, re.M))
    assert float(table["total"]) >= 0.9, proc.stdout
