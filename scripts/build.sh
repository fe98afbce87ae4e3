#!/usr/bin/env bash
# Builds the site without cargo-leptos: the WASM bundle into target/site/pkg, then the server binary.
#   scripts/build.sh               both (what scripts/run.sh serves)
#   scripts/build.sh --site-only   the bundle and assets alone (the test command serves its debug server binary)
# Cargo rebuilds only what changed. The two builds use separate target dirs so the app crate never gets
# its ssr and hydrate features unified.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

pkg="$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR"
say "building the browser bundle (wasm)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile "$SESSIONS_WASM_PROFILE" \
  --target-dir target/front
wasm=target/front/wasm32-unknown-unknown/$SESSIONS_WASM_PROFILE/frontend.wasm
mkdir -p "$pkg"
# Rebuilt when the compiled module changed, or when the bundle there came from the other profile.
if [ ! -f "$pkg/sessions.wasm" ] || [ "$wasm" -nt "$pkg/sessions.wasm" ] \
  || [ "$(cat target/.site-wasm-profile 2>/dev/null)" != "$SESSIONS_WASM_PROFILE" ]; then
  wasm-bindgen --target web --out-dir "$pkg" --out-name sessions "$wasm"
  mv "$pkg/sessions_bg.wasm" "$pkg/sessions.wasm"
  # npm's binaryen; Debian's older wasm-opt produces modules that fail in the browser. Only on what ships.
  if [ "$SESSIONS_WASM_PROFILE" = wasm-release ]; then
    end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$pkg/sessions.wasm" -o "$pkg/sessions.wasm"
  fi
  echo "$SESSIONS_WASM_PROFILE" >target/.site-wasm-profile
fi
cat sessions/style/sessions.css style/main.css > "$pkg/sessions.css"
# Content-hashed copies, precompressed (brotli, gzip), and the hash file the server reads (leptos_sessions::assets).
node scripts/assets.mjs "$pkg" sessions "$LEPTOS_SITE_ROOT/hash.txt"
cp -r public/. "$LEPTOS_SITE_ROOT/"

[ "${1:-}" = --site-only ] && exit 0
say "building the server"
cargo build --locked -p server --release
