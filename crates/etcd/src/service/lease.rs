//! Leases on the leader: promotion on a leadership change, expiry through Raft, and the
//! leader-side answers to keep-alive, time-to-live and list.

use sim::Role;

use super::{OpResult, Service};
use crate::machine::EtcdRequest;

impl Service {
    /// The leader's lessor loop (every 500 ms of virtual time): every node that leads becomes
    /// primary (renewing every lease, as etcd does so a leader change never expires a lease
    /// early); every node that no longer leads is demoted; a primary proposes a revoke for each
    /// expired lease.
    pub(super) fn lease_tick(&mut self) {
        let now = self.now();
        self.sync_primaries();
        for node in self.cluster.node_ids() {
            let leads = self.cluster.role(node).is_some_and(|r| r.0 == Role::Leader);
            if leads && self.cluster.status(node).ok() == Some(sim::NodeStatus::Up) {
                let expired = self
                    .cluster
                    .state_machine_mut(node)
                    .map(|sm| sm.lessor.expired(now))
                    .unwrap_or_default();
                for id in expired {
                    // PLANTED BUG (SkipLeaseRevoke, off by default): never revoke.
                    if self
                        .hooks
                        .bugs
                        .contains(crate::planted::PlantedBug::SkipLeaseRevoke)
                    {
                        continue;
                    }
                    // Internal request: its result is not reported to any client.
                    let op = self.write(node, EtcdRequest::LeaseRevoke { id });
                    let (lease, time_ms) = (id, now);
                    let e = crate::service::ExpiryRevoke {
                        op,
                        lease,
                        node,
                        time_ms,
                    };
                    self.hooks.expiry(e);
                }
            }
        }
        // Results of internal revokes are dropped by `collect` (their ops are never awaited).
    }

    /// Promotes the lessor of every node that just became leader and demotes those that stopped
    /// (etcd does this as the leader changes; cheap enough to run after every event).
    pub(super) fn sync_primaries(&mut self) {
        let elections = self.cluster.stats().leaders.len();
        let stale = self
            .primaries
            .iter()
            .any(|n| self.cluster.role(*n).is_none_or(|r| r.0 != Role::Leader));
        if elections == self.elections_seen && !stale {
            return;
        }
        self.elections_seen = elections;
        let now = self.now();
        let extend = self.cluster.config().election_timeout_ms();
        for node in self.cluster.node_ids() {
            let leads = self.cluster.role(node).is_some_and(|r| r.0 == Role::Leader);
            let Ok(sm) = self.cluster.state_machine_mut(node) else {
                self.primaries.remove(&node);
                continue;
            };
            if leads && !self.primaries.contains(&node) {
                sm.lessor.promote(now, extend);
                self.primaries.insert(node);
            } else if !leads && self.primaries.contains(&node) {
                sm.lessor.demote();
                self.primaries.remove(&node);
            }
        }
    }

    /// The node that leads in `node`'s view, if it is running.
    fn leader_of(&self, node: u64) -> Option<u64> {
        let (_, _, leader) = self.cluster.role(node)?;
        (leader != 0 && self.cluster.status(leader).ok() == Some(sim::NodeStatus::Up))
            .then_some(leader)
    }

    pub(super) fn renew(&mut self, node: u64, revision: i64, id: i64) -> OpResult {
        let now = self.now();
        let Some(leader) = self.leader_of(node) else {
            return OpResult::Failed("etcdserver: no leader".into());
        };
        let h = self.header(node, revision);
        match self.cluster.state_machine_mut(leader) {
            Ok(sm) => match sm.lessor.renew(id, now) {
                Ok(ttl) => OpResult::KeepAlive(h, ttl),
                Err(e) => OpResult::Failed(e.grpc_message()),
            },
            Err(_) => OpResult::Failed("etcdserver: no leader".into()),
        }
    }

    pub(super) fn time_to_live(
        &mut self,
        node: u64,
        revision: i64,
        id: i64,
        keys: bool,
    ) -> OpResult {
        let now = self.now();
        let Some(leader) = self.leader_of(node) else {
            return OpResult::Failed("etcdserver: no leader".into());
        };
        let h = self.header(node, revision);
        match self.cluster.state_machine(leader) {
            Ok(sm) => match sm.lessor.time_to_live(id, now) {
                Ok(mut info) => {
                    if !keys {
                        info.keys.clear();
                    }
                    OpResult::TimeToLive(h, info)
                }
                Err(kv::Error::LeaseNotFound) => OpResult::TimeToLive(
                    h,
                    kv::LeaseInfo {
                        id,
                        ttl: -1,
                        granted_ttl: 0,
                        keys: Vec::new(),
                    },
                ),
                Err(e) => OpResult::Failed(e.grpc_message()),
            },
            Err(_) => OpResult::Failed("etcdserver: no leader".into()),
        }
    }

    pub(super) fn leases(&mut self, node: u64, revision: i64) -> OpResult {
        let Some(leader) = self.leader_of(node) else {
            return OpResult::Failed("etcdserver: no leader".into());
        };
        let h = self.header(node, revision);
        match self.cluster.state_machine(leader) {
            // etcd lists leases by expiry (`leasesByExpiry`), soonest first.
            Ok(sm) => {
                let mut ids = sm.lessor.leases();
                order::sort_by_key(&mut ids, |id| {
                    let expiry = sm.lessor.lookup(*id).and_then(|l| l.expiry_ms);
                    (expiry.unwrap_or(u64::MAX), *id)
                });
                OpResult::Leases(h, ids)
            }
            Err(_) => OpResult::Failed("etcdserver: no leader".into()),
        }
    }
}
