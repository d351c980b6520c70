# SPDX-License-Identifier: MIT
"""Held-out accuracy of the invoice handler (issue 12).

tests/invoice/heldout/ (40 invoices, labels.jsonl and a README with the
labelling conventions) was written and labeled BLIND by another engineer
from issue 12 and the Parzo page alone, before the rules were seen; it
was merged into the invoice branch after the rules were done and
committed (a68a6c6), measured once, and the rules were not changed after
the run.  Never tune the rules on these files: fix a miss with new
fixtures in tests/invoice/corpus/ instead, and measure a new held-out set.

Scoring (tests/unit/invoice_score.c): exact text for number, dates,
VAT ids and currency; names compared folded (case and accents); amounts
within half a cent; VAT rates as sets; line items all right or the
invoice misses; flags as the exact set of codes; key fields = number,
issue date, supplier name, subtotal, tax and total all right.

Measured once (text; the PDF figures, the same invoices written by groff
and read by MuPDF, in brackets where they differ):

  field            held-out (40)     training corpus (72)
  invoice_number   0.975             1.000
  issue_date       1.000             1.000
  due_date         1.000             1.000
  supplier_name    0.950             1.000
  supplier_vat     1.000             1.000
  customer_name    0.725             1.000
  customer_vat     0.875             1.000
  currency         1.000             1.000
  subtotal         0.975  (0.950)    1.000
  tax              0.950             1.000
  vat_rates        0.950             1.000
  total            0.950  (0.925)    1.000
  line_items       0.125             1.000
  flags (exact)    0.925             1.000
  key_fields       0.850  (0.825)    1.000

  flag                    labeled  raised right  missed  raised wrongly
  ARITHMETIC_MISMATCH     9        9             0       1 (026: a lump sum total misread)
  INVALID_TOTAL           4        3             1       0 (011: "-£264.00", sign before £)
  INVALID_IT_VAT_RATE     6        6             0       0
  INVALID_PIVA_CHECKSUM   5        4             1       0 (034: customer VAT id not found)
  DATE_INCOHERENCE        8        8             0       0

Confidence: invoices with key fields all right, 0.92 of the 26 at 0.84
and 0.71 of the 14 under 0.5; the calibration (on the training corpus)
is too low for the lower band here.

Known misses, by cause (HELDOUT: run the unit test with INVOICE_VERBOSE=1):
- Line items: every one of the 35 tables is missed (the 5 right are the
  invoices without a table): all 35 draw a rule of dashes under the
  heading, and the rule ends the table before its first row
  (daemon/handlers/invoice_items.c, read_table: a line that fits no
  column and follows no item ends the table).  The training corpus has
  no such rule.
- Customer name (11): the address window of a letter without a label
  (German, French, Swiss, Austrian layouts), and "Paziente" not a label.
  The customer's VAT id is missed with it (5), and with it 034's flag.
- 011: a minus before the currency symbol ("-£220.00") is not read as a
  sign (invoice_number.c reads a sign only just before the digits).
- 013: the Swiss "2'720.00" is read as 720.00 in the totals.
- 020: "MwSt. gesamt" is read as a tax label followed by a total label.
- 012, 019: the letterhead rule takes a generic first line ("STUDIO
  TECNICO") or an address line for the supplier's name.

Floors: the measured figure less 0.05 (two invoices of 40); the PDF run
0.05 lower still (tests/unit/test_invoice_heldout.c).
"""
import glob
import os
import re
import subprocess
import sys

from programs import build_dir

HERE = os.path.dirname(__file__)
HELDOUT = os.path.join(HERE, "..", "invoice", "heldout")
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
