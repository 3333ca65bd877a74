//! etcd v3.5's data model as a pure library.
//!
//! - [`Store`]: the MVCC key-value store — revisions, key index with generations and
//!   tombstones, range/put/delete/txn with etcd's exact semantics, compaction,
//!   history for watch replay, a replica hash and snapshots.
//! - [`watch::WatchHub`]: one node's watchers (etcd's watchable store and watcher
//!   group): historical replay, live events, filters, progress notifications.
//! - [`lease::Lessor`]: leases with time passed in as virtual milliseconds.
//!
//! Nothing here touches Raft, a clock, randomness or I/O: the caller applies
//! committed requests in order on every replica and gets identical results.
//!
//! ```
//! use kv::{Store, PutRequest, RangeRequest, TxnRequest, Compare, CompareResult, RequestOp};
//! use kv::watch::{WatchHub, WatchCreateRequest};
//!
//! let mut store = Store::new();
//! assert_eq!(store.current_revision(), 1);
//!
//! let mut hub = WatchHub::new();
//! let id = hub
//!     .create(&store, &WatchCreateRequest { key: b"foo".to_vec(), ..Default::default() })
//!     .unwrap();
//!
//! let put = store
//!     .put(&PutRequest { key: b"foo".to_vec(), value: b"bar".to_vec(), ..Default::default() })
//!     .unwrap();
//! assert_eq!(put.revision, 2);
//! hub.notify(&put.events, put.revision);
//!
//! let got = store.range(&RangeRequest { key: b"foo".to_vec(), ..Default::default() }).unwrap();
//! assert_eq!(got.kvs[0].value, b"bar");
//! assert_eq!((got.kvs[0].create_revision, got.kvs[0].version), (2, 1));
//!
//! // Create "foo" only if it does not exist: fails, so the failure branch runs.
//! let txn = store
//!     .txn(&TxnRequest {
//!         compare: vec![Compare::create_revision("foo", CompareResult::Equal, 0)],
//!         success: vec![RequestOp::Put(PutRequest { key: b"foo".to_vec(), ..Default::default() })],
//!         failure: vec![RequestOp::Range(RangeRequest { key: b"foo".to_vec(), ..Default::default() })],
//!     })
//!     .unwrap();
//! assert!(!txn.response.succeeded);
//! assert_eq!(txn.revision, 2); // read-only: no new revision
//!
//! let responses = hub.take_responses();
//! assert!(responses[0].created);
//! assert_eq!((responses[1].watch_id, responses[1].revision), (id, 2));
//! assert_eq!(responses[1].events[0].kv.value, b"bar");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
pub mod error;
mod hash;
mod held;
mod key_index;
pub mod keys;
pub mod lease;
mod leaves;
pub mod planted;
pub mod revision;
mod revs;
mod store;
mod txn;
pub mod types;
pub mod validate;
pub mod watch;

pub use error::{Error, Result};
pub use hash::Crc32c;
pub use held::Held;
pub use keys::{prefix_end, KeyRange};
pub use lease::{Lease, LeaseDeleter, LeaseInfo, Lessor, StoreDeleter};
pub use revision::Revision;
pub use store::Store;
pub use types::*;
pub use watch::{WatchCreateRequest, WatchFilter, WatchHub, WatchResponse};
