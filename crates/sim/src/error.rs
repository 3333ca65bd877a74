//! The sim crate's error type.

use std::fmt;

use crate::invariants::Violation;

/// Errors of the simulator. Each is a one-line message a person can act on.
#[derive(thiserror::Error)]
pub enum Error {
    /// A bad option.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// No node has this id.
    #[error("no node {0} in the cluster")]
    UnknownNode(u64),
    /// The node is crashed (or paused) and cannot do this.
    #[error("node {0} is {1}")]
    NodeNotUp(u64, &'static str),
    /// The action needs a leader and no node leads.
    #[error("no leader")]
    NoLeader,
    /// The cluster would exceed its size limit.
    #[error("the cluster cannot have more than {0} nodes")]
    TooManyNodes(usize),
    /// A partition that does not split the cluster properly.
    #[error("invalid partition: {0}")]
    Partition(String),
    /// No held message matches.
    #[error("no held message on link {0}->{1}")]
    NothingHeld(u64, u64),
    /// raft-rs refused the call.
    #[error("raft: {0}")]
    Raft(String),
    /// A safety invariant failed; the run is stopped.
    #[error("{0}")]
    Invariant(Box<Violation>),
}

/// The variant and its one-line message. (A derived `Debug` would print an invariant
/// violation's recent trace events in full, and bring the `Debug` code of every trace type into
/// the browser bundle, where `expect` on a sim result needs it; `Violation::recent` has them.)
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Error::Config(_) => "Config",
            Error::UnknownNode(_) => "UnknownNode",
            Error::NodeNotUp(..) => "NodeNotUp",
            Error::NoLeader => "NoLeader",
            Error::TooManyNodes(_) => "TooManyNodes",
            Error::Partition(_) => "Partition",
            Error::NothingHeld(..) => "NothingHeld",
            Error::Raft(_) => "Raft",
            Error::Invariant(_) => "Invariant",
        };
        write!(f, "{kind}({:?})", self.to_string())
    }
}

/// Result alias of the sim crate.
pub type Result<T> = std::result::Result<T, Error>;
