//! Deterministic identifiers: cluster id, member ids and server-chosen lease ids.

use sim::rng::{derive_seed, mix64};

/// The cluster id of a run (etcd derives it from the members; we derive it from the seed).
pub fn cluster_id(seed: u64) -> u64 {
    mix64(derive_seed(seed, 0xC1u64))
}

/// The member id shown for node `node` (etcd member ids are random 64-bit values).
pub fn member_id(seed: u64, node: u64) -> u64 {
    mix64(cluster_id(seed) ^ mix64(node))
}

/// The node whose member id is `id`, among `nodes`.
pub fn node_of_member(seed: u64, nodes: &[u64], id: u64) -> Option<u64> {
    nodes
        .iter()
        .copied()
        .find(|n| member_id(seed, *n) == id || *n == id)
}

/// The `n`-th server-chosen lease id: positive, non-zero, printed as 16 hex digits.
pub fn lease_id(seed: u64, n: u64) -> i64 {
    let v = mix64(derive_seed(seed, 0x1EA5E) ^ mix64(n)) & 0x7fff_ffff_ffff_ffff;
    if v == 0 {
        1
    } else {
        v as i64
    }
}
