//! A recipe's session (etcd's `concurrency.Session`): the lease its key is put with, granted
//! by the recipe itself for etcdctl's `lock` and `elect` and kept alive every TTL/3 until
//! keep-alives fail for a whole TTL.

use super::{Phase, RecipeKind};
use crate::client::streams::keepalive_interval_ms;
use crate::client::{CallId, Client, Purpose, Timer};
use crate::machine::EtcdResponse;
use crate::service::OpResult;

/// A session (etcd's `concurrency.Session`): a lease kept alive every TTL/3.
#[derive(Clone, Debug)]
pub(super) struct Session {
    /// The lease (0 until granted).
    pub(super) lease: i64,
    /// Its TTL in seconds.
    pub(super) ttl: i64,
    /// Whether the recipe granted its lease, keeps it alive and revokes it when cancelled
    /// (etcdctl's `lock` and `elect`); v3lock and v3election leave a lease they granted to
    /// expire, and one they were given to its owner.
    pub(super) keep: bool,
    /// Last virtual time a keep-alive (or the grant) succeeded.
    pub(super) last_ok: u64,
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

impl Client {
    pub(super) fn on_session_grant(&mut self, call: CallId, res: OpResult) {
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

    pub(in crate::client) fn session_timer(&mut self, call: CallId) {
        if let Some(r) = self.recipe(call) {
            let op = self.service.lease_keepalive(r.node, r.session.lease);
            self.track(op, call, Purpose::SessionKeepAlive);
        }
    }

    pub(super) fn on_session_keepalive(&mut self, call: CallId, res: OpResult) {
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
}
