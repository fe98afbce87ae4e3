#!/usr/bin/env bash
# Starts the built server on a throw-away database and runs the Playwright suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

work=$(mktemp -d)
# A port nobody listens on now, so a server left over from a killed run can never answer in place of ours.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export SESSIONS_ADDR="${E2E_ADDR:-127.0.0.1:$(free_port)}"
export LEPTOS_SITE_ADDR="$SESSIONS_ADDR"
export SESSIONS_DATABASE_URL="sqlite://$work/e2e.db"
export SESSIONS_SECRET_KEY="end-to-end tests only, never used for a real site $(date +%s%N)"
export SESSIONS_SECURE_COOKIES=false
# Locations come from MaxMind's test database; the browser tests pose as proxied clients from public test IPs.
export SESSIONS_GEOIP_DB="$PWD/sessions/data/geoip/GeoLite2-City-Test.mmdb"
export SESSIONS_TRUSTED_PROXIES="127.0.0.1/32, ::1"
# The suite signs up dozens of accounts from one address, far past the demo's 10 an hour.
export SESSIONS_SIGNUP_RATE=1000/1m
cleanup=""
trap 'eval "$cleanup"; rm -rf "$work"' EXIT

# E2E_BACKEND=postgres runs two server instances on one fresh PostgreSQL schema (the second on the next port).
if [ "${E2E_BACKEND:-sqlite}" = postgres ]; then
  pg="${SESSIONS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  schema="e2e_$(date +%s)_$$"
  psql "$pg" -qc "CREATE SCHEMA $schema"
  cleanup="psql '$pg' -qc 'DROP SCHEMA $schema CASCADE' >/dev/null 2>&1;"
  export SESSIONS_DATABASE_URL="$pg?options=-c%20search_path%3D$schema"
  second="127.0.0.1:$(free_port)"
  export BASE_URL_B="http://$second"
fi

# E2E_SITE=host runs the example host site (examples/host-site) instead of the demo.
site=("${SESSIONS_TEST_SERVER:-target/release/server}" serve)
# The same binary for the tests' own CLI calls (admin.spec.ts grants the admin flag with it).
export E2E_SERVER_BIN="$PWD/${site[0]}"
ready=/healthz
if [ "${E2E_SITE:-demo}" = host ]; then
  # The test command has built it already (and its docs build may hold cargo's lock on target/ meanwhile).
  [ "${SESSIONS_HOST_SITE_BUILT:-}" = 1 ] || scripts/host-site.sh --build
  site=(target/debug/host-site)
  ready=/login
  export HOST_ADDR="$SESSIONS_ADDR" HOST_DATABASE_URL="$SESSIONS_DATABASE_URL" HOST_SECRET_KEY="$SESSIONS_SECRET_KEY"
fi

# True when process $1 itself holds the listening socket on port $2 (its open sockets against the kernel's table),
# so a leftover server that somehow took the port, or a child we did not start, is never mistaken for ours.
listens() {
  python3 - "$1" "$2" <<'PY'
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
mine = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if link.startswith("socket:["):
        mine.add(link[8:-1])
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for row in open(table).read().splitlines()[1:]:
        f = row.split()
        if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port and f[9] in mine:
            sys.exit(0)
sys.exit(1)
PY
}

start() {
  SESSIONS_ADDR="$1" LEPTOS_SITE_ADDR="$1" HOST_ADDR="$1" "${site[@]}" >"$work/server-$1.log" 2>&1 &
  local pid=$!
  cleanup="kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; $cleanup"
  for _ in $(seq 1 150); do
    # Ready means the process we started holds the port that was free a moment ago, and answers on it.
    kill -0 $pid 2>/dev/null || break
    listens $pid "${1##*:}" 2>/dev/null && curl -fs "http://$1$ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on $1 did not start" >&2; cat "$work/server-$1.log"; exit 1
}
start "$SESSIONS_ADDR"
[ -n "${second:-}" ] && start "$second"
# Tests that depend on time get a server of their own (same database): a short confirm-password window to wait
# out, and a sign-in throttle that cannot refill during the test. Every other test keeps the defaults, and none of
# them breaks because the machine is slow.
if [ "${E2E_SITE:-demo}" = demo ] && [ -z "${second:-}" ]; then
  timed_addr="127.0.0.1:$(free_port)"
  SESSIONS_SUDO_WINDOW=8s SESSIONS_SIGNIN_RATE=5/1h start "$timed_addr"
  export BASE_URL_TIMED="http://$timed_addr"
fi

# E2E_RUN replaces the Playwright suite with another browser program on the same server (the page-load benchmark).
if [ -n "${E2E_RUN:-}" ]; then
  say "running $E2E_RUN against http://$SESSIONS_ADDR"
  (cd end2end && BASE_URL="http://$SESSIONS_ADDR" $E2E_RUN "$@") || { tail -n 50 "$work"/server-*.log; exit 1; }
  exit 0
fi
say "running the browser tests against http://$SESSIONS_ADDR"
(cd end2end && BASE_URL="http://$SESSIONS_ADDR" npx playwright test "$@") || { echo "--- server logs ---"; tail -n 50 "$work"/server-*.log; exit 1; }
