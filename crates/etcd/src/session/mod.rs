//! A session as the page and `raftlab repl` keep it: a [`crate::Playground`] (etcdctl lines,
//! fault and time lines, JSON gateway lines over the simulated cluster), every line given to it
//! with its virtual time and event count, and moves in its time: export as a scenario, import
//! (in one go or in slices), seek, step back, back to the end, fork (see [`travel`]).
//! Checkpoints taken on the way make a move cost what replaying from the nearest one costs.
//! A `cancel` line is answered here, for every front end (`help` is a command of the
//! playground's language, answered as any other).

use crate::planted::PlantedBugs;
use crate::playground::{LeaseView, Recorded, WatchView};
use std::sync::Arc;

use crate::scenario::{self, Checkpoints, Expect, Goal, Replay, Scenario};
use sim::{Cluster, ClusterConfig};

pub use crate::{CommandId, CommandOutput, CommandState};
pub use travel::Move;

mod travel;

/// Trace events a page keeps (the views only need recent ones; the hash covers all).
pub const TRACE_KEEP: usize = 20_000;

/// Events between the session's checkpoints at first (see [`Checkpoints`]).
pub const CHECKPOINT_EVERY: u64 = 20_000;
/// Checkpoints kept at most: past that, every other one goes and the spacing doubles. Each
/// holds about 1 MB alone (natively: the trace events kept when it was taken, packed; the Raft
/// logs; what the live session has changed of the stores since, see [`Checkpoints`]), so this
/// bounds their memory. 100 keeps the page's hour under its background load (3.8 million
/// events) 40,000 events apart, what a seek within 250 ms replays at most.
pub const CHECKPOINTS_MAX: usize = 100;

/// The replicated state machine the session runs.
pub type Machine = crate::EtcdMachine;

/// A session: a playground, every line given to it, and moves in its time.
pub struct Session {
    pg: crate::Playground,
    /// Answers to `cancel` lines, which are not playground commands: their ids cannot clash
    /// with the playground's.
    notes: Vec<(CommandId, CommandOutput)>,
    /// The session: every line given (the playground's history, plus `cancel` lines), with
    /// its virtual time and event count (structurally shared with the checkpoints).
    lines: imbl::Vector<Recorded>,
    /// While looking at the past: the whole session, to move about in. The next action that
    /// changes the run (a line, an event) drops it: the run forks from here.
    kept: Option<Kept>,
    /// Checkpoints of the session (live ones before lines, and those replays took), from
    /// which a move replays instead of from the start.
    checkpoints: Checkpoints,
}

/// The whole session, kept while the session shows an earlier point of it.
struct Kept {
    scenario: Arc<Scenario>,
    lines: imbl::Vector<Recorded>,
    end: (u64, u64),
    /// The playground as it stood at the end of the session when the session left it for the
    /// past: going back to the end restores it instead of replaying it.
    at_end: Option<Box<crate::Playground>>,
}

/// Where a session stands in its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SessionPoint {
    /// Virtual ms now.
    pub now_ms: u64,
    /// Events run so far.
    pub steps: u64,
    /// Virtual ms at the end of the session (the future kept while looking at the past).
    pub end_ms: u64,
    /// Whether a later part of the session is kept (the next action forks).
    pub in_past: bool,
}

/// Ids of commands answered by the session itself (the playground counts up from 1).
const NOTE_BASE: CommandId = 1 << 62;

impl Session {
    /// A fresh cluster, with `planted` bugs from the start (none for a healthy cluster).
    ///
    /// # Errors
    /// A one-line message for a bad option.
    pub fn new(config: ClusterConfig, planted: PlantedBugs) -> Result<Self, String> {
        Ok(Session {
            pg: crate::Playground::with_planted_bugs(config, planted).map_err(|e| e.to_string())?,
            notes: Vec::new(),
            lines: imbl::Vector::new(),
            kept: None,
            checkpoints: Checkpoints::new(CHECKPOINT_EVERY, CHECKPOINTS_MAX),
        })
    }

    /// A scenario's cluster, run to its end (an imported file, a share link): the same run as
    /// `raftlab run --scenario`, with the same trace hash. In one go (tests); the page replays
    /// in slices with [`Session::start_import`] and [`Session::from_replay`].
    ///
    /// # Errors
    /// The scenario's first problem in words, with its line number; or the invariant violation
    /// that stopped it.
    pub fn replay(scenario: &Scenario) -> Result<Self, String> {
        let mut r = Self::start_import(scenario)?;
        while !r.advance(u64::MAX).map_err(|e| e.to_string())? {}
        Ok(Self::from_replay(r))
    }

    /// Starts replaying a scenario to its end, to be advanced in slices (an import, a link).
    ///
    /// # Errors
    /// A configuration that does not make a cluster.
    pub fn start_import(scenario: &Scenario) -> Result<Box<Replay>, String> {
        let mut s = scenario.clone();
        s.config.trace_capacity = TRACE_KEEP;
        Ok(Box::new(
            Replay::new(&s, Goal::End).map_err(|e| e.to_string())?,
        ))
    }

    /// The session a finished import replay built.
    pub fn from_replay(r: Box<Replay>) -> Self {
        let (pg, lines) = r.finish();
        Session {
            pg,
            notes: Vec::new(),
            lines: lines.into_iter().collect(),
            kept: None,
            checkpoints: Checkpoints::new(CHECKPOINT_EVERY, CHECKPOINTS_MAX),
        }
    }

    /// Reads a scenario file.
    ///
    /// # Errors
    /// Its first problem in words, with its line number.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let mut s = scenario::parse(text).map_err(|e| e.to_string())?;
        s.config.trace_capacity = TRACE_KEEP;
        Ok(s)
    }

    /// The whole session as scenario text (`raftlab run --scenario` replays it exactly). While
    /// looking at the past, the whole session, future included.
    pub fn export(&self, title: &str) -> String {
        let config = self.pg.cluster().config();
        match &self.kept {
            Some(k) => scenario::record_session(
                config,
                k.scenario.planted,
                title,
                &to_vec(&k.lines),
                k.end,
            ),
            None => scenario::record_lines(&self.pg, title, &to_vec(&self.lines)),
        }
    }

    /// Where the session stands in its time.
    pub fn point(&self) -> SessionPoint {
        SessionPoint {
            now_ms: self.pg.now(),
            steps: self.pg.steps(),
            end_ms: self.kept.as_ref().map_or(self.pg.now(), |k| k.end.0),
            in_past: self.kept.is_some(),
        }
    }

    /// Lines of the session so far (with `cancel` lines).
    pub fn lines(&self) -> &imbl::Vector<Recorded> {
        &self.lines
    }

    /// The session's checkpoints.
    pub fn checkpoints(&self) -> &Checkpoints {
        &self.checkpoints
    }

    /// Drops the checkpoints and keeps new ones `every` events apart, at most `max` (a
    /// benchmark's or a test's choice; moves then replay from the start until there are some).
    pub fn set_checkpoints(&mut self, every: u64, max: usize) {
        self.checkpoints = Checkpoints::new(every, max);
    }

    /// The leader and its term (a lesson step's starting point).
    pub fn leader_term(&self) -> (Option<u64>, u64) {
        let c = self.pg.cluster();
        let l = c.leader();
        (l, l.and_then(|l| c.role(l)).map_or(0, |r| r.1))
    }

    /// Whether a lesson's expectation holds now. `start` is the leader and term when the step
    /// opened; `output` what the step's commands printed.
    pub fn holds(&self, e: &Expect, start: (Option<u64>, u64), output: &str) -> bool {
        e.holds(&self.pg, start, output)
    }

    /// How much output has been printed so far (a mark for [`Session::printed_since`]).
    pub fn printed(&self) -> usize {
        self.pg.log_len()
    }

    /// Everything printed since mark `from`.
    pub fn printed_since(&self, from: usize) -> String {
        self.pg
            .log_since(from)
            .map(|(_, _, t)| t.as_str())
            .collect()
    }

    /// Runs until a leader is elected, for at most `limit_ms` of virtual time (as a client
    /// waits for a freshly started cluster).
    ///
    /// # Errors
    /// An invariant violation.
    pub fn wait_for_leader(&mut self, limit_ms: u64) -> Result<(), String> {
        let deadline = self.pg.now().saturating_add(limit_ms);
        while self.pg.cluster().leader().is_none() && self.pg.next_time() <= deadline {
            self.step()?;
        }
        Ok(())
    }

    fn note_output(&mut self, line: &str, text: String, ok: bool) -> CommandId {
        let id = NOTE_BASE + self.notes.len() as CommandId;
        self.notes.push((
            id,
            CommandOutput {
                line: line.trim().into(),
                text,
                state: if ok {
                    CommandState::Done
                } else {
                    CommandState::Failed
                },
                settled: true,
            },
        ));
        id
    }

    /// `cancel` (the most recent running command) or `cancel N` (command N), as the repl and
    /// scenarios read it; kept in the session.
    fn cancel_line(&mut self, line: &str) -> CommandId {
        self.checkpoint_before_line();
        self.lines.push_back(Recorded {
            at_ms: self.pg.now(),
            step: self.pg.steps(),
            line: line.trim().into(),
            continuation: false,
        });
        if self.pg.cancel_line(line) == Some(true) {
            self.note_output(line, String::new(), true)
        } else {
            self.note_output(line, crate::playground::NO_SUCH_COMMAND.into(), false)
        }
    }

    /// The playground (for read-only questions such as "Why?").
    pub fn playground(&self) -> &crate::Playground {
        &self.pg
    }

    /// The cluster, read only.
    pub fn cluster(&self) -> &Cluster<Machine> {
        self.pg.cluster()
    }

    /// Virtual time in ms.
    pub fn now(&self) -> u64 {
        self.pg.now()
    }

    /// Virtual time of the next event (cluster or command timer), if any.
    pub fn next_time(&self) -> Option<u64> {
        Some(self.pg.next_time()).filter(|t| *t != u64::MAX)
    }

    /// Runs one event.
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn step(&mut self) -> Result<(), String> {
        self.fork();
        self.pg.step().map_err(|e| e.to_string())
    }

    /// Runs every event up to `t` (virtual ms).
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn run_until(&mut self, t: u64) -> Result<(), String> {
        if t > self.pg.now() || self.pg.next_time() <= t {
            self.fork();
        }
        self.pg.run_until(t).map_err(|e| e.to_string())
    }

    /// The bugs planted now (the teaching menu shows them).
    pub fn planted(&self) -> PlantedBugs {
        self.pg.planted_bugs()
    }

    /// The bugs the cluster was built with.
    pub fn planted_at_start(&self) -> PlantedBugs {
        self.pg.planted_at_start()
    }

    /// A client write of the playground's background load.
    pub fn client_op(&mut self, n: u64) {
        self.exec(&format!("put load/{} {n}", n % 16));
    }

    /// Starts a console line. `None` for a blank line, a comment or the inside of a multi-line
    /// `txn`.
    pub fn exec(&mut self, line: &str) -> Option<CommandId> {
        let pending = self.pg.needs_more();
        let t = line.trim();
        if pending || !(t.is_empty() || t.starts_with('#')) {
            self.fork();
        }
        if !pending && scenario::is_cancel(line) {
            return Some(self.cancel_line(line));
        }
        if pending || !(t.is_empty() || t.starts_with('#')) {
            self.checkpoint_before_line();
        }
        let before = self.pg.given().len();
        let id = self.pg.exec(line);
        self.lines.extend(self.pg.given_since(before).cloned());
        id
    }

    /// Runs until command `id` settles (ends, or reaches its steady state), for at most
    /// `limit_ms` of virtual time. Returns whether it settled.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_until_settled(&mut self, id: CommandId, limit_ms: u64) -> Result<bool, String> {
        if id >= NOTE_BASE {
            return Ok(true);
        }
        self.fork();
        self.pg
            .run_until_settled(id, limit_ms)
            .map_err(|e| e.to_string())
    }

    /// Whether a multi-line command (txn) is waiting for more lines.
    pub fn needs_more(&self) -> bool {
        self.pg.needs_more()
    }

    /// The section of the unfinished txn the next line belongs to (etcdctl's prompt for it).
    pub fn txn_prompt(&self) -> Option<&'static str> {
        self.pg.txn_section().map(crate::ctl::Section::prompt)
    }

    /// Whether command `id` was answered by the session itself (a `cancel` line): its output is
    /// not in the playground's print log ([`Session::printed_since`]).
    pub fn is_note(&self, id: CommandId) -> bool {
        id >= NOTE_BASE
    }

    /// A command's output so far.
    pub fn output(&self, id: CommandId) -> Option<&CommandOutput> {
        if id >= NOTE_BASE {
            return self.notes.iter().find(|(i, _)| *i == id).map(|(_, o)| o);
        }
        self.pg.output(id)
    }

    /// Stops a running command (a watch, a keep-alive, a sleep), as the line `cancel ID` does
    /// (kept in the session). Returns whether it was running.
    pub fn cancel(&mut self, id: CommandId) -> bool {
        let c = self.exec(&format!("cancel {id}"));
        c.and_then(|c| self.output(c))
            .is_some_and(|o| o.state == CommandState::Done)
    }

    /// Open watches with their events, for a watch panel.
    pub fn watches(&self) -> Vec<WatchView> {
        self.pg.watches()
    }

    /// Leases as the leader's lessor sees them, for a lease panel.
    pub fn leases(&self) -> Vec<LeaseView> {
        self.pg.leases()
    }
}

/// The lines as a plain list (for a scenario's text).
fn to_vec(lines: &imbl::Vector<Recorded>) -> Vec<Recorded> {
    lines.iter().cloned().collect()
}

#[cfg(test)]
mod tests;
