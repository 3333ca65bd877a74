//! The service-level driver of the kv, watch and lease loads: clients and watchers issuing
//! typed requests, recorded as check's operations and watch streams.

use std::collections::BTreeMap;

use check::history::Input;
use check::watch::WatchRecord;
use kv::{
    Compare, CompareResult, DeleteRangeRequest, Event, PutRequest, RangeRequest, RequestOp,
    TxnRequest, WatchCreateRequest, WatchFilter,
};
use sim::nemesis::RandomNemesis;
use sim::rng::SimRng;
use sim::{ClusterConfig, NodeStatus};

use crate::history::{Recorder, SERVER_CLIENT};
use etcd::machine::{EtcdRequest, EtcdResponse};
use etcd::service::{OpEvent, OpId, OpResult, Service};

use super::config::{Recording, WorkloadConfig, WorkloadKind, COMPACTOR_CLIENT, COMPACT_LAG};
use super::frame::{finish, most_advanced, nodes_not_crashed, pick, LoopGuard, WATCH_PROGRESS_MS};

#[derive(Clone, Debug)]
struct LoadClient {
    id: u32,
    next_at: u64,
    busy: Option<OpId>,
    seq: u64,
    /// Last mod revision this client saw per key (for CAS).
    seen: BTreeMap<String, i64>,
}

#[derive(Clone, Debug)]
struct Watcher {
    client: u32,
    /// The current record (index into the recording's watches) and its op.
    current: Option<(usize, OpId)>,
    /// When to (re)create the watch.
    next_at: Option<u64>,
    /// The record lost last (to resume from).
    lost: Option<usize>,
}

/// The service-level driver (kv, watch, lease workloads): typed requests straight to the
/// service, whose operation ids key the history.
pub(super) struct Driver {
    s: Service,
    w: WorkloadConfig,
    rng: SimRng,
    rec: Recorder,
    out: Recording,
    clients: Vec<LoadClient>,
    watchers: Vec<Watcher>,
    watch_ops: BTreeMap<OpId, usize>,
    keepalives: BTreeMap<OpId, usize>,
    leases: Vec<i64>,
    lease_seq: i64,
    /// The committed log collected so far (compaction forgets the store's history, so it is
    /// read as the run goes), and the revision it reaches.
    log: Vec<Event>,
    log_rev: i64,
    /// The next compaction, the revision of the last one asked for, and the one still
    /// waiting for its answer.
    next_compaction: u64,
    compacted: i64,
    compacting: Option<OpId>,
}

impl Driver {
    pub(super) fn new(mut cluster: ClusterConfig, w: &WorkloadConfig) -> etcd::Result<Self> {
        w.bugs.configure(&mut cluster);
        let seed = cluster.seed;
        let nodes = cluster.nodes;
        let mut s = Service::with_planted_bugs(cluster, w.bugs)?;
        s.set_store_bugs(w.store_bugs);
        s.record_expiry_revokes();
        // Progress notifications every second (etcd's default is 10 minutes, longer than a
        // run), so the bookmark rule is exercised.
        s.set_progress_interval(WATCH_PROGRESS_MS);
        let mut rng = SimRng::sub(seed, 0x5EED_C11E);
        let clients = (1..=w.clients)
            .map(|id| LoadClient {
                id,
                next_at: 1_000 + rng.below(200),
                busy: None,
                seq: 0,
                seen: BTreeMap::new(),
            })
            .collect();
        let watchers = (0..w.watchers())
            .map(|i| Watcher {
                client: 100 + i,
                current: None,
                next_at: Some(800 + u64::from(i) * 150),
                lost: None,
            })
            .collect();
        Ok(Driver {
            s,
            w: w.clone(),
            rng,
            rec: Recorder::new(),
            out: Recording {
                seed,
                nodes,
                ..Default::default()
            },
            clients,
            watchers,
            watch_ops: BTreeMap::new(),
            keepalives: BTreeMap::new(),
            leases: Vec::new(),
            lease_seq: 0,
            log: Vec::new(),
            log_rev: 1,
            next_compaction: w.compact_every_ms.unwrap_or(u64::MAX),
            compacted: 0,
            compacting: None,
        })
    }

    /// Appends what the most advanced member has applied since the log collected so far.
    /// Compactions stay behind it, so nothing is lost.
    fn collect_log(&mut self) {
        let c = self.s.cluster();
        let Some(best) = most_advanced(c) else { return };
        let Ok(sm) = c.state_machine(best) else {
            return;
        };
        let rev = sm.store.current_revision();
        if rev <= self.log_rev {
            return;
        }
        if let Ok(events) = sm.store.events_since(self.log_rev + 1, b"", &[0]) {
            self.log.extend(events);
            self.log_rev = rev;
        }
    }

    /// Asks for a compaction a few revisions behind the collected log (unless the last one
    /// is still waiting for its answer), recorded as an operation of [`COMPACTOR_CLIENT`].
    fn compact(&mut self, now: u64) {
        self.next_compaction = now + self.w.compact_every_ms.unwrap_or(u64::MAX - now);
        let rev = self.log_rev - COMPACT_LAG;
        let node = nodes_not_crashed(self.s.cluster()).first().copied();
        if let (true, None, Some(node)) = (rev > self.compacted, self.compacting, node) {
            self.compacted = rev;
            let op = self.s.write(node, EtcdRequest::Compaction { rev });
            let input = Input::Compact { revision: rev };
            self.rec.call(op, COMPACTOR_CLIENT, input, now);
            self.compacting = Some(op);
            self.drain();
        }
    }

    pub(super) fn run(mut self) -> etcd::Result<Recording> {
        let seed = self.out.seed;
        let mut nemesis = RandomNemesis::new(seed, self.w.nemesis.clone());
        let load_end = self.w.duration_ms;
        let end = load_end + self.w.settle_ms;
        let mut healed = false;
        let mut guard = LoopGuard::new(end);
        loop {
            if guard.stop(&self.s, &mut self.out) {
                break;
            }
            let now = self.s.now();
            if now >= load_end && !healed {
                healed = true;
                if nemesis.undo(self.s.cluster_mut()).is_err() {
                    break;
                }
            }
            if !healed && nemesis.next_due() <= now && nemesis.act(self.s.cluster_mut()).is_err() {
                break;
            }
            if now < load_end {
                for i in 0..self.clients.len() {
                    let c = &self.clients[i];
                    if c.busy.is_none() && c.next_at <= now {
                        self.issue(i);
                    }
                }
                if self.next_compaction <= now {
                    self.compact(now);
                }
            }
            for i in 0..self.watchers.len() {
                if self.watchers[i].next_at.is_some_and(|t| t <= now) {
                    self.create_watch(i);
                }
            }
            self.drain();
            let mut due = end;
            if !healed {
                due = due
                    .min(nemesis.next_due())
                    .min(load_end)
                    .min(self.next_compaction);
                for c in &self.clients {
                    if c.busy.is_none() {
                        due = due.min(c.next_at);
                    }
                }
            }
            for w in &self.watchers {
                if let Some(t) = w.next_at {
                    due = due.min(t);
                }
            }
            if !LoopGuard::advance(&mut self.s, due) {
                break;
            }
            self.drain();
        }
        // Watches still open: their member's final revision bounds what they must have seen.
        for w in &self.watchers {
            if let Some((idx, _)) = w.current {
                let node = self.out.watches[idx].node;
                let c = self.s.cluster();
                if c.status(node).ok() == Some(NodeStatus::Up) {
                    let rev = c.state_machine(node).map(|sm| sm.store.current_revision());
                    self.out.watches[idx].end_revision = rev.ok();
                }
            }
        }
        self.collect_log();
        let mut out = std::mem::take(&mut self.out);
        finish(&mut out, self.s.cluster(), load_end);
        out.log = self.log;
        out.history = self.rec.into_history();
        Ok(out)
    }

    fn think(&mut self) -> u64 {
        self.rng
            .range_inclusive(self.w.think_ms.0, self.w.think_ms.1)
    }

    /// Routes the service's events (and the leader's expiry revokes) into the recording.
    fn drain(&mut self) {
        self.collect_log();
        let now = self.s.now();
        for e in self.s.take_expiry_revokes() {
            let input = Input::LeaseRevoke { id: e.lease };
            self.rec.call(e.op, SERVER_CLIENT, input, e.time_ms);
        }
        for ev in self.s.take_events() {
            match ev {
                OpEvent::Done(op, result) => self.done(op, result, now),
                OpEvent::Watch(op, _, resp) => {
                    let Some(&idx) = self.watch_ops.get(&op) else {
                        continue;
                    };
                    if resp.created {
                        self.out.watches[idx].created_revision = Some(resp.revision);
                        continue;
                    }
                    let canceled = resp.canceled;
                    self.out.watches[idx].responses.push((now, resp));
                    if canceled {
                        self.watch_ended(op, idx, false);
                    }
                }
                OpEvent::WatchLost(op, _) => {
                    if let Some(&idx) = self.watch_ops.get(&op) {
                        self.watch_ended(op, idx, true);
                    }
                }
            }
        }
    }

    fn watch_ended(&mut self, op: OpId, idx: usize, resume: bool) {
        self.watch_ops.remove(&op);
        let delay = self.rng.range_inclusive(100, 800);
        let now = self.s.now();
        if let Some(w) = self
            .watchers
            .iter_mut()
            .find(|w| w.current.map(|c| c.1) == Some(op))
        {
            w.current = None;
            if resume {
                w.lost = Some(idx);
                w.next_at = Some(now + delay);
            }
        }
    }

    fn done(&mut self, op: OpId, result: OpResult, now: u64) {
        if self.compacting == Some(op) {
            self.compacting = None;
        }
        if let Some(ci) = self.keepalives.remove(&op) {
            self.clients[ci].busy = None;
            let t = self.think();
            self.clients[ci].next_at = now + t;
            return;
        }
        if self.watch_ops.contains_key(&op) {
            if let OpResult::Failed(_) = result {
                let idx = self.watch_ops[&op];
                self.watch_ended(op, idx, true);
            }
            return;
        }
        let input = self.rec.input(op).cloned();
        let Some(output) = self.rec.answer(op, &result, now) else {
            return;
        };
        // What the client learns.
        if let (Some(input), OpResult::Write(_, applied)) = (&input, &result) {
            match (input, &applied.result) {
                (Input::LeaseGrant { id, .. }, Ok(EtcdResponse::LeaseGrant { .. })) => {
                    self.leases.push(*id)
                }
                (Input::LeaseRevoke { id }, _) => self.leases.retain(|l| l != id),
                _ => {}
            }
        }
        if let (
            Some(Input::Get {
                key,
                revision: None,
            }),
            check::Output::Get {
                kv: Some((_, m)), ..
            },
        ) = (&input, &output)
        {
            if let Some(ci) = self.clients.iter().position(|c| c.busy == Some(op)) {
                self.clients[ci].seen.insert(key.clone(), *m);
            }
        }
        if let Some(ci) = self.clients.iter().position(|c| c.busy == Some(op)) {
            self.clients[ci].busy = None;
            let t = self.think();
            self.clients[ci].next_at = now + t;
        }
    }

    fn key(&mut self) -> String {
        format!("k{}", self.rng.below(u64::from(self.w.keys.max(1))))
    }

    fn key_index(&self, key: &str) -> u64 {
        key[1..].parse().unwrap_or(0)
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

    fn issue(&mut self, ci: usize) {
        let now = self.s.now();
        let nodes = nodes_not_crashed(self.s.cluster());
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
        let (op, input) = match roll {
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
                (self.s.write(node, EtcdRequest::Put(req)), input)
            }
            30..=54 => {
                let req = RangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                };
                let op = self.s.range(node, req, false);
                (
                    op,
                    Input::Get {
                        key,
                        revision: None,
                    },
                )
            }
            55..=61 => {
                let req = DeleteRangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                };
                (
                    self.s.write(node, EtcdRequest::DeleteRange(req)),
                    Input::Delete { key },
                )
            }
            62..=64 => {
                // Two neighbouring keys (and any that sort between them) in one revision.
                let end = format!("k{}", self.key_index(&key) + 2);
                let req = DeleteRangeRequest {
                    key: key.clone().into_bytes(),
                    range_end: end.clone().into_bytes(),
                    ..Default::default()
                };
                (
                    self.s.write(node, EtcdRequest::DeleteRange(req)),
                    Input::DeleteRange {
                        key,
                        range_end: end,
                    },
                )
            }
            73..=79 => {
                let req = self.multi_txn(ci, &key, &value);
                let input = crate::session::txn(&req).expect("a txn the model knows");
                (self.s.write(node, EtcdRequest::Txn(req)), input)
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
                (self.s.write(node, EtcdRequest::Txn(req)), input)
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
        self.rec.call(op, client, input, now);
        self.clients[ci].busy = Some(op);
        self.drain();
    }

    /// A linearizable range over every key (`k` to `l`), with `limit` (0: none) and
    /// `count_only`.
    fn range(&mut self, node: u64, limit: i64, count_only: bool) -> (OpId, Input) {
        let req = RangeRequest {
            key: b"k".to_vec(),
            range_end: b"l".to_vec(),
            limit,
            count_only,
            ..Default::default()
        };
        let op = self.s.range(node, req, false);
        let input = Input::Range {
            key: "k".into(),
            range_end: "l".into(),
            limit,
            count_only,
        };
        (op, input)
    }

    /// A linearizable read of `key` at a past revision: half the time right at the last
    /// compaction point asked for (one below, at, or one above it, where an off-by-one shows),
    /// else anywhere from a few revisions below it to the log collected so far. Reads below the
    /// compaction point must fail as compacted; at or above it they must see the history.
    fn get_at_revision(&mut self, node: u64, key: String) -> (OpId, Input) {
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
        let op = self.s.range(node, req, false);
        let input = Input::Get {
            key,
            revision: Some(revision),
        };
        (op, input)
    }

    fn lease_op(&mut self, ci: usize, node: u64) {
        let now = self.s.now();
        let client = self.clients[ci].id;
        let roll = self.rng.below(10);
        let known = pick(&mut self.rng, &self.leases);
        match (roll, known) {
            (0..=3, Some(id)) => {
                let op = self.s.lease_keepalive(node, id);
                self.keepalives.insert(op, ci);
                self.clients[ci].busy = Some(op);
            }
            (4..=5, Some(id)) => {
                let op = self.s.write(node, EtcdRequest::LeaseRevoke { id });
                self.rec.call(op, client, Input::LeaseRevoke { id }, now);
                self.clients[ci].busy = Some(op);
            }
            _ => {
                self.lease_seq += 1;
                let id = (i64::from(client) << 32) | self.lease_seq;
                let ttl = self.rng.range_inclusive(2, 4) as i64;
                let op = self.s.lease_grant(node, id, ttl);
                self.rec
                    .call(op, client, Input::LeaseGrant { id, ttl }, now);
                self.clients[ci].busy = Some(op);
            }
        }
        self.drain();
    }

    fn create_watch(&mut self, wi: usize) {
        let now = self.s.now();
        self.watchers[wi].next_at = None;
        let nodes: Vec<u64> = {
            let c = self.s.cluster();
            c.node_ids()
                .into_iter()
                .filter(|n| c.status(*n).ok() == Some(NodeStatus::Up))
                .collect()
        };
        let Some(node) = pick(&mut self.rng, &nodes) else {
            self.watchers[wi].next_at = Some(now + 300);
            return;
        };
        let (request, resumes) = match self.watchers[wi].lost {
            Some(prev) => {
                let p = &self.out.watches[prev];
                let mut req = p.request.clone();
                req.start_revision = match (p.last_event_revision(), p.start_revision()) {
                    (Some(last), _) => last + 1,
                    (None, Some(start)) => start,
                    (None, None) => p.request.start_revision,
                };
                (req, Some(prev))
            }
            None => (self.new_watch_request(node), None),
        };
        let op = self.s.watch(node, request.clone());
        let idx = self.out.watches.len();
        let mut record = WatchRecord::new(self.watchers[wi].client, node, request);
        record.resumes = resumes;
        self.out.watches.push(record);
        self.watch_ops.insert(op, idx);
        self.watchers[wi].current = Some((idx, op));
        self.drain();
    }

    fn new_watch_request(&mut self, node: u64) -> WatchCreateRequest {
        let current = self
            .s
            .cluster()
            .state_machine(node)
            .map_or(1, |sm| sm.store.current_revision());
        let (key, range_end) = match self.rng.below(10) {
            0..=4 => (b"k".to_vec(), b"l".to_vec()),
            5..=7 => (self.key().into_bytes(), Vec::new()),
            _ => (b"k".to_vec(), vec![0]),
        };
        let start_revision = if self.rng.chance(0.4) {
            self.rng.range_inclusive(1, current.max(1) as u64) as i64
        } else {
            0
        };
        let filters = match self.rng.below(8) {
            0 => vec![WatchFilter::NoPut],
            1 => vec![WatchFilter::NoDelete],
            _ => Vec::new(),
        };
        WatchCreateRequest {
            key,
            range_end,
            start_revision,
            prev_kv: self.rng.chance(0.5),
            filters,
            // Only the watch workload asks (the other workloads' runs stay as they were).
            progress_notify: self.w.kind == WorkloadKind::Watch && self.rng.chance(0.5),
            ..Default::default()
        }
    }
}
