//! The etcd service on the simulated cluster: writes, reads, leases, watches.

use etcd::{EtcdRequest, EtcdResponse, OpEvent, OpResult, Service};
use kv::{PutRequest, RangeRequest, WatchCreateRequest};
use sim::{Action, ClusterConfig};

fn service(seed: u64) -> (Service, u64) {
    let mut s = Service::new(ClusterConfig::new(3, seed)).unwrap();
    s.run_until(3_000).unwrap();
    let leader = s.cluster().leader().expect("leader");
    (s, leader)
}

fn put(key: &str, value: &str, lease: i64) -> EtcdRequest {
    EtcdRequest::Put(PutRequest {
        key: key.into(),
        value: value.into(),
        lease,
        ..Default::default()
    })
}

fn get(s: &mut Service, node: u64, key: &str) -> Vec<(String, String)> {
    let op = s.range(
        node,
        RangeRequest {
            key: key.into(),
            ..Default::default()
        },
        false,
    );
    match s.wait(op, 10_000).unwrap() {
        Some(OpResult::Read(_, a)) => a
            .result
            .unwrap()
            .kvs
            .into_iter()
            .map(|kv| {
                (
                    String::from_utf8(kv.key).unwrap(),
                    String::from_utf8(kv.value).unwrap(),
                )
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// Grants a lease at `node`; returns (id, granted TTL).
fn grant(s: &mut Service, node: u64, ttl: i64) -> (i64, i64) {
    let op = s.lease_grant(node, 0, ttl);
    let Some(OpResult::Write(_, applied)) = s.wait(op, 10_000).unwrap() else {
        panic!("grant did not complete")
    };
    let Ok(EtcdResponse::LeaseGrant { id, ttl }) = applied.result else {
        panic!("{applied:?}")
    };
    (id, ttl)
}

#[test]
fn put_then_linearizable_get_from_a_follower() {
    let (mut s, leader) = service(1);
    let op = s.write(leader, put("foo", "bar", 0));
    let Some(OpResult::Write(h, applied)) = s.wait(op, 10_000).unwrap() else {
        panic!()
    };
    assert_eq!(h.revision, 2);
    assert!(matches!(applied.result, Ok(EtcdResponse::Put(_))));
    let follower = s
        .cluster()
        .node_ids()
        .into_iter()
        .find(|n| *n != leader)
        .unwrap();
    assert_eq!(
        get(&mut s, follower, "foo"),
        vec![("foo".into(), "bar".into())]
    );
}

#[test]
fn lease_expires_and_deletes_keys_in_one_revision() {
    let (mut s, leader) = service(2);
    let (id, ttl) = grant(&mut s, leader, 3);
    assert_eq!(ttl, 3);
    for k in ["a", "b"] {
        let op = s.write(leader, put(k, "v", id));
        assert!(matches!(
            s.wait(op, 10_000).unwrap(),
            Some(OpResult::Write(..))
        ));
    }
    let w = s.watch(
        leader,
        WatchCreateRequest {
            key: b"a".to_vec(),
            range_end: b"c".to_vec(),
            ..Default::default()
        },
    );
    s.run_until(s.now() + 2_000).unwrap();
    assert_eq!(
        get(&mut s, leader, "a").len(),
        1,
        "still alive before its TTL"
    );
    s.run_until(s.now() + 3_000).unwrap();
    assert!(get(&mut s, leader, "a").is_empty(), "expired");
    assert!(get(&mut s, leader, "b").is_empty());
    let deletes: Vec<(i64, usize)> = s
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            OpEvent::Watch(op, _, r) if op == w && !r.events.is_empty() => {
                Some((r.revision, r.events.len()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].1, 2, "both keys deleted in one revision");
}

#[test]
fn keepalive_holds_a_lease_and_partition_loses_it() {
    let (mut s, leader) = service(3);
    let (id, _) = grant(&mut s, leader, 3);
    let follower = s
        .cluster()
        .node_ids()
        .into_iter()
        .find(|n| *n != leader)
        .unwrap();
    let op = s.write(leader, put("k", "v", id));
    s.wait(op, 10_000).unwrap();
    for _ in 0..10 {
        let op = s.lease_keepalive(follower, id);
        assert!(matches!(
            s.wait(op, 10_000).unwrap(),
            Some(OpResult::KeepAlive(_, 3))
        ));
        s.run_until(s.now() + 1_000).unwrap();
    }
    assert_eq!(get(&mut s, leader, "k").len(), 1, "kept alive for 10 s");
    // Cut the client's member off: keep-alives fail and the lease expires on the majority.
    let others: Vec<u64> = s
        .cluster()
        .node_ids()
        .into_iter()
        .filter(|n| *n != follower)
        .collect();
    s.cluster_mut()
        .apply(Action::Partition(vec![vec![follower], others.clone()]))
        .unwrap();
    for _ in 0..6 {
        let op = s.lease_keepalive(follower, id);
        let r = s.wait(op, 10_000).unwrap();
        assert!(matches!(r, Some(OpResult::Failed(_))), "{r:?}");
    }
    let l = s.cluster().leader().unwrap();
    assert!(get(&mut s, l, "k").is_empty());
}

#[test]
fn lease_survives_a_leader_change() {
    let (mut s, leader) = service(4);
    let (id, _) = grant(&mut s, leader, 10);
    let op = s.write(leader, put("k", "v", id));
    s.wait(op, 10_000).unwrap();
    s.run_until(s.now() + 6_000).unwrap();
    s.cluster_mut().apply(Action::Crash(leader)).unwrap();
    s.run_until(s.now() + 3_000).unwrap();
    let new = s.cluster().leader().expect("new leader");
    assert_ne!(new, leader);
    // 9 s after the grant, 10 s TTL: the new leader renewed it on promotion.
    s.run_until(s.now() + 3_000).unwrap();
    assert_eq!(
        get(&mut s, new, "k").len(),
        1,
        "not expired early by the leader change"
    );
    s.run_until(s.now() + 15_000).unwrap();
    assert!(
        get(&mut s, new, "k").is_empty(),
        "expires without keep-alive"
    );
}

/// Watch progress notifications: a watcher that asked for them gets an empty response at its
/// member's revision every interval in which it saw no events; one that did not ask gets none.
#[test]
fn progress_notifications_follow_the_interval() {
    let (mut s, leader) = service(21);
    s.set_progress_interval(1_000);
    let w = |progress_notify| WatchCreateRequest {
        key: "p".into(),
        progress_notify,
        ..Default::default()
    };
    let with = s.watch(leader, w(true));
    let without = s.watch(leader, w(false));
    let op = s.write(leader, put("p", "1", 0));
    s.wait(op, 10_000).unwrap();
    let start = s.now();
    s.run_until(start + 3_500).unwrap();
    let mut progress = Vec::new();
    for e in s.take_events() {
        if let OpEvent::Watch(op, h, r) = e {
            if r.events.is_empty() && !r.created {
                assert_eq!(op, with, "only the watcher that asked is notified");
                progress.push(h.revision);
            }
        }
    }
    // Three ticks in 3.5 s; the first tick after the put is elided (events were sent).
    assert!(
        (2..=3).contains(&progress.len()),
        "progress responses: {progress:?}"
    );
    assert!(progress.iter().all(|r| *r == 2), "{progress:?}");
    let _ = without;
}
