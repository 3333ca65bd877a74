//! The lock and election recipes of etcd's `client/v3/concurrency` (which its v3lock and
//! v3election services run on the server): a key `name/<lease hex>` put with the session's
//! lease if it does not exist yet; the key created first owns the lock (leads); the others
//! wait for the deletion of the key created just before theirs, then check that their own key
//! still exists. With a session of its own (etcdctl's `lock` and `elect`), the recipe grants
//! the lease first and keeps it alive every TTL/3; the session is over when keep-alives fail
//! for a whole TTL.

use kv::{
    Compare, CompareResult, DeleteRangeRequest, EventType, PutRequest, RangeRequest, RequestOp,
    ResponseOp, SortOrder, SortTarget, TxnRequest, WatchCreateRequest,
};

use super::streams::{first_created, keepalive_interval_ms, prefix_range};
use super::{
    Call, CallId, CampaignRequest, CampaignResponse, Client, EventKind, LeaderKey, LockRequest,
    LockResponse, ProclaimRequest, Purpose, Reply, ResignRequest, Timer, Unary, UnlockRequest,
};
use crate::machine::{EtcdQuery, EtcdRequest, EtcdResponse};
use crate::service::{OpEvent, OpId, OpResult};

/// The TTL (seconds) of the lease v3lock and v3election grant when a request names none
/// (`concurrency.NewSession`'s default).
pub const SESSION_TTL: i64 = 60;

/// Lock or campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipeKind {
    /// A mutex (`concurrency.Mutex`, v3lock).
    Lock,
    /// An election campaign (`concurrency.Election`, v3election).
    Campaign,
}

/// Where a recipe is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Granting the session lease.
    Granting,
    /// Creating our key.
    Creating,
    /// Queued behind earlier keys.
    Waiting,
    /// Holding the lock / leading the election.
    Holding,
}

/// A session (etcd's `concurrency.Session`): a lease kept alive every TTL/3.
#[derive(Clone, Debug)]
struct Session {
    /// The lease (0 until granted).
    lease: i64,
    /// Its TTL in seconds.
    ttl: i64,
    /// Whether the recipe granted its lease, keeps it alive and revokes it when cancelled
    /// (etcdctl's `lock` and `elect`); v3lock and v3election leave a lease they granted to
    /// expire, and one they were given to its owner.
    keep: bool,
    /// Last virtual time a keep-alive (or the grant) succeeded.
    last_ok: u64,
}

/// What a session keep-alive answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Health {
    Alive,
    /// The lease is gone (expired on the leader, or revoked).
    Expired,
    /// No answer, but not yet for a whole TTL.
    Unsure,
}

impl Session {
    fn on_keepalive(&mut self, r: &OpResult, now: u64) -> Health {
        match r {
            OpResult::KeepAlive(_, ttl) if *ttl > 0 => {
                self.last_ok = now;
                Health::Alive
            }
            OpResult::Failed(e) if e.contains("lease not found") => Health::Expired,
            _ if now.saturating_sub(self.last_ok) >= self.ttl.max(1) as u64 * 1000 => {
                Health::Expired
            }
            _ => Health::Unsure,
        }
    }
}

/// A lock or campaign in progress.
#[derive(Clone, Debug)]
pub(super) struct Recipe {
    kind: RecipeKind,
    node: u64,
    session: Session,
    name: Vec<u8>,
    prefix: Vec<u8>,
    key: Vec<u8>,
    value: Vec<u8>,
    my_rev: i64,
    /// The revision in the header of the transaction that created (or found) our key: a won
    /// campaign answers with it, as etcd's does.
    txn_rev: i64,
    phase: Phase,
    /// The watch on the deletion of the key before ours.
    pub(super) watch: Option<OpId>,
}

impl Client {
    /// v3lock `Lock` through `node`, owned by the caller's lease: answers once the lock is
    /// held ([`EventKind::Waiting`] while queued behind another holder), and the call is over.
    /// Lease 0 grants a lease of [`SESSION_TTL`] seconds first, which nobody keeps alive (as
    /// etcd's v3lock does). Cancelling it before it answers deletes its key.
    pub fn lock(&mut self, node: u64, req: LockRequest) -> CallId {
        let ttl = if req.lease == 0 { SESSION_TTL } else { 0 };
        let r = (RecipeKind::Lock, req.name, Vec::new());
        self.start_recipe(node, r, req.lease, ttl, false)
    }

    /// etcdctl's `lock`: a session with a lease of `ttl` seconds kept alive by the client, then
    /// [`Client::lock`] with it. Cancelling it deletes the key and revokes the lease; the call
    /// fails with `session expired` when the lease is lost.
    pub fn lock_with_session(&mut self, node: u64, name: &[u8], ttl: i64) -> CallId {
        let r = (RecipeKind::Lock, name.to_vec(), Vec::new());
        self.start_recipe(node, r, 0, ttl, true)
    }

    /// v3lock `Unlock`: deletes the lock key.
    pub fn unlock(&mut self, node: u64, req: UnlockRequest) -> CallId {
        let req = DeleteRangeRequest {
            key: req.key,
            ..Default::default()
        };
        self.write(node, EtcdRequest::DeleteRange(req), Unary::Unlock)
    }

    /// v3election `Campaign` through `node` with the caller's lease: answers once leader, and
    /// the call is over. Lease 0 grants a lease of [`SESSION_TTL`] seconds first, as
    /// [`Client::lock`] does.
    pub fn campaign(&mut self, node: u64, req: CampaignRequest) -> CallId {
        let ttl = if req.lease == 0 { SESSION_TTL } else { 0 };
        let r = (RecipeKind::Campaign, req.name, req.value);
        self.start_recipe(node, r, req.lease, ttl, false)
    }

    /// etcdctl's `elect NAME PROPOSAL`: a session with a lease of `ttl` seconds, then
    /// [`Client::campaign`] with it.
    pub fn campaign_with_session(
        &mut self,
        node: u64,
        name: &[u8],
        value: &[u8],
        ttl: i64,
    ) -> CallId {
        let r = (RecipeKind::Campaign, name.to_vec(), value.to_vec());
        self.start_recipe(node, r, 0, ttl, true)
    }

    /// v3election `Proclaim`: a new value for the leader's key, if it still leads.
    pub fn proclaim(&mut self, node: u64, req: ProclaimRequest) -> CallId {
        let l = req.leader;
        let txn = TxnRequest {
            compare: vec![Compare::create_revision(
                l.key.clone(),
                CompareResult::Equal,
                l.rev,
            )],
            success: vec![RequestOp::Put(PutRequest {
                key: l.key,
                value: req.value,
                lease: l.lease,
                ..Default::default()
            })],
            failure: Vec::new(),
        };
        self.write(node, EtcdRequest::Txn(txn), Unary::Proclaim)
    }

    /// v3election `Leader`: the election's leader key and value (`election: no leader`).
    pub fn leader(&mut self, node: u64, req: super::LeaderRequest) -> CallId {
        let mut prefix = req.name;
        prefix.push(b'/');
        let op = self.service.range(node, first_created(&prefix), false);
        self.unary_call(op, Unary::Leader)
    }

    /// v3election `Resign`: deletes the leader's key if it is still the one campaigned with.
    pub fn resign(&mut self, node: u64, req: ResignRequest) -> CallId {
        let l = req.leader;
        let txn = TxnRequest {
            compare: vec![Compare::create_revision(
                l.key.clone(),
                CompareResult::Equal,
                l.rev,
            )],
            success: vec![RequestOp::DeleteRange(DeleteRangeRequest {
                key: l.key,
                ..Default::default()
            })],
            failure: Vec::new(),
        };
        self.write(node, EtcdRequest::Txn(txn), Unary::Resign)
    }

    /// Starts a recipe `(kind, name, value)` with `lease` (0: grant one of `ttl` seconds,
    /// kept alive if `keep`).
    fn start_recipe(
        &mut self,
        node: u64,
        (kind, name, value): (RecipeKind, Vec<u8>, Vec<u8>),
        lease: i64,
        ttl: i64,
        keep: bool,
    ) -> CallId {
        let call = self.new_call();
        let mut prefix = name.clone();
        prefix.push(b'/');
        let own = lease == 0;
        let recipe = Recipe {
            kind,
            node,
            session: Session {
                lease,
                ttl,
                keep: own && keep,
                last_ok: 0,
            },
            name,
            prefix,
            key: Vec::new(),
            value,
            my_rev: 0,
            txn_rev: 0,
            phase: Phase::Granting,
            watch: None,
        };
        self.insert_call(call, Call::Recipe(Box::new(recipe)));
        if own {
            let op = self.service.lease_grant(node, 0, ttl);
            self.track(op, call, Purpose::SessionGrant);
        } else {
            self.create_key(call, lease);
        }
        call
    }

    fn recipe(&self, call: CallId) -> Option<Recipe> {
        match self.calls.get(&call).map(|c| &**c) {
            Some(Call::Recipe(r)) => Some((**r).clone()),
            _ => None,
        }
    }

    fn set_recipe(&mut self, call: CallId, r: Recipe) {
        if let Some(Call::Recipe(slot)) = self.calls.get_mut(&call).map(|c| &mut **c) {
            **slot = r;
        }
    }

    /// Routes an operation of a recipe.
    pub(super) fn on_recipe_event(&mut self, call: CallId, purpose: Purpose, e: OpEvent) {
        if self.recipe(call).is_none() {
            return;
        }
        match (purpose, e) {
            (Purpose::SessionGrant, OpEvent::Done(_, r)) => self.on_session_grant(call, r),
            (Purpose::SessionKeepAlive, OpEvent::Done(_, r)) => self.on_session_keepalive(call, r),
            (Purpose::AcquireTxn, OpEvent::Done(_, r)) => self.on_acquire_txn(call, r),
            (Purpose::CampaignProclaim, OpEvent::Done(_, r)) => match r {
                OpResult::Write(_, applied) => match applied.result {
                    Ok(EtcdResponse::Txn(t)) if t.succeeded => self.wait_deletes(call),
                    Ok(_) => self.fail(call, "election: not leader"),
                    Err(e) => self.fail(call, &e),
                },
                OpResult::Failed(e) => self.fail(call, &e),
                _ => {}
            },
            (Purpose::WaitGet, OpEvent::Done(_, r)) => self.on_wait_get(call, r),
            (Purpose::WaitDelete, OpEvent::Watch(op, _, resp))
                if resp.events.iter().any(|e| e.kind == EventType::Delete) =>
            {
                self.service.cancel_watch(op);
                self.ops.remove(&op);
                if let Some(Call::Recipe(r)) = self.calls.get_mut(&call).map(|c| &mut **c) {
                    r.watch = None;
                }
                self.wait_deletes(call);
            }
            (Purpose::WaitDelete, OpEvent::Done(_, OpResult::Failed(e)))
            | (Purpose::WaitDelete, OpEvent::WatchLost(_, e)) => self.fail(call, &e),
            (Purpose::Recheck, OpEvent::Done(_, r)) => self.on_recheck(call, r),
            _ => {}
        }
    }

    fn on_session_grant(&mut self, call: CallId, res: OpResult) {
        let lease = match res {
            OpResult::Write(_, applied) => match applied.result {
                Ok(EtcdResponse::LeaseGrant { id, .. }) => id,
                Ok(_) => return self.fail(call, "unexpected response"),
                Err(e) => return self.fail(call, &e),
            },
            OpResult::Failed(e) => return self.fail(call, &e),
            _ => return,
        };
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        r.session.last_ok = self.now();
        let at = self.now() + keepalive_interval_ms(r.session.ttl);
        let keep = r.session.keep;
        self.set_recipe(call, r);
        if keep {
            self.schedule(at, call, Timer::SessionKeepAlive);
        }
        self.create_key(call, lease);
    }

    /// The transaction that creates our key (if it does not exist yet) and reads the owner.
    fn create_key(&mut self, call: CallId, lease: i64) {
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        r.session.lease = lease;
        let mut key = r.prefix.clone();
        key.extend_from_slice(format!("{lease:x}").as_bytes());
        r.key = key.clone();
        r.phase = Phase::Creating;
        let owner = RequestOp::Range(first_created(&r.prefix));
        let get_mine = RequestOp::Range(RangeRequest {
            key: key.clone(),
            ..Default::default()
        });
        let put = RequestOp::Put(PutRequest {
            key: key.clone(),
            value: r.value.clone(),
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
        let node = r.node;
        self.set_recipe(call, r);
        let op = self.service.write(node, EtcdRequest::Txn(txn));
        self.track(op, call, Purpose::AcquireTxn);
    }

    pub(super) fn session_timer(&mut self, call: CallId) {
        if let Some(r) = self.recipe(call) {
            let op = self.service.lease_keepalive(r.node, r.session.lease);
            self.track(op, call, Purpose::SessionKeepAlive);
        }
    }

    fn on_session_keepalive(&mut self, call: CallId, res: OpResult) {
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        let now = self.now();
        match r.session.on_keepalive(&res, now) {
            // PLANTED BUG (LockWithoutRecheck, off by default): etcd 3.4's Mutex.Lock waits on
            // without looking at its session; etcdctl notices only once Lock returns.
            Health::Expired
                if r.kind == RecipeKind::Lock
                    && r.phase == Phase::Waiting
                    && self.planted_lock_bug() =>
            {
                self.schedule(now + 500, call, Timer::SessionKeepAlive);
            }
            // etcdctl: the session's Done channel closes.
            Health::Expired => self.fail(call, "session expired"),
            health => {
                let at = now
                    + if health == Health::Alive {
                        keepalive_interval_ms(r.session.ttl)
                    } else {
                        500
                    };
                self.set_recipe(call, r);
                self.schedule(at, call, Timer::SessionKeepAlive);
            }
        }
    }

    fn on_acquire_txn(&mut self, call: CallId, res: OpResult) {
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        let (h, txn) = match res {
            OpResult::Write(h, applied) => match applied.result {
                Ok(EtcdResponse::Txn(t)) => (h, t),
                Ok(_) => return self.fail(call, "unexpected response"),
                Err(e) => return self.fail(call, &e),
            },
            OpResult::Failed(e) => return self.fail(call, &e),
            _ => return,
        };
        r.my_rev = h.revision;
        r.txn_rev = h.revision;
        // Our key already existed (the same lease campaigned or locked before): a campaign
        // with another value proclaims it first, as etcd's Campaign does.
        let mut proclaim = false;
        if !txn.succeeded {
            if let Some(ResponseOp::Range(mine)) = txn.responses.first() {
                if let Some(kv) = mine.kvs.first() {
                    r.my_rev = kv.create_revision;
                    proclaim = r.kind == RecipeKind::Campaign && kv.value != r.value;
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
        self.set_recipe(call, r);
        if kind == RecipeKind::Lock && owner_rev.is_none_or(|o| o == my_rev) {
            self.acquired(call);
            return;
        }
        if kind == RecipeKind::Lock {
            // Queued behind the owner.
            self.emit(call, EventKind::Waiting);
        }
        if proclaim {
            return self.campaign_proclaim(call);
        }
        self.wait_deletes(call);
    }

    /// The put of a campaign's new value on its existing key, if the key is still ours.
    fn campaign_proclaim(&mut self, call: CallId) {
        let Some(r) = self.recipe(call) else { return };
        let txn = TxnRequest {
            compare: vec![Compare::create_revision(
                r.key.clone(),
                CompareResult::Equal,
                r.my_rev,
            )],
            success: vec![RequestOp::Put(PutRequest {
                key: r.key.clone(),
                value: r.value.clone(),
                lease: r.session.lease,
                ..Default::default()
            })],
            failure: Vec::new(),
        };
        let op = self.service.write(r.node, EtcdRequest::Txn(txn));
        self.track(op, call, Purpose::CampaignProclaim);
    }

    /// etcd's waitDeletes: find the last key created before ours and wait for its deletion;
    /// when none is left, check our own key.
    fn wait_deletes(&mut self, call: CallId) {
        let Some(r) = self.recipe(call) else { return };
        let (key, range_end) = prefix_range(&r.prefix);
        let req = RangeRequest {
            key,
            range_end,
            limit: 1,
            sort_order: SortOrder::Descend,
            sort_target: SortTarget::Create,
            max_create_revision: r.my_rev - 1,
            ..Default::default()
        };
        let op = self.service.range(r.node, req, false);
        self.track(op, call, Purpose::WaitGet);
    }

    fn planted_lock_bug(&self) -> bool {
        let bug = crate::planted::PlantedBug::LockWithoutRecheck;
        self.service.planted_bugs().contains(bug)
    }

    fn on_wait_get(&mut self, call: CallId, res: OpResult) {
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        let (h, resp) = match res {
            OpResult::Read(h, a) => match a.result {
                Ok(resp) => (h, resp),
                Err(e) => return self.fail(call, &e),
            },
            // The endpoint is down: retrying would fail again at once, forever (found by
            // `raftlab sweep --workload lock`); etcdctl gives up with the error.
            OpResult::Failed(e) if e.contains("is down") => return self.fail(call, &e),
            // Retry, as the client library does on transient errors.
            OpResult::Failed(_) => return self.wait_deletes(call),
            _ => return,
        };
        match resp.kvs.first() {
            // PLANTED BUG (LockWithoutRecheck, off by default): skip the re-check below.
            None if r.kind == RecipeKind::Lock && self.planted_lock_bug() => self.acquired(call),
            None => {
                // Nobody before us: re-check our own key (the session may have expired).
                let req = RangeRequest {
                    key: r.key.clone(),
                    ..Default::default()
                };
                let op = self.service.range(r.node, req, false);
                self.track(op, call, Purpose::Recheck);
            }
            Some(last) => {
                // Queued behind `last`.
                self.emit(call, EventKind::Waiting);
                let op = self.service.watch(
                    r.node,
                    WatchCreateRequest {
                        key: last.key.clone(),
                        start_revision: h.revision + 1,
                        ..Default::default()
                    },
                );
                self.track(op, call, Purpose::WaitDelete);
                r.watch = Some(op);
                self.set_recipe(call, r);
            }
        }
    }

    fn on_recheck(&mut self, call: CallId, res: OpResult) {
        let Some(r) = self.recipe(call) else { return };
        match res {
            OpResult::Read(_, a) => match a.result {
                Ok(resp) if resp.kvs.is_empty() => match r.kind {
                    RecipeKind::Lock => self.fail(call, "mutex: session is expired"),
                    RecipeKind::Campaign => self.fail(call, "election: session expired"),
                },
                Ok(_) => self.acquired(call),
                Err(e) => self.fail(call, &e),
            },
            OpResult::Failed(e) if e.contains("is down") => self.fail(call, &e),
            OpResult::Failed(_) => self.wait_deletes(call),
            _ => {}
        }
    }

    /// The lock is held / the election won: a lock answers with the member's current
    /// revision (no read through Raft: the key is ours), a campaign with its transaction's.
    fn acquired(&mut self, call: CallId) {
        let Some(mut r) = self.recipe(call) else {
            return;
        };
        r.phase = Phase::Holding;
        let revision = self
            .service
            .cluster()
            .read_local(r.node, &EtcdQuery::Revision)
            .map_or(r.my_rev, |a| a.revision);
        let header = match r.kind {
            RecipeKind::Lock => self.service.header(r.node, revision),
            RecipeKind::Campaign => self.service.header(r.node, r.txn_rev),
        };
        let reply = match r.kind {
            RecipeKind::Lock => Reply::Lock(LockResponse {
                header,
                key: r.key.clone(),
                create_revision: r.my_rev,
                lease: r.session.lease,
            }),
            RecipeKind::Campaign => Reply::Campaign(CampaignResponse {
                header,
                leader: LeaderKey {
                    name: r.name.clone(),
                    key: r.key.clone(),
                    rev: r.my_rev,
                    lease: r.session.lease,
                },
            }),
        };
        let keep = r.session.keep;
        self.set_recipe(call, r);
        self.reply(call, reply);
        if !keep {
            // v3lock and v3election answer once: nothing of the call is left to run.
            self.end(call);
        }
    }

    /// A cancelled recipe cleans up as etcdctl does on Ctrl-C: deletes its key, and revokes
    /// its session's lease if it granted one.
    pub(super) fn recipe_cleanup(&mut self, call: CallId, r: &Recipe) {
        if r.phase != Phase::Granting && !r.key.is_empty() {
            let req = DeleteRangeRequest {
                key: r.key.clone(),
                ..Default::default()
            };
            let op = self.service.write(r.node, EtcdRequest::DeleteRange(req));
            self.track(op, call, Purpose::Ignore);
        }
        if r.session.keep && r.session.lease != 0 {
            let op = self.service.write(
                r.node,
                EtcdRequest::LeaseRevoke {
                    id: r.session.lease,
                },
            );
            self.track(op, call, Purpose::Ignore);
        }
    }
}
