//! The verdicts, written once: `raftlab sweep` ([`crate::verify`]) and the page's Check panel
//! both judge a history with these functions and read the same [`Status`] from them; they
//! differ only in how they show it (a report line, a panel).
//!
//! ```
//! use harness::verdict::{leases, Status};
//! use check::replicas::LeaseAlive;
//! let alive = [LeaseAlive { id: 7, ttl_s: 2, renewed_ms: 1_000 }];
//! assert_eq!(leases(&alive, 4_000, 3_000).status(), Status::Pass);
//! assert!(matches!(leases(&alive, 9_000, 3_000).status(), Status::Fail(_)));
//! ```

use std::collections::BTreeMap;

use check::lock::{check_locks, LockHold};
use check::replicas::{lingering_leases, LeaseAlive};
use check::watch::{validate, WatchRecord, WatchViolation};
use check::Verdict;
use kv::Event;

/// How one checker judged a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing wrong.
    Pass,
    /// Something the system promises was broken.
    Fail(String),
    /// The checker could not decide (the linearizability search ran out of budget).
    Unknown,
    /// An anomaly the system's design allows (two lock holders under a partition).
    Expected(String),
}

/// Messages shown in a status at most (the rest are counted).
const SHOWN: usize = 3;

/// `Pass` without messages, else `Fail` with the first few and how many more.
pub fn fail_if_any(msgs: &[String]) -> Status {
    if msgs.is_empty() {
        return Status::Pass;
    }
    let more = if msgs.len() > SHOWN {
        format!(" (and {} more)", msgs.len() - SHOWN)
    } else {
        String::new()
    };
    Status::Fail(format!(
        "{}{more}",
        msgs[..msgs.len().min(SHOWN)].join("; ")
    ))
}

/// The linearizability search's answer as a status.
pub fn linearizability(verdict: &Verdict) -> Status {
    match verdict {
        Verdict::Linearizable => Status::Pass,
        Verdict::Unknown => Status::Unknown,
        Verdict::NotLinearizable { explanation, .. } => Status::Fail(explanation.clone()),
    }
}

/// The verdict on watch streams: the broken guarantees.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchVerdict {
    /// Each broken guarantee, in the validators' order.
    pub violations: Vec<WatchViolation>,
}

impl WatchVerdict {
    /// As a status.
    pub fn status(&self) -> Status {
        let msgs: Vec<String> = self.violations.iter().map(ToString::to_string).collect();
        fail_if_any(&msgs)
    }
}

/// Validates watch streams against the committed log: ordered, unique, atomic, reliable,
/// resumable, prev_kv, filters, each event the log's.
pub fn watches(records: &[WatchRecord], log: &[Event]) -> WatchVerdict {
    WatchVerdict {
        violations: validate(records, log),
    }
}

/// The verdict on lock holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockVerdict {
    /// Holds the store never granted, in words.
    pub violations: Vec<String>,
    /// Times two clients held a lock at once, in words (etcd allows it under partitions).
    pub overlaps: Vec<String>,
}

impl LockVerdict {
    /// As a status: a hold the store never granted fails; two holders at once is the
    /// anomaly etcd's design allows.
    pub fn status(&self) -> Status {
        if !self.violations.is_empty() {
            return fail_if_any(&self.violations);
        }
        match self.overlaps.first() {
            None => Status::Pass,
            Some(first) => {
                let more = if self.overlaps.len() > 1 {
                    format!(" ({} overlaps in all)", self.overlaps.len())
                } else {
                    String::new()
                };
                Status::Expected(format!("{first}{more}"))
            }
        }
    }
}

/// The lock's prefix of a lock key (`name/` of `name/694d...`).
fn lock_prefix(key: &str) -> &str {
    key.rfind('/').map_or(key, |i| &key[..=i])
}

/// Checks lock holds against the committed log at virtual time `now`: each hold's key must
/// have been the oldest alive under its lock's prefix at some revision; one check per lock
/// name, against the log of its prefix.
pub fn locks(holds: &[LockHold], log: &[Event], now: u64) -> LockVerdict {
    let mut by_lock: BTreeMap<&str, Vec<LockHold>> = BTreeMap::new();
    for h in holds {
        by_lock
            .entry(lock_prefix(&h.key))
            .or_default()
            .push(h.clone());
    }
    let mut verdict = LockVerdict {
        violations: Vec::new(),
        overlaps: Vec::new(),
    };
    for (prefix, holds) in by_lock {
        let events: Vec<Event> = log
            .iter()
            .filter(|e| e.kv.key.starts_with(prefix.as_bytes()))
            .cloned()
            .collect();
        let r = check_locks(&holds, &events, now);
        verdict.violations.extend(r.violations);
        verdict
            .overlaps
            .extend(r.overlaps.into_iter().map(|o| o.detail));
    }
    verdict
}

/// The verdict on leases: those that outlived their TTL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseVerdict {
    /// Each lease that outlived its TTL, in words.
    pub lingering: Vec<String>,
}

impl LeaseVerdict {
    /// As a status.
    pub fn status(&self) -> Status {
        fail_if_any(&self.lingering)
    }
}

/// Checks the leases `alive` at virtual time `now`: none may outlive its TTL by more than
/// `slack_ms` since it was last renewed.
pub fn leases(alive: &[LeaseAlive], now: u64, slack_ms: u64) -> LeaseVerdict {
    LeaseVerdict {
        lingering: lingering_leases(alive, now, slack_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_name_what_broke() {
        assert_eq!(fail_if_any(&[]), Status::Pass);
        let many: Vec<String> = (0..5).map(|i| format!("m{i}")).collect();
        assert_eq!(
            fail_if_any(&many),
            Status::Fail("m0; m1; m2 (and 2 more)".into())
        );
        let overlap = LockVerdict {
            violations: vec![],
            overlaps: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            overlap.status(),
            Status::Expected("a (2 overlaps in all)".into())
        );
        let broken = LockVerdict {
            violations: vec!["v".into()],
            overlaps: vec!["a".into()],
        };
        assert_eq!(broken.status(), Status::Fail("v".into()));
        assert_eq!(lock_prefix("l/694d"), "l/");
        assert_eq!(lock_prefix("l/x/694d"), "l/x/");
    }
}
