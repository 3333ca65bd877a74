//! What shapes a run (the workload kind and its settings) and what a run leaves for the checkers.

use std::fmt;
use std::str::FromStr;

use check::history::Operation;
use check::lock::LockHold;
use check::replicas::{LeaseAlive, ReplicaState};
use check::watch::WatchRecord;
use kv::Event;
use sim::nemesis::NemesisConfig;

use etcd::planted::PlantedBugs;

/// Which client load a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    /// Puts, gets, deletes, CAS txns and ranges, with two watchers.
    Kv,
    /// The kv load with six watchers of every shape.
    Watch,
    /// The kv load with leases: grants, attached puts, keep-alives, revokes, expiry.
    Lease,
    /// Lock clients (etcd's concurrency.Mutex).
    Lock,
}

impl WorkloadKind {
    /// Every kind.
    pub const ALL: [WorkloadKind; 4] = [
        WorkloadKind::Kv,
        WorkloadKind::Watch,
        WorkloadKind::Lease,
        WorkloadKind::Lock,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Kv => "kv",
            WorkloadKind::Watch => "watch",
            WorkloadKind::Lease => "lease",
            WorkloadKind::Lock => "lock",
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown workload {s:?} (kv, watch, lease, lock)"))
    }
}

/// Everything that shapes a run besides the cluster configuration.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    /// The client load.
    pub kind: WorkloadKind,
    /// Clients issuing KV (or lock) operations.
    pub clients: u32,
    /// Keys they work on (`k0`, `k1`, ...).
    pub keys: u32,
    /// Watchers (0 = the kind's default).
    pub watchers: u32,
    /// Virtual ms of load and faults.
    pub duration_ms: u64,
    /// Virtual ms after every fault is healed, before the final checks.
    pub settle_ms: u64,
    /// A client waits this long (ms, inclusive range) between two operations.
    pub think_ms: (u64, u64),
    /// The nemesis (its own client load is switched off).
    pub nemesis: NemesisConfig,
    /// Planted bugs (none by default).
    pub bugs: PlantedBugs,
    /// Bugs planted in every member's store (none by default; the kv, watch and lease loads).
    pub store_bugs: kv::planted::StoreBugs,
    /// Compact the store every this many virtual ms of load, a few revisions behind the
    /// committed log collected so far (`None`: never). The kv, watch and lease loads only.
    pub compact_every_ms: Option<u64>,
}

impl WorkloadConfig {
    /// The defaults for `kind`: 10 s of load, 5 clients on 5 keys, faults including membership
    /// changes, 15 s to settle.
    pub fn new(kind: WorkloadKind) -> Self {
        WorkloadConfig {
            kind,
            clients: if kind == WorkloadKind::Lock { 4 } else { 5 },
            keys: 5,
            watchers: 0,
            duration_ms: 10_000,
            settle_ms: 15_000,
            think_ms: (0, 60),
            nemesis: NemesisConfig {
                proposals_per_sec: 0,
                membership: true,
                ..NemesisConfig::default()
            },
            bugs: PlantedBugs::NONE,
            store_bugs: kv::planted::StoreBugs::NONE,
            compact_every_ms: Some(COMPACT_EVERY_MS),
        }
    }

    pub(super) fn watchers(&self) -> u32 {
        match (self.watchers, self.kind) {
            (0, WorkloadKind::Watch) => 6,
            (0, WorkloadKind::Lock) => 0,
            (0, _) => 2,
            (n, _) => n,
        }
    }
}

/// How often the service-driven loads compact the store, by default (virtual ms).
pub const COMPACT_EVERY_MS: u64 = 3_000;
/// Revisions a compaction stays behind the committed log collected so far (so that watches
/// resumed a little in the past usually still find their start).
pub(super) const COMPACT_LAG: i64 = 8;

/// The client id of the workload's compactions in the history.
pub const COMPACTOR_CLIENT: u32 = u32::MAX - 1;

/// Name of the lock the lock workload contends for.
pub const LOCK_NAME: &str = "L";

/// Everything a run leaves for the checkers.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// The seed.
    pub seed: u64,
    /// Members at the start.
    pub nodes: usize,
    /// Client operations (the server's expiry revokes included, as client [`SERVER_CLIENT`]).
    pub history: Vec<Operation>,
    /// Watch streams.
    pub watches: Vec<WatchRecord>,
    /// Lock holds (lock workload).
    pub locks: Vec<LockHold>,
    /// The committed log: every event of the final store of the most advanced member.
    pub log: Vec<Event>,
    /// What every running member reports at the end.
    pub replicas: Vec<ReplicaState>,
    /// What every running member's store still holds at the end (member, revisions).
    pub held: Vec<(u64, kv::Held)>,
    /// Leases alive at the end, with the last time anything could have renewed them.
    pub leases_alive: Vec<LeaseAlive>,
    /// A Raft safety invariant violation that stopped the run.
    pub invariant: Option<String>,
    /// The run stopped because virtual time stood still for too many steps (a livelock).
    pub stalled: Option<String>,
    /// Virtual time at the end.
    pub end_ms: u64,
    /// Hash of the whole trace.
    pub trace_hash: String,
    /// The last trace events, one per line (for a failing seed's report).
    pub trace_tail: Vec<String>,
    /// Faults the nemesis applied (count) and leaders elected.
    pub faults: u64,
    /// Leaders elected during the run.
    pub elections: usize,
}
