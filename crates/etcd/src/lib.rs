//! The etcd v3 service on the simulated raftlab cluster.
//!
//! - [`EtcdMachine`]: what every member applies (kv's MVCC store and lessor) and its watchers.
//! - [`Service`]: etcd's request lifecycle on a `sim::Cluster` — writes through Raft, reads
//!   through ReadIndex (or serializable, local), leases expired by the leader through Raft,
//!   keep-alives, watches.
//! - [`client`]: a typed client for etcd's v3 API (KV, Watch, Lease, Cluster, Maintenance,
//!   v3lock, v3election) in etcd's message shapes, with the keep-alive and observe loops and the
//!   lock and election recipes of etcd's `concurrency` package.
//! - [`ctl`]: the etcdctl command language and its output formats.
//! - [`Playground`]: the console on top of the client: command lines in, etcdctl output out,
//!   as the REPL and the browser use it.

pub mod ctl;
pub mod error;
pub mod explain;
pub mod ids;
pub mod machine;
pub mod planted;

pub use error::{Error, Result};
pub use machine::{Answer, AppliedWrite, EtcdMachine, EtcdQuery, EtcdRequest, EtcdResponse};
pub mod service;

pub use service::{Header, OpEvent, OpId, OpResult, Service};
pub mod client;
pub mod playground;
pub mod repl;

pub use playground::{CommandId, CommandOutput, CommandState, Playground};
pub use repl::Repl;
pub mod scenario;
pub mod session;

pub use scenario::{Scenario, ScenarioError};
