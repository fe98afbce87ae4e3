#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit and integration tests, then the browser suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
. scripts/env.sh

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --locked --all-targets --features leptos-sessions/fault-injection -- -D warnings
# The browser build has its own cfg paths; lint them too (separate target dir, as for the real build).
cargo clippy --locked -p frontend --target wasm32-unknown-unknown --target-dir target/front -- -D warnings
say "Rust tests"
cargo test --locked -p leptos-sessions -p server --features leptos-sessions/ssr,leptos-sessions/demo,leptos-sessions/fault-injection
scripts/build.sh
scripts/e2e.sh
say "all tests passed"
