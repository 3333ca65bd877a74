//! Scenarios and lessons: the repl language with a header, virtual timestamps and, for lessons,
//! narrated steps with expectations. The format is documented in `docs/scenarios.md`.
//!
//! ```text
//! @title Leader crash
//! @nodes 5
//! @seed 42
//! @option pre-vote=on
//! @planted none
//! @step A leader is elected
//! @say Five followers wait for a randomized election timeout...
//! @expect leader
//! sleep 3s
//! @step Crash it
//! @say Crash the leader: click it and choose Crash, or type `crash leader`.
//! crash leader
//! sleep 3s
//! @expect leader-change
//! at 20s put foo bar
//! ```

pub mod bound;
pub mod builtin;
mod checkpoint;
mod expect;
mod lines;
mod parse;
mod phase;
mod replay;
mod run;
mod session;
pub mod share;

pub use checkpoint::{Checkpoint, Checkpoints};
pub use expect::Expect;
pub use lines::Lines;
pub use parse::{parse, parse_file, ScenarioError};
pub use replay::{Goal, Replay, ReplayProgress};
pub use run::{record, record_lines, record_session, Outcome, StepOutcome};
pub use session::is_cancel;

use sim::ClusterConfig;

/// Largest scenario accepted from a share link or imported in the page (bytes of text).
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;

/// Largest scenario file accepted on the command line (bytes of text): a recorded hour with
/// room. What a scenario may make the simulation do is bounded apart from its size
/// ([`bound`]).
pub const MAX_SCENARIO_FILE_BYTES: usize = 64 * 1024 * 1024;

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Title (`@title`).
    pub title: String,
    /// The cluster it starts (`@nodes`, `@seed`, `@option`).
    pub config: ClusterConfig,
    /// Bugs planted when the cluster starts (`@planted`): a deliberately broken cluster.
    pub planted: crate::planted::PlantedBugs,
    /// Whether it is a lesson (has `@step`s).
    pub lesson: bool,
    /// Steps; a scenario without `@step` has one untitled step.
    pub steps: Vec<Step>,
}

/// One step of a lesson (or the whole of a plain scenario).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Step {
    /// Title (`@step`).
    pub title: String,
    /// Narration (`@say` lines).
    pub narration: Vec<String>,
    /// Command lines (the learner's actions, scripted).
    pub lines: Lines,
    /// What must hold at the end of the step.
    pub expects: Vec<(usize, Expect)>,
    /// Run on to this virtual time (and event count) after the lines (`@until`).
    pub until: Option<(u64, Option<u64>)>,
}

/// A command line of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Line number in the file (1-based).
    pub number: usize,
    /// Run at this virtual time (ms) instead of after the previous line completes.
    pub at_ms: Option<u64>,
    /// Run after exactly this many playground events (recordings; exact replay).
    pub at_step: Option<u64>,
    /// The command, in the repl language (a recording's line shares its recorded text).
    pub text: std::sync::Arc<str>,
}
