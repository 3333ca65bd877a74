//! Property test of the watch guarantees: with random writes, compactions, watch
//! creations (random start revisions, ranges, filters, prev_kv) and cancels, every
//! watcher receives exactly the matching events from its start revision on, in
//! order, without duplicates, with one revision never split across responses —
//! or, if its start was compacted, only a cancel carrying the compact revision.

use std::collections::BTreeMap;

use kv::watch::{WatchCreateRequest, WatchFilter, WatchHub, WatchResponse};
use kv::*;
use proptest::prelude::*;

const KEYS: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];

#[derive(Clone, Debug)]
enum Op {
    Put(usize),
    Delete(usize, usize),
    /// A txn writing several keys at one revision.
    Multi(Vec<usize>),
    Compact(i64),
    /// key, range end index (None = single key), start revision `back` from the
    /// current one (0 = "now"), filter, prev_kv.
    Watch(usize, Option<usize>, i64, Option<WatchFilter>, bool),
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let k = || 0..KEYS.len();
    let filter = prop_oneof![
        3 => Just(None),
        1 => Just(Some(WatchFilter::NoPut)),
        1 => Just(Some(WatchFilter::NoDelete)),
    ];
    prop_oneof![
        5 => k().prop_map(Op::Put),
        2 => (k(), k()).prop_map(|(a, b)| Op::Delete(a, b)),
        2 => prop::collection::btree_set(k(), 1..4).prop_map(|s| Op::Multi(s.into_iter().collect())),
        1 => (0i64..6).prop_map(Op::Compact),
        3 => (k(), prop::option::of(k()), 0i64..8, filter, any::<bool>())
            .prop_map(|(a, e, back, f, p)| Op::Watch(a, e, back, f, p)),
        1 => (0usize..8).prop_map(Op::Cancel),
    ]
}

struct Expect {
    req: WatchCreateRequest,
    start: i64,
    /// Store revision when the watcher was cancelled by the client.
    end: Option<i64>,
    compacted: bool,
    /// The compaction point when it was created: an event there has no previous value left to
    /// show (etcd reads `prev_kv` at the revision before, which is compacted).
    compact_at_start: i64,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn watchers_get_every_matching_event_once(ops in prop::collection::vec(op(), 1..80)) {
        let mut store = Store::new();
        let mut hub = WatchHub::new();
        let mut history: Vec<Event> = Vec::new();
        let mut expect: BTreeMap<i64, Expect> = BTreeMap::new();
        let mut got: BTreeMap<i64, Vec<WatchResponse>> = BTreeMap::new();
        for op in &ops {
            let write = |store: &mut Store, ops: Vec<RequestOp>| {
                store.txn(&TxnRequest { compare: vec![], success: ops, failure: vec![] }).unwrap()
            };
            let w = match op {
                Op::Put(k) => Some(write(&mut store, vec![RequestOp::Put(PutRequest {
                    key: KEYS[*k].to_vec(),
                    value: vec![b'v'],
                    ..Default::default()
                })])),
                Op::Delete(a, b) => Some(write(&mut store, vec![RequestOp::DeleteRange(DeleteRangeRequest {
                    key: KEYS[*a].to_vec(),
                    range_end: KEYS[*b].to_vec(),
                    prev_kv: false,
                })])),
                Op::Multi(ks) => Some(write(&mut store, ks.iter().map(|k| RequestOp::Put(PutRequest {
                    key: KEYS[*k].to_vec(),
                    ..Default::default()
                })).collect())),
                Op::Compact(back) => {
                    let _ = store.compact(store.current_revision() - back);
                    None
                }
                Op::Watch(k, e, back, f, prev_kv) => {
                    let cur = store.current_revision();
                    let start_revision = if *back == 0 { 0 } else { (cur - back + 2).max(1) };
                    let req = WatchCreateRequest {
                        key: KEYS[*k].to_vec(),
                        range_end: e.map(|e| KEYS[e].to_vec()).unwrap_or_default(),
                        start_revision,
                        prev_kv: *prev_kv,
                        filters: f.iter().copied().collect(),
                        ..Default::default()
                    };
                    match hub.create(&store, &req) {
                        Ok(id) => {
                            let start = if start_revision == 0 { cur + 1 } else { start_revision };
                            let compacted = store.compact_revision() > 0 && start < store.compact_revision();
                            let compact_at_start = store.compact_revision();
                            expect.insert(id, Expect { req, start, end: None, compacted, compact_at_start });
                        }
                        Err(err) => prop_assert_eq!(err, Error::EmptyWatcherRange),
                    }
                    None
                }
                Op::Cancel(i) => {
                    let ids = hub.watch_ids();
                    if let Some(id) = ids.get(*i % ids.len().max(1)) {
                        hub.cancel(*id).unwrap();
                        expect.get_mut(id).unwrap().end = Some(store.current_revision());
                    }
                    None
                }
            };
            if let Some(w) = w {
                hub.notify(&w.events, w.revision);
                history.extend(w.events);
            }
            for r in hub.take_responses() {
                got.entry(r.watch_id).or_default().push(r);
            }
        }
        for (id, e) in &expect {
            let resps = &got[id];
            prop_assert!(resps[0].created);
            if e.compacted {
                prop_assert_eq!(resps.len(), 2);
                prop_assert!(resps[1].canceled);
                prop_assert!(resps[1].compact_revision >= e.start);
                continue;
            }
            let range = KeyRange::new(&e.req.key, &e.req.range_end);
            let want: Vec<Event> = history
                .iter()
                .filter(|ev| ev.kv.mod_revision >= e.start)
                .filter(|ev| e.end.is_none_or(|end| ev.kv.mod_revision <= end))
                .filter(|ev| range.contains(&ev.kv.key))
                .filter(|ev| !e.req.filters.iter().any(|f| match f {
                    WatchFilter::NoPut => ev.kind == EventType::Put,
                    WatchFilter::NoDelete => ev.kind == EventType::Delete,
                }))
                .map(|ev| {
                    let mut ev = ev.clone();
                    if !e.req.prev_kv || ev.kv.mod_revision <= e.compact_at_start {
                        ev.prev_kv = None;
                    }
                    ev
                })
                .collect();
            let seen: Vec<Event> = resps.iter().flat_map(|r| r.events.clone()).collect();
            prop_assert_eq!(&seen, &want, "watcher {}", id);
            // No revision is split across responses; live responses carry their revision.
            let mut last_rev = 0;
            for r in resps.iter().filter(|r| !r.events.is_empty()) {
                prop_assert!(r.events[0].kv.mod_revision > last_rev);
                last_rev = r.events.last().unwrap().kv.mod_revision;
                prop_assert!(r.revision >= last_rev);
            }
            prop_assert_eq!(resps.iter().filter(|r| r.canceled).count(), usize::from(e.end.is_some()));
        }
    }
}
