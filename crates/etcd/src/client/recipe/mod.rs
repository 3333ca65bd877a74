//! The lock and election recipes of etcd's `client/v3/concurrency` (which its v3lock and
//! v3election services run on the server): a key `name/<lease hex>` put with the session's
//! lease if it does not exist yet; the key created first owns the lock (leads); the others
//! wait for the deletion of the key created just before theirs, then check that their own key
//! still exists. With a session of its own (etcdctl's `lock` and `elect`), the recipe grants
//! the lease first and keeps it alive every TTL/3; the session is over when keep-alives fail
//! for a whole TTL.
//!
//! The parts: the session (`session`), the key's place in the queue (`queue`).

mod queue;
mod session;

use kv::{
    Compare, CompareResult, DeleteRangeRequest, EventType, PutRequest, RequestOp, TxnRequest,
};

use super::streams::first_created;
use super::{
    Call, CallId, CampaignRequest, Client, LockRequest, ProclaimRequest, Purpose, ResignRequest,
    Unary, UnlockRequest,
};
use crate::machine::{EtcdRequest, EtcdResponse};
use crate::service::{OpEvent, OpId, OpResult};
use session::Session;

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
