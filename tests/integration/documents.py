# SPDX-License-Identifier: MIT
"""Documents for the tests of the document handlers, made at test time
from the text fixtures of tests/documents/ with Debian tools, so that the
repository holds no opaque binaries:

  *.ms       groff -ms (with tbl for tables) -> PDF with real fonts
  *.html     read as they are
  *.txt      read as they are
  scanned    a PDF of headings.ms rasterized by Ghostscript's pdfimage24
             device: pages that are pictures, no text layer
  corrupt    the first bytes of a PDF, cut off
  encrypted  a PDF encrypted by qpdf with a user password
  pages(n)   a groff document of n pages
  png, zip   an image made by ImageMagick and a ZIP archive
  too_complex(n)  a small PDF whose one page shows one string of n
             characters, Flate-compressed: a few KB that expand to work
             and memory without bound unless the reader caps them

Each is made once per session and cached in memory.
"""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib

import programs

FIXTURES = os.path.join(programs.REPO_ROOT, "tests", "documents")

_cache = {}
_dir = None


def _workdir():
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="pgjob-docs-")
    return _dir


def _need(tool):
    if shutil.which(tool) is None:
        raise programs.MissingProgram(f"{tool} is missing: run make deps")


def groff(source_text, name="doc"):
    """A PDF from -ms source text (tbl and preconv on)."""
    _need("groff")
    out = subprocess.run(["groff", "-k", "-t", "-ms", "-Tpdf"], input=source_text.encode(),
                         capture_output=True, check=True, timeout=60)
    assert out.stdout.startswith(b"%PDF-"), f"groff made no PDF of {name}: {out.stderr!r}"
    return out.stdout


def fixture(name):
    """The document of fixture file name: a PDF for .ms, else the bytes."""
    if name not in _cache:
        path = os.path.join(FIXTURES, name)
        with open(path, "rb") as f:
            data = f.read()
        _cache[name] = groff(data.decode(), name) if name.endswith(".ms") else data
    return _cache[name]


def _file(name, data):
    path = os.path.join(_workdir(), name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def scanned():
    """headings.ms as an image-only PDF."""
    if "scanned" not in _cache:
        _need("gs")
        src = _file("src.pdf", fixture("headings.ms"))
        dst = os.path.join(_workdir(), "scanned.pdf")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfimage24", "-r100",
                        f"-sOutputFile={dst}", src], check=True, timeout=120,
                       capture_output=True)
        with open(dst, "rb") as f:
            _cache["scanned"] = f.read()
    return _cache["scanned"]


def corrupt():
    """A PDF cut off after its first 300 bytes."""
    return fixture("table.ms")[:300]


def encrypted():
    """table.ms encrypted (AES-256) with a user password."""
    if "encrypted" not in _cache:
        _need("qpdf")
        src = _file("plain.pdf", fixture("table.ms"))
        dst = os.path.join(_workdir(), "encrypted.pdf")
        subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--", src,
                        dst], check=True, timeout=60, capture_output=True)
        with open(dst, "rb") as f:
            _cache["encrypted"] = f.read()
    return _cache["encrypted"]


def pages(n):
    """A groff document of n pages, page i saying its number."""
    key = f"pages{n}"
    if key not in _cache:
        body = "\n.bp\n".join(f".NH\nPage {i}\n.PP\nThis is page {i} of {n} of the long "
                              "document, and it says so." for i in range(1, n + 1))
        _cache[key] = groff(body + "\n", key)
    return _cache[key]


def png():
    """A small PNG image with some text drawn in it."""
    if "png" not in _cache:
        _need("convert")
        dst = os.path.join(_workdir(), "image.png")
        subprocess.run(["convert", "-size", "300x80", "xc:white", "-fill", "black", "-draw",
                        "rectangle 10,10 290,70", dst], check=True, timeout=60,
                       capture_output=True)
        with open(dst, "rb") as f:
            _cache["png"] = f.read()
    return _cache["png"]


def zip_bytes():
    """A ZIP archive holding one text file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "These notes are inside an archive.\n")
    return buf.getvalue()


def too_complex(n=2_000_000):
    """A PDF of one page whose content stream, Flate-compressed to a few
    KB, shows one string of n characters with one Tj (written here
    byte by byte: no tool makes such a file on purpose)."""
    key = f"complex{n}"
    if key not in _cache:
        content = b"BT /F1 1 Tf 10 700 Td (" + b"A" * n + b") Tj ET\n"
        stream = zlib.compress(content, 9)
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
            + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        out = bytearray(b"%PDF-1.4\n")
        offsets = []
        for i, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for off in offsets:
            out += b"%010d 00000 n \n" % off
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1, xref)
        _cache[key] = bytes(out)
    return _cache[key]
