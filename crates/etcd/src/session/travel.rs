//! Moves in the session's time: seek, step back, back to the end, fork. A move replays the
//! session from its nearest checkpoint (or the start) to where it goes, in slices on the page
//! ([`Move::Replay`]), while the whole session is kept to move about in until the next action
//! forks it.

use crate::playground::Recorded;
use crate::scenario::{Checkpoint, Goal, Replay, Scenario};
use std::sync::Arc;

use super::{Kept, Session};

/// What a move in the session takes.
pub enum Move {
    /// Nothing: the session is there already.
    Stay,
    /// Nothing to replay: [`Session::arrive_at`] the goal at once.
    Now(Goal),
    /// A replay (from the nearest checkpoint before the goal, else from the start), to run
    /// (in slices) and hand to [`Session::arrive`].
    Replay(Box<Replay>),
}

impl Session {
    /// The session as a scenario that replays it (the kept one while looking at the past).
    fn session_scenario(&self) -> Arc<Scenario> {
        match &self.kept {
            Some(k) => k.scenario.clone(),
            None => Arc::new(Scenario::from_recording(
                self.pg.cluster().config().clone(),
                self.pg.planted_at_start(),
                "",
                self.lines.clone(),
                (self.pg.now(), self.pg.steps()),
            )),
        }
    }

    /// A replay of the session to `goal`: from the latest checkpoint on its way, else from the
    /// start; it keeps checkpoints of its own on the way.
    fn replay_to(&self, goal: Goal) -> Result<Box<Replay>, String> {
        let s = self.session_scenario();
        let mut r = match self.checkpoints.replay(&s, goal) {
            Some(r) => r,
            None => Replay::shared(s, goal).map_err(|e| e.to_string())?,
        };
        r.keep_checkpoints(self.checkpoints.every());
        Ok(Box::new(r))
    }

    /// Keeps a checkpoint of the live session, if one is due, right before a line is given.
    pub(super) fn checkpoint_before_line(&mut self) {
        if !self.pg.needs_more() && self.checkpoints.due(self.pg.steps()) {
            let cp = Checkpoint::before_line(&self.pg, &self.lines);
            self.checkpoints.add(cp);
        }
    }

    fn keep(&mut self) -> &mut Kept {
        if self.kept.is_none() {
            let end = (self.pg.now(), self.pg.steps());
            self.kept = Some(Kept {
                scenario: self.session_scenario(),
                lines: self.lines.clone(),
                end,
                at_end: None,
            });
        }
        self.kept.as_mut().expect("kept")
    }

    /// What moving to virtual time `t` of the session takes (see [`Session::seek`]): nothing,
    /// or a replay from the start to run in slices and hand to [`Session::arrive`].
    ///
    /// # Errors
    /// A configuration that does not make a cluster.
    pub fn plan_seek(&self, t: u64) -> Result<Move, String> {
        let end = self.kept.as_ref().map_or(self.pg.now(), |k| k.end.0);
        let goal = match t >= end {
            // At or after the end: back to the end exactly, at once if its playground is kept.
            true if self.kept.as_ref().is_none_or(|k| k.at_end.is_some()) => {
                return Ok(Move::Now(Goal::End))
            }
            true => Goal::End,
            false => Goal::Time(t),
        };
        Ok(Move::Replay(self.replay_to(goal)?))
    }

    /// What moving back one event takes: nothing at the start, else a replay to one event
    /// fewer.
    ///
    /// # Errors
    /// A configuration that does not make a cluster.
    pub fn plan_step_back(&self) -> Result<Move, String> {
        match self.pg.steps() {
            0 => Ok(Move::Stay),
            n => Ok(Move::Replay(self.replay_to(Goal::Step(n - 1))?)),
        }
    }

    /// Moves to where a finished replay of the session stands (planned by
    /// [`Session::plan_seek`] or [`Session::plan_step_back`] on this session as it still is).
    pub fn arrive(&mut self, mut r: Replay) {
        self.checkpoints.extend(r.take_checkpoints());
        let goal = r.goal();
        let (pg, _) = r.finish();
        self.arrive_at(goal, Some(pg));
    }

    /// Moves to `goal` of the session: the playground a replay reached, or (for the end) the
    /// one kept when the session left the end.
    pub fn arrive_at(&mut self, goal: Goal, pg: Option<crate::Playground>) {
        if goal == Goal::End && self.kept.is_none() {
            return; // Already at the end.
        }
        let k = self.keep();
        match goal {
            Goal::End => {
                let Some(pg) = pg.or_else(|| k.at_end.take().map(|b| *b)) else {
                    return;
                };
                let k = self.kept.take().expect("kept");
                self.pg = pg;
                self.lines = k.lines;
            }
            Goal::Time(t) => {
                let lines = prefix(&k.lines, |r| r.at_ms < t);
                if let Some(pg) = pg {
                    self.leave(pg, lines);
                }
            }
            Goal::Step(n) => {
                let lines = prefix(&k.lines, |r| r.step < n);
                if let Some(pg) = pg {
                    self.leave(pg, lines);
                }
            }
        }
    }

    /// Moves to virtual time `t` of the session by replaying it from the start: the state of a
    /// straight run to `t`, before any line given at `t` itself. At or after the end, back to
    /// the end exactly: the end's own playground, kept when the session left it, so that costs
    /// nothing. The later part is kept until the next action. In one go (tests); the page runs
    /// [`Session::plan_seek`]'s replay in slices.
    ///
    /// # Errors
    /// The invariant violation that stopped the replay (the session is unchanged).
    pub fn seek(&mut self, t: u64) -> Result<(), String> {
        let m = self.plan_seek(t)?;
        self.go(m)
    }

    /// Runs a planned move in one go.
    fn go(&mut self, m: Move) -> Result<(), String> {
        match m {
            Move::Stay => {}
            Move::Now(goal) => self.arrive_at(goal, None),
            Move::Replay(mut r) => {
                while !r.advance(u64::MAX).map_err(|e| e.to_string())? {}
                self.arrive(*r);
            }
        }
        Ok(())
    }

    /// Shows `pg` (a replayed point of the kept session); if the session stood at the end of
    /// the session, that playground is kept for the way back.
    fn leave(&mut self, pg: crate::Playground, lines: imbl::Vector<Recorded>) {
        let old = std::mem::replace(&mut self.pg, pg);
        self.lines = lines;
        if let Some(k) = self.kept.as_mut() {
            if k.at_end.is_none() && (old.now(), old.steps()) == k.end {
                k.at_end = Some(Box::new(old));
            }
        }
    }

    /// Moves back one event (a replay to one event fewer). Returns false at the start.
    ///
    /// # Errors
    /// The invariant violation that stopped the replay.
    pub fn step_back(&mut self) -> Result<bool, String> {
        let m = self.plan_step_back()?;
        let moved = !matches!(m, Move::Stay);
        self.go(m)?;
        Ok(moved)
    }

    /// Drops the later part of the session kept while looking at the past: from here on the
    /// session is what happened up to now plus whatever comes next.
    pub fn fork(&mut self) {
        if self.kept.take().is_some() {
            // The later part of the session goes, and its checkpoints with it.
            self.checkpoints.fork_at(self.lines.len());
        }
    }
}

/// The lines of `all` up to the first one `keep` refuses (a txn's continuation lines go with
/// their first line).
fn prefix(
    all: &imbl::Vector<Recorded>,
    keep: impl Fn(&Recorded) -> bool,
) -> imbl::Vector<Recorded> {
    let n = all.iter().take_while(|r| r.continuation || keep(r)).count();
    all.take(n)
}
