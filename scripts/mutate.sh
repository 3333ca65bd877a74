#!/usr/bin/env bash
# Mutation check: plants small bugs in kv and etcd one at a time (an off-by-one in a limit or a
# revision, a dropped event, a forgotten key, a wrong count...), builds `raftlab` with each, runs
# `raftlab sweep` on every workload and prints a table of which sweeps caught which bug.
#
#   scripts/mutate.sh                 # every mutation, 300 seeds per workload (lock: 100)
#   SEEDS=100 scripts/mutate.sh 3 5   # mutations 3 and 5 only, 100 seeds
#
# Each mutation is an exact text replacement in one source file of the tree the script is run
# from; the file is restored after its run (and on exit, whatever happens), but run it on a copy
# (`git archive HEAD | tar -x -C DIR`) if you are editing the tree meanwhile. Builds run under
# a lock (MUTATE_LOCK, so that two builds never share the machine's cores) in a target dir of
# their own (MUTATE_TARGET_DIR, by default target/mutate), so that no other build ever links a
# mutated crate.
# Not part of CI: it takes a release build per mutation.

set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEEDS=${SEEDS:-300}
LOCK_SEEDS=${LOCK_SEEDS:-100}
WORKLOADS=${WORKLOADS:-"kv watch lease lock"}
OUT=${OUT:-/tmp/raftlab-mutate}
export CARGO_TARGET_DIR=${MUTATE_TARGET_DIR:-$ROOT/target/mutate}
LOCK=${MUTATE_LOCK:-/tmp/raftlab-cargo.lock}
export CARGO_INCREMENTAL=0
mkdir -p "$OUT"

# id, file, text to find (exactly once), replacement, what the bug does: separated by tabs.
read -r -d '' MUTATIONS <<'EOF' || true
1	crates/kv/src/store.rs	kvs.len() as i64 > req.limit	kvs.len() as i64 >= req.limit	range: `more` set when exactly `limit` keys are left
2	crates/kv/src/store.rs	Ok(RangeResponse { kvs, more, count })	Ok(RangeResponse { count: kvs.len() as i64, kvs, more })	range: `count` counts the keys returned
3	crates/kv/src/store.rs	kvs.truncate(req.limit as usize);	kvs.truncate(req.limit as usize + 1);	range: returns `limit + 1` keys
4	crates/kv/src/store.rs	self.compact_rev = rev - 	self.compact_rev = rev - 1 - 	compaction records one revision less
5	crates/kv/src/key_index.rs	g.revs.skip(ri.saturating_sub(	g.revs.skip(ri.saturating_sub(1 + 	key index keeps one revision too many
6	crates/kv/src/store.rs	if rev < self.compact_rev {	if rev <= self.compact_rev {	read at the compaction point fails as compacted
7	crates/kv/src/store.rs	(self.current_rev, ctx.events)	{ self.current_rev = ctx.rev; (self.current_rev, ctx.events) }	every write raises the revision (a delete of nothing too)
8	crates/kv/src/txn.rs	CompareResult::Greater => ord == Ordering::Greater,	CompareResult::Greater => ord != Ordering::Less,	txn compare: `>` holds on equal
9	crates/kv/src/store.rs	let start = Revision::new(start_rev.max(1), 0);	let start = Revision::new(start_rev.max(1) + 1, 0);	watch history replay skips its start revision
10	crates/kv/src/watch.rs	            w.next_rev = revision + 1;	            w.next_rev = revision + 2;	watch: the write after an event is not delivered
11	crates/kv/src/lease.rs	        deleter.delete_keys(&keys);	        deleter.delete_keys(&keys[..keys.len().saturating_sub(1)]);	lease revoke forgets its last key
12	crates/kv/src/store.rs	            version: prev.as_ref().map_or(0, |p| p.version) + 1,	            version: prev.as_ref().map_or(1, |p| p.version) + 1,	put: a new key starts at version 2
13	crates/etcd/src/service/mod.rs	if !self.hooks.filter_watch(&mut r) {	if r.events.len() > 1 { r.events.pop(); } if !self.hooks.filter_watch(&mut r) {	watch: the last event of a multi-key write is dropped
14	crates/etcd/src/service/lease.rs	            if leads && self.cluster.status(node).ok() == Some(sim::NodeStatus::Up) {	            if false && leads {	the leader never expires leases
EOF

restore() {
  if [ -n "${SAVED:-}" ] && [ -f "$SAVED" ]; then
    cp "$SAVED" "$ROOT/$FILE"
    rm -f "$SAVED"
    SAVED=
  fi
}
trap restore EXIT

build() {
  flock "$LOCK" bash -c '
    # Artifacts are keyed by workspace-relative path: make the ones of this tree the newest.
    for c in crates/*; do touch -c $c/src/lib.rs $c/src/main.rs 2>/dev/null; done
    cargo build --release -q -p cli' >"$OUT/build.log" 2>&1
}

# Which checkers failed on some seed of a sweep (from its failing seeds' reports), and the first
# failing seed.
caught() {
  local log=$1
  local checkers
  checkers=$(awk '/^seed [0-9]+ FAILED/{t=1;next} t&&/^  [a-z]+: / && $1!="replay:"{sub(":","",$1); if(!seen[$1]++) printf "%s%s", sep, $1; sep=","; next} {t=0}' "$log")
  local seed
  seed=$(grep -o '^seed [0-9]* FAILED' "$log" | head -1 | awk '{print $2}')
  if [ -n "$checkers" ]; then echo "$checkers (seed ${seed:-?})"; else echo "-"; fi
}

want=("$@")
printf '| # | mutation | %s |\n' "$(echo $WORKLOADS | sed 's/ / | /g')"
printf '|---|----------|%s\n' "$(for w in $WORKLOADS; do printf -- '----|'; done)"
while IFS=$'\t' read -r id FILE find replace what; do
  [ -z "$id" ] && continue
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $id " ]]; then continue; fi
  SAVED=$(mktemp)
  cp "$FILE" "$SAVED"
  if ! FIND="$find" REPLACE="$replace" python3 - "$FILE" <<'PY'
import os, sys
p = sys.argv[1]
s = open(p).read()
f, r = os.environ["FIND"], os.environ["REPLACE"]
if s.count(f) != 1:
    sys.exit(f"{p}: {f!r} found {s.count(f)} times")
open(p, "w").write(s.replace(f, r))
PY
  then
    printf '| %s | %s | %s |\n' "$id" "$what" "not applied (source changed)"
    restore
    continue
  fi
  if ! build; then
    printf '| %s | %s | %s |\n' "$id" "$what" "does not build: see $OUT/build.log"
    restore
    continue
  fi
  cp "$CARGO_TARGET_DIR/release/raftlab" "$OUT/raftlab-m$id"
  restore
  row="| $id | $what |"
  for w in $WORKLOADS; do
    n=$SEEDS
    [ "$w" = lock ] && n=$LOCK_SEEDS
    log="$OUT/m$id-$w.log"
    (cd "$OUT" && "$OUT/raftlab-m$id" sweep --seeds "$n" --workload "$w" --nodes 5 \
      --out "$OUT/failures-m$id-$w" >"$log" 2>&1) || true
    row="$row $(caught "$log") |"
  done
  rm -f "$OUT/raftlab-m$id"
  echo "$row"
done <<<"$MUTATIONS"
