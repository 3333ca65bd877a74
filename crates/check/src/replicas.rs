//! End-of-run checks: replica agreement, durability of acknowledged writes, lease expiry.
//!
//! - [`agreement`]: after the faults are healed and the cluster had time to converge, every
//!   member reports the same store revision, the same HashKV at it and the same leases (etcd's
//!   robustness tests compare HashKV at the end of every run).
//! - [`lost_writes`]: every write a client saw acknowledged is in the committed log, at the
//!   revision it was told, with the value it wrote;
//! - [`duplicated_writes`]: no request is applied twice (workloads write unique values);
//! - [`lingering_leases`]: a lease nobody renews is revoked once its TTL has passed under a
//!   stable leader.

use std::collections::BTreeMap;

use kv::{Event, EventType};
use serde::{Deserialize, Serialize};

use crate::history::{Input, Operation, Output};

/// What one member reported at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaState {
    /// Member (node id).
    pub node: u64,
    /// Store revision.
    pub revision: i64,
    /// HashKV at `revision` (kv's CRC-32C over every retained revision).
    pub hash: u32,
    /// Compact revision.
    pub compact_revision: i64,
    /// Live leases, ascending.
    pub leases: Vec<i64>,
}

/// Every member against the first one: a message per disagreement.
pub fn agreement(states: &[ReplicaState]) -> Vec<String> {
    let Some(first) = states.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in &states[1..] {
        if s.revision != first.revision {
            out.push(format!(
                "node {} is at revision {}, node {} at {}",
                s.node, s.revision, first.node, first.revision
            ));
        } else if (s.hash, s.compact_revision) != (first.hash, first.compact_revision) {
            out.push(format!(
                "HashKV at revision {} differs: node {} has {:08x}, node {} has {:08x}",
                s.revision, s.node, s.hash, first.node, first.hash
            ));
        }
        if s.leases != first.leases {
            out.push(format!(
                "node {} holds leases {:x?}, node {} holds {:x?}",
                s.node, s.leases, first.node, first.leases
            ));
        }
    }
    out
}

/// Acknowledged writes missing from the committed log `log` (every event, revision order): a
/// message per lost write, naming the operation's index in `history`.
pub fn lost_writes(history: &[Operation], log: &[Event]) -> Vec<String> {
    let mut at: BTreeMap<(i64, &[u8]), &Event> = BTreeMap::new();
    for e in log {
        at.insert((e.kv.mod_revision, e.kv.key.as_slice()), e);
    }
    let mut out = Vec::new();
    for (i, op) in history.iter().enumerate() {
        // (key, value written or None for a delete, revision)
        let (key, value, rev) = match (&op.input, &op.output) {
            (
                Input::Put { key, value } | Input::PutWithLease { key, value, .. },
                Output::Put { revision },
            ) => (key, Some(value), *revision),
            (
                Input::Cas { key, value, .. },
                Output::Cas {
                    succeeded: true,
                    revision,
                },
            ) => (key, Some(value), *revision),
            (Input::Delete { key }, Output::Delete { deleted, revision }) if *deleted > 0 => {
                (key, None, *revision)
            }
            _ => continue,
        };
        let ok = match at.get(&(rev, key.as_bytes())) {
            Some(e) => match value {
                Some(v) => e.kind == EventType::Put && e.kv.value == v.as_bytes(),
                None => e.kind == EventType::Delete,
            },
            None => false,
        };
        if !ok {
            let what = match value {
                Some(v) => format!("put {key:?}={v:?}"),
                None => format!("delete {key:?}"),
            };
            let found = match at.get(&(rev, key.as_bytes())) {
                Some(e) if e.kind == EventType::Put => format!(
                    "the log has {:?} there",
                    String::from_utf8_lossy(&e.kv.value)
                ),
                Some(_) => "the log has a delete there".into(),
                None => "the log has no change of that key there".into(),
            };
            out.push(format!(
                "acknowledged write lost: operation #{i} (client {}, {what}) was told revision {rev}, but {found}",
                op.client
            ));
        }
    }
    out
}

/// Writes applied more than once: a put (or successful CAS) whose value no other operation of
/// `history` writes must appear at most once in the committed log. (Workloads write unique
/// values; a second copy means one request was applied twice, e.g. a duplicated proposal.)
pub fn duplicated_writes(history: &[Operation], log: &[Event]) -> Vec<String> {
    let mut writes: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for (i, op) in history.iter().enumerate() {
        if let Input::Put { key, value }
        | Input::PutWithLease { key, value, .. }
        | Input::Cas { key, value, .. } = &op.input
        {
            writes.entry((key, value)).or_insert((i, 0)).1 += 1;
        }
    }
    let mut copies: BTreeMap<(&[u8], &[u8]), Vec<i64>> = BTreeMap::new();
    for e in log {
        if e.kind == EventType::Put {
            copies
                .entry((&e.kv.key, &e.kv.value))
                .or_default()
                .push(e.kv.mod_revision);
        }
    }
    let mut out = Vec::new();
    for ((key, value), (i, n)) in writes {
        if n != 1 {
            continue;
        }
        if let Some(revs) = copies.get(&(key.as_bytes(), value.as_bytes())) {
            if revs.len() > 1 {
                out.push(format!(
                    "operation #{i} (client {}, put {key:?}={value:?}) was applied {} times, at revisions {revs:?}",
                    history[i].client,
                    revs.len()
                ));
            }
        }
    }
    out
}

/// A lease still alive at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseAlive {
    /// Lease id.
    pub id: i64,
    /// Granted TTL in seconds.
    pub ttl_s: i64,
    /// Last time anyone could have extended it (grant, keep-alive, or the last leader change,
    /// which renews every lease), virtual ms.
    pub renewed_ms: u64,
}

/// Leases alive at `now_ms` whose TTL (plus `slack_ms` for the leader's expiry loop and the
/// revoke's trip through Raft) has passed since they were last renewed.
pub fn lingering_leases(alive: &[LeaseAlive], now_ms: u64, slack_ms: u64) -> Vec<String> {
    alive
        .iter()
        .filter(|l| now_ms > l.renewed_ms + l.ttl_s.max(0) as u64 * 1000 + slack_ms)
        .map(|l| {
            format!(
                "lease {:016x} (TTL {} s) is still alive at {now_ms} ms, {} ms after it was last renewed",
                l.id,
                l.ttl_s,
                now_ms - l.renewed_ms
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::KeyValue;

    fn state(node: u64, revision: i64, hash: u32) -> ReplicaState {
        ReplicaState {
            node,
            revision,
            hash,
            compact_revision: 0,
            leases: vec![],
        }
    }

    #[test]
    fn agreement_names_the_odd_member() {
        assert!(agreement(&[state(1, 5, 9), state(2, 5, 9)]).is_empty());
        let d = agreement(&[state(1, 5, 9), state(2, 5, 8)]);
        assert!(d[0].contains("HashKV"), "{d:?}");
        let d = agreement(&[state(1, 5, 9), state(2, 4, 9)]);
        assert!(d[0].contains("node 2 is at revision 4"), "{d:?}");
        let mut s = state(3, 5, 9);
        s.leases = vec![7];
        assert!(agreement(&[state(1, 5, 9), s])[0].contains("leases"));
    }

    #[test]
    fn acknowledged_writes_must_be_in_the_log() {
        let ev = |rev: i64, key: &str, value: &str| Event {
            kind: EventType::Put,
            kv: KeyValue {
                key: key.into(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
                value: value.into(),
                lease: 0,
            },
            prev_kv: None,
        };
        let put = |value: &str, revision| Operation {
            client: 1,
            call_ms: 0,
            return_ms: Some(1),
            input: Input::Put {
                key: "k".into(),
                value: value.into(),
            },
            output: Output::Put { revision },
        };
        let log = vec![ev(2, "k", "a"), ev(3, "k", "b")];
        assert!(lost_writes(&[put("a", 2), put("b", 3)], &log).is_empty());
        let lost = lost_writes(&[put("c", 3)], &log);
        assert!(lost[0].contains("acknowledged write lost"), "{lost:?}");
        assert!(lost_writes(&[put("d", 4)], &log)[0].contains("no change"));
        // Unknown outcomes promise nothing.
        let mut unknown = put("e", 9);
        unknown.output = Output::Unknown;
        assert!(lost_writes(&[unknown], &log).is_empty());
    }

    #[test]
    fn writes_applied_twice_are_named() {
        let ev = |rev: i64, value: &str| Event {
            kind: EventType::Put,
            kv: KeyValue {
                key: b"k".to_vec(),
                create_revision: 2,
                mod_revision: rev,
                version: rev - 1,
                value: value.into(),
                lease: 0,
            },
            prev_kv: None,
        };
        let put = |value: &str| Operation {
            client: 1,
            call_ms: 0,
            return_ms: Some(1),
            input: Input::Put {
                key: "k".into(),
                value: value.into(),
            },
            output: Output::Put { revision: 2 },
        };
        let log = vec![ev(2, "a"), ev(3, "a"), ev(4, "b")];
        let d = duplicated_writes(&[put("a"), put("b")], &log);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("applied 2 times, at revisions [2, 3]"),
            "{d:?}"
        );
        // Two clients writing the same value: nothing can be said.
        assert!(duplicated_writes(&[put("a"), put("a")], &log).is_empty());
    }

    #[test]
    fn leases_past_their_ttl_linger() {
        let l = LeaseAlive {
            id: 0x10,
            ttl_s: 3,
            renewed_ms: 1_000,
        };
        assert!(lingering_leases(std::slice::from_ref(&l), 5_000, 2_000).is_empty());
        assert_eq!(lingering_leases(&[l], 6_001, 2_000).len(), 1);
    }
}
