# SPDX-License-Identifier: MIT
"""Held-out accuracy of the invoice handler (issue 12).

Two held-out sets, each written and labeled BLIND by another engineer
from issue 12 and the Parzo page alone, without reading the rules:

- tests/invoice/heldout/ (40 invoices): merged after the first rules were
  committed (a68a6c6) and measured once.  Its misses named seven causes;
  those were fixed on new TRAINING fixtures (tests/invoice/corpus/105-114,
  labels committed before the code) and the set was measured a second
  time at a50ccf1.  That second figure is NOT blind: the causes were
  chosen from this set's misses.
- tests/invoice/heldout2/ (36 invoices): written while the fixes were
  being made, brought in (its three commits) only after the rules were
  final and committed (a50ccf1), and measured once.  These are the
  honest figures.

Never tune the rules on these files: fix a miss with new fixtures in
tests/invoice/corpus/ instead, and measure a new held-out set.

Scoring (tests/unit/invoice_score.c): exact text for number, dates,
VAT ids and currency; names compared folded (case and accents); amounts
within half a cent; VAT rates as sets; line items all right or the
invoice misses; flags as the exact set of codes; key fields = number,
issue date, supplier name, subtotal, tax and total all right.

Text (the PDF figures, the same invoices written by groff and read by
MuPDF, in brackets where they differ):

  field            held-out 1     held-out 1       held-out 2       training
                   first use      second use,      blind, once      (82)
                   (blind)        NOT blind
  invoice_number   0.975          0.975            0.861            1.000
  issue_date       1.000          1.000            0.944            1.000
  due_date         1.000          1.000            1.000            1.000
  supplier_name    0.950          0.950            0.944            1.000
  supplier_vat     1.000          1.000            0.972            1.000
  customer_name    0.725          1.000            0.944            1.000
  customer_vat     0.875          1.000            1.000            1.000
  currency         1.000          1.000            0.972            1.000
  subtotal         0.975 (0.950)  1.000            0.889            1.000
  tax              0.950          1.000            0.972            1.000
  vat_rates        0.950          1.000            0.917            1.000
  total            0.950 (0.925)  0.975            0.944            1.000
  line_items       0.125          0.825            0.667 (0.639)    1.000
  flags (exact)    0.925          0.975            0.889            1.000
  key_fields       0.850 (0.825)  0.900            0.639            1.000

Held-out 2, flags: ARITHMETIC_MISMATCH 6 of 6, INVALID_TOTAL 3 of 5,
INVALID_IT_VAT_RATE 4 of 5, INVALID_PIVA_CHECKSUM 3 of 4,
DATE_INCOHERENCE 5 of 5; none raised wrongly.  Confidence on held-out 2:
the 10 given 0.01 were all wrong, the 14 given 0.71 or 0.79 all right,
the 12 given 0.98 right 0.75 of the time (the top band promises more
than it gave; see docs/handlers/invoice.md).

Held-out 2's misses by cause (run the unit test with INVOICE_VERBOSE=1;
left for the next round, with new training fixtures):
- line items (12): tables whose rows the rules do not read (several
  layouts; not analysed row by row, so as not to tune on the set);
- invoice number (5), subtotal (4): labels outside the dictionary;
- a credit note's negative total (2) not read, and with it INVALID_TOTAL;
- supplier name: an all-capitals name without a company form
  ("MAISON DURAND") taken for a trade line above the name (a fault of
  this round's letterhead rule; held-out 1's 030 has it too), and a
  name holding a word that is a label ("du") skipped for the address;
- customer name: a salutation "Gent.le" not known; a customer cell
  holding its address after commas.

Floors (tests/unit/test_invoice_heldout.c): held-out 1 at its second use
less 0.05 (two invoices of 40), held-out 2 less two invoices of 36
(0.056); the PDF runs 0.05 lower still.
"""
import glob
import os
import re
import subprocess
import sys

from programs import build_dir

HERE = os.path.dirname(__file__)
HELDOUT = os.path.join(HERE, "..", "invoice", "heldout")
HELDOUT2 = os.path.join(HERE, "..", "invoice", "heldout2")
sys.path.insert(0, os.path.join(HERE, "..", "invoice"))
import make_pdf  # noqa: E402


def run(test, env=None):
    binary = os.path.join(build_dir(), "unit_tests")
    proc = subprocess.run([binary, test], capture_output=True, text=True, timeout=300,
                          env=env)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ok {test}" in proc.stdout
    return dict(re.findall(r"^(\w+)\s+\d+/\d+\s+([0-9.]+)$", proc.stdout, re.M))


def test_heldout_text():
    table = run("invoice_heldout")
    assert float(table["total"]) >= 0.9 and float(table["flags"]) >= 0.875, table


def test_heldout_pdf(tmp_path):
    for fx in sorted(glob.glob(os.path.join(HELDOUT, "*.txt"))):
        make_pdf.make_pdf(fx, str(tmp_path))
    table = run("invoice_pdf_heldout",
                env=dict(os.environ, PGJOB_INVOICE_HELDOUT_PDF_DIR=str(tmp_path)))
    assert "key_fields" in table


def test_heldout2_text():
    table = run("invoice_heldout2")
    assert float(table["total"]) >= 0.88 and float(table["flags"]) >= 0.83, table


def test_heldout2_pdf(tmp_path):
    for fx in sorted(glob.glob(os.path.join(HELDOUT2, "*.txt"))):
        make_pdf.make_pdf(fx, str(tmp_path))
    table = run("invoice_pdf_heldout2",
                env=dict(os.environ, PGJOB_INVOICE_HELDOUT2_PDF_DIR=str(tmp_path)))
    assert "key_fields" in table
