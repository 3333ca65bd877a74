//! A typed client for everything etcd's v3 API offers, over the simulated [`Service`].
//!
//! Each call names the member it talks to (the endpoint) and returns a [`CallId`] at once; its
//! answer comes later as an [`Event`] from [`Client::take_events`], as virtual time passes
//! ([`Client::step`], [`Client::run_until`]). Unary calls (put, range, ...) end with one
//! [`EventKind::Reply`] or [`EventKind::Failed`]; streams (watch, keep-alive, observe) yield a
//! reply per message until they fail, close or are cancelled ([`Client::cancel`]).
//!
//! Requests and responses mirror etcd's protobuf messages ([`types`]), so a gRPC server maps
//! each call 1:1. The client also holds what etcd's client library does on the client side:
//! the keep-alive loop, the lock and election recipes of `client/v3/concurrency` (with a
//! session that keeps its lease alive), and the observe loop.
//!
//! ```
//! use etcd::client::{Client, EventKind, PutRequest, Reply};
//! let mut c = Client::new(sim::ClusterConfig::new(3, 7)).unwrap();
//! c.run_until(3_000).unwrap(); // a leader is elected
//! let leader = c.service().cluster().leader().unwrap();
//! let call = c.put(leader, PutRequest { key: b"k".to_vec(), value: b"v".to_vec(), ..Default::default() });
//! let ev = c.wait(call, 5_000).unwrap().unwrap();
//! assert!(matches!(ev.kind, EventKind::Reply(Reply::Put(_))));
//! ```

mod cluster;
mod pump;
mod recipe;
mod reply;
mod streams;
pub mod types;

use std::collections::{BTreeMap, VecDeque};

use sim::ClusterConfig;

use crate::error::Result;
use crate::machine::EtcdRequest;
use crate::service::{OpId, Service};

pub use pump::{Observed, Observing};
pub use recipe::{RecipeKind, SESSION_TTL};
pub use types::*;

/// Identifies a call of the client.
pub type CallId = u64;

/// The answer to a call, or one message of a stream, in etcd's message shapes.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `Range`.
    Range(RangeResponse),
    /// `Put`.
    Put(PutResponse),
    /// `DeleteRange`.
    DeleteRange(DeleteRangeResponse),
    /// `Txn`.
    Txn(TxnResponse),
    /// `Compact`.
    Compaction(CompactionResponse),
    /// One message of a watch stream.
    Watch(WatchResponse),
    /// `LeaseGrant`.
    LeaseGrant(LeaseGrantResponse),
    /// `LeaseRevoke`.
    LeaseRevoke(LeaseRevokeResponse),
    /// One renewal of a keep-alive stream (or the answer of `lease_keep_alive_once`).
    LeaseKeepAlive(LeaseKeepAliveResponse),
    /// `LeaseTimeToLive`.
    LeaseTimeToLive(LeaseTimeToLiveResponse),
    /// `LeaseLeases`.
    LeaseLeases(LeaseLeasesResponse),
    /// v3lock `Lock`: the lock is held.
    Lock(LockResponse),
    /// v3lock `Unlock`.
    Unlock(UnlockResponse),
    /// v3election `Campaign`: leadership won.
    Campaign(CampaignResponse),
    /// v3election `Proclaim`.
    Proclaim(ProclaimResponse),
    /// v3election `Leader`.
    Leader(LeaderResponse),
    /// One message of an observe stream: the election's first-created key as the range read
    /// that found it (what `concurrency.Election.Observe` yields; v3election's `Observe`
    /// sends [`LeaderResponse`]s, see [`RangeResponse`]'s first kv).
    Observe(RangeResponse),
    /// v3election `Resign`.
    Resign(ResignResponse),
    /// `MemberList`.
    MemberList(MemberListResponse),
    /// `MemberAdd`.
    MemberAdd(MemberAddResponse),
    /// `MemberRemove`.
    MemberRemove(MemberRemoveResponse),
    /// `MemberPromote`.
    MemberPromote(MemberPromoteResponse),
    /// `MemberUpdate`.
    MemberUpdate(MemberUpdateResponse),
    /// `MoveLeader`.
    MoveLeader(MoveLeaderResponse),
    /// `Status`.
    Status(StatusResponse),
    /// `HashKV`.
    HashKv(HashKvResponse),
    /// A member's health.
    Health(HealthResponse),
}

/// What happened to a call.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A unary call's answer (the call is over), or a stream's next message.
    Reply(Reply),
    /// A long call waits its turn: a lock or campaign queued behind another key, a keep-alive
    /// retrying after an error. It goes on.
    Waiting,
    /// The call failed with etcd's error text; it yields nothing more.
    Failed(String),
    /// A stream ended on its own: a keep-alive whose lease is gone.
    Closed,
    /// A timer of [`Client::after`] went off.
    Elapsed,
}

/// An event of a call, with the virtual time it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Virtual time (ms).
    pub at_ms: u64,
    /// The call.
    pub call: CallId,
    /// What happened.
    pub kind: EventKind,
}

/// How a unary call's operation result becomes a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unary {
    Put,
    Range,
    DeleteRange,
    Txn,
    Compaction,
    LeaseGrant,
    LeaseRevoke,
    KeepAliveOnce(i64),
    TimeToLive,
    Leases,
    Health,
    Unlock,
    Proclaim,
    Resign,
    Leader,
}

/// What an operation was started for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Unary(Unary),
    Watch,
    KeepAlive,
    SessionGrant,
    SessionKeepAlive,
    AcquireTxn,
    /// A campaign whose key existed with another value proclaims the new one first.
    CampaignProclaim,
    WaitGet,
    WaitDelete,
    Recheck,
    ObserveGet,
    ObserveWatch,
    /// An answer nobody waits for (unlock and revoke when a recipe is cancelled).
    Ignore,
}

impl Purpose {
    /// Operations that keep delivering after their `Done` (watches).
    fn streams(self) -> bool {
        matches!(
            self,
            Purpose::Watch | Purpose::WaitDelete | Purpose::ObserveWatch
        )
    }
}

/// Timers of long calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    Elapsed,
    KeepAlive,
    SessionKeepAlive,
    Membership,
}

/// A long call in progress.
#[derive(Clone, Debug)]
enum Call {
    Watch { op: OpId },
    KeepAlive(streams::KeepAlive),
    Recipe(Box<recipe::Recipe>),
    Observe(streams::Observe),
    Membership(cluster::Membership),
    Timer,
}

/// The typed client (it owns the service it talks to). A clone goes on as the original would.
#[derive(Clone)]
pub struct Client {
    service: Service,
    next_call: CallId,
    calls: BTreeMap<CallId, Box<Call>>,
    /// Unary calls still waiting: their operation.
    unary: BTreeMap<CallId, OpId>,
    ops: BTreeMap<OpId, Box<(CallId, Purpose)>>,
    timers: BTreeMap<(u64, u64), Box<(CallId, Timer)>>,
    timer_seq: u64,
    events: VecDeque<Event>,
    observed: Vec<Observed>,
    observing: Observing,
    members: cluster::Members,
}

impl Client {
    /// A client over a fresh cluster.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(config: ClusterConfig) -> Result<Self> {
        Ok(Self::over(Service::new(config)?))
    }

    /// A client over `service`.
    pub fn over(service: Service) -> Self {
        Client {
            service,
            next_call: 1,
            calls: BTreeMap::new(),
            unary: BTreeMap::new(),
            ops: BTreeMap::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            events: VecDeque::new(),
            observed: Vec::new(),
            observing: Observing::Everything,
            members: cluster::Members::default(),
        }
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The service, for faults and settings.
    pub fn service_mut(&mut self) -> &mut Service {
        &mut self.service
    }

    /// Virtual time.
    pub fn now(&self) -> u64 {
        self.service.now()
    }

    /// Virtual time of the next thing that happens (a service event or a client timer).
    pub fn next_time(&self) -> u64 {
        let t = self.timers.keys().next().map_or(u64::MAX, |(t, _)| *t);
        t.min(self.service.next_time())
    }

    /// Runs the next event: a client timer (keep-alive, session, retry), else the service's.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn step(&mut self) -> Result<()> {
        let timer = self.timers.keys().next().map(|(t, _)| *t);
        match timer {
            Some(t) if t <= self.service.next_time() => {
                self.service.run_until(t)?;
                if let Some(((_, _), entry)) = self.timers.pop_first() {
                    let (call, timer) = *entry;
                    self.on_timer(call, timer);
                }
            }
            _ => self.service.step()?,
        }
        self.pump();
        Ok(())
    }

    /// Runs every event up to virtual time `t`.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_until(&mut self, t: u64) -> Result<()> {
        while self.next_time() <= t {
            self.step()?;
        }
        self.service.run_until(t)?;
        self.pump();
        Ok(())
    }

    /// Events since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.pump();
        match self.events.is_empty() {
            true => Vec::new(),
            false => self.events.drain(..).collect(),
        }
    }

    /// The service operation behind a unary call or a watch (for recorders keyed by
    /// operation id), while it is open.
    pub fn op_of(&self, call: CallId) -> Option<OpId> {
        match self.calls.get(&call).map(|c| &**c) {
            Some(Call::Watch { op }) => Some(*op),
            _ => self.unary.get(&call).copied(),
        }
    }

    /// Whether `call` is a long call still in progress.
    pub fn is_open(&self, call: CallId) -> bool {
        self.calls.contains_key(&call)
    }

    /// Keeps a call's state. Boxed, so that this map shares its code with the other maps of
    /// boxed values in the wasm bundle (docs/performance.md).
    fn insert_call(&mut self, call: CallId, c: Call) {
        self.calls.insert(call, Box::new(c));
    }

    /// Runs until `call` has an event (or `limit_ms` pass) and returns its first one; other
    /// events stay queued.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn wait(&mut self, call: CallId, limit_ms: u64) -> Result<Option<Event>> {
        let deadline = self.now().saturating_add(limit_ms);
        loop {
            self.pump();
            if let Some(i) = self.events.iter().position(|e| e.call == call) {
                return Ok(self.events.remove(i));
            }
            if self.next_time() > deadline {
                return Ok(None);
            }
            self.step()?;
        }
    }

    // ---- KV ----

    /// `Range` at `node`: linearizable, or served from `node`'s state with `serializable`.
    pub fn range(&mut self, node: u64, req: RangeRequest) -> CallId {
        let s = req.serializable;
        let op = self.service.range(node, req, s);
        self.unary_call(op, Unary::Range)
    }

    /// `Put` through `node`.
    pub fn put(&mut self, node: u64, req: PutRequest) -> CallId {
        self.write(node, EtcdRequest::Put(req), Unary::Put)
    }

    /// `DeleteRange` through `node`.
    pub fn delete_range(&mut self, node: u64, req: DeleteRangeRequest) -> CallId {
        self.write(node, EtcdRequest::DeleteRange(req), Unary::DeleteRange)
    }

    /// `Txn` through `node`.
    pub fn txn(&mut self, node: u64, req: TxnRequest) -> CallId {
        self.write(node, EtcdRequest::Txn(req), Unary::Txn)
    }

    /// `Compact` through `node`.
    pub fn compact(&mut self, node: u64, req: CompactionRequest) -> CallId {
        let rev = req.revision;
        self.write(node, EtcdRequest::Compaction { rev }, Unary::Compaction)
    }

    // ---- Lease ----

    /// `LeaseGrant` through `node`.
    pub fn lease_grant(&mut self, node: u64, req: LeaseGrantRequest) -> CallId {
        let op = self.service.lease_grant(node, req.id, req.ttl);
        self.unary_call(op, Unary::LeaseGrant)
    }

    /// `LeaseRevoke` of lease `id` through `node`.
    pub fn lease_revoke(&mut self, node: u64, id: i64) -> CallId {
        self.write(node, EtcdRequest::LeaseRevoke { id }, Unary::LeaseRevoke)
    }

    /// One keep-alive of lease `id` through `node` (etcd's `KeepAliveOnce`).
    pub fn lease_keep_alive_once(&mut self, node: u64, id: i64) -> CallId {
        let op = self.service.lease_keepalive(node, id);
        self.unary_call(op, Unary::KeepAliveOnce(id))
    }

    /// `LeaseTimeToLive` through `node`.
    pub fn lease_time_to_live(&mut self, node: u64, req: LeaseTimeToLiveRequest) -> CallId {
        let op = self.service.lease_time_to_live(node, req.id, req.keys);
        self.unary_call(op, Unary::TimeToLive)
    }

    /// `LeaseLeases` through `node`.
    pub fn lease_leases(&mut self, node: u64) -> CallId {
        let op = self.service.lease_list(node);
        self.unary_call(op, Unary::Leases)
    }

    // ---- Maintenance ----

    /// A member's health: a linearizable read through it, as etcdctl's `endpoint health`.
    pub fn health(&mut self, node: u64) -> CallId {
        let req = RangeRequest {
            key: b"health".to_vec(),
            ..Default::default()
        };
        let op = self.service.range(node, req, false);
        self.unary_call(op, Unary::Health)
    }

    // ---- timers ----

    /// A timer: [`EventKind::Elapsed`] after `ms` of virtual time (cancellable).
    pub fn after(&mut self, ms: u64) -> CallId {
        let call = self.new_call();
        self.insert_call(call, Call::Timer);
        let at = self.now() + ms;
        self.schedule(at, call, Timer::Elapsed);
        call
    }

    /// Cancels a long call (watch, keep-alive, lock, campaign, observe, timer, a membership
    /// change waiting its turn), as a client that goes away does: a lock or campaign deletes
    /// its key and revokes its session's lease. Unary calls cannot be cancelled (their answer
    /// still comes). Returns whether the call was in progress.
    pub fn cancel(&mut self, call: CallId) -> bool {
        let Some(c) = self.calls.get(&call).map(|c| &**c).cloned() else {
            return false;
        };
        if let Call::Recipe(r) = &c {
            self.recipe_cleanup(call, r);
        }
        self.end(call);
        true
    }

    // ---- internals ----

    fn new_call(&mut self) -> CallId {
        let c = self.next_call;
        self.next_call += 1;
        c
    }

    fn unary_call(&mut self, op: OpId, kind: Unary) -> CallId {
        let call = self.new_call();
        self.unary.insert(call, op);
        self.track(op, call, Purpose::Unary(kind));
        call
    }

    fn write(&mut self, node: u64, req: EtcdRequest, kind: Unary) -> CallId {
        let op = self.service.write(node, req);
        self.unary_call(op, kind)
    }

    fn track(&mut self, op: OpId, call: CallId, purpose: Purpose) {
        self.ops.insert(op, Box::new((call, purpose)));
    }

    fn schedule(&mut self, at: u64, call: CallId, timer: Timer) {
        self.timers
            .insert((at, self.timer_seq), Box::new((call, timer)));
        self.timer_seq += 1;
    }

    fn emit(&mut self, call: CallId, kind: EventKind) {
        let at_ms = self.now();
        self.events.push_back(Event { at_ms, call, kind });
    }

    fn reply(&mut self, call: CallId, r: Reply) {
        self.emit(call, EventKind::Reply(r));
    }

    /// Ends a long call with an error.
    fn fail(&mut self, call: CallId, msg: &str) {
        self.emit(call, EventKind::Failed(msg.to_string()));
        self.end(call);
    }

    /// Forgets a long call: its watches are cancelled, its timers dropped.
    fn end(&mut self, call: CallId) {
        if let Some(c) = self.calls.remove(&call).map(|c| *c) {
            let watches: Vec<OpId> = match &c {
                Call::Watch { op } => vec![*op],
                Call::Recipe(r) => r.watch.into_iter().collect(),
                Call::Observe(o) => o.watch.into_iter().collect(),
                _ => Vec::new(),
            };
            for op in watches {
                self.service.cancel_watch(op);
            }
        }
        self.timers.retain(|_, t| t.0 != call);
    }

    fn on_timer(&mut self, call: CallId, timer: Timer) {
        match timer {
            Timer::Elapsed => {
                self.emit(call, EventKind::Elapsed);
                self.end(call);
            }
            Timer::KeepAlive => self.keepalive_timer(call),
            Timer::SessionKeepAlive => self.session_timer(call),
            Timer::Membership => self.membership_timer(call),
        }
    }
}
