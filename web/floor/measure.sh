#!/bin/bash
# The size floor of the playground's mandated dependencies: raft-rs (with the vendored lite
# raft-proto and slog compiled out, as in the playground), Leptos 0.8 CSR and serde_json, each
# doing a little real work (a 5-node raft-rs cluster electing and committing; a reactive page
# with a keyed list, SVG and events; a JSON round trip), built with the playground's size
# profile (opt-level z, fat LTO, one codegen unit). Prints wasm + js gzip -9 for raft-rs alone,
# Leptos alone, and both.   Usage: web/floor/measure.sh
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${FLOOR_TARGET:-$PWD/target}"
for f in raft ui raft,ui; do
    cargo build -q --release --target wasm32-unknown-unknown --features "$f"
    out="$CARGO_TARGET_DIR/out-$f"
    wasm-bindgen --target web --remove-name-section --out-dir "$out" \
        "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/floor.wasm" 2>/dev/null
    w=$(gzip -9c "$out/floor_bg.wasm" | wc -c)
    j=$(gzip -9c "$out/floor.js" | wc -c)
    echo "$f: wasm + js gzip $((w + j)) bytes"
done
