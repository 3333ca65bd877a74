//! The MVCC store (etcd's `kvstore`): every revision of every key, a key index, the
//! revision counter and compaction. Writes go through [`crate::txn`].

use std::collections::BTreeSet;

use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, Record};
use crate::error::{Error, Result};
use crate::key_index::KeyIndex;
use crate::keys::KeyRange;
use crate::planted::{self, StoreBug};
use crate::revision::Revision;
use crate::types::{
    Event, EventType, KeyValue, PutRequest, RangeRequest, RangeResponse, SortOrder, SortTarget,
};

/// A persistent map keyed by etcd keys. Every such map (the key index, the lessor's items, a
/// lease's keys) holds its values in an `Arc`, so that they are one copy of imbl's tree code in
/// the wasm bundle rather than one per value type (about 4 KB gzip each; docs/performance.md).
pub(crate) type KeyMap<V> = OrdMap<Vec<u8>, Arc<V>>;

/// etcd's MVCC key-value store, in memory.
///
/// The revision starts at 1 and rises by one per write that changes something; all
/// changes of one write share its revision. Every old revision stays readable until
/// [`Store::compact`].
///
/// The store is a value: its key index is a persistent (structurally shared) B-tree and its
/// records a persistent vector (`crate::backend`), so `clone` is O(1) and a clone shares
/// every unchanged node with the original. A Raft
/// snapshot of the store is such a clone; bytes exist only when one is encoded with
/// [`Store::snapshot`] (for the simulated wire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    pub(crate) current_rev: i64,
    pub(crate) compact_rev: i64,
    pub(crate) index: KeyMap<KeyIndex>,
    pub(crate) backend: Backend,
    /// Sum of the key and value lengths of every retained record (the logical size).
    pub(crate) bytes: usize,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// The state of one write transaction while it runs.
pub(crate) struct WriteCtx {
    /// Revision the changes get (current + 1).
    pub rev: i64,
    /// Number of changes so far (the next change's sub revision).
    pub sub: i64,
    /// Events of the changes so far.
    pub events: Vec<Event>,
    /// No events: the caller has no use for them (see [`Store::put_shared_with`]).
    pub quiet: bool,
}

impl Store {
    /// An empty store at revision 1.
    pub fn new() -> Self {
        Store {
            current_rev: 1,
            compact_rev: 0,
            index: OrdMap::new(),
            backend: Backend::default(),
            bytes: 0,
        }
    }

    /// The store revision (the header revision of a response).
    pub fn current_revision(&self) -> i64 {
        self.current_rev
    }

    /// The revision of the last compaction, 0 if never compacted.
    pub fn compact_revision(&self) -> i64 {
        self.compact_rev
    }

    /// The logical size of the store: the key and value bytes of every retained
    /// revision (what etcd's backend would hold, without its page overhead). O(1).
    pub fn logical_size(&self) -> usize {
        self.bytes
    }

    /// Number of retained revisions (records, tombstones included).
    pub fn record_count(&self) -> usize {
        self.backend.len()
    }

    fn insert_record(&mut self, rev: Revision, rec: Record) {
        self.bytes += rec.size();
        self.backend.push(rev, rec);
    }

    /// The latest value of `key`, if it exists.
    pub fn get(&self, key: &[u8]) -> Option<KeyValue> {
        self.visible(key, self.current_rev)
    }

    /// Keys that currently exist and carry `lease`, in key order.
    pub fn keys_with_lease(&self, lease: i64) -> Vec<Vec<u8>> {
        self.index
            .iter()
            .filter_map(|(key, ki)| ki.get(self.current_rev).map(|r| (key, r)))
            .filter(|(_, r)| self.backend[*r].lease == lease)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Read a range (etcd's `Range` on the applier): see [`RangeRequest`].
    ///
    /// Errors: [`Error::EmptyKey`], [`Error::FutureRev`] if `revision` is above the
    /// current revision, [`Error::Compacted`] if it is below the compaction point.
    pub fn range(&self, req: &RangeRequest) -> Result<RangeResponse> {
        crate::validate::range(req)?;
        self.range_at(req, self.current_rev)
    }

    /// Range with `cur` as the latest revision (inside a write txn it includes the
    /// txn's own changes).
    pub(crate) fn range_at(&self, req: &RangeRequest, cur: i64) -> Result<RangeResponse> {
        if req.revision > cur {
            return Err(Error::FutureRev);
        }
        let rev = if req.revision <= 0 { cur } else { req.revision };
        if rev < self.compact_rev {
            return Err(Error::Compacted);
        }
        let mut kvs = self.live_kvs(&KeyRange::new(&req.key, &req.range_end), rev);
        let count = kvs.len() as i64;
        if req.count_only {
            return Ok(RangeResponse {
                kvs: Vec::new(),
                more: false,
                count,
            });
        }
        kvs.retain(|kv| {
            !((req.max_mod_revision != 0 && kv.mod_revision > req.max_mod_revision)
                || (req.min_mod_revision != 0 && kv.mod_revision < req.min_mod_revision)
                || (req.max_create_revision != 0 && kv.create_revision > req.max_create_revision)
                || (req.min_create_revision != 0 && kv.create_revision < req.min_create_revision))
        });
        sort_kvs(&mut kvs, req.sort_order, req.sort_target);
        let mut more = false;
        // PLANTED BUG (RangeMoreAtLimit, off by default): `more` when exactly `limit` keys are left.
        let at_limit = i64::from(planted::on(StoreBug::RangeMoreAtLimit));
        if req.limit > 0 && kvs.len() as i64 > req.limit - at_limit {
            kvs.truncate(req.limit as usize);
            more = true;
        }
        if req.keys_only {
            for kv in &mut kvs {
                kv.value.clear();
            }
        }
        // PLANTED BUG (CountReturnedKeys, off by default): count the keys returned.
        let count = if planted::on(StoreBug::CountReturnedKeys) {
            kvs.len() as i64
        } else {
            count
        };
        Ok(RangeResponse { kvs, more, count })
    }

    /// The value of `key` as of revision `at`.
    pub(crate) fn visible(&self, key: &[u8], at: i64) -> Option<KeyValue> {
        self.visible_record(key, at).map(|(rev, rec)| rec.kv(rev))
    }

    /// The record of `key` visible at revision `at`, in place, with its revision.
    pub(crate) fn visible_record(&self, key: &[u8], at: i64) -> Option<(Revision, &Record)> {
        let rev = self.index.get(key)?.get(at)?;
        Some((rev, &self.backend[rev]))
    }

    /// Every key in `range` that exists at revision `at`, in key order.
    pub(crate) fn live_kvs(&self, range: &KeyRange, at: i64) -> Vec<KeyValue> {
        let Some(bounds) = range.bounds() else {
            return Vec::new();
        };
        self.index
            .range::<_, [u8]>(bounds)
            .filter_map(|(_, ki)| ki.get(at))
            .map(|rev| self.backend[rev].kv(rev))
            .collect()
    }

    /// Start a write txn.
    pub(crate) fn begin(&self) -> WriteCtx {
        WriteCtx {
            rev: self.current_rev + 1,
            sub: 0,
            events: Vec::new(),
            quiet: false,
        }
    }

    /// The latest revision as seen from inside the txn (includes its changes).
    pub(crate) fn read_rev(&self, ctx: &WriteCtx) -> i64 {
        if ctx.sub > 0 {
            ctx.rev
        } else {
            self.current_rev
        }
    }

    /// Put `req` (checked) in the txn, with one look-up of its key in the index: the value
    /// the txn sees there gives the event's `prev_kv`, the key's bytes the new record shares,
    /// and with `ignore_value` / `ignore_lease` the value or lease kept. `value`, if given,
    /// holds `req.value`'s bytes. Returns the previous value if `req.prev_kv` asks for it.
    pub(crate) fn write_put(
        &mut self,
        ctx: &mut WriteCtx,
        req: &PutRequest,
        value: Option<&Arc<[u8]>>,
    ) -> Option<KeyValue> {
        let at = self.read_rev(ctx);
        let rev = Revision::new(ctx.rev, ctx.sub);
        let new_value = || {
            value
                .cloned()
                .unwrap_or_else(|| Arc::from(req.value.as_slice()))
        };
        let fresh = || Record {
            key: Arc::from(req.key.as_slice()),
            value: new_value(),
            create_revision: ctx.rev,
            version: 1,
            lease: req.lease,
            tombstone: false,
        };
        let (rec, prev_rev) = match self.index.get_mut(req.key.as_slice()) {
            Some(ki) => {
                let found = ki.get(at).map(|r| (r, &self.backend[r]));
                let rec = match found {
                    Some((_, p)) => Record {
                        key: p.key.clone(),
                        value: if req.ignore_value {
                            p.value.clone()
                        } else {
                            new_value()
                        },
                        create_revision: p.create_revision,
                        version: p.version + 1,
                        lease: if req.ignore_lease { p.lease } else { req.lease },
                        tombstone: false,
                    },
                    None => fresh(),
                };
                let prev_rev = found.map(|(r, _)| r);
                Arc::make_mut(ki).put(rev);
                (rec, prev_rev)
            }
            None => {
                let mut ki = KeyIndex::default();
                ki.put(rev);
                self.index.insert(req.key.clone(), Arc::new(ki));
                (fresh(), None)
            }
        };
        debug_assert!(
            prev_rev.is_some() || !(req.ignore_value || req.ignore_lease),
            "checked"
        );
        ctx.sub += 1;
        let kv = (!ctx.quiet).then(|| rec.kv(rev));
        self.insert_record(rev, rec);
        let prev = || prev_rev.map(|r| self.backend[r].kv(r));
        let response = if req.prev_kv { prev() } else { None };
        if let Some(kv) = kv {
            ctx.events.push(Event {
                kind: EventType::Put,
                kv,
                prev_kv: if req.prev_kv {
                    response.clone()
                } else {
                    prev()
                },
            });
        }
        response
    }

    /// Delete `key` in the txn if it exists; returns the deleted value.
    pub(crate) fn write_delete(&mut self, ctx: &mut WriteCtx, key: &[u8]) -> Option<KeyValue> {
        let (prev_rev, prev_rec) = self.visible_record(key, ctx.rev)?;
        let (prev, rec) = (
            prev_rec.kv(prev_rev),
            Record::tombstone(prev_rec.key.clone()),
        );
        let rev = Revision::new(ctx.rev, ctx.sub);
        ctx.sub += 1;
        Arc::make_mut(self.index.get_mut(key).expect("visible key is indexed")).tombstone(rev);
        let kv = rec.kv(rev);
        self.insert_record(rev, rec);
        ctx.events.push(Event {
            kind: EventType::Delete,
            kv,
            prev_kv: Some(prev.clone()),
        });
        Some(prev)
    }

    /// Finish the txn: raise the revision if anything changed.
    pub(crate) fn end(&mut self, ctx: WriteCtx) -> (i64, Vec<Event>) {
        if ctx.sub > 0 {
            self.current_rev = ctx.rev;
        }
        (self.current_rev, ctx.events)
    }

    /// Compact at `rev`: revisions below `rev` become unreadable. Keeps, for each
    /// key, the value visible at `rev` (if the key existed then) and everything newer;
    /// generations deleted before `rev` are dropped entirely (one deleted at `rev` keeps its
    /// tombstone, so a watch from `rev` sees the delete: etcd since 3.5.16, #18089).
    ///
    /// Errors: [`Error::Compacted`] if `rev <= compact_revision()`,
    /// [`Error::FutureRev`] if `rev > current_revision()`.
    pub fn compact(&mut self, rev: i64) -> Result<()> {
        if rev <= self.compact_rev {
            return Err(Error::Compacted);
        }
        if rev > self.current_rev {
            return Err(Error::FutureRev);
        }
        let mut available = BTreeSet::new();
        let keys: Vec<Vec<u8>> = self.index.keys().cloned().collect();
        for key in keys {
            let Some(ki) = self.index.get_mut(&key) else {
                continue;
            };
            let ki = Arc::make_mut(ki);
            ki.compact(rev, &mut available);
            if ki.is_empty() {
                self.index.remove(&key);
            }
        }
        let dropped: usize = self
            .backend
            .through(Revision::new(rev, i64::MAX))
            .filter(|(r, _)| !available.contains(r))
            .map(|(_, rec)| rec.size())
            .sum();
        self.bytes -= dropped;
        self.backend
            .retain_through(Revision::new(rev, i64::MAX), |r, _| available.contains(r));
        // PLANTED BUG (CompactionOneLess, off by default): record one revision less.
        self.compact_rev = rev - i64::from(planted::on(StoreBug::CompactionOneLess));
        Ok(())
    }

    /// Every change at revision `>= start_rev` to a key in `key`/`range_end`
    /// (etcd's range-end convention), in revision order, with `prev_kv` filled.
    /// Used to replay history to a watcher.
    ///
    /// Errors: [`Error::Compacted`] if the store was compacted and
    /// `start_rev < compact_revision()` (the history there is incomplete; etcd's watch starts
    /// at the compaction point itself).
    pub fn events_since(&self, start_rev: i64, key: &[u8], range_end: &[u8]) -> Result<Vec<Event>> {
        if self.compact_rev > 0 && start_rev < self.compact_rev {
            return Err(Error::Compacted);
        }
        let range = KeyRange::new(key, range_end);
        let start = Revision::new(start_rev.max(1), 0);
        Ok(self
            .backend
            .since(start)
            .filter(|(_, rec)| range.contains(&rec.key))
            .map(|(rev, rec)| self.event_at(*rev, rec))
            .collect())
    }

    /// The event of the change stored at `rev`.
    fn event_at(&self, rev: Revision, rec: &Record) -> Event {
        let prev_kv = self.index[&rec.key[..]]
            .prev_in_generation(rev)
            .map(|p| self.backend[p].kv(p));
        Event {
            kind: if rec.tombstone {
                EventType::Delete
            } else {
                EventType::Put
            },
            kv: rec.kv(rev),
            prev_kv,
        }
    }

    /// Serialize the whole store (every retained revision) to deterministic bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let data = SnapshotData {
            revision: self.current_rev,
            compact_revision: self.compact_rev,
            records: self
                .backend
                .iter()
                .map(|(rev, rec)| SnapshotRecord {
                    main: rev.main,
                    sub: rev.sub,
                    tombstone: rec.tombstone,
                    kv: rec.kv(*rev),
                })
                .collect(),
        };
        serde_json::to_vec(&data).expect("snapshot serializes")
    }

    /// Rebuild a store from [`Store::snapshot`] bytes (the key index is rebuilt from
    /// the records, as etcd does on restart).
    pub fn restore(bytes: &[u8]) -> Result<Store> {
        let data: SnapshotData =
            serde_json::from_slice(bytes).map_err(|e| Error::InvalidSnapshot(e.to_string()))?;
        let invalid = |m: &str| Error::InvalidSnapshot(m.to_string());
        if data.revision < 1 || data.compact_revision < 0 || data.compact_revision > data.revision {
            return Err(invalid("bad revisions"));
        }
        let mut store = Store {
            current_rev: data.revision,
            compact_rev: data.compact_revision,
            ..Store::new()
        };
        for rec in data.records {
            let rev = Revision::new(rec.main, rec.sub);
            if rev.main > data.revision || store.backend.last_revision().is_some_and(|l| l >= rev) {
                return Err(invalid("records out of order"));
            }
            if rec.kv.mod_revision != rev.main {
                return Err(invalid("a record's mod revision is not its revision"));
            }
            match store.index.get_mut(&rec.kv.key) {
                // A key deleted at the compaction point keeps only its tombstone.
                None if rec.tombstone && rev.main == data.compact_revision => {
                    let ki = KeyIndex::restore_tombstone(rev);
                    store.index.insert(rec.kv.key.clone(), Arc::new(ki));
                }
                None if rec.tombstone => return Err(invalid("tombstone of an unknown key")),
                None => {
                    let ki = KeyIndex::restore(rec.kv.create_revision, rev, rec.kv.version);
                    store.index.insert(rec.kv.key.clone(), Arc::new(ki));
                }
                Some(ki) if rec.tombstone => {
                    if !ki.is_live() {
                        return Err(invalid("tombstone of a deleted key"));
                    }
                    Arc::make_mut(ki).tombstone(rev);
                }
                Some(ki) => Arc::make_mut(ki).put(rev),
            }
            store.insert_record(rev, Record::from_kv(&rec.kv, rec.tombstone));
        }
        Ok(store)
    }
}

/// Sort as etcd's applier does: a non-key target with no order means ascending;
/// ties keep key order (Go's sort is an insertion sort for such small inputs).
fn sort_kvs(kvs: &mut [KeyValue], order: SortOrder, target: SortTarget) {
    let order = match (order, target) {
        (SortOrder::None, SortTarget::Key) => return,
        (SortOrder::None, _) => SortOrder::Ascend,
        (o, _) => o,
    };
    let cmp = |a: &KeyValue, b: &KeyValue| match target {
        SortTarget::Key => a.key.cmp(&b.key),
        SortTarget::Version => a.version.cmp(&b.version),
        SortTarget::Create => a.create_revision.cmp(&b.create_revision),
        SortTarget::Mod => a.mod_revision.cmp(&b.mod_revision),
        SortTarget::Value => a.value.cmp(&b.value),
    };
    match order {
        SortOrder::Descend => order::sort_by(kvs, |a, b| cmp(b, a)),
        _ => order::sort_by(kvs, cmp),
    }
}

#[derive(Serialize, Deserialize)]
struct SnapshotData {
    revision: i64,
    compact_revision: i64,
    records: Vec<SnapshotRecord>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotRecord {
    main: i64,
    sub: i64,
    tombstone: bool,
    kv: KeyValue,
}

#[cfg(test)]
mod tests;
