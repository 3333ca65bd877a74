//! Checkpoints of a session for time travel: a replay's state (the playground, a clone that
//! shares what it can) at a point of the session, from which [`Replay::resume`] goes on to
//! any later goal exactly as a replay from the start would (same trace hash, same output).
//!
//! A checkpoint is taken either right before a line is given (its point in time reached) or
//! while the run steps towards the next line; which goals it serves follows from the rule a
//! replay uses to stop ([`Goal`]): a goal that would give the line the checkpoint waits for
//! passes through it, and so does a goal that stops before that line but after the events
//! the checkpoint has run. [`Checkpoints`] keeps a bounded number of them for a session.
//!
//! ```
//! use std::sync::Arc;
//! use etcd::scenario::{parse, Checkpoints, Goal, Replay};
//!
//! let s = Arc::new(parse("@nodes 3\n@seed 4\nat 1000ms put a 1\nat 3000ms put b 2\n@until 6000ms\n").unwrap());
//! let mut r = Replay::shared(s.clone(), Goal::End).unwrap();
//! r.keep_checkpoints(200);
//! while !r.advance(u64::MAX).unwrap() {}
//! let mut kept = Checkpoints::new(200, 16);
//! kept.extend(r.take_checkpoints());
//! let mut seek = kept.replay(&s, Goal::Time(5000)).unwrap();
//! while !seek.advance(u64::MAX).unwrap() {}
//! let direct = s.replay_until(5000).unwrap();
//! assert_eq!(seek.finish().0.cluster().trace_hash(), direct.cluster().trace_hash());
//! ```

use std::sync::Arc;

use super::phase::Phase;
use super::{Goal, Replay, Scenario};
use crate::playground::{Playground, Recorded};
use crate::repl::Repl;

/// What a checkpoint's run was heading for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Target {
    /// The line at the cursor, at this virtual time and event count.
    Line { at_ms: u64, at_step: Option<u64> },
    /// The end of the lines (the step's `@until`, for a replay to the end).
    End,
}

/// A replay's state at a point of its session (see the module's documentation), its
/// playground packed ([`Playground::pack`]) while it is kept.
#[derive(Clone)]
pub struct Checkpoint {
    pub(super) repl: Repl,
    /// The lines given so far (structurally shared between checkpoints).
    pub(super) lines: imbl::Vector<Recorded>,
    /// The line of the (single) step given next.
    pub(super) cursor: usize,
    /// Virtual ms and events when that line was looked at.
    pub(super) looked: (u64, u64),
    pub(super) target: Target,
    /// How the replay goes on from here, towards the end of the session.
    pub(super) phase: Phase,
}

impl Checkpoint {
    /// A checkpoint of a live session right before its next line is given: `pg` as it stands,
    /// `lines` the session's lines so far (as [`super::Scenario::from_recording`] takes them).
    /// A replay of the recorded session passes through the same state (lines are recorded
    /// with their time and event count, and giving a line runs no event).
    pub fn before_line(pg: &Playground, lines: &imbl::Vector<Recorded>) -> Self {
        let looked = lines.last().map_or((0, 0), |l| (l.at_ms, l.step));
        let mut kept = pg.clone();
        kept.pack();
        Checkpoint {
            repl: Repl::fresh(kept),
            lines: lines.clone(),
            cursor: lines.len(),
            looked,
            target: Target::Line {
                at_ms: pg.now(),
                at_step: Some(pg.steps()),
            },
            phase: Phase::Give {
                number: lines.len() + 1,
            },
        }
    }

    /// Virtual ms at the checkpoint.
    pub fn now(&self) -> u64 {
        self.repl.playground().now()
    }

    /// Events run before the checkpoint.
    pub fn steps(&self) -> u64 {
        self.repl.playground().steps()
    }

    /// Lines given before the checkpoint.
    pub fn lines_given(&self) -> usize {
        self.cursor
    }

    /// The playground at the checkpoint, packed (its trace holds no events: see
    /// [`Playground::pack`]).
    pub fn playground(&self) -> &Playground {
        self.repl.playground()
    }

    /// How a replay to `goal` goes on from here (`tail` is the goal's phase past the lines),
    /// or `None` if its run does not pass through this checkpoint.
    pub(super) fn resume_phase(&self, goal: Goal, tail: Phase) -> Option<Phase> {
        let (now, steps) = (self.now(), self.steps());
        let (looked_ms, looked_steps) = self.looked;
        // Whether a replay to `goal` gives the line at the cursor (as `Replay::next_line`
        // decides, from the state the line before it left).
        let gives = match (goal, self.target) {
            (Goal::End, _) => true,
            (_, Target::End) => false,
            (Goal::Time(t), Target::Line { at_ms, .. }) => !(at_ms >= t || looked_ms > t),
            (Goal::Step(n), Target::Line { at_step, .. }) => {
                !(at_step.is_some_and(|a| a >= n) || looked_steps > n)
            }
        };
        if gives {
            return Some(self.phase);
        }
        // It stops before that line and runs on to its own time or event count from where
        // the line before left: this checkpoint is on that way if it only stepped from there
        // and not past the goal.
        let stepping = !matches!(self.phase, Phase::Give { .. });
        let on_the_way = match goal {
            Goal::Time(t) => looked_ms < t && now <= t,
            Goal::Step(n) => looked_steps < n && steps <= n,
            Goal::End => false,
        };
        // Its run to the goal's time has begun (the clock was before it when the line before
        // left), even if the clock is at the goal now.
        let tail = match tail {
            Phase::TailTime { ms, .. } => Phase::TailTime { ms, running: true },
            other => other,
        };
        (stepping && on_the_way).then_some(tail)
    }
}

/// Gathers the checkpoints a replay takes, about every `every` events.
pub(super) struct Keeper {
    every: u64,
    pub(super) next_at: u64,
    taken: Vec<Checkpoint>,
}

impl Keeper {
    pub(super) fn new(every: u64, next_at: u64) -> Self {
        Keeper {
            every,
            next_at,
            taken: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, cp: Checkpoint) {
        self.next_at = cp.steps() + self.every;
        self.taken.push(cp);
    }

    pub(super) fn take(&mut self) -> Vec<Checkpoint> {
        std::mem::take(&mut self.taken)
    }
}

/// A session's checkpoints, at most `max` of them about `every` events apart: when there are
/// more, every other one goes and the spacing doubles, so memory stays bounded and a seek
/// replays at most one spacing's worth of events.
///
/// A checkpoint's playground shares everything that grows with the session with the live one
/// and the other checkpoints (the stores, the logs, the session's lines and client history,
/// the invariant checker's maps are persistent): what a checkpoint holds alone is what the
/// live session has since let go of, its sliding windows (the trace events kept, the Raft
/// logs before their next compaction), a few megabytes whatever the session's length. So
/// `max` bounds the memory.
#[derive(Clone)]
pub struct Checkpoints {
    every: u64,
    max: usize,
    /// Sorted by event count, then by lines given.
    list: Vec<Checkpoint>,
}

impl Checkpoints {
    /// An empty set, `every` events apart at first, at most `max` (at least 2).
    pub fn new(every: u64, max: usize) -> Self {
        Checkpoints {
            every: every.max(1),
            max: max.max(2),
            list: Vec::new(),
        }
    }

    /// The spacing in events now.
    pub fn every(&self) -> u64 {
        self.every
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The checkpoints kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Checkpoint> {
        self.list.iter()
    }

    /// Whether a checkpoint at `steps` events would be kept (the last one is at least a
    /// spacing before it).
    pub fn due(&self, steps: u64) -> bool {
        self.list
            .iter()
            .rev()
            .find(|c| c.steps() <= steps)
            .is_none_or(|c| steps >= c.steps() + self.every)
            && self.list.iter().all(|c| c.steps() != steps)
    }

    /// Keeps `cp` if one is due there.
    pub fn add(&mut self, cp: Checkpoint) {
        if !self.due(cp.steps()) {
            return;
        }
        let at = self
            .list
            .partition_point(|c| (c.steps(), c.cursor) < (cp.steps(), cp.cursor));
        self.list.insert(at, cp);
        while self.list.len() > self.max {
            self.every = self.every.saturating_mul(2);
            let mut i = 0;
            self.list.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
    }

    /// Keeps those of `cps` that are due.
    pub fn extend(&mut self, cps: impl IntoIterator<Item = Checkpoint>) {
        for cp in cps {
            self.add(cp);
        }
    }

    /// Forgets the checkpoints that are not of a session whose first `lines` lines are kept
    /// and whose next line is not given yet (a fork: the later part of the session changes).
    pub fn fork_at(&mut self, lines: usize) {
        self.list.retain(|c| c.cursor < lines);
    }

    /// Forgets them all.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// A replay of `scenario` (the session the checkpoints are of) to `goal` from the latest
    /// checkpoint on its way, or `None` if there is none.
    pub fn replay(&self, scenario: &Arc<Scenario>, goal: Goal) -> Option<Replay> {
        self.list
            .iter()
            .rev()
            .find_map(|c| Replay::resume(scenario.clone(), goal, c))
    }
}
