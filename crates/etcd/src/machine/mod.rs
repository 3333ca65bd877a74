//! The replicated state machine of one etcd member: the MVCC store and the lessor, plus the
//! member's own watchers (local state that every replica feeds with the same events).

mod decoded;
pub mod wire;

use std::any::Any;
use std::hash::Hasher;
use std::sync::Arc;

use kv::{
    DeleteRangeRequest, DeleteRangeResponse, Lessor, PutRequest, PutResponse, RangeRequest,
    RangeResponse, Store, StoreDeleter, TxnRequest, TxnResponse, WatchHub,
};
use serde::{Deserialize, Serialize};
use sim::{ApplyContext, Image, SharedImage, StateMachine};

/// A write proposed through Raft (the entry's data: etcd's `InternalRaftRequest` protobuf, see
/// [`crate::service::wire`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EtcdRequest {
    /// Put a key.
    Put(PutRequest),
    /// Delete a range.
    DeleteRange(DeleteRangeRequest),
    /// A transaction.
    Txn(TxnRequest),
    /// Grant a lease (the id is chosen before proposing, so replicas agree).
    LeaseGrant {
        /// Lease id.
        id: i64,
        /// TTL in seconds (already raised to the minimum).
        ttl: i64,
    },
    /// Revoke a lease: its keys are deleted in one revision.
    LeaseRevoke {
        /// Lease id.
        id: i64,
    },
    /// Compact the key space.
    Compaction {
        /// Revision.
        rev: i64,
    },
}

impl EtcdRequest {
    /// Encodes for a Raft entry (etcd's `InternalRaftRequest` protobuf).
    pub fn encode(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// The size of [`EtcdRequest::encode`]'s bytes, without encoding: what etcd compares with
    /// `--max-request-bytes`.
    pub fn encoded_len(&self) -> usize {
        wire::request_size(self)
    }

    /// Decodes a Raft entry.
    ///
    /// # Errors
    /// A message for bytes that are not a request.
    pub fn decode(data: &[u8]) -> Result<Self, String> {
        wire::decode(data)
    }

    /// etcdctl-like one-line description, for log views.
    pub fn describe(&self) -> String {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self {
            EtcdRequest::Put(p) => format!("put {} {}", s(&p.key), s(&p.value)),
            EtcdRequest::DeleteRange(d) => format!("del {}", s(&d.key)),
            EtcdRequest::Txn(t) => format!(
                "txn {} if / {} then / {} else",
                t.compare.len(),
                t.success.len(),
                t.failure.len()
            ),
            EtcdRequest::LeaseGrant { id, ttl } => format!("lease grant {id:016x} {ttl}s"),
            EtcdRequest::LeaseRevoke { id } => format!("lease revoke {id:016x}"),
            EtcdRequest::Compaction { rev } => format!("compaction {rev}"),
        }
    }
}

/// What applying a write returned.
#[derive(Clone, Debug, PartialEq)]
pub enum EtcdResponse {
    /// Put.
    Put(PutResponse),
    /// Delete range.
    DeleteRange(DeleteRangeResponse),
    /// Transaction.
    Txn(TxnResponse),
    /// Lease granted with this TTL.
    LeaseGrant {
        /// Id.
        id: i64,
        /// Granted TTL.
        ttl: i64,
    },
    /// Lease revoked.
    LeaseRevoke,
    /// Compacted.
    Compaction,
}

/// The result of applying one write on one member.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedWrite {
    /// Store revision after the write (the response header's revision).
    pub revision: i64,
    /// The response, or etcd's error text.
    pub result: Result<EtcdResponse, String>,
}

/// A read served by a member.
#[derive(Clone, Debug, PartialEq)]
pub enum EtcdQuery {
    /// A range read.
    Range(RangeRequest),
    /// Nothing but the current revision (used to confirm a member is connected).
    Revision,
}

/// The answer to a read.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Store revision at the read.
    pub revision: i64,
    /// The range response, or etcd's error text.
    pub result: Result<RangeResponse, String>,
}

/// One member's replicated state and its watchers.
#[derive(Clone, Debug)]
pub struct EtcdMachine {
    /// The MVCC store.
    pub store: Store,
    /// The lessor.
    pub lessor: Lessor,
    /// This member's watchers (not replicated; fed by every applied write).
    pub hub: WatchHub,
}

impl Default for EtcdMachine {
    fn default() -> Self {
        EtcdMachine {
            store: Store::new(),
            // TTLs are raised to the minimum by the service before proposing.
            lessor: Lessor::new(1),
            hub: WatchHub::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    store: Vec<u8>,
    lessor: Vec<u8>,
}

/// A member's replicated state as a snapshot value: the store and the lessor, both persistent
/// maps, so taking one is O(1) and it shares every unchanged node with the live state.
#[derive(Clone, Debug)]
pub struct EtcdImage {
    /// The MVCC store at the snapshot.
    pub store: Store,
    /// The leases at the snapshot.
    pub lessor: Lessor,
}

impl Image for EtcdImage {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&Snapshot {
            store: self.store.snapshot(),
            lessor: self.lessor.snapshot(),
        })
        .expect("snapshot serialises")
    }

    fn logical_size(&self) -> u64 {
        self.store.logical_size() as u64
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl EtcdMachine {
    /// Applies `req`; `value`, if given, is a put's value as the other members hold it.
    fn apply_request(
        &mut self,
        ctx: &ApplyContext,
        req: &EtcdRequest,
        value: Option<&Arc<[u8]>>,
    ) -> AppliedWrite {
        let lessor = &self.lessor;
        let result = match *req {
            EtcdRequest::Put(ref p) => match value {
                // A member with no watchers and no leases has no use for the put's events
                // (notifying no watcher only moves the hub's revision, below).
                Some(v) => {
                    let events = !(self.hub.is_empty() && lessor.is_empty());
                    self.store
                        .put_shared_with(p, v, events, |id| lessor.contains(id))
                }
                None => self.store.put_with(p, |id| lessor.contains(id)),
            }
            .map(|w| (w.events, w.revision, EtcdResponse::Put(w.response))),
            EtcdRequest::DeleteRange(ref d) => self
                .store
                .delete_range(d)
                .map(|w| (w.events, w.revision, EtcdResponse::DeleteRange(w.response))),
            EtcdRequest::Txn(ref t) => self
                .store
                .txn_with(t, |id| lessor.contains(id))
                .map(|w| (w.events, w.revision, EtcdResponse::Txn(w.response))),
            EtcdRequest::LeaseGrant { id, ttl } => {
                self.lessor.grant(id, ttl, ctx.time_ms).map(|l| {
                    (
                        Vec::new(),
                        self.store.current_revision(),
                        EtcdResponse::LeaseGrant { id, ttl: l.ttl },
                    )
                })
            }
            EtcdRequest::LeaseRevoke { id } => {
                let mut deleter = StoreDeleter::new(&mut self.store);
                match self.lessor.revoke(id, &mut deleter) {
                    Ok(()) => match deleter.result {
                        Some(w) => Ok((w.events, w.revision, EtcdResponse::LeaseRevoke)),
                        None => Ok((
                            Vec::new(),
                            self.store.current_revision(),
                            EtcdResponse::LeaseRevoke,
                        )),
                    },
                    Err(e) => Err(e),
                }
            }
            EtcdRequest::Compaction { rev } => self.store.compact(rev).map(|()| {
                (
                    Vec::new(),
                    self.store.current_revision(),
                    EtcdResponse::Compaction,
                )
            }),
        };
        match result {
            Ok((events, revision, resp)) => {
                self.lessor.apply_events(&events);
                self.hub.notify(&events, revision);
                AppliedWrite {
                    revision,
                    result: Ok(resp),
                }
            }
            Err(e) => AppliedWrite {
                revision: self.store.current_revision(),
                result: Err(e.grpc_message()),
            },
        }
    }
}

impl StateMachine for EtcdMachine {
    type Output = AppliedWrite;
    type Query = EtcdQuery;
    type Answer = Answer;

    fn apply(&mut self, ctx: &ApplyContext, data: &[u8]) -> AppliedWrite {
        match decoded::decode(ctx.index, ctx.term, data) {
            Ok(d) => self.apply_request(ctx, &d.request, d.value.as_ref()),
            Err(e) => AppliedWrite {
                revision: self.store.current_revision(),
                result: Err(format!("etcdserver: bad request: {e}")),
            },
        }
    }

    fn query(&self, q: &EtcdQuery) -> Answer {
        let revision = self.store.current_revision();
        match q {
            EtcdQuery::Range(r) => Answer {
                revision,
                result: self.store.range(r).map_err(|e| e.grpc_message()),
            },
            EtcdQuery::Revision => Answer {
                revision,
                result: Ok(RangeResponse::default()),
            },
        }
    }

    fn snapshot(&self) -> SharedImage {
        Arc::new(EtcdImage {
            store: self.store.clone(),
            lessor: self.lessor.clone(),
        })
    }

    fn from_image(image: &dyn Image) -> Result<Self, String> {
        let Some(img) = image.as_any().downcast_ref::<EtcdImage>() else {
            return Self::restore(&image.encode());
        };
        let mut lessor = img.lessor.clone();
        // A restarted member is not primary until it leads again (as after a restore).
        lessor.demote();
        Ok(EtcdMachine {
            store: img.store.clone(),
            lessor,
            hub: WatchHub::new(),
        })
    }

    fn restore(data: &[u8]) -> Result<Self, String> {
        let s: Snapshot = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        Ok(EtcdMachine {
            store: Store::restore(&s.store).map_err(|e| e.to_string())?,
            lessor: Lessor::restore(1, &s.lessor).map_err(|e| e.to_string())?,
            hub: WatchHub::new(),
        })
    }

    fn install_snapshot(&mut self, data: &[u8]) -> Result<(), String> {
        let fresh = Self::restore(data)?;
        let primary = self.lessor.is_primary();
        self.store = fresh.store;
        self.lessor = fresh.lessor;
        if primary {
            self.lessor.promote(0, 0);
        }
        // Watchers stay; they catch up from the new store (or are cancelled as compacted).
        self.hub.resync(&self.store);
        Ok(())
    }

    fn digest(&self) -> u64 {
        let rev = self.store.current_revision();
        let (h, compact) = self.store.hash_kv(rev).unwrap_or((0, 0));
        let mut s = sim::trace::StableHasher::default();
        s.write_u64(u64::from(h));
        s.write_i64(compact);
        s.write_i64(rev);
        for id in self.lessor.leases() {
            s.write_i64(id);
        }
        s.finish()
    }

    fn describe(data: &[u8]) -> String {
        match EtcdRequest::decode(data) {
            Ok(r) => r.describe(),
            Err(_) => format!("{} bytes", data.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(index: u64) -> ApplyContext {
        ApplyContext {
            node: 1,
            index,
            term: 2,
            time_ms: 1_000,
            is_leader: true,
        }
    }

    fn put(m: &mut EtcdMachine, i: u64, key: &str, value: &str) {
        let req = EtcdRequest::Put(PutRequest {
            key: key.into(),
            value: value.into(),
            ..Default::default()
        });
        assert!(m.apply(&ctx(i), &req.encode()).result.is_ok());
    }

    fn machine() -> EtcdMachine {
        let mut m = EtcdMachine::default();
        let grant = EtcdRequest::LeaseGrant { id: 7, ttl: 60 };
        assert!(m.apply(&ctx(1), &grant.encode()).result.is_ok());
        for i in 0..300 {
            put(&mut m, i + 2, &format!("k{}", i % 30), &format!("v{i}"));
        }
        m
    }

    #[test]
    fn a_snapshot_is_a_value_of_the_state_it_was_taken_from() {
        let mut m = machine();
        let digest = m.digest();
        let image = m.snapshot();
        assert_eq!(image.logical_size(), m.store.logical_size() as u64);
        put(&mut m, 400, "k1", "later");
        assert_ne!(m.digest(), digest);
        // The image did not move with the machine.
        let again = EtcdMachine::from_image(image.as_ref()).unwrap();
        assert_eq!(again.digest(), digest);
        assert_eq!(again.lessor.leases(), vec![7]);
        assert!(
            !again.lessor.is_primary(),
            "a restarted member is not primary"
        );
        // Its bytes, as a follower receives them, restore the same state.
        let sent = EtcdMachine::restore(&image.encode()).unwrap();
        assert_eq!(sent.digest(), digest);
        assert_eq!(sent.store, again.store);
    }

    #[test]
    fn install_keeps_watchers_and_primacy() {
        let m = machine();
        let bytes = m.snapshot().encode();
        let mut other = EtcdMachine::default();
        other.lessor.promote(0, 0);
        other.install_snapshot(&bytes).unwrap();
        assert_eq!(other.digest(), m.digest());
        assert!(other.lessor.is_primary());
        assert!(EtcdMachine::restore(b"not a snapshot").is_err());
        // A foreign image falls back to its bytes, and refuses bad ones.
        let foreign: SharedImage = Arc::new(b"junk".to_vec());
        assert!(EtcdMachine::from_image(foreign.as_ref()).is_err());
    }

    #[test]
    fn members_applying_one_entry_keep_one_copy_of_its_value() {
        let (mut a, mut b) = (machine(), machine());
        let req = EtcdRequest::Put(PutRequest {
            key: b"shared".to_vec(),
            value: b"one copy".to_vec(),
            ..Default::default()
        });
        let data = req.encode();
        assert!(a.apply(&ctx(500), &data).result.is_ok());
        assert!(b.apply(&ctx(500), &data).result.is_ok());
        assert_eq!(a.digest(), b.digest());
        let d = decoded::decode(500, 2, &data).unwrap();
        // The decode's own handle and the one record both members' stores share (each
        // member with its own record would make 3).
        assert_eq!(Arc::strong_count(d.value.as_ref().unwrap()), 2);
    }

    #[test]
    fn a_bad_entry_is_an_error_that_changes_nothing() {
        let mut m = machine();
        let before = m.digest();
        let out = m.apply(&ctx(999), b"{\"Put\":{}}");
        assert!(out
            .result
            .unwrap_err()
            .starts_with("etcdserver: bad request"));
        assert_eq!(m.digest(), before);
    }
}
