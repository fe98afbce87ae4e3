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
# Clippy is the compiler of our own crates in every build below, warnings denied: the builds the tests need are the
# lint run, with no separate check build of ~480 dependencies, and the browser builds' code paths are linted too.
# (Set the same two variables to reuse this script's builds from your own cargo commands.)
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
[ -x "$clippy_driver" ] || { echo "clippy-driver is missing: rustup component add clippy" >&2; exit 1; }
export RUSTFLAGS="-D warnings" RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
# The browser bundles are built with the lighter wasm-test profile (Cargo.toml); scripts/run.sh builds wasm-release.
export SESSIONS_WASM_PROFILE=wasm-test

say "cargo fmt --check"
cargo fmt --all -- --check
# The PostgreSQL half of the conformance suite; with CI=true it fails if the server is unreachable.
export SESSIONS_TEST_POSTGRES_URL="${SESSIONS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  say "starting the local PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if $fast; then
  say "Rust tests, linted as they build (fast tier: no doctests, benchmarks, browser builds or browser tests)"
  cargo test --locked "${NATIVE[@]}" --lib --bins --tests
  say "fast tier passed"
  exit 0
fi

say "a host's build of the library has none of the demo's dependencies, and only its own database driver"
host_tree=$(cargo tree --locked -p leptos-sessions --features sqlite,axum-login -e normal --prefix none)
for unwanted in argon2 governor sqlx-postgres; do
  if grep -q "^$unwanted " <<<"$host_tree"; then echo "leptos-sessions with sqlite depends on $unwanted" >&2; exit 1; fi
done

# Builds that nothing waits on at once run beside what does, at the lowest CPU priority: they take only the CPU the
# foreground leaves idle (linking, waiting on servers, databases and the browser), so its timings are not disturbed.
background=()
trap 'kill "${background[@]}" 2>/dev/null || true' EXIT
beside() { # beside <log> <command…>: starts it; its pid is the last of $background
  local log=$1
  shift
  nice -n 19 "$@" >"target/$log" 2>&1 &
  background+=($!)
}
finish() { # finish <log> <pid>: waits for it, and shows its log if it failed
  wait "$2" || { cat "target/$1"; exit 1; }
}

mkdir -p target
beside site-build.log scripts/build.sh --site-only
site_build=${background[-1]}
say "Rust tests, linted as they build"
# Unit, integration and doctests; the examples are built too, for the benchmarks' smoke runs below.
cargo test --locked "${NATIVE[@]}"
# The browser suites drive the server binary the Rust tests just built (a release build would add minutes and
# test the same code); scripts/run.sh serves the release build.
export SESSIONS_TEST_SERVER=target/debug/server
# The smoke runs need no bundle: they run while it finishes, now at normal priority (where renice may raise it).
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
renice -n 0 -p "$site_build" $(descendants "$site_build") >/dev/null 2>&1 || true
SESSIONS_SMOKE_SKIP_WASM=1 scripts/bench.sh --smoke
say "the demo's browser bundle (built beside the Rust tests and the smoke runs)"
finish site-build.log "$site_build"
python3 scripts/wasm-profile.py "target/front/wasm32-unknown-unknown/$SESSIONS_WASM_PROFILE/frontend.wasm" 8
# Beside the browser suites, one after the other: the example host site as a host
# builds it (the server with `ssr` alone, the browser bundle with `hydrate` alone, both linted as they build), then the
# library's documentation, warnings denied. Both in target/, where most of their dependencies are already built (the
# rest have a host's features); a target dir of their own cost 6 minutes more.
host_then_doc() {
  scripts/host-site.sh --build
  echo "host site built" >target/host-site-built
  RUSTDOCFLAGS="-D warnings" \
    cargo doc --locked --no-deps -p leptos-sessions --features sqlite,postgres,axum-login,assets
}
rm -f target/host-site-built
beside host-and-doc.log bash -c "set -euo pipefail; $(declare -f host_then_doc); host_then_doc"
host_and_doc=${background[-1]}
scripts/e2e.sh
say "page-load benchmark, once per row (correctness only)"
E2E_RUN="node pageload.mjs --smoke" scripts/e2e.sh
say "the example host site's build (examples/host-site)"
while [ ! -f target/host-site-built ]; do
  kill -0 "$host_and_doc" 2>/dev/null || finish host-and-doc.log "$host_and_doc"
  sleep 1
done
say "browser test of the example host site"
E2E_SITE=host SESSIONS_HOST_SITE_BUILT=1 scripts/e2e.sh tests/host.spec.ts tests/assets.spec.ts
say "browser tests on PostgreSQL with two server instances"
E2E_BACKEND=postgres scripts/e2e.sh tests/instances.spec.ts tests/devices.spec.ts
say "cargo doc (built beside the browser suites)"
finish host-and-doc.log "$host_and_doc"
# The demo and the example site run in islands mode; the library's components must work in a host that hydrates the
# whole page too: the example site again, built that way (only its own crate recompiles).
say "the example host site hydrating the whole page"
HOST_SITE_WHOLE_PAGE=1 scripts/host-site.sh --build
E2E_SITE=host SESSIONS_HOST_SITE_BUILT=1 scripts/e2e.sh tests/host.spec.ts
say "all tests passed"
