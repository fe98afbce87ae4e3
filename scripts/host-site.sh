#!/usr/bin/env bash
# Builds the example host site (examples/host-site): its browser bundle into target/host-site/pkg, then its server.
# `scripts/host-site.sh` builds and runs it on http://127.0.0.1:3200; `--build` only builds. In islands mode, or
# hydrating the whole page with HOST_SITE_WHOLE_PAGE=1 (the cargo feature `whole-page`, server and bundle alike).
# Its own cargo invocations, so leptos-sessions is compiled as a host would compile it: `ssr` for the server and
# `hydrate` for the browser, never the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

say "building the host site's browser bundle (wasm)"
mode=${HOST_SITE_WHOLE_PAGE:+,whole-page}
cargo build --locked -p host-site --lib --features "hydrate$mode" --target wasm32-unknown-unknown \
  --profile "$SESSIONS_WASM_PROFILE" --target-dir target/front
wasm=target/front/wasm32-unknown-unknown/$SESSIONS_WASM_PROFILE/host_site.wasm
pkg=target/host-site/pkg
mkdir -p "$pkg"
if [ ! -f "$pkg/host.wasm" ] || [ "$wasm" -nt "$pkg/host.wasm" ] \
  || [ "$(cat target/.host-site-wasm-profile 2>/dev/null)" != "$SESSIONS_WASM_PROFILE" ]; then
  wasm-bindgen --target web --out-dir "$pkg" --out-name host "$wasm"
  mv "$pkg/host_bg.wasm" "$pkg/host.wasm"
  if [ "$SESSIONS_WASM_PROFILE" = wasm-release ]; then
    end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$pkg/host.wasm" -o "$pkg/host.wasm"
  fi
  echo "$SESSIONS_WASM_PROFILE" >target/.host-site-wasm-profile
fi
# Content-hashed copies, precompressed, and the hash file the server reads (leptos_sessions::assets).
[ target/host-site/hash.txt -nt "$pkg/host.wasm" ] || node scripts/assets.mjs "$pkg" host target/host-site/hash.txt
say "building the host site's server"
cargo build --locked -p host-site --features "ssr$mode" --bin host-site
[ "${1:-}" = --build ] && exit 0
exec target/debug/host-site
