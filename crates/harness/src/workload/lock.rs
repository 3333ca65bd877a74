//! The lock load: clients of [`EtcdClient::lock_with_session`] (etcdctl's `lock`) under a nemesis
//! of partitions, crashes, pauses, lossy and cut links and revoked session leases.

use std::collections::BTreeMap;

use check::lock::LockHold;
use kv::RangeRequest;
use sim::nemesis::NemesisConfig;
use sim::rng::SimRng;
use sim::{ClusterConfig, NodeStatus};

use etcd::client::{
    CallId, Client as EtcdClient, Event as ClientEvent, EventKind as ClientEventKind, Reply,
};
use etcd::machine::EtcdMachine;

use super::config::{Recording, WorkloadConfig, LOCK_NAME};
use super::frame::{finish, most_advanced, nodes_not_crashed, pick, LoopGuard};

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
pub(super) struct LockDriver {
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
    pub(super) fn new(mut cluster: ClusterConfig, w: &WorkloadConfig) -> etcd::Result<Self> {
        w.bugs.configure(&mut cluster);
        let seed = cluster.seed;
        let nodes = cluster.nodes;
        let mut client = EtcdClient::new(cluster)?;
        client.service_mut().set_planted_bugs(w.bugs);
        // The driver reads its calls' events only: nothing is copied for a session log.
        client.set_observing(etcd::client::Observing::Untracked);
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
        // The leader's expiry revokes, which no call made: not this driver's business.
        drop(self.client.take_observed());
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

    pub(super) fn run(mut self) -> etcd::Result<Recording> {
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
