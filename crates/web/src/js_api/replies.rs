//! The values `window.raftlab` returns, as plain structs: serde derives them into JSON in the
//! order declared (alphabetical where a reply used to be a `serde_json` object, whose keys are
//! sorted), with no `serde_json::Value` built on the way.

use serde::Serialize;

/// One node in `state()`.
#[derive(Serialize)]
pub struct NodeState {
    /// Id.
    pub id: u64,
    /// leader, follower, candidate, pre-candidate, learner, or null when crashed.
    pub role: Option<&'static str>,
    /// Term.
    pub term: u64,
    /// Commit index.
    pub commit: u64,
    /// Applied index.
    pub applied: u64,
    /// Last log index.
    pub last_index: u64,
    /// up, paused or crashed.
    pub status: &'static str,
}

/// The snapshot `state()` returns.
#[derive(Serialize)]
pub struct State {
    /// Virtual time.
    pub time_ms: u64,
    /// The node leading in the highest term, or null.
    pub leader: Option<u64>,
    /// Seed.
    pub seed: u64,
    /// Hash of the whole trace so far.
    pub trace_hash: String,
    /// Events processed.
    pub events: u64,
    /// Leaders elected so far: (time, node, term).
    pub leaders: Vec<sim::LeaderChange>,
    /// Nodes.
    pub nodes: Vec<NodeState>,
    /// Whether time runs.
    pub playing: bool,
}

/// What `window.raftlab.headless()` returns.
#[derive(Serialize, Debug)]
pub struct Headless {
    /// Hash of the whole trace (null after an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_hash: Option<String>,
    /// Events processed.
    pub events: u64,
    /// Leaders elected.
    pub leaders: usize,
    /// Why the run stopped, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `perf()` returns.
#[derive(Serialize, Debug)]
pub struct Perf {
    /// Virtual ms per wall ms over the last second.
    pub achieved_speed: f64,
    /// Events per wall second over the last second.
    pub events_per_s: f64,
    /// p95 of the last frames' work (simulation and signal updates), in ms.
    pub frame_work_p95_ms: f64,
}

/// What `checkProgress()` returns while a check runs.
#[derive(Serialize, Debug)]
pub struct CheckProgress {
    /// Wall-clock ms since it started.
    pub elapsed_ms: f64,
    /// The step budget.
    pub max_steps: u64,
    /// Client operations being checked.
    pub operations: usize,
    /// What it is doing, in words.
    pub stage: String,
    /// Model steps so far.
    pub steps: u64,
}

/// What `session()` returns.
#[derive(Serialize, Debug)]
pub struct Session {
    /// Virtual ms at the end of the session.
    pub end_ms: u64,
    /// Whether a later part of the session is kept (the next action forks).
    pub in_past: bool,
    /// Lines recorded.
    pub lines: usize,
    /// Virtual ms now.
    pub now_ms: u64,
    /// Events run so far.
    pub steps: u64,
}

/// An error in words, as `{error}`.
#[derive(Serialize, Debug)]
pub struct ErrorReply {
    /// What went wrong.
    pub error: String,
}

/// One built-in scenario in `builtins()`.
#[derive(Serialize, Debug)]
pub struct Builtin {
    /// `lesson` or `classic`.
    pub kind: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its title.
    pub title: String,
}

/// What `exec` answers at once for a line the paused clock holds up, and what `execUntilDone`
/// answers.
#[derive(Serialize)]
pub struct ExecReply {
    /// `done`, `failed`, `settled` (it goes on in the background: a watch, a lock, a
    /// keep-alive), or `waiting` (it needs virtual time to run: the page is paused, or
    /// `execUntilDone`'s limit came first).
    pub status: &'static str,
    /// The command's id (`cancel ID` stops it), if the line started one.
    pub id: Option<u64>,
    /// The command's own output so far (what its console entry shows).
    pub text: String,
    /// Everything printed meanwhile by any command, in order: what `raftlab repl` prints after
    /// the line (`execUntilDone` only; empty for `exec`).
    pub printed: String,
    /// Virtual ms now.
    pub time_ms: u64,
    /// What to do about it, in words (for `waiting`).
    pub note: &'static str,
}

/// A replay in progress (`replay()`).
#[derive(Serialize)]
pub struct ReplayProgress {
    /// Wall-clock ms since it started.
    pub elapsed_ms: f64,
    /// Events replayed.
    pub events: u64,
    /// Share done, 0 to 1.
    pub fraction: f64,
    /// Virtual ms replayed.
    pub now_ms: u64,
    /// What it does, in words.
    pub what: String,
}
