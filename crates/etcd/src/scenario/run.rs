//! Running a scenario headless, replaying it to a point in time, and recording a session.

use super::{bound, Line, Scenario, ScenarioError};
use crate::error::{Error, Result};
use crate::playground::{Playground, Recorded};
use crate::repl::Repl;

/// How one step went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepOutcome {
    /// Title.
    pub title: String,
    /// Transcript of the step: each line as `> line`, then its output.
    pub transcript: String,
    /// Each expectation (line number, description, whether it held).
    pub expects: Vec<(usize, String, bool)>,
}

/// How a whole run went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Steps in order.
    pub steps: Vec<StepOutcome>,
    /// Virtual time at the end.
    pub time_ms: u64,
    /// Trace hash at the end.
    pub trace_hash: String,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.expects.iter().all(|e| e.2))
    }
}

fn run_line(repl: &mut Repl, line: &Line, out: &mut String) -> Result<()> {
    // Lines that continue a txn started by a timed line go in without waiting, as typed.
    let continuing = repl.playground().needs_more();
    let text = if continuing {
        out.push_str(&repl.flush());
        repl.line_nowait(&line.text)?
    } else if let Some(ms) = line.at_ms {
        advance(repl, (ms, line.at_step), line.number)?;
        out.push_str(&repl.flush());
        repl.line_nowait(&line.text)?
    } else {
        out.push_str(&repl.flush());
        repl.line(&line.text)?
    };
    out.push_str("> ");
    out.push_str(&line.text);
    out.push('\n');
    out.push_str(&text);
    within_bound(repl.playground(), line.number)
}

/// An error naming line `number` (0: the scenario as a whole) if the run has gone past the
/// bound on a scenario's work ([`super::bound`]).
pub(super) fn within_bound(pg: &Playground, number: usize) -> Result<()> {
    match bound::run_refused(pg.now(), pg.steps()) {
        None => Ok(()),
        Some(reason) => Err(Error::Other(
            ScenarioError {
                line: number,
                reason,
            }
            .to_string(),
        )),
    }
}

/// Runs to virtual time `ms` and, if given, event count `step` (line `number`'s `at` or
/// `@until`); stops with an error if the run goes past the bound on a scenario's work on the way.
fn advance(repl: &mut Repl, (ms, step): (u64, Option<u64>), number: usize) -> Result<()> {
    let pg = repl.playground_mut();
    if let Some(step) = step {
        while pg.steps() < step {
            pg.step()?;
            if pg.steps().is_multiple_of(4096) {
                within_bound(pg, number)?;
            }
        }
    }
    if pg.now() < ms {
        pg.run_until(ms)?;
    }
    within_bound(pg, number)
}

impl Scenario {
    /// A fresh playground for this scenario.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn start(&self) -> Result<Playground> {
        Playground::with_planted_bugs(self.config.clone(), self.planted)
    }

    /// Runs every step headless, checking each step's expectations at its end.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run(&self) -> Result<(Playground, Outcome)> {
        let mut repl = Repl::fresh(self.start()?);
        let mut steps = Vec::new();
        for step in &self.steps {
            let pg = repl.playground();
            let start = (
                pg.cluster().leader(),
                pg.cluster()
                    .leader()
                    .and_then(|l| pg.cluster().role(l))
                    .map_or(0, |r| r.1),
            );
            let mut transcript = String::new();
            for line in step.lines.iter() {
                run_line(&mut repl, &line, &mut transcript)?;
            }
            if let Some(until) = step.until {
                advance(&mut repl, until, 0)?;
            }
            transcript.push_str(&repl.flush());
            let pg = repl.playground();
            let expects = step
                .expects
                .iter()
                .map(|(n, e)| (*n, e.to_string(), e.holds(pg, start, &transcript)))
                .collect();
            steps.push(StepOutcome {
                title: step.title.clone(),
                transcript,
                expects,
            });
        }
        let pg = repl.into_playground();
        let outcome = Outcome {
            steps,
            time_ms: pg.now(),
            trace_hash: pg.cluster().trace_hash(),
        };
        Ok((pg, outcome))
    }

    /// Replays the scenario's timed lines up to virtual time `t` (time travel: the state equals
    /// a straight run to `t`, before any command given at `t` itself). Untimed lines run as in
    /// `run`. A [`super::Replay`] to [`super::Goal::Time`], in one go.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn replay_until(&self, t: u64) -> Result<Playground> {
        Ok(self.replay_to(super::Goal::Time(t))?.0)
    }

    /// Replays the scenario to exactly `n` events (step back: `n` = current count - 1), before
    /// any command given after the `n`-th event. Untimed lines run as in `run`. A
    /// [`super::Replay`] to [`super::Goal::Step`], in one go.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn replay_until_step(&self, n: u64) -> Result<Playground> {
        Ok(self.replay_to(super::Goal::Step(n))?.0)
    }

    /// A [`super::Replay`] to `goal`, in one go.
    pub(super) fn replay_to(&self, goal: super::Goal) -> Result<(Playground, Vec<Recorded>)> {
        let mut r = super::Replay::new(self, goal)?;
        while !r.advance(u64::MAX)? {}
        Ok(r.finish())
    }
}

/// Records a playground session as scenario text: its header and every line with the virtual
/// time and event count at which it was given, so a replay reproduces the run exactly.
pub fn record(pg: &Playground, title: &str) -> String {
    let lines: Vec<Recorded> = pg.given().iter().cloned().collect();
    record_lines(pg, title, &lines)
}

/// Records a session as `record` does, from lines kept by the caller instead of the
/// playground's own history (for instance with the repl's `cancel` lines in their place, as
/// [`Scenario::run_recorded`] returns them).
pub fn record_lines(pg: &Playground, title: &str, lines: &[Recorded]) -> String {
    record_session(
        pg.cluster().config(),
        pg.planted_at_start(),
        title,
        lines,
        (pg.now(), pg.steps()),
    )
}

/// Records a session from its configuration, the bugs planted at its start, its lines and its
/// end (virtual ms, events): the text `record_lines` writes for a playground that ran with
/// `config` to `until`.
pub fn record_session(
    c: &sim::ClusterConfig,
    planted: crate::planted::PlantedBugs,
    title: &str,
    lines: &[Recorded],
    until: (u64, u64),
) -> String {
    let d = sim::ClusterConfig::default();
    let mut s = String::new();
    s.push_str("# raftlab scenario, recorded\n");
    if !title.is_empty() {
        s.push_str(&format!("@title {}\n", title.replace('\n', " ")));
    }
    s.push_str(&format!("@nodes {}\n@seed {}\n", c.nodes, c.seed));
    let on = |b: bool| if b { "on" } else { "off" };
    let mut opts = Vec::new();
    if c.raft.pre_vote != d.raft.pre_vote {
        opts.push(format!("pre-vote={}", on(c.raft.pre_vote)));
    }
    if c.raft.check_quorum != d.raft.check_quorum {
        opts.push(format!("check-quorum={}", on(c.raft.check_quorum)));
    }
    if c.raft.election_tick != d.raft.election_tick {
        opts.push(format!("election-tick={}", c.raft.election_tick));
    }
    if c.raft.heartbeat_tick != d.raft.heartbeat_tick {
        opts.push(format!("heartbeat-tick={}", c.raft.heartbeat_tick));
    }
    if c.raft.read_mode != d.raft.read_mode {
        opts.push("read-mode=lease".to_string());
    }
    if c.raft.compaction_threshold != d.raft.compaction_threshold {
        opts.push(format!("compaction={}", c.raft.compaction_threshold));
    }
    if c.link.latency_min_ms != d.link.latency_min_ms
        || c.link.latency_max_ms != d.link.latency_max_ms
    {
        opts.push(format!(
            "latency={}-{}ms",
            c.link.latency_min_ms, c.link.latency_max_ms
        ));
    }
    if c.link.drop_prob != d.link.drop_prob {
        opts.push(format!("drop={}", c.link.drop_prob));
    }
    if !opts.is_empty() {
        s.push_str(&format!("@option {}\n", opts.join(" ")));
    }
    if !planted.is_empty() {
        s.push_str(&format!("@planted {}\n", planted.names()));
    }
    for r in lines {
        if r.continuation {
            s.push_str(&r.line);
        } else {
            s.push_str(&format!("at {}ms@{} {}", r.at_ms, r.step, r.line.trim()));
        }
        s.push('\n');
    }
    s.push_str(&format!("@until {}ms@{}\n", until.0, until.1));
    s
}
