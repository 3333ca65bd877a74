//! Command lines in, etcdctl output out: the engine behind `raftlab repl` and the browser.
//!
//! `exec(line)` parses a line of the etcdctl language (or a fault/time line, or a JSON gateway
//! request) and starts a command. Short commands end when their request does; long-running ones
//! (watch, lock, elect, keep-alive, sleep) keep producing output as virtual time passes, until
//! they end or are cancelled. Every command's output is kept as text, exactly as etcdctl prints.

mod answers;
mod cluster_cmds;
mod commands;
mod gateway_calls;
mod packing;
mod session_log;
mod teaching;

use std::collections::BTreeMap;
use std::sync::Arc;

use sim::ClusterConfig;

use crate::client::{CallId, Client, Observed};
use crate::ctl::{self, Feed, LineParser, Target};
use crate::error::Result;
use crate::service::Service;

pub use commands::{LeaseView, WatchView};
pub use session_log::{SessionEvent, SessionLog};

/// What the console prints for a `cancel` line with nothing to cancel.
pub const NO_SUCH_COMMAND: &str = "Error: no such running command\n";

/// Identifies a command started by `exec`.
pub type CommandId = u64;

/// Where a command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum CommandState {
    /// Still producing output (or waiting).
    Running,
    /// Finished normally.
    Done,
    /// Finished with an error (the text ends with etcdctl's "Error: ..." line).
    Failed,
}

/// A command's line and what it printed so far.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CommandOutput {
    /// The line as typed (shared with the session's record of it).
    pub line: Arc<str>,
    /// Output so far.
    pub text: String,
    /// State.
    pub state: CommandState,
    /// A long-running command that has reached its steady state (watch created, lock held or
    /// queued, keep-alive answered): a script may move on.
    pub settled: bool,
}

/// The playground: a client over the service, plus the commands people started. A clone is a
/// checkpoint: it goes on exactly as the original would.
#[derive(Clone)]
pub struct Playground {
    client: Client,
    parser: LineParser,
    /// Every command's output, kept for the session's length: a persistent map, so that a
    /// clone (a checkpoint) shares it and costs nothing per command.
    outputs: imbl::OrdMap<CommandId, Arc<CommandOutput>>,
    tasks: BTreeMap<CommandId, Box<commands::Task>>,
    /// Each client call, with the command that made it.
    calls: BTreeMap<CallId, Box<(CommandId, commands::Role)>>,
    next_command: CommandId,
    /// Every piece of output in the order it was printed (command, virtual time, text); a
    /// persistent vector, shared by clones.
    log: imbl::Vector<(CommandId, u64, String)>,
    /// The commands whose output changed (text, state, settled), in order, once per change:
    /// what a console follows instead of polling every running command
    /// (see [`Playground::changed_since`]). Persistent, shared by clones.
    changed: imbl::Vector<CommandId>,
    /// Events run so far (by `step`), so that a recording can replay a line at the exact point.
    steps: u64,
    /// Every line given to `exec`, with when it was given: the session as a scenario (a
    /// persistent vector, shared by clones).
    given: imbl::Vector<Recorded>,
    /// What the session's commands did, for recorders outside the system.
    session_log: SessionLog,
    /// The bugs planted when the cluster was built (see `teaching.rs`).
    planted_at_start: crate::planted::PlantedBugs,
}

/// Commands whose node arguments may be written `leader` (the current leader), `follower` (the
/// first running follower) or `crashed` (the first crashed node), so that lessons read the same
/// whatever the seed.
pub const ALIAS_VERBS: [&str; 12] = [
    "crash",
    "restart",
    "pause",
    "resume",
    "campaign",
    "partition",
    "cut",
    "restore",
    "hold",
    "release",
    "drop",
    "link",
];

/// A line given to `exec`, with the virtual time and the event count at that moment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    /// Virtual time in ms.
    pub at_ms: u64,
    /// Events run before it.
    pub step: u64,
    /// The line as given (one allocation, shared by every record and output of it).
    pub line: Arc<str>,
    /// It continues a multi-line command (txn) started by an earlier line.
    pub continuation: bool,
}

impl Playground {
    /// A fresh cluster.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(config: ClusterConfig) -> Result<Self> {
        let mut service = Service::new(config)?;
        // The leader's expiry revokes belong to the session's log.
        service.record_expiry_revokes();
        Ok(Playground {
            client: Client::over(service),
            parser: LineParser::new(),
            outputs: imbl::OrdMap::new(),
            tasks: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_command: 1,
            log: imbl::Vector::new(),
            changed: imbl::Vector::new(),
            steps: 0,
            given: imbl::Vector::new(),
            session_log: SessionLog::default(),
            planted_at_start: crate::planted::PlantedBugs::NONE,
        })
    }

    /// The service.
    pub fn service(&self) -> &Service {
        self.client.service()
    }

    /// The client the console's commands call.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The cluster.
    pub fn cluster(&self) -> &sim::Cluster<crate::EtcdMachine> {
        self.client.service().cluster()
    }

    /// Virtual time.
    pub fn now(&self) -> u64 {
        self.client.now()
    }

    /// Whether a multi-line command (txn) is waiting for more lines.
    pub fn needs_more(&self) -> bool {
        self.parser.pending()
    }

    /// The section of the unfinished txn the next line belongs to, if one is being read.
    pub fn txn_section(&self) -> Option<ctl::Section> {
        self.parser.section()
    }

    /// Starts the command on `line`. Returns `None` for a blank line, a comment or a line that
    /// continues a multi-line command (`txn`), else the new command's id. Errors (bad syntax)
    /// make a command that has already failed, so they show like any other output.
    pub fn exec(&mut self, line: &str) -> Option<CommandId> {
        let t = line.trim();
        let given: Arc<str> = Arc::from(line);
        if self.parser.pending() || !(t.is_empty() || t.starts_with('#')) {
            self.given.push_back(Recorded {
                at_ms: self.now(),
                step: self.steps,
                line: given.clone(),
                continuation: self.parser.pending(),
            });
        }
        let line = &self.resolve_aliases(line);
        let display = Self::parser_display(line, &given);
        match self.parser.feed(line) {
            Feed::Nothing | Feed::NeedMore => None,
            Feed::Done(res) => {
                let id = self.next_command;
                self.next_command += 1;
                self.touch(id);
                self.outputs.insert(
                    id,
                    Arc::new(CommandOutput {
                        line: display,
                        text: String::new(),
                        state: CommandState::Running,
                        settled: false,
                    }),
                );
                match res {
                    Ok(inv) => {
                        let (member, request) = (self.target(&inv.target), inv.command.clone());
                        self.start(id, inv);
                        self.log_started(id, member, request);
                    }
                    Err(e) => {
                        // The parse error is already the complete line etcdctl prints.
                        self.print(id, &e.0);
                        self.end(id, false);
                    }
                }
                self.process();
                Some(id)
            }
        }
    }

    /// The line as shown: `line` (aliases resolved) trimmed, sharing `given`'s allocation when
    /// they are the same text.
    fn parser_display(line: &str, given: &Arc<str>) -> Arc<str> {
        let shown = line.trim();
        if shown == &**given {
            given.clone()
        } else {
            Arc::from(shown)
        }
    }

    /// In fault lines, the word `leader` names the current leader (so a lesson can say
    /// `crash leader` whatever the seed).
    fn resolve_aliases(&self, line: &str) -> String {
        let first = line.split_whitespace().next().unwrap_or("");
        if self.parser.pending()
            || !ALIAS_VERBS.contains(&first)
            || !["leader", "follower", "crashed"]
                .iter()
                .any(|a| line.contains(a))
        {
            return line.to_string();
        }
        let c = self.cluster();
        let l = c.leader();
        // The first running follower (by id).
        let f = c
            .node_ids()
            .into_iter()
            .find(|n| Some(*n) != l && c.status(*n).ok() == Some(sim::NodeStatus::Up));
        let crashed = c
            .node_ids()
            .into_iter()
            .find(|n| c.status(*n).ok() == Some(sim::NodeStatus::Crashed));
        let sub = |p: &str| match (p, l, f, crashed) {
            ("leader", Some(l), _, _) => l.to_string(),
            ("follower", _, Some(f), _) => f.to_string(),
            ("crashed", _, _, Some(x)) => x.to_string(),
            _ => p.to_string(),
        };
        let words: Vec<String> = line
            .split_whitespace()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    return w.to_string();
                }
                // Also inside groups and links: `partition leader,follower`, `cut leader->3`.
                w.split(',')
                    .map(|p| match p.split_once("->") {
                        Some((a, b)) => format!("{}->{}", sub(a), sub(b)),
                        None => sub(p),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        words.join(" ")
    }

    /// Every line given so far, with when: the session, ready to export as a scenario.
    pub fn given(&self) -> &imbl::Vector<Recorded> {
        &self.given
    }

    /// The lines given from position `from` of [`Playground::given`] on.
    pub fn given_since(&self, from: usize) -> impl Iterator<Item = &Recorded> {
        (from.min(self.given.len())..self.given.len()).map(|i| &self.given[i])
    }

    /// Events run so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// A command's output.
    pub fn output(&self, id: CommandId) -> Option<&CommandOutput> {
        self.outputs.get(&id).map(|o| &**o)
    }

    /// A command's output to change (copied first if a checkpoint shares it).
    fn output_mut(&mut self, id: CommandId) -> Option<&mut CommandOutput> {
        self.touch(id);
        self.outputs.get_mut(&id).map(Arc::make_mut)
    }

    /// Notes that command `id`'s output changes. Every change is noted (about 8 bytes each):
    /// a reader's mark may fall anywhere between two of them.
    fn touch(&mut self, id: CommandId) {
        self.changed.push_back(id);
    }

    /// The commands whose output (text, state, settled) changed since mark `from` (a
    /// [`Playground::changed_len`] taken earlier), in order, possibly more than once: a
    /// console updates just those entries.
    pub fn changed_since(&self, from: usize) -> impl Iterator<Item = CommandId> + '_ {
        (from.min(self.changed.len())..self.changed.len()).map(|i| self.changed[i])
    }

    /// A mark for [`Playground::changed_since`].
    pub fn changed_len(&self) -> usize {
        self.changed.len()
    }

    /// Every command, by id.
    pub fn outputs(&self) -> impl DoubleEndedIterator<Item = (CommandId, &CommandOutput)> {
        self.outputs.iter().map(|(id, o)| (*id, &**o))
    }

    /// The console's `cancel` line: `cancel` stops the most recent running command, `cancel N`
    /// (or `cancel %N`) command N, as Ctrl-C would. `None` when `line` is no `cancel` line,
    /// or continues an unfinished txn (which `cancel` abandons through the parser); else
    /// whether a command was cancelled (if not, the console prints [`NO_SUCH_COMMAND`]).
    pub fn cancel_line(&mut self, line: &str) -> Option<bool> {
        if self.parser.pending() {
            return None;
        }
        let rest = line.trim().strip_prefix("cancel")?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        let target = match rest.trim() {
            "" => self
                .outputs
                .iter()
                .rev()
                .find(|(_, o)| o.state == CommandState::Running)
                .map(|(id, _)| *id),
            n => n.trim_start_matches('%').parse::<CommandId>().ok(),
        };
        Some(target.is_some_and(|id| self.cancel(id)))
    }

    /// Cancels a running command (as Ctrl-C would). Returns whether it was running.
    pub fn cancel(&mut self, id: CommandId) -> bool {
        if self.outputs.get(&id).map(|o| o.state) != Some(CommandState::Running) {
            return false;
        }
        self.interrupt(id);
        self.process();
        true
    }

    /// Virtual time of the next thing that happens.
    pub fn next_time(&self) -> u64 {
        self.client.next_time()
    }

    /// Runs the next event.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn step(&mut self) -> Result<()> {
        self.steps += 1;
        self.client.step()?;
        self.process();
        self.finish_runs();
        Ok(())
    }

    /// Runs every event up to virtual time `t`.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_until(&mut self, t: u64) -> Result<()> {
        while self.next_time() <= t {
            self.step()?;
        }
        self.client.run_until(t)?;
        self.process();
        self.finish_runs();
        Ok(())
    }

    /// Where the earliest running `run` or `tick` command asks time to go (virtual ms): a
    /// driver runs the simulation there (the page's clock fast-forwards to it over frames).
    pub fn run_target(&self) -> Option<u64> {
        self.tasks
            .values()
            .filter_map(|t| match **t {
                commands::Task::Run { until } => Some(until),
                _ => None,
            })
            .min()
    }

    /// Runs until command `id` has ended or settled, or `limit_ms` of virtual time pass.
    /// Returns whether it did.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_until_settled(&mut self, id: CommandId, limit_ms: u64) -> Result<bool> {
        if let Some(commands::Task::Run { until }) = self.tasks.get(&id).map(|t| &**t) {
            // A `run` or `tick` line: its own length, which the parser bounds.
            let until = (*until).max(self.now());
            self.run_until(until)?;
            return Ok(self.is_settled(id));
        }
        let deadline = self.now().saturating_add(limit_ms);
        loop {
            if self.is_settled(id) {
                return Ok(true);
            }
            if self.next_time() > deadline {
                self.client.run_until(deadline)?;
                self.process();
                return Ok(self.is_settled(id));
            }
            self.step()?;
        }
    }

    fn is_settled(&self, id: CommandId) -> bool {
        self.outputs
            .get(&id)
            .is_none_or(|o| o.state != CommandState::Running || o.settled)
    }

    fn target(&self, t: &Target) -> u64 {
        match t {
            Target::Node(n) => *n,
            Target::Default => self.cluster().leader().unwrap_or(1),
        }
    }

    fn print(&mut self, id: CommandId, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut t = text.to_string();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        if let Some(o) = self.output_mut(id) {
            o.text.push_str(&t);
            self.log.push_back((id, self.client.now(), t));
        }
    }

    /// Output pieces from position `from` of the print log, in the order they were printed:
    /// (command, virtual time, text).
    pub fn log_since(&self, from: usize) -> impl Iterator<Item = &(CommandId, u64, String)> {
        (from.min(self.log.len())..self.log.len()).map(|i| &self.log[i])
    }

    /// Length of the print log.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    fn settle(&mut self, id: CommandId) {
        if let Some(o) = self.output_mut(id) {
            o.settled = true;
        }
    }

    fn finish(&mut self, id: CommandId) {
        if let Some(o) = self.output_mut(id) {
            if o.state == CommandState::Running {
                o.state = CommandState::Done;
            }
        }
        self.forget(id);
    }

    fn fail(&mut self, id: CommandId, msg: &str) {
        self.print(id, &ctl::format::error(msg));
        self.end(id, false);
    }

    /// Ends a command whose output is complete: done, or failed.
    fn end(&mut self, id: CommandId, ok: bool) {
        if !ok {
            if let Some(o) = self.output_mut(id) {
                o.state = CommandState::Failed;
            }
        }
        self.finish(id);
    }

    /// A command is over: its long calls are cancelled (a short call's answer still prints).
    fn forget(&mut self, id: CommandId) {
        let now = self.now();
        self.session_log.command_ended(id, now);
        if let Some(commands::Task::Watch { op: Some(op), .. }) = self.tasks.get(&id).map(|t| &**t)
        {
            let op = *op;
            self.session_log.watch_closed(op);
        }
        self.tasks.remove(&id);
        let long: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, r)| r.0 == id && r.1.cancelled_with_command())
            .map(|(call, _)| *call)
            .collect();
        for call in long {
            self.calls.remove(&call);
            self.client.cancel(call);
        }
    }

    /// The way up: what the service reported goes to the session's log, and each
    /// client event to the command that made the call.
    fn process(&mut self) {
        loop {
            let observed = self.client.take_observed();
            let events = self.client.take_events();
            if observed.is_empty() && events.is_empty() {
                return;
            }
            for o in observed {
                match o {
                    Observed::ExpiryRevoke(e) => self.session_log.expiry_revoke(e),
                    Observed::Op(now, e) => self.session_log.observe(&e, now),
                }
            }
            for e in events {
                self.on_client_event(e);
            }
        }
    }

    /// Open watches (watch commands), for the watch panel.
    pub fn watches(&self) -> Vec<WatchView> {
        self.tasks
            .iter()
            .filter_map(|(id, t)| match &**t {
                commands::Task::Watch { node, .. } => {
                    let out = self.outputs.get(id);
                    Some(WatchView {
                        command: *id,
                        line: out.map(|o| o.line.to_string()).unwrap_or_default(),
                        node: *node,
                        events: out.map(|o| o.text.clone()).unwrap_or_default(),
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// Leases as the leader's lessor sees them, for the lease panel.
    pub fn leases(&self) -> Vec<LeaseView> {
        let c = self.cluster();
        let Some(leader) = c.leader() else {
            return Vec::new();
        };
        let Ok(sm) = c.state_machine(leader) else {
            return Vec::new();
        };
        let now = self.now();
        sm.lessor
            .leases()
            .into_iter()
            .filter_map(|id| sm.lessor.lookup(id))
            .map(|l| LeaseView {
                id: format!("{:016x}", l.id),
                ttl: l.ttl,
                remaining_ms: l.expiry_ms.map(|e| e.saturating_sub(now)),
                keys: l
                    .keys
                    .iter()
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect(),
            })
            .collect()
    }
}
