//! The cluster: nodes, network, virtual clock and event queue. It owns every side effect: nodes
//! hand back what they want done (`ReadyOutput`), the cluster sends, schedules and records it.

mod absorb;
mod by_index;
mod faults;
mod pack;
mod queue;
mod requests;
mod view;

use std::collections::VecDeque;

use raft::eraftpb::ConfState;

pub use view::{ClusterView, EntryView, LinkView, NodeView, PeerProgress};

use crate::config::ClusterConfig;
use crate::error::{Error, Result};
use crate::id_map::IdMap;
use crate::id_ring::IdRing;
use crate::invariants::{InvariantChecker, Violation};
use crate::network::Network;
use crate::node::{Live, NodeState, NodeStatus};
use crate::request::{Completion, RequestId};
use crate::rng::{stream, SimRng};
use crate::state_machine::StateMachine;
use crate::storage::DurableStorage;
use crate::trace::{Role, Trace, TraceKind};
use crate::Action;

/// Something scheduled on the virtual clock.
#[derive(Clone, Debug)]
enum Event {
    Tick(u64),
    Deliver(u64),
    Timeout(RequestId),
    /// Boxed so the common events stay small in the queue.
    Action(Box<Action>),
}

/// A leader taking office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LeaderChange {
    /// Virtual time.
    pub time_ms: u64,
    /// The new leader.
    pub node: u64,
    /// Its term.
    pub term: u64,
}

/// A node's configuration changed (it applied a membership change): the majorities it counts
/// from the trace event numbered `seq` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VotersChange {
    /// The node.
    pub node: u64,
    /// The first trace event under the new configuration.
    pub seq: u64,
    /// Its voters from then on.
    pub voters: usize,
}

/// How many configuration changes a cluster remembers (membership changes are user actions, a
/// handful per session; the oldest are forgotten first).
pub const VOTERS_CHANGES_KEPT: usize = 256;

/// Counters for summaries and benchmarks.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stats {
    /// Every leader elected, in order.
    pub leaders: Vec<LeaderChange>,
    /// Messages handed to the network.
    pub sent: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages lost.
    pub dropped: u64,
    /// Extra copies made by the network.
    pub duplicated: u64,
    /// Faults and other actions applied.
    pub faults: u64,
    /// Client requests submitted.
    pub requests: u64,
    /// Client writes acknowledged.
    pub writes_ok: u64,
    /// Client reads answered.
    pub reads_ok: u64,
    /// Client requests failed.
    pub failed: u64,
    /// Highest commit index reached by any node.
    pub max_commit: u64,
    /// Events processed.
    pub events: u64,
}

#[derive(Clone)]
pub(crate) struct Node<SM: StateMachine> {
    state: NodeState<SM>,
    /// Last (role, term, leader) recorded in the trace.
    shown: (Role, u64, u64),
}

#[derive(Clone)]
pub(crate) struct Pending<Q> {
    node: u64,
    kind: PendingKind<Q>,
}

#[derive(Clone)]
pub(crate) enum PendingKind<Q> {
    Write,
    Read {
        query: Q,
        index: Option<u64>,
        /// Last time ReadIndex was asked (etcd re-asks every 500 ms until it gets an answer).
        asked_at: u64,
    },
}

/// How often a node re-asks ReadIndex for a read that got no answer (etcd's
/// readIndexRetryTime): raft-rs drops read requests a new leader cannot serve yet.
pub const READ_INDEX_RETRY_MS: u64 = 500;

/// A simulated cluster of raft-rs nodes driving replicas of `SM`.
#[derive(Clone)]
pub struct Cluster<SM: StateMachine> {
    config: ClusterConfig,
    now: u64,
    queue: queue::EventQueue<Event>,
    nodes: IdMap<Node<SM>>,
    network: Network,
    trace: Trace,
    checker: Option<InvariantChecker>,
    violation: Option<Box<Violation>>,
    /// Requests not answered yet, by id (ids are handed out in increasing order).
    pending: IdRing<Pending<SM::Query>>,
    /// Node -> index -> write proposed at that node while it led, expected at that index
    /// (by node first: the other nodes skip the lookup for every entry they apply).
    expected: IdMap<by_index::ByIndex>,
    next_request: RequestId,
    completions: VecDeque<Completion<SM::Output, SM::Answer>>,
    phase_rng: SimRng,
    stats: Stats,
    /// Configuration changes as nodes applied them (for "Why?"'s majorities), oldest first.
    voter_changes: VecDeque<VotersChange>,
    /// Nodes with client work handed to raft-rs whose `Ready` is not handled yet: requests that
    /// arrive at the same instant are batched into one append, as etcd batches proposals.
    dirty: std::collections::BTreeSet<u64>,
    /// Linearizable reads waiting (to skip scans when there are none).
    reads_waiting: usize,
    /// Client requests waiting at a node until it learns of a leader.
    parked: IdMap<Vec<crate::node::Inbound>>,
    /// Times a member's replicated state may have changed (see `state_changes`).
    state_changes: u64,
}

impl<SM: StateMachine> Cluster<SM> {
    /// Builds a fresh cluster of `config.nodes` voters, all followers at term 1.
    ///
    /// # Errors
    /// `Error::Config` for an invalid option.
    pub fn new(config: ClusterConfig) -> Result<Self> {
        config.validate().map_err(Error::Config)?;
        let seed = config.seed;
        let mut c = Cluster {
            network: Network::new(config.link.clone(), SimRng::sub(seed, stream::NETWORK)),
            trace: Trace::new(config.trace, config.trace_capacity),
            checker: config.check_invariants.then(InvariantChecker::new),
            config,
            now: 0,
            queue: queue::EventQueue::new(),
            nodes: IdMap::new(),
            violation: None,
            pending: IdRing::new(),
            expected: IdMap::new(),
            next_request: 1,
            completions: VecDeque::new(),
            phase_rng: SimRng::sub(seed, stream::PHASE),
            stats: Stats::default(),
            voter_changes: VecDeque::new(),
            dirty: std::collections::BTreeSet::new(),
            reads_waiting: 0,
            parked: IdMap::new(),
            state_changes: 0,
        };
        let cfg = &c.config;
        c.trace.record(
            0,
            TraceKind::Fault {
                what: format!(
                    "start nodes={} seed={} tick={}ms election={} heartbeat={} pre_vote={} \
                     check_quorum={} read={:?} inflight={} max_msg={} compact={} latency={}-{}ms \
                     drop={} dup={} reorder={} timeout={}ms",
                    cfg.nodes,
                    cfg.seed,
                    cfg.tick_ms,
                    cfg.raft.election_tick,
                    cfg.raft.heartbeat_tick,
                    cfg.raft.pre_vote,
                    cfg.raft.check_quorum,
                    cfg.raft.read_mode,
                    cfg.raft.max_inflight_msgs,
                    cfg.raft.max_size_per_msg,
                    cfg.raft.compaction_threshold,
                    cfg.link.latency_min_ms,
                    cfg.link.latency_max_ms,
                    cfg.link.drop_prob,
                    cfg.link.duplicate_prob,
                    cfg.link.reorder,
                    cfg.request_timeout_ms
                ),
            },
        );
        let mut cs = ConfState::default();
        cs.voters = (1..=c.config.nodes as u64).collect();
        let initial = SM::default().snapshot();
        for id in 1..=c.config.nodes as u64 {
            let storage = DurableStorage::bootstrap(cs.clone(), 1, 1, initial.clone());
            c.add_node(id, storage)?;
        }
        Ok(c)
    }

    fn add_node(&mut self, id: u64, storage: DurableStorage) -> Result<()> {
        let live = Live::start(id, storage, &self.config).map_err(Error::Raft)?;
        self.state_changes += 1;
        let shown = (live.role, live.term(), live.leader);
        self.nodes.insert(
            id,
            Node {
                state: NodeState::Running(Box::new(live)),
                shown,
            },
        );
        let phase = self.phase_rng.below(self.config.tick_ms);
        self.push(self.now + phase, Event::Tick(id));
        Ok(())
    }

    fn push(&mut self, at: u64, ev: Event) {
        self.queue.push(at, ev);
    }

    /// The configuration the cluster was built with.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// Current virtual time in ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Virtual time of the next event.
    pub fn next_event_time(&self) -> Option<u64> {
        self.queue.next_time()
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Hex hash of the whole trace so far.
    pub fn trace_hash(&self) -> String {
        self.trace.hash_hex()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// A count that moves whenever a member's replicated state may have changed: a ready that
    /// applied entries or installed a snapshot, a node started or restarted. While it stands
    /// still, no member's state machine has applied anything new (a cheap test for whoever
    /// follows the members' stores; the trace's event count moves with every message).
    pub fn state_changes(&self) -> u64 {
        self.state_changes
    }

    /// The configuration changes nodes applied, oldest first (at most [`VOTERS_CHANGES_KEPT`]).
    pub fn voter_changes(&self) -> &VecDeque<VotersChange> {
        &self.voter_changes
    }

    /// Notes that node `id` now counts `voters` voters.
    pub(crate) fn note_voters(&mut self, id: u64, voters: usize) {
        if self.voter_changes.len() == VOTERS_CHANGES_KEPT {
            self.voter_changes.pop_front();
        }
        self.voter_changes.push_back(VotersChange {
            node: id,
            seq: self.trace.total(),
            voters,
        });
    }

    /// The invariant violation that stopped the run, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_deref()
    }

    /// Node ids, ascending.
    pub fn node_ids(&self) -> Vec<u64> {
        self.nodes.keys().copied().collect()
    }

    /// A node's status.
    ///
    /// # Errors
    /// `UnknownNode`.
    pub fn status(&self, id: u64) -> Result<NodeStatus> {
        Ok(self.node(id)?.state.status())
    }

    fn node(&self, id: u64) -> Result<&Node<SM>> {
        self.nodes.get(&id).ok_or(Error::UnknownNode(id))
    }

    /// The state machine of a running or paused node.
    ///
    /// # Errors
    /// `UnknownNode`, or `NodeNotUp` if it is crashed.
    pub fn state_machine(&self, id: u64) -> Result<&SM> {
        match &self.node(id)?.state {
            NodeState::Running(l) | NodeState::Paused(l, _) => Ok(&l.sm),
            NodeState::Crashed(_) => Err(Error::NodeNotUp(id, "crashed")),
        }
    }

    /// Mutable state machine of a running node (for service-level bookkeeping such as watches;
    /// never for replicated state, which only changes by applying entries).
    ///
    /// # Errors
    /// `UnknownNode`, or `NodeNotUp`.
    pub fn state_machine_mut(&mut self, id: u64) -> Result<&mut SM> {
        match &mut self.nodes.get_mut(&id).ok_or(Error::UnknownNode(id))?.state {
            NodeState::Running(l) | NodeState::Paused(l, _) => Ok(&mut l.sm),
            NodeState::Crashed(_) => Err(Error::NodeNotUp(id, "crashed")),
        }
    }

    /// The node that leads in the highest term (among running or paused nodes), if any.
    pub fn leader(&self) -> Option<u64> {
        self.nodes
            .iter()
            .filter_map(|(id, n)| n.state.live().map(|l| (id, l)))
            .filter(|(_, l)| l.role == Role::Leader)
            .max_by_key(|(id, l)| (l.term(), std::cmp::Reverse(**id)))
            .map(|(id, _)| *id)
    }

    /// Role, term and known leader of a live node.
    pub fn role(&self, id: u64) -> Option<(Role, u64, u64)> {
        self.nodes
            .get(&id)
            .and_then(|n| n.state.live())
            .map(|l| (l.role, l.term(), l.leader))
    }

    /// Commit index (from durable state, so also for crashed nodes).
    pub fn commit_index(&self, id: u64) -> Option<u64> {
        self.nodes
            .get(&id)
            .map(|n| n.state.storage().hard_state().commit)
    }

    /// Applied index of a live node.
    pub fn applied_index(&self, id: u64) -> Option<u64> {
        self.nodes
            .get(&id)
            .and_then(|n| n.state.live())
            .map(|l| l.applied)
    }

    /// The durable storage of a node.
    pub fn storage(&self, id: u64) -> Option<&DurableStorage> {
        self.nodes.get(&id).map(|n| n.state.storage())
    }

    /// Finished requests since the last call, in completion order.
    pub fn take_completions(&mut self) -> Vec<Completion<SM::Output, SM::Answer>> {
        if self.completions.is_empty() {
            // The usual case after a step: nothing to collect, nothing to allocate.
            return Vec::new();
        }
        self.completions.drain(..).collect()
    }

    /// Whether a request is still waiting.
    pub fn is_pending(&self, id: RequestId) -> bool {
        self.pending.contains(id)
    }

    /// Schedules an action at virtual time `at` (now if in the past).
    pub fn schedule(&mut self, at: u64, action: Action) {
        self.push(at.max(self.now), Event::Action(Box::new(action)));
    }

    #[inline]
    fn check_stopped(&self) -> Result<()> {
        match &self.violation {
            Some(v) => Err(Error::Invariant(v.clone())),
            None => Ok(()),
        }
    }

    /// Processes the next event. Returns its time.
    ///
    /// # Errors
    /// `Error::Invariant` once a safety invariant failed (the run stops there).
    pub fn step(&mut self) -> Result<u64> {
        self.check_stopped()?;
        self.flush();
        self.check_stopped()?;
        let Some((at, ev)) = self.queue.pop() else {
            return Ok(self.now);
        };
        self.now = self.now.max(at);
        self.stats.events += 1;
        match ev {
            Event::Tick(id) => self.on_tick(id),
            Event::Deliver(msg) => self.on_deliver(msg),
            Event::Timeout(req) => self.on_timeout(req),
            Event::Action(a) => {
                // A scheduled action that cannot be applied is recorded, not fatal.
                if let Err(e) = self.apply((*a).clone()) {
                    self.trace.record(
                        self.now,
                        TraceKind::Fault {
                            what: format!("{a} failed: {e}"),
                        },
                    );
                }
            }
        }
        self.check_stopped()?;
        Ok(self.now)
    }

    /// Runs every event up to and including virtual time `t`, then sets the clock to `t`.
    ///
    /// # Errors
    /// `Error::Invariant`.
    pub fn run_until(&mut self, t: u64) -> Result<()> {
        self.flush();
        while let Some(next) = self.next_event_time() {
            if next > t {
                break;
            }
            self.step()?;
        }
        self.now = self.now.max(t);
        self.check_stopped()
    }

    /// Runs for `ms` virtual milliseconds.
    ///
    /// # Errors
    /// `Error::Invariant`.
    pub fn run_for(&mut self, ms: u64) -> Result<()> {
        self.run_until(self.now.saturating_add(ms))
    }

    /// Runs until `pred` holds (checked after each event) or `limit_ms` of virtual time pass.
    /// Returns whether `pred` held.
    ///
    /// # Errors
    /// `Error::Invariant`.
    pub fn run_until_pred(
        &mut self,
        limit_ms: u64,
        mut pred: impl FnMut(&Self) -> bool,
    ) -> Result<bool> {
        let deadline = self.now.saturating_add(limit_ms);
        self.flush();
        loop {
            if pred(self) {
                return Ok(true);
            }
            match self.next_event_time() {
                Some(t) if t <= deadline => {
                    self.step()?;
                }
                _ => {
                    self.now = self.now.max(deadline);
                    return Ok(pred(self));
                }
            }
        }
    }

    /// Handles the `Ready` of every node that received client work at this instant.
    pub fn flush(&mut self) {
        while let Some(id) = self.dirty.pop_first() {
            self.pump(id);
        }
    }

    fn on_tick(&mut self, id: u64) {
        if !self.nodes.contains_key(&id) {
            return;
        }
        self.push(self.now + self.config.tick_ms, Event::Tick(id));
        if let Some(live) = self.nodes.get_mut(&id).and_then(|n| n.state.running_mut()) {
            live.raw.tick();
            live.fix_timeout();
            self.pump(id);
        }
        if self.reads_waiting > 0 {
            self.retry_reads(id);
        }
    }
}
