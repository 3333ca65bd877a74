//! Faults and operator actions: network, crash/restart, pause/resume, membership, leadership.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use raft::eraftpb::{ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeV2};

use super::{Cluster, Event, NodeState};
use crate::config::MAX_NODES;
use crate::error::{Error, Result};
use crate::network::LinkMode;
use crate::node::{Inbound, Live};
use crate::state_machine::StateMachine;
use crate::storage::DurableStorage;
use crate::trace::{DropReason, TraceKind};
use crate::Action;

impl<SM: StateMachine> Cluster<SM> {
    /// Applies an action now. Every fault, scripted or interactive, goes through here.
    ///
    /// # Errors
    /// A one-line reason; the cluster is unchanged.
    pub fn apply(&mut self, action: Action) -> Result<()> {
        self.check_stopped()?;
        self.validate(&action)?;
        self.stats.faults += 1;
        self.trace.record(
            self.now,
            TraceKind::Fault {
                what: action.to_string(),
            },
        );
        match action {
            Action::Partition(groups) => {
                self.heal();
                self.partition(&groups);
            }
            Action::Heal => self.heal(),
            Action::Cut { from, to } => self.set_mode(from, to, LinkMode::Cut),
            Action::Restore { from, to } => self.set_mode(from, to, LinkMode::Healthy),
            Action::Hold { from, to } => self.set_mode(from, to, LinkMode::Held),
            Action::Release { from, to, msg } => {
                let (id, at) = self
                    .network
                    .release(from, to, msg, self.now)
                    .ok_or(Error::NothingHeld(from, to))?;
                self.push(at, Event::Deliver(id));
            }
            Action::Discard { from, to, msg } => {
                let f = self
                    .network
                    .discard(from, to, msg)
                    .ok_or(Error::NothingHeld(from, to))?;
                self.lost(f.id, &f.msg, DropReason::Discarded);
            }
            Action::SetLink { from, to, config } => self.network.set_link_config(from, to, config),
            Action::SetNetwork(config) => self.network.set_default_config(config),
            Action::Crash(n) => {
                let node = self.nodes.get_mut(&n).ok_or(Error::UnknownNode(n))?;
                let storage = node.state.storage().clone();
                node.state = NodeState::Crashed(Box::new(storage));
                if let Some(c) = self.checker.as_mut() {
                    c.stepped_down(n);
                }
                self.fail_requests_at(n);
            }
            Action::Restart(n) => {
                let node = self.nodes.get_mut(&n).ok_or(Error::UnknownNode(n))?;
                let NodeState::Crashed(storage) = &node.state else {
                    return Err(Error::NodeNotUp(n, "not crashed"));
                };
                let live =
                    Live::start(n, (**storage).clone(), &self.config).map_err(Error::Raft)?;
                self.state_changes += 1;
                node.shown = (live.role, live.term(), live.leader);
                node.state = NodeState::Running(Box::new(live));
                self.pump(n);
            }
            Action::Pause(n) => {
                let node = self.nodes.get_mut(&n).ok_or(Error::UnknownNode(n))?;
                let state = std::mem::replace(&mut node.state, NodeState::Crashed(Box::default()));
                node.state = match state {
                    NodeState::Running(l) => NodeState::Paused(l, VecDeque::new()),
                    other => other,
                };
            }
            Action::Resume(n) => self.resume(n),
            Action::AddVoter(n) => {
                self.ensure_node(n)?;
                self.conf_change(ConfChangeType::AddNode, n)?;
            }
            Action::AddLearner(n) => {
                self.ensure_node(n)?;
                self.conf_change(ConfChangeType::AddLearnerNode, n)?;
            }
            Action::Promote(n) => self.conf_change(ConfChangeType::AddNode, n)?,
            Action::Remove(n) => self.conf_change(ConfChangeType::RemoveNode, n)?,
            Action::TransferLeader(n) => {
                let leader = self.leader().ok_or(Error::NoLeader)?;
                let live = self.running(leader)?;
                live.raw.transfer_leader(n);
                live.fix_timeout();
                self.pump(leader);
            }
            Action::Campaign(n) => {
                let live = self.running(n)?;
                live.raw
                    .campaign()
                    .map_err(|e| Error::Raft(e.to_string()))?;
                live.fix_timeout();
                self.pump(n);
            }
            Action::Propose { node, data } => {
                self.propose(node, data);
            }
        }
        Ok(())
    }

    /// Checks an action before anything changes.
    fn validate(&self, action: &Action) -> Result<()> {
        let known = |n: u64| {
            if self.nodes.contains_key(&n) {
                Ok(())
            } else {
                Err(Error::UnknownNode(n))
            }
        };
        let link = |a: u64, b: u64| {
            known(a)?;
            known(b)?;
            if a == b {
                return Err(Error::Partition(format!(
                    "link {a}->{b} joins a node to itself"
                )));
            }
            Ok(())
        };
        match action {
            Action::Partition(groups) => {
                let mut seen = BTreeSet::new();
                for n in groups.iter().flatten() {
                    known(*n)?;
                    if !seen.insert(*n) {
                        return Err(Error::Partition(format!("node {n} is in two groups")));
                    }
                }
                let rest = usize::from(self.nodes.len() > seen.len());
                if groups.iter().filter(|g| !g.is_empty()).count() + rest < 2 {
                    return Err(Error::Partition(
                        "a partition needs at least two groups".into(),
                    ));
                }
                Ok(())
            }
            Action::Cut { from, to }
            | Action::Restore { from, to }
            | Action::Hold { from, to }
            | Action::Release { from, to, .. }
            | Action::Discard { from, to, .. } => link(*from, *to),
            Action::SetLink { from, to, config } => {
                link(*from, *to)?;
                config.validate().map_err(Error::Config)
            }
            Action::SetNetwork(config) => config.validate().map_err(Error::Config),
            Action::Crash(n) | Action::Pause(n) => {
                known(*n)?;
                match self.nodes[n].state.status() {
                    crate::NodeStatus::Up => Ok(()),
                    s => Err(Error::NodeNotUp(*n, s.as_str())),
                }
            }
            Action::Resume(n) => {
                known(*n)?;
                match self.nodes[n].state.status() {
                    crate::NodeStatus::Paused => Ok(()),
                    _ => Err(Error::NodeNotUp(*n, "not paused")),
                }
            }
            Action::Restart(n) => {
                known(*n)?;
                match self.nodes[n].state.status() {
                    crate::NodeStatus::Crashed => Ok(()),
                    _ => Err(Error::NodeNotUp(*n, "not crashed")),
                }
            }
            Action::Campaign(n) => {
                known(*n)?;
                match &self.nodes[n].state {
                    // raft-rs would let a node outside its own configuration (one just added
                    // that has not heard from the leader yet, or one removed) win an election
                    // of nobody, then panic looking up its own progress.
                    NodeState::Running(live)
                        if !live.raw.raft.prs().conf().voters().contains(*n) =>
                    {
                        Err(Error::NodeNotUp(*n, "not a voter in its configuration"))
                    }
                    state => match state.status() {
                        crate::NodeStatus::Up => Ok(()),
                        s => Err(Error::NodeNotUp(*n, s.as_str())),
                    },
                }
            }
            Action::Promote(n) | Action::Remove(n) | Action::TransferLeader(n) => {
                known(*n)?;
                self.leader().map(|_| ()).ok_or(Error::NoLeader)
            }
            Action::AddVoter(n) | Action::AddLearner(n) => {
                if *n == 0 {
                    return Err(Error::Config("node id 0 is reserved".into()));
                }
                if !self.nodes.contains_key(n) && self.nodes.len() >= MAX_NODES {
                    return Err(Error::TooManyNodes(MAX_NODES));
                }
                self.leader().map(|_| ()).ok_or(Error::NoLeader)
            }
            Action::Propose { .. } | Action::Heal => Ok(()),
        }
    }

    fn running(&mut self, n: u64) -> Result<&mut Live<SM>> {
        let node = self.nodes.get_mut(&n).ok_or(Error::UnknownNode(n))?;
        let status = node.state.status();
        node.state
            .running_mut()
            .ok_or(Error::NodeNotUp(n, status.as_str()))
    }

    fn set_mode(&mut self, from: u64, to: u64, mode: LinkMode) {
        let released = self.network.set_mode(from, to, mode);
        match mode {
            LinkMode::Healthy => {
                for (id, at) in self.network.reschedule(&released, self.now) {
                    self.push(at, Event::Deliver(id));
                }
            }
            LinkMode::Cut => {
                for id in released {
                    if let Some(f) = self.network.discard_id(id) {
                        self.lost(f.id, &f.msg, DropReason::LinkCut);
                    }
                }
            }
            LinkMode::Held => {}
        }
    }

    fn heal(&mut self) {
        let cut: Vec<(u64, u64)> = self
            .network
            .links()
            .filter(|(_, l)| l.mode == LinkMode::Cut)
            .map(|(k, _)| k)
            .collect();
        for (a, b) in cut {
            self.network.set_mode(a, b, LinkMode::Healthy);
        }
    }

    fn partition(&mut self, groups: &[Vec<u64>]) {
        // Group numbers as `u64`: a map type the bundle has anyway.
        let mut group_of: BTreeMap<u64, u64> = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            for n in g {
                group_of.insert(*n, i as u64);
            }
        }
        let ids = self.node_ids();
        // Nodes not listed form one more group together: `partition 3` isolates node 3.
        let rest = groups.len() as u64;
        for n in &ids {
            group_of.entry(*n).or_insert(rest);
        }
        for a in &ids {
            for b in &ids {
                if a != b && group_of[a] != group_of[b] {
                    self.set_mode(*a, *b, LinkMode::Cut);
                }
            }
        }
    }

    fn resume(&mut self, n: u64) {
        let Some(node) = self.nodes.get_mut(&n) else {
            return;
        };
        let state = std::mem::replace(&mut node.state, NodeState::Crashed(Box::default()));
        let inbox = match state {
            NodeState::Paused(l, inbox) => {
                node.state = NodeState::Running(l);
                inbox
            }
            other => {
                node.state = other;
                return;
            }
        };
        for item in inbox {
            match item {
                Inbound::Msg(id, m) => {
                    self.trace.record(
                        self.now,
                        TraceKind::Deliver {
                            msg: id,
                            from: m.from,
                            to: n,
                        },
                    );
                    self.step_node(n, m);
                }
                Inbound::Propose(id, data) => self.do_propose(n, id, data),
                Inbound::Read(id) => self.do_read(n, id),
            }
        }
        self.pump(n);
    }

    /// Creates an empty node `n` if it does not exist; it learns the cluster from a snapshot.
    fn ensure_node(&mut self, n: u64) -> Result<()> {
        if self.nodes.contains_key(&n) {
            return Ok(());
        }
        self.add_node(n, DurableStorage::empty())
    }

    fn conf_change(&mut self, kind: ConfChangeType, n: u64) -> Result<()> {
        let leader = self.leader().ok_or(Error::NoLeader)?;
        let mut single = ConfChangeSingle::default();
        single.set_change_type(kind);
        single.node_id = n;
        let mut cc = ConfChangeV2::default();
        // Implicit: always through a joint configuration, left automatically once committed.
        cc.set_transition(ConfChangeTransition::Implicit);
        cc.mut_changes().push(single);
        let live = self.running(leader)?;
        if live.raw.raft.has_pending_conf() {
            return Err(Error::Raft(
                "a membership change is already in progress".into(),
            ));
        }
        let res = live.raw.propose_conf_change(Vec::new(), cc);
        live.fix_timeout();
        res.map_err(|e| Error::Raft(e.to_string()))?;
        self.pump(leader);
        Ok(())
    }
}
