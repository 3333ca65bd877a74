#!/usr/bin/env bash
# Runs every test of raftlab. On a fresh machine it first installs what is missing (the wasm
# target and wasm-bindgen-cli matching Cargo.lock); it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_wasm_target
ensure_wasm_bindgen
# Real etcd for the differential test (optional: without it the test uses its recordings), and
# etcdctl for raftlab serve's tests (skipped without it).
ensure_etcd
# protoc for the etcd-client crate's build script (crates/serve's tests).
ensure_protoc
# The Python etcd3 client for raftlab serve's Python test.
ensure_py_etcd3

# No incremental compilation caches: they only help repeated local builds and cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

say "format and lints"
cargo fmt --all -- --check
if [ "${RAFTLAB_CI:-0}" = 1 ]; then
    # On CI, lints build into their own directory, deleted right after: the peak disk use of the
    # run is then one build's, not the sum of all of them.
    CARGO_TARGET_DIR=target/clippy cargo clippy --workspace --all-targets -- -D warnings
    rm -rf target/clippy
else
    cargo clippy --workspace --all-targets -- -D warnings
fi

say "native tests (unit, integration, text-driven cases, 500 nemesis seeds)"
cargo test --workspace

# On CI (.ci/run sets RAFTLAB_CI=1) the native build is not needed again: free its disk before
# the wasm and browser builds.
if [ "${RAFTLAB_CI:-0}" = 1 ]; then
    rm -rf target/debug
fi

say "wasm tests under Node (trace hashes equal the native ones)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p sim --target wasm32-unknown-unknown --test wasm

say "browser end-to-end tests (release build in headless chromium)"
ensure_trunk
ensure_chromium
ensure_npm_packages
(
    web_build_env
    trunk build --release --offline
)
# The live view's test (web/e2e/serve_follow.test.mjs) runs the release binary as
# `raftlab serve --ui dist`.
cargo build --release -p cli
(cd web && node --test e2e/)

say "all tests passed"
