#!/bin/sh
# SPDX-License-Identifier: MIT
# upper.sh - the demo exec handler of `make run`: pgjobd writes one JSON
# item per line on stdin; this writes one result per line on stdout, the
# item upper-cased (a JSON string stays a JSON string).
exec tr '[:lower:]' '[:upper:]'
