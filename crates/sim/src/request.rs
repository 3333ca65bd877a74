//! Client requests and how they end.

use std::fmt;

use serde::Serialize;

/// Identifies a client request for the whole run.
pub type RequestId = u64;

/// Why a request failed. etcd's wording where etcd has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum RequestError {
    /// The node the client talks to is crashed.
    NodeDown(u64),
    /// The node does not lead and does not forward; it names the leader it knows.
    NotLeader {
        /// The known leader, if any.
        leader: Option<u64>,
    },
    /// No leader is known.
    NoLeader,
    /// The proposal's log slot was taken by another leader's entry.
    LeaderChanged,
    /// No answer within the request timeout.
    Timeout,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::NodeDown(n) => write!(f, "node {n} is down: connection refused"),
            RequestError::NotLeader { leader: Some(l) } => {
                write!(f, "etcdserver: not leader (leader is {l})")
            }
            RequestError::NotLeader { leader: None } => write!(f, "etcdserver: not leader"),
            RequestError::NoLeader => write!(f, "etcdserver: no leader"),
            RequestError::LeaderChanged => write!(f, "etcdserver: leader changed"),
            RequestError::Timeout => write!(f, "etcdserver: request timed out"),
        }
    }
}

/// How a request ended.
#[derive(Clone, Debug)]
pub enum Outcome<O, A> {
    /// The command was committed and applied at the node the client talked to.
    Written {
        /// Its log index.
        index: u64,
        /// What the state machine returned (None for an empty command).
        output: Option<O>,
    },
    /// The read was served after the node applied up to `index`.
    Read {
        /// The read index.
        index: u64,
        /// The answer.
        answer: A,
    },
    /// It failed.
    Failed(RequestError),
}

/// A finished request.
#[derive(Clone, Debug)]
pub struct Completion<O, A> {
    /// Request id.
    pub id: RequestId,
    /// Node the client talked to.
    pub node: u64,
    /// Virtual time it ended.
    pub time_ms: u64,
    /// How.
    pub outcome: Outcome<O, A>,
}

impl std::error::Error for RequestError {}
