//! Cluster and Raft options. Defaults follow etcd (docs/architecture.md).

use serde::{Deserialize, Serialize};

/// Largest cluster the simulator builds.
pub const MAX_NODES: usize = 51;

/// How a leader serves linearizable reads (raft-rs `ReadOnlyOption`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ReadMode {
    /// ReadIndex confirmed by a heartbeat round to a quorum (etcd's default).
    #[default]
    Safe,
    /// Trust the leader lease (needs check-quorum; unsafe under clock drift).
    LeaseBased,
}

/// Raft options exposed to users.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RaftOptions {
    /// Ticks without a heartbeat before a follower campaigns (etcd: 10).
    pub election_tick: usize,
    /// Ticks between leader heartbeats (etcd: 1).
    pub heartbeat_tick: usize,
    /// Pre-vote phase before a real election (etcd: on).
    pub pre_vote: bool,
    /// Leader steps down when it cannot hear a quorum (etcd: on).
    pub check_quorum: bool,
    /// Max append messages in flight per follower.
    pub max_inflight_msgs: usize,
    /// Max bytes of entries per append message.
    pub max_size_per_msg: u64,
    /// ReadIndex mode.
    pub read_mode: ReadMode,
    /// Take a snapshot and compact the log when this many entries were applied since the last
    /// one (0 = never).
    pub compaction_threshold: u64,
    /// Followers forward proposals to the leader (raft-rs behaviour); when off, a proposal at a
    /// follower is refused with the known leader.
    pub forward_proposals: bool,
}

impl Default for RaftOptions {
    fn default() -> Self {
        RaftOptions {
            election_tick: 10,
            heartbeat_tick: 1,
            pre_vote: true,
            check_quorum: true,
            max_inflight_msgs: 256,
            max_size_per_msg: 1024 * 1024,
            read_mode: ReadMode::Safe,
            compaction_threshold: 1000,
            forward_proposals: true,
        }
    }
}

/// Per-link network behaviour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Probability that a message is lost.
    pub drop_prob: f64,
    /// Minimum one-way latency in ms.
    pub latency_min_ms: u64,
    /// Maximum one-way latency in ms.
    pub latency_max_ms: u64,
    /// Probability that a message is delivered twice.
    pub duplicate_prob: f64,
    /// Allow later messages to overtake earlier ones (otherwise the link is FIFO, like TCP).
    pub reorder: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            drop_prob: 0.0,
            latency_min_ms: 2,
            latency_max_ms: 10,
            duplicate_prob: 0.0,
            reorder: false,
        }
    }
}

impl LinkConfig {
    /// Checks probabilities and the latency range.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [("drop", self.drop_prob), ("duplicate", self.duplicate_prob)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} probability {p} is not between 0 and 1"));
            }
        }
        if self.latency_min_ms > self.latency_max_ms {
            return Err(format!(
                "latency range {}..{} ms is empty",
                self.latency_min_ms, self.latency_max_ms
            ));
        }
        if self.latency_max_ms > 600_000 {
            return Err("latency above 10 minutes".into());
        }
        Ok(())
    }
}

/// Everything that defines a fresh cluster (with the seed, a run is reproducible).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// Number of initial voters, 1 to 51.
    pub nodes: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// Virtual milliseconds per Raft tick (etcd: 100).
    pub tick_ms: u64,
    /// Raft options.
    pub raft: RaftOptions,
    /// Default link behaviour.
    pub link: LinkConfig,
    /// Client request timeout in virtual ms (etcdctl's --command-timeout: 5 s).
    pub request_timeout_ms: u64,
    /// Trace events kept in memory (older ones are dropped; the hash covers all).
    pub trace_capacity: usize,
    /// Record the trace at all (benchmarks switch it off).
    pub trace: bool,
    /// Check Raft safety invariants as the run goes.
    pub check_invariants: bool,
    /// PLANTED BUG, for checker tests and teaching only (off by default, and then not even
    /// serialized): members apply entries to their state machine as soon as they append them,
    /// before they are committed (see `etcd::planted`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub planted_apply_before_commit: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nodes: 5,
            seed: 0,
            tick_ms: 100,
            raft: RaftOptions::default(),
            link: LinkConfig::default(),
            request_timeout_ms: 5_000,
            trace_capacity: 100_000,
            trace: true,
            check_invariants: true,
            planted_apply_before_commit: false,
        }
    }
}

impl ClusterConfig {
    /// A default config with `nodes` and `seed`.
    pub fn new(nodes: usize, seed: u64) -> Self {
        ClusterConfig {
            nodes,
            seed,
            ..Self::default()
        }
    }

    /// Checks every option.
    ///
    /// # Errors
    /// A one-line message naming the bad option.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(format!(
                "node count {} is out of range (1 to {MAX_NODES})",
                self.nodes
            ));
        }
        if self.tick_ms == 0 {
            return Err("tick must be at least 1 ms".into());
        }
        let r = &self.raft;
        if r.heartbeat_tick == 0 {
            return Err("heartbeat tick must be at least 1".into());
        }
        if r.election_tick <= r.heartbeat_tick {
            return Err(format!(
                "election tick {} must be greater than heartbeat tick {}",
                r.election_tick, r.heartbeat_tick
            ));
        }
        if r.election_tick > 1000 {
            return Err("election tick above 1000".into());
        }
        if r.max_inflight_msgs == 0 {
            return Err("max inflight messages must be at least 1".into());
        }
        if r.read_mode == ReadMode::LeaseBased && !r.check_quorum {
            return Err("lease-based reads need check-quorum".into());
        }
        self.link.validate()
    }

    /// Election timeout in virtual ms.
    pub fn election_timeout_ms(&self) -> u64 {
        self.raft.election_tick as u64 * self.tick_ms
    }
}
