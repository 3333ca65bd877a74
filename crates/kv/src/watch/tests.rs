//! Watch hub tests: replay + live without gaps, compaction, filters, prev_kv,
//! progress, ids, cancel.

use super::*;
use crate::types::{DeleteRangeRequest, PutRequest, RequestOp, TxnRequest, WriteResult};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Applies writes to the store and notifies the hub, like a replica's apply loop.
struct Node {
    store: Store,
    hub: WatchHub,
}

impl Node {
    fn new() -> Self {
        Node {
            store: Store::new(),
            hub: WatchHub::new(),
        }
    }

    fn after<T>(&mut self, w: WriteResult<T>) -> i64 {
        self.hub.notify(&w.events, w.revision);
        w.revision
    }

    fn put(&mut self, k: &str, v: &str) -> i64 {
        let w = self
            .store
            .put(&PutRequest {
                key: b(k),
                value: b(v),
                ..Default::default()
            })
            .unwrap();
        self.after(w)
    }

    fn del(&mut self, k: &str, end: &str) -> i64 {
        let w = self
            .store
            .delete_range(&DeleteRangeRequest {
                key: b(k),
                range_end: b(end),
                prev_kv: false,
            })
            .unwrap();
        self.after(w)
    }

    fn watch(&mut self, req: WatchCreateRequest) -> Result<i64> {
        self.hub.create(&self.store, &req)
    }
}

fn watch_req(k: &str, end: &str, start: i64) -> WatchCreateRequest {
    WatchCreateRequest {
        key: b(k),
        range_end: b(end),
        start_revision: start,
        ..Default::default()
    }
}

/// (revision, key) of every event for `id`, in delivery order.
fn delivered(resps: &[WatchResponse], id: i64) -> Vec<(i64, String)> {
    resps
        .iter()
        .filter(|r| r.watch_id == id)
        .flat_map(|r| r.events.iter())
        .map(|e| {
            (
                e.kv.mod_revision,
                String::from_utf8(e.kv.key.clone()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn historical_replay_then_live_without_gap_or_duplicate() {
    let mut n = Node::new();
    n.put("a", "1"); // 2
    n.put("b", "1"); // 3
    n.put("a", "2"); // 4
    n.del("a", ""); // 5
    n.hub.take_responses();
    let id = n.watch(watch_req("a", "c", 3)).unwrap();
    n.put("a", "3"); // 6
    n.put("z", "1"); // 7, outside the range
    n.put("b", "2"); // 8
    let resps = n.hub.take_responses();
    assert!(resps[0].created && !resps[0].canceled);
    assert_eq!((resps[0].watch_id, resps[0].revision), (id, 5));
    // Replay comes as one response with the store revision as header.
    assert_eq!(resps[1].revision, 5);
    assert_eq!(resps[1].events.len(), 3);
    let want: Vec<(i64, String)> = [(3, "b"), (4, "a"), (5, "a"), (6, "a"), (8, "b")]
        .iter()
        .map(|(r, k)| (*r, k.to_string()))
        .collect();
    assert_eq!(delivered(&resps, id), want);
    // Live responses carry their own revision.
    assert_eq!(resps.last().unwrap().revision, 8);
    assert_eq!(resps[1].events[2].kind, EventType::Delete);
}

#[test]
fn start_zero_sees_only_new_events() {
    let mut n = Node::new();
    n.put("a", "1");
    let id = n.watch(watch_req("a", "", 0)).unwrap();
    n.put("a", "2"); // 3
    let resps = n.hub.take_responses();
    assert_eq!(resps.len(), 2);
    assert_eq!(delivered(&resps, id), vec![(3, "a".to_string())]);
}

#[test]
fn compacted_start_is_cancelled_with_compact_revision() {
    let mut n = Node::new();
    for i in 0..5 {
        n.put("a", &i.to_string()); // 2..=6
    }
    n.store.compact(4).unwrap();
    for start in [1, 3] {
        let id = n.watch(watch_req("a", "", start)).unwrap();
        let resps = n.hub.take_responses();
        assert_eq!(resps.len(), 2, "start {start}");
        assert!(resps[0].created);
        assert_eq!(resps[1].watch_id, id);
        assert!(resps[1].canceled);
        assert_eq!(resps[1].compact_revision, 4);
        assert!(resps[1].events.is_empty());
    }
    assert!(n.hub.is_empty());
    // From the compaction point itself, as etcd 3.5 allows.
    let id = n.watch(watch_req("a", "", 4)).unwrap();
    let resps = n.hub.take_responses();
    assert_eq!(
        delivered(&resps, id),
        vec![(4, "a".into()), (5, "a".into()), (6, "a".into())]
    );
    assert_eq!(n.hub.len(), 1);
}

#[test]
fn filters_and_prev_kv() {
    let mut n = Node::new();
    let no_put = n
        .watch(WatchCreateRequest {
            filters: vec![WatchFilter::NoPut],
            ..watch_req("a", "", 0)
        })
        .unwrap();
    let no_del = n
        .watch(WatchCreateRequest {
            filters: vec![WatchFilter::NoDelete],
            prev_kv: true,
            ..watch_req("a", "", 0)
        })
        .unwrap();
    let plain = n.watch(watch_req("a", "", 0)).unwrap();
    n.hub.take_responses();
    n.put("a", "1"); // 2
    n.put("a", "2"); // 3
    n.del("a", ""); // 4
    let resps = n.hub.take_responses();
    assert_eq!(delivered(&resps, no_put), vec![(4, "a".into())]);
    assert_eq!(
        delivered(&resps, no_del),
        vec![(2, "a".into()), (3, "a".into())]
    );
    // A fully filtered revision sends nothing.
    assert_eq!(resps.iter().filter(|r| r.watch_id == no_put).count(), 1);
    let evs: Vec<&Event> = resps
        .iter()
        .filter(|r| r.watch_id == no_del)
        .flat_map(|r| &r.events)
        .collect();
    assert_eq!(evs[0].prev_kv, None); // a create has none
    assert_eq!(evs[1].prev_kv.as_ref().unwrap().value, b("1"));
    assert!(resps
        .iter()
        .filter(|r| r.watch_id == plain || r.watch_id == no_put)
        .flat_map(|r| &r.events)
        .all(|e| e.prev_kv.is_none()));
}

#[test]
fn one_revision_is_one_response() {
    let mut n = Node::new();
    let id = n.watch(watch_req("a", "z", 0)).unwrap();
    n.hub.take_responses();
    let put = |k: &str| {
        RequestOp::Put(PutRequest {
            key: b(k),
            value: b("v"),
            ..Default::default()
        })
    };
    let w = n
        .store
        .txn(&TxnRequest {
            compare: vec![],
            success: vec![put("a"), put("b"), put("zz"), put("c")],
            failure: vec![],
        })
        .unwrap();
    n.after(w);
    let resps = n.hub.take_responses();
    assert_eq!(resps.len(), 1);
    assert_eq!(resps[0].revision, 2);
    assert_eq!(
        delivered(&resps, id),
        vec![(2, "a".into()), (2, "b".into()), (2, "c".into())]
    );
}

#[test]
fn replay_splits_only_between_revisions() {
    let mut n = Node::new();
    let put = |k: &str| {
        RequestOp::Put(PutRequest {
            key: b(k),
            ..Default::default()
        })
    };
    for _ in 0..(MAX_REVS_PER_RESPONSE + 10) {
        let w = n
            .store
            .txn(&TxnRequest {
                compare: vec![],
                success: vec![put("a"), put("b")],
                failure: vec![],
            })
            .unwrap();
        n.after(w);
    }
    let id = n.watch(watch_req("a", "c", 1)).unwrap();
    let resps = n.hub.take_responses();
    let batches: Vec<&WatchResponse> = resps.iter().filter(|r| !r.events.is_empty()).collect();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].events.len(), 2 * MAX_REVS_PER_RESPONSE);
    assert_eq!(batches[1].events.len(), 20);
    assert_eq!(
        delivered(&resps, id).len(),
        2 * (MAX_REVS_PER_RESPONSE + 10)
    );
}

#[test]
fn future_start_waits() {
    let mut n = Node::new();
    let id = n.watch(watch_req("a", "", 4)).unwrap();
    n.put("a", "1"); // 2
    n.put("a", "2"); // 3
    n.put("a", "3"); // 4
    let resps = n.hub.take_responses();
    assert_eq!(delivered(&resps, id), vec![(4, "a".into())]);
}

#[test]
fn progress_notifications() {
    let mut n = Node::new();
    let p = n
        .watch(WatchCreateRequest {
            progress_notify: true,
            ..watch_req("a", "", 0)
        })
        .unwrap();
    let _quiet = n.watch(watch_req("a", "", 0)).unwrap();
    n.hub.take_responses();
    n.hub.progress(1);
    let resps = n.hub.take_responses();
    assert_eq!(resps.len(), 1);
    assert_eq!((resps[0].watch_id, resps[0].revision), (p, 1));
    assert!(resps[0].events.is_empty() && !resps[0].canceled && !resps[0].created);
    // Events since the last tick elide the next progress response.
    n.put("a", "1");
    n.hub.take_responses();
    n.hub.progress(2);
    assert!(n.hub.take_responses().is_empty());
    n.hub.progress(2);
    assert_eq!(n.hub.take_responses().len(), 1);
    n.hub.request_progress(2);
    let resps = n.hub.take_responses();
    assert_eq!(
        (resps[0].watch_id, resps[0].revision),
        (BROADCAST_WATCH_ID, 2)
    );
}

#[test]
fn ids_cancel_and_errors() {
    let mut n = Node::new();
    assert_eq!(n.watch(watch_req("a", "", 0)), Ok(0));
    assert_eq!(n.watch(watch_req("a", "", 0)), Ok(1));
    let explicit = WatchCreateRequest {
        watch_id: 7,
        ..watch_req("a", "", 0)
    };
    assert_eq!(n.watch(explicit.clone()), Ok(7));
    n.hub.take_responses();
    assert_eq!(n.watch(explicit), Err(Error::DuplicateWatchId));
    let resps = n.hub.take_responses();
    assert_eq!(resps.len(), 1);
    assert!(resps[0].created && resps[0].canceled);
    assert_eq!(resps[0].watch_id, -1);
    assert_eq!(
        resps[0].cancel_reason,
        "mvcc: duplicate watch ID provided on the WatchStream"
    );
    assert_eq!(
        n.watch(watch_req("b", "a", 0)),
        Err(Error::EmptyWatcherRange)
    );
    n.hub.take_responses();
    n.put("a", "1"); // 2
    n.hub.cancel(1).unwrap();
    assert_eq!(n.hub.cancel(1), Err(Error::WatcherNotExist));
    n.put("a", "2"); // 3
    let resps = n.hub.take_responses();
    let cancel = resps.iter().find(|r| r.canceled).unwrap();
    assert_eq!((cancel.watch_id, cancel.revision), (1, 2));
    assert_eq!(delivered(&resps, 1), vec![(2, "a".into())]);
    assert_eq!(delivered(&resps, 0).len(), 2);
    assert_eq!(n.hub.watch_ids(), vec![0, 7]);
    // Freed ids are not reused before the counter passes them, as etcd.
    assert_eq!(n.watch(watch_req("a", "", 0)), Ok(2));
}

#[test]
fn resync_after_store_replaced() {
    let mut n = Node::new();
    let id = n.watch(watch_req("a", "", 0)).unwrap();
    n.hub.take_responses();
    // Writes applied elsewhere arrive as a snapshot, without notify.
    let mut other = n.store.clone();
    other
        .put(&PutRequest {
            key: b("a"),
            value: b("1"),
            ..Default::default()
        })
        .unwrap();
    other
        .put(&PutRequest {
            key: b("a"),
            value: b("2"),
            ..Default::default()
        })
        .unwrap();
    n.store = Store::restore(&other.snapshot()).unwrap();
    n.hub.resync(&n.store);
    n.put("a", "3"); // 4
    let resps = n.hub.take_responses();
    assert_eq!(
        delivered(&resps, id),
        vec![(2, "a".into()), (3, "a".into()), (4, "a".into())]
    );
    // With the history compacted the watcher is cancelled instead.
    let id2 = n.watch(watch_req("a", "", 0)).unwrap();
    let mut other = n.store.clone();
    for v in ["x", "y"] {
        other
            .put(&PutRequest {
                key: b("a"),
                value: b(v),
                ..Default::default()
            })
            .unwrap();
    }
    other.compact(6).unwrap();
    n.store = other;
    n.hub.take_responses();
    n.hub.resync(&n.store);
    let resps = n.hub.take_responses();
    assert!(resps.iter().all(|r| r.canceled && r.compact_revision == 6));
    assert_eq!(resps.len(), 2);
    assert!(!n.hub.watch_ids().contains(&id2));
}
