#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes text fixtures as PDFs with groff (Debian's groff package), so
that the repository holds no PDF: each line as it is (no filling, no
adjusting), in a monospaced font (Courier 9 pt on A4), so that the
columns of the text stay columns in the PDF.

usage: make_pdf.py OUTDIR FIXTURE.txt...   (writes OUTDIR/FIXTURE.pdf)
"""
import os
import subprocess
import sys


def troff_source(text):
    """The fixture as groff input: escapes and control characters made
    literal, one output line per input line, a page break at a form feed."""
    out = [".fam C", ".ps 9", ".vs 11", ".nf", ".nh"]
    for line in text.split("\n"):
        if line == "\f":
            out.append(".bp")
            continue
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out) + "\n"


def make_pdf(fixture, outdir):
    with open(fixture, encoding="utf-8") as f:
        source = troff_source(f.read())
    name = os.path.splitext(os.path.basename(fixture))[0] + ".pdf"
    pre = subprocess.run(["preconv", "-e", "utf-8"], input=source.encode("utf-8"),
                         capture_output=True, check=True)
    pdf = subprocess.run(["groff", "-Tpdf", "-P-pa4"], input=pre.stdout, capture_output=True,
                         check=True)
    path = os.path.join(outdir, name)
    with open(path, "wb") as f:
        f.write(pdf.stdout)
    return path


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    for fx in sys.argv[2:]:
        make_pdf(fx, sys.argv[1])
