#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - `make run` and `make stop`: pgjob on this machine, for trying it.
#
#   ctl/run.sh run    start everything, print a demo key and curl commands,
#                     stay in the foreground; Ctrl-C stops what it started
#   ctl/run.sh stop   stop what a `run` started (from another terminal)
#
# run starts, under ./var (PGJOB_VAR): a throwaway PostgreSQL (unless
# PGJOB_DATABASE names a database), applies the migrations, then pgjobd
# and lighttpd with pgjob.fcgi on 127.0.0.1:PGJOB_PORT (default 8080),
# the API profiles (docs/profiles.md) under their prefixes there and at the
# root of the next four ports (parsetx, pulse, parzo, enrichment).
# The data stays in ./var for the next run; `make clean` leaves it,
# `rm -rf var` removes it.  Running it again while it runs changes nothing.
#
# Environment: PGJOB_PORT (HTTP port), PGJOB_PG_PORT (PostgreSQL port of
# the throwaway server, default 54329), PGJOB_DATABASE (use this database
# instead), PGJOB_VAR (the state folder), PGJOB_BUILD (build folder),
# PGJOB_PARSETX_PORT, PGJOB_PULSE_PORT, PGJOB_PARZO_PORT and
# PGJOB_ENRICHMENT_PORT (the profiles' ports, default the four after
# PGJOB_PORT).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
var=${PGJOB_VAR:-$top/var}
build=$top/${PGJOB_BUILD:-build}
port=${PGJOB_PORT:-8080}
parsetx_port=${PGJOB_PARSETX_PORT:-$((port + 1))}
pulse_port=${PGJOB_PULSE_PORT:-$((port + 2))}
parzo_port=${PGJOB_PARZO_PORT:-$((port + 3))}
enrichment_port=${PGJOB_ENRICHMENT_PORT:-$((port + 4))}
pg_port=${PGJOB_PG_PORT:-54329}
pgdata=$var/pg/data
pgrun=$var/pg/run

say() { printf 'run: %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    die "no PostgreSQL server programs found (Debian: apt-get install postgresql-15)"
}

# as_pg runs a PostgreSQL server program: as the postgres user when we are
# root, since initdb and postgres refuse to run as root.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

database() {
    if [ -n "${PGJOB_DATABASE:-}" ]; then
        printf '%s\n' "$PGJOB_DATABASE"
    else
        printf 'host=%s port=%s user=postgres dbname=pgjob\n' "$pgrun" "$pg_port"
    fi
}

start_postgres() {
    [ -n "${PGJOB_DATABASE:-}" ] && return 0
    local bin
    bin=$(pg_bindir)
    mkdir -p "$var/pg"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$var/pg"
    fi
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        say "creating a PostgreSQL cluster in $pgdata"
        as_pg "$bin/initdb" -D "$pgdata" --auth=trust -U postgres -E UTF8 --locale=C >/dev/null
    fi
    as_pg mkdir -p "$pgrun"
    if as_pg "$bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        say "PostgreSQL already running"
    else
        as_pg "$bin/pg_ctl" -D "$pgdata" -l "$var/pg/postgresql.log" -w -o \
            "-p $pg_port -k $pgrun -c listen_addresses=''" start >/dev/null
        say "PostgreSQL started (log: $var/pg/postgresql.log)"
    fi
    if ! as_pg "$bin/psql" -h "$pgrun" -p "$pg_port" -U postgres -Atc \
        "SELECT 1 FROM pg_database WHERE datname = 'pgjob'" postgres | grep -q 1; then
        as_pg "$bin/createdb" -h "$pgrun" -p "$pg_port" -U postgres pgjob
    fi
}

write_config() {
    mkdir -p "$var/run" "$var/log"
    cat >"$var/pgjob.conf" <<EOF
# Written by ctl/run.sh for \`make run\`; rewritten at every run.
database = "$(database)"
workers = 4
# A demo exec type: upper-cases each item (a JSON string).
exec.upper.command = $top/ctl/upper.sh
exec.upper.timeout_seconds = 10
EOF
    cat >"$var/lighttpd.conf" <<EOF
# Written by ctl/run.sh for \`make run\`.
server.document-root = "$var/run"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$var/log/lighttpd.log"
# pgjob.fcgi logs to stderr, which a daemonized lighttpd sends nowhere
# unless told: its log, with the cause of every 500, goes here.
server.breakagelog = "$var/log/pgjob-fcgi.log"
server.pid-file = "$var/run/lighttpd.pid"
var.pgjob_bin = "$build/pgjob.fcgi"
var.pgjob_conf = "$var/pgjob.conf"
var.pgjob_socket = "$var/run/pgjob-fcgi.sock"
var.pgjob_parsetx_listen = "127.0.0.1:$parsetx_port"
var.pgjob_pulse_listen = "127.0.0.1:$pulse_port"
var.pgjob_parzo_listen = "127.0.0.1:$parzo_port"
var.pgjob_enrichment_listen = "127.0.0.1:$enrichment_port"
include "$top/cgi/lighttpd-pgjob.conf"
EOF
}

# demo_key prints the demo account's key, creating account and key once
# with pgjobctl; the key is kept in var/demo.key (it cannot be read back
# from the database).
demo_key() {
    if [ ! -s "$var/demo.key" ]; then
        local ctl=("$build/pgjobctl" -q --config "$var/pgjob.conf")
        "${ctl[@]}" account show demo >/dev/null 2>&1 || "${ctl[@]}" account create demo >/dev/null
        (umask 077 && "${ctl[@]}" key create --account demo --name 'make run' |
            sed -n 's/^key  *//p' >"$var/demo.key")
        [ -s "$var/demo.key" ] || die "pgjobctl key create made no key"
    fi
    cat "$var/demo.key"
}

start_daemons() {
    if alive "$var/run/pgjobd.pid"; then
        say "pgjobd already running"
    else
        "$build/pgjobd" --config "$var/pgjob.conf" 2>>"$var/log/pgjobd.log" &
        echo $! >"$var/run/pgjobd.pid"
        say "pgjobd started (log: $var/log/pgjobd.log)"
    fi
    if alive "$var/run/lighttpd.pid"; then
        say "lighttpd already running"
    else
        lighttpd -f "$var/lighttpd.conf"
        say "lighttpd with pgjob.fcgi on http://127.0.0.1:$port (logs: $var/log/lighttpd.log, $var/log/pgjob-fcgi.log)"
    fi
    local i
    for i in $(seq 100); do
        if curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1 # a bounded readiness poll
    done
    die "the API did not answer on port $port; see $var/log/lighttpd.log"
}

stop_all() {
    local pidfile
    for pidfile in "$var/run/lighttpd.pid" "$var/run/pgjobd.pid"; do
        if alive "$pidfile"; then
            kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
    for pidfile in "$var/run/lighttpd.pid" "$var/run/pgjobd.pid"; do
        local i
        for i in $(seq 300); do
            alive "$pidfile" || break
            sleep 0.1 # wait for the process to exit, bounded
        done
        rm -f "$pidfile"
    done
    if [ -z "${PGJOB_DATABASE:-}" ] && [ -f "$pgdata/PG_VERSION" ]; then
        as_pg "$(pg_bindir)/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
    say "stopped; the data stays in $var"
}

print_usage() {
    local key=$1 url="http://127.0.0.1:$port"
    cat <<EOF

pgjob is running.  Demo API key (account "demo"):

  export PGJOB_KEY=$key

Submit a job of the demo exec type "upper" and wait up to 10 s for it:

  curl -s -X POST $url/v1/jobs -H "X-API-Key: \$PGJOB_KEY" \\
       -H 'Content-Type: application/json' -H 'Prefer: wait=10' \\
       -d '{"type": "upper", "items": ["hello", "world"]}'

Or submit, then poll the job until it is finished:

  id=\$(curl -s -X POST $url/v1/jobs -H "X-API-Key: \$PGJOB_KEY" \\
       -H 'Content-Type: application/json' \\
       -d '{"type": "upper", "items": ["hello", "world"]}' | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
  curl -s "$url/v1/jobs/\$id?wait=10" -H "X-API-Key: \$PGJOB_KEY"

Ctrl-C (or \`make stop\` elsewhere) stops everything; the data stays in $var.
EOF
}

run() {
    [ -x "$build/pgjobd" ] && [ -x "$build/pgjob.fcgi" ] && [ -x "$build/pgjobctl" ] ||
        die "build first: make"
    if alive "$var/run/pgjobd.pid" && alive "$var/run/lighttpd.pid"; then
        say "already running"
        print_usage "$(demo_key)"
        exit 0
    fi
    trap 'stop_all; exit 0' INT TERM
    start_postgres
    "$build/pgjobctl" migrate --database "$(database)" | sed 's/^/run: /'
    write_config
    start_daemons
    print_usage "$(demo_key)"
    # Stay in the foreground until Ctrl-C or `make stop`.
    while alive "$var/run/pgjobd.pid" && alive "$var/run/lighttpd.pid"; do
        sleep 1 &
        wait $! || true
    done
    stop_all
}

case "${1:-}" in
run) run ;;
stop) stop_all ;;
*) die "usage: ctl/run.sh run|stop" ;;
esac
