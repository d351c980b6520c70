# SPDX-License-Identifier: MIT
"""Writes the generated seeds of the document fuzzer (make fuzz-doc) into
the directory given: documents that would be opaque binaries in the
repository, made here from tests/integration/documents.py instead.

  complex.pdf  a few KB of Flate showing 2 million characters on one page
               (document_too_complex)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import documents  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "complex.pdf"), "wb") as f:
        f.write(documents.too_complex())


if __name__ == "__main__":
    main(sys.argv[1])
