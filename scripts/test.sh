#!/usr/bin/env bash
# Runs every test: formatting, lints and docs, the Rust tests, the benchmarks' smoke runs, then the browser suites.
#   scripts/test.sh          everything (what CI runs)
#   scripts/test.sh --fast   formatting, native lints and the Rust unit and integration tests: for iterating
set -euo pipefail
cd "$(dirname "$0")/.."
fast=false
[ "${1:-}" = --fast ] && fast=true
. scripts/env.sh
if $fast; then scripts/setup.sh; else scripts/setup.sh --browser; fi

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --locked "${NATIVE[@]}" --all-targets -- -D warnings
# The PostgreSQL half of the conformance suite; with CI=true it fails if the server is unreachable.
export SESSIONS_TEST_POSTGRES_URL="${SESSIONS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  say "starting the local PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if $fast; then
  say "Rust tests (fast tier: no doctests, benchmarks, browser builds or browser tests)"
  cargo test --locked "${NATIVE[@]}" --lib --bins --tests
  say "fast tier passed"
  exit 0
fi

# The browser build has its own cfg paths; lint them too (separate target dir, as for the real build).
cargo clippy --locked -p frontend --target wasm32-unknown-unknown --target-dir target/front -- -D warnings
say "a host's build of the library has none of the demo's dependencies, and only its own database driver"
host_tree=$(cargo tree --locked -p leptos-sessions --features sqlite,axum-login -e normal --prefix none)
for unwanted in argon2 governor sqlx-postgres; do
  if grep -q "^$unwanted " <<<"$host_tree"; then echo "leptos-sessions with sqlite depends on $unwanted" >&2; exit 1; fi
done
say "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -p leptos-sessions --features sqlite,postgres,axum-login

say "Rust tests"
# Unit, integration and doctests; the examples are built too, for the benchmarks' smoke runs below.
cargo test --locked "${NATIVE[@]}"
# The browser suites drive the server binary the Rust tests just built (a release build would add minutes and
# test the same code); scripts/run.sh serves the release build.
export SESSIONS_TEST_SERVER=target/debug/server
scripts/build.sh --site-only
scripts/bench.sh --smoke
# The example host site, as a host builds it (the server with `ssr` alone, the browser bundle with `hydrate` alone):
# linted and built while the demo's browser suite runs, which mostly waits on the browser.
host_site() {
  cargo clippy --locked -p host-site --features ssr -- -D warnings
  cargo clippy --locked -p host-site --lib --features hydrate --target wasm32-unknown-unknown --target-dir target/front \
    -- -D warnings
  scripts/host-site.sh --build
}
host_site >target/host-site-build.log 2>&1 &
host_build=$!
trap 'kill $host_build 2>/dev/null || true' EXIT
scripts/e2e.sh
say "lints and build of the example host site (examples/host-site)"
wait $host_build || { cat target/host-site-build.log; exit 1; }
say "browser test of the example host site"
E2E_SITE=host scripts/e2e.sh tests/host.spec.ts
say "browser tests on PostgreSQL with two server instances"
E2E_BACKEND=postgres scripts/e2e.sh tests/instances.spec.ts tests/devices.spec.ts
say "all tests passed"
