//! User and nemesis actions: faults, membership changes, proposals. Scripted or interactive,
//! they go through one code path (`Cluster::apply`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::LinkConfig;

/// One thing a person (or a nemesis) does to the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Split the nodes into groups that cannot talk to each other; nodes not listed form one
    /// more group together (`partition 3` isolates node 3). It replaces any earlier partition
    /// or cut link.
    Partition(Vec<Vec<u64>>),
    /// Restore every cut link (held links stay held).
    Heal,
    /// Cut one directed link.
    Cut { from: u64, to: u64 },
    /// Restore one directed link (releases its held messages in order).
    Restore { from: u64, to: u64 },
    /// Hold one directed link: messages wait until released or discarded.
    Hold { from: u64, to: u64 },
    /// Release a held message (the oldest if `msg` is `None`).
    Release {
        from: u64,
        to: u64,
        msg: Option<u64>,
    },
    /// Discard a held message (the oldest if `msg` is `None`).
    Discard {
        from: u64,
        to: u64,
        msg: Option<u64>,
    },
    /// Set one directed link's drop rate, latency, duplication and reordering.
    SetLink {
        from: u64,
        to: u64,
        config: LinkConfig,
    },
    /// Set every link's behaviour.
    SetNetwork(LinkConfig),
    /// Crash a node: volatile state lost, durable state kept.
    Crash(u64),
    /// Restart a crashed node from its durable state.
    Restart(u64),
    /// Freeze a node (nothing lost).
    Pause(u64),
    /// Unfreeze a node.
    Resume(u64),
    /// Add a voter (a new node if the id is new), through joint consensus.
    AddVoter(u64),
    /// Add a learner (a new node if the id is new).
    AddLearner(u64),
    /// Promote a learner to voter.
    Promote(u64),
    /// Remove a member.
    Remove(u64),
    /// Ask the leader to hand leadership to this node.
    TransferLeader(u64),
    /// Make a node start an election now.
    Campaign(u64),
    /// Propose a command at a node (a client request).
    Propose { node: u64, data: Vec<u8> },
}

fn groups(gs: &[Vec<u64>]) -> String {
    gs.iter()
        .map(|g| g.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Partition(gs) => write!(f, "partition {}", groups(gs)),
            Action::Heal => write!(f, "heal"),
            Action::Cut { from, to } => write!(f, "cut {from}->{to}"),
            Action::Restore { from, to } => write!(f, "restore {from}->{to}"),
            Action::Hold { from, to } => write!(f, "hold {from}->{to}"),
            Action::Release { from, to, msg } => match msg {
                Some(m) => write!(f, "release {from}->{to} {m}"),
                None => write!(f, "release {from}->{to}"),
            },
            Action::Discard { from, to, msg } => match msg {
                Some(m) => write!(f, "discard {from}->{to} {m}"),
                None => write!(f, "discard {from}->{to}"),
            },
            Action::SetLink { from, to, config } => write!(
                f,
                "link {from}->{to} drop={} latency={}-{}ms dup={} reorder={}",
                config.drop_prob,
                config.latency_min_ms,
                config.latency_max_ms,
                config.duplicate_prob,
                config.reorder
            ),
            Action::SetNetwork(config) => write!(
                f,
                "network drop={} latency={}-{}ms dup={} reorder={}",
                config.drop_prob,
                config.latency_min_ms,
                config.latency_max_ms,
                config.duplicate_prob,
                config.reorder
            ),
            Action::Crash(n) => write!(f, "crash {n}"),
            Action::Restart(n) => write!(f, "restart {n}"),
            Action::Pause(n) => write!(f, "pause {n}"),
            Action::Resume(n) => write!(f, "resume {n}"),
            Action::AddVoter(n) => write!(f, "member add {n}"),
            Action::AddLearner(n) => write!(f, "member add {n} --learner"),
            Action::Promote(n) => write!(f, "member promote {n}"),
            Action::Remove(n) => write!(f, "member remove {n}"),
            Action::TransferLeader(n) => write!(f, "move-leader {n}"),
            Action::Campaign(n) => write!(f, "campaign {n}"),
            Action::Propose { node, data } => {
                write!(f, "propose {node} {}", String::from_utf8_lossy(data))
            }
        }
    }
}
