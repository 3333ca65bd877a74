//! Helpers shared by the sim integration tests.
#![allow(dead_code)]

use sim::{Cluster, ClusterConfig, Completion, DigestMachine, Outcome, TraceKind};

pub type C = Cluster<DigestMachine>;
pub type Done = Completion<u64, (u64, Vec<u8>)>;

pub fn cluster(nodes: usize, seed: u64) -> C {
    Cluster::new(ClusterConfig::new(nodes, seed)).expect("valid config")
}

pub fn with(cfg: ClusterConfig) -> C {
    Cluster::new(cfg).expect("valid config")
}

/// Runs until a leader exists (at most `limit_ms`), returns it.
pub fn elect(c: &mut C, limit_ms: u64) -> u64 {
    assert!(
        c.run_until_pred(limit_ms, |c| c.leader().is_some())
            .unwrap(),
        "no leader within {limit_ms} ms (seed {})",
        c.seed()
    );
    c.leader().unwrap()
}

/// Proposes at `node` and runs until the request ends; returns the completion.
pub fn propose_wait(c: &mut C, node: u64, data: &str) -> Done {
    let id = c.propose(node, data.as_bytes().to_vec());
    wait(c, id)
}

pub fn wait(c: &mut C, id: u64) -> Done {
    let mut found = None;
    let mut stash = Vec::new();
    c.run_until_pred(60_000, |c| !c.is_pending(id)).unwrap();
    for d in c.take_completions() {
        if d.id == id {
            found = Some(d);
        } else {
            stash.push(d);
        }
    }
    found.unwrap_or_else(|| panic!("request {id} never completed"))
}

pub fn written(d: &Done) -> bool {
    matches!(d.outcome, Outcome::Written { .. })
}

/// Nodes that installed a snapshot, per the trace.
pub fn snapshot_installs(c: &C) -> Vec<(u64, u64)> {
    c.trace()
        .events()
        .filter_map(|e| match e.kind {
            TraceKind::SnapshotInstalled { node, index } => Some((node, index)),
            _ => None,
        })
        .collect()
}
