//! The four store bugs planted in kv (a range's `more` wrong at exactly `limit`, a `count` of
//! the keys returned, a compaction recorded one revision low, a key index keeping one revision
//! too many) are each caught by the sweep's checkers within a stated number of seeds, on the
//! sweep's own kv workload (short runs, as `verify_planted.rs`); with no bug the same seeds pass.

use harness::verify::{verify, Report, Status, VerifyOptions};
use harness::workload::{run, WorkloadConfig, WorkloadKind};
use kv::planted::{StoreBug, StoreBugs};
use sim::ClusterConfig;

/// A short run: 6 s of load and faults, 12 s to settle.
fn config(bugs: StoreBugs) -> WorkloadConfig {
    WorkloadConfig {
        duration_ms: 6_000,
        settle_ms: 12_000,
        store_bugs: bugs,
        ..WorkloadConfig::new(WorkloadKind::Kv)
    }
}

fn run_seed(seed: u64, w: &WorkloadConfig) -> Report {
    let rec = run(ClusterConfig::new(5, seed), w).expect("valid config");
    verify(&rec, &VerifyOptions::default())
}

/// The first seed in `0..bound` whose report fails `checker` with `bug` planted, and the
/// failure; the same seed passes every checker without it.
fn first_caught(bug: StoreBug, checker: &str, bound: u64) -> (u64, String) {
    let w = config(StoreBugs::NONE.with(bug));
    for seed in 0..bound {
        if let Some(Status::Fail(detail)) = run_seed(seed, &w).get(checker) {
            let clean = run_seed(seed, &config(StoreBugs::NONE));
            assert!(
                !clean.failed(),
                "seed {seed} fails without the bug:\n{clean}"
            );
            println!("{bug:?}: seed {seed}: {detail}");
            return (seed, detail.clone());
        }
    }
    panic!("{bug:?} not caught by the {checker} checker in {bound} seeds");
}

#[test]
fn range_more_at_limit_is_caught_by_linearizability_within_3_seeds() {
    let (_, detail) = first_caught(StoreBug::RangeMoreAtLimit, "linearizability", 3);
    assert!(
        detail.contains("limit") && detail.contains("more"),
        "{detail}"
    );
}

#[test]
fn count_of_returned_keys_is_caught_by_linearizability_within_3_seeds() {
    let (_, detail) = first_caught(StoreBug::CountReturnedKeys, "linearizability", 3);
    assert!(detail.contains("count"), "{detail}");
}

#[test]
fn compaction_one_revision_low_is_caught_by_linearizability_within_5_seeds() {
    let (_, detail) = first_caught(StoreBug::CompactionOneLess, "linearizability", 5);
    assert!(detail.contains('@'), "{detail}");
}

#[test]
fn compaction_one_revision_low_is_caught_by_the_compaction_checker_within_3_seeds() {
    let (_, detail) = first_caught(StoreBug::CompactionOneLess, "compaction", 3);
    assert!(detail.contains("no compaction asked for"), "{detail}");
}

#[test]
fn index_keeping_one_revision_too_many_is_caught_by_the_compaction_checker_within_3_seeds() {
    let (_, detail) = first_caught(StoreBug::IndexKeepsOneMore, "compaction", 3);
    assert!(detail.contains("that etcd drops"), "{detail}");
}
