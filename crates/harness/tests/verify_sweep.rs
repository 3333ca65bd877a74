//! The default sweeps, short: a few hundred seeds of each workload under the random nemesis,
//! every checker on each. (Larger sweeps are run by hand: `raftlab sweep --seeds 10000`.)

use etcd::{EtcdRequest, Service};
use harness::verify::{verify, Report, Status, VerifyOptions};
use harness::workload::{run, Recording, WorkloadConfig, WorkloadKind};
use sim::{Action, ClusterConfig, LinkConfig};

fn sweep(kind: WorkloadKind, nodes: usize, seeds: std::ops::Range<u64>) -> Vec<(u64, Report)> {
    let w = WorkloadConfig::new(kind);
    seeds
        .map(|seed| {
            let rec: Recording = run(ClusterConfig::new(nodes, seed), &w).expect("valid config");
            (seed, verify(&rec, &VerifyOptions::default()))
        })
        .collect()
}

fn assert_clean(kind: WorkloadKind, nodes: usize, seeds: std::ops::Range<u64>) {
    for (seed, report) in &sweep(kind, nodes, seeds) {
        assert!(
            !report.failed() && !report.unknown(),
            "{kind} seed {seed} on {nodes} nodes: {}\n{report}replay: raftlab sweep --seeds 1 --from {seed} --nodes {nodes} --workload {kind}",
            report.label()
        );
    }
}

#[test]
fn kv_sweep_300_seeds() {
    assert_clean(WorkloadKind::Kv, 5, 0..300);
}

#[test]
fn watch_sweep_100_seeds_3_nodes() {
    assert_clean(WorkloadKind::Watch, 3, 0..100);
}

#[test]
fn lease_sweep_100_seeds_7_nodes() {
    assert_clean(WorkloadKind::Lease, 7, 0..100);
}

#[test]
fn lock_sweep_300_seeds_names_two_holders() {
    let results = sweep(WorkloadKind::Lock, 5, 0..300);
    let mut overlaps = 0;
    for (seed, report) in &results {
        assert!(!report.failed(), "lock seed {seed}:\n{report}");
        if let Some(Status::Expected(d)) = report.get("lock") {
            assert!(d.contains("two holders at once"), "{d}");
            overlaps += 1;
        }
    }
    // etcd locks are unsafe under partitions (Jepsen, etcd 3.4.3): the sweep must show it.
    assert!(overlaps > 0, "no seed showed two holders at once");
    println!("lock: {overlaps} of 300 seeds had two holders at once");
}

/// A proposal forwarded by a follower must be applied once, even when the network duplicates
/// messages. `raftlab sweep` found the simulator's network duplicating `MsgProp` (raft-rs then
/// appends both copies; real etcd never sees this, its transport is TCP); duplication now skips
/// forwarded proposals.
#[test]
fn duplicated_forwarded_proposal_is_applied_once() {
    let mut s = Service::new(ClusterConfig::new(3, 1)).unwrap();
    s.run_until(3_000).unwrap();
    let leader = s.cluster().leader().unwrap();
    let follower = s
        .cluster()
        .node_ids()
        .into_iter()
        .find(|n| *n != leader)
        .unwrap();
    s.cluster_mut()
        .apply(Action::SetNetwork(LinkConfig {
            duplicate_prob: 1.0,
            ..LinkConfig::default()
        }))
        .unwrap();
    let put = kv::PutRequest {
        key: b"x".to_vec(),
        value: b"1".to_vec(),
        ..Default::default()
    };
    let op = s.write(follower, EtcdRequest::Put(put));
    s.wait(op, 3_000).unwrap();
    s.run_until(s.now() + 1_000).unwrap();
    let kv = s.cluster().state_machine(leader).unwrap().store.get(b"x");
    assert_eq!(kv.map(|kv| kv.version), Some(1), "applied more than once");
}

/// The watch workload asks for progress notifications, they arrive, and the bookmark rule
/// holds on them; a progress response older than an event delivered before it is caught.
#[test]
fn watch_workload_progress_notifications_are_checked() {
    let rec = run(
        ClusterConfig::new(3, 4),
        &WorkloadConfig::new(WorkloadKind::Watch),
    )
    .expect("valid config");
    let is_progress = |r: &kv::WatchResponse| r.events.is_empty() && !r.canceled;
    let progress: usize = rec
        .watches
        .iter()
        .map(|w| w.responses.iter().filter(|(_, r)| is_progress(r)).count())
        .sum();
    assert!(progress > 0, "no progress notifications recorded");
    assert!(check::watch::validate(&rec.watches, &rec.log).is_empty());
    // Plant: a progress response claims a revision below an event delivered before it (which
    // responses have events after them depends on the load; every progress response here has
    // events before it).
    let mut planted = rec.watches.clone();
    let found = planted.iter_mut().any(|w| {
        let rs = &mut w.responses;
        let Some(i) = rs.iter().position(|(_, r)| is_progress(r)) else {
            return false;
        };
        let Some(before) = rs[..i]
            .iter()
            .rev()
            .find_map(|(_, r)| r.events.last().map(|e| e.kv.mod_revision))
        else {
            return false;
        };
        rs[i].1.revision = before - 1;
        true
    });
    assert!(found, "no progress response after events");
    let v = check::watch::validate(&planted, &rec.log);
    assert!(
        v.iter()
            .any(|v| v.rule == check::watch::WatchRule::Bookmark),
        "{v:?}"
    );
}

/// The service-driven loads compact the store as they go; the committed log the checkers read
/// is collected before each compaction, so it still starts at the first revision.
#[test]
fn compaction_keeps_the_whole_committed_log() {
    let w = WorkloadConfig::new(WorkloadKind::Watch);
    assert!(w.compact_every_ms.is_some(), "on by default");
    let rec = run(ClusterConfig::new(3, 11), &w).expect("valid config");
    let compacted = rec
        .replicas
        .iter()
        .map(|r| r.compact_revision)
        .max()
        .unwrap_or(0);
    assert!(compacted > 10, "the store was compacted (at {compacted})");
    let revs: Vec<i64> = rec.log.iter().map(|e| e.kv.mod_revision).collect();
    assert_eq!(revs.first(), Some(&2), "the log starts at the first write");
    assert!(revs.windows(2).all(|p| p[0] <= p[1]), "in revision order");
    let last = *revs.last().unwrap();
    assert!(last > compacted, "{last} > {compacted}");
    // Every revision from 2 to the last is in the log (each write changed something).
    let mut distinct = revs.clone();
    distinct.dedup();
    assert_eq!(distinct.len() as i64, last - 1);
    let report = verify(&rec, &VerifyOptions::default());
    assert!(!report.failed() && !report.unknown(), "{report}");
    // Without compaction the same seed reads the same log from the store at the end.
    let plain = WorkloadConfig {
        compact_every_ms: None,
        ..w
    };
    let rec2 = run(ClusterConfig::new(3, 11), &plain).expect("valid config");
    assert!(rec2.replicas.iter().all(|r| r.compact_revision == 0));
    assert!(!verify(&rec2, &VerifyOptions::default()).failed());
}
