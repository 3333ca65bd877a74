//! The built-in scenarios and lessons, embedded so the browser has them offline.

/// (name, text) of every built-in lesson, in teaching order; the last three replay bugs etcd
/// really had, each planted for Check to catch.
pub const LESSONS: &[(&str, &str)] = &[
    (
        "01-leader-election",
        include_str!("../../scenarios/lessons/01-leader-election.txt"),
    ),
    (
        "02-log-replication",
        include_str!("../../scenarios/lessons/02-log-replication.txt"),
    ),
    (
        "03-leader-crash",
        include_str!("../../scenarios/lessons/03-leader-crash.txt"),
    ),
    (
        "04-minority-partition",
        include_str!("../../scenarios/lessons/04-minority-partition.txt"),
    ),
    (
        "05-prevote-checkquorum",
        include_str!("../../scenarios/lessons/05-prevote-checkquorum.txt"),
    ),
    (
        "06-readindex",
        include_str!("../../scenarios/lessons/06-readindex.txt"),
    ),
    (
        "07-watch-revisions",
        include_str!("../../scenarios/lessons/07-watch-revisions.txt"),
    ),
    (
        "08-leases-partition",
        include_str!("../../scenarios/lessons/08-leases-partition.txt"),
    ),
    (
        "09-locks-not-safe",
        include_str!("../../scenarios/lessons/09-locks-not-safe.txt"),
    ),
    (
        "10-membership",
        include_str!("../../scenarios/lessons/10-membership.txt"),
    ),
    (
        "11-snapshots",
        include_str!("../../scenarios/lessons/11-snapshots.txt"),
    ),
    (
        "12-bug-stale-leader-read",
        include_str!("../../scenarios/lessons/12-bug-stale-leader-read.txt"),
    ),
    (
        "13-bug-lock-lease",
        include_str!("../../scenarios/lessons/13-bug-lock-lease.txt"),
    ),
    (
        "14-bug-watch-compaction",
        include_str!("../../scenarios/lessons/14-bug-watch-compaction.txt"),
    ),
];

/// (name, text) of the built-in reproductions of classic scenarios.
pub const CLASSICS: &[(&str, &str)] = &[
    (
        "asymmetric-check-quorum",
        include_str!("../../scenarios/classic/asymmetric-check-quorum.txt"),
    ),
    (
        "asymmetric-no-check-quorum",
        include_str!("../../scenarios/classic/asymmetric-no-check-quorum.txt"),
    ),
    (
        "flapping-network",
        include_str!("../../scenarios/classic/flapping-network.txt"),
    ),
    (
        "isolated-during-membership",
        include_str!("../../scenarios/classic/isolated-during-membership.txt"),
    ),
    (
        "split-vote",
        include_str!("../../scenarios/classic/split-vote.txt"),
    ),
];

/// The text of a built-in scenario or lesson by name.
pub fn get(name: &str) -> Option<&'static str> {
    LESSONS
        .iter()
        .chain(CLASSICS.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}
