# SPDX-License-Identifier: MIT
# keys.awk turns config_write_docs's Markdown table (key, type, default,
# allowed, reload, environment, description) into the roff list of keys
# of pgjob.conf(5): one .TP entry per key.

# roff escapes text: a backslash prints as \e, a code span as bold, and a
# line never starts with a control character.
function roff(s) {
    gsub(/\\/, "\\e", s)
    while (match(s, /`[^`]*`/))
        s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" \
            substr(s, RSTART + RLENGTH)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}

NR <= 2 { next }  # the header and its rule

{
    line = $0
    sub(/^\| /, "", line)
    sub(/ \|$/, "", line)
    n = split(line, f, / \| /)
    if (n != 7) {
        printf "keys.awk: line %d has %d fields, not 7\n", NR, n > "/dev/stderr"
        exit 1
    }
    desc = f[7]

    if (desc !~ /[.]$/)
        desc = desc "."
    print ".TP"
    print roff(f[1])
    print roff(desc)
    print ".br"
    print roff(sprintf("Type: %s; default: %s; allowed: %s; applied by: %s%s.", f[2], f[3], f[4],
                       f[5] == "SIGHUP" ? "a reload (SIGHUP)" : "a restart",
                       f[6] == "none" ? "" : "; environment: " f[6]))
    count++
}

END {
    if (count == 0 && NR > 0) {
        print "keys.awk: no keys" > "/dev/stderr"
        exit 1
    }
}
