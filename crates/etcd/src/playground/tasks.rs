//! Commands as explicit state machines: what each one waits for and what it does next.

use kv::{
    Compare, CompareResult, DeleteRangeRequest, EventType, PutRequest, RangeRequest, RequestOp,
    ResponseOp, SortOrder, SortTarget, TxnRequest, WatchCreateRequest,
};
use serde::Serialize;

use super::render::Render;
use super::session::{Health, Session};
use super::{CommandId, Playground};
use crate::ctl::{self, Command, Invocation, OutputFormat};
use crate::machine::{EtcdRequest, EtcdResponse};
use crate::service::{OpEvent, OpId, OpResult};

/// What an operation was started for.
#[derive(Clone, Debug)]
pub(crate) enum Purpose {
    /// The one request of a short command.
    Single(Render),
    /// A watch command's watch.
    Watch,
    /// A keep-alive command's keep-alive.
    KeepAlive,
    /// A session's lease grant.
    SessionGrant,
    /// A session's keep-alive.
    SessionKeepAlive,
    /// The lock/campaign transaction.
    AcquireTxn,
    /// Looking for the key created just before ours.
    WaitGet,
    /// Watching that key's deletion.
    WaitDelete,
    /// Checking our own key still exists (lock) or reading it to print (elect).
    Recheck,
    /// Observe: reading the current leader.
    ObserveGet,
    /// Observe: watching the election prefix.
    ObserveWatch,
    /// A request whose answer nobody waits for (unlock, resign, session close).
    Ignore,
    /// `endpoint health`'s read through one member.
    Health(u64),
}

/// Timers of long-running commands.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timer {
    /// `sleep` is over.
    Sleep,
    /// Time for the next keep-alive of a `lease keep-alive` command.
    KeepAlive,
    /// Time for the next session keep-alive.
    SessionKeepAlive,
    /// Time to retry a membership change.
    Membership,
}

/// Lock and election recipes (etcd `client/v3/concurrency`).
#[derive(Clone, Debug)]
pub(crate) struct Recipe {
    pub kind: RecipeKind,
    pub session: Session,
    pub prefix: String,
    pub key: String,
    pub value: String,
    pub my_rev: i64,
    pub phase: Phase,
    pub watch: Option<OpId>,
    /// How etcdctl prints the key once held (`-w`).
    pub format: OutputFormat,
}

/// Lock or campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecipeKind {
    /// `lock name`.
    Lock,
    /// `elect name proposal`.
    Campaign,
}

/// Where a recipe is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Granting the session lease.
    Granting,
    /// Creating our key.
    Creating,
    /// Queued behind earlier keys.
    Waiting,
    /// Holding the lock / leading the election.
    Holding,
}

/// A running command.
#[derive(Clone, Debug)]
pub(crate) enum Task {
    /// Waits for one request.
    Single,
    /// `watch`.
    Watch {
        op: OpId,
        format: OutputFormat,
        node: u64,
    },
    /// `lease keep-alive`.
    KeepAlive {
        node: u64,
        lease: i64,
        once: bool,
        format: OutputFormat,
        ttl: i64,
        /// Last successful keep-alive (virtual ms).
        last_ok: u64,
    },
    /// `sleep`.
    Sleep,
    /// `lock` or `elect` (campaign).
    Recipe(Box<Recipe>),
    /// `elect --listen`.
    Observe {
        node: u64,
        prefix: String,
        watch: Option<OpId>,
        last: Option<(Vec<u8>, Vec<u8>)>,
        format: OutputFormat,
    },
    /// A membership change waiting for the previous one to be applied.
    Membership {
        /// The member.
        member: u64,
        /// What to do.
        op: MemberOp,
        /// When to give up (virtual ms).
        deadline: u64,
    },
    /// `endpoint health`: one read per member.
    Health {
        pending: usize,
        rows: Vec<ctl::EndpointHealthRow>,
        started: u64,
        format: ctl::OutputFormat,
        /// Each member's endpoint name.
        names: std::collections::BTreeMap<u64, String>,
    },
}

impl Task {
    /// Watch operations this task owns (cancelled when it ends).
    pub fn watch_ops(&self) -> Vec<OpId> {
        match self {
            Task::Watch { op, .. } => vec![*op],
            Task::Recipe(r) => r.watch.into_iter().collect(),
            Task::Observe { watch, .. } => watch.iter().copied().collect(),
            _ => Vec::new(),
        }
    }
}

/// An open watch, for the watch panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WatchView {
    /// The command that opened it.
    pub command: CommandId,
    /// Its line.
    pub line: String,
    /// Member it is on.
    pub node: u64,
}

/// A lease, for the lease panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaseView {
    /// Id (hex).
    pub id: String,
    /// Granted TTL in seconds.
    pub ttl: i64,
    /// Remaining ms on the leader's clock (None when no leader tracks it).
    pub remaining_ms: Option<u64>,
    /// Attached keys.
    pub keys: Vec<String>,
}

fn prefix_range(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    (
        prefix.as_bytes().to_vec(),
        kv::prefix_end(prefix.as_bytes()),
    )
}

/// etcd's `WithFirstCreate`: the key under `prefix` created first (the lock owner, the leader).
fn first_created(prefix: &str) -> RangeRequest {
    let (key, range_end) = prefix_range(prefix);
    RangeRequest {
        key,
        range_end,
        limit: 1,
        sort_order: SortOrder::Ascend,
        sort_target: SortTarget::Create,
        ..Default::default()
    }
}

impl Playground {
    fn planted_lock_bug(&self) -> bool {
        let bug = crate::planted::PlantedBug::LockWithoutRecheck;
        self.service.planted_bugs().contains(bug)
    }

    /// Starts a parsed command.
    pub(super) fn start(&mut self, id: CommandId, inv: Invocation) {
        let node = self.target(&inv.target);
        let f = inv.output;
        match inv.command {
            Command::Put(req) => self.single(id, node, EtcdRequest::Put(req), Render::Put(f)),
            Command::Del { req } => {
                self.single(id, node, EtcdRequest::DeleteRange(req), Render::Del(f))
            }
            Command::Txn(req) => self.single(id, node, EtcdRequest::Txn(req), Render::Txn(f)),
            Command::Get {
                req,
                print_value_only,
                consistency,
            } => {
                let keys_only = req.keys_only;
                let op =
                    self.service
                        .range(node, req, consistency == ctl::Consistency::Serializable);
                self.track(
                    op,
                    id,
                    Purpose::Single(Render::Get(f, print_value_only, keys_only)),
                );
                self.tasks.insert(id, Task::Single);
            }
            // etcd's compaction point starts at -1: compacting at 0 succeeds (once).
            Command::Compaction { rev: 0, .. }
                if self
                    .service
                    .cluster()
                    .state_machine(node)
                    .is_ok_and(|sm| sm.store.compact_revision() == 0) =>
            {
                self.print(id, &ctl::format::compaction(0));
                self.finish(id);
            }
            Command::Compaction { rev, .. } => {
                self.keep_log_before_compaction();
                self.single(
                    id,
                    node,
                    EtcdRequest::Compaction { rev },
                    Render::Compaction(rev),
                )
            }
            Command::LeaseGrant { ttl } => {
                let op = self.service.lease_grant(node, 0, ttl);
                self.track(op, id, Purpose::Single(Render::LeaseGrant(f)));
                self.tasks.insert(id, Task::Single);
            }
            Command::LeaseRevoke { id: lease } => self.single(
                id,
                node,
                EtcdRequest::LeaseRevoke { id: lease },
                Render::LeaseRevoke(f, lease),
            ),
            Command::LeaseTimeToLive { id: lease, keys } => {
                let op = self.service.lease_time_to_live(node, lease, keys);
                self.track(op, id, Purpose::Single(Render::TimeToLive(f, keys)));
                self.tasks.insert(id, Task::Single);
            }
            Command::LeaseList => {
                let op = self.service.lease_list(node);
                self.track(op, id, Purpose::Single(Render::LeaseList(f)));
                self.tasks.insert(id, Task::Single);
            }
            Command::LeaseKeepAlive { id: lease, once } => {
                self.tasks.insert(
                    id,
                    Task::KeepAlive {
                        node,
                        lease,
                        once,
                        format: f,
                        ttl: 0,
                        last_ok: self.now(),
                    },
                );
                let op = self.service.lease_keepalive(node, lease);
                self.track(op, id, Purpose::KeepAlive);
            }
            Command::Watch { req } => {
                let op = self.service.watch(node, req.clone());
                self.watch_log.started(id, op, node, req);
                self.track(op, id, Purpose::Watch);
                self.tasks.insert(
                    id,
                    Task::Watch {
                        op,
                        format: f,
                        node,
                    },
                );
            }
            Command::Lock { name, ttl } => {
                self.start_recipe(id, node, RecipeKind::Lock, name, String::new(), ttl);
                self.recipe_format(id, f);
            }
            Command::Elect {
                name,
                proposal,
                listen,
            } => {
                if listen {
                    self.start_observe(id, node, name, f);
                } else {
                    match proposal {
                        Some(p) => {
                            self.start_recipe(id, node, RecipeKind::Campaign, name, p, 60);
                            self.recipe_format(id, f);
                        }
                        None => self.fail(id, "no proposal argument but -l not set"),
                    }
                }
            }
            Command::Sleep { ms } => {
                self.tasks.insert(id, Task::Sleep);
                let at = self.now() + ms;
                self.schedule(at, id, Timer::Sleep);
            }
            Command::Run { ms } => {
                let t = self.now() + ms;
                self.finish_after_run(id, t);
            }
            Command::Tick { n } => {
                let t = self.now() + n.saturating_mul(self.service.cluster().config().tick_ms);
                self.finish_after_run(id, t);
            }
            Command::Fault(action) => self.fault(id, action),
            Command::Plant(bugs) => self.plant(id, bugs),
            Command::EndpointStatus { cluster } => {
                let text = self.endpoint_status(&inv.target, cluster, f);
                self.print(id, &text);
                self.finish(id);
            }
            Command::EndpointHealth { cluster } => self.start_health(id, &inv.target, cluster, f),
            Command::EndpointHashKv { rev, cluster } => {
                let text = self.hashkv(&inv.target, cluster, rev, f);
                self.print(id, &text);
                self.finish(id);
            }
            Command::MemberList => {
                let text = self.member_list(node, f);
                self.print(id, &text);
                self.finish(id);
            }
            Command::MemberAdd {
                name,
                learner,
                peer_urls,
            } => self.member_add(id, name, peer_urls, learner),
            Command::MemberRemove { id: member } => {
                self.member_change(id, member, MemberOp::Remove)
            }
            Command::MemberPromote { id: member } => {
                self.member_change(id, member, MemberOp::Promote)
            }
            Command::MoveLeader { id: member } => {
                self.member_change(id, member, MemberOp::MoveLeader)
            }
            Command::Defrag => {
                // The simulated store has nothing to defragment: a no-op that answers as etcd.
                let text = ctl::format::defrag(&format!("node{node}"));
                self.print(id, &text);
                self.finish(id);
            }
            Command::Gateway(req) => self.gateway(id, node, req),
            Command::Help => {
                self.print(id, &ctl::help());
                self.finish(id);
            }
        }
    }

    fn single(&mut self, id: CommandId, node: u64, req: EtcdRequest, render: Render) {
        let op = self.service.write(node, req);
        self.track(op, id, Purpose::Single(render));
        self.tasks.insert(id, Task::Single);
    }

    fn finish_after_run(&mut self, id: CommandId, t: u64) {
        if let Err(e) = self.run_until(t) {
            self.fail(id, &e.to_string());
        } else {
            self.finish(id);
        }
    }

    fn fault(&mut self, id: CommandId, action: sim::Action) {
        match self.service.cluster_mut().apply(action) {
            Ok(()) => {
                self.print(id, "OK");
                self.finish(id);
            }
            Err(e) => self.fail(id, &e.to_string()),
        }
    }

    /// Handles a service event for command `id`.
    pub(super) fn on_event(&mut self, id: CommandId, purpose: Purpose, e: OpEvent) {
        match (purpose, e) {
            (Purpose::Ignore, _) => {}
            (Purpose::Health(n), OpEvent::Done(_, r)) => self.on_health(id, n, &r),
            (Purpose::Single(render), OpEvent::Done(_, r)) => match self.render(&render, &r) {
                Ok(text) => {
                    self.print(id, &text);
                    self.finish(id);
                }
                Err(msg) => self.fail(id, &msg),
            },
            (Purpose::Watch, OpEvent::Done(_, OpResult::WatchCreated(_))) => self.settle(id),
            (Purpose::Watch, OpEvent::Done(_, OpResult::Failed(e))) => self.fail(id, &e),
            (Purpose::Watch, OpEvent::Watch(_, h, resp)) => {
                let Some(Task::Watch { format, .. }) = self.tasks.get(&id).cloned() else {
                    return;
                };
                if resp.canceled {
                    let reason = if resp.compact_revision > 0 {
                        "watch was canceled (etcdserver: mvcc: required revision has been compacted)".to_string()
                    } else {
                        "watch was canceled".to_string()
                    };
                    self.print(id, &reason);
                    // etcdctl's watch loop then ends with this line.
                    self.print(id, &ctl::format::watch_end());
                    if let Some(o) = self.outputs.get_mut(&id) {
                        o.state = super::CommandState::Failed;
                    }
                    self.forget(id);
                } else {
                    // Events, or a progress notification (`watch --progress-notify`).
                    let text = ctl::format::watch(&h.into(), &resp, format);
                    if !text.is_empty() {
                        self.print(id, &text);
                    }
                }
            }
            (Purpose::Watch, OpEvent::WatchLost(_, msg)) => self.fail(id, &msg),
            (Purpose::KeepAlive, OpEvent::Done(_, r)) => self.on_keepalive(id, r),
            (Purpose::SessionGrant, OpEvent::Done(_, r)) => self.on_session_grant(id, r),
            (Purpose::SessionKeepAlive, OpEvent::Done(_, r)) => self.on_session_keepalive(id, r),
            (Purpose::AcquireTxn, OpEvent::Done(_, r)) => self.on_acquire_txn(id, r),
            (Purpose::WaitGet, OpEvent::Done(_, r)) => self.on_wait_get(id, r),
            (Purpose::WaitDelete, OpEvent::Watch(op, _, resp))
                if resp.events.iter().any(|e| e.kind == EventType::Delete) =>
            {
                self.service.cancel_watch(op);
                self.ops.remove(&op);
                if let Some(Task::Recipe(r)) = self.tasks.get_mut(&id) {
                    r.watch = None;
                }
                self.wait_deletes(id);
            }
            (Purpose::WaitDelete, OpEvent::Done(_, OpResult::Failed(e))) => self.fail(id, &e),
            (Purpose::WaitDelete, OpEvent::WatchLost(_, e)) => self.fail(id, &e),
            (Purpose::Recheck, OpEvent::Done(_, r)) => self.on_recheck(id, r),
            (Purpose::ObserveGet, OpEvent::Done(_, r)) => self.on_observe_get(id, r),
            (Purpose::ObserveWatch, OpEvent::Watch(_, _, resp)) if !resp.events.is_empty() => {
                self.observe_get(id);
            }
            (Purpose::ObserveWatch, OpEvent::WatchLost(_, e)) => self.fail(id, &e),
            (Purpose::ObserveWatch, OpEvent::Done(_, OpResult::Failed(e))) => self.fail(id, &e),
            _ => {}
        }
    }

    /// Handles a timer of command `id`.
    pub(super) fn on_timer(&mut self, id: CommandId, timer: Timer) {
        match timer {
            Timer::Sleep => self.finish(id),
            Timer::KeepAlive => {
                if let Some(Task::KeepAlive { node, lease, .. }) = self.tasks.get(&id).cloned() {
                    let op = self.service.lease_keepalive(node, lease);
                    self.track(op, id, Purpose::KeepAlive);
                }
            }
            Timer::Membership => self.check_membership(id),
            Timer::SessionKeepAlive => {
                if let Some(Task::Recipe(r)) = self.tasks.get(&id) {
                    let (node, lease) = (r.session.node, r.session.lease);
                    let op = self.service.lease_keepalive(node, lease);
                    self.track(op, id, Purpose::SessionKeepAlive);
                }
            }
        }
    }

    /// Ctrl-C: long-running commands clean up as etcdctl does (unlock, resign, close session).
    pub(super) fn interrupt(&mut self, id: CommandId) {
        if let Some(Task::Recipe(r)) = self.tasks.get(&id).cloned() {
            let node = r.session.node;
            if r.phase != Phase::Granting && !r.key.is_empty() {
                let op = self.service.write(
                    node,
                    EtcdRequest::DeleteRange(DeleteRangeRequest {
                        key: r.key.clone().into_bytes(),
                        ..Default::default()
                    }),
                );
                self.track(op, id, Purpose::Ignore);
            }
            if r.session.lease != 0 {
                let op = self.service.write(
                    node,
                    EtcdRequest::LeaseRevoke {
                        id: r.session.lease,
                    },
                );
                self.track(op, id, Purpose::Ignore);
            }
        }
        self.finish(id);
    }

    fn on_keepalive(&mut self, id: CommandId, r: OpResult) {
        let Some(Task::KeepAlive {
            lease,
            once,
            format,
            ttl: known_ttl,
            last_ok,
            ..
        }) = self.tasks.get(&id).cloned()
        else {
            return;
        };
        match r {
            OpResult::KeepAlive(h, ttl) => {
                let text = ctl::format::lease_keepalive(&h.into(), lease, ttl, format);
                self.print(id, &text);
                self.settle(id);
                if once {
                    self.finish(id);
                } else {
                    let now = self.now();
                    if let Some(Task::KeepAlive {
                        ttl: t, last_ok, ..
                    }) = self.tasks.get_mut(&id)
                    {
                        *t = ttl;
                        *last_ok = now;
                    }
                    let every = ((ttl.max(1) as u64) * 1000 / 3).max(500);
                    let at = self.now() + every;
                    self.schedule(at, id, Timer::KeepAlive);
                }
            }
            // `--once` reports the error; a running keep-alive says the lease is gone.
            OpResult::Failed(e) if once => self.fail(id, &e),
            OpResult::Failed(e) if e.contains("lease not found") => {
                self.print(id, &format!("lease {lease:016x} expired or revoked."));
                self.finish(id);
            }
            OpResult::Failed(e) => {
                if once {
                    self.fail(id, &e);
                } else if known_ttl > 0
                    && self.now().saturating_sub(last_ok) >= known_ttl as u64 * 1000
                {
                    // No answer for a whole TTL: etcd's client gives the lease up.
                    self.print(id, &format!("lease {lease:016x} expired or revoked."));
                    self.finish(id);
                } else {
                    // etcd's client keeps retrying until the lease's TTL has passed.
                    self.settle(id);
                    let at = self.now() + 500;
                    self.schedule(at, id, Timer::KeepAlive);
                }
            }
            _ => {}
        }
    }

    fn start_recipe(
        &mut self,
        id: CommandId,
        node: u64,
        kind: RecipeKind,
        name: String,
        value: String,
        ttl: i64,
    ) {
        let recipe = Recipe {
            kind,
            session: Session::new(node, ttl),
            prefix: format!("{name}/"),
            key: String::new(),
            value,
            my_rev: 0,
            phase: Phase::Granting,
            watch: None,
            format: OutputFormat::Simple,
        };
        self.tasks.insert(id, Task::Recipe(Box::new(recipe)));
        let op = self.service.lease_grant(node, 0, ttl);
        self.track(op, id, Purpose::SessionGrant);
    }

    /// How the recipe prints its key once held (`-w`).
    fn recipe_format(&mut self, id: CommandId, f: OutputFormat) {
        if let Some(Task::Recipe(r)) = self.tasks.get_mut(&id) {
            r.format = f;
        }
    }

    fn recipe(&self, id: CommandId) -> Option<Recipe> {
        match self.tasks.get(&id) {
            Some(Task::Recipe(r)) => Some((**r).clone()),
            _ => None,
        }
    }

    fn set_recipe(&mut self, id: CommandId, r: Recipe) {
        if let Some(Task::Recipe(slot)) = self.tasks.get_mut(&id) {
            **slot = r;
        }
    }

    fn on_session_grant(&mut self, id: CommandId, res: OpResult) {
        let Some(mut r) = self.recipe(id) else { return };
        let lease = match res {
            OpResult::Write(_, applied) => match applied.result {
                Ok(EtcdResponse::LeaseGrant { id: lease, .. }) => lease,
                Ok(_) => return self.fail(id, "unexpected response"),
                Err(e) => return self.fail(id, &e),
            },
            OpResult::Failed(e) => return self.fail(id, &e),
            _ => return,
        };
        r.session.lease = lease;
        r.session.last_ok = self.now();
        r.key = format!("{}{:x}", r.prefix, lease);
        r.phase = Phase::Creating;
        let at = self.now() + r.session.interval_ms();
        self.schedule(at, id, Timer::SessionKeepAlive);
        let key = r.key.clone().into_bytes();
        let owner = RequestOp::Range(first_created(&r.prefix));
        let get_mine = RequestOp::Range(RangeRequest {
            key: key.clone(),
            ..Default::default()
        });
        let put = RequestOp::Put(PutRequest {
            key: key.clone(),
            value: r.value.clone().into_bytes(),
            lease,
            ..Default::default()
        });
        let txn = match r.kind {
            RecipeKind::Lock => TxnRequest {
                compare: vec![Compare::create_revision(key, CompareResult::Equal, 0)],
                success: vec![put, owner.clone()],
                failure: vec![get_mine, owner],
            },
            RecipeKind::Campaign => TxnRequest {
                compare: vec![Compare::create_revision(key, CompareResult::Equal, 0)],
                success: vec![put],
                failure: vec![get_mine],
            },
        };
        let node = r.session.node;
        self.set_recipe(id, r);
        let op = self.service.write(node, EtcdRequest::Txn(txn));
        self.track(op, id, Purpose::AcquireTxn);
    }

    fn on_session_keepalive(&mut self, id: CommandId, res: OpResult) {
        let Some(mut r) = self.recipe(id) else { return };
        let now = self.now();
        match r.session.on_keepalive(&res, now) {
            // PLANTED BUG (LockWithoutRecheck, off by default): etcd 3.4's Mutex.Lock waits on
            // without looking at its session; etcdctl notices only once Lock returns.
            Health::Expired
                if r.kind == RecipeKind::Lock
                    && r.phase == Phase::Waiting
                    && self.planted_lock_bug() =>
            {
                self.schedule(now + 500, id, Timer::SessionKeepAlive);
            }
            Health::Expired => {
                // etcdctl: the session's Done channel closes.
                self.fail(id, "session expired");
            }
            health => {
                let at = now
                    + if health == Health::Alive {
                        r.session.interval_ms()
                    } else {
                        500
                    };
                r.session.last_ok = r.session.last_ok.min(now);
                self.set_recipe(id, r);
                self.schedule(at, id, Timer::SessionKeepAlive);
            }
        }
    }

    fn on_acquire_txn(&mut self, id: CommandId, res: OpResult) {
        let Some(mut r) = self.recipe(id) else { return };
        let (h, txn) = match res {
            OpResult::Write(h, applied) => match applied.result {
                Ok(EtcdResponse::Txn(t)) => (h, t),
                Ok(_) => return self.fail(id, "unexpected response"),
                Err(e) => return self.fail(id, &e),
            },
            OpResult::Failed(e) => return self.fail(id, &e),
            _ => return,
        };
        r.my_rev = h.revision;
        if !txn.succeeded {
            if let Some(ResponseOp::Range(mine)) = txn.responses.first() {
                if let Some(kv) = mine.kvs.first() {
                    r.my_rev = kv.create_revision;
                }
            }
        }
        let owner_rev = match (r.kind, txn.responses.get(1)) {
            (RecipeKind::Lock, Some(ResponseOp::Range(o))) => {
                o.kvs.first().map(|kv| kv.create_revision)
            }
            _ => None,
        };
        r.phase = Phase::Waiting;
        let kind = r.kind;
        let my_rev = r.my_rev;
        self.set_recipe(id, r);
        if kind == RecipeKind::Lock && owner_rev.is_none_or(|o| o == my_rev) {
            self.acquired(id);
            return;
        }
        if kind == RecipeKind::Lock {
            // Queued behind the owner: the command has done what a script can wait for.
            self.settle(id);
        }
        self.wait_deletes(id);
    }

    /// etcd's waitDeletes: find the last key created before ours and wait for its deletion;
    /// when none is left, check our own key.
    fn wait_deletes(&mut self, id: CommandId) {
        let Some(r) = self.recipe(id) else { return };
        let (pfx, end) = prefix_range(&r.prefix);
        let req = RangeRequest {
            key: pfx,
            range_end: end,
            limit: 1,
            sort_order: SortOrder::Descend,
            sort_target: SortTarget::Create,
            max_create_revision: r.my_rev - 1,
            ..Default::default()
        };
        let op = self.service.range(r.session.node, req, false);
        self.track(op, id, Purpose::WaitGet);
    }

    fn on_wait_get(&mut self, id: CommandId, res: OpResult) {
        let Some(mut r) = self.recipe(id) else { return };
        let (h, resp) = match res {
            OpResult::Read(h, a) => match a.result {
                Ok(resp) => (h, resp),
                Err(e) => return self.fail(id, &e),
            },
            // The endpoint is down: retrying would fail again at once, forever (found by
            // `raftlab sweep --workload lock`); etcdctl gives up with the error.
            OpResult::Failed(e) if e.contains("is down") => return self.fail(id, &e),
            OpResult::Failed(e) => {
                // Retry after a moment, as the client library does on transient errors.
                let _ = e;
                return self.wait_deletes(id);
            }
            _ => return,
        };
        match resp.kvs.first() {
            // PLANTED BUG (LockWithoutRecheck, off by default): skip the re-check below.
            None if r.kind == RecipeKind::Lock && self.planted_lock_bug() => self.acquired(id),
            None => {
                // Nobody before us: re-check our own key (the session may have expired).
                let op = self.service.range(
                    r.session.node,
                    RangeRequest {
                        key: r.key.clone().into_bytes(),
                        ..Default::default()
                    },
                    false,
                );
                self.track(op, id, Purpose::Recheck);
            }
            Some(last) => {
                // Queued behind `last`.
                self.settle(id);
                let op = self.service.watch(
                    r.session.node,
                    WatchCreateRequest {
                        key: last.key.clone(),
                        start_revision: h.revision + 1,
                        ..Default::default()
                    },
                );
                self.track(op, id, Purpose::WaitDelete);
                r.watch = Some(op);
                self.set_recipe(id, r);
            }
        }
    }

    fn on_recheck(&mut self, id: CommandId, res: OpResult) {
        let Some(r) = self.recipe(id) else { return };
        match res {
            OpResult::Read(_, a) => match a.result {
                Ok(resp) if resp.kvs.is_empty() => match r.kind {
                    RecipeKind::Lock => self.fail(id, "mutex: session is expired"),
                    RecipeKind::Campaign => self.fail(id, "election: session expired"),
                },
                Ok(_) => self.acquired(id),
                Err(e) => self.fail(id, &e),
            },
            OpResult::Failed(e) if e.contains("is down") => self.fail(id, &e),
            OpResult::Failed(_) => self.wait_deletes(id),
            _ => {}
        }
    }

    fn acquired(&mut self, id: CommandId) {
        let Some(mut r) = self.recipe(id) else { return };
        r.phase = Phase::Holding;
        if r.kind == RecipeKind::Lock {
            let now = self.now();
            self.lock_log.acquired(id, &r.key, now);
        }
        // etcdctl then reads the key and prints it as `get` would (an empty value line for
        // a lock; JSON with `-w json`). The key is ours, just created by our session: the
        // answer is built from what we know, at the member's current revision (a read through
        // Raft here would add messages to every run that takes a lock).
        let kv = kv::KeyValue {
            key: r.key.clone().into_bytes(),
            create_revision: r.my_rev,
            mod_revision: r.my_rev,
            version: 1,
            value: r.value.clone().into_bytes(),
            lease: r.session.lease,
        };
        let node = r.session.node;
        let revision = self
            .service
            .cluster()
            .read_local(node, &crate::machine::EtcdQuery::Revision)
            .map_or(r.my_rev, |a| a.revision);
        let h = self.service.header(node, revision);
        let resp = kv::RangeResponse {
            kvs: vec![kv],
            count: 1,
            ..Default::default()
        };
        let text = ctl::format::get(&h.into(), &resp, r.format, false, false);
        self.set_recipe(id, r);
        self.print(id, &text);
        self.settle(id);
    }

    fn start_observe(&mut self, id: CommandId, node: u64, name: String, format: OutputFormat) {
        self.tasks.insert(
            id,
            Task::Observe {
                node,
                prefix: format!("{name}/"),
                watch: None,
                last: None,
                format,
            },
        );
        self.observe_get(id);
    }

    fn observe_get(&mut self, id: CommandId) {
        let Some(Task::Observe { node, prefix, .. }) = self.tasks.get(&id).cloned() else {
            return;
        };
        let op = self.service.range(node, first_created(&prefix), false);
        self.track(op, id, Purpose::ObserveGet);
    }

    fn on_observe_get(&mut self, id: CommandId, res: OpResult) {
        let Some(Task::Observe {
            node,
            prefix,
            watch,
            last,
            format,
        }) = self.tasks.get(&id).cloned()
        else {
            return;
        };
        let (h, resp) = match res {
            OpResult::Read(h, a) => match a.result {
                Ok(resp) => (h, resp),
                Err(e) => return self.fail(id, &e),
            },
            OpResult::Failed(e) => return self.fail(id, &e),
            _ => return,
        };
        let now = resp
            .kvs
            .first()
            .map(|kv| (kv.key.clone(), kv.value.clone()));
        if now.is_some() && now != last {
            let text = ctl::format::get(&h.into(), &resp, format, false, false);
            self.print(id, &text);
        }
        let mut new_watch = watch;
        if watch.is_none() {
            let (pfx, end) = prefix_range(&prefix);
            let op = self.service.watch(
                node,
                WatchCreateRequest {
                    key: pfx,
                    range_end: end,
                    start_revision: h.revision + 1,
                    ..Default::default()
                },
            );
            self.track(op, id, Purpose::ObserveWatch);
            new_watch = Some(op);
        }
        if let Some(Task::Observe { watch, last, .. }) = self.tasks.get_mut(&id) {
            *watch = new_watch;
            *last = now;
        }
        self.settle(id);
    }
}

/// Membership operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberOp {
    Remove,
    Promote,
    MoveLeader,
}
