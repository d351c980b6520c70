# SPDX-License-Identifier: MIT
# cstring.awk - cstring(s): s escaped for the inside of a C string literal,
# shared by the build's embedding scripts (awk -f common/cstring.awk -f ...).
# Backslash, double quote and '?' (C trigraphs) are escaped, tab and CR are
# written \t and \r, and every other control or non-ASCII byte is an octal
# escape, so the literal holds the input byte for byte whatever its
# encoding.  Run awk with LC_ALL=C so that it sees bytes, not characters.

function cstring_init(    i) {
    for (i = 1; i < 256; i++) {
        if (i < 32 || i >= 127)
            cstring_escape[sprintf("%c", i)] = sprintf("\\%03o", i)
    }
    cstring_escape["\t"] = "\\t"
    cstring_escape["\r"] = "\\r"
    cstring_escape["\\"] = "\\\\"
    cstring_escape["\""] = "\\\""
    cstring_escape["?"] = "\\?"
    cstring_ready = 1
}

function cstring(s,    out, i, c) {
    if (!cstring_ready)
        cstring_init()
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c in cstring_escape)
            out = out cstring_escape[c]
        else
            out = out c
    }
    return out
}
