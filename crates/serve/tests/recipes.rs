//! The Rust `etcd-client` crate's lock, election and cluster clients against `raftlab serve`
//! (etcd's v3lock, v3election and Cluster services), and HashKV agreeing between members.
//! Each session's recording replays to the same trace hash.

mod common;

use std::time::Duration;

use etcd_client::{
    Client, Error, LeaderKey, LockOptions, MemberAddOptions, ProclaimOptions, ResignOptions,
};
use tokio_stream::StreamExt;

async fn client(url: &str) -> Client {
    Client::connect([url], None).await.expect("connects")
}

fn message(e: &Error) -> String {
    match e {
        Error::GRpcStatus(s) => s.message().to_string(),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_waits_for_unlock_and_a_cancelled_lock_gives_up() {
    let s = common::start(31, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    let a = c.lease_grant(30, None).await.expect("grant").id();
    let b = c.lease_grant(30, None).await.expect("grant").id();
    let first = c
        .lock("job", Some(LockOptions::new().with_lease(a)))
        .await
        .expect("lock");
    assert_eq!(first.key(), format!("job/{a:x}").as_bytes());
    assert!(first.header().expect("header").revision() >= 2);
    // The same lease again: the same key, at once (one acquisition per lease).
    let again = c
        .lock("job", Some(LockOptions::new().with_lease(a)))
        .await
        .expect("lock again");
    assert_eq!(again.key(), first.key());

    // A second lock waits behind the first.
    let mut c2 = client(&s.url(leader)).await;
    let waiting = tokio::spawn(async move {
        c2.lock("job", Some(LockOptions::new().with_lease(b)))
            .await
            .map(|r| r.key().to_vec())
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !waiting.is_finished(),
        "the second lock waits for the first"
    );
    let keys = c
        .get("job/", Some(etcd_client::GetOptions::new().with_prefix()))
        .await
        .expect("get");
    assert_eq!(keys.count(), 2, "both lock keys exist while one waits");
    c.unlock(first.key().to_vec()).await.expect("unlock");
    let second = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the second lock is taken once the first is released")
        .expect("task")
        .expect("lock");
    assert_eq!(second, format!("job/{b:x}").into_bytes());

    // A lock whose client gives up while it waits is cancelled: its key goes away.
    let l = c.lease_grant(30, None).await.expect("grant").id();
    let mut c3 = client(&s.url(leader)).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(1500),
        c3.lock("job", Some(LockOptions::new().with_lease(l))),
    )
    .await;
    assert!(gave_up.is_err(), "the third lock waits behind the second");
    drop(c3);
    let mine = format!("job/{l:x}");
    let mut gone = false;
    for _ in 0..100 {
        let r = c.get(mine.as_str(), None).await.expect("get");
        if r.count() == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the abandoned lock's key is deleted");

    // An unknown lease: etcd's error, as gRPC's Unknown (v3lock runs on a client of its own).
    let e = c
        .lock("job", Some(LockOptions::new().with_lease(0x1234)))
        .await
        .expect_err("no such lease");
    assert_eq!(message(&e), "etcdserver: requested lease not found");
    if let Error::GRpcStatus(st) = &e {
        assert_eq!(st.code(), tonic::Code::Unknown);
    }
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn election_campaign_observe_proclaim_resign() {
    let s = common::start(32, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    let e = c.leader("e").await.expect_err("no leader yet");
    assert_eq!(message(&e), "election: no leader");
    let a = c.lease_grant(30, None).await.expect("grant").id();
    let b = c.lease_grant(30, None).await.expect("grant").id();
    let won = c.campaign("e", "alpha", a).await.expect("campaign");
    let key: LeaderKey = won.leader().expect("leader key").clone();
    assert_eq!(key.name(), b"e");
    assert_eq!(key.key(), format!("e/{a:x}").as_bytes());
    assert_eq!(key.lease(), a);
    assert!(key.rev() >= 2);
    let l = c.leader("e").await.expect("leader");
    assert_eq!(l.kv().expect("kv").value(), b"alpha");

    let mut obs = c.observe("e").await.expect("observe");
    let first = tokio::time::timeout(Duration::from_secs(10), obs.next())
        .await
        .expect("observe answers")
        .expect("stream")
        .expect("message");
    assert_eq!(first.kv().expect("kv").value(), b"alpha");

    // A second campaign waits while the first leads.
    let mut c2 = client(&s.url(leader)).await;
    let waiting = tokio::spawn(async move {
        c2.campaign("e", "beta", b)
            .await
            .map(|r| r.leader().map(|l| l.key().to_vec()))
    });
    c.proclaim(
        "alpha2",
        Some(ProclaimOptions::new().with_leader(key.clone())),
    )
    .await
    .expect("proclaim");
    let next = tokio::time::timeout(Duration::from_secs(10), obs.next())
        .await
        .expect("observe sees the proclaim")
        .expect("stream")
        .expect("message");
    assert_eq!(next.kv().expect("kv").value(), b"alpha2");
    assert!(!waiting.is_finished(), "the second campaign waits");

    c.resign(Some(ResignOptions::new().with_leader(key.clone())))
        .await
        .expect("resign");
    let second = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the second campaign wins once the first resigns")
        .expect("task")
        .expect("campaign");
    assert_eq!(second, Some(format!("e/{b:x}").into_bytes()));
    let next = tokio::time::timeout(Duration::from_secs(10), obs.next())
        .await
        .expect("observe sees the new leader")
        .expect("stream")
        .expect("message");
    assert_eq!(next.kv().expect("kv").value(), b"beta");
    // The old leader cannot proclaim any more.
    let e = c
        .proclaim("late", Some(ProclaimOptions::new().with_leader(key)))
        .await
        .expect_err("not leader");
    assert_eq!(message(&e), "election: not leader");
    drop(obs);
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_added_promoted_and_removed() {
    let s = common::start(33, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    let added = c
        .member_add(
            ["http://127.0.0.1:42380"],
            Some(MemberAddOptions::new().with_is_learner()),
        )
        .await
        .expect("member add");
    let new = added.member().expect("the new member").clone();
    assert!(new.is_learner());
    assert_eq!(new.peer_urls(), ["http://127.0.0.1:42380".to_string()]);
    assert_eq!(added.member_list().len(), 4);
    let e = c
        .member_add(["http://127.0.0.1:42380"], None)
        .await
        .expect_err("the peer URL is taken");
    assert_eq!(message(&e), "etcdserver: Peer URLs already exists");
    // FailedPrecondition, as etcd 3.5.1 answers (etcdctl printed `code = FailedPrecondition`).
    match &e {
        Error::GRpcStatus(st) => assert_eq!(st.code(), tonic::Code::FailedPrecondition),
        other => panic!("a gRPC status: {other:?}"),
    }
    // The learner catches up, then is promoted (retried while it is not in sync yet).
    let mut promoted = false;
    for _ in 0..100 {
        match c.member_promote(new.id()).await {
            Ok(r) => {
                let m = r
                    .members()
                    .iter()
                    .find(|m| m.id() == new.id())
                    .expect("listed");
                assert!(!m.is_learner(), "a voter after the promotion");
                promoted = true;
                break;
            }
            Err(e) => assert!(message(&e).contains("learner"), "{}", message(&e)),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(promoted, "the learner is promoted");
    // Once the change is applied, the list says so too; a voter cannot be promoted.
    let mut voter = false;
    for _ in 0..100 {
        let list = c.member_list().await.expect("member list");
        if list
            .members()
            .iter()
            .any(|m| m.id() == new.id() && !m.is_learner())
        {
            voter = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        voter,
        "the member list shows the promoted member as a voter"
    );
    let e = c.member_promote(new.id()).await.expect_err("a voter");
    assert_eq!(message(&e), "etcdserver: can only promote a learner member");
    // MemberUpdate: the (promoted) member's peer URLs change, and the list says so.
    let updated = c
        .member_update(
            new.id(),
            vec![
                "http://127.0.0.1:42381".to_string(),
                "http://127.0.0.1:42382".to_string(),
            ],
        )
        .await
        .expect("member update");
    let m = updated
        .members()
        .iter()
        .find(|m| m.id() == new.id())
        .expect("listed");
    assert_eq!(
        m.peer_urls(),
        [
            "http://127.0.0.1:42381".to_string(),
            "http://127.0.0.1:42382".to_string()
        ]
    );
    let list = c.member_list().await.expect("member list");
    let m = list
        .members()
        .iter()
        .find(|m| m.id() == new.id())
        .expect("listed");
    assert_eq!(m.peer_urls()[0], "http://127.0.0.1:42381");
    // Another member's URL is taken; a member that does not exist is not found.
    let other = list
        .members()
        .iter()
        .find(|m| m.id() != new.id())
        .expect("another member")
        .peer_urls()[0]
        .clone();
    let e = c
        .member_update(new.id(), vec![other.clone()])
        .await
        .expect_err("the URL is taken");
    assert_eq!(message(&e), "etcdserver: Peer URLs already exists");
    let e = c
        .member_update(12345, vec!["http://127.0.0.1:42383".to_string()])
        .await
        .expect_err("no such member");
    assert_eq!(message(&e), "etcdserver: member not found");
    match &e {
        Error::GRpcStatus(st) => assert_eq!(st.code(), tonic::Code::NotFound),
        other => panic!("a gRPC status: {other:?}"),
    }
    let e = c.member_remove(12345).await.expect_err("no such member");
    assert_eq!(message(&e), "etcdserver: member not found");
    if let Error::GRpcStatus(st) = &e {
        assert_eq!(st.code(), tonic::Code::NotFound);
    }
    let removed = c.member_remove(new.id()).await.expect("member remove");
    assert_eq!(removed.members().len(), 3);
    assert!(removed.members().iter().all(|m| m.id() != new.id()));
    let mut left = 0;
    for _ in 0..100 {
        left = c.member_list().await.expect("member list").members().len();
        if left == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 3, "the member list no longer has the removed member");
    s.check_replay();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_kv_is_the_stores_hash_and_members_agree() {
    let s = common::start(34, 2.0);
    let leader = s.leader();
    let mut c = client(&s.url(leader)).await;
    for i in 0..5 {
        c.put(format!("k{i}"), format!("v{i}"), None)
            .await
            .expect("put");
    }
    let rev = c
        .put("last", "x", None)
        .await
        .expect("put")
        .header()
        .expect("header")
        .revision();
    let mut hashes = Vec::new();
    for node in 1..=3 {
        let mut m = client(&s.url(node)).await;
        // Wait until the member applied the last put.
        let mut h = None;
        for _ in 0..100 {
            // A member that has not applied `rev` yet answers etcd's future-revision error.
            match m.hash_kv(rev).await {
                Ok(r) if r.header().expect("header").revision() >= rev => {
                    h = Some((r.hash(), r.compact_version()));
                    break;
                }
                Ok(_) => {}
                Err(e) => assert!(
                    e.to_string()
                        .contains("required revision is a future revision"),
                    "hash kv: {e}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        hashes.push(h.expect("the member applied the last put"));
    }
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
    assert_eq!(hashes[0].1, -1, "no compaction yet");
    let expected = s
        .server
        .peek(move |pg| {
            let sm = pg.cluster().state_machine(leader).expect("running");
            sm.store.hash_kv(rev).expect("hash")
        })
        .expect("peek");
    assert_eq!(hashes[0].0, expected.0, "the store's etcd-compatible hash");
    // A hash at another revision differs.
    let earlier = c.hash_kv(rev - 1).await.expect("hash kv").hash();
    assert_ne!(earlier, hashes[0].0);
    let e = c.hash_kv(rev + 100).await.expect_err("a future revision");
    assert_eq!(
        message(&e),
        "etcdserver: mvcc: required revision is a future revision"
    );
    s.check_replay();
}
