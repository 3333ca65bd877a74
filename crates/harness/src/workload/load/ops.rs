//! The operation mix of the kv and lease loads: what a client asks next, as a typed client
//! call and the checker's input, and what the answer teaches the client.

use std::collections::BTreeMap;

use check::history::Input;
use kv::{
    Compare, CompareResult, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest,
};

use etcd::client::{CallId, Event as ClientEvent, EventKind, LeaseGrantRequest, Reply};

use super::{Driver, Role};
use crate::workload::config::WorkloadKind;
use crate::workload::frame::{nodes_not_crashed, pick};

/// A client of the kv and lease loads.
#[derive(Clone, Debug)]
pub(super) struct LoadClient {
    id: u32,
    next_at: u64,
    /// The call it waits for.
    busy: Option<CallId>,
    seq: u64,
    /// Last mod revision this client saw per key (for CAS).
    seen: BTreeMap<String, i64>,
}

impl LoadClient {
    /// Client `id`, whose first operation is at `next_at`.
    pub(super) fn new(id: u32, next_at: u64) -> Self {
        LoadClient {
            id,
            next_at,
            busy: None,
            seq: 0,
            seen: BTreeMap::new(),
        }
    }

    /// Whether it has a next operation to ask at `now`.
    pub(super) fn ready(&self, now: u64) -> bool {
        self.busy.is_none() && self.next_at <= now
    }

    /// When it asks next (never, while it waits for an answer).
    pub(super) fn next_due(&self) -> u64 {
        match self.busy {
            None => self.next_at,
            Some(_) => u64::MAX,
        }
    }
}

/// What an answer teaches the client that asked.
#[derive(Clone, Debug)]
pub(super) enum Learn {
    /// Nothing.
    Nothing,
    /// The key's mod revision (for its next compare-and-set).
    ModRevision(String),
    /// The lease exists (once granted), for puts, keep-alives and revokes.
    Granted(i64),
    /// The lease is gone (once its revoke was applied).
    Revoked(i64),
}

impl Driver {
    /// Client `ci`'s answer: what it learns, then it thinks a while.
    pub(super) fn answered(&mut self, ci: usize, learn: Learn, e: &ClientEvent) {
        match (learn, &e.kind) {
            (Learn::ModRevision(key), EventKind::Reply(Reply::Range(r))) => {
                if let Some(kv) = r.kvs.first() {
                    self.clients[ci].seen.insert(key, kv.mod_revision);
                }
            }
            (Learn::Granted(id), EventKind::Reply(Reply::LeaseGrant(_))) => self.leases.push(id),
            // Revoked, or already gone: applied either way.
            (Learn::Revoked(id), EventKind::Reply(Reply::LeaseRevoke(_))) => {
                self.leases.retain(|l| *l != id)
            }
            (Learn::Revoked(id), EventKind::Failed(err)) if err.contains("lease not found") => {
                self.leases.retain(|l| *l != id)
            }
            _ => {}
        }
        self.clients[ci].busy = None;
        let t = self.think();
        self.clients[ci].next_at = e.at_ms + t;
    }

    fn think(&mut self) -> u64 {
        self.rng
            .range_inclusive(self.w.think_ms.0, self.w.think_ms.1)
    }

    pub(super) fn key(&mut self) -> String {
        format!("k{}", self.rng.below(u64::from(self.w.keys.max(1))))
    }

    fn key_index(&self, key: &str) -> u64 {
        key[1..].parse().unwrap_or(0)
    }

    /// Client `ci` made `call` for `input`: recorded, and it waits for the answer.
    fn asked(&mut self, ci: usize, call: CallId, input: Option<Input>, learn: Learn) {
        let now = self.client.now();
        if let Some(input) = input {
            let id = self.clients[ci].id;
            self.record(call, id, input, now);
        }
        self.roles.insert(call, Role::Op { client: ci, learn });
        self.clients[ci].busy = Some(call);
        self.drain();
    }

    /// Client `ci`'s next operation, through a member picked at random.
    pub(super) fn issue(&mut self, ci: usize) {
        let now = self.client.now();
        let nodes = nodes_not_crashed(self.client.service().cluster());
        let Some(node) = pick(&mut self.rng, &nodes) else {
            self.clients[ci].next_at = now + 100;
            return;
        };
        self.clients[ci].seq += 1;
        let client = self.clients[ci].id;
        let value = format!("{client}.{}", self.clients[ci].seq);
        let leases = self.w.kind == WorkloadKind::Lease;
        let roll = self.rng.below(100);
        let key = self.key();
        let (call, input, learn) = match roll {
            _ if leases && roll >= 85 => return self.lease_op(ci, node),
            0..=29 => {
                let lease = if leases && !self.leases.is_empty() && self.rng.chance(0.5) {
                    pick(&mut self.rng, &self.leases).unwrap_or(0)
                } else {
                    0
                };
                let req = PutRequest {
                    key: key.clone().into_bytes(),
                    value: value.clone().into_bytes(),
                    lease,
                    ..Default::default()
                };
                let input = if lease == 0 {
                    Input::Put { key, value }
                } else {
                    Input::PutWithLease { key, value, lease }
                };
                (self.client.put(node, req), input, Learn::Nothing)
            }
            30..=54 => {
                let req = RangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                };
                let call = self.client.range(node, req);
                let learn = Learn::ModRevision(key.clone());
                let input = Input::Get {
                    key,
                    revision: None,
                };
                (call, input, learn)
            }
            55..=61 => {
                let req = DeleteRangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                };
                let call = self.client.delete_range(node, req);
                (call, Input::Delete { key }, Learn::Nothing)
            }
            62..=64 => {
                // Two neighbouring keys (and any that sort between them) in one revision.
                let end = format!("k{}", self.key_index(&key) + 2);
                let req = DeleteRangeRequest {
                    key: key.clone().into_bytes(),
                    range_end: end.clone().into_bytes(),
                    ..Default::default()
                };
                let call = self.client.delete_range(node, req);
                let input = Input::DeleteRange {
                    key,
                    range_end: end,
                };
                (call, input, Learn::Nothing)
            }
            73..=79 => {
                let req = self.multi_txn(ci, &key, &value);
                let input = crate::session::txn(&req).expect("a txn the model knows");
                (self.client.txn(node, req), input, Learn::Nothing)
            }
            65..=72 => {
                let expected = match self.clients[ci].seen.get(&key) {
                    Some(m) if self.rng.chance(0.8) => *m,
                    _ => 0,
                };
                let req = TxnRequest {
                    compare: vec![Compare::mod_revision(
                        key.clone(),
                        CompareResult::Equal,
                        expected,
                    )],
                    success: vec![RequestOp::Put(PutRequest {
                        key: key.clone().into_bytes(),
                        value: value.clone().into_bytes(),
                        ..Default::default()
                    })],
                    failure: vec![],
                };
                let input = Input::Cas {
                    key,
                    expected_mod_revision: expected,
                    value,
                };
                (self.client.txn(node, req), input, Learn::Nothing)
            }
            80..=87 => self.range(node, 0, false),
            88..=93 => {
                // A limited range (sometimes as limited as it gets: 1), or a count-only one.
                let limit = self.rng.range_inclusive(1, u64::from(self.w.keys.max(1))) as i64;
                let count_only = self.rng.chance(0.25);
                self.range(node, limit, count_only)
            }
            _ => self.get_at_revision(node, key),
        };
        self.asked(ci, call, Some(input), learn);
    }

    /// A transaction over `key` and the next two keys: if `key` is still as this client last
    /// saw it (or absent) and the next key exists, put both; else delete the third (etcd refuses
    /// a key written twice in one txn, so the keys are distinct).
    fn multi_txn(&mut self, ci: usize, key: &str, value: &str) -> TxnRequest {
        let n = u64::from(self.w.keys.max(1));
        let i = self.key_index(key);
        let (k2, k3) = (format!("k{}", (i + 1) % n), format!("k{}", (i + 2) % n));
        let seen = self.clients[ci].seen.get(key).copied().unwrap_or(0);
        let mut compare = vec![Compare::mod_revision(key, CompareResult::Equal, seen)];
        if self.rng.chance(0.5) {
            compare.push(Compare::version(k2.clone(), CompareResult::Greater, 0));
        }
        let put = |k: &str| {
            RequestOp::Put(PutRequest {
                key: k.as_bytes().to_vec(),
                value: value.as_bytes().to_vec(),
                ..Default::default()
            })
        };
        let mut success = vec![put(key)];
        if k2 != key {
            success.push(put(&k2));
        }
        let failure = match k3 != key && k3 != k2 {
            true => vec![RequestOp::DeleteRange(DeleteRangeRequest {
                key: k3.into_bytes(),
                ..Default::default()
            })],
            false => Vec::new(),
        };
        TxnRequest {
            compare,
            success,
            failure,
        }
    }

    /// A linearizable range over every key (`k` to `l`), with `limit` (0: none) and
    /// `count_only`.
    fn range(&mut self, node: u64, limit: i64, count_only: bool) -> (CallId, Input, Learn) {
        let req = RangeRequest {
            key: b"k".to_vec(),
            range_end: b"l".to_vec(),
            limit,
            count_only,
            ..Default::default()
        };
        let call = self.client.range(node, req);
        let input = Input::Range {
            key: "k".into(),
            range_end: "l".into(),
            limit,
            count_only,
        };
        (call, input, Learn::Nothing)
    }

    /// A linearizable read of `key` at a past revision: half the time right at the last
    /// compaction point asked for (one below, at, or one above it, where an off-by-one shows),
    /// else anywhere from a few revisions below it to the log collected so far. Reads below the
    /// compaction point must fail as compacted; at or above it they must see the history.
    fn get_at_revision(&mut self, node: u64, key: String) -> (CallId, Input, Learn) {
        let c = self.compacted;
        let revision = if c > 1 && self.rng.chance(0.5) {
            c - 1 + self.rng.below(3) as i64
        } else {
            let low = (c - 3).max(1) as u64;
            self.rng
                .range_inclusive(low, (self.log_rev.max(1) as u64).max(low)) as i64
        };
        let req = RangeRequest {
            key: key.clone().into_bytes(),
            revision,
            ..Default::default()
        };
        let call = self.client.range(node, req);
        let input = Input::Get {
            key,
            revision: Some(revision),
        };
        (call, input, Learn::Nothing)
    }

    /// A lease operation of client `ci` through `node`: a keep-alive or a revoke of a lease it
    /// knows, or a grant of a new one.
    fn lease_op(&mut self, ci: usize, node: u64) {
        let client = self.clients[ci].id;
        let roll = self.rng.below(10);
        let known = pick(&mut self.rng, &self.leases);
        match (roll, known) {
            (0..=3, Some(id)) => {
                // etcd's `KeepAliveOnce`: one renewal, not recorded (it changes no revision).
                let call = self.client.lease_keep_alive_once(node, id);
                self.asked(ci, call, None, Learn::Nothing);
            }
            (4..=5, Some(id)) => {
                let call = self.client.lease_revoke(node, id);
                let input = Input::LeaseRevoke { id };
                self.asked(ci, call, Some(input), Learn::Revoked(id));
            }
            _ => {
                self.lease_seq += 1;
                let id = (i64::from(client) << 32) | self.lease_seq;
                let ttl = self.rng.range_inclusive(2, 4) as i64;
                let call = self.client.lease_grant(node, LeaseGrantRequest { ttl, id });
                let input = Input::LeaseGrant { id, ttl };
                self.asked(ci, call, Some(input), Learn::Granted(id));
            }
        }
    }
}
