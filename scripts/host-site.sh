#!/usr/bin/env bash
# Builds the example host site (examples/host-site): its browser bundle into target/host-site/pkg, then its server.
# `scripts/host-site.sh` builds and runs it on http://127.0.0.1:3200; `--build` only builds.
# Its own cargo invocations, so leptos-sessions is compiled as a host would compile it: `ssr` for the server and
# `hydrate` for the browser, never the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

say "building the host site's browser bundle (wasm)"
cargo build --locked -p host-site --lib --features hydrate --target wasm32-unknown-unknown --profile wasm-release \
  --target-dir target/front
wasm=target/front/wasm32-unknown-unknown/wasm-release/host_site.wasm
pkg=target/host-site/pkg
mkdir -p "$pkg"
if [ ! -f "$pkg/host.wasm" ] || [ "$wasm" -nt "$pkg/host.wasm" ]; then
  wasm-bindgen --target web --out-dir "$pkg" --out-name host "$wasm"
  mv "$pkg/host_bg.wasm" "$pkg/host.wasm"
fi
say "building the host site's server"
cargo build --locked -p host-site --features ssr --bin host-site
[ "${1:-}" = --build ] && exit 0
exec target/debug/host-site
