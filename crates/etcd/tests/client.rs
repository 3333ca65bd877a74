//! The typed client alone, with no console text: lock and unlock (v3lock), campaign, leader,
//! proclaim, observe and resign (v3election), watch with progress and cancel, and a lease kept
//! alive until it is revoked.

use etcd::client::{
    CallId, CampaignRequest, Client, EventKind, LeaderRequest, LeaseGrantRequest, LockRequest,
    ProclaimRequest, PutRequest, RangeRequest, Reply, ResignRequest, UnlockRequest,
    WatchCreateRequest,
};
use sim::ClusterConfig;

const LIMIT_MS: u64 = 20_000;

fn client(seed: u64) -> (Client, u64) {
    let mut c = Client::new(ClusterConfig::new(3, seed)).unwrap();
    c.run_until(3_000).unwrap();
    let leader = c.service().cluster().leader().expect("a leader after 3 s");
    (c, leader)
}

/// The next event of `call` (within the limit).
fn next(c: &mut Client, call: CallId) -> EventKind {
    c.wait(call, LIMIT_MS)
        .unwrap()
        .unwrap_or_else(|| panic!("call {call}: nothing within {LIMIT_MS} ms"))
        .kind
}

/// The next reply of `call`, skipping `Waiting`.
fn reply(c: &mut Client, call: CallId) -> Reply {
    loop {
        match next(c, call) {
            EventKind::Reply(r) => return r,
            EventKind::Waiting => continue,
            other => panic!("call {call}: {other:?}"),
        }
    }
}

fn grant(c: &mut Client, node: u64, ttl: i64) -> i64 {
    let call = c.lease_grant(node, LeaseGrantRequest { ttl, id: 0 });
    match reply(c, call) {
        Reply::LeaseGrant(g) => g.id,
        other => panic!("{other:?}"),
    }
}

fn put(c: &mut Client, node: u64, key: &str, value: &str) -> i64 {
    let req = PutRequest {
        key: key.into(),
        value: value.into(),
        ..Default::default()
    };
    let call = c.put(node, req);
    match reply(c, call) {
        Reply::Put(p) => p.header.revision,
        other => panic!("{other:?}"),
    }
}

fn get(c: &mut Client, node: u64, key: &[u8]) -> Vec<kv::KeyValue> {
    let req = RangeRequest {
        key: key.to_vec(),
        ..Default::default()
    };
    let call = c.range(node, req);
    match reply(c, call) {
        Reply::Range(r) => r.kvs,
        other => panic!("{other:?}"),
    }
}

#[test]
fn lock_waits_for_the_holder_to_unlock() {
    let (mut c, n) = client(11);
    let (a, b) = (grant(&mut c, n, 10), grant(&mut c, n, 10));
    let first = c.lock(
        n,
        LockRequest {
            name: b"job".to_vec(),
            lease: a,
        },
    );
    let held = match reply(&mut c, first) {
        Reply::Lock(l) => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(held.key, format!("job/{a:x}").into_bytes());
    let second = c.lock(
        n,
        LockRequest {
            name: b"job".to_vec(),
            lease: b,
        },
    );
    assert_eq!(
        next(&mut c, second),
        EventKind::Waiting,
        "queued behind the holder"
    );
    // Still waiting a while later: the first holder has not let go.
    c.run_until(c.now() + 3_000).unwrap();
    assert!(c
        .take_events()
        .iter()
        .all(|e| e.call != second || e.kind == EventKind::Waiting));
    let unlock = c.unlock(n, UnlockRequest { key: held.key });
    assert!(matches!(reply(&mut c, unlock), Reply::Unlock(_)));
    let taken = match reply(&mut c, second) {
        Reply::Lock(l) => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(taken.key, format!("job/{b:x}").into_bytes());
    assert!(taken.create_revision > held.create_revision);
}

#[test]
fn a_cancelled_session_lock_deletes_its_key_and_revokes_its_lease() {
    let (mut c, n) = client(12);
    let call = c.lock_with_session(n, b"m", 5);
    let l = match reply(&mut c, call) {
        Reply::Lock(l) => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        get(&mut c, n, &l.key).len(),
        1,
        "the lock key exists while held"
    );
    // The session keeps its lease alive well past its TTL.
    c.run_until(c.now() + 12_000).unwrap();
    assert!(c.is_open(call), "the session lock is still held");
    assert!(c.cancel(call));
    assert!(!c.cancel(call), "cancelled once");
    c.run_until(c.now() + 2_000).unwrap();
    assert!(get(&mut c, n, &l.key).is_empty(), "unlocked");
    let ttl = c.lease_time_to_live(
        n,
        etcd::client::LeaseTimeToLiveRequest {
            id: l.lease,
            keys: false,
        },
    );
    match reply(&mut c, ttl) {
        Reply::LeaseTimeToLive(t) => assert_eq!(t.ttl, -1, "the session lease is revoked"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn election_campaign_observe_proclaim_resign() {
    let (mut c, n) = client(13);
    let (a, b) = (grant(&mut c, n, 10), grant(&mut c, n, 10));
    let campaign = |name: &str, lease, value: &str| CampaignRequest {
        name: name.into(),
        lease,
        value: value.into(),
    };
    let first = c.campaign(n, campaign("e", a, "alpha"));
    let leader_a = match reply(&mut c, first) {
        Reply::Campaign(r) => r.leader,
        other => panic!("{other:?}"),
    };
    assert_eq!(leader_a.lease, a);
    let second = c.campaign(n, campaign("e", b, "beta"));
    assert_eq!(next(&mut c, second), EventKind::Waiting);
    let ask = c.leader(
        n,
        LeaderRequest {
            name: b"e".to_vec(),
        },
    );
    match reply(&mut c, ask) {
        Reply::Leader(l) => assert_eq!(l.kv.unwrap().value, b"alpha"),
        other => panic!("{other:?}"),
    }
    let observe = c.observe(
        n,
        LeaderRequest {
            name: b"e".to_vec(),
        },
    );
    let value = |r: Reply| match r {
        Reply::Observe(r) => r.kvs[0].value.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value(reply(&mut c, observe)), b"alpha");
    let proclaim = c.proclaim(
        n,
        ProclaimRequest {
            leader: leader_a.clone(),
            value: b"alpha2".to_vec(),
        },
    );
    assert!(matches!(reply(&mut c, proclaim), Reply::Proclaim(_)));
    assert_eq!(value(reply(&mut c, observe)), b"alpha2");
    let resign = c.resign(
        n,
        ResignRequest {
            leader: leader_a.clone(),
        },
    );
    assert!(matches!(reply(&mut c, resign), Reply::Resign(_)));
    match reply(&mut c, second) {
        Reply::Campaign(r) => assert_eq!(r.leader.lease, b),
        other => panic!("{other:?}"),
    }
    assert_eq!(value(reply(&mut c, observe)), b"beta");
    // A proclaim by the old leader fails now.
    let late = c.proclaim(
        n,
        ProclaimRequest {
            leader: leader_a,
            value: b"again".to_vec(),
        },
    );
    assert_eq!(
        next(&mut c, late),
        EventKind::Failed("election: not leader".into())
    );
    assert!(c.cancel(observe));
}

#[test]
fn watch_streams_events_progress_and_stops_when_cancelled() {
    let (mut c, n) = client(14);
    let req = WatchCreateRequest {
        key: b"w/".to_vec(),
        range_end: kv::prefix_end(b"w/"),
        ..Default::default()
    };
    let w = c.watch(n, req);
    match reply(&mut c, w) {
        Reply::Watch(r) => assert!(r.created && !r.canceled),
        other => panic!("{other:?}"),
    }
    let rev = put(&mut c, n, "w/1", "one");
    put(&mut c, n, "x", "outside the range");
    match reply(&mut c, w) {
        Reply::Watch(r) => {
            assert_eq!(r.events.len(), 1);
            assert_eq!(r.events[0].kv.key, b"w/1");
            assert_eq!(r.events[0].kv.mod_revision, rev);
        }
        other => panic!("{other:?}"),
    }
    assert!(c.watch_progress(n, w));
    match reply(&mut c, w) {
        Reply::Watch(r) => {
            assert!(r.events.is_empty());
            assert_eq!(r.watch_id, -1);
            assert!(
                r.header.revision > rev,
                "the put outside the range counts too"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(c.cancel(w));
    put(&mut c, n, "w/2", "two");
    c.run_until(c.now() + 1_000).unwrap();
    assert!(
        c.take_events().iter().all(|e| e.call != w),
        "nothing after cancel"
    );
    assert!(!c.watch_progress(n, w));
}

#[test]
fn keep_alive_renews_until_the_lease_is_revoked() {
    let (mut c, n) = client(15);
    let lease = grant(&mut c, n, 3);
    let k = c.lease_keep_alive(n, lease);
    let mut renewals = 0;
    let until = c.now() + 10_000;
    while c.now() < until {
        c.run_until(c.now() + 500).unwrap();
        for e in c.take_events() {
            if e.call == k {
                match e.kind {
                    EventKind::Reply(Reply::LeaseKeepAlive(r)) => {
                        assert_eq!((r.id, r.ttl), (lease, 3));
                        renewals += 1;
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }
    // One renewal at once, then one every TTL/3 = 1 s for 10 s.
    assert!((9..=12).contains(&renewals), "{renewals} renewals");
    // Kept alive past its TTL three times over: still there.
    let ttl = c.lease_time_to_live(
        n,
        etcd::client::LeaseTimeToLiveRequest {
            id: lease,
            keys: false,
        },
    );
    match reply(&mut c, ttl) {
        Reply::LeaseTimeToLive(t) => assert!(t.ttl > 0, "{t:?}"),
        other => panic!("{other:?}"),
    }
    let revoke = c.lease_revoke(n, lease);
    assert!(matches!(reply(&mut c, revoke), Reply::LeaseRevoke(_)));
    loop {
        match next(&mut c, k) {
            EventKind::Reply(Reply::LeaseKeepAlive(_)) => continue,
            EventKind::Closed => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(!c.is_open(k));
}

#[test]
fn cluster_and_maintenance_calls() {
    let (mut c, n) = client(16);
    put(&mut c, n, "a", "1");
    c.run_until(c.now() + 1_000).unwrap();
    let list = c.member_list(n);
    let members = match reply(&mut c, list) {
        Reply::MemberList(m) => m.members,
        other => panic!("{other:?}"),
    };
    assert_eq!(members.len(), 3);
    assert!(
        members.windows(2).all(|w| w[0].id < w[1].id),
        "ordered by id"
    );
    let mut hashes = Vec::new();
    for node in 1..=3 {
        let s = c.status(node);
        match reply(&mut c, s) {
            Reply::Status(s) => {
                assert_eq!(s.header.member_id, c.member_id(node));
                assert_eq!(s.leader, c.member_id(n));
                assert_eq!(s.is_leader, node == n);
            }
            other => panic!("{other:?}"),
        }
        let h = c.hash_kv(node, 0);
        match reply(&mut c, h) {
            Reply::HashKv(h) => hashes.push(h.hash),
            other => panic!("{other:?}"),
        }
        let ok = c.health(node);
        assert!(matches!(reply(&mut c, ok), Reply::Health(h) if h.health));
    }
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "replicas agree");
    let to = if n == 1 { 2 } else { 1 };
    let mv = c.move_leader(c.member_id(to));
    assert!(matches!(reply(&mut c, mv), Reply::MoveLeader(_)));
    c.run_until(c.now() + 2_000).unwrap();
    assert_eq!(c.service().cluster().leader(), Some(to));
    let rm = c.member_remove(c.member_id(n));
    assert!(matches!(reply(&mut c, rm), Reply::MemberRemove(_)));
    c.run_until(c.now() + 2_000).unwrap();
    let list = c.member_list(to);
    match reply(&mut c, list) {
        Reply::MemberList(m) => assert!(m.members.iter().all(|m| m.id != c.member_id(n))),
        other => panic!("{other:?}"),
    }
    let missing = c.status(99);
    assert_eq!(
        next(&mut c, missing),
        EventKind::Failed("no such member".into())
    );
}
