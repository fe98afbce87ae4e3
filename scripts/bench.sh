#!/usr/bin/env bash
# Reruns the benchmarks behind BENCHMARKS.md and prints their tables.
#   scripts/bench.sh [load|live|signin|page|pageload|trail|device|layer|wasm|all]   full runs (release builds; minutes
#                                                                     each)
#   scripts/bench.sh --smoke                                          every benchmark once, briefly, as a
#                                                                     correctness check (what CI runs; no timings
#                                                                     are asserted)
# PostgreSQL rows need SESSIONS_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export SESSIONS_TEST_POSTGRES_URL="${SESSIONS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
baseline_manifest=server/load/tower-sessions/Cargo.toml

wasm_sizes() {
  local wasm="$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR/sessions.wasm"
  # The bundle that ships, even when the test command's lighter build is there.
  SESSIONS_WASM_PROFILE=wasm-release scripts/build.sh --site-only
  node -e '
    const fs = require("fs"), zlib = require("zlib");
    const raw = fs.readFileSync(process.argv[1]);
    const gz = zlib.gzipSync(raw, { level: 9 }).length;
    const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    const kb = (n) => (n / 1024).toFixed(1) + " KB";
    console.log("| hydrate bundle | raw | gzip -9 | brotli 11 |\n|---|---|---|---|");
    console.log(`| sessions.wasm | ${kb(raw.length)} | ${kb(gz)} | ${kb(br)} |`);
  ' "$wasm"
}

if [ "${1:-}" = "--smoke" ]; then
  say "benchmark smoke runs (correctness only)"
  # Criterion benches run each benchmark once under `cargo test`; the custom ones take their short path. The same
  # packages and features as the test command's, so nothing is compiled twice (its run built the examples already).
  cargo test --locked "${NATIVE[@]}" --benches
  cargo build --locked "${NATIVE[@]}" --examples
  # Our servers only: the tower-sessions baseline is its own workspace (sqlx 0.8), whose build would add a minute
  # and a gigabyte to every test run; `scripts/bench.sh load` builds and runs it.
  target/debug/examples/load_bench --smoke
  target/debug/examples/load_bench --smoke --streams 50 --idle 1
  server="${SESSIONS_TEST_SERVER:-target/release/server}"
  [ -x "$server" ] || scripts/build.sh
  target/debug/examples/page_bench --smoke --server "$server"
  # The profile script on whatever bundle was built (the test command runs this once its bundle is there); its sizes
  # mean something only for wasm-release (`bench.sh wasm`).
  [ "${SESSIONS_SMOKE_SKIP_WASM:-}" = 1 ] || python3 scripts/wasm-profile.py \
    "target/front/wasm32-unknown-unknown/$SESSIONS_WASM_PROFILE/frontend.wasm" 8
  exit 0
fi

what="${1:-all}"
run() { [ "$what" = all ] || [ "$what" = "$1" ]; }
if run load; then
  say "load: bare axum vs our layer vs tower-sessions, on loopback"
  cargo build --locked --release -p server --examples
  cargo build --locked --release --manifest-path "$baseline_manifest" --target-dir target/baseline
  target/release/examples/load_bench --baseline target/baseline/release/tower-sessions-baseline
fi
if run live; then
  say "live push: from a revocation to the revoked tab's sign-in page (Chromium, 50 samples each)"
  scripts/build.sh
  echo "| revoked by | samples | p50 | p99 | max |"
  echo "|---|---|---|---|---|"
  E2E_RUN="node live-latency.mjs same 50" scripts/e2e.sh 2>/dev/null | grep '^|'
  E2E_RUN="node live-latency.mjs cli 50" scripts/e2e.sh 2>/dev/null | grep '^|'
  E2E_BACKEND=postgres E2E_RUN="node live-latency.mjs instances 50" scripts/e2e.sh 2>/dev/null | grep '^|'
  say "idle live streams: memory and CPU per stream, and the load beside 10,000 of them"
  cargo build --locked --release -p server --examples
  # Each stream is a socket on both ends.
  (ulimit -n "$(ulimit -Hn)" && target/release/examples/load_bench --streams 10000 --rounds 5)
fi
if run signin; then
  say "sign-in tracking cost"
  cargo bench --locked -p leptos-sessions --features sqlite,postgres --bench signin
fi
if run page; then
  say "devices page SSR"
  scripts/build.sh
  cargo build --locked --release -p server --examples
  target/release/examples/page_bench --server target/release/server
fi
if run wasm; then
  say "hydrate bundle size"
  wasm_sizes
  say "where the bytes go (before wasm-opt)"
  python3 scripts/wasm-profile.py target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
fi
if run trail; then
  say "trail at scale (10 million events)"
  cargo bench --locked -p leptos-sessions --features sqlite,postgres --bench trail_scale
fi
if run device; then
  say "user agents and geolocation (criterion)"
  cargo bench --locked -p leptos-sessions --features sqlite,postgres --bench device -- --warm-up-time 1 --measurement-time 3
fi
if run pageload; then
  say "page load from a cold cache, desktop and slow 4G (Chromium, median of 5)"
  scripts/build.sh
  E2E_RUN="node pageload.mjs" scripts/e2e.sh
  # The example host site in islands mode: its shipped bundle, served by its (debug) server.
  SESSIONS_WASM_PROFILE=wasm-release scripts/host-site.sh --build
  E2E_SITE=host SESSIONS_HOST_SITE_BUILT=1 E2E_RUN="node pageload.mjs" scripts/e2e.sh
fi
if run layer; then
  say "layer cost in process (criterion)"
  cargo bench --locked -p leptos-sessions --features sqlite,postgres --bench layer -- --warm-up-time 1 --measurement-time 3
fi
