//! A deterministic simulation of a Raft cluster built on tikv's raft-rs.
//!
//! N nodes, each a `raft::RawNode` over our own durable storage, exchange messages through a
//! simulated network on a virtual clock. One seed fixes every random choice (latencies, drops,
//! tick phases, election timeouts), so a run replays exactly, natively and in wasm. Faults are
//! explicit actions; Raft's safety properties are checked as the run goes; every step lands in a
//! bounded trace whose hash identifies the run.
//!
//! ```
//! use sim::{Cluster, ClusterConfig, DigestMachine, Action};
//!
//! let mut c: Cluster<DigestMachine> = Cluster::new(ClusterConfig::new(3, 42)).unwrap();
//! c.run_for(3_000).unwrap();
//! let leader = c.leader().expect("a leader within 3 s");
//! let id = c.propose(leader, b"x=1".to_vec());
//! c.run_for(500).unwrap();
//! assert!(c.take_completions().iter().any(|r| r.id == id));
//! c.apply(Action::Crash(leader)).unwrap();
//! c.run_for(5_000).unwrap();
//! assert_ne!(c.leader(), Some(leader));
//! println!("trace hash {}", c.trace_hash());
//! ```

// protobuf messages from raft-rs are built field by field, as raft-rs's own examples do.
#![allow(clippy::field_reassign_with_default)]

pub mod action;
pub mod chunked;
pub mod chunked_log;
pub mod cluster;
pub mod config;
pub mod error;
pub mod explain;
pub mod id_map;
pub mod id_ring;
pub mod invariants;
pub mod msg_order;
pub mod nemesis;
pub mod network;
pub mod node;
pub mod request;
pub mod rng;
pub mod state_machine;
pub mod storage;
pub mod time;
pub mod trace;
pub mod trace_pack;
pub mod window;

pub use action::Action;
pub use cluster::{Cluster, ClusterView, LeaderChange, NodeView, Stats, VotersChange};
pub use config::{ClusterConfig, LinkConfig, RaftOptions, ReadMode, MAX_NODES};
pub use error::{Error, Result};
pub use invariants::{Invariant, Violation};
pub use node::NodeStatus;
pub use request::{Completion, Outcome, RequestError, RequestId};
pub use state_machine::{ApplyContext, DigestMachine, Image, SharedImage, StateMachine};
pub use trace::{MsgKind, Role, TraceEvent, TraceKind};
