//! Replaying a scenario in slices: the same run as [`Scenario::run_recorded`],
//! [`Scenario::replay_until`] and [`Scenario::replay_until_step`] (those three are this replay
//! run in one go), but resumable after any number of events, so that a caller with a user
//! interface (the page) can run a slice, let the browser render and answer, and go on, show how
//! far it got, or drop it.
//!
//! ```
//! use etcd::scenario::{parse, Goal, Replay};
//!
//! let s = parse("@nodes 3\n@seed 4\nput a 1\nsleep 2s\nput b 2\n").unwrap();
//! let mut r = Replay::new(&s, Goal::End).unwrap();
//! while !r.advance(50).unwrap() {
//!     assert!(r.progress().fraction < 1.0);
//! }
//! let (pg, _lines) = r.finish();
//! assert_eq!(pg.cluster().trace_hash(), s.run().unwrap().1.trace_hash);
//! ```

use std::sync::Arc;

use super::checkpoint::{Checkpoint, Keeper, Target};
use super::phase::{Phase, Then};
use super::run::within_bound;
use super::session::is_cancel;
use super::{bound, Scenario};
use crate::error::Result;
use crate::playground::{CommandState, Playground, Recorded};
use crate::repl::{Repl, LINE_LIMIT_MS};

/// Where a replay stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// The end of the scenario: every line and every step's `@until` (an import, a link).
    End,
    /// Virtual time `t`, before any line given at `t` itself (a seek).
    Time(u64),
    /// Exactly `n` events, before any line given after the `n`-th event (a step back).
    Step(u64),
}

/// How far a replay has got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayProgress {
    /// Virtual ms reached.
    pub now_ms: u64,
    /// Events run.
    pub events: u64,
    /// Lines given so far.
    pub lines_done: usize,
    /// Lines of the scenario.
    pub lines_total: usize,
    /// The share of the work done, from 0 to 1: by events when the end's event count is known
    /// (a recording), else by virtual time when the end's time is known, else by lines.
    pub fraction: f64,
}

/// A scenario being replayed (see the module's documentation).
pub struct Replay {
    scenario: Arc<Scenario>,
    goal: Goal,
    repl: Repl,
    lines: imbl::Vector<Recorded>,
    /// The next line: (step, line) of `scenario.steps`.
    cursor: (usize, usize),
    phase: Phase,
    lines_done: usize,
    lines_total: usize,
    /// Virtual ms and events at the end of the scenario, where its text says.
    end: (Option<u64>, Option<u64>),
    /// Virtual ms and events when the line at the cursor (or the end of the lines) was looked
    /// at: where the line before it left the run.
    looked: (u64, u64),
    /// Checkpoints taken on the way, when asked for ([`Replay::keep_checkpoints`]).
    keeper: Option<Keeper>,
}

impl Replay {
    /// Starts replaying `scenario` on a fresh playground, to `goal`.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(scenario: &Scenario, goal: Goal) -> Result<Replay> {
        Self::shared(Arc::new(scenario.clone()), goal)
    }

    /// [`Replay::new`] of a scenario shared with its caller (a long session is not copied).
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn shared(scenario: Arc<Scenario>, goal: Goal) -> Result<Replay> {
        let repl = Repl::fresh(scenario.start()?);
        Ok(Self::at(scenario, goal, repl))
    }

    /// A replay of `scenario` to `goal` from `repl`, at the start of its lines.
    fn at(scenario: Arc<Scenario>, goal: Goal, repl: Repl) -> Replay {
        let lines_total = scenario.steps.iter().map(|s| s.lines.len()).sum();
        let untils = || scenario.steps.iter().filter_map(|s| s.until);
        let end_ms = untils()
            .map(|u| u.0)
            .chain(scenario.steps.iter().filter_map(|s| s.lines.max_at_ms()))
            .max();
        let end_events = untils().filter_map(|u| u.1).max();
        Replay {
            scenario,
            goal,
            repl,
            lines: imbl::Vector::new(),
            cursor: (0, 0),
            phase: Phase::Next,
            lines_done: 0,
            lines_total,
            end: (end_ms, end_events),
            looked: (0, 0),
            keeper: None,
        }
    }

    /// Resumes replaying `scenario` to `goal` from checkpoint `cp` (taken on a replay of the
    /// same scenario, or of the live session it records): the same run as [`Replay::shared`]
    /// from the start, without the part before the checkpoint. `None` if the checkpoint is not
    /// on the way to `goal` (it is past it).
    pub fn resume(scenario: Arc<Scenario>, goal: Goal, cp: &Checkpoint) -> Option<Replay> {
        if scenario.steps.len() != 1 {
            return None;
        }
        let phase = cp.resume_phase(goal, tail_of(goal))?;
        let mut repl = cp.repl.clone();
        repl.playground_mut().unpack();
        let mut r = Self::at(scenario, goal, repl);
        r.phase = phase;
        r.lines = cp.lines.clone();
        r.cursor = (0, cp.cursor);
        r.lines_done = cp.cursor;
        r.looked = cp.looked;
        Some(r)
    }

    /// Keeps a checkpoint about every `every` events from here on (see
    /// [`Replay::take_checkpoints`]), for a session's time travel.
    pub fn keep_checkpoints(&mut self, every: u64) {
        if self.scenario.steps.len() == 1 {
            let next = self.repl.playground().steps() + every.max(1);
            self.keeper = Some(Keeper::new(every.max(1), next));
        }
    }

    /// The checkpoints taken so far, oldest first.
    pub fn take_checkpoints(&mut self) -> Vec<Checkpoint> {
        self.keeper.as_mut().map(Keeper::take).unwrap_or_default()
    }

    /// Runs at most `budget` events and lines; returns whether the replay is done.
    ///
    /// # Errors
    /// An invariant violation, or the run going past the bound on a scenario's work (naming
    /// the line); the replay cannot go on after one.
    pub fn advance(&mut self, budget: u64) -> Result<bool> {
        let mut left = budget;
        loop {
            if matches!(self.phase, Phase::Done) {
                return Ok(true);
            }
            if left == 0 {
                return Ok(false);
            }
            self.phase = self.run(self.phase, &mut left)?;
        }
    }

    /// How far the replay has got.
    pub fn progress(&self) -> ReplayProgress {
        let pg = self.repl.playground();
        let (now_ms, events) = (pg.now(), pg.steps());
        let share = |a: u64, b: u64| a as f64 / b.max(1) as f64;
        let fraction = match (self.goal, self.end) {
            (Goal::Time(t), _) => share(now_ms, t),
            (Goal::Step(n), _) => share(events, n),
            (Goal::End, (_, Some(n))) => share(events, n),
            (Goal::End, (Some(t), None)) if t > 0 => share(now_ms, t),
            (Goal::End, _) => share(self.lines_done as u64, self.lines_total as u64),
        };
        ReplayProgress {
            now_ms,
            events,
            lines_done: self.lines_done,
            lines_total: self.lines_total,
            // 1 only once done (the last events can be reached before the last phase ends).
            fraction: match self.phase {
                Phase::Done => 1.0,
                _ => fraction.clamp(0.0, 0.999),
            },
        }
    }

    /// The goal.
    pub fn goal(&self) -> Goal {
        self.goal
    }

    /// The playground reached, with every line it was given (`cancel` lines included, each
    /// with its virtual time and event count, ready for [`super::record_lines`]).
    pub fn finish(self) -> (Playground, Vec<Recorded>) {
        (
            self.repl.into_playground(),
            self.lines.into_iter().collect(),
        )
    }

    /// Where the replay would go next, as a checkpoint's target: the line at the cursor, or the
    /// end of the lines.
    fn target(&self) -> Target {
        let (s, l) = self.cursor;
        match self.scenario.steps.get(s).and_then(|st| st.lines.get(l)) {
            Some(line) => Target::Line {
                at_ms: line.at_ms.unwrap_or(0),
                at_step: line.at_step,
            },
            None => Target::End,
        }
    }

    /// Takes a checkpoint now if one is due, to resume with `phase`: only between lines (not
    /// inside a txn) and where the run so far is what any goal's run passes through.
    fn checkpoint(&mut self, phase: Phase) {
        let due = self
            .keeper
            .as_ref()
            .is_some_and(|k| self.repl.playground().steps() >= k.next_at);
        if !due || self.cursor.0 != 0 || self.repl.playground().needs_more() {
            return;
        }
        let mut repl = self.repl.clone();
        repl.playground_mut().pack();
        let cp = Checkpoint {
            repl,
            lines: self.lines.clone(),
            cursor: self.cursor.1,
            looked: self.looked,
            target: self.target(),
            phase,
        };
        if let Some(k) = self.keeper.as_mut() {
            k.push(cp);
        }
    }

    fn pg(&mut self) -> &mut Playground {
        self.repl.playground_mut()
    }

    /// One event, counted against the budget.
    fn event(&mut self, left: &mut u64) -> Result<()> {
        *left -= 1;
        self.pg().step()
    }

    /// Does what `phase` asks for until it is over or the budget is spent; returns the phase
    /// that follows (the same one if the budget ran out first).
    fn run(&mut self, phase: Phase, left: &mut u64) -> Result<Phase> {
        match phase {
            Phase::Next => self.next_line(left),
            Phase::Steps {
                n,
                ms,
                number,
                then,
            } => {
                while self.pg().steps() < n {
                    if *left == 0 {
                        return Ok(phase);
                    }
                    self.event(left)?;
                    if self.pg().steps().is_multiple_of(4096) {
                        within_bound(self.repl.playground(), number)?;
                    }
                    self.checkpoint(phase);
                }
                Ok(match self.pg().now() < ms {
                    true => Phase::Time { ms, number, then },
                    false => self.reached(number, then)?,
                })
            }
            Phase::Time { ms, number, then } => {
                if !self.run_to(ms, number, left, Some(phase))? {
                    return Ok(phase);
                }
                self.reached(number, then)
            }
            Phase::Settle {
                id,
                deadline,
                number,
            } => loop {
                let settled = self
                    .pg()
                    .output(id)
                    .is_none_or(|o| o.state != CommandState::Running || o.settled);
                if settled {
                    return self.line_over(number);
                }
                if self.pg().next_time() > deadline {
                    self.pg().run_until(deadline)?;
                    return self.line_over(number);
                }
                if *left == 0 {
                    return Ok(phase);
                }
                self.event(left)?;
            },
            Phase::TailTime { ms, running } => {
                if (running || self.pg().now() < ms) && !self.run_to(ms, 0, left, None)? {
                    return Ok(Phase::TailTime { ms, running: true });
                }
                within_bound(self.repl.playground(), 0)?;
                Ok(Phase::Done)
            }
            Phase::TailSteps { n } => {
                while self.pg().steps() < n {
                    if *left == 0 {
                        return Ok(phase);
                    }
                    self.event(left)?;
                    if self.pg().steps().is_multiple_of(4096) {
                        within_bound(self.repl.playground(), 0)?;
                    }
                }
                within_bound(self.repl.playground(), 0)?;
                Ok(Phase::Done)
            }
            Phase::Give { number } => self.reached(number, Then::Line),
            Phase::Done => Ok(Phase::Done),
        }
    }

    /// Runs every event up to virtual time `ms`, as [`Playground::run_until`] does; returns
    /// whether it got there within the budget. Checkpoints on the way resume with `phase`.
    fn run_to(
        &mut self,
        ms: u64,
        number: usize,
        left: &mut u64,
        phase: Option<Phase>,
    ) -> Result<bool> {
        while self.pg().next_time() <= ms {
            if *left == 0 {
                return Ok(false);
            }
            self.event(left)?;
            if self.pg().steps().is_multiple_of(4096) {
                within_bound(self.repl.playground(), number)?;
            }
            if let Some(p) = phase {
                self.checkpoint(p);
            }
        }
        self.pg().run_until(ms)?;
        Ok(true)
    }

    /// The point a line or a step's end waited for is reached.
    fn reached(&mut self, number: usize, then: Then) -> Result<Phase> {
        if let Then::Line = then {
            self.checkpoint(Phase::Give { number });
        }
        within_bound(self.repl.playground(), number)?;
        match then {
            Then::Line => self.give_line(),
            Then::StepEnd => {
                self.cursor = (self.cursor.0 + 1, 0);
                Ok(Phase::Next)
            }
        }
    }

    /// The line at the cursor, or the end of its step.
    fn next_line(&mut self, left: &mut u64) -> Result<Phase> {
        let (s, l) = self.cursor;
        let Some(step) = self.scenario.steps.get(s) else {
            return Ok(self.tail());
        };
        let Some(line) = step.lines.get(l) else {
            let pg = self.repl.playground();
            self.looked = (pg.now(), pg.steps());
            return Ok(match (self.goal, step.until) {
                (Goal::End, Some((ms, n))) => self.reach((ms, n), 0, Then::StepEnd),
                _ => {
                    self.cursor = (s + 1, 0);
                    Phase::Next
                }
            });
        };
        *left -= 1;
        let pending = self.repl.playground().needs_more();
        let pg = self.repl.playground();
        if !pending {
            self.looked = (pg.now(), pg.steps());
        }
        let stop = match self.goal {
            Goal::End => false,
            Goal::Time(t) => line.at_ms.is_some_and(|at| at >= t) || pg.now() > t,
            Goal::Step(n) => line.at_step.is_some_and(|at| at >= n) || pg.steps() > n,
        };
        if !pending && stop {
            return Ok(self.tail());
        }
        match line.at_ms.filter(|_| !pending) {
            Some(ms) => Ok(self.reach((ms, line.at_step), line.number, Then::Line)),
            None => self.give_line(),
        }
    }

    /// The phase that reaches virtual time `ms` and event count `n`, then does `then`.
    fn reach(&self, (ms, n): (u64, Option<u64>), number: usize, then: Then) -> Phase {
        Phase::Steps {
            n: n.unwrap_or(0),
            ms,
            number,
            then,
        }
    }

    /// What follows the last line: the goal's time or event count.
    fn tail(&self) -> Phase {
        tail_of(self.goal)
    }

    /// Gives the line at the cursor (its time, if it has one, is reached): a timed line or the
    /// continuation of a txn starts and the next comes; an untimed line is waited for.
    fn give_line(&mut self) -> Result<Phase> {
        let (s, l) = self.cursor;
        let Some(line) = self.scenario.steps.get(s).and_then(|st| st.lines.get(l)) else {
            return Ok(self.tail());
        };
        let (number, timed, text) = (line.number, line.at_ms.is_some(), line.text.clone());
        let pending = self.repl.playground().needs_more();
        if !pending && is_cancel(&text) {
            let pg = self.repl.playground();
            self.lines.push_back(Recorded {
                at_ms: pg.now(),
                step: pg.steps(),
                line: text.trim().into(),
                continuation: false,
            });
        }
        let before = self.repl.playground().given().len();
        self.repl.flush();
        let (_, id) = self.repl.begin(&text);
        let pg = self.repl.playground();
        self.lines.extend(pg.given_since(before).cloned());
        self.lines_done += 1;
        match id.filter(|_| !pending && !timed) {
            Some(id) => Ok(Phase::Settle {
                id,
                deadline: pg.now().saturating_add(LINE_LIMIT_MS),
                number,
            }),
            None => self.line_over(number),
        }
    }

    /// The line at the cursor is over: the bound is checked and the cursor moves on.
    fn line_over(&mut self, number: usize) -> Result<Phase> {
        within_bound(self.repl.playground(), number)?;
        self.cursor.1 += 1;
        Ok(Phase::Next)
    }
}

/// What follows the last line for `goal`: its time or event count.
fn tail_of(goal: Goal) -> Phase {
    match goal {
        Goal::End => Phase::Done,
        // Only a clock before `t` runs on (see `Phase::TailTime`).
        Goal::Time(t) => Phase::TailTime {
            ms: t.min(bound::MAX_VIRTUAL_MS + 1),
            running: false,
        },
        Goal::Step(n) => Phase::TailSteps { n },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    const SESSION: &str = "@nodes 5\n@seed 9\n\
        at 2000ms@300 put a 1\n\
        at 2100ms@320 watch a\n\
        at 2500ms@400 partition leader\n\
        at 4000ms@700 heal\n\
        at 4200ms@760 cancel 2\n\
        at 4300ms@790 txn\n\
        value(\"a\") = \"1\"\n\
        \n\
        put b 2\n\
        \n\
        \n\
        put c 3\n\
        sleep 1s\n\
        @until 9000ms@1900\n";

    fn sliced(s: &Scenario, goal: Goal, budget: u64) -> (Playground, Vec<Recorded>, u32) {
        let mut r = Replay::new(s, goal).unwrap();
        let mut slices = 0;
        let mut last = 0.0;
        while !r.advance(budget).unwrap() {
            slices += 1;
            let p = r.progress().fraction;
            assert!(p >= last && p < 1.0, "{p} after {last}");
            last = p;
        }
        assert_eq!(r.progress().fraction, 1.0);
        let (pg, lines) = r.finish();
        (pg, lines, slices)
    }

    #[test]
    fn slices_make_the_same_run_as_one_go() {
        let s = parse(SESSION).unwrap();
        let (whole, lines) = s.run_recorded().unwrap();
        assert!(lines.iter().any(|l| &*l.line == "cancel 2"));
        assert_eq!(whole.cluster().trace_hash(), s.run().unwrap().1.trace_hash);
        for budget in [1, 7, 100, 4096] {
            let (pg, l, slices) = sliced(&s, Goal::End, budget);
            assert_eq!(pg.cluster().trace_hash(), whole.cluster().trace_hash());
            assert_eq!((pg.now(), pg.steps()), (whole.now(), whole.steps()));
            assert_eq!(l, lines, "budget {budget}");
            assert!(
                budget > 1000 || slices > 1,
                "budget {budget}: {slices} slices"
            );
        }
        for t in [0, 2000, 2300, 4300, 7000, 20_000] {
            let whole = s.replay_until(t).unwrap();
            let (pg, _, _) = sliced(&s, Goal::Time(t), 13);
            assert_eq!(
                pg.cluster().trace_hash(),
                whole.cluster().trace_hash(),
                "{t}"
            );
            assert_eq!(pg.now(), whole.now());
        }
        // Every point in time, sliced as finely as can be: a slice that ends with the clock at
        // `t` and events still due at `t` runs them in the next slice.
        for t in (0..9_500).step_by(50) {
            let whole = s.replay_until(t).unwrap();
            let (pg, _, _) = sliced(&s, Goal::Time(t), 1);
            assert_eq!((pg.steps(), pg.now()), (whole.steps(), whole.now()), "{t}");
        }
        for n in [0, 299, 300, 1000, 1900] {
            let whole = s.replay_until_step(n).unwrap();
            let (pg, _, _) = sliced(&s, Goal::Step(n), 13);
            assert_eq!(
                pg.cluster().trace_hash(),
                whole.cluster().trace_hash(),
                "{n}"
            );
            assert_eq!(pg.steps(), whole.steps());
        }
    }
}
