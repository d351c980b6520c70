#!/bin/sh
# SPDX-License-Identifier: MIT
# format.sh formats every C source of pgjob with the one pinned clang-format
# (version 14, rules in .clang-format); with --check it only reports files
# that are not formatted and exits 1 if there are any.
#
# usage: .ci/format.sh [--check]      (make format / make format-check)
# The binary can be overridden with CLANG_FORMAT=..., but it must be 14.x.
set -eu

cd "$(dirname "$0")/.."

CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
    echo "format.sh: $CLANG_FORMAT not found (Debian: apt-get install clang-format-14)" >&2
    exit 1
fi
case "$("$CLANG_FORMAT" --version)" in
    *"version 14."*) ;;
    *)
        echo "format.sh: $CLANG_FORMAT is not clang-format 14; other versions format differently" >&2
        exit 1
        ;;
esac

dirs=""
for d in common ctl daemon cgi tests; do
    if [ -d "$d" ]; then
        dirs="$dirs $d"
    fi
done
if [ -z "$dirs" ]; then
    exit 0
fi
# Source paths never contain spaces (flat folders, snake_case names).
files=$(find $dirs -type f \( -name '*.c' -o -name '*.h' \) | sort)
if [ -z "$files" ]; then
    exit 0
fi

case "${1:-}" in
    --check) exec "$CLANG_FORMAT" --dry-run --Werror $files ;;
    "") exec "$CLANG_FORMAT" -i $files ;;
    *)
        echo "usage: .ci/format.sh [--check]" >&2
        exit 2
        ;;
esac
