#!/usr/bin/env bash
# Starts the built server on a throw-away database and runs the Playwright suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

work=$(mktemp -d)
export SESSIONS_ADDR="${E2E_ADDR:-127.0.0.1:3100}"
export LEPTOS_SITE_ADDR="$SESSIONS_ADDR"
export SESSIONS_DATABASE_URL="sqlite://$work/e2e.db"
export SESSIONS_SECRET_KEY="end-to-end tests only, never used for a real site $(date +%s%N)"
export SESSIONS_SECURE_COOKIES=false
# Locations come from MaxMind's test database; the browser tests pose as proxied clients from public test IPs.
export SESSIONS_GEOIP_DB="$PWD/app/data/geoip/GeoLite2-City-Test.mmdb"
export SESSIONS_TRUSTED_PROXIES="127.0.0.1/32, ::1"
# A short sudo window, so one test can wait it out and meet the confirm-password step.
export SESSIONS_SUDO_WINDOW=15s
target/release/server serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  curl -fs "http://$SESSIONS_ADDR/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
curl -fs "http://$SESSIONS_ADDR/healthz" >/dev/null || { echo "server did not start" >&2; cat "$work/server.log"; exit 1; }

say "running the browser tests against http://$SESSIONS_ADDR"
(cd end2end && BASE_URL="http://$SESSIONS_ADDR" npx playwright test "$@") || { echo "--- server log ---"; tail -n 50 "$work/server.log"; exit 1; }
