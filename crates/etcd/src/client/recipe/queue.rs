//! A recipe's place in the queue (etcd's `Mutex.Lock` and `Election.Campaign`): create its
//! key if it does not exist yet, wait for the deletion of each key created before it, re-check
//! its own key, and answer once it owns the lock (leads the election).

use kv::{
    Compare, CompareResult, PutRequest, RangeRequest, RequestOp, ResponseOp, SortOrder, SortTarget,
    TxnRequest, WatchCreateRequest,
};

use super::{Phase, RecipeKind};
use crate::client::streams::{first_created, prefix_range};
use crate::client::{
    CallId, CampaignResponse, Client, EventKind, LeaderKey, LockResponse, Purpose, Reply,
};
use crate::machine::{EtcdQuery, EtcdRequest, EtcdResponse};
use crate::service::OpResult;

impl Client {
    /// The transaction that creates our key (if it does not exist yet) and reads the owner.
    pub(super) fn create_key(&mut self, call: CallId, lease: i64) {
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

    pub(super) fn on_acquire_txn(&mut self, call: CallId, res: OpResult) {
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
    pub(super) fn campaign_proclaim(&mut self, call: CallId) {
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
    pub(super) fn wait_deletes(&mut self, call: CallId) {
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

    pub(super) fn planted_lock_bug(&self) -> bool {
        let bug = crate::planted::PlantedBug::LockWithoutRecheck;
        self.service.planted_bugs().contains(bug)
    }

    pub(super) fn on_wait_get(&mut self, call: CallId, res: OpResult) {
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

    pub(super) fn on_recheck(&mut self, call: CallId, res: OpResult) {
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
    pub(super) fn acquired(&mut self, call: CallId) {
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
}
