//! Seeded client workloads against the etcd service under a random nemesis, recorded for the
//! checkers (etcd's robustness tests and Jepsen's etcd workloads are the models).
//!
//! [`run`] builds a cluster from a seed, starts a random nemesis (partitions, crashes, pauses,
//! drops, delays with reordering and duplication, one-way cuts, leader transfers and, if asked,
//! membership changes) and a client load for `duration_ms` of virtual time; then it heals every
//! fault, lets the cluster settle, and returns a [`Recording`]: the client [`history`]
//! (check's [`Operation`]s), every watch stream, the lock holds, the committed log, what every
//! member reports at the end, and the leases still alive. [`crate::verify`] runs the checkers on
//! it. Everything is a pure function of the seed and the configuration.
//!
//! Workloads ([`WorkloadKind`]):
//! - `kv`: puts, linearizable gets, deletes (of one key or two neighbours), compare-and-set
//!   txns, txns with several comparisons and writes, and prefix ranges over a few keys, plus two
//!   watchers;
//! - `watch`: the same load with six watchers (prefix, single-key and open-ended ranges,
//!   historical start revisions, `prev_kv`, filters), resumed on another member when theirs is
//!   lost;
//! - `lease`: the kv load plus lease grants, puts attached to leases, keep-alives, revokes, and
//!   expiry (recorded as revokes by the server pseudo-client);
//! - `lock`: clients of [`crate::client::Client::lock_with_session`] (etcdctl's `lock`: etcd's
//!   concurrency.Mutex recipe), each taking the lock, holding it a while and letting go, under
//!   partitions, crashes, pauses, lossy links, cut links and revoked session leases.
//!
//! [`history`]: Recording::history

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use check::history::{Input, Operation};
use check::lock::LockHold;
use check::replicas::{LeaseAlive, ReplicaState};
use check::watch::WatchRecord;
use kv::{
    Compare, CompareResult, DeleteRangeRequest, Event, PutRequest, RangeRequest, RequestOp,
    TxnRequest, WatchCreateRequest, WatchFilter,
};
use sim::nemesis::{NemesisConfig, RandomNemesis};
use sim::rng::SimRng;
use sim::{ClusterConfig, NodeStatus};

use crate::client::{
    CallId, Client as EtcdClient, Event as ClientEvent, EventKind as ClientEventKind, Reply,
};
use crate::history::{Recorder, SERVER_CLIENT};
use crate::machine::{EtcdMachine, EtcdRequest, EtcdResponse};
use crate::planted::PlantedBugs;
use crate::service::{OpEvent, OpId, OpResult, Service};

/// Which client load a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    /// Puts, gets, deletes, CAS txns and ranges, with two watchers.
    Kv,
    /// The kv load with six watchers of every shape.
    Watch,
    /// The kv load with leases: grants, attached puts, keep-alives, revokes, expiry.
    Lease,
    /// Lock clients (etcd's concurrency.Mutex).
    Lock,
}

impl WorkloadKind {
    /// Every kind.
    pub const ALL: [WorkloadKind; 4] = [
        WorkloadKind::Kv,
        WorkloadKind::Watch,
        WorkloadKind::Lease,
        WorkloadKind::Lock,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Kv => "kv",
            WorkloadKind::Watch => "watch",
            WorkloadKind::Lease => "lease",
            WorkloadKind::Lock => "lock",
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown workload {s:?} (kv, watch, lease, lock)"))
    }
}

/// Everything that shapes a run besides the cluster configuration.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    /// The client load.
    pub kind: WorkloadKind,
    /// Clients issuing KV (or lock) operations.
    pub clients: u32,
    /// Keys they work on (`k0`, `k1`, ...).
    pub keys: u32,
    /// Watchers (0 = the kind's default).
    pub watchers: u32,
    /// Virtual ms of load and faults.
    pub duration_ms: u64,
    /// Virtual ms after every fault is healed, before the final checks.
    pub settle_ms: u64,
    /// A client waits this long (ms, inclusive range) between two operations.
    pub think_ms: (u64, u64),
    /// The nemesis (its own client load is switched off).
    pub nemesis: NemesisConfig,
    /// Planted bugs (none by default).
    pub bugs: PlantedBugs,
    /// Bugs planted in every member's store (none by default; the kv, watch and lease loads).
    pub store_bugs: kv::planted::StoreBugs,
    /// Compact the store every this many virtual ms of load, a few revisions behind the
    /// committed log collected so far (`None`: never). The kv, watch and lease loads only.
    pub compact_every_ms: Option<u64>,
}

impl WorkloadConfig {
    /// The defaults for `kind`: 10 s of load, 5 clients on 5 keys, faults including membership
    /// changes, 15 s to settle.
    pub fn new(kind: WorkloadKind) -> Self {
        WorkloadConfig {
            kind,
            clients: if kind == WorkloadKind::Lock { 4 } else { 5 },
            keys: 5,
            watchers: 0,
            duration_ms: 10_000,
            settle_ms: 15_000,
            think_ms: (0, 60),
            nemesis: NemesisConfig {
                proposals_per_sec: 0,
                membership: true,
                ..NemesisConfig::default()
            },
            bugs: PlantedBugs::NONE,
            store_bugs: kv::planted::StoreBugs::NONE,
            compact_every_ms: Some(COMPACT_EVERY_MS),
        }
    }

    fn watchers(&self) -> u32 {
        match (self.watchers, self.kind) {
            (0, WorkloadKind::Watch) => 6,
            (0, WorkloadKind::Lock) => 0,
            (0, _) => 2,
            (n, _) => n,
        }
    }
}

/// How often the service-driven loads compact the store, by default (virtual ms).
pub const COMPACT_EVERY_MS: u64 = 3_000;
/// Revisions a compaction stays behind the committed log collected so far (so that watches
/// resumed a little in the past usually still find their start).
const COMPACT_LAG: i64 = 8;

/// The client id of the workload's compactions in the history.
pub const COMPACTOR_CLIENT: u32 = u32::MAX - 1;

/// Name of the lock the lock workload contends for.
pub const LOCK_NAME: &str = "L";

/// Everything a run leaves for the checkers.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// The seed.
    pub seed: u64,
    /// Members at the start.
    pub nodes: usize,
    /// Client operations (the server's expiry revokes included, as client [`SERVER_CLIENT`]).
    pub history: Vec<Operation>,
    /// Watch streams.
    pub watches: Vec<WatchRecord>,
    /// Lock holds (lock workload).
    pub locks: Vec<LockHold>,
    /// The committed log: every event of the final store of the most advanced member.
    pub log: Vec<Event>,
    /// What every running member reports at the end.
    pub replicas: Vec<ReplicaState>,
    /// What every running member's store still holds at the end (member, revisions).
    pub held: Vec<(u64, kv::Held)>,
    /// Leases alive at the end, with the last time anything could have renewed them.
    pub leases_alive: Vec<LeaseAlive>,
    /// A Raft safety invariant violation that stopped the run.
    pub invariant: Option<String>,
    /// The run stopped because virtual time stood still for too many steps (a livelock).
    pub stalled: Option<String>,
    /// Virtual time at the end.
    pub end_ms: u64,
    /// Hash of the whole trace.
    pub trace_hash: String,
    /// The last trace events, one per line (for a failing seed's report).
    pub trace_tail: Vec<String>,
    /// Faults the nemesis applied (count) and leaders elected.
    pub faults: u64,
    /// Leaders elected during the run.
    pub elections: usize,
}

/// Runs `workload` on a cluster built from `cluster` (seed included) and records it.
///
/// # Errors
/// An invalid configuration.
pub fn run(cluster: ClusterConfig, workload: &WorkloadConfig) -> crate::Result<Recording> {
    match workload.kind {
        WorkloadKind::Lock => LockDriver::new(cluster, workload)?.run(),
        _ => Driver::new(cluster, workload)?.run(),
    }
}

/// The member whose store has the highest revision (ties: the lowest id).
fn most_advanced(c: &sim::Cluster<EtcdMachine>) -> Option<u64> {
    c.node_ids()
        .into_iter()
        .filter_map(|n| {
            c.state_machine(n)
                .ok()
                .map(|sm| (sm.store.current_revision(), n))
        })
        .max_by_key(|(r, n)| (*r, std::cmp::Reverse(*n)))
        .map(|(_, n)| n)
}

/// The end-of-run part of a recording: log, replicas, leases, trace.
fn finish(rec: &mut Recording, c: &sim::Cluster<EtcdMachine>, load_end: u64) {
    rec.end_ms = c.now();
    rec.trace_hash = c.trace_hash();
    rec.trace_tail = c
        .trace()
        .last(300)
        .iter()
        .map(|e| format!("{:>8} ms  {:?}", e.time_ms, e.kind))
        .collect();
    rec.faults = c.stats().faults;
    rec.elections = c.stats().leaders.len();
    if let Some(v) = c.violation() {
        rec.invariant = Some(format!(
            "{} at {} ms: {}",
            v.invariant.name(),
            v.time_ms,
            v.detail
        ));
    }
    for n in c.node_ids() {
        if c.status(n).ok() != Some(NodeStatus::Up) {
            continue;
        }
        let Ok(sm) = c.state_machine(n) else { continue };
        let revision = sm.store.current_revision();
        let (hash, compact_revision) = sm.store.hash_kv(revision).unwrap_or((0, 0));
        rec.replicas.push(ReplicaState {
            node: n,
            revision,
            hash,
            compact_revision,
            leases: sm.lessor.leases(),
        });
        rec.held.push((n, sm.store.held()));
    }
    let Some(best) = most_advanced(c) else { return };
    let sm = c.state_machine(best).expect("most advanced member is up");
    rec.log = sm.store.events_since(1, b"", &[0]).unwrap_or_default();
    let last_leader = c.stats().leaders.last().map_or(0, |l| l.time_ms);
    let renewed = (load_end + c.config().request_timeout_ms).max(last_leader);
    rec.leases_alive = sm
        .lessor
        .leases()
        .into_iter()
        .map(|id| LeaseAlive {
            id,
            ttl_s: sm.lessor.lookup(id).map_or(0, |l| l.ttl),
            renewed_ms: renewed,
        })
        .collect();
}

/// Steps at one virtual instant after which a run counts as livelocked.
const MAX_STEPS_AT_ONE_INSTANT: u64 = 200_000;

/// Notices virtual time standing still.
#[derive(Default)]
struct Watchdog {
    at: u64,
    steps: u64,
}

/// Interval of watch progress notifications in workloads.
const WATCH_PROGRESS_MS: u64 = 1_000;

impl Watchdog {
    /// Counts a step at `now`; a message if time has stood still for too long.
    fn step(&mut self, now: u64) -> Option<String> {
        if now != self.at {
            self.at = now;
            self.steps = 0;
        }
        self.steps += 1;
        (self.steps > MAX_STEPS_AT_ONE_INSTANT).then(|| {
            format!("virtual time stood still at {now} ms for {MAX_STEPS_AT_ONE_INSTANT} steps")
        })
    }
}

/// What a workload loop drives: the service directly, or the client over it.
trait Driven {
    fn now(&self) -> u64;
    fn next_time(&self) -> u64;
    fn step(&mut self) -> crate::Result<()>;
    fn run_until(&mut self, t: u64) -> crate::Result<()>;
    fn violated(&self) -> bool;
}

impl Driven for Service {
    fn now(&self) -> u64 {
        Service::now(self)
    }
    fn next_time(&self) -> u64 {
        Service::next_time(self)
    }
    fn step(&mut self) -> crate::Result<()> {
        Service::step(self)
    }
    fn run_until(&mut self, t: u64) -> crate::Result<()> {
        Service::run_until(self, t)
    }
    fn violated(&self) -> bool {
        self.cluster().violation().is_some()
    }
}

impl Driven for EtcdClient {
    fn now(&self) -> u64 {
        EtcdClient::now(self)
    }
    fn next_time(&self) -> u64 {
        EtcdClient::next_time(self)
    }
    fn step(&mut self) -> crate::Result<()> {
        EtcdClient::step(self)
    }
    fn run_until(&mut self, t: u64) -> crate::Result<()> {
        EtcdClient::run_until(self, t)
    }
    fn violated(&self) -> bool {
        self.service().cluster().violation().is_some()
    }
}

/// The frame shared by the workload loops: when to stop, and how to move on.
struct LoopGuard {
    end: u64,
    watchdog: Watchdog,
}

impl LoopGuard {
    fn new(end: u64) -> Self {
        LoopGuard {
            end,
            watchdog: Watchdog::default(),
        }
    }

    /// Whether the loop stops at the driven's current time: the end, a violation, or time that
    /// stood still (recorded in `out`).
    fn stop(&mut self, d: &impl Driven, out: &mut Recording) -> bool {
        let now = d.now();
        if now >= self.end || d.violated() {
            return true;
        }
        if let Some(stall) = self.watchdog.step(now) {
            out.stalled = Some(stall);
            return true;
        }
        false
    }

    /// Runs the next event if one is due by `due` (at least 1 ms ahead), else moves the clock
    /// to `due`. False when the run stopped (an invariant violation).
    fn advance(d: &mut impl Driven, due: u64) -> bool {
        let due = due.max(d.now() + 1);
        let res = if d.next_time() <= due {
            d.step()
        } else {
            d.run_until(due)
        };
        res.is_ok()
    }
}

fn nodes_not_crashed(c: &sim::Cluster<EtcdMachine>) -> Vec<u64> {
    c.node_ids()
        .into_iter()
        .filter(|n| c.status(*n).ok() != Some(NodeStatus::Crashed))
        .collect()
}

fn pick<T: Copy>(rng: &mut SimRng, v: &[T]) -> Option<T> {
    (!v.is_empty()).then(|| v[rng.below(v.len() as u64) as usize])
}

#[derive(Clone, Debug)]
struct Client {
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

/// The service-level driver (kv, watch, lease workloads).
struct Driver {
    s: Service,
    w: WorkloadConfig,
    rng: SimRng,
    rec: Recorder,
    out: Recording,
    clients: Vec<Client>,
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
    fn new(mut cluster: ClusterConfig, w: &WorkloadConfig) -> crate::Result<Self> {
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
            .map(|id| Client {
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

    fn run(mut self) -> crate::Result<Recording> {
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
                let input = crate::playground::txn_input(&req).expect("a txn the model knows");
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

/// A lock client of the lock workload.
#[derive(Clone, Debug)]
enum LockClient {
    Idle {
        next_at: u64,
    },
    Waiting {
        cmd: u64,
    },
    Holding {
        cmd: u64,
        hold: usize,
        release_at: u64,
    },
}

/// A fault of the lock workload's nemesis.
#[derive(Clone, Debug, PartialEq)]
enum LockFault {
    /// A fault of the simulated cluster.
    Cluster(sim::Action),
    /// Revoke a lease through the leader (as if it expired before its holder noticed).
    RevokeLease(i64),
}

/// The lock workload's nemesis: a fault, then the action that undoes it.
struct LockNemesis {
    rng: SimRng,
    cfg: NemesisConfig,
    next_at: u64,
    undo: Option<sim::Action>,
}

impl LockNemesis {
    fn new(seed: u64, cfg: NemesisConfig) -> Self {
        let mut rng = SimRng::sub(seed, sim::rng::stream::NEMESIS);
        let next_at = rng.range_inclusive(cfg.quiet_ms.0, cfg.quiet_ms.1) + 2_000;
        LockNemesis {
            rng,
            cfg,
            next_at,
            undo: None,
        }
    }

    fn next_due(&self) -> u64 {
        if self.cfg.faults {
            self.next_at
        } else {
            u64::MAX
        }
    }

    /// The next fault (or the action undoing the fault in force).
    fn act(&mut self, c: &sim::Cluster<EtcdMachine>) -> Option<LockFault> {
        use sim::Action;
        let now = c.now();
        if let Some(undo) = self.undo.take() {
            self.next_at = now
                + self
                    .rng
                    .range_inclusive(self.cfg.quiet_ms.0, self.cfg.quiet_ms.1);
            return Some(LockFault::Cluster(undo));
        }
        self.next_at = now
            + self
                .rng
                .range_inclusive(self.cfg.fault_ms.0, self.cfg.fault_ms.1);
        let ids = c.node_ids();
        let up: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|n| c.status(*n).ok() == Some(NodeStatus::Up))
            .collect();
        let (fault, undo) = match self.rng.below(8) {
            6 | 7 => {
                // Revoke the session lease of a client waiting for the lock, as if it expired on
                // the server before the client noticed (what the recipe's re-check is for).
                let best = most_advanced(c)?;
                let store = &c.state_machine(best).ok()?.store;
                let pfx = format!("{LOCK_NAME}/");
                let req = RangeRequest {
                    key: pfx.clone().into_bytes(),
                    range_end: kv::prefix_end(pfx.as_bytes()),
                    sort_order: kv::SortOrder::Ascend,
                    sort_target: kv::SortTarget::Create,
                    ..Default::default()
                };
                let waiting: Vec<i64> = store
                    .range(&req)
                    .ok()?
                    .kvs
                    .iter()
                    .skip(1)
                    .map(|kv| kv.lease)
                    .collect();
                let lease = pick(&mut self.rng, &waiting)?;
                self.next_at = now
                    + self
                        .rng
                        .range_inclusive(self.cfg.quiet_ms.0, self.cfg.quiet_ms.1);
                return Some(LockFault::RevokeLease(lease));
            }
            0 | 1 => {
                // Isolate the leader (Jepsen's favourite for locks), or a random split.
                let n = if self.rng.chance(0.6) {
                    c.leader().or_else(|| pick(&mut self.rng, &ids))?
                } else {
                    pick(&mut self.rng, &ids)?
                };
                let rest: Vec<u64> = ids.iter().copied().filter(|m| *m != n).collect();
                let groups = if rest.is_empty() {
                    vec![vec![n]]
                } else {
                    vec![vec![n], rest]
                };
                (Action::Partition(groups), Action::Heal)
            }
            2 => {
                let n = pick(&mut self.rng, &up)?;
                (Action::Crash(n), Action::Restart(n))
            }
            3 => {
                let n = pick(&mut self.rng, &up)?;
                (Action::Pause(n), Action::Resume(n))
            }
            4 => {
                let drop = 5 + self.rng.below(25);
                let lossy = sim::LinkConfig {
                    drop_prob: drop as f64 / 100.0,
                    duplicate_prob: 0.1,
                    reorder: true,
                    latency_min_ms: 1,
                    latency_max_ms: 80,
                };
                let calm = sim::LinkConfig::default();
                (Action::SetNetwork(lossy), Action::SetNetwork(calm))
            }
            _ => {
                let a = pick(&mut self.rng, &ids)?;
                let others: Vec<u64> = ids.iter().copied().filter(|m| *m != a).collect();
                let b = pick(&mut self.rng, &others)?;
                (
                    Action::Cut { from: a, to: b },
                    Action::Restore { from: a, to: b },
                )
            }
        };
        self.undo = Some(undo);
        Some(LockFault::Cluster(fault))
    }
}

/// The driver of the lock workload: clients of [`EtcdClient::lock_with_session`] (etcdctl's
/// `lock`), each taking the lock, holding it a while and letting go.
struct LockDriver {
    client: EtcdClient,
    w: WorkloadConfig,
    rng: SimRng,
    out: Recording,
    clients: Vec<LockClient>,
    /// Lock call -> client index.
    calls: BTreeMap<CallId, usize>,
    /// Client events not looked at yet.
    events: Vec<ClientEvent>,
}

impl LockDriver {
    fn new(mut cluster: ClusterConfig, w: &WorkloadConfig) -> crate::Result<Self> {
        w.bugs.configure(&mut cluster);
        let seed = cluster.seed;
        let nodes = cluster.nodes;
        let mut client = EtcdClient::new(cluster)?;
        client.service_mut().set_planted_bugs(w.bugs);
        let mut rng = SimRng::sub(seed, 0x10C4_C11E);
        let clients = (0..w.clients)
            .map(|_| LockClient::Idle {
                next_at: 1_500 + rng.below(1_000),
            })
            .collect();
        Ok(LockDriver {
            client,
            w: w.clone(),
            rng,
            out: Recording {
                seed,
                nodes,
                ..Default::default()
            },
            clients,
            calls: BTreeMap::new(),
            events: Vec::new(),
        })
    }

    /// Routes what the service reported so far to the calls (events kept for `observe`).
    fn pump(&mut self) {
        let events = self.client.take_events();
        self.events.extend(events);
    }

    fn apply(&mut self, fault: LockFault) {
        match fault {
            LockFault::Cluster(action) => {
                // A fault that does not apply (a node already down) changes nothing.
                let _ = self.client.service_mut().cluster_mut().apply(action);
            }
            LockFault::RevokeLease(lease) => {
                let node = self.client.service().cluster().leader().unwrap_or(1);
                self.client.lease_revoke(node, lease);
            }
        }
        self.pump();
    }

    fn run(mut self) -> crate::Result<Recording> {
        let seed = self.out.seed;
        let mut nemesis = LockNemesis::new(seed, self.w.nemesis.clone());
        let load_end = self.w.duration_ms;
        let end = load_end + self.w.settle_ms;
        let mut healed = false;
        let mut guard = LoopGuard::new(end);
        loop {
            if guard.stop(&self.client, &mut self.out) {
                break;
            }
            let now = self.client.now();
            if now >= load_end && !healed {
                healed = true;
                if let Some(undo) = nemesis.undo.take() {
                    self.apply(LockFault::Cluster(undo));
                }
                for i in 0..self.clients.len() {
                    self.release(i, now);
                }
            }
            if !healed && nemesis.next_due() <= now {
                match nemesis.act(self.client.service().cluster()) {
                    Some(fault) => self.apply(fault),
                    None => nemesis.next_at = now + 500,
                }
            }
            if !healed {
                for i in 0..self.clients.len() {
                    self.tick_client(i, now);
                }
            }
            self.observe();
            let mut due = end;
            if !healed {
                due = due.min(nemesis.next_due()).min(load_end);
                for c in &self.clients {
                    match c {
                        LockClient::Idle { next_at } => due = due.min(*next_at),
                        LockClient::Holding { release_at, .. } => due = due.min(*release_at),
                        LockClient::Waiting { .. } => {}
                    }
                }
            }
            if !LoopGuard::advance(&mut self.client, due) {
                break;
            }
            self.observe();
        }
        let mut out = std::mem::take(&mut self.out);
        let c = self.client.service().cluster();
        finish(&mut out, c, load_end);
        let prefix = format!("{LOCK_NAME}/");
        if let Some(best) = most_advanced(c) {
            let sm = c.state_machine(best).expect("up");
            let end_key = kv::prefix_end(prefix.as_bytes());
            out.log = sm
                .store
                .events_since(1, prefix.as_bytes(), &end_key)
                .unwrap_or_default();
        }
        Ok(out)
    }

    fn tick_client(&mut self, i: usize, now: u64) {
        match self.clients[i] {
            LockClient::Idle { next_at } if next_at <= now => {
                let nodes = nodes_not_crashed(self.client.service().cluster());
                let Some(node) = pick(&mut self.rng, &nodes) else {
                    return;
                };
                let ttl = self.rng.range_inclusive(2, 3);
                let call = self
                    .client
                    .lock_with_session(node, LOCK_NAME.as_bytes(), ttl as i64);
                self.calls.insert(call, i);
                self.clients[i] = LockClient::Waiting { cmd: call };
                self.pump();
            }
            LockClient::Holding { release_at, .. } if release_at <= now => self.release(i, now),
            _ => {}
        }
    }

    /// Lets go of the lock (as Ctrl-C does: unlock and close the session).
    fn release(&mut self, i: usize, now: u64) {
        let call = match self.clients[i] {
            LockClient::Waiting { cmd } => cmd,
            LockClient::Holding { cmd, hold, .. } => {
                self.out.locks[hold].released_ms = Some(now);
                cmd
            }
            LockClient::Idle { .. } => return,
        };
        self.client.cancel(call);
        self.pump();
        let gap = self.rng.range_inclusive(100, 1_000);
        self.clients[i] = LockClient::Idle { next_at: now + gap };
    }

    /// Reads what the lock calls answered: an acquisition holds the lock; a call that ended
    /// (session expired, error) lets go.
    fn observe(&mut self) {
        self.pump();
        let prefix = format!("{LOCK_NAME}/");
        for e in std::mem::take(&mut self.events) {
            let Some(&i) = self.calls.get(&e.call) else {
                continue;
            };
            let ClientEventKind::Reply(Reply::Lock(lock)) = &e.kind else {
                continue;
            };
            let key = String::from_utf8_lossy(&lock.key).into_owned();
            if let LockClient::Waiting { cmd: c } = self.clients[i] {
                if c == e.call && key.starts_with(&prefix) {
                    let hold = self.out.locks.len();
                    self.out.locks.push(LockHold {
                        client: i as u32 + 1,
                        key,
                        acquired_ms: e.at_ms,
                        released_ms: None,
                    });
                    // Short holds, and long ones that outlive a session TTL under a partition.
                    let hold_ms = if self.rng.chance(0.5) {
                        self.rng.range_inclusive(200, 1_500)
                    } else {
                        self.rng.range_inclusive(2_000, 6_000)
                    };
                    let release_at = e.at_ms + hold_ms;
                    self.clients[i] = LockClient::Holding {
                        cmd: e.call,
                        hold,
                        release_at,
                    };
                }
            }
        }
        // Calls that ended on their own.
        for i in 0..self.clients.len() {
            let call = match self.clients[i] {
                LockClient::Waiting { cmd } | LockClient::Holding { cmd, .. } => cmd,
                LockClient::Idle { .. } => continue,
            };
            if !self.client.is_open(call) {
                let now = self.client.now();
                if let LockClient::Holding { hold, .. } = self.clients[i] {
                    self.out.locks[hold].released_ms = Some(now);
                }
                let gap = self.rng.range_inclusive(100, 1_000);
                self.clients[i] = LockClient::Idle { next_at: now + gap };
            }
        }
    }
}
