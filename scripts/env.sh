# Shared by the scripts: the names and paths cargo-leptos would use, so both build paths agree.
# LEPTOS_OUTPUT_NAME is read when leptos compiles (it names the files the page loads), so builds export it too.
export LEPTOS_OUTPUT_NAME=sessions
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_HASH_FILES=false
export LEPTOS_RELOAD_PORT=3001
export LEPTOS_SITE_ADDR="${SESSIONS_ADDR:-127.0.0.1:3000}"
export PATH="$HOME/.cargo/bin:$PATH"
# A CI run builds once, so incremental caches would only fill the disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
# Each step says when it started, in seconds since the first script of this run began (the test command's phases).
export SESSIONS_RUN_STARTED="${SESSIONS_RUN_STARTED:-$(date +%s)}"
say() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$(($(date +%s) - SESSIONS_RUN_STARTED))" "$*"; }
# The cargo profile of the browser bundles: wasm-release ships; the test command builds wasm-test (scripts/test.sh).
export SESSIONS_WASM_PROFILE="${SESSIONS_WASM_PROFILE:-wasm-release}"
# Every native cargo command of the test command builds the same packages with the same features, so cargo compiles
# each dependency once for all of them (tests, benchmarks in test mode, examples).
NATIVE=(-p leptos-sessions -p app -p server
  --features leptos-sessions/sqlite,leptos-sessions/postgres,leptos-sessions/fault-injection,leptos-sessions/axum-login)
