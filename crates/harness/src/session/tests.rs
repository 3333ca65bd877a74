//! The session's histories, from real playground sessions (moved here with the recorders).

use check::history::{Input, Output};
use check::lock::check_locks;
use check::replicas::lingering_leases;
use check::watch::{validate, WatchRule};
use etcd::planted::{PlantedBug, PlantedBugs};
use etcd::Playground;

use super::SessionHistory;
use crate::history::SERVER_CLIENT;

fn pg() -> Playground {
    Playground::new(sim::ClusterConfig::default()).unwrap()
}

fn run(p: &mut Playground, line: &str) -> u64 {
    let id = p.exec(line).unwrap();
    p.run_until_settled(id, 30_000).unwrap();
    id
}

fn history(p: &Playground) -> SessionHistory {
    SessionHistory::of(p)
}
#[test]
fn commands_become_operations() {
    let mut p = pg();
    p.run_until(3_000).unwrap();
    run(&mut p, "put a 1");
    run(&mut p, "get a");
    run(&mut p, "--endpoints=node2 get a");
    run(&mut p, "get a --consistency=s");
    run(&mut p, "del a");
    run(&mut p, "get --prefix a");
    run(&mut p, "partition 1");
    run(&mut p, "sleep 1s");
    run(&mut p, "get a --keys-only");
    let r = history(&p);
    let ops = &r.operations;
    assert_eq!(ops.len(), 5, "{ops:#?}");
    assert!(matches!(ops[0].output, Output::Put { .. }));
    assert!(matches!(ops[1].output, Output::Get { kv: Some(_), .. }));
    assert_eq!(ops[2].client, 2);
    assert!(matches!(ops[3].output, Output::Delete { deleted: 1, .. }));
    assert!(matches!(ops[4].input, Input::Range { .. }));
    assert!(ops.iter().all(|o| o.return_ms.unwrap() >= o.call_ms));
    assert!(r.unmodelled.is_empty());
    assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
    run(&mut p, "heal");
    run(&mut p, "lock l");
    assert_eq!(history(&p).unmodelled.len(), 1);
}

/// The ops of `p`'s history, as (client, input kind) pairs, from the `from`-th on.
fn kinds(p: &Playground, from: usize) -> Vec<(u32, &'static str)> {
    history(p).operations[from..]
        .iter()
        .map(|o| {
            let kind = match o.input {
                Input::Put { .. } => "put",
                Input::PutWithLease { .. } => "put-lease",
                Input::Get { .. } => "get",
                Input::Range { .. } => "range",
                Input::Delete { .. } => "del",
                Input::DeleteRange { .. } => "del-range",
                Input::Cas { .. } => "cas",
                Input::Txn { .. } => "txn",
                Input::LeaseGrant { .. } => "grant",
                Input::LeaseRevoke { .. } => "revoke",
                Input::Compact { .. } => "compact",
            };
            (o.client, kind)
        })
        .collect()
}

#[test]
fn leases_range_deletes_and_expiries_are_operations() {
    let mut p = pg();
    p.run_until(3_000).unwrap();
    let leader = p.cluster().leader().unwrap() as u32;
    run(&mut p, "lease grant 2");
    let lease = match &history(&p).operations[0].output {
        Output::Lease { id, .. } => *id,
        other => panic!("{other:?}"),
    };
    assert_ne!(lease, 0, "the server's choice is recorded");
    run(&mut p, &format!("put --lease={lease:x} a 1"));
    run(&mut p, "put b 2");
    run(&mut p, "put c 3");
    run(&mut p, "lease grant 60");
    run(&mut p, "del --prefix b");
    run(&mut p, "del a z");
    run(&mut p, "put --lease=1 d 4");
    // Nobody keeps the first lease alive: the leader revokes it (a server operation).
    run(&mut p, &format!("put --lease={lease:x} a 1"));
    run(&mut p, "sleep 6s");
    run(&mut p, "get a");
    let leader_lease = history(&p).operations[4].output.clone();
    let Output::Lease { id: second, .. } = leader_lease else {
        panic!("{leader_lease:?}")
    };
    run(&mut p, &format!("lease revoke {second:x}"));
    assert_eq!(
        kinds(&p, 0),
        [
            (leader, "grant"),
            (leader, "put-lease"),
            (leader, "put"),
            (leader, "put"),
            (leader, "grant"),
            (leader, "del-range"),
            (leader, "del-range"),
            (leader, "put-lease"),
            (leader, "put-lease"),
            (SERVER_CLIENT, "revoke"),
            (leader, "get"),
            (leader, "revoke"),
        ]
    );
    let h = history(&p);
    let ops = &h.operations;
    assert!(
        matches!(ops[6].output, Output::Delete { deleted: 2, .. }),
        "{:?}",
        ops[6]
    );
    assert!(
        matches!(ops[7].output, Output::Rejected { .. }),
        "{:?}",
        ops[7]
    );
    assert!(
        matches!(ops[10].output, Output::Get { kv: None, .. }),
        "{:?}",
        ops[10]
    );
    assert!(history(&p).unmodelled.is_empty());
    assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
    // A history whose expiry revoke is missing cannot explain the read.
    let mut missing = ops.to_vec();
    missing.remove(9);
    assert!(matches!(
        check::check(&missing).unwrap(),
        check::Verdict::NotLinearizable { .. }
    ));
}

#[test]
fn transactions_become_operations() {
    let mut p = pg();
    p.run_until(3_000).unwrap();
    let leader = p.cluster().leader().unwrap() as u32;
    run(&mut p, "put a x");
    run(
        &mut p,
        r#"txn value("a") = "x", version("a") = "1"; put b 1, get a, del a; put c 2"#,
    );
    run(&mut p, r#"txn value("a") = "x"; put b 2; put c 3"#);
    run(&mut p, r#"txn mod("k") > "0"; get k; get a"#);
    run(&mut p, "get c");
    assert_eq!(
        kinds(&p, 0),
        [
            (leader, "put"),
            (leader, "txn"),
            (leader, "txn"),
            (leader, "get")
        ]
    );
    let h = history(&p);
    let ops = &h.operations;
    let Input::Txn {
        compares,
        success,
        failure,
    } = &ops[1].input
    else {
        panic!("{:?}", ops[1]);
    };
    assert_eq!(
        (compares.len(), success.len(), failure.len()),
        (2, 2, 1),
        "the get is left out"
    );
    assert_eq!(
        ops[1].output,
        Output::Cas {
            succeeded: true,
            revision: 3
        }
    );
    assert_eq!(
        ops[2].output,
        Output::Cas {
            succeeded: false,
            revision: 4
        }
    );
    assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
    assert!(history(&p).unmodelled.is_empty());
}

#[test]
fn an_unanswered_server_chosen_grant_is_unmodelled() {
    let mut p = pg();
    p.run_until(3_000).unwrap();
    let leader = p.cluster().leader().unwrap();
    run(&mut p, &format!("partition {leader}"));
    run(&mut p, &format!("--endpoints=node{leader} lease grant 10"));
    let lines = history(&p).unmodelled;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("lease ID is unknown"));
}

#[test]
fn a_stale_follower_read_is_not_linearizable() {
    let mut p = pg();
    p.set_planted_bugs(PlantedBugs::NONE.with(PlantedBug::FollowerLocalRead));
    p.run_until(3_000).unwrap();
    run(&mut p, "put x 1");
    run(&mut p, "sleep 1s");
    let c = p.cluster();
    let leader = c.leader();
    let f = c
        .node_ids()
        .into_iter()
        .find(|n| Some(*n) != leader)
        .unwrap();
    run(&mut p, &format!("partition {f}"));
    run(&mut p, "put x 2");
    run(&mut p, "sleep 100ms");
    run(&mut p, &format!("--endpoints=node{f} get x"));
    let h = history(&p);
    let ops = &h.operations;
    assert!(
        matches!(&ops[2].output, Output::Get { kv: Some((v, _)), .. } if v == "1"),
        "{ops:#?}"
    );
    let verdict = check::check(ops).unwrap();
    assert!(
        matches!(verdict, check::Verdict::NotLinearizable { .. }),
        "{verdict:?}"
    );
}

fn watch_session(bugs: PlantedBugs) -> Playground {
    let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 5), bugs).unwrap();
    p.run_until(3_000).unwrap();
    run(&mut p, "put a 0");
    run(&mut p, "watch --prefix a --prev-kv");
    run(&mut p, "watch b");
    for i in 1..12 {
        run(&mut p, &format!("put a{} {i}", i % 3));
    }
    run(&mut p, "del a1");
    run(&mut p, "sleep 500ms");
    assert!(p.cancel(3));
    run(&mut p, "put b x");
    p
}

#[test]
fn watch_streams_are_recorded_and_valid() {
    let p = watch_session(PlantedBugs::NONE);
    let h = history(&p);
    assert_eq!(h.watches.len(), 2);
    assert_eq!(h.watch_commands, [2, 3]);
    assert_eq!(h.watch_lines, ["watch --prefix a --prev-kv", "watch b"]);
    assert_eq!(h.watches[0].events().count(), 12);
    assert!(h.watches[0].created_revision.is_some());
    assert_eq!(h.watch_events(), 12, "the cancelled watch saw nothing");
    assert_eq!(h.watches[0].end_revision, Some(15), "still open");
    assert_eq!(h.watches[1].end_revision, None, "cancelled");
    let log = p.committed_log().unwrap();
    assert_eq!(log.len(), 14);
    assert_eq!(validate(&h.watches, &log), vec![]);
}

#[test]
fn a_dropped_watch_event_breaks_reliability() {
    let p = watch_session(PlantedBugs::NONE.with(PlantedBug::DropWatchEvent));
    let v = validate(&history(&p).watches, &p.committed_log().unwrap());
    assert!(
        v.iter()
            .any(|v| v.rule == WatchRule::Reliable && v.watch == 0),
        "{v:?}"
    );
}

#[test]
fn the_session_keeps_the_log_a_compaction_forgets() {
    let mut p = watch_session(PlantedBugs::NONE);
    let before = p.committed_log().unwrap();
    run(&mut p, "compaction 5");
    assert_eq!(p.committed_log().unwrap(), before);
    run(&mut p, "put b y");
    let after = p.committed_log().unwrap();
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(&after[..before.len()], &before[..]);
    // The store itself has forgotten it.
    let c = p.cluster();
    let sm = c.state_machine(c.leader().unwrap()).unwrap();
    assert!(sm.store.events_since(1, b"", b"\0").is_err());
}

/// A holds the lock, B queues behind it; B's session lease is revoked; A lets go.
fn lock_session(bugs: PlantedBugs) -> (Playground, u64, u64) {
    let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 6), bugs).unwrap();
    p.run_until(3_000).unwrap();
    let a = run(&mut p, "lock l");
    let b = run(&mut p, "lock l");
    let a_key = p.output(a).unwrap().text.trim().to_string();
    let b_lease = p
        .leases()
        .into_iter()
        .map(|l| l.id)
        .find(|id| !a_key.ends_with(id.trim_start_matches('0')))
        .unwrap();
    run(&mut p, &format!("lease revoke {b_lease}"));
    assert!(p.cancel(a));
    run(&mut p, "sleep 1s");
    (p, a, b)
}

fn lock_log(p: &Playground) -> Vec<kv::Event> {
    let log = p.committed_log().unwrap();
    log.into_iter()
        .filter(|e| e.kv.key.starts_with(b"l/"))
        .collect()
}

#[test]
fn holds_are_recorded_and_granted_by_the_store() {
    let (p, a, _) = lock_session(PlantedBugs::NONE);
    let holds = history(&p).locks;
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0].client as u64, a);
    assert!(holds[0].released_ms.is_some(), "cancelled: let go");
    let r = check_locks(&holds, &lock_log(&p), p.now());
    assert!(r.violations.is_empty() && r.overlaps.is_empty(), "{r:?}");
}

#[test]
fn a_lock_taken_without_the_recheck_is_a_violation() {
    let (p, _, b) = lock_session(PlantedBugs::NONE.with(PlantedBug::LockWithoutRecheck));
    let holds = history(&p).locks;
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert_eq!(holds[1].client as u64, b);
    let r = check_locks(&holds, &lock_log(&p), p.now());
    assert_eq!(r.violations.len(), 1, "{r:?}");
    assert!(r.violations[0].contains("deleted at revision"), "{r:?}");
}

/// Gateway lock lines are lock holds: from the lock's answer to the unlock of its key (a
/// lease locking again is the same hold); the lock checker judges them.
#[test]
fn gateway_locks_are_holds() {
    let mut p = Playground::new(sim::ClusterConfig::new(3, 21)).unwrap();
    p.run_until(3_000).unwrap();
    run(&mut p, r#"POST /v3/lease/grant {"TTL": 30, "ID": 1234}"#);
    run(&mut p, r#"POST /v3/lease/grant {"TTL": 30, "ID": 1235}"#);
    let a = run(
        &mut p,
        r#"POST /v3/lock/lock {"name": "bA==", "lease": 1234}"#,
    );
    run(
        &mut p,
        r#"POST /v3/lock/lock {"name": "bA==", "lease": 1234}"#,
    );
    let b = run(
        &mut p,
        r#"POST /v3/lock/lock {"name": "bA==", "lease": 1235}"#,
    );
    run(&mut p, r#"POST /v3/lock/unlock {"key": "bC80ZDI="}"#);
    run(&mut p, "sleep 1s");
    let holds = history(&p).locks;
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert_eq!(
        (holds[0].client as u64, holds[0].key.as_str()),
        (a, "l/4d2")
    );
    assert!(holds[0].released_ms.is_some(), "unlocked: let go");
    assert_eq!(
        (holds[1].client as u64, holds[1].key.as_str()),
        (b, "l/4d3")
    );
    assert!(holds[1].released_ms.is_none(), "still held");
    assert!(holds[1].acquired_ms >= holds[0].released_ms.unwrap());
    let r = check_locks(&holds, &lock_log(&p), p.now());
    assert!(r.violations.is_empty() && r.overlaps.is_empty(), "{r:?}");
}

/// Two leases, one kept alive; 8 s later, what lingers.
fn lingering(bugs: PlantedBugs) -> Vec<String> {
    let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 8), bugs).unwrap();
    p.run_until(3_000).unwrap();
    run(&mut p, "lease grant 2");
    run(&mut p, "lease grant 5");
    let kept = p.leases()[1].id.clone();
    p.exec(&format!("lease keep-alive {kept}"));
    let t = p.now() + 8_000;
    p.run_until(t).unwrap();
    let alive = history(&p).leases_alive.unwrap();
    lingering_leases(&alive, p.now(), 3_000)
}

#[test]
fn an_unrevoked_expired_lease_lingers() {
    assert_eq!(lingering(PlantedBugs::NONE), Vec::<String>::new());
    let found = lingering(PlantedBugs::NONE.with(PlantedBug::SkipLeaseRevoke));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("TTL 2 s"), "{found:?}");
}
