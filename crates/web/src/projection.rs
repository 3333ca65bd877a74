//! From the cluster to what is drawn: plain functions and one reader of the trace, no signals
//! and no clock of their own (the wall time a mark is seen at is passed in). The controller
//! writes what they return into the page's signals ([`crate::control`]); they are tested
//! natively.
//!
//! - [`TraceScan`] reads the trace's new events into the timeline (leaders' terms, faults,
//!   requests), the messages lost on the way and the log entries a new leader overwrote.
//! - [`log_window`] is the part of every node's log on screen.
//! - [`counters`] are the cluster panel's numbers.

use sim::cluster::Stats;
use sim::id_map::IdMap;
use sim::trace::Trace;
use sim::{ClusterView, NodeStatus, Role, TraceKind};

use crate::model::{
    role_label, status_label, Counters, DropMark, LogRow, LogWindow, Mark, MarkKind, TermSpan,
    Timeline,
};
use etcd::session::Machine;

/// Log cells shown at once.
pub const LOG_CELLS: u64 = 32;
/// Timeline marks kept.
pub const MARKS_KEEP: usize = 600;
/// Lost messages kept on screen at most.
pub const DROPS_KEEP: usize = 60;
/// Wall ms a dropped message stays visible.
pub const DROP_SHOW_MS: f64 = 900.0;
/// Wall ms an overwritten entry stays highlighted.
pub const OVERWRITE_SHOW_MS: f64 = 4_000.0;

/// Entries of a node's log that a new leader replaced: `(node, first, last, wall ms seen)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overwrite {
    /// The node whose log changed.
    pub node: u64,
    /// First index replaced.
    pub first: u64,
    /// Last index replaced.
    pub last: u64,
    /// Wall ms when it was seen.
    pub wall: f64,
}

/// Reads the trace as it grows into what the timeline and the logs show. Holds only what it
/// needs between frames: where it stopped reading, each node's last appended index, the
/// leader's open term and the timeline built so far.
#[derive(Clone, Debug, Default)]
pub struct TraceScan {
    /// The first trace event not read yet.
    seq: u64,
    last_appended: IdMap<u64>,
    overwrites: Vec<Overwrite>,
    open_span: Option<TermSpan>,
    timeline: Timeline,
    /// Whether the timeline changed since [`TraceScan::take_timeline`].
    timeline_dirty: bool,
}

impl TraceScan {
    /// Reads the events of `trace` not read yet (those still in memory); returns the messages
    /// lost among them, seen at wall time `wall`.
    pub fn scan(&mut self, trace: &Trace, wall: f64) -> Vec<DropMark> {
        let fresh: Vec<&sim::TraceEvent> = trace
            .events()
            .rev()
            .take_while(|e| e.seq >= self.seq)
            .collect();
        self.seq = trace.total();
        let mut marks = Vec::new();
        let mut drops = Vec::new();
        let mut spans_changed = false;
        let mut closed = Vec::new();
        for e in fresh.into_iter().rev() {
            match &e.kind {
                TraceKind::Role {
                    node, role, term, ..
                } => {
                    let open = self.open_span.as_ref().map(|s| (s.node, s.term));
                    if *role == Role::Leader && open != Some((*node, *term)) {
                        if let Some(mut s) = self.open_span.take() {
                            s.end = Some(e.time_ms);
                            closed.push(s);
                        }
                        self.open_span = Some(TermSpan {
                            node: *node,
                            term: *term,
                            start: e.time_ms,
                            end: None,
                        });
                        spans_changed = true;
                    } else if *role != Role::Leader && open.map(|o| o.0) == Some(*node) {
                        if let Some(mut s) = self.open_span.take() {
                            s.end = Some(e.time_ms);
                            closed.push(s);
                        }
                        spans_changed = true;
                    }
                }
                TraceKind::Fault { what } => {
                    if what.starts_with("start ") {
                        continue;
                    }
                    if let Some(n) = what.strip_prefix("crash ") {
                        let n: u64 = n.trim().parse().unwrap_or(0);
                        if self.open_span.as_ref().map(|s| s.node) == Some(n) {
                            if let Some(mut s) = self.open_span.take() {
                                s.end = Some(e.time_ms);
                                closed.push(s);
                            }
                            spans_changed = true;
                        }
                    }
                    marks.push(Mark {
                        time_ms: e.time_ms,
                        kind: MarkKind::Fault,
                        text: what.clone(),
                    });
                }
                TraceKind::Response { id, node, outcome } => {
                    let ok = outcome.starts_with("written") || outcome.starts_with("read");
                    marks.push(Mark {
                        time_ms: e.time_ms,
                        kind: if ok { MarkKind::Ok } else { MarkKind::Failed },
                        text: format!("request {id} at node {node}: {outcome}"),
                    });
                }
                TraceKind::Drop { msg, from, to, .. } => drops.push(DropMark {
                    msg: *msg,
                    from: *from,
                    to: *to,
                    wall,
                }),
                TraceKind::Append {
                    node, first, last, ..
                } => {
                    let prev = self.last_appended.get(node).copied().unwrap_or(0);
                    if *first <= prev {
                        self.overwrites.push(Overwrite {
                            node: *node,
                            first: *first,
                            last: prev,
                            wall,
                        });
                    }
                    self.last_appended.insert(*node, *last);
                }
                TraceKind::SnapshotInstalled { node, index } => {
                    self.last_appended.insert(*node, *index);
                }
                _ => {}
            }
        }
        if spans_changed || !marks.is_empty() {
            let open = self.open_span.clone();
            let t = &mut self.timeline;
            // Replace the open span (kept last) by the closed ones and the new open one.
            if t.spans.last().is_some_and(|s| s.end.is_none()) {
                t.spans.pop();
            }
            t.spans.extend(closed);
            t.spans.extend(open);
            t.marks.extend(marks);
            if t.marks.len() > MARKS_KEEP {
                let cut = t.marks.len() - MARKS_KEEP;
                t.marks.drain(..cut);
            }
            self.timeline_dirty = true;
        }
        drops
    }

    /// The timeline, if it changed since it was last taken.
    pub fn take_timeline(&mut self) -> Option<Timeline> {
        if !self.timeline_dirty {
            return None;
        }
        self.timeline_dirty = false;
        Some(self.timeline.clone())
    }

    /// Forgets the overwrites shown long enough by wall time `wall`.
    pub fn expire(&mut self, wall: f64) {
        self.overwrites
            .retain(|o| wall - o.wall < OVERWRITE_SHOW_MS);
    }

    /// The overwrites on screen.
    pub fn overwrites(&self) -> &[Overwrite] {
        &self.overwrites
    }

    /// After a move in the session to virtual time `now` (the trace then holds `trace_total`
    /// events, and the nodes of `view` their logs): what a straight run to `now` shows is kept,
    /// the rest dropped, and reading goes on from there.
    pub fn rewind(&mut self, now: u64, trace_total: u64, view: &ClusterView) {
        let t = &mut self.timeline;
        t.spans.retain(|s| s.start <= now);
        for s in &mut t.spans {
            if s.end.is_some_and(|e| e > now) {
                s.end = None;
            }
        }
        t.marks.retain(|m| m.time_ms <= now);
        self.open_span = t.spans.last().filter(|s| s.end.is_none()).cloned();
        self.timeline_dirty = true;
        self.seq = trace_total;
        self.last_appended = IdMap::new();
        for n in &view.nodes {
            self.last_appended.insert(n.id, n.last_index);
        }
        self.overwrites.clear();
    }
}

/// The window of the logs on screen: [`LOG_CELLS`] indices from `log_from` (clamped), or the
/// tail when it is `None`, with each node's entries there, its leader's progress and the
/// entries recently overwritten.
pub fn log_window(
    cluster: &sim::Cluster<Machine>,
    view: &ClusterView,
    log_from: Option<u64>,
    overwrites: &[Overwrite],
) -> LogWindow {
    let max_index = view.nodes.iter().map(|n| n.last_index).max().unwrap_or(0);
    let from = match log_from {
        Some(f) => f.min(max_index.saturating_sub(LOG_CELLS - 1)).max(1),
        None => max_index.saturating_sub(LOG_CELLS - 1).max(1),
    };
    let to = from + LOG_CELLS - 1;
    let leader = view
        .leader
        .and_then(|l| view.nodes.iter().find(|n| n.id == l));
    let rows = view
        .nodes
        .iter()
        .map(|n| LogRow {
            node: n.id,
            label: match n.status {
                NodeStatus::Up => role_label(n).to_string(),
                s => status_label(s).to_string(),
            },
            down: n.status != NodeStatus::Up,
            first_index: n.first_index,
            last_index: n.last_index,
            commit: n.commit,
            applied: n.applied,
            entries: cluster.log_entries(n.id, from, to),
            progress: leader.filter(|l| l.id != n.id).and_then(|l| {
                l.progress
                    .iter()
                    .find(|p| p.id == n.id)
                    .map(|p| (p.matched, p.next))
            }),
            overwritten: overwrites
                .iter()
                .filter(|o| o.node == n.id)
                .flat_map(|o| o.first.max(from)..=o.last.min(to))
                .collect(),
        })
        .collect();
    LogWindow {
        from,
        to,
        max_index,
        rows,
    }
}

/// The cluster panel's counters.
pub fn counters(st: &Stats) -> Counters {
    Counters {
        sent: st.sent,
        delivered: st.delivered,
        dropped: st.dropped,
        elections: st.leaders.len() as u64,
        max_commit: st.max_commit,
        ok: st.writes_ok + st.reads_ok,
        failed: st.failed,
        events: st.events,
    }
}

/// Keeps at most [`DROPS_KEEP`] lost messages, the newest.
pub fn keep_drops(d: &mut Vec<DropMark>) {
    if d.len() > DROPS_KEEP {
        let cut = d.len() - DROPS_KEEP;
        d.drain(..cut);
    }
}

#[cfg(test)]
#[path = "projection_tests.rs"]
mod tests;
