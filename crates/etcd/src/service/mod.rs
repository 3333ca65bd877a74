//! etcd's request lifecycle on the simulated cluster.
//!
//! A client operation is started at one member (the endpoint the client talks to) and ends in
//! an [`OpEvent`]: writes go through Raft and are answered when that member applies them; reads
//! go through ReadIndex (or are served locally when serializable); lease keep-alives and
//! time-to-live queries confirm the member reaches a leader (ReadIndex), then ask the leader's
//! lessor, as etcd forwards them to the leader. Watches live on the member's hub and stream
//! responses as it applies writes.

mod hooks;
mod lease;

pub use hooks::ExpiryRevoke;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use kv::{RangeRequest, WatchCreateRequest, WatchResponse};
use sim::{Cluster, ClusterConfig, NodeStatus, Outcome, RequestError, RequestId};

use crate::error::{Error, Result};
use crate::ids;
use crate::machine::{Answer, AppliedWrite, EtcdMachine, EtcdQuery, EtcdRequest};

/// Identifies a client operation.
pub type OpId = u64;

/// etcd's response header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// Cluster id.
    pub cluster_id: u64,
    /// Id of the member that answered.
    pub member_id: u64,
    /// Store revision.
    pub revision: i64,
    /// Raft term of the member.
    pub raft_term: u64,
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum OpResult {
    /// A write was applied (its response, or etcd's error for it).
    Write(Header, AppliedWrite),
    /// A read was served.
    Read(Header, Answer),
    /// A keep-alive renewed the lease for this TTL.
    KeepAlive(Header, i64),
    /// A time-to-live answer.
    TimeToLive(Header, kv::LeaseInfo),
    /// Lease ids.
    Leases(Header, Vec<i64>),
    /// A watch was created (responses follow as [`OpEvent::Watch`]).
    WatchCreated(i64),
    /// The operation failed (etcd's error text).
    Failed(String),
}

/// Something the service reports about an operation.
#[derive(Clone, Debug, PartialEq)]
pub enum OpEvent {
    /// The operation ended.
    Done(OpId, OpResult),
    /// A watch response for a watch operation.
    Watch(OpId, Header, WatchResponse),
    /// A watch ended because its member crashed.
    WatchLost(OpId, String),
}

#[derive(Clone, Debug)]
enum Pending {
    Write,
    Read,
    KeepAlive(i64),
    TimeToLive(i64, bool),
    Leases,
}

/// The etcd service over a simulated cluster.
#[derive(Clone)]
pub struct Service {
    cluster: Cluster<EtcdMachine>,
    seed: u64,
    min_lease_ttl: i64,
    leases_granted: u64,
    next_op: OpId,
    requests: BTreeMap<RequestId, Box<(OpId, u64, Pending)>>,
    watches: BTreeMap<(u64, i64), OpId>,
    events: VecDeque<OpEvent>,
    next_lease_check: u64,
    /// Interval of watch progress notifications.
    progress_interval_ms: u64,
    /// Next progress tick, while some watcher asked for progress notifications.
    next_progress: Option<u64>,
    primaries: BTreeSet<u64>,
    elections_seen: usize,
    /// Planted bugs (off by default) and the expiry-revoke record; see `crate::planted`.
    pub(crate) hooks: hooks::Hooks,
}

/// Interval of the leader's lease expiry check (etcd's lessor loop runs every 500 ms).
pub const LEASE_CHECK_MS: u64 = 500;

/// Interval of watch progress notifications: etcd's default for
/// `--experimental-watch-progress-notify-interval`, 10 minutes.
pub const WATCH_PROGRESS_NOTIFY_MS: u64 = 10 * 60 * 1000;

/// Largest request etcd accepts (1.5 MiB).
pub const MAX_REQUEST_BYTES: usize = 3 * 512 * 1024;

impl Service {
    /// A fresh cluster serving etcd.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(config: ClusterConfig) -> Result<Self> {
        let seed = config.seed;
        // etcd's minimum lease TTL: ceil(1.5 * election timeout), in seconds.
        let min_lease_ttl = ((config.election_timeout_ms() * 3).div_ceil(2)).div_ceil(1000) as i64;
        let cluster = Cluster::new(config)?;
        Ok(Service {
            cluster,
            seed,
            min_lease_ttl: min_lease_ttl.max(1),
            leases_granted: 0,
            next_op: 1,
            requests: BTreeMap::new(),
            watches: BTreeMap::new(),
            events: VecDeque::new(),
            next_lease_check: LEASE_CHECK_MS,
            progress_interval_ms: WATCH_PROGRESS_NOTIFY_MS,
            next_progress: None,
            primaries: BTreeSet::new(),
            elections_seen: 0,
            hooks: Default::default(),
        })
    }

    /// The cluster underneath.
    pub fn cluster(&self) -> &Cluster<EtcdMachine> {
        &self.cluster
    }

    /// The cluster underneath, for faults.
    pub fn cluster_mut(&mut self) -> &mut Cluster<EtcdMachine> {
        &mut self.cluster
    }

    /// Current virtual time.
    pub fn now(&self) -> u64 {
        self.cluster.now()
    }

    /// The minimum lease TTL in seconds.
    pub fn min_lease_ttl(&self) -> i64 {
        self.min_lease_ttl
    }

    /// Seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Sets the interval of watch progress notifications (etcd's
    /// `--experimental-watch-progress-notify-interval`; 10 minutes unless set).
    pub fn set_progress_interval(&mut self, ms: u64) {
        self.progress_interval_ms = ms.max(1);
        if let Some(next) = self.next_progress.as_mut() {
            *next = (*next).min(self.cluster.now() + self.progress_interval_ms);
        }
    }

    /// The service's own timers: the lease check, and the progress tick while one is wanted.
    fn next_timer(&self) -> u64 {
        self.next_lease_check
            .min(self.next_progress.unwrap_or(u64::MAX))
    }

    /// Virtual time of the next thing that happens (cluster event, lease check, progress tick).
    pub fn next_time(&self) -> u64 {
        let c = self.cluster.next_event_time().unwrap_or(u64::MAX);
        c.min(self.next_timer())
    }

    /// Runs the next event (a cluster event, the lease check or the progress tick).
    ///
    /// # Errors
    /// An invariant violation.
    pub fn step(&mut self) -> Result<()> {
        // PLANTED BUG (store bugs, off by default): planted in the stores while they apply.
        kv::planted::scoped(self.hooks.store_bugs(), || self.step_planted())
    }

    fn step_planted(&mut self) -> Result<()> {
        let c = self.cluster.next_event_time().unwrap_or(u64::MAX);
        let timer = self.next_timer();
        if timer < c {
            self.cluster.run_until(timer)?;
            if self.next_lease_check == timer {
                self.lease_tick();
                self.next_lease_check = self.now() + LEASE_CHECK_MS;
            }
            if self.next_progress == Some(timer) {
                self.progress_tick();
            }
        } else {
            self.cluster.step()?;
            self.sync_primaries();
        }
        self.collect();
        Ok(())
    }

    /// Runs every event up to `t`.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_until(&mut self, t: u64) -> Result<()> {
        while self.next_time() <= t {
            self.step()?;
        }
        self.cluster.run_until(t)?;
        self.collect();
        Ok(())
    }

    /// Whether events wait to be taken ([`Service::take_events`]).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<OpEvent> {
        self.events.drain(..).collect()
    }

    fn new_op(&mut self) -> OpId {
        let id = self.next_op;
        self.next_op += 1;
        id
    }

    /// The response header of `node` at `revision`.
    pub fn header(&self, node: u64, revision: i64) -> Header {
        Header {
            cluster_id: ids::cluster_id(self.seed),
            member_id: ids::member_id(self.seed, node),
            revision,
            raft_term: self.cluster.role(node).map_or(0, |r| r.1),
        }
    }

    fn fail_now(&mut self, op: OpId, msg: String) -> OpId {
        self.events
            .push_back(OpEvent::Done(op, OpResult::Failed(msg)));
        op
    }

    /// Proposes a write at `node`.
    pub fn write(&mut self, node: u64, req: EtcdRequest) -> OpId {
        let op = self.new_op();
        // etcd's limit: the marshalled InternalRaftRequest (the entry's bytes here).
        let data = req.encode();
        if data.len() > MAX_REQUEST_BYTES {
            return self.fail_now(op, "etcdserver: request is too large".into());
        }
        if self.cluster.status(node).is_err() {
            return self.fail_now(op, format!("no member {node}"));
        }
        let rid = self.cluster.propose(node, data);
        self.requests
            .insert(rid, Box::new((op, node, Pending::Write)));
        self.collect();
        op
    }

    /// Grants a lease at `node` (`id` 0: the server picks one). TTLs below the minimum are
    /// raised to it, as etcd does.
    pub fn lease_grant(&mut self, node: u64, id: i64, ttl: i64) -> OpId {
        let id = if id == 0 {
            self.leases_granted += 1;
            ids::lease_id(self.seed, self.leases_granted)
        } else {
            id
        };
        if ttl > 9_000_000_000 {
            let op = self.new_op();
            return self.fail_now(op, "etcdserver: too large lease TTL".into());
        }
        let ttl = ttl.max(self.min_lease_ttl);
        self.write(node, EtcdRequest::LeaseGrant { id, ttl })
    }

    fn read_index(&mut self, node: u64, query: EtcdQuery, pending: Pending) -> OpId {
        let op = self.new_op();
        if self.cluster.status(node).is_err() {
            return self.fail_now(op, format!("no member {node}"));
        }
        let rid = self.cluster.read(node, query);
        self.requests.insert(rid, Box::new((op, node, pending)));
        self.collect();
        op
    }

    /// A range read at `node`: linearizable (ReadIndex) or serializable (local, maybe stale).
    pub fn range(&mut self, node: u64, req: RangeRequest, serializable: bool) -> OpId {
        // PLANTED BUG (FollowerLocalRead, LeaderLocalRead, off by default): skip ReadIndex.
        let leads = self
            .cluster
            .role(node)
            .is_some_and(|r| r.0 == sim::Role::Leader);
        let serializable = serializable || self.hooks.read_locally(leads);
        if !serializable {
            return self.read_index(node, EtcdQuery::Range(req), Pending::Read);
        }
        let op = self.new_op();
        // PLANTED BUG (store bugs, off by default): planted in the store that answers.
        let answer = kv::planted::scoped(self.hooks.store_bugs(), || {
            self.cluster.read_local(node, &EtcdQuery::Range(req))
        });
        match answer {
            Ok(answer) => {
                let h = self.header(node, answer.revision);
                self.events
                    .push_back(OpEvent::Done(op, OpResult::Read(h, answer)));
            }
            Err(e) => {
                self.fail_now(op, Self::sim_error(&e));
            }
        }
        op
    }

    /// Renews lease `id` through `node` (which must reach a leader).
    pub fn lease_keepalive(&mut self, node: u64, id: i64) -> OpId {
        self.read_index(node, EtcdQuery::Revision, Pending::KeepAlive(id))
    }

    /// Time-to-live of lease `id`, asked through `node`.
    pub fn lease_time_to_live(&mut self, node: u64, id: i64, keys: bool) -> OpId {
        self.read_index(node, EtcdQuery::Revision, Pending::TimeToLive(id, keys))
    }

    /// Every lease, asked through `node`.
    pub fn lease_list(&mut self, node: u64) -> OpId {
        self.read_index(node, EtcdQuery::Revision, Pending::Leases)
    }

    /// Creates a watch on `node`'s hub.
    pub fn watch(&mut self, node: u64, req: WatchCreateRequest) -> OpId {
        let op = self.new_op();
        let store_ok = self.cluster.status(node).ok() == Some(NodeStatus::Up)
            || self.cluster.status(node).ok() == Some(NodeStatus::Paused);
        if !store_ok {
            return self.fail_now(op, format!("node {node} is down: connection refused"));
        }
        let bugs = self.hooks.store_bugs();
        let sm = self.cluster.state_machine_mut(node).expect("up");
        // PLANTED BUG (store bugs, off by default): planted in the store the history comes from.
        match kv::planted::scoped(bugs, || sm.hub.create(&sm.store, &req)) {
            Ok(wid) => {
                self.watches.insert((node, wid), op);
                if req.progress_notify && self.next_progress.is_none() {
                    self.next_progress = Some(self.cluster.now() + self.progress_interval_ms);
                }
                self.events
                    .push_back(OpEvent::Done(op, OpResult::WatchCreated(wid)));
                self.collect();
            }
            Err(e) => {
                self.fail_now(op, e.grpc_message());
            }
        }
        op
    }

    /// Cancels a watch operation.
    pub fn cancel_watch(&mut self, op: OpId) {
        let keys: Vec<(u64, i64)> = self
            .watches
            .iter()
            .filter(|(_, o)| **o == op)
            .map(|(k, _)| *k)
            .collect();
        for (node, wid) in keys {
            self.watches.remove(&(node, wid));
            if let Ok(sm) = self.cluster.state_machine_mut(node) {
                let _ = sm.hub.cancel(wid);
                sm.hub.take_responses();
            }
        }
    }

    /// Every member's progress ticker (etcd's watch stream ticker): each watcher that asked for
    /// progress notifications and got no events since the last tick gets an empty response at
    /// its member's current revision. The ticker stops once no watcher asks any more.
    fn progress_tick(&mut self) {
        let nodes = order::set(self.watches.keys().map(|(n, _)| *n));
        let mut wanted = false;
        for node in nodes {
            if self.cluster.status(node).ok() != Some(NodeStatus::Up) {
                continue;
            }
            if let Ok(sm) = self.cluster.state_machine_mut(node) {
                if sm.hub.wants_progress() {
                    wanted = true;
                    let revision = sm.store.current_revision();
                    sm.hub.progress(revision);
                }
            }
        }
        self.next_progress = wanted.then(|| self.cluster.now() + self.progress_interval_ms);
    }

    fn sim_error(e: &sim::Error) -> String {
        match e {
            sim::Error::NodeNotUp(n, _) => format!("node {n} is down: connection refused"),
            other => other.to_string(),
        }
    }

    fn request_error(e: &RequestError) -> String {
        match e {
            RequestError::Timeout => "context deadline exceeded".into(),
            other => other.to_string(),
        }
    }

    /// Routes completions and watch responses into events.
    fn collect(&mut self) {
        for c in self.cluster.take_completions() {
            let Some((op, node, pending)) = self.requests.remove(&c.id).map(|r| *r) else {
                continue;
            };
            let result = match (c.outcome, pending) {
                (Outcome::Failed(e), _) => OpResult::Failed(Self::request_error(&e)),
                (
                    Outcome::Written {
                        output: Some(applied),
                        ..
                    },
                    _,
                ) => OpResult::Write(self.header(node, applied.revision), applied),
                (Outcome::Written { output: None, .. }, _) => {
                    OpResult::Failed("etcdserver: empty request".into())
                }
                (Outcome::Read { answer, .. }, Pending::Read) => {
                    OpResult::Read(self.header(node, answer.revision), answer)
                }
                (Outcome::Read { answer, .. }, Pending::KeepAlive(id)) => {
                    self.renew(node, answer.revision, id)
                }
                (Outcome::Read { answer, .. }, Pending::TimeToLive(id, keys)) => {
                    self.time_to_live(node, answer.revision, id, keys)
                }
                (Outcome::Read { answer, .. }, Pending::Leases) => {
                    self.leases(node, answer.revision)
                }
                (Outcome::Read { .. }, Pending::Write) => {
                    OpResult::Failed("unexpected read".into())
                }
            };
            self.events.push_back(OpEvent::Done(op, result));
        }
        if self.watches.is_empty() {
            return;
        }
        // Each node with watches, ascending, without collecting them first (this runs after
        // every step): a node's turn only removes watches of that node.
        let mut next = self.watches.keys().next().map(|(n, _)| *n);
        while let Some(node) = next {
            next = node.checked_add(1).and_then(|after| {
                let mut rest = self.watches.range((after, i64::MIN)..);
                rest.next().map(|((n, _), _)| *n)
            });
            match self.cluster.state_machine_mut(node) {
                Ok(sm) => {
                    let responses = sm.hub.take_responses();
                    for mut r in responses {
                        // PLANTED BUG (DropWatchEvent, off by default): lose one event.
                        if !self.hooks.filter_watch(&mut r) {
                            continue;
                        }
                        if let Some(op) = self.watches.get(&(node, r.watch_id)).copied() {
                            if r.canceled {
                                self.watches.remove(&(node, r.watch_id));
                            }
                            let h = self.header(node, r.revision);
                            self.events.push_back(OpEvent::Watch(op, h, r));
                        }
                    }
                }
                Err(_) => {
                    let lost: Vec<(u64, i64)> = self
                        .watches
                        .keys()
                        .filter(|(n, _)| *n == node)
                        .copied()
                        .collect();
                    for k in lost {
                        if let Some(op) = self.watches.remove(&k) {
                            self.events.push_back(OpEvent::WatchLost(
                                op,
                                format!("watch closed: node {node} is down"),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Ensures the request id space is consistent (for tests).
    pub fn pending_requests(&self) -> usize {
        self.requests.len()
    }

    /// Runs until `op` has ended (or `limit_ms` pass); returns its result.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn wait(&mut self, op: OpId, limit_ms: u64) -> Result<Option<OpResult>> {
        let deadline = self.now() + limit_ms;
        let mut kept = Vec::new();
        let mut found = None;
        loop {
            for e in self.take_events() {
                match e {
                    OpEvent::Done(o, r) if o == op && found.is_none() => found = Some(r),
                    other => kept.push(other),
                }
            }
            if found.is_some() || self.next_time() > deadline {
                break;
            }
            self.step()?;
        }
        for e in kept.into_iter().rev() {
            self.events.push_front(e);
        }
        Ok(found)
    }
}

impl From<Error> for String {
    fn from(e: Error) -> String {
        e.to_string()
    }
}
