//! Seeded client workloads against the etcd service under a random nemesis, recorded for the
//! checkers (etcd's robustness tests and Jepsen's etcd workloads are the models).
//!
//! [`run`] builds a cluster from a seed, starts a random nemesis (partitions, crashes, pauses,
//! drops, delays with reordering and duplication, one-way cuts, leader transfers and, if asked,
//! membership changes) and a client load for `duration_ms` of virtual time; then it heals every
//! fault, lets the cluster settle, and returns a [`Recording`]: the client [`history`]
//! (check's [`Operation`](check::history::Operation)s), every watch stream, the lock holds, the committed log, what every
//! member reports at the end, and the leases still alive. [`crate::verify`] runs the checkers on
//! it. Everything is a pure function of the seed and the configuration.
//!
//! Workloads ([`WorkloadKind`]):
//! - `kv`: puts, linearizable gets, deletes (of one key or two neighbours), compare-and-set
//!   txns, txns with several comparisons and writes, and prefix ranges over a few keys, plus two
//!   watchers;
//! - `watch`: the same load with six watchers (prefix, single-key and open-ended ranges,
//!   historical start revisions, `prev_kv`, filters), resumed on another member when theirs is
//!   lost;
//! - `lease`: the kv load plus lease grants, puts attached to leases, keep-alives, revokes, and
//!   expiry (recorded as revokes by the server pseudo-client);
//! - `lock`: clients of [`etcd::client::Client::lock_with_session`] (etcdctl's `lock`: etcd's
//!   concurrency.Mutex recipe), each taking the lock, holding it a while and letting go, under
//!   partitions, crashes, pauses, lossy links, cut links and revoked session leases.
//!
//! [`history`]: Recording::history

mod config;
mod frame;
mod load;
mod lock;

pub use config::{
    Recording, WorkloadConfig, WorkloadKind, COMPACTOR_CLIENT, COMPACT_EVERY_MS, LOCK_NAME,
};

use sim::ClusterConfig;

/// Runs `workload` on a cluster built from `cluster` (seed included) and records it.
///
/// # Errors
/// An invalid configuration.
pub fn run(cluster: ClusterConfig, workload: &WorkloadConfig) -> etcd::Result<Recording> {
    match workload.kind {
        WorkloadKind::Lock => lock::LockDriver::new(cluster, workload)?.run(),
        _ => load::Driver::new(cluster, workload)?.run(),
    }
}
