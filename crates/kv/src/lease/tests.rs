//! Lessor tests: grant/revoke/attach, expiry on the primary only, promote/demote,
//! snapshots, and revoke deleting every key in one store revision.

use super::*;
use crate::store::Store;
use crate::types::{DeleteRangeRequest, PutRequest, RequestOp, TxnRequest};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

#[test]
fn grant_rules() {
    let mut l = Lessor::new(2);
    let lease = l.grant(1, 1, 0).unwrap();
    assert_eq!((lease.id, lease.ttl, lease.expiry_ms), (1, 2, None));
    assert_eq!(l.grant(2, 60, 0).unwrap().ttl, 60);
    assert_eq!(l.grant(1, 60, 0), Err(Error::LeaseExists));
    assert_eq!(l.grant(0, 60, 0), Err(Error::LeaseNotFound));
    assert_eq!(
        l.grant(3, MAX_LEASE_TTL + 1, 0),
        Err(Error::LeaseTtlTooLarge)
    );
    assert_eq!(l.leases(), vec![1, 2]);
    // On the primary a grant expires ttl seconds later.
    let mut p = Lessor::new(2);
    p.promote(0, 0);
    assert_eq!(p.grant(-5, 10, 1_000).unwrap().expiry_ms, Some(11_000));
}

#[test]
fn attach_detach() {
    let mut l = Lessor::new(1);
    l.grant(1, 10, 0).unwrap();
    l.grant(2, 10, 0).unwrap();
    assert_eq!(l.attach(9, b"k"), Err(Error::LeaseNotFound));
    assert_eq!(l.detach(9, b"k"), Err(Error::LeaseNotFound));
    l.attach(1, b"k").unwrap();
    l.attach(1, b"j").unwrap();
    assert_eq!(l.lookup(1).unwrap().keys, vec![b("j"), b("k")]);
    l.attach(2, b"k").unwrap();
    assert_eq!(l.lookup(1).unwrap().keys, vec![b("j")]);
    assert_eq!(l.lease_of(b"k"), Some(2));
    l.detach(2, b"k").unwrap();
    assert_eq!(l.lease_of(b"k"), None);
    assert!(l.lookup(2).unwrap().keys.is_empty());
}

#[test]
fn apply_events_follows_puts_and_deletes() {
    let mut store = Store::new();
    let mut l = Lessor::new(1);
    l.grant(1, 10, 0).unwrap();
    l.grant(2, 10, 0).unwrap();
    let put = |store: &mut Store, l: &mut Lessor, k: &str, lease: i64| {
        let w = store
            .put_with(
                &PutRequest {
                    key: b(k),
                    lease,
                    ..Default::default()
                },
                |id| l.contains(id),
            )
            .unwrap();
        l.apply_events(&w.events);
    };
    put(&mut store, &mut l, "a", 1);
    put(&mut store, &mut l, "b", 1);
    assert_eq!(l.lookup(1).unwrap().keys, vec![b("a"), b("b")]);
    put(&mut store, &mut l, "a", 2);
    assert_eq!(l.lookup(1).unwrap().keys, vec![b("b")]);
    assert_eq!(l.lease_of(b"a"), Some(2));
    put(&mut store, &mut l, "a", 0);
    assert_eq!(l.lease_of(b"a"), None);
    assert!(l.lookup(2).unwrap().keys.is_empty());
    let w = store
        .delete_range(&DeleteRangeRequest {
            key: b("b"),
            ..Default::default()
        })
        .unwrap();
    l.apply_events(&w.events);
    assert!(l.lookup(1).unwrap().keys.is_empty());
    assert_eq!(
        store.put_with(
            &PutRequest {
                key: b("c"),
                lease: 3,
                ..Default::default()
            },
            |id| l.contains(id)
        ),
        Err(Error::LeaseNotFound)
    );
}

/// A revoke done as one txn of deletes (works up to the txn size limit).
struct TxnDeleter<'a> {
    store: &'a mut Store,
    result: Option<crate::WriteResult<crate::TxnResponse>>,
}

impl LeaseDeleter for TxnDeleter<'_> {
    fn delete_keys(&mut self, keys: &[Vec<u8>]) {
        let txn = TxnRequest {
            compare: vec![],
            success: keys
                .iter()
                .map(|k| {
                    RequestOp::DeleteRange(DeleteRangeRequest {
                        key: k.clone(),
                        ..Default::default()
                    })
                })
                .collect(),
            failure: vec![],
        };
        self.result = Some(self.store.txn(&txn).unwrap());
    }
}

#[test]
fn revoke_deletes_all_keys_in_one_revision() {
    let mut store = Store::new();
    let mut l = Lessor::new(1);
    l.grant(7, 10, 0).unwrap();
    for k in ["c", "a", "b"] {
        let w = store
            .put(&PutRequest {
                key: b(k),
                value: b("v"),
                lease: 7,
                ..Default::default()
            })
            .unwrap();
        l.apply_events(&w.events);
    }
    store
        .put(&PutRequest {
            key: b("other"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.current_revision(), 5);
    let mut d = TxnDeleter {
        store: &mut store,
        result: None,
    };
    l.revoke(7, &mut d).unwrap();
    let w = d.result.unwrap();
    assert_eq!(w.revision, 6);
    assert_eq!(w.events.len(), 3);
    assert!(w
        .events
        .iter()
        .all(|e| e.kind == EventType::Delete && e.kv.mod_revision == 6));
    let deleted: Vec<_> = w.events.iter().map(|e| e.kv.key.clone()).collect();
    assert_eq!(deleted, vec![b("a"), b("b"), b("c")]);
    assert!(w
        .events
        .iter()
        .all(|e| e.prev_kv.as_ref().unwrap().lease == 7));
    l.apply_events(&w.events); // the lease is gone: nothing to detach, no error
    assert_eq!(store.current_revision(), 6);
    assert!(store.get(b"a").is_none() && store.get(b"other").is_some());
    assert!(l.leases().is_empty());
    assert_eq!(l.lease_of(b"a"), None);
    assert_eq!(
        l.revoke(7, &mut |_: &[Vec<u8>]| panic!("not called")),
        Err(Error::LeaseNotFound)
    );
}

#[test]
fn renew_and_time_to_live() {
    let mut l = Lessor::new(2);
    l.grant(1, 10, 0).unwrap();
    assert_eq!(l.renew(1, 0), Err(Error::NotPrimary));
    // Not primary: never expires, reports the granted TTL.
    assert_eq!(l.time_to_live(1, 1_000_000).unwrap().ttl, 10);
    l.promote(1_000, 0); // expires at 11_000
    let info = l.time_to_live(1, 1_001).unwrap();
    assert_eq!((info.ttl, info.granted_ttl), (9, 10));
    assert_eq!(l.time_to_live(1, 10_500).unwrap().ttl, 0);
    assert_eq!(l.renew(1, 10_500), Ok(10)); // now 20_500
    assert_eq!(l.time_to_live(1, 10_500).unwrap().ttl, 10);
    assert_eq!(l.time_to_live(1, 20_500).unwrap().ttl, -1);
    assert_eq!(l.renew(1, 20_500), Err(Error::LeaseNotFound));
    assert_eq!(l.renew(2, 0), Err(Error::LeaseNotFound));
    assert_eq!(l.time_to_live(2, 0), Err(Error::LeaseNotFound));
}

#[test]
fn expiry_only_on_primary_with_retry() {
    let mut l = Lessor::new(1);
    l.grant(1, 5, 0).unwrap();
    l.grant(2, 10, 0).unwrap();
    assert!(l.expired(1_000_000).is_empty());
    l.promote(0, 1_000); // 1 -> 6_000, 2 -> 11_000
    assert_eq!(l.next_expiry_check(), Some(6_000));
    assert!(l.expired(5_999).is_empty());
    assert_eq!(l.expired(6_000), vec![1]);
    // Reported again only after the retry interval.
    assert!(l.expired(8_999).is_empty());
    assert_eq!(l.expired(11_000), vec![1, 2]);
    assert_eq!(l.expired(14_000), vec![1, 2]);
    l.demote();
    assert!(!l.is_primary());
    assert!(l.expired(100_000).is_empty());
    assert_eq!(l.lookup(1).unwrap().expiry_ms, None);
    // A new leader renews everything: nothing is expired right after promotion.
    l.promote(100_000, 0);
    assert!(l.expired(100_000).is_empty());
    assert_eq!(l.expired(105_000), vec![1]);
}

#[test]
fn snapshot_restore() {
    let mut l = Lessor::new(2);
    l.promote(0, 0);
    l.grant(3, 30, 0).unwrap();
    l.grant(1, 10, 0).unwrap();
    l.attach(3, b"x").unwrap();
    l.attach(3, b"a").unwrap();
    let bytes = l.snapshot();
    let r = Lessor::restore(2, &bytes).unwrap();
    assert!(!r.is_primary());
    assert_eq!(r.leases(), vec![1, 3]);
    assert_eq!(r.lookup(3).unwrap().keys, vec![b("a"), b("x")]);
    assert_eq!(r.lookup(3).unwrap().expiry_ms, None);
    assert_eq!(r.lease_of(b"x"), Some(3));
    assert_eq!(r.snapshot(), bytes);
    // Expiry state is local: a follower's snapshot has the same bytes.
    let mut f = l.clone();
    f.demote();
    assert_eq!(f.snapshot(), bytes);
    assert!(matches!(
        Lessor::restore(2, b"[{\"id\":0,\"ttl\":1,\"keys\":[]}]"),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[test]
fn revoke_with_many_keys_is_still_one_revision() {
    let mut store = Store::new();
    let mut l = Lessor::new(1);
    l.grant(1, 10, 0).unwrap();
    for i in 0..300 {
        let w = store
            .put(&PutRequest {
                key: format!("k{i:03}").into_bytes(),
                lease: 1,
                ..Default::default()
            })
            .unwrap();
        l.apply_events(&w.events);
    }
    let rev = store.current_revision();
    let mut d = StoreDeleter::new(&mut store);
    l.revoke(1, &mut d).unwrap();
    let w = d.result.unwrap();
    assert_eq!(w.revision, rev + 1);
    assert_eq!(w.response.deleted, 300);
    assert_eq!(w.events.len(), 300);
    assert!(w.events.iter().all(|e| e.kv.mod_revision == rev + 1));
    // Revoking a lease without keys changes nothing.
    l.grant(2, 10, 0).unwrap();
    let mut d = StoreDeleter::new(&mut store);
    l.revoke(2, &mut d).unwrap();
    assert_eq!(d.result.unwrap().revision, rev + 1);
    assert_eq!(store.current_revision(), rev + 1);
}
