//! A lock checker for etcd's `concurrency.Mutex` recipe.
//!
//! Each [`LockHold`] is one client's belief that it held the lock, from the moment the lock
//! call returned to the moment the client let go (unlock, or its session ended). The store's
//! view comes from the committed log of the lock prefix: the recipe's rule is that the lock
//! belongs to the live key with the lowest create revision.
//!
//! Two findings, which the report keeps apart:
//! - **violations** (a bug): a client claimed the lock with a key that was never the owner in
//!   the committed log. The recipe only returns once a linearizable read showed its key alive
//!   with nothing older before it, so a correct client can only hold the lock through a key
//!   that owned it at some revision.
//! - **overlaps** (expected, not a bug of raftlab): two clients believed they held the lock at
//!   the same virtual time. etcd locks are not safe under partitions (Jepsen, etcd 3.4.3): a
//!   holder cut off from the leader keeps acting after its lease expired and the next waiter got
//!   the lock. Each overlap names both holders and, if the log shows it, when the first
//!   holder's key was deleted.

use std::collections::BTreeMap;
use std::fmt;

use kv::{Event, EventType};
use serde::{Deserialize, Serialize};

/// One client's time holding the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHold {
    /// The client.
    pub client: u32,
    /// The lock key the client owned (`prefix/<lease hex>`).
    pub key: String,
    /// When the lock call returned (virtual ms).
    pub acquired_ms: u64,
    /// When the client let go; `None` if it still held the lock at the end of the run.
    pub released_ms: Option<u64>,
}

/// Two holders at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overlap {
    /// Index of the earlier hold.
    pub first: usize,
    /// Index of the later hold.
    pub second: usize,
    /// Start of the overlap (virtual ms).
    pub from_ms: u64,
    /// End of the overlap (virtual ms; the end of the run if both still held).
    pub to_ms: u64,
    /// Human-readable account.
    pub detail: String,
}

/// What the lock checker found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockReport {
    /// Holds the committed log never granted (bugs).
    pub violations: Vec<String>,
    /// Times two clients held the lock at once (etcd's documented unsafety under partitions).
    pub overlaps: Vec<Overlap>,
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// Check `holds` against `log`, the committed events of the lock prefix in revision order.
/// `end_ms` closes holds still open at the end of the run.
pub fn check_locks(holds: &[LockHold], log: &[Event], end_ms: u64) -> LockReport {
    // Replay the prefix: live keys by create revision; record every key that was ever the
    // owner, and the revision each key was deleted at.
    let mut live: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let mut create_of: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut ever_owner: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut deleted_at: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut i = 0;
    while i < log.len() {
        let rev = log[i].kv.mod_revision;
        while i < log.len() && log[i].kv.mod_revision == rev {
            let e = &log[i];
            match e.kind {
                EventType::Put => {
                    if !create_of.contains_key(&e.kv.key) {
                        create_of.insert(e.kv.key.clone(), e.kv.create_revision);
                        live.insert(e.kv.create_revision, e.kv.key.clone());
                    }
                }
                EventType::Delete => {
                    if let Some(c) = create_of.remove(&e.kv.key) {
                        live.remove(&c);
                    }
                    deleted_at.insert(e.kv.key.clone(), rev);
                }
            }
            i += 1;
        }
        if let Some((_, owner)) = live.iter().next() {
            ever_owner.entry(owner.clone()).or_insert(rev);
        }
    }
    let mut report = LockReport::default();
    for h in holds {
        if !ever_owner.contains_key(h.key.as_bytes()) {
            let why = match deleted_at.get(h.key.as_bytes()) {
                Some(d) => {
                    format!("its key was deleted at revision {d} before it ever owned the lock")
                }
                None if create_of.contains_key(h.key.as_bytes()) => {
                    "an older key always owned the lock".to_string()
                }
                None => "its key is not in the committed log".to_string(),
            };
            report.violations.push(format!(
                "client {} acquired lock key {} at {} ms, but the store never gave it the lock: {why}",
                h.client, h.key, h.acquired_ms
            ));
        }
    }
    let end = |h: &LockHold| h.released_ms.unwrap_or(end_ms);
    let mut by_start: Vec<usize> = (0..holds.len()).collect();
    order::sort_by_key(&mut by_start, |&i| (holds[i].acquired_ms, i));
    for (n, &a) in by_start.iter().enumerate() {
        for &b in &by_start[n + 1..] {
            let (ha, hb) = (&holds[a], &holds[b]);
            if hb.acquired_ms >= end(ha) {
                continue;
            }
            if ha.client == hb.client && ha.key == hb.key {
                continue;
            }
            let from = hb.acquired_ms;
            let to = end(ha).min(end(hb));
            let cause = match deleted_at.get(ha.key.as_bytes()) {
                Some(d) => format!(
                    "; the store deleted client {}'s key {} at revision {d} (its session lease expired or was revoked) while the client still believed it held the lock",
                    ha.client, ha.key
                ),
                None => String::new(),
            };
            report.overlaps.push(Overlap {
                first: a,
                second: b,
                from_ms: from,
                to_ms: to,
                detail: format!(
                    "two holders at once: client {} ({}) and client {} ({}) both held the lock from {from} ms to {to} ms{cause}",
                    ha.client, ha.key, hb.client, hb.key
                ),
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::KeyValue;

    fn put(rev: i64, key: &str) -> Event {
        Event {
            kind: EventType::Put,
            kv: KeyValue {
                key: key.into(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
                value: Vec::new(),
                lease: 1,
            },
            prev_kv: None,
        }
    }

    fn del(rev: i64, key: &str) -> Event {
        Event {
            kind: EventType::Delete,
            kv: KeyValue {
                key: key.into(),
                mod_revision: rev,
                ..Default::default()
            },
            prev_kv: None,
        }
    }

    fn hold(client: u32, key: &str, a: u64, r: Option<u64>) -> LockHold {
        LockHold {
            client,
            key: key.into(),
            acquired_ms: a,
            released_ms: r,
        }
    }

    #[test]
    fn handing_over_is_fine() {
        let log = vec![put(2, "l/a"), put(3, "l/b"), del(4, "l/a"), del(5, "l/b")];
        let holds = vec![hold(1, "l/a", 10, Some(20)), hold(2, "l/b", 25, Some(30))];
        assert_eq!(check_locks(&holds, &log, 100), LockReport::default());
    }

    #[test]
    fn expired_holder_overlaps_and_is_named() {
        // a's lease expires (deleted at 4) while client 1 still thinks it holds the lock.
        let log = vec![put(2, "l/a"), put(3, "l/b"), del(4, "l/a")];
        let holds = vec![hold(1, "l/a", 10, Some(50)), hold(2, "l/b", 30, None)];
        let r = check_locks(&holds, &log, 100);
        assert!(r.violations.is_empty());
        assert_eq!(r.overlaps.len(), 1);
        let o = &r.overlaps[0];
        assert_eq!((o.from_ms, o.to_ms), (30, 50));
        assert!(o.detail.contains("two holders at once"), "{}", o.detail);
        assert!(o.detail.contains("revision 4"), "{}", o.detail);
    }

    #[test]
    fn acquiring_with_a_dead_key_is_a_violation() {
        // b's key was revoked (rev 4) while a still owned the lock; b claims it anyway.
        let log = vec![put(2, "l/a"), put(3, "l/b"), del(4, "l/b"), del(5, "l/a")];
        let holds = vec![hold(1, "l/a", 10, Some(50)), hold(2, "l/b", 60, None)];
        let r = check_locks(&holds, &log, 100);
        assert_eq!(r.violations.len(), 1, "{r:?}");
        assert!(r.violations[0].contains("deleted at revision 4"));
        assert!(r.overlaps.is_empty());
        // A key that never was written at all.
        let r = check_locks(&[hold(3, "l/z", 1, None)], &log, 100);
        assert!(r.violations[0].contains("not in the committed log"));
    }
}
