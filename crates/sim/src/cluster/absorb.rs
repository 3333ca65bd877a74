//! Acting on what nodes ask for: sending messages, recording appends, commits and applies,
//! checking invariants, finishing client requests; and delivering messages to nodes.

use raft::eraftpb::{Message, MessageType};
use raft::SnapshotStatus;

use super::{Cluster, Event, LeaderChange, NodeState, PendingKind};
use crate::invariants::{Failure, Violation};
use crate::network::{Arrival, SendOutcome};
use crate::node::{Inbound, ReadyOutput};
use crate::request::{Outcome, RequestError};
use crate::state_machine::StateMachine;
use crate::trace::{DropReason, MsgSummary, Role, TraceKind};

impl<SM: StateMachine> Cluster<SM> {
    /// Handles every pending `Ready` of node `id`.
    pub(super) fn pump(&mut self, id: u64) {
        let threshold = self.config.raft.compaction_threshold;
        loop {
            if self.violation.is_some() {
                return;
            }
            let now = self.now;
            let Some(live) = self.nodes.get_mut(&id).and_then(|n| n.state.running_mut()) else {
                return;
            };
            match live.handle_ready(now, threshold) {
                Ok(Some(out)) => self.absorb(id, out),
                Ok(None) => return,
                Err(e) => {
                    self.fail_invariant((
                        crate::invariants::Invariant::LogMatching,
                        format!("node {id} storage refused a ready: {e}"),
                    ));
                    return;
                }
            }
        }
    }

    pub(super) fn fail_invariant(&mut self, (invariant, detail): Failure) {
        if self.violation.is_some() {
            return;
        }
        self.trace.record(
            self.now,
            TraceKind::Violation {
                invariant: invariant.name().to_string(),
                detail: detail.clone(),
            },
        );
        self.violation = Some(Box::new(Violation {
            invariant,
            detail,
            seed: self.config.seed,
            time_ms: self.now,
            recent: self.trace.last(50),
        }));
    }

    fn absorb(&mut self, id: u64, out: ReadyOutput<SM::Output>) {
        let now = self.now;
        if !out.applied.is_empty() || out.snapshot_installed.is_some() {
            self.state_changes += 1;
        }
        // Role, term and leader.
        let Some(node) = self.nodes.get_mut(&id) else {
            return;
        };
        let Some(live) = node.state.live() else {
            return;
        };
        let current = (live.role, live.term(), live.leader);
        let snapshot_index = live.store().snapshot_index();
        // A snapshot installed brings its configuration with it (a member that just joined).
        let installed_voters = out.snapshot_installed.map(|_| live.conf_state.voters.len());
        if current != node.shown {
            let became_leader = current.0 == Role::Leader
                && (node.shown.0 != Role::Leader || node.shown.1 != current.1);
            node.shown = current;
            self.trace.record(
                now,
                TraceKind::Role {
                    node: id,
                    role: current.0,
                    term: current.1,
                    leader: current.2,
                },
            );
            if became_leader {
                self.stats.leaders.push(LeaderChange {
                    time_ms: now,
                    node: id,
                    term: current.1,
                });
                if let Some(checker) = self.checker.as_mut() {
                    let store = self.nodes[&id].state.storage();
                    let r =
                        checker.became_leader(id, current.1, snapshot_index, &|i| store.term_of(i));
                    if let Err(f) = r {
                        self.fail_invariant(f);
                    }
                }
            } else if current.0 != Role::Leader {
                if let Some(checker) = self.checker.as_mut() {
                    checker.stepped_down(id);
                }
            }
        }
        if current.2 != 0 && self.parked.contains_key(&id) {
            self.unpark(id);
        }
        if let Some(index) = out.snapshot_installed {
            self.trace
                .record(now, TraceKind::SnapshotInstalled { node: id, index });
        }
        if let Some(voters) = installed_voters {
            self.note_voters(id, voters);
        }
        if let Some(app) = &out.appended {
            self.trace.record(
                now,
                TraceKind::Append {
                    node: id,
                    first: app.first.0,
                    last: app.last.0,
                    term: app.last.1,
                },
            );
            if let Some(checker) = self.checker.as_mut() {
                if let Err(f) = checker.appended(id, app.last_before, app.prev_term, &app.entries) {
                    self.fail_invariant(f);
                }
            }
        }
        if let Some(commit) = out.committed {
            self.stats.max_commit = self.stats.max_commit.max(commit);
            self.trace.record(
                now,
                TraceKind::Commit {
                    node: id,
                    index: commit,
                },
            );
            if let Some(checker) = self.checker.as_mut() {
                if let Err(f) = checker.committed(id, commit) {
                    self.fail_invariant(f);
                }
            }
        }
        if let Some(last) = out.applied.last() {
            self.trace.record(
                now,
                TraceKind::Apply {
                    node: id,
                    index: last.entry.index,
                },
            );
        }
        for a in out.applied {
            if let Some(checker) = self.checker.as_mut() {
                if let Err(f) = checker.applied(id, a.entry) {
                    self.fail_invariant(f);
                }
            }
            if let Some(voters) = a.voters {
                self.note_voters(id, voters);
            }
            if let Some(err) = &a.conf_error {
                self.trace.record(
                    now,
                    TraceKind::Fault {
                        what: format!("node {id} rejected conf change {}: {err}", a.entry.index),
                    },
                );
            }
            // A write proposed here while leading, whose slot now holds something else.
            let expected = self
                .expected
                .get_mut(&id)
                .and_then(|m| m.remove(a.entry.index));
            if let Some(expected) = expected {
                if a.request != Some(expected) {
                    self.finish(expected, Outcome::Failed(RequestError::LeaderChanged));
                }
            }
            if let Some(rid) = a.request {
                if matches!(self.pending.get(rid), Some(p) if p.node == id && matches!(p.kind, PendingKind::Write))
                {
                    self.finish(
                        rid,
                        Outcome::Written {
                            index: a.entry.index,
                            output: a.output,
                        },
                    );
                }
            }
        }
        for (rid, index) in out.read_states {
            if self.reads_waiting == 0 {
                break;
            }
            if let Some(p) = self.pending.get_mut(rid) {
                if p.node == id {
                    if let PendingKind::Read { index: slot, .. } = &mut p.kind {
                        *slot = Some(index);
                    }
                }
            }
        }
        self.serve_reads(id);
        if let Some(index) = out.snapshot_taken {
            self.trace
                .record(now, TraceKind::SnapshotTaken { node: id, index });
        }
        let mut snap_failures = Vec::new();
        for m in out.messages {
            if let Some(to) = self.send(m) {
                snap_failures.push(to);
            }
        }
        if snap_failures.is_empty() {
            return;
        }
        if let Some(live) = self.nodes.get_mut(&id).and_then(|n| n.state.running_mut()) {
            for to in snap_failures {
                live.raw.report_snapshot(to, SnapshotStatus::Failure);
            }
            live.fix_timeout();
        }
    }

    /// Answers linearizable reads at `id` whose read index has been applied.
    pub(super) fn serve_reads(&mut self, id: u64) {
        if self.reads_waiting == 0 {
            return;
        }
        let Some(live) = self.nodes.get(&id).and_then(|n| n.state.live()) else {
            return;
        };
        let applied = live.applied;
        let ready: Vec<(u64, u64, SM::Answer)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.node == id)
            .filter_map(|(rid, p)| match &p.kind {
                PendingKind::Read {
                    query,
                    index: Some(i),
                    ..
                } if *i <= applied => Some((rid, *i, live.sm.query(query))),
                _ => None,
            })
            .collect();
        for (rid, index, answer) in ready {
            self.finish(rid, Outcome::Read { index, answer });
        }
    }

    /// Hands a message to the network. Returns the destination if it was a snapshot that was
    /// lost at once (the sender must hear about it).
    #[inline]
    fn send(&mut self, m: Message) -> Option<u64> {
        let now = self.now;
        let (from, to) = (m.from, m.to);
        let is_snap = m.get_msg_type() == MessageType::MsgSnapshot;
        let summary = self.trace.enabled().then(|| MsgSummary::of(&m));
        self.stats.sent += 1;
        let outcome = self.network.send(m, now);
        let first_id = match &outcome {
            SendOutcome::Scheduled { id, .. } => *id,
            SendOutcome::Dropped(id, _) | SendOutcome::Held(id) => *id,
        };
        if let Some(summary) = summary {
            self.trace.record(
                now,
                TraceKind::Send {
                    msg: first_id,
                    from,
                    to,
                    summary,
                },
            );
        }
        match outcome {
            SendOutcome::Scheduled { id, at, copy } => {
                if let Some((copy, _)) = copy {
                    self.stats.duplicated += 1;
                    self.trace
                        .record(now, TraceKind::Duplicate { msg: id, copy });
                }
                self.push(at, Event::Deliver(id));
                if let Some((copy, at)) = copy {
                    self.push(at, Event::Deliver(copy));
                }
                None
            }
            SendOutcome::Dropped(mid, reason) => {
                self.stats.dropped += 1;
                self.trace.record(
                    now,
                    TraceKind::Drop {
                        msg: mid,
                        from,
                        to,
                        reason,
                    },
                );
                is_snap.then_some(to)
            }
            SendOutcome::Held(mid) => {
                self.trace
                    .record(now, TraceKind::Held { msg: mid, from, to });
                None
            }
        }
    }

    /// Records a lost message and, for a snapshot, tells its sender.
    pub(super) fn lost(&mut self, msg: u64, m: &Message, reason: DropReason) {
        self.stats.dropped += 1;
        self.trace.record(
            self.now,
            TraceKind::Drop {
                msg,
                from: m.from,
                to: m.to,
                reason,
            },
        );
        if m.get_msg_type() == MessageType::MsgSnapshot {
            if let Some(live) = self
                .nodes
                .get_mut(&m.from)
                .and_then(|n| n.state.running_mut())
            {
                live.raw.report_snapshot(m.to, SnapshotStatus::Failure);
                live.fix_timeout();
                self.pump(m.from);
            }
        }
    }

    pub(super) fn on_deliver(&mut self, msg: u64) {
        match self.network.arrive(msg) {
            Arrival::Gone => {}
            Arrival::Held(id) => {
                if let Some(f) = self.network.get(id) {
                    let (from, to) = (f.from, f.to);
                    self.trace
                        .record(self.now, TraceKind::Held { msg: id, from, to });
                }
            }
            Arrival::Dropped(f, reason) => self.lost(f.id, &f.msg, reason),
            Arrival::Deliver(f) => {
                let to = f.to;
                match self.nodes.get_mut(&to).map(|n| &mut n.state) {
                    None => self.lost(f.id, &f.msg, DropReason::UnknownNode),
                    Some(NodeState::Crashed(_)) => self.lost(f.id, &f.msg, DropReason::NodeDown),
                    Some(NodeState::Paused(_, inbox)) => inbox.push_back(Inbound::Msg(f.id, f.msg)),
                    Some(NodeState::Running(_)) => {
                        self.trace.record(
                            self.now,
                            TraceKind::Deliver {
                                msg: f.id,
                                from: f.from,
                                to,
                            },
                        );
                        self.step_node(to, f.msg);
                    }
                }
            }
        }
    }

    /// Steps a message into a running node.
    pub(super) fn step_node(&mut self, to: u64, m: Message) {
        self.stats.delivered += 1;
        if let Some(live) = self.nodes.get_mut(&to).and_then(|n| n.state.running_mut()) {
            // raft-rs refuses messages from unknown peers; that is the protocol, not a failure.
            let _ = live.raw.step(m);
            live.fix_timeout();
            self.pump(to);
        }
    }
}
