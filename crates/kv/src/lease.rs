//! Leases (etcd's `server/lease/lessor.go`), with time passed in.
//!
//! What is replicated — which leases exist, their TTLs and attached keys — changes
//! only through [`Lessor::grant`], [`Lessor::revoke`] and attach/detach (usually via
//! [`Lessor::apply_events`]), applied in log order on every replica. Expiry times are
//! local: only the primary (the leader's lessor) has them; elsewhere leases never
//! expire. The primary asks for expired leases with [`Lessor::expired`] and proposes
//! their revocation through Raft.

use std::sync::Arc;

use imbl::OrdMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{KeyMap, Store};
use crate::types::{DeleteRangeResponse, Event, EventType, WriteResult};

/// The largest TTL etcd accepts, in seconds (`MaxLeaseTTL`).
pub const MAX_LEASE_TTL: i64 = 9_000_000_000;

/// After [`Lessor::expired`] reports a lease, it is reported again only after this
/// long if it is still not revoked (etcd's `expiredLeaseRetryInterval`).
pub const EXPIRED_RETRY_MS: u64 = 3_000;

/// Deletes a revoked lease's keys. The lessor calls it once per revoke with every
/// attached key, sorted, so the caller can delete them in ONE store txn (one
/// revision, DELETE events sharing it). The list may be empty.
pub trait LeaseDeleter {
    /// Delete these keys.
    fn delete_keys(&mut self, keys: &[Vec<u8>]);
}

impl<F: FnMut(&[Vec<u8>])> LeaseDeleter for F {
    fn delete_keys(&mut self, keys: &[Vec<u8>]) {
        self(keys)
    }
}

/// A [`LeaseDeleter`] that deletes the keys from a [`Store`] in one write
/// ([`Store::delete_keys`]) and keeps the result (revision and DELETE events, to
/// notify watchers and to answer the revoke with its header revision).
///
/// ```
/// use kv::{Lessor, PutRequest, Store, lease::StoreDeleter};
/// let mut store = Store::new();
/// let mut lessor = Lessor::new(2);
/// lessor.grant(1, 10, 0).unwrap();
/// for k in ["a", "b"] {
///     let put = PutRequest { key: k.into(), lease: 1, ..Default::default() };
///     let w = store.put_with(&put, |id| lessor.contains(id)).unwrap();
///     lessor.apply_events(&w.events);
/// }
/// let mut deleter = StoreDeleter::new(&mut store);
/// lessor.revoke(1, &mut deleter).unwrap();
/// let w = deleter.result.unwrap();
/// assert_eq!((w.revision, w.events.len()), (4, 2));
/// ```
pub struct StoreDeleter<'a> {
    /// The store to delete from.
    pub store: &'a mut Store,
    /// The write, once [`LeaseDeleter::delete_keys`] ran.
    pub result: Option<WriteResult<DeleteRangeResponse>>,
}

impl<'a> StoreDeleter<'a> {
    /// A deleter over `store`.
    pub fn new(store: &'a mut Store) -> Self {
        StoreDeleter {
            store,
            result: None,
        }
    }
}

impl LeaseDeleter for StoreDeleter<'_> {
    fn delete_keys(&mut self, keys: &[Vec<u8>]) {
        self.result = Some(self.store.delete_keys(keys));
    }
}

/// A view of one lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Lease {
    /// The id.
    pub id: i64,
    /// The TTL in seconds (after raising to the minimum).
    pub ttl: i64,
    /// Attached keys, sorted.
    pub keys: Vec<Vec<u8>>,
    /// Local expiry time in virtual ms; `None` = never (not primary).
    pub expiry_ms: Option<u64>,
}

/// Answer to a time-to-live query (etcdserverpb.LeaseTimeToLiveResponse).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LeaseInfo {
    /// The id.
    pub id: i64,
    /// Remaining seconds (rounded down), -1 if expired; on a non-primary lessor,
    /// where leases do not expire, the granted TTL.
    pub ttl: i64,
    /// The TTL the lease was granted with.
    pub granted_ttl: i64,
    /// Attached keys, sorted.
    pub keys: Vec<Vec<u8>>,
}

/// A lease's attached keys, sorted: a persistent map from each key to 0, the same map type as
/// [`Lessor`]'s `items` (an `OrdSet<Vec<u8>>` here was one more copy of imbl's tree code, about
/// 14 KB of the wasm bundle).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct KeySet(KeyMap<i64>);

impl KeySet {
    fn insert(&mut self, key: Vec<u8>) {
        self.0.insert(key, Arc::new(0));
    }

    fn remove(&mut self, key: &[u8]) {
        self.0.remove(key);
    }

    fn iter(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.0.keys()
    }
}

impl FromIterator<Vec<u8>> for KeySet {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(keys: I) -> Self {
        let mut set = KeySet::default();
        for k in keys {
            set.insert(k);
        }
        set
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct LeaseState {
    ttl: i64,
    keys: KeySet,
    /// `None` = forever.
    expiry_ms: Option<u64>,
    /// When [`Lessor::expired`] may report the lease (etcd's expiry heap entry).
    check_at_ms: Option<u64>,
}

impl LeaseState {
    fn refresh(&mut self, now_ms: u64, extend_ms: u64) {
        let at = now_ms
            .saturating_add(extend_ms)
            .saturating_add((self.ttl as u64).saturating_mul(1000));
        self.expiry_ms = Some(at);
        self.check_at_ms = Some(at);
    }

    fn forever(&mut self) {
        self.expiry_ms = None;
        self.check_at_ms = None;
    }

    fn is_expired(&self, now_ms: u64) -> bool {
        self.expiry_ms.is_some_and(|e| e <= now_ms)
    }
}

/// All leases of one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lessor {
    min_ttl: i64,
    leases: OrdMap<i64, LeaseState>,
    items: KeyMap<i64>,
    primary: bool,
}

#[derive(Serialize, Deserialize)]
struct SnapshotLease {
    id: i64,
    ttl: i64,
    keys: Vec<Vec<u8>>,
}

impl Lessor {
    /// A lessor (not primary) whose leases last at least `min_ttl_secs`.
    pub fn new(min_ttl_secs: i64) -> Self {
        Lessor {
            min_ttl: min_ttl_secs,
            leases: OrdMap::new(),
            items: OrdMap::new(),
            primary: false,
        }
    }

    /// The minimum TTL in seconds.
    pub fn min_ttl(&self) -> i64 {
        self.min_ttl
    }

    /// Grant lease `id` (non-zero; the caller picks ids for requests with id 0). A TTL
    /// below the minimum is raised to it. On the primary the lease expires at
    /// `now_ms + ttl`; elsewhere never.
    ///
    /// Errors: [`Error::LeaseNotFound`] for id 0 (as etcd's lessor),
    /// [`Error::LeaseTtlTooLarge`], [`Error::LeaseExists`].
    pub fn grant(&mut self, id: i64, ttl_secs: i64, now_ms: u64) -> Result<Lease> {
        if id == 0 {
            return Err(Error::LeaseNotFound);
        }
        if ttl_secs > MAX_LEASE_TTL {
            return Err(Error::LeaseTtlTooLarge);
        }
        if self.leases.contains_key(&id) {
            return Err(Error::LeaseExists);
        }
        let mut l = LeaseState {
            ttl: ttl_secs.max(self.min_ttl),
            keys: KeySet::default(),
            expiry_ms: None,
            check_at_ms: None,
        };
        if self.primary {
            l.refresh(now_ms, 0);
        }
        self.leases.insert(id, l);
        Ok(self.lookup(id).expect("just granted"))
    }

    /// Revoke lease `id`: hands every attached key (sorted) to `deleter` in one
    /// call, then forgets the lease.
    pub fn revoke(&mut self, id: i64, deleter: &mut impl LeaseDeleter) -> Result<()> {
        let l = self.leases.remove(&id).ok_or(Error::LeaseNotFound)?;
        let keys: Vec<Vec<u8>> = l.keys.iter().cloned().collect();
        for k in &keys {
            if self.items.get(k).map(|v| **v) == Some(id) {
                self.items.remove(k);
            }
        }
        deleter.delete_keys(&keys);
        Ok(())
    }

    /// Attach `key` to lease `id` (detaching it from any other lease).
    pub fn attach(&mut self, id: i64, key: &[u8]) -> Result<()> {
        if !self.leases.contains_key(&id) {
            return Err(Error::LeaseNotFound);
        }
        if let Some(old) = self.items.insert(key.to_vec(), Arc::new(id)).map(|v| *v) {
            if old != id {
                if let Some(l) = self.leases.get_mut(&old) {
                    l.keys.remove(key);
                }
            }
        }
        self.leases
            .get_mut(&id)
            .expect("checked")
            .keys
            .insert(key.to_vec());
        Ok(())
    }

    /// Detach `key` from lease `id`.
    pub fn detach(&mut self, id: i64, key: &[u8]) -> Result<()> {
        let l = self.leases.get_mut(&id).ok_or(Error::LeaseNotFound)?;
        l.keys.remove(key);
        if self.items.get(key).map(|v| **v) == Some(id) {
            self.items.remove(key);
        }
        Ok(())
    }

    /// Keep attachments in sync with a write's events, as etcd's store does on put
    /// and delete: a change detaches the key from its previous lease (`prev_kv.lease`)
    /// and a PUT attaches it to `kv.lease`. Unknown leases are skipped (a revoked
    /// lease's own DELETE events arrive after it is gone).
    pub fn apply_events(&mut self, events: &[Event]) {
        for e in events {
            let key = &e.kv.key;
            if let Some(old) = e.prev_kv.as_ref().map(|p| p.lease).filter(|l| *l != 0) {
                let _ = self.detach(old, key);
            }
            if e.kind == EventType::Put && e.kv.lease != 0 {
                let _ = self.attach(e.kv.lease, key);
            }
        }
    }

    /// Renew lease `id` on the primary: it now expires `ttl` seconds from `now_ms`.
    /// Returns the TTL.
    ///
    /// Errors: [`Error::NotPrimary`] (etcd forwards renewals to the leader),
    /// [`Error::LeaseNotFound`] if it does not exist or has already expired (etcd
    /// waits for the pending revoke, then answers "not found").
    pub fn renew(&mut self, id: i64, now_ms: u64) -> Result<i64> {
        if !self.primary {
            return Err(Error::NotPrimary);
        }
        let l = self.leases.get_mut(&id).ok_or(Error::LeaseNotFound)?;
        if l.is_expired(now_ms) {
            return Err(Error::LeaseNotFound);
        }
        l.refresh(now_ms, 0);
        Ok(l.ttl)
    }

    /// Remaining time, granted TTL and keys of lease `id`.
    pub fn time_to_live(&self, id: i64, now_ms: u64) -> Result<LeaseInfo> {
        let l = self.leases.get(&id).ok_or(Error::LeaseNotFound)?;
        let ttl = match l.expiry_ms {
            None => l.ttl,
            Some(e) if e <= now_ms => -1,
            Some(e) => ((e - now_ms) / 1000) as i64,
        };
        Ok(LeaseInfo {
            id,
            ttl,
            granted_ttl: l.ttl,
            keys: l.keys.iter().cloned().collect(),
        })
    }

    /// A view of lease `id`.
    pub fn lookup(&self, id: i64) -> Option<Lease> {
        self.leases.get(&id).map(|l| Lease {
            id,
            ttl: l.ttl,
            keys: l.keys.iter().cloned().collect(),
            expiry_ms: l.expiry_ms,
        })
    }

    /// True if no lease is granted (then no key is attached to one, and
    /// [`Lessor::apply_events`] has nothing to do).
    pub fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }

    /// Whether lease `id` exists (use as the `lease_exists` check of `Store::put_with`).
    pub fn contains(&self, id: i64) -> bool {
        self.leases.contains_key(&id)
    }

    /// The lease `key` is attached to.
    pub fn lease_of(&self, key: &[u8]) -> Option<i64> {
        self.items.get(key).map(|v| **v)
    }

    /// Every lease id, ascending.
    pub fn leases(&self) -> Vec<i64> {
        self.leases.keys().copied().collect()
    }

    /// On the primary: leases whose expiry is at or before `now_ms`, ascending by id,
    /// to be revoked through Raft. A reported lease is reported again only after
    /// [`EXPIRED_RETRY_MS`] if it still exists. Empty when not primary.
    pub fn expired(&mut self, now_ms: u64) -> Vec<i64> {
        if !self.primary {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (id, l) in &self.leases {
            if l.check_at_ms.is_some_and(|t| t <= now_ms) {
                out.push(*id);
            }
        }
        for id in &out {
            if let Some(l) = self.leases.get_mut(id) {
                l.check_at_ms = Some(now_ms + EXPIRED_RETRY_MS);
            }
        }
        out
    }

    /// The earliest time [`Lessor::expired`] may report something (for scheduling).
    pub fn next_expiry_check(&self) -> Option<u64> {
        self.leases.values().filter_map(|l| l.check_at_ms).min()
    }

    /// Become primary (on becoming leader): every lease now expires
    /// `ttl + extend_ms` from `now_ms`, as etcd renews all leases on a new leader.
    pub fn promote(&mut self, now_ms: u64, extend_ms: u64) {
        self.primary = true;
        for id in self.leases() {
            if let Some(l) = self.leases.get_mut(&id) {
                l.refresh(now_ms, extend_ms);
            }
        }
    }

    /// Stop being primary: leases no longer expire here.
    pub fn demote(&mut self) {
        self.primary = false;
        for id in self.leases() {
            if let Some(l) = self.leases.get_mut(&id) {
                l.forever();
            }
        }
    }

    /// Whether this lessor expires leases.
    pub fn is_primary(&self) -> bool {
        self.primary
    }

    /// The replicated part (ids, TTLs, keys) as deterministic bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let data: Vec<SnapshotLease> = self
            .leases
            .iter()
            .map(|(id, l)| SnapshotLease {
                id: *id,
                ttl: l.ttl,
                keys: l.keys.iter().cloned().collect(),
            })
            .collect();
        serde_json::to_vec(&data).expect("lease snapshot serializes")
    }

    /// A non-primary lessor holding the leases of [`Lessor::snapshot`] bytes.
    pub fn restore(min_ttl_secs: i64, bytes: &[u8]) -> Result<Lessor> {
        let data: Vec<SnapshotLease> =
            serde_json::from_slice(bytes).map_err(|e| Error::InvalidSnapshot(e.to_string()))?;
        let mut lessor = Lessor::new(min_ttl_secs);
        for l in data {
            if l.id == 0 || lessor.leases.contains_key(&l.id) {
                return Err(Error::InvalidSnapshot(format!("bad lease id {}", l.id)));
            }
            for k in &l.keys {
                lessor.items.insert(k.clone(), Arc::new(l.id));
            }
            lessor.leases.insert(
                l.id,
                LeaseState {
                    ttl: l.ttl,
                    keys: l.keys.into_iter().collect(),
                    expiry_ms: None,
                    check_at_ms: None,
                },
            );
        }
        Ok(lessor)
    }
}

#[cfg(test)]
mod tests;
