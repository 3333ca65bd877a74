#!/usr/bin/env bash
# Serves the raftlab playground at http://127.0.0.1:8080 with `trunk serve` (rebuilds on change).
# Installs what is missing first: the wasm target, wasm-bindgen-cli matching Cargo.lock, trunk.
# Extra arguments go to trunk, e.g. `./scripts/serve.sh --release --port 9000`.
# For a static site instead: `trunk build --release --offline` and serve dist/ from any server.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_wasm_target
ensure_wasm_bindgen
ensure_trunk
web_build_env

say "serving the playground on http://127.0.0.1:8080 (trunk serve --offline)"
exec trunk serve --offline "$@"
