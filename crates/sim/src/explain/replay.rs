//! Rebuilding what each node knew at a point of the run from the trace alone: its role, term,
//! vote, log (index and term of every entry), commit index, the last time it heard from a
//! leader, and a leader's view of its followers' match indexes.
//!
//! A node's log is rebuilt from `Append` events. An `Append` names the first and last index
//! written and the last entry's term; the terms of the entries before the last are copied from
//! another node's log that holds the same last entry (index and term): by Raft's log matching
//! property (§5.3) two logs that agree on an entry agree on everything before it.

use std::collections::BTreeMap;

use crate::trace::{DropReason, MsgKind, MsgSummary, Role, TraceEvent, TraceKind};

/// A node's log as rebuilt from the trace: the entries after `base` (the snapshot index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogModel {
    /// Index of the snapshot the log starts after.
    pub base: u64,
    /// Term of the entry at `base` (0 when not known).
    pub base_term: u64,
    /// Terms of entries `base + 1 ..`.
    pub terms: Vec<u64>,
}

impl LogModel {
    /// A fresh node's log: raftlab bootstraps every node from a snapshot at index 1, term 1.
    fn bootstrap() -> Self {
        LogModel {
            base: 1,
            base_term: 1,
            terms: Vec::new(),
        }
    }

    /// Index of the last entry.
    pub fn last_index(&self) -> u64 {
        self.base + self.terms.len() as u64
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> u64 {
        self.terms.last().copied().unwrap_or(self.base_term)
    }

    /// Term of the entry at `index`, if the log holds it (or it is the snapshot's last entry).
    pub fn term_of(&self, index: u64) -> Option<u64> {
        if index == self.base {
            return Some(self.base_term);
        }
        if index < self.base || index > self.last_index() {
            return None;
        }
        self.terms.get((index - self.base - 1) as usize).copied()
    }

    fn truncate_after(&mut self, index: u64) {
        let keep = index.saturating_sub(self.base) as usize;
        self.terms.truncate(keep);
    }
}

/// What one node knew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeModel {
    /// Role (followers include crashed nodes: see `up`).
    pub role: Role,
    /// Current term.
    pub term: u64,
    /// Known leader (0 = none).
    pub leader: u64,
    /// Whether it runs (not crashed).
    pub up: bool,
    /// Its log.
    pub log: LogModel,
    /// Commit index.
    pub commit: u64,
    /// Votes cast (term -> candidate), from the vote grants it sent.
    pub votes: BTreeMap<u64, u64>,
    /// Last time it heard from a leader of its term (append, heartbeat or snapshot), and from
    /// whom.
    pub heard_leader: Option<(u64, u64)>,
    /// Last time its election timer was reset by something other than a leader's message: a
    /// role change, a vote it granted, a restart.
    pub timer_reset: u64,
    /// When it took its current role, and the `seq` of that event.
    pub role_since: (u64, u64),
    /// As leader: the highest index each peer acknowledged in this term.
    pub matched: BTreeMap<u64, u64>,
}

impl NodeModel {
    fn new() -> Self {
        NodeModel {
            role: Role::Follower,
            term: 1,
            leader: 0,
            up: true,
            log: LogModel::bootstrap(),
            commit: 1,
            votes: BTreeMap::new(),
            heard_leader: None,
            timer_reset: 0,
            role_since: (0, 0),
            matched: BTreeMap::new(),
        }
    }
}

/// A message as the trace tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgRecord {
    /// Network id.
    pub id: u64,
    /// Sender.
    pub from: u64,
    /// Receiver.
    pub to: u64,
    /// Its fields.
    pub summary: MsgSummary,
    /// When it was sent, and the `seq` of the send.
    pub sent: (u64, u64),
    /// When it was delivered, and the `seq` of the delivery.
    pub delivered: Option<(u64, u64)>,
    /// When and why it was lost.
    pub dropped: Option<(u64, DropReason)>,
    /// Whether it waited on a held link.
    pub held: bool,
}

/// Entries replaced on a node: the ones it had at `from..=old_last` gave way to new ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overwrite {
    /// The node.
    pub node: u64,
    /// Virtual time.
    pub time_ms: u64,
    /// First index replaced.
    pub from: u64,
    /// Last index the node had before.
    pub old_last: u64,
    /// Terms of the replaced entries, in index order.
    pub old_terms: Vec<u64>,
    /// Term of the last new entry.
    pub new_term: u64,
    /// The leader whose append replaced them (0 if not known).
    pub leader: u64,
}

/// The state of every node after a prefix of the trace.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// Per node. Values here and in `msgs` are boxed: maps of boxed values share one copy of
    /// `BTreeMap`'s code in the wasm bundle (docs/performance.md).
    pub nodes: BTreeMap<u64, Box<NodeModel>>,
    /// Messages seen, by network id (a duplicate's copy maps to the original's fields).
    pub msgs: BTreeMap<u64, Box<MsgRecord>>,
    /// Overwrites seen.
    pub overwrites: Vec<Overwrite>,
    /// Whether the trace still held the run's first event (else logs start unknown).
    pub complete: bool,
    /// The last message delivered to each node (for appends, which follow their delivery).
    last_delivered: BTreeMap<u64, u64>,
    /// Virtual time of the last event replayed.
    pub now: u64,
}

impl Replay {
    /// Replays `events` (oldest first) up to, not including, the event numbered `until`.
    pub fn until<'a>(events: impl IntoIterator<Item = &'a TraceEvent>, until: u64) -> Self {
        let mut r = Replay::default();
        let mut first = true;
        for e in events {
            if first {
                r.complete = e.seq == 0;
                first = false;
            }
            if e.seq >= until {
                break;
            }
            r.apply(e);
        }
        r
    }

    /// The model of `node`, created on first mention.
    fn node(&mut self, id: u64) -> &mut NodeModel {
        self.nodes
            .entry(id)
            .or_insert_with(|| Box::new(NodeModel::new()))
    }

    /// A node's model, if it was ever mentioned.
    pub fn get(&self, id: u64) -> Option<&NodeModel> {
        self.nodes.get(&id).map(|n| &**n)
    }

    /// A node's model; a fresh node's if it was never mentioned (every node starts alike).
    pub fn model(&self, id: u64) -> NodeModel {
        self.nodes
            .get(&id)
            .map_or_else(NodeModel::new, |n| (**n).clone())
    }

    /// Term of the entry at `index` according to any node holding an entry at `last` with
    /// term `last_term` (log matching), except `skip`.
    fn term_from_peers(&self, skip: u64, last: u64, last_term: u64, index: u64) -> Option<u64> {
        self.nodes
            .iter()
            .filter(|(id, _)| **id != skip)
            .find(|(_, n)| n.log.term_of(last) == Some(last_term))
            .and_then(|(_, n)| n.log.term_of(index))
    }

    /// Applies one event.
    pub fn apply(&mut self, e: &TraceEvent) {
        let now = e.time_ms;
        self.now = now;
        match &e.kind {
            TraceKind::Send {
                msg,
                from,
                to,
                summary,
            } => {
                self.node(*from);
                if summary.kind == MsgKind::VoteResp && !summary.reject {
                    let n = self.node(*from);
                    n.votes.insert(summary.term, *to);
                    n.timer_reset = now;
                }
                self.msgs.insert(
                    *msg,
                    Box::new(MsgRecord {
                        id: *msg,
                        from: *from,
                        to: *to,
                        summary: summary.clone(),
                        sent: (now, e.seq),
                        delivered: None,
                        dropped: None,
                        held: false,
                    }),
                );
            }
            TraceKind::Duplicate { msg, copy } => {
                if let Some(m) = self.msgs.get(msg).cloned() {
                    self.msgs
                        .insert(*copy, Box::new(MsgRecord { id: *copy, ..*m }));
                }
            }
            TraceKind::Deliver { msg, from, to } => {
                let summary = self.msgs.get_mut(msg).map(|m| {
                    m.delivered = Some((now, e.seq));
                    m.summary.clone()
                });
                self.last_delivered.insert(*to, *msg);
                let Some(s) = summary else { return };
                let n = self.node(*to);
                let from_leader = matches!(
                    s.kind,
                    MsgKind::Append | MsgKind::Heartbeat | MsgKind::Snapshot
                );
                if from_leader && s.term >= n.term {
                    n.heard_leader = Some((now, *from));
                }
                if s.kind == MsgKind::AppendResp
                    && !s.reject
                    && n.role == Role::Leader
                    && s.term == n.term
                {
                    let m = n.matched.entry(*from).or_insert(0);
                    *m = (*m).max(s.index);
                }
            }
            TraceKind::Drop {
                msg, reason, to, ..
            } => {
                if let Some(m) = self.msgs.get_mut(msg) {
                    m.dropped = Some((now, *reason));
                }
                let _ = to;
            }
            TraceKind::Held { msg, .. } => {
                if let Some(m) = self.msgs.get_mut(msg) {
                    m.held = true;
                }
            }
            TraceKind::Role {
                node,
                role,
                term,
                leader,
            } => {
                let n = self.node(*node);
                if n.role != *role || n.term != *term {
                    n.timer_reset = now;
                    n.role_since = (now, e.seq);
                }
                if *role == Role::Leader && (n.role != Role::Leader || n.term != *term) {
                    n.matched.clear();
                }
                if *role == Role::Candidate {
                    // A candidate votes for itself (no message says so).
                    n.votes.insert(*term, *node);
                }
                n.role = *role;
                n.term = *term;
                n.leader = *leader;
            }
            TraceKind::Append {
                node,
                first,
                last,
                term,
            } => self.append(*node, *first, *last, *term, now),
            TraceKind::Commit { node, index } => self.node(*node).commit = *index,
            TraceKind::SnapshotTaken { node, index } => {
                let n = self.node(*node);
                let base_term = n.log.term_of(*index).unwrap_or(0);
                let drop = index.saturating_sub(n.log.base) as usize;
                let drop = drop.min(n.log.terms.len());
                n.log.terms.drain(..drop);
                n.log.base = *index;
                n.log.base_term = base_term;
            }
            TraceKind::SnapshotInstalled { node, index } => {
                let term = self
                    .nodes
                    .iter()
                    .filter(|(id, _)| *id != node)
                    .find_map(|(_, n)| n.log.term_of(*index).filter(|_| n.commit >= *index))
                    .unwrap_or(0);
                let n = self.node(*node);
                n.log = LogModel {
                    base: *index,
                    base_term: term,
                    terms: Vec::new(),
                };
                n.commit = n.commit.max(*index);
            }
            TraceKind::Fault { what } => self.fault(what, now),
            TraceKind::Apply { .. }
            | TraceKind::Request { .. }
            | TraceKind::Response { .. }
            | TraceKind::Violation { .. } => {}
        }
    }

    fn fault(&mut self, what: &str, now: u64) {
        let mut words = what.split_whitespace();
        let (Some(verb), Some(arg)) = (words.next(), words.next()) else {
            return;
        };
        let Ok(id) = arg.parse::<u64>() else { return };
        match verb {
            "crash" => {
                let n = self.node(id);
                n.up = false;
            }
            "restart" => {
                let n = self.node(id);
                n.up = true;
                n.role = Role::Follower;
                n.leader = 0;
                n.timer_reset = now;
                n.heard_leader = None;
                n.matched.clear();
            }
            _ => {}
        }
    }

    fn append(&mut self, node: u64, first: u64, last: u64, term: u64, now: u64) {
        let leader = self
            .last_delivered
            .get(&node)
            .and_then(|m| self.msgs.get(m))
            .filter(|m| m.summary.kind == MsgKind::Append)
            .map_or(0, |m| m.from);
        let new_terms: Vec<u64> = (first..=last)
            .map(|i| {
                if i == last {
                    term
                } else {
                    self.term_from_peers(node, last, term, i).unwrap_or(term)
                }
            })
            .collect();
        let n = self.node(node);
        let old_last = n.log.last_index();
        if first <= old_last && first > n.log.base {
            let old_terms: Vec<u64> = (first..=old_last)
                .filter_map(|i| n.log.term_of(i))
                .collect();
            let differ = old_terms.iter().zip(&new_terms).any(|(a, b)| a != b) || old_last > last;
            if differ {
                self.overwrites.push(Overwrite {
                    node,
                    time_ms: now,
                    from: first,
                    old_last,
                    old_terms,
                    new_term: term,
                    leader,
                });
            }
        }
        let n = self.node(node);
        if first <= n.log.base {
            // Entries at or below the snapshot: start over from the snapshot (rare).
            n.log.terms.clear();
        } else {
            n.log.truncate_after(first - 1);
        }
        // A gap (events before it no longer kept): unknown terms, written as 0.
        while n.log.last_index() + 1 < first {
            n.log.terms.push(0);
        }
        let skip = n.log.last_index().saturating_add(1).saturating_sub(first) as usize;
        n.log.terms.extend(new_terms.into_iter().skip(skip));
    }
}

/// Index of the event numbered `seq` in the kept slice.
fn pos(events: &[TraceEvent], seq: u64) -> usize {
    events.partition_point(|e| e.seq < seq)
}

/// The events a delivery caused: those after it at the same instant, up to the next delivery.
pub(super) fn caused_by(
    events: &[TraceEvent],
    deliver_seq: u64,
) -> impl Iterator<Item = &TraceEvent> {
    let start = pos(events, deliver_seq);
    let time = events.get(start).map_or(0, |e| e.time_ms);
    events[(start + 1).min(events.len())..]
        .iter()
        .take_while(move |e| e.time_ms == time && !matches!(e.kind, TraceKind::Deliver { .. }))
}

/// The response `from` sent to `to` of `kind` because of the delivery numbered `deliver_seq`.
pub(super) fn response_to<'a>(
    events: &'a [TraceEvent],
    all: &'a Replay,
    deliver_seq: u64,
    from: u64,
    to: u64,
    kind: MsgKind,
) -> Option<&'a MsgRecord> {
    caused_by(events, deliver_seq).find_map(|e| match &e.kind {
        TraceKind::Send {
            msg,
            from: f,
            to: t,
            summary,
        } if *f == from && *t == to && summary.kind == kind => all.msgs.get(msg).map(|m| &**m),
        _ => None,
    })
}

/// The last message of `kind` from `from` to `to` delivered before event `before`.
pub(super) fn request_before(
    all: &Replay,
    before: u64,
    from: u64,
    to: u64,
    kinds: &[MsgKind],
) -> Option<MsgRecord> {
    all.msgs
        .values()
        .filter(|m| m.from == from && m.to == to && kinds.contains(&m.summary.kind))
        .filter(|m| m.delivered.is_some_and(|(_, s)| s < before))
        .max_by_key(|m| m.delivered.map(|(_, s)| s))
        .map(|m| (**m).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, kind: TraceKind) -> TraceEvent {
        TraceEvent {
            seq,
            time_ms: seq * 10,
            kind,
        }
    }

    #[test]
    fn log_terms_are_copied_from_a_matching_log_and_overwrites_are_seen() {
        let app = |seq, node, first, last, term| {
            ev(
                seq,
                TraceKind::Append {
                    node,
                    first,
                    last,
                    term,
                },
            )
        };
        let events = vec![
            app(0, 1, 2, 2, 2),
            app(1, 1, 3, 4, 2),
            app(2, 2, 2, 2, 3), // node 2 had a lone entry of term 3 at index 2
            app(3, 1, 5, 5, 4),
            app(4, 2, 2, 5, 4), // node 2 takes node 1's entries 2..=5 (terms 2,2,2,4)
        ];
        let r = Replay::until(&events, u64::MAX);
        let n2 = &r.nodes[&2].log;
        assert_eq!(n2.terms, vec![2, 2, 2, 4]);
        assert_eq!(n2.last_index(), 5);
        assert_eq!(n2.term_of(3), Some(2));
        assert_eq!(r.overwrites.len(), 1);
        assert_eq!(r.overwrites[0].old_terms, vec![3]);
        assert_eq!(r.overwrites[0].from, 2);
        // Only events before `until` count.
        let early = Replay::until(&events, 3);
        assert_eq!(early.nodes[&2].log.terms, vec![3]);
    }

    #[test]
    fn snapshots_move_the_base() {
        let events = vec![
            ev(
                0,
                TraceKind::Append {
                    node: 1,
                    first: 2,
                    last: 9,
                    term: 2,
                },
            ),
            ev(1, TraceKind::SnapshotTaken { node: 1, index: 6 }),
            ev(2, TraceKind::Commit { node: 1, index: 9 }),
            ev(3, TraceKind::SnapshotInstalled { node: 3, index: 6 }),
        ];
        let r = Replay::until(&events, u64::MAX);
        assert_eq!(r.nodes[&1].log.base, 6);
        assert_eq!(r.nodes[&1].log.term_of(6), Some(2));
        assert_eq!(r.nodes[&1].log.term_of(5), None);
        assert_eq!(r.nodes[&1].log.last_index(), 9);
        assert_eq!(r.nodes[&3].log.base, 6);
        assert_eq!(r.nodes[&3].log.base_term, 2);
    }
}
