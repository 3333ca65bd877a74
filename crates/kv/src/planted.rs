//! Planted bugs in the store: deliberate mistakes that the checkers of the etcd crate must catch
//! (its `planted` module switches them on for a service; tests switch them on with [`scoped`]).
//!
//! Every bug is off unless switched on for the current thread, for the duration of one call of
//! [`scoped`]; the hooks in the store are one line each, marked `PLANTED BUG`, and with no bug
//! switched on they change nothing. The switch is per thread so that parallel runs (tests, the
//! sweep's worker threads) each plant only their own bugs.
//!
//! ```
//! use kv::planted::{scoped, StoreBug, StoreBugs};
//! use kv::{PutRequest, RangeRequest, Store};
//!
//! let mut store = Store::new();
//! for k in ["a", "b"] {
//!     store.put(&PutRequest { key: k.into(), ..Default::default() }).unwrap();
//! }
//! let all = RangeRequest { key: b"a".to_vec(), range_end: b"c".to_vec(), limit: 2, ..Default::default() };
//! assert!(!store.range(&all).unwrap().more);
//! let bugs = StoreBugs::NONE.with(StoreBug::RangeMoreAtLimit);
//! assert!(scoped(bugs, || store.range(&all).unwrap().more)); // wrong: nothing was left out
//! assert!(!store.range(&all).unwrap().more); // off again
//! ```

use std::cell::Cell;

/// One planted bug of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreBug {
    /// A range that returns exactly `limit` keys says there are more.
    RangeMoreAtLimit,
    /// A limited range's `count` counts the keys returned instead of the keys in the range.
    CountReturnedKeys,
    /// A compaction records a compaction point one revision below the one it compacted at, so
    /// a read there silently misses what compaction removed instead of failing as compacted.
    CompactionOneLess,
    /// The key index keeps one revision too many below the compaction point (whose value the
    /// compaction removed).
    IndexKeepsOneMore,
    /// Compaction at `c` drops a tombstone made at exactly `c`, as etcd did before 3.5.16 and
    /// 3.4.34 (etcd #18089): a watch from the compaction point, which etcd allows, misses that
    /// delete.
    CompactionDropsTombstone,
}

impl StoreBug {
    /// Every store bug.
    pub const ALL: [StoreBug; 5] = [
        StoreBug::RangeMoreAtLimit,
        StoreBug::CountReturnedKeys,
        StoreBug::CompactionOneLess,
        StoreBug::IndexKeepsOneMore,
        StoreBug::CompactionDropsTombstone,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of store bugs (empty by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StoreBugs(u8);

impl StoreBugs {
    /// No bug.
    pub const NONE: StoreBugs = StoreBugs(0);

    /// This set plus `bug`.
    pub fn with(self, bug: StoreBug) -> Self {
        StoreBugs(self.0 | bug.bit())
    }

    /// Whether `bug` is in the set.
    pub fn contains(self, bug: StoreBug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

thread_local! {
    static PLANTED: Cell<StoreBugs> = const { Cell::new(StoreBugs::NONE) };
}

/// Restores the bugs in force before a [`scoped`] call, even if it unwinds.
struct Restore(StoreBugs);

impl Drop for Restore {
    fn drop(&mut self) {
        PLANTED.with(|p| p.set(self.0));
    }
}

/// Runs `f` with `bugs` planted in every store on this thread (and no other bug).
pub fn scoped<R>(bugs: StoreBugs, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(PLANTED.with(|p| p.replace(bugs)));
    f()
}

/// Whether `bug` is planted on this thread now (the hooks' test).
pub(crate) fn on(bug: StoreBug) -> bool {
    PLANTED.with(|p| p.get().contains(bug))
}
