#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit and integration tests, then the browser suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
. scripts/env.sh

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --locked --all-targets --features leptos-sessions/fault-injection,leptos-sessions/axum-login -- -D warnings
# The browser build has its own cfg paths; lint them too (separate target dir, as for the real build).
cargo clippy --locked -p frontend --target wasm32-unknown-unknown --target-dir target/front -- -D warnings
# The example host site as a host builds it: the server with `ssr` alone, the browser bundle with `hydrate` alone.
cargo clippy --locked -p host-site --features ssr -- -D warnings
cargo clippy --locked -p host-site --lib --features hydrate --target wasm32-unknown-unknown --target-dir target/front \
  -- -D warnings
# The PostgreSQL half of the conformance suite; with CI=true it fails if the server is unreachable.
export SESSIONS_TEST_POSTGRES_URL="${SESSIONS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  say "starting the local PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
say "Rust tests"
cargo test --locked -p leptos-sessions -p server --features leptos-sessions/ssr,leptos-sessions/demo,leptos-sessions/fault-injection,leptos-sessions/axum-login
scripts/build.sh
scripts/bench.sh --smoke
scripts/e2e.sh
say "browser test of the example host site (examples/host-site)"
E2E_SITE=host scripts/e2e.sh tests/host.spec.ts
say "browser tests on PostgreSQL with two server instances"
E2E_BACKEND=postgres scripts/e2e.sh tests/instances.spec.ts tests/devices.spec.ts
say "all tests passed"
