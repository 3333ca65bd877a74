//! What the components read: plain data, held in the signals of [`crate::signals`] and written by
//! the controller.

use sim::cluster::EntryView;
use sim::network::InFlightView;
use sim::{ClusterConfig, LinkConfig, RaftOptions, ReadMode};

use etcd::session::{CommandId, CommandState};

/// Where a console line came from (they all run the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Typed in the console.
    Typed,
    /// A button or a click on the cluster.
    Ui,
    /// `window.raftlab.exec`.
    Script,
    /// A lesson's "Show me".
    Lesson,
    /// A note from the playground itself.
    System,
    /// A line a followed `raftlab serve` applied.
    Server,
}

/// One line of the console with its output.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleEntry {
    /// Unique within the page.
    pub key: u64,
    /// The session's command id (none for system notes).
    pub cmd: Option<CommandId>,
    /// What was run.
    pub line: String,
    /// Output so far.
    pub text: String,
    /// Running, done or failed.
    pub state: CommandState,
    /// Who ran it.
    pub origin: Origin,
    /// Virtual time it started.
    pub time_ms: u64,
}

/// What the inspector shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Nothing: cluster-wide controls.
    None,
    /// A node.
    Node(u64),
    /// A directed link.
    Link(u64, u64),
    /// A message (its last known fields).
    Msg(InFlightView),
    /// A log entry: (node, index).
    Entry(u64, u64),
}

/// One node's row in the log view.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    /// Node id.
    pub node: u64,
    /// Status and role label.
    pub label: String,
    /// Whether it is down.
    pub down: bool,
    /// First index still in the log (entries below are in the snapshot).
    pub first_index: u64,
    /// Last index.
    pub last_index: u64,
    /// Commit index.
    pub commit: u64,
    /// Applied index.
    pub applied: u64,
    /// Entries inside the visible window.
    pub entries: Vec<EntryView>,
    /// The leader's (match, next) for this node, if a leader tracks it.
    pub progress: Option<(u64, u64)>,
    /// Indices recently overwritten (a new leader replaced them).
    pub overwritten: Vec<u64>,
}

/// The part of the logs on screen.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LogWindow {
    /// First index shown.
    pub from: u64,
    /// Last index shown.
    pub to: u64,
    /// Highest last index of any node.
    pub max_index: u64,
    /// Rows, by node id.
    pub rows: Vec<LogRow>,
}

/// A leader's time in office.
#[derive(Clone, Debug, PartialEq)]
pub struct TermSpan {
    /// Leader.
    pub node: u64,
    /// Term.
    pub term: u64,
    /// Took office (virtual ms).
    pub start: u64,
    /// Left office (None while leading).
    pub end: Option<u64>,
}

/// Kinds of marks on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A fault or user action.
    Fault,
    /// A client request that succeeded.
    Ok,
    /// A client request that failed.
    Failed,
}

/// A point on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Virtual ms.
    pub time_ms: u64,
    /// Kind.
    pub kind: MarkKind,
    /// What happened, in words.
    pub text: String,
}

/// Terms, leaders, faults and requests over virtual time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Timeline {
    /// Leaders in order.
    pub spans: Vec<TermSpan>,
    /// Faults and requests (bounded).
    pub marks: Vec<Mark>,
}

/// A message lost on a link, shown for a moment.
#[derive(Clone, Debug, PartialEq)]
pub struct DropMark {
    /// Message id.
    pub msg: u64,
    /// Sender.
    pub from: u64,
    /// Receiver.
    pub to: u64,
    /// Wall-clock ms when it was seen.
    pub wall: f64,
}

/// Options of the next fresh cluster, as edited in the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Nodes, 1 to 51.
    pub nodes: usize,
    /// Seed.
    pub seed: u64,
    /// Election timeout in ticks.
    pub election_tick: usize,
    /// Heartbeat interval in ticks.
    pub heartbeat_tick: usize,
    /// Pre-vote.
    pub pre_vote: bool,
    /// Check-quorum.
    pub check_quorum: bool,
    /// Lease-based reads instead of ReadIndex.
    pub lease_reads: bool,
    /// Latency range in ms.
    pub latency_min_ms: u64,
    /// Latency range in ms.
    pub latency_max_ms: u64,
    /// Drop probability in percent.
    pub drop_pct: f64,
    /// Background client writes per virtual second.
    pub load: f64,
}

impl Default for Settings {
    fn default() -> Self {
        let link = LinkConfig::default();
        let raft = RaftOptions::default();
        Settings {
            nodes: 5,
            seed: 1,
            election_tick: raft.election_tick,
            heartbeat_tick: raft.heartbeat_tick,
            pre_vote: raft.pre_vote,
            check_quorum: raft.check_quorum,
            lease_reads: false,
            latency_min_ms: link.latency_min_ms,
            latency_max_ms: link.latency_max_ms,
            drop_pct: 0.0,
            load: 0.0,
        }
    }
}

impl Settings {
    /// The cluster configuration these settings describe.
    pub fn config(&self) -> ClusterConfig {
        let mut c = ClusterConfig::new(self.nodes, self.seed);
        c.raft.election_tick = self.election_tick;
        c.raft.heartbeat_tick = self.heartbeat_tick;
        c.raft.pre_vote = self.pre_vote;
        c.raft.check_quorum = self.check_quorum;
        c.raft.read_mode = if self.lease_reads {
            ReadMode::LeaseBased
        } else {
            ReadMode::Safe
        };
        c.link.latency_min_ms = self.latency_min_ms;
        c.link.latency_max_ms = self.latency_max_ms;
        c.link.drop_prob = self.drop_pct / 100.0;
        // The browser keeps a shorter trace than the CLI: the views only need recent events.
        c.trace_capacity = 20_000;
        c
    }
}

impl Settings {
    /// The settings that describe `c` (a scenario's cluster), as the form shows them.
    pub fn from_config(c: &ClusterConfig) -> Self {
        Settings {
            nodes: c.nodes,
            seed: c.seed,
            election_tick: c.raft.election_tick,
            heartbeat_tick: c.raft.heartbeat_tick,
            pre_vote: c.raft.pre_vote,
            check_quorum: c.raft.check_quorum,
            lease_reads: c.raft.read_mode == ReadMode::LeaseBased,
            latency_min_ms: c.link.latency_min_ms,
            latency_max_ms: c.link.latency_max_ms,
            drop_pct: c.link.drop_prob * 100.0,
            load: 0.0,
        }
    }
}

/// One step of the open lesson, as the lesson panel shows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LessonStep {
    /// Title.
    pub title: String,
    /// Narration paragraphs.
    pub narration: Vec<String>,
    /// Expectations in words, and whether each holds now.
    pub expects: Vec<(String, bool)>,
    /// The scripted lines "Show me" runs.
    pub lines: Vec<String>,
    /// Left with every expectation met.
    pub done: bool,
}

/// The open lesson.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LessonView {
    /// Built-in name, or the file it came from.
    pub name: String,
    /// Title.
    pub title: String,
    /// Steps.
    pub steps: Vec<LessonStep>,
    /// The step on screen.
    pub current: usize,
    /// "Show me" lines still running.
    pub showing: bool,
    /// Some expectation already held when the step opened: it is ticked once the learner acts.
    pub waiting: bool,
    /// The built-in lesson that follows this one (name, title), if any.
    pub next: Option<(String, String)>,
}

/// How the run keeps up.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Perf {
    /// Virtual ms per wall ms over the last second.
    pub achieved: f64,
    /// Events per wall second over the last second.
    pub events_per_s: f64,
}

/// Counters shown in the cluster panel.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Counters {
    /// Messages sent, delivered, dropped.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Lost.
    pub dropped: u64,
    /// Leaders elected.
    pub elections: u64,
    /// Highest commit index.
    pub max_commit: u64,
    /// Client requests answered and failed.
    pub ok: u64,
    /// Failed requests.
    pub failed: u64,
    /// Events processed.
    pub events: u64,
}

/// A check in progress, for the Check panel's progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRunView {
    /// Steps, budget and stage.
    pub progress: crate::checking::CheckProgress,
    /// Wall-clock ms since it started.
    pub elapsed_ms: f64,
}

/// A replay in progress (an import, a link, a seek), for its progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayRunView {
    /// What it does, in words ("Loading session.txt", "Moving to 30m00s").
    pub what: String,
    /// The share done, 0 to 1.
    pub fraction: f64,
    /// Virtual ms replayed so far.
    pub now_ms: u64,
    /// Events replayed so far.
    pub events: u64,
    /// Wall-clock ms since it started.
    pub elapsed_ms: f64,
}

/// Speeds offered, as (value, label).
pub const SPEEDS: &[(f64, &str)] = &[
    (0.1, "0.1×"),
    (0.25, "0.25×"),
    (0.5, "0.5×"),
    (1.0, "1×"),
    (2.0, "2×"),
    (5.0, "5×"),
    (10.0, "10×"),
    (25.0, "25×"),
    (100.0, "100×"),
    (f64::INFINITY, "max"),
];

/// A role label for a node.
pub fn role_label(n: &sim::NodeView) -> &'static str {
    match n.status {
        sim::NodeStatus::Crashed => "crashed",
        _ => match n.role {
            Some(sim::Role::Leader) => "leader",
            Some(sim::Role::Candidate) => "candidate",
            Some(sim::Role::PreCandidate) => "pre-candidate",
            Some(sim::Role::Follower) if n.learner => "learner",
            Some(sim::Role::Follower) => "follower",
            None => "unknown",
        },
    }
}

/// A status label: up, paused or crashed.
pub fn status_label(s: sim::NodeStatus) -> &'static str {
    match s {
        sim::NodeStatus::Up => "up",
        sim::NodeStatus::Paused => "paused",
        sim::NodeStatus::Crashed => "crashed",
    }
}

/// The color of a term (cycled), as a CSS color.
pub fn term_color(term: u64) -> &'static str {
    const P: [&str; 8] = [
        "#6c8ebf", "#d79b5b", "#6aa87a", "#b07cc6", "#c96d6d", "#4fa3a5", "#b3a046", "#8a8fa3",
    ];
    P[(term as usize) % P.len()]
}
