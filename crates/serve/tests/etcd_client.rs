//! The Rust `etcd-client` crate (from crates.io) against `raftlab serve`: KV, txn, watch resumed
//! from a revision across a leader change, leases kept alive and expiring, and a partition that
//! cuts the member a client talks to off from the leader. Each session's recording replays to
//! the same trace hash.

mod common;

use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, EventType, GetOptions, PutOptions, Txn, TxnOp, WatchOptions,
};

async fn client(url: &str) -> Client {
    Client::connect([url], None).await.expect("connects")
}

/// Retries `put` until it succeeds (a member may answer `leader changed` or time out while a
/// new leader takes over); at most `tries` attempts.
async fn put_retry(c: &mut Client, k: &str, v: &str, tries: usize) -> i64 {
    for _ in 0..tries {
        if let Ok(r) = c.put(k, v, None).await {
            return r.header().expect("header").revision();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("put {k} failed {tries} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_and_txn() {
    let s = common::start(1, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    let r = c.put("foo", "bar", None).await.expect("put");
    let h = r.header().expect("header");
    let rev = h.revision();
    assert!(rev >= 2, "a put raises the revision: {rev}");
    assert!(h.raft_term() >= 1);
    assert_ne!(h.member_id(), 0);
    c.put("foo2", "baz", None).await.expect("put");
    let g = c
        .get("foo", Some(GetOptions::new().with_prefix()))
        .await
        .expect("get");
    let keys: Vec<&[u8]> = g.kvs().iter().map(|kv| kv.key()).collect();
    assert_eq!(keys, vec![b"foo".as_slice(), b"foo2".as_slice()]);
    assert_eq!(g.kvs()[0].value(), b"bar");
    assert_eq!(g.kvs()[0].mod_revision(), rev);
    // prev_kv on put, then delete.
    let p = c
        .put("foo", "bar2", Some(PutOptions::new().with_prev_key()))
        .await
        .expect("put");
    assert_eq!(p.prev_key().map(|kv| kv.value()), Some(b"bar".as_slice()));
    let d = c.delete("foo2", None).await.expect("delete");
    assert_eq!(d.deleted(), 1);
    // A txn: create-if-absent fails for foo, succeeds for new.
    let t = c
        .txn(
            Txn::new()
                .when([Compare::version("foo", CompareOp::Equal, 0)])
                .and_then([TxnOp::put("foo", "never", None)])
                .or_else([TxnOp::get("foo", None)]),
        )
        .await
        .expect("txn");
    assert!(!t.succeeded());
    let t = c
        .txn(
            Txn::new()
                .when([Compare::version("new", CompareOp::Equal, 0)])
                .and_then([TxnOp::put("new", "yes", None)]),
        )
        .await
        .expect("txn");
    assert!(t.succeeded());
    // Serializable reads at a follower see the same data once it applied.
    let follower = (1..=3).find(|n| *n != leader).expect("a follower");
    let mut f = client(&s.url(follower)).await;
    let g = f
        .get("new", None)
        .await
        .expect("linearizable get at a follower");
    assert_eq!(g.kvs()[0].value(), b"yes");
    // Compaction, then a read below it: etcd's error and code.
    let now = c
        .get("foo", None)
        .await
        .expect("get")
        .header()
        .expect("h")
        .revision();
    c.compact(now, None).await.expect("compact");
    let e = c
        .get("foo", Some(GetOptions::new().with_revision(1)))
        .await
        .expect_err("a compacted revision");
    match e {
        etcd_client::Error::GRpcStatus(st) => {
            assert_eq!(st.code(), tonic::Code::OutOfRange);
            assert_eq!(
                st.message(),
                "etcdserver: mvcc: required revision has been compacted"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    // Status names the leader and the member.
    let st = c.status().await.expect("status");
    assert_eq!(st.leader(), st.header().expect("h").member_id());
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_from_a_revision_across_a_leader_change() {
    let s = common::start(2, 2.0);
    let leader = s.leader();
    let follower = (1..=3).find(|n| *n != leader).expect("follower");
    let mut c = client(&s.url(follower)).await;
    let first = put_retry(&mut c, "w/a", "1", 20).await;
    s.server.input(&format!("crash {leader}"));
    let new = s.new_leader(leader);
    assert_ne!(new, leader);
    let second = put_retry(&mut c, "w/b", "2", 50).await;
    assert!(second > first);
    // A watch from the first revision replays both, in order, with their revisions.
    let (mut w, mut stream) = c
        .watch(
            "w/",
            Some(WatchOptions::new().with_prefix().with_start_revision(first)),
        )
        .await
        .expect("watch");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let resp = stream.message().await.expect("stream").expect("a response");
        for e in resp.events() {
            let kv = e.kv().expect("kv");
            assert_eq!(e.event_type(), EventType::Put);
            seen.push((kv.key().to_vec(), kv.mod_revision()));
        }
    }
    assert_eq!(
        seen,
        vec![(b"w/a".to_vec(), first), (b"w/b".to_vec(), second)]
    );
    w.cancel().await.expect("cancel");
    // Resume after the last revision seen, once the old leader is back: only the new event.
    s.server.input(&format!("restart {leader}"));
    let third = put_retry(&mut c, "w/c", "3", 50).await;
    let (_w, mut stream) = c
        .watch(
            "w/",
            Some(
                WatchOptions::new()
                    .with_prefix()
                    .with_start_revision(second + 1),
            ),
        )
        .await
        .expect("watch");
    let mut events = Vec::new();
    while events.is_empty() {
        let resp = stream.message().await.expect("stream").expect("a response");
        events.extend(resp.events().iter().map(|e| {
            let kv = e.kv().expect("kv");
            (kv.key().to_vec(), kv.mod_revision())
        }));
    }
    assert_eq!(events[0], (b"w/c".to_vec(), third));
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_keep_alive_and_expiry() {
    let s = common::start(3, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    let g = c.lease_grant(5, None).await.expect("grant");
    let id = g.id();
    assert_eq!(g.ttl(), 5);
    c.put("leased", "v", Some(PutOptions::new().with_lease(id)))
        .await
        .expect("put with lease");
    let (mut keeper, mut stream) = c.lease_keep_alive(id).await.expect("keep-alive");
    for _ in 0..3 {
        keeper.keep_alive().await.expect("send");
        let r = stream.message().await.expect("stream").expect("a response");
        assert_eq!(r.id(), id);
        assert!(r.ttl() > 0, "renewed: {}", r.ttl());
    }
    let ttl = c.lease_time_to_live(id, None).await.expect("ttl");
    assert!(ttl.ttl() > 0);
    drop(keeper);
    drop(stream);
    // Without keep-alives the lease expires and its key goes with it (bounded wait).
    let mut gone = false;
    for _ in 0..200 {
        let g = c.get("leased", None).await.expect("get");
        if g.kvs().is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the leased key is deleted when the lease expires");
    let ttl = c.lease_time_to_live(id, None).await.expect("ttl");
    assert_eq!(ttl.ttl(), -1, "an expired lease");
    // A keep-alive of the expired lease answers TTL 0, as etcd does, which the client reads
    // as `lease not found`.
    let e = c.lease_keep_alive(id).await.expect_err("expired");
    assert!(e.to_string().contains("lease not found"), "{e}");
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cut_off_from_the_leader_fails_then_recovers() {
    let s = common::start(4, 4.0);
    let leader = s.leader();
    let follower = (1..=3).find(|n| *n != leader).expect("follower");
    let others: Vec<String> = (1..=3)
        .filter(|n| *n != follower)
        .map(|n| n.to_string())
        .collect();
    let mut c = client(&s.url(follower)).await;
    put_retry(&mut c, "k", "before", 20).await;
    s.server
        .input(&format!("partition {follower} {}", others.join(",")));
    let e = c.put("k", "cut-off", None).await.expect_err("no quorum");
    match e {
        etcd_client::Error::GRpcStatus(st) => {
            assert_eq!(st.code(), tonic::Code::Unavailable, "{st:?}");
            assert!(
                st.message() == "etcdserver: request timed out"
                    || st.message() == "etcdserver: leader changed",
                "{st:?}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    // A linearizable read fails the same way; a serializable one answers from the member.
    let e = c.get("k", None).await.expect_err("no quorum for ReadIndex");
    assert!(
        matches!(e, etcd_client::Error::GRpcStatus(ref st) if st.code() == tonic::Code::Unavailable)
    );
    let g = c
        .get("k", Some(GetOptions::new().with_serializable()))
        .await
        .expect("serializable");
    assert_eq!(g.kvs()[0].value(), b"before");
    s.server.input("heal");
    let rev = put_retry(&mut c, "k", "after", 50).await;
    let g = c.get("k", None).await.expect("get");
    assert_eq!(g.kvs()[0].value(), b"after");
    assert_eq!(g.kvs()[0].mod_revision(), rev);
    let printed = s.printed.lock().expect("lock").join("\n");
    assert!(
        printed.contains("etcdserver: request timed out"),
        "{printed}"
    );
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumes_after_its_member_restarts_and_loses_no_event() {
    let s = common::start(8, 2.0);
    let leader = s.leader();
    let follower = (1..=3).find(|n| *n != leader).expect("follower");
    let mut writer = client(&s.url(leader)).await;
    let mut watcher = client(&s.url(follower)).await;
    let first = put_retry(&mut writer, "r/1", "a", 20).await;
    let (_w, mut stream) = watcher
        .watch(
            "r/",
            Some(
                WatchOptions::new()
                    .with_prefix()
                    .with_start_revision(first)
                    .with_prev_key(),
            ),
        )
        .await
        .expect("watch");
    let mut last = 0;
    while last < first {
        let resp = stream.message().await.expect("stream").expect("a response");
        for e in resp.events() {
            last = e.kv().expect("kv").mod_revision();
        }
    }
    // The watch's member crashes: the stream ends with an error.
    s.server.input(&format!("crash {follower}"));
    let mut ended = false;
    for _ in 0..100 {
        match stream.message().await {
            Err(_) | Ok(None) => {
                ended = true;
                break;
            }
            Ok(Some(_)) => {}
        }
    }
    assert!(ended, "the stream of a crashed member ends");
    // Writes go on meanwhile.
    let mut written = Vec::new();
    for i in 2..5 {
        written.push(put_retry(&mut writer, &format!("r/{i}"), "b", 20).await);
    }
    s.server.input(&format!("restart {follower}"));
    // Resume from the last revision seen + 1 (retrying while the member catches up).
    let mut got = Vec::new();
    for _ in 0..50 {
        let mut w = client(&s.url(follower)).await;
        let Ok((_w2, mut st)) = w
            .watch(
                "r/",
                Some(
                    WatchOptions::new()
                        .with_prefix()
                        .with_start_revision(last + 1),
                ),
            )
            .await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while got.len() < written.len() {
            match st.message().await {
                Ok(Some(resp)) => got.extend(
                    resp.events()
                        .iter()
                        .map(|e| e.kv().expect("kv").mod_revision()),
                ),
                _ => break,
            }
        }
        if got.len() >= written.len() {
            break;
        }
        got.clear();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        got, written,
        "every write after the last seen revision, once, in order"
    );
    s.check_replay();
}
