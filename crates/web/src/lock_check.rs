//! The Check panel's lock part: every lock a `lock` command took must have been granted by the
//! store (its key the oldest alive under the lock's prefix at some revision of the committed
//! log), judged by [`harness::verdict::locks`] as the sweep judges it. Two holders at once are reported apart:
//! etcd's locks allow that under partitions (Jepsen on etcd 3.4.3), by design.

use check::kv::Event;
use check::lock::LockHold;
use harness::verdict::{self, Status};
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
    let judged = verdict::locks(holds, log, now);
    let (violations, overlaps) = (judged.violations.len(), judged.overlaps.len());
    (view.verdict, view.explanation) = match judged.status() {
        Status::Pass | Status::Unknown => (
            "Valid",
            format!("{} lock hold(s), each granted by the store, never two at once.", holds.len()),
        ),
        Status::Expected(_) => (
            "Expected",
            format!("{overlaps} time(s) two clients held a lock at once: etcd's locks allow that when a holder is cut off and its session expires (Jepsen, etcd 3.4.3)."),
        ),
        Status::Fail(_) => (
            "Invalid",
            format!("{violations} lock hold(s) the store never granted: the lock recipe took a lock it did not own."),
        ),
    };
    view.findings = judged
        .violations
        .into_iter()
        .chain(judged.overlaps)
        .take(6)
        .collect();
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
    }
}
