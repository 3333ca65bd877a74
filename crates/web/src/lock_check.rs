//! The Check panel's lock part: every lock a `lock` command took must have been granted by the
//! store (its key the oldest alive under the lock's prefix at some revision of the committed
//! log), checked with `check::lock::check_locks`. Two holders at once are reported apart:
//! etcd's locks allow that under partitions (Jepsen on etcd 3.4.3), by design.

use std::collections::BTreeMap;

use check::kv::Event;
use check::lock::{check_locks, LockHold};
use serde::Serialize;

/// The verdict on the session's locks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockCheckView {
    /// `Valid`, `Invalid` (a hold the store never granted), `Expected` (two holders at once,
    /// which etcd allows under partitions), `Unknown` (no committed log) or `None` (no locks
    /// taken).
    pub verdict: &'static str,
    /// Locks taken in the session.
    pub holds: usize,
    /// The verdict in words.
    pub explanation: String,
    /// What was found, in words.
    pub findings: Vec<String>,
}

/// The lock's prefix of a lock key (`name/` of `name/694d...`).
fn prefix(key: &str) -> &str {
    key.rfind('/').map_or(key, |i| &key[..=i])
}

/// Checks `holds` against the committed log (or says why there is none) at virtual time `now`.
pub fn check_lock_holds(
    holds: &[LockHold],
    log: Result<&[Event], &str>,
    now: u64,
) -> LockCheckView {
    let mut view = LockCheckView {
        verdict: "None",
        holds: holds.len(),
        explanation: "Try lock l in two places, then cancel the first.".into(),
        findings: Vec::new(),
    };
    if holds.is_empty() {
        return view;
    }
    let log = match log {
        Ok(log) => log,
        Err(why) => {
            view.verdict = "Unknown";
            view.explanation = format!("Not checked: {why}.");
            return view;
        }
    };
    // One check per lock name, against the log of its prefix.
    let mut by_lock: BTreeMap<&str, Vec<LockHold>> = BTreeMap::new();
    for h in holds {
        by_lock.entry(prefix(&h.key)).or_default().push(h.clone());
    }
    let (mut violations, mut overlaps) = (Vec::new(), Vec::new());
    for (pfx, holds) in by_lock {
        let events: Vec<Event> = log
            .iter()
            .filter(|e| e.kv.key.starts_with(pfx.as_bytes()))
            .cloned()
            .collect();
        let r = check_locks(&holds, &events, now);
        violations.extend(r.violations);
        overlaps.extend(r.overlaps.into_iter().map(|o| o.detail));
    }
    (view.verdict, view.explanation) = match (violations.len(), overlaps.len()) {
        (0, 0) => (
            "Valid",
            format!("{} lock hold(s), each granted by the store, never two at once.", holds.len()),
        ),
        (0, n) => (
            "Expected",
            format!("{n} time(s) two clients held a lock at once: etcd's locks allow that when a holder is cut off and its session expires (Jepsen, etcd 3.4.3)."),
        ),
        (n, _) => (
            "Invalid",
            format!("{n} lock hold(s) the store never granted: the lock recipe took a lock it did not own."),
        ),
    };
    view.findings = violations.into_iter().chain(overlaps).take(6).collect();
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::kv::{EventType, KeyValue};

    fn event(kind: EventType, rev: i64, key: &str) -> Event {
        Event {
            kind,
            kv: KeyValue {
                key: key.into(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
                value: Vec::new(),
                lease: 0,
            },
            prev_kv: None,
        }
    }

    fn hold(client: u32, key: &str, from: u64, to: Option<u64>) -> LockHold {
        LockHold {
            client,
            key: key.into(),
            acquired_ms: from,
            released_ms: to,
        }
    }

    #[test]
    fn verdicts_on_locks() {
        let log = vec![
            event(EventType::Put, 2, "l/a"),
            event(EventType::Put, 3, "l/b"),
            event(EventType::Delete, 4, "l/b"),
            event(EventType::Delete, 5, "l/a"),
            event(EventType::Put, 6, "m/c"),
        ];
        assert_eq!(check_lock_holds(&[], Ok(&log), 9).verdict, "None");
        let good = [hold(1, "l/a", 10, Some(50)), hold(2, "m/c", 60, None)];
        let v = check_lock_holds(&good, Ok(&log), 90);
        assert_eq!((v.verdict, v.holds), ("Valid", 2), "{v:?}");
        // l/b was deleted before it ever owned the lock.
        let bad = [hold(1, "l/a", 10, Some(50)), hold(2, "l/b", 55, None)];
        let v = check_lock_holds(&bad, Ok(&log), 90);
        assert_eq!(v.verdict, "Invalid", "{v:?}");
        assert!(v.findings[0].contains("l/b"), "{v:?}");
        assert_eq!(
            check_lock_holds(&bad, Err("compacted"), 90).verdict,
            "Unknown"
        );
        assert_eq!(prefix("l/x/694d"), "l/x/");
    }
}
