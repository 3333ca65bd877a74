//! The driver of the kv, watch and lease loads: clients and watchers of the typed client
//! ([`etcd::client`]), recorded as check's operations and watch streams.
//!
//! Every operation is a client call, recorded under its call and answered from the call's
//! event ([`Recorder::answer_event`]); a watch is the client's stream. The leader's expiry
//! revokes, which no call made, come from what the client passes on
//! ([`Observing::Untracked`]). The leases the load uses follow the log: a revoke that was
//! applied, a client's or the leader's, retires its lease. The parts: the operation mix and
//! what an answer teaches its client (`ops`), the watchers (`watchers`).

mod ops;
mod watchers;

use std::collections::BTreeMap;

use check::history::Input;
use kv::Event;
use sim::nemesis::RandomNemesis;
use sim::rng::SimRng;
use sim::ClusterConfig;

use etcd::client::{
    CallId, Client as EtcdClient, CompactionRequest, Event as ClientEvent, Observed, Observing,
};
use etcd::service::{OpEvent, OpId, OpResult, Service};

use crate::history::{Recorder, SERVER_CLIENT};

use super::config::{Recording, WorkloadConfig, COMPACTOR_CLIENT, COMPACT_LAG};
use super::frame::{finish, most_advanced, nodes_not_crashed, LoopGuard, WATCH_PROGRESS_MS};
use ops::{Learn, LoadClient};
use watchers::Watcher;

/// Who made a recorded operation: a call of the driver, or the leader (an expiry revoke).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Call(CallId),
    Expiry(OpId),
}

/// What a call of the driver is for.
#[derive(Clone, Debug)]
enum Role {
    /// An operation of load client `client` (an index); its answer teaches it `learn`.
    Op { client: usize, learn: Learn },
    /// A compaction (no client waits for it).
    Compaction,
    /// The stream of watcher `watcher` (an index), recorded in the recording's watch `record`.
    Watch { watcher: usize, record: usize },
}

/// The driver of the kv, watch and lease workloads.
pub(super) struct Driver {
    client: EtcdClient,
    w: WorkloadConfig,
    rng: SimRng,
    rec: Recorder<Origin>,
    out: Recording,
    clients: Vec<LoadClient>,
    watchers: Vec<Watcher>,
    /// The calls still waiting for an answer, and the watch streams still open.
    roles: BTreeMap<CallId, Role>,
    leases: Vec<i64>,
    lease_seq: i64,
    /// The committed log collected so far (compaction forgets the store's history, so it is
    /// read as the run goes), and the revision it reaches.
    log: Vec<Event>,
    log_rev: i64,
    /// The cluster's count of state changes when the log was last collected
    /// ([`sim::Cluster::state_changes`]: nothing changes a member's store without moving it),
    /// so while the count stands still there is nothing new to collect.
    log_seen: Option<u64>,
    /// The next compaction, the revision of the last one asked for, and the call still
    /// waiting for its answer.
    next_compaction: u64,
    compacted: i64,
    compacting: Option<CallId>,
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
            .map(|id| LoadClient::new(id, 1_000 + rng.below(200)))
            .collect();
        let watchers = (0..w.watchers())
            .map(|i| Watcher::new(100 + i, 800 + u64::from(i) * 150))
            .collect();
        let mut client = EtcdClient::over(s);
        client.set_observing(Observing::Untracked);
        Ok(Driver {
            client,
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
            roles: BTreeMap::new(),
            leases: Vec::new(),
            lease_seq: 0,
            log: Vec::new(),
            log_rev: 1,
            log_seen: None,
            next_compaction: w.compact_every_ms.unwrap_or(u64::MAX),
            compacted: 0,
            compacting: None,
        })
    }

    pub(super) fn run(mut self) -> etcd::Result<Recording> {
        let seed = self.out.seed;
        let mut nemesis = RandomNemesis::new(seed, self.w.nemesis.clone());
        let load_end = self.w.duration_ms;
        let end = load_end + self.w.settle_ms;
        let mut healed = false;
        let mut guard = LoopGuard::new(end);
        loop {
            if guard.stop(&self.client, &mut self.out) {
                break;
            }
            let now = self.client.now();
            let cluster = self.client.service_mut().cluster_mut();
            if now >= load_end && !healed {
                healed = true;
                if nemesis.undo(cluster).is_err() {
                    break;
                }
            } else if !healed && nemesis.next_due() <= now && nemesis.act(cluster).is_err() {
                break;
            }
            if now < load_end {
                for i in 0..self.clients.len() {
                    if self.clients[i].ready(now) {
                        self.issue(i);
                    }
                }
                if self.next_compaction <= now {
                    self.compact(now);
                }
            }
            for i in 0..self.watchers.len() {
                if self.watchers[i].due(now) {
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
                    due = due.min(c.next_due());
                }
            }
            for w in &self.watchers {
                due = due.min(w.next_due());
            }
            if !LoopGuard::advance(&mut self.client, due) {
                break;
            }
            self.drain();
        }
        self.close_watches();
        self.collect_log();
        let mut out = std::mem::take(&mut self.out);
        finish(&mut out, self.client.service().cluster(), load_end);
        out.log = self.log;
        out.history = self.rec.into_history();
        Ok(out)
    }

    /// Notes call `call` of `client` in the history.
    fn record(&mut self, call: CallId, client: u32, input: Input, now: u64) {
        self.rec.call(Origin::Call(call), client, input, now);
    }

    /// Appends what the most advanced member has applied since the log collected so far.
    /// Compactions stay behind it, so nothing is lost.
    fn collect_log(&mut self) {
        let c = self.client.service().cluster();
        let seen = Some(c.state_changes());
        if seen == self.log_seen {
            return;
        }
        self.log_seen = seen;
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
        let node = nodes_not_crashed(self.client.service().cluster())
            .first()
            .copied();
        if let (true, None, Some(node)) = (rev > self.compacted, self.compacting, node) {
            self.compacted = rev;
            let req = CompactionRequest {
                revision: rev,
                ..Default::default()
            };
            let call = self.client.compact(node, req);
            self.record(
                call,
                COMPACTOR_CLIENT,
                Input::Compact { revision: rev },
                now,
            );
            self.roles.insert(call, Role::Compaction);
            self.compacting = Some(call);
            self.drain();
        }
    }

    /// Records the leader's expiry revokes and their answers, then hands each call's event to
    /// whoever made the call.
    fn drain(&mut self) {
        self.collect_log();
        for o in self.client.take_observed() {
            match o {
                Observed::ExpiryRevoke(e) => {
                    let input = Input::LeaseRevoke { id: e.lease };
                    self.rec
                        .call(Origin::Expiry(e.op), SERVER_CLIENT, input, e.time_ms);
                }
                Observed::Op(now, OpEvent::Done(op, result)) => self.expired(op, &result, now),
                Observed::Op(..) => {}
            }
        }
        for e in self.client.take_events() {
            self.on_event(e);
        }
    }

    /// The answer to the leader's expiry revoke `op`: once applied, its lease is retired.
    fn expired(&mut self, op: OpId, result: &OpResult, now: u64) {
        let origin = Origin::Expiry(op);
        let revoked = match (self.rec.input(origin), result) {
            (Some(Input::LeaseRevoke { id }), OpResult::Write(..)) => Some(*id),
            _ => None,
        };
        self.rec.answer(origin, result, now);
        if let Some(id) = revoked {
            self.leases.retain(|l| *l != id);
        }
    }

    fn on_event(&mut self, e: ClientEvent) {
        let role = match self.roles.get(&e.call) {
            Some(&Role::Watch { watcher, record }) => return self.on_watch(watcher, record, e),
            Some(_) => self.roles.remove(&e.call),
            None => None,
        };
        if role.is_some() {
            self.rec
                .answer_event(Origin::Call(e.call), &e.kind, e.at_ms);
        }
        match role {
            Some(Role::Op { client, learn }) => self.answered(client, learn, &e),
            Some(Role::Compaction) => self.compacting = None,
            _ => {}
        }
    }
}
