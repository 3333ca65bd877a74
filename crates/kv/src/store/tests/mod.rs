//! Unit tests of the store: revisions, key metadata, compaction, put flags, history and
//! snapshots here; ranges and txns in their own files.

mod ranges;
mod txns;

use crate::*;

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn put(s: &mut Store, k: &str, v: &str) -> WriteResult<PutResponse> {
    s.put(&PutRequest {
        key: b(k),
        value: b(v),
        prev_kv: true,
        ..Default::default()
    })
    .unwrap()
}

fn del(s: &mut Store, k: &str, end: &str) -> WriteResult<DeleteRangeResponse> {
    s.delete_range(&DeleteRangeRequest {
        key: b(k),
        range_end: b(end),
        prev_kv: true,
    })
    .unwrap()
}

fn rng(k: &str, end: &str) -> RangeRequest {
    RangeRequest {
        key: b(k),
        range_end: b(end),
        ..Default::default()
    }
}

fn keys(r: &RangeResponse) -> Vec<String> {
    r.kvs
        .iter()
        .map(|kv| String::from_utf8(kv.key.clone()).unwrap())
        .collect()
}

/// a b c d e at revisions 2..=6, values "1".."5".
fn abcde() -> Store {
    let mut s = Store::new();
    for (i, k) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        put(&mut s, k, &(i + 1).to_string());
    }
    s
}

#[test]
fn revisions_start_at_one_and_rise_per_write() {
    let mut s = Store::new();
    assert_eq!(s.current_revision(), 1);
    assert_eq!(s.compact_revision(), 0);
    assert_eq!(put(&mut s, "a", "1").revision, 2);
    assert_eq!(put(&mut s, "a", "2").revision, 3);
    assert_eq!(put(&mut s, "b", "1").revision, 4);
    let d = del(&mut s, "a", "");
    assert_eq!((d.revision, d.response.deleted), (5, 1));
    // Deleting nothing keeps the revision and produces no events.
    let d = del(&mut s, "a", "");
    assert_eq!((d.revision, d.response.deleted), (5, 0));
    assert!(d.events.is_empty());
    let d = del(&mut s, "x", "z");
    assert_eq!(d.revision, 5);
    assert_eq!(s.current_revision(), 5);
}

#[test]
fn create_mod_version_rules_and_recreate() {
    let mut s = Store::new();
    let r = put(&mut s, "k", "v1");
    assert_eq!(r.response.prev_kv, None);
    assert_eq!(r.events.len(), 1);
    assert!(r.events[0].is_create());
    put(&mut s, "k", "v2");
    let r = put(&mut s, "k", "v3");
    let prev = r.response.prev_kv.unwrap();
    assert_eq!(
        (prev.value, prev.version, prev.mod_revision),
        (b("v2"), 2, 3)
    );
    let kv = s.get(b"k").unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (2, 4, 3));
    let d = del(&mut s, "k", "");
    assert_eq!(d.events[0].kind, EventType::Delete);
    assert_eq!(
        d.events[0].kv,
        KeyValue {
            key: b("k"),
            mod_revision: 5,
            ..Default::default()
        }
    );
    assert_eq!(d.events[0].prev_kv.as_ref().unwrap().value, b("v3"));
    assert_eq!(d.response.prev_kvs[0].value, b("v3"));
    assert_eq!(s.get(b"k"), None);
    // Recreate: new create revision, version restarts at 1.
    let r = put(&mut s, "k", "again");
    assert_eq!(r.response.prev_kv, None);
    assert!(r.events[0].is_create());
    assert_eq!(r.events[0].prev_kv, None);
    let kv = s.get(b"k").unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (6, 6, 1));
    // The old generation is still readable at old revisions.
    let old = s
        .range(&RangeRequest {
            revision: 4,
            ..rng("k", "")
        })
        .unwrap();
    assert_eq!(old.kvs[0].value, b("v3"));
    assert_eq!(old.kvs[0].create_revision, 2);
    let gone = s
        .range(&RangeRequest {
            revision: 5,
            ..rng("k", "")
        })
        .unwrap();
    assert!(gone.kvs.is_empty());
    assert_eq!(gone.count, 0);
}

#[test]
fn revision_reads_and_compaction_errors() {
    let mut s = abcde(); // rev 6
    put(&mut s, "a", "new"); // rev 7
    let at = |s: &Store, rev| {
        s.range(&RangeRequest {
            revision: rev,
            ..rng("a", "z")
        })
    };
    assert_eq!(keys(&at(&s, 3).unwrap()), ["a", "b"]);
    assert_eq!(at(&s, 3).unwrap().kvs[0].value, b("1"));
    assert_eq!(at(&s, 1).unwrap().count, 0);
    assert_eq!(at(&s, 8), Err(Error::FutureRev));
    assert_eq!(at(&s, 0).unwrap().kvs[0].value, b("new"));
    assert_eq!(at(&s, -5).unwrap().count, 5);

    s.compact(4).unwrap();
    assert_eq!(s.compact_revision(), 4);
    assert_eq!(at(&s, 3), Err(Error::Compacted));
    // The compaction revision itself stays readable, with its full content.
    let r = at(&s, 4).unwrap();
    assert_eq!(keys(&r), ["a", "b", "c"]);
    assert_eq!(r.kvs[0].value, b("1"));
    assert_eq!(s.compact(4), Err(Error::Compacted));
    assert_eq!(s.compact(3), Err(Error::Compacted));
    assert_eq!(s.compact(8), Err(Error::FutureRev));
    s.compact(7).unwrap();
    assert_eq!(at(&s, 6), Err(Error::Compacted));
    assert_eq!(at(&s, 7).unwrap().kvs[0].value, b("new"));
}

#[test]
fn compaction_drops_history_but_keeps_latest() {
    let mut s = Store::new();
    put(&mut s, "a", "1"); // 2
    put(&mut s, "a", "2"); // 3
    put(&mut s, "b", "1"); // 4
    del(&mut s, "b", ""); // 5
    put(&mut s, "c", "1"); // 6
    del(&mut s, "c", ""); // 7
    put(&mut s, "c", "2"); // 8
    s.compact(7).unwrap();
    // a@3 survives (latest), a@2 gone; b's generation gone; c's old one is down to its
    // tombstone at the compaction point (etcd since 3.5.16: a watch from 7 sees the delete).
    let revs: Vec<i64> = s.backend.iter().map(|(r, _)| r.main).collect();
    assert_eq!(revs, vec![3, 7, 8]);
    assert!(!s.index.contains_key(b"b".as_slice()));
    assert_eq!(s.get(b"a").unwrap().version, 2);
    let c = s.get(b"c").unwrap();
    assert_eq!((c.create_revision, c.version), (8, 1));
    // Writing after compaction continues the generations correctly.
    put(&mut s, "a", "3");
    assert_eq!(s.get(b"a").unwrap().version, 3);
    assert_eq!(s.get(b"a").unwrap().create_revision, 2);
}

#[test]
fn put_flags() {
    let mut s = Store::new();
    s.put(&PutRequest {
        key: b("k"),
        value: b("v"),
        lease: 5,
        ..Default::default()
    })
    .unwrap();
    // ignore_value keeps the value, and a lease of 0 detaches.
    s.put(&PutRequest {
        key: b("k"),
        ignore_value: true,
        ..Default::default()
    })
    .unwrap();
    let kv = s.get(b"k").unwrap();
    assert_eq!((kv.value, kv.lease, kv.version), (b("v"), 0, 2));
    s.put(&PutRequest {
        key: b("k"),
        value: b("w"),
        lease: 6,
        ..Default::default()
    })
    .unwrap();
    s.put(&PutRequest {
        key: b("k"),
        value: b("x"),
        ignore_lease: true,
        ..Default::default()
    })
    .unwrap();
    let kv = s.get(b"k").unwrap();
    assert_eq!((kv.value, kv.lease), (b("x"), 6));
    assert_eq!(s.keys_with_lease(6), vec![b("k")]);
    assert!(s.keys_with_lease(5).is_empty());
    let rev = s.current_revision();
    let missing = PutRequest {
        key: b("m"),
        ignore_lease: true,
        ..Default::default()
    };
    assert_eq!(s.put(&missing), Err(Error::KeyNotFound));
    let leased = PutRequest {
        key: b("m"),
        lease: 9,
        ..Default::default()
    };
    assert_eq!(s.put_with(&leased, |_| false), Err(Error::LeaseNotFound));
    assert_eq!(s.current_revision(), rev);
}

#[test]
fn events_since_replays_history_with_prev_kv() {
    let mut s = Store::new();
    put(&mut s, "a", "1"); // 2
    put(&mut s, "b", "1"); // 3
    put(&mut s, "a", "2"); // 4
    del(&mut s, "a", ""); // 5
    put(&mut s, "a", "3"); // 6
    let evs = s.events_since(3, b"a", b"").unwrap();
    let summary: Vec<_> = evs
        .iter()
        .map(|e| {
            (
                e.kind,
                e.kv.mod_revision,
                e.prev_kv.as_ref().map(|p| p.value.clone()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (EventType::Put, 4, Some(b("1"))),
            (EventType::Delete, 5, Some(b("2"))),
            (EventType::Put, 6, None),
        ]
    );
    assert_eq!(s.events_since(0, b"a", &[0]).unwrap().len(), 5);
    assert!(s.events_since(7, b"a", &[0]).unwrap().is_empty());
    s.compact(4).unwrap();
    assert_eq!(s.events_since(3, b"a", b""), Err(Error::Compacted));
    // From the compaction point itself, as etcd's watch allows.
    let evs = s.events_since(4, b"a", b"").unwrap();
    assert_eq!(evs.len(), 3);
    assert_eq!((evs[0].kind, evs[0].kv.mod_revision), (EventType::Put, 4));
    let evs = s.events_since(5, b"a", b"").unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].prev_kv.as_ref().unwrap().value, b("2"));
}

#[test]
fn snapshot_round_trip_is_exact_and_deterministic() {
    let mut s = Store::new();
    put(&mut s, "a", "1");
    put(&mut s, "b", "1");
    put(&mut s, "a", "2");
    del(&mut s, "b", "");
    put(&mut s, "c", "1");
    s.compact(3).unwrap();
    put(&mut s, "a", "3");
    let bytes = s.snapshot();
    let mut r = Store::restore(&bytes).unwrap();
    assert_eq!(r, s);
    assert_eq!(r.snapshot(), bytes);
    assert_eq!(r.hash_kv(0).unwrap(), s.hash_kv(0).unwrap());
    // The restored store keeps working identically.
    assert_eq!(put(&mut r, "a", "4"), put(&mut s, "a", "4"));
    assert_eq!(r, s);
    assert!(matches!(
        Store::restore(b"not json"),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[test]
fn a_clone_is_a_shared_value() {
    let mut s = Store::new();
    for i in 0..500 {
        put(&mut s, &format!("k{:03}", i % 50), &format!("v{i}"));
    }
    let snap = s.clone();
    // O(1): the clone shares both trees with the original.
    assert!(snap.index.ptr_eq(&s.index) && snap.backend.ptr_eq(&s.backend));
    put(&mut s, "k001", "after");
    del(&mut s, "k002", "");
    s.compact(300).unwrap();
    // A value: what the clone holds does not change.
    assert!(!snap.backend.ptr_eq(&s.backend));
    assert_eq!(snap.current_revision(), 501);
    assert_eq!(snap.get(b"k001").unwrap().value, b("v451"));
    assert_eq!(snap.get(b"k002").unwrap().value, b("v452"));
    assert_eq!(s.get(b"k001").unwrap().value, b("after"));
    assert!(s.get(b"k002").is_none());
    assert_eq!(
        snap.range(&RangeRequest {
            revision: 2,
            ..rng("k000", "")
        })
        .unwrap()
        .kvs
        .len(),
        1
    );
    assert_eq!(Store::restore(&snap.snapshot()).unwrap(), snap);
}

#[test]
fn logical_size_counts_retained_keys_and_values() {
    let mut s = Store::new();
    assert_eq!(s.logical_size(), 0);
    put(&mut s, "ab", "123");
    put(&mut s, "ab", "45");
    assert_eq!(s.logical_size(), (2 + 3) + (2 + 2));
    del(&mut s, "ab", "");
    // A tombstone keeps its key.
    assert_eq!(s.logical_size(), 5 + 4 + 2);
    assert_eq!(s.record_count(), 3);
    s.compact(3).unwrap();
    assert_eq!(
        s.logical_size(),
        2 + 2 + 2,
        "the value at 3 and the tombstone remain"
    );
    s.compact(4).unwrap();
    assert_eq!(
        (s.logical_size(), s.record_count()),
        (2, 1),
        "the tombstone at the compaction point remains"
    );
    put(&mut s, "x", "1");
    s.compact(5).unwrap();
    assert_eq!((s.logical_size(), s.record_count()), (2, 1), "x=1 only");
    assert_eq!(Store::restore(&s.snapshot()).unwrap().logical_size(), 2);
}

#[test]
fn a_shared_put_writes_the_same_store_and_a_quiet_one_makes_no_events() {
    let reqs: Vec<PutRequest> = (0..40)
        .map(|i| PutRequest {
            key: b(&format!("k{}", i % 7)),
            value: b(&format!("v{i}")),
            prev_kv: i % 3 == 0,
            ignore_value: i % 5 == 4,
            ..Default::default()
        })
        .map(|r| PutRequest {
            value: if r.ignore_value { Vec::new() } else { r.value },
            ..r
        })
        .collect();
    let (mut own, mut shared, mut quiet) = (Store::new(), Store::new(), Store::new());
    for req in &reqs {
        let value: std::sync::Arc<[u8]> = req.value.as_slice().into();
        let a = own.put(req);
        let s = shared.put_shared_with(req, &value, true, |_| true);
        let q = quiet.put_shared_with(req, &value, false, |_| true);
        assert_eq!(a, s);
        let (Ok(a), Ok(q)) = (a, q) else {
            // `ignore_value` on a key not written yet.
            assert!(req.ignore_value);
            continue;
        };
        assert_eq!((&a.response, a.revision), (&q.response, q.revision));
        assert_eq!(a.events.len(), 1);
        assert!(q.events.is_empty());
        // The three stores hold one record between them (equal records written at the same
        // revision are shared, `crate::backend::shared`).
        let rev = crate::revision::Revision::new(a.revision, 0);
        let rec = |s: &Store| s.backend.get(rev).map(|r| r as *const _);
        assert!(rec(&own).is_some());
        assert_eq!(rec(&own), rec(&shared));
        assert_eq!(rec(&own), rec(&quiet));
    }
    assert_eq!(own, shared);
    assert_eq!(own, quiet);
}
