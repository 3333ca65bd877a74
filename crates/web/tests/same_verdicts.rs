//! The Check panel and `raftlab sweep` give the same verdicts on the same recorded histories:
//! sweep recordings (healthy and with a bug planted, so that both outcomes occur) are judged by
//! `harness::verify` and by the panel's own entry points, and each checker's outcome must agree.

use etcd::planted::{PlantedBug, PlantedBugs};
use harness::verify::{verify, Status, VerifyOptions};
use harness::workload::{run, Recording, WorkloadConfig, WorkloadKind};
use sim::ClusterConfig;
use web::checking::SessionCheck;

/// An outcome both sides can name.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Pass,
    Fail,
    Expected,
    Unknown,
}

fn of_status(s: Option<&Status>) -> Option<Outcome> {
    s.map(|s| match s {
        Status::Pass => Outcome::Pass,
        Status::Fail(_) => Outcome::Fail,
        Status::Expected(_) => Outcome::Expected,
        Status::Unknown => Outcome::Unknown,
    })
}

fn of_word(w: &str) -> Option<Outcome> {
    match w {
        "Valid" | "Linearizable" => Some(Outcome::Pass),
        "Invalid" | "Not linearizable" => Some(Outcome::Fail),
        "Expected" => Some(Outcome::Expected),
        "Unknown" => Some(Outcome::Unknown),
        _ => None,
    }
}

fn recording(kind: WorkloadKind, bug: Option<PlantedBug>, seed: u64) -> Recording {
    let w = WorkloadConfig {
        duration_ms: 6_000,
        settle_ms: 12_000,
        bugs: bug.map_or(PlantedBugs::NONE, |b| PlantedBugs::NONE.with(b)),
        ..WorkloadConfig::new(kind)
    };
    run(ClusterConfig::new(5, seed), &w).expect("valid config")
}

/// The panel's verdicts on `rec`: (linearizability, watch, lock, leases).
fn panel(rec: &Recording, budget: u64) -> [Option<Outcome>; 4] {
    let mut check = SessionCheck::start(rec.history.clone(), &[], rec.end_ms, budget);
    let lin = loop {
        if let Some(view) = check.advance(100_000) {
            break view;
        }
    };
    let lines = vec![String::new(); rec.watches.len()];
    let watch = web::watch_check::check_watches(&rec.watches, &lines, Ok(&rec.log));
    let lock = web::lock_check::check_lock_holds(&rec.locks, Ok(&rec.log), rec.end_ms);
    let lease = web::lease_check::check_leases(Some(&rec.leases_alive), rec.end_ms);
    [
        (!rec.history.is_empty())
            .then_some(lin.verdict)
            .and_then(of_word),
        of_word(watch.verdict),
        of_word(lock.verdict),
        // The sweep judges leases only after a run that healed (no invariant stop).
        (rec.invariant.is_none() && rec.stalled.is_none())
            .then_some(lease.verdict)
            .and_then(of_word)
            .or(Some(Outcome::Pass)),
    ]
}

#[test]
fn the_panel_and_the_sweep_agree_on_each_checker() {
    let opts = VerifyOptions::default();
    let cases = [
        (WorkloadKind::Kv, None, 1),
        (WorkloadKind::Kv, Some(PlantedBug::FollowerLocalRead), 0),
        (WorkloadKind::Kv, Some(PlantedBug::FollowerLocalRead), 1),
        (WorkloadKind::Watch, None, 2),
        (WorkloadKind::Watch, Some(PlantedBug::DropWatchEvent), 0),
        (WorkloadKind::Watch, Some(PlantedBug::DropWatchEvent), 1),
        (WorkloadKind::Lease, None, 3),
        (WorkloadKind::Lease, Some(PlantedBug::SkipLeaseRevoke), 0),
        (WorkloadKind::Lease, Some(PlantedBug::SkipLeaseRevoke), 1),
        (WorkloadKind::Lock, None, 4),
        (WorkloadKind::Lock, Some(PlantedBug::LockWithoutRecheck), 0),
        (WorkloadKind::Lock, Some(PlantedBug::LockWithoutRecheck), 1),
    ];
    let mut failures_seen = 0;
    for (kind, bug, seed) in cases {
        let rec = recording(kind, bug, seed);
        let report = verify(&rec, &opts);
        let sweep = [
            of_status(report.get("linearizability")),
            if rec.watches.is_empty() {
                None
            } else {
                of_status(report.get("watch"))
            },
            if rec.locks.is_empty() {
                None
            } else {
                of_status(report.get("lock"))
            },
            of_status(report.get("leases")).or(Some(Outcome::Pass)),
        ];
        let mut page = panel(&rec, opts.max_steps);
        // Without watches or locks the panel says "None" (nothing to check): no outcome.
        if rec.watches.is_empty() {
            page[1] = None;
        }
        if rec.locks.is_empty() {
            page[2] = None;
        }
        let what =
            format!("{kind:?} {bug:?} seed {seed}: sweep {sweep:?}, page {page:?}\n{report}");
        assert_eq!(sweep, page, "{what}");
        failures_seen += sweep.iter().filter(|o| **o == Some(Outcome::Fail)).count();
    }
    // The planted bugs make both sides fail somewhere: the agreement covers failures too.
    assert!(failures_seen >= 3, "only {failures_seen} failures seen");
}
