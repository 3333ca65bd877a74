#!/usr/bin/env bash
# Serves raftlab. The browser playground is not built yet (see README, "Status"); until it is,
# this runs the headless demo: a 5-node cluster under a random nemesis, with its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

say "building the raftlab command"
cargo build --release -p cli
say "raftlab run --nodes 5 --seed 42 --duration 60s --nemesis random"
./target/release/raftlab run --nodes 5 --seed 42 --duration 60s --nemesis random "$@"
