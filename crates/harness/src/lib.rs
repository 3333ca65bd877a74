//! raftlab's test harness, apart from the system it tests (as in TigerBeetle and raft-rs, the
//! system never sees it):
//!
//! - [`workload`]: seeded client workloads against the etcd service under a random nemesis,
//!   recorded for the checkers (what `raftlab sweep` runs);
//! - [`history`]: the recorder that turns the service's operations into the checkers'
//!   [`check::history::Operation`]s;
//! - [`session`]: a playground session's log read as the same histories (the page's Check
//!   panel);
//! - [`verdict`]: the verdict of each checker, written once for the sweep and the page;
//! - [`verify`]: every checker run over a sweep's recording, and its report.
//!
//! `etcd` does not depend on this crate nor on `check`; the playground publishes a log of what
//! its commands did ([`etcd::playground::SessionLog`]) and the service reports its events
//! ([`etcd::client::Client::take_observed`]), and the recorders here read them.

pub mod history;
pub mod session;
pub mod verdict;
pub mod verify;
pub mod workload;
