//! Checkers that stand apart from the system they check.
//!
//! This crate holds a linearizability checker for etcd-style key-value histories: a
//! [`history`] of client calls (with JSON-lines import/export in [`jsonl`]), a sequential
//! [`model`] of etcd's KV store with global revisions, and a Wing–Gong–Lowe search with
//! memoization ([`checker`]) that decides whether some total order of the operations, consistent
//! with real time, explains every response. Writes whose outcome is unknown (timeouts) may or
//! may not have taken effect; failed reads are ignored. [`generate`] makes valid random
//! histories for tests and benchmarks.
//!
//! Beside it stand the other checkers of a run: [`watch`] (etcd's watch guarantees against the
//! committed log), [`lock`] (mutual exclusion of etcd's lock recipe, and the overlaps its
//! design allows under partitions), [`replicas`] (HashKV agreement, acknowledged writes kept,
//! leases expired), [`compaction`] (what a store still holds after compaction, against
//! etcd's rules) and [`timeline`] (a Porcupine-style HTML view of a history).
//!
//! The checker runs a fast per-key pass (a relaxed model, sound for finding violations)
//! and then the global pass that decides; see [`checker`] for the design and why etcd's
//! global revisions keep per-key checking from being exact. Checking is deterministic and
//! bounded by a step budget (no wall clock), so it runs the same natively and in wasm.
//!
//! ```
//! use check::history::{Input, Operation, Output};
//! use check::{check, Verdict};
//!
//! let put = Operation {
//!     client: 1,
//!     call_ms: 0,
//!     return_ms: Some(10),
//!     input: Input::Put { key: "x".into(), value: "1".into() },
//!     output: Output::Put { revision: 2 },
//! };
//! // A read that starts after the put returned must see it.
//! let stale_read = Operation {
//!     client: 2,
//!     call_ms: 20,
//!     return_ms: Some(30),
//!     input: Input::Get { key: "x".into(), revision: None },
//!     output: Output::Get { kv: None, revision: 1 },
//! };
//! assert!(matches!(check(&[put.clone(), stale_read]).unwrap(), Verdict::NotLinearizable { .. }));
//!
//! let good_read = Operation {
//!     client: 2,
//!     call_ms: 20,
//!     return_ms: Some(30),
//!     input: Input::Get { key: "x".into(), revision: None },
//!     output: Output::Get { kv: Some(("1".into(), 2)), revision: 2 },
//! };
//! // Histories round-trip through JSON lines.
//! let text = check::jsonl::to_json_lines(&[put, good_read]);
//! let history = check::jsonl::from_json_lines(text.as_bytes()).unwrap();
//! assert_eq!(check(&history).unwrap(), Verdict::Linearizable);
//! ```

#![warn(missing_docs)]

mod bitset;
pub mod checker;
pub mod compaction;
pub mod error;
pub mod generate;
mod hash;
pub mod history;
pub mod jsonl;
pub mod lock;
pub mod model;
mod partition;
mod patch;
pub mod replicas;
pub mod resumable;
pub mod timeline;
pub mod watch;
mod wgl;

pub use checker::{CheckOptions, Pass, Report, Verdict};
pub use error::{Error, Result};
pub use history::{History, Input, Operation, Output};
/// The KV types the watch, lock and replica checkers read (events, watch requests and
/// responses), for users that do not depend on `kv` themselves.
pub use kv;
pub use resumable::{check, check_with, Advance, Progress, ResumableCheck};
