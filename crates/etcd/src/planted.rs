//! Planted bugs: deliberate mistakes the checkers must catch, for tests and for teaching.
//!
//! Every bug is off unless a test (or the playground's teaching menu) switches it on, with
//! [`Service::set_planted_bugs`] (or [`PlantedBugs::configure`] for the one that lives in the
//! simulator, before the cluster is built). The hooks in the service are one line each and
//! marked `PLANTED BUG`; with no bug switched on they change nothing (the golden trace hashes
//! pin that).
//!
//! In a session (the browser's teaching menu, a scenario file) bugs are part of what replays:
//! the header `@planted NAME,...` plants them when the cluster starts (the only way to get
//! [`PlantedBug::ApplyBeforeCommit`]), and the line `plant NAME,...` (or `plant none`) switches
//! the others at that point of the session, recorded like any other line.
//!
//! | bug | what goes wrong | who catches it |
//! |-----|-----------------|----------------|
//! | [`PlantedBug::FollowerLocalRead`] | a follower answers linearizable reads from its own state, without ReadIndex | linearizability (stale reads) |
//! | [`PlantedBug::ApplyBeforeCommit`] | members apply entries as soon as they are appended | Raft state machine safety, replica agreement, lost writes, watch log |
//! | [`PlantedBug::DropWatchEvent`] | one watch event is lost on its way to the client | watch: reliable / atomic |
//! | [`PlantedBug::SkipLeaseRevoke`] | the leader never revokes expired leases | lingering leases |
//! | [`PlantedBug::LockWithoutRecheck`] | the lock recipe takes the lock without re-checking that its session key still exists (etcd #11456) | lock: acquired a key the store never gave it |
//! | [`PlantedBug::LeaderLocalRead`] | a member that believes it leads answers linearizable reads from its own state (etcd #741) | linearizability (stale reads from a deposed leader) |
//! | [`PlantedBug::CompactionLosesDelete`] | a watch from the compaction revision misses the delete made at that revision (etcd #18089) | watch: reliable |
//!
//! The last three replay bugs etcd really had; the lessons `12-bug-stale-leader-read`,
//! `13-bug-lock-lease` and `14-bug-watch-compaction` tell their stories.
//!
//! Four more live in the store itself ([`kv::planted::StoreBug`], planted with
//! [`Service::set_store_bugs`] or `WorkloadConfig::store_bugs`; tests only, not in the teaching
//! menu):
//!
//! | store bug | what goes wrong | who catches it |
//! |-----------|-----------------|----------------|
//! | `RangeMoreAtLimit` | a range returning exactly `limit` keys says there are more | linearizability (limited ranges) |
//! | `CountReturnedKeys` | a limited range counts the keys it returns, not the keys in the range | linearizability (limited ranges) |
//! | `CompactionOneLess` | compaction at `c` records `c - 1`: a read at `c - 1` misses data instead of failing as compacted | linearizability (reads at revisions), compaction |
//! | `IndexKeepsOneMore` | the key index keeps one revision too many below the compaction point | compaction (what the store holds) |
//!
//! A fifth store bug, `CompactionDropsTombstone`, is what [`PlantedBug::CompactionLosesDelete`]
//! plants in every store while it is switched on.
//!
//! ```
//! use etcd::planted::{PlantedBug, PlantedBugs};
//! let bugs = PlantedBugs::NONE.with(PlantedBug::DropWatchEvent);
//! assert!(bugs.contains(PlantedBug::DropWatchEvent));
//! assert!(!bugs.contains(PlantedBug::SkipLeaseRevoke));
//! assert_eq!(PlantedBug::parse("drop-watch-event"), Some(PlantedBug::DropWatchEvent));
//! let two = PlantedBugs::parse_list("drop-watch-event, apply-before-commit").unwrap();
//! assert_eq!(two.names(), "apply-before-commit,drop-watch-event");
//! assert_eq!(two.switchable().names(), "drop-watch-event");
//! assert_eq!(PlantedBugs::parse_list("none"), Ok(PlantedBugs::NONE));
//! assert!(PlantedBugs::parse_list("lose-everything").is_err());
//! ```

use serde::{Deserialize, Serialize};
use sim::ClusterConfig;

/// One planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PlantedBug {
    /// Serve linearizable gets from a follower's local state without ReadIndex.
    FollowerLocalRead,
    /// Apply entries before they are committed (a simulator option).
    ApplyBeforeCommit,
    /// Drop one watch event.
    DropWatchEvent,
    /// Skip the lease revoke on expiry.
    SkipLeaseRevoke,
    /// Take a lock without re-checking the session (etcd #11456, Jepsen on etcd 3.4.3).
    LockWithoutRecheck,
    /// Serve linearizable gets from the leader's local state, without confirming with a
    /// majority that it still leads (etcd #741, Jepsen on etcd 0.4.1).
    LeaderLocalRead,
    /// Serve a watch that starts at the compaction revision from history whose tombstones at
    /// that revision compaction removed (etcd #18089).
    CompactionLosesDelete,
}

impl PlantedBug {
    /// Every planted bug.
    pub const ALL: [PlantedBug; 7] = [
        PlantedBug::FollowerLocalRead,
        PlantedBug::ApplyBeforeCommit,
        PlantedBug::DropWatchEvent,
        PlantedBug::SkipLeaseRevoke,
        PlantedBug::LockWithoutRecheck,
        PlantedBug::LeaderLocalRead,
        PlantedBug::CompactionLosesDelete,
    ];

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            PlantedBug::FollowerLocalRead => "follower-local-read",
            PlantedBug::ApplyBeforeCommit => "apply-before-commit",
            PlantedBug::DropWatchEvent => "drop-watch-event",
            PlantedBug::SkipLeaseRevoke => "skip-lease-revoke",
            PlantedBug::LockWithoutRecheck => "lock-without-recheck",
            PlantedBug::LeaderLocalRead => "leader-local-read",
            PlantedBug::CompactionLosesDelete => "compaction-loses-delete",
        }
    }

    /// A short title for a teaching menu.
    pub fn title(self) -> &'static str {
        match self {
            PlantedBug::FollowerLocalRead => "Stale reads from followers",
            PlantedBug::ApplyBeforeCommit => "Apply before commit",
            PlantedBug::DropWatchEvent => "Lose a watch event",
            PlantedBug::SkipLeaseRevoke => "Leases never expire",
            PlantedBug::LockWithoutRecheck => "Locks without the session re-check (etcd #11456)",
            PlantedBug::LeaderLocalRead => "Stale reads from an old leader (etcd #741)",
            PlantedBug::CompactionLosesDelete => "Watch loses a compacted delete (etcd #18089)",
        }
    }

    /// One sentence for a teaching menu.
    pub fn describe(self) -> &'static str {
        match self {
            PlantedBug::FollowerLocalRead => {
                "followers serve linearizable reads from local state, without ReadIndex"
            }
            PlantedBug::ApplyBeforeCommit => {
                "members apply entries as soon as they are appended, before they are committed"
            }
            PlantedBug::DropWatchEvent => "one watch event is dropped on its way to the client",
            PlantedBug::SkipLeaseRevoke => "the leader never revokes expired leases",
            PlantedBug::LockWithoutRecheck => {
                "the lock recipe takes the lock without re-checking that its session still exists"
            }
            PlantedBug::LeaderLocalRead => {
                "a member that believes it leads answers linearizable reads from its own state, \
                 without confirming with a majority that it still leads"
            }
            PlantedBug::CompactionLosesDelete => {
                "a watch that starts at the compaction revision misses a delete made at that \
                 revision (compaction removed its tombstone)"
            }
        }
    }

    /// The bug named `name` (as [`PlantedBug::name`] spells it).
    pub fn parse(name: &str) -> Option<PlantedBug> {
        PlantedBug::ALL.into_iter().find(|b| b.name() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of planted bugs (empty by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlantedBugs(u8);

impl PlantedBugs {
    /// No bug.
    pub const NONE: PlantedBugs = PlantedBugs(0);

    /// This set plus `bug`.
    pub fn with(self, bug: PlantedBug) -> Self {
        PlantedBugs(self.0 | bug.bit())
    }

    /// Whether `bug` is in the set.
    pub fn contains(self, bug: PlantedBug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// This set without `bug`.
    pub fn without(self, bug: PlantedBug) -> Self {
        PlantedBugs(self.0 & !bug.bit())
    }

    /// The part of the set a running cluster can switch (all but
    /// [`PlantedBug::ApplyBeforeCommit`], which is the simulator's and fixed when the cluster is
    /// built).
    pub fn switchable(self) -> Self {
        self.without(PlantedBug::ApplyBeforeCommit)
    }

    /// Reads `none` or names separated by commas or spaces (`follower-local-read,drop-watch-event`).
    ///
    /// # Errors
    /// An unknown name, in words, with the names there are.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let names: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
            .collect();
        if names == ["none"] {
            return Ok(PlantedBugs::NONE);
        }
        names
            .into_iter()
            .map(|n| {
                PlantedBug::parse(n).ok_or_else(|| {
                    let all: Vec<&str> = PlantedBug::ALL.iter().map(|b| b.name()).collect();
                    format!("no planted bug {n:?} (none, {})", all.join(", "))
                })
            })
            .collect()
    }

    /// The names, comma-separated (`none` for the empty set): what [`PlantedBugs::parse_list`]
    /// reads.
    pub fn names(self) -> String {
        if self.is_empty() {
            return "none".to_string();
        }
        self.iter()
            .map(PlantedBug::name)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The bugs in the set.
    pub fn iter(self) -> impl Iterator<Item = PlantedBug> {
        PlantedBug::ALL
            .into_iter()
            .filter(move |b| self.contains(*b))
    }

    /// Sets the simulator's side of the set in `config` (must happen before the cluster is
    /// built): [`PlantedBug::ApplyBeforeCommit`].
    pub fn configure(self, config: &mut ClusterConfig) {
        config.planted_apply_before_commit = self.contains(PlantedBug::ApplyBeforeCommit);
    }
}

impl FromIterator<PlantedBug> for PlantedBugs {
    fn from_iter<I: IntoIterator<Item = PlantedBug>>(iter: I) -> Self {
        iter.into_iter().fold(PlantedBugs::NONE, PlantedBugs::with)
    }
}
