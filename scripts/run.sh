#!/usr/bin/env bash
# Runs the demo site at http://127.0.0.1:3000 on an embedded SQLite file under data/.
# Honours SESSIONS_ADDR, SESSIONS_DATABASE_URL, SESSIONS_SECRET_KEY and SESSIONS_SECURE_COOKIES (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
. scripts/env.sh
say "serving on http://$LEPTOS_SITE_ADDR (Ctrl-C stops)"
exec target/release/server serve
