//! The thread that owns the simulated cluster: a [`Playground`] whose virtual time follows the
//! wall clock (times the speed). The gRPC and HTTP handlers send it [`Call`]s over a channel and
//! await the replies; it runs every client request as a line of the repl language at the
//! member it was sent to, so the session is the list of those lines with their virtual times
//! and event counts, and replays exactly (`raftlab run --scenario`).

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd::playground::Recorded;
use etcd::{CommandId, CommandState, Playground};
use tokio::sync::{mpsc, oneshot};

/// Where the driver prints what happens (one line each).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// What a unary line ended with: the text the command printed and whether it failed.
#[derive(Debug)]
pub struct Answer {
    /// The printed text (gateway JSON, or an error).
    pub text: String,
    /// The command failed (a parse error, or etcdctl's `Error:` line).
    pub failed: bool,
}

/// What a watch line prints, piece by piece.
#[derive(Debug)]
pub enum WatchItem {
    /// The watch is created at its member (the member's header at that moment).
    Created(etcd::Header),
    /// One `-w json` response line.
    Response(serde_json::Value),
    /// The server cancelled the watch: the reason (e.g. the compaction error), the member's
    /// compaction revision and header.
    Canceled(String, i64, etcd::Header),
    /// The watch ended with an error (its member went down, or a bad request).
    Failed(String),
}

/// A request to the cluster thread.
pub enum Call {
    /// Runs `line` (a request at a member); answers once its command ends.
    Line {
        /// The line (a curl line to the member's gateway, or an etcdctl line).
        line: String,
        /// What to print when it completes (`node2 Put foo`).
        label: String,
        /// The answer.
        reply: oneshot::Sender<Answer>,
        /// Cancel the command if nobody waits for the answer any more (a lock or campaign
        /// whose client went away).
        cancel_on_drop: bool,
    },
    /// Runs a watch line; its output streams to `sink` until it ends or is cancelled.
    Watch {
        /// The member.
        node: u64,
        /// The `watch -w json` line.
        line: String,
        /// What to print when it starts.
        label: String,
        /// Where its responses go.
        sink: mpsc::UnboundedSender<WatchItem>,
        /// Its command id (to cancel it), or nothing if the line started no command.
        started: oneshot::Sender<Option<CommandId>>,
    },
    /// Cancels a running command (a watch whose client cancelled it or went away).
    Cancel(CommandId),
    /// Asks for something computed from the playground at this moment, without running a line
    /// (answers that do not touch the cluster: headers, the alarm list, hashes).
    Peek(Box<dyn FnOnce(&Playground) + Send>),
    /// A line typed on standard input (fault and time lines, or any repl line).
    Input(String),
    /// The recording so far.
    Record(std::sync::mpsc::Sender<String>),
    /// Stops the thread; answers with the recording.
    Stop(std::sync::mpsc::Sender<String>),
    /// A page follows the session (`serve --ui`): its stream, or why not.
    Follow(oneshot::Sender<Result<crate::follow::Stream, String>>),
    /// A line a following page sent (`POST /raftlab/line`), run as a line of standard input;
    /// answers whether it was taken, or its one-line error.
    Remote(String, oneshot::Sender<Result<(), String>>),
}

enum Waiting {
    Unary {
        reply: oneshot::Sender<Answer>,
        label: String,
        cancel_on_drop: bool,
    },
    Watch {
        node: u64,
        sink: mpsc::UnboundedSender<WatchItem>,
        created: bool,
        partial: String,
    },
    Input,
}

/// The cluster thread's state.
pub struct Driver {
    pg: Playground,
    lines: Vec<Recorded>,
    waiting: BTreeMap<CommandId, Waiting>,
    log_pos: usize,
    speed: f64,
    sink: Sink,
    leader: Option<(u64, u64)>,
    title: String,
    /// Virtual time of the calls being handled.
    now: u64,
    /// The pages following the session (`serve --ui`).
    follow: crate::follow::Hub,
}

/// The virtual-time format of the printed lines: `12.345s`.
fn secs(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

impl Driver {
    /// A driver over `pg` (fresh, at virtual time 0).
    pub fn new(pg: Playground, speed: f64, sink: Sink, title: String) -> Self {
        Driver {
            pg,
            lines: Vec::new(),
            waiting: BTreeMap::new(),
            log_pos: 0,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            sink,
            leader: None,
            title,
            now: 0,
            follow: crate::follow::Hub::default(),
        }
    }

    fn say(&self, text: &str) {
        (self.sink)(&format!("{:>10} {text}", secs(self.pg.now())));
    }

    /// The session as a scenario: every line with its virtual time and event count.
    pub fn recording(&self) -> String {
        let mut text = etcd::scenario::record_lines(&self.pg, &self.title, &self.lines);
        text.push_str(&format!(
            "# trace hash {} (raftlab run --scenario FILE prints the same)\n",
            self.pg.cluster().trace_hash()
        ));
        text
    }

    /// Runs every event due up to virtual time `t`, each a counted step.
    fn step_until(&mut self, t: u64) -> etcd::Result<()> {
        while self.pg.next_time() <= t {
            self.pg.step()?;
        }
        Ok(())
    }

    /// Brings the clock to the time of the calls being handled, as a replay's `advance` does
    /// before a line (`run_until` only if the clock is behind).
    fn catch_up(&mut self) {
        if self.pg.now() < self.now {
            if let Err(e) = self.pg.run_until(self.now) {
                self.say(&format!("the simulation stopped: {e}"));
            }
        }
    }

    /// Runs `line` as the repl would, recording it.
    fn exec(&mut self, line: &str) -> Option<CommandId> {
        self.catch_up();
        self.lines.push(Recorded {
            at_ms: self.pg.now(),
            step: self.pg.steps(),
            line: line.into(),
            continuation: self.pg.needs_more(),
        });
        self.follow.line(&self.lines[self.lines.len() - 1]);
        self.pg.exec(line)
    }

    /// Cancels command `id`, recorded as the repl's `cancel N` (commands are numbered as the
    /// playground numbers them).
    fn cancel(&mut self, id: CommandId) {
        if self.pg.output(id).map(|o| o.state) != Some(CommandState::Running) {
            return;
        }
        self.catch_up();
        self.lines.push(Recorded {
            at_ms: self.pg.now(),
            step: self.pg.steps(),
            line: format!("cancel {id}").into(),
            continuation: false,
        });
        self.follow.line(&self.lines[self.lines.len() - 1]);
        self.pg.cancel(id);
    }

    /// Runs the thread until a `Stop` call or the callers all went away; returns the recording.
    pub fn run(mut self, calls: Receiver<Call>) -> String {
        let start = Instant::now();
        let base = self.pg.now();
        let mut stopped: Option<std::sync::mpsc::Sender<String>> = None;
        let speed = self.speed;
        let clock = |start: Instant| base + (start.elapsed().as_secs_f64() * 1000.0 * speed) as u64;
        loop {
            // Between requests the cluster only takes counted steps, as a replay does between
            // two lines (`advance`): `run_until` also flushes the work a request left at a
            // member without counting it as an event, so it may only run where a replay runs
            // it too, right before a line.
            if let Err(e) = self.step_until(clock(start)) {
                self.say(&format!("the simulation stopped: {e}"));
                break;
            }
            self.drain();
            self.watch_leader();
            self.follow.tick(&self.pg);
            // Sleep until the next event is due in wall time, or a call arrives.
            let next = self.pg.next_time();
            let target = clock(start);
            let wait_ms = if next == u64::MAX {
                20.0
            } else {
                (next.saturating_sub(target) as f64 / self.speed).clamp(0.0, 20.0)
            };
            let first = match calls.recv_timeout(Duration::from_micros((wait_ms * 1000.0) as u64)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let Some(first) = first else { continue };
            // Calls run at the current virtual time, after every event up to it, exactly as
            // a replay reaches a line: the same steps, then `run_until(time)`.
            let now = clock(start);
            if let Err(e) = self.step_until(now) {
                self.say(&format!("the simulation stopped: {e}"));
                break;
            }
            self.now = now;
            let before = self.lines.len();
            let mut next_call = Some(first);
            while let Some(call) = next_call.take() {
                if let Some(reply) = self.handle(call) {
                    stopped = Some(reply);
                    break;
                }
                next_call = calls.try_recv().ok();
            }
            // Send what the lines started at once (the replay's next step does the same).
            if self.lines.len() > before && self.pg.next_time() != u64::MAX {
                if let Err(e) = self.pg.step() {
                    self.say(&format!("the simulation stopped: {e}"));
                    break;
                }
            }
            self.drain();
            if stopped.is_some() {
                break;
            }
        }
        let rec = self.recording();
        // Whoever waits gets an answer: the server is going away.
        for (_, w) in std::mem::take(&mut self.waiting) {
            match w {
                Waiting::Unary { reply, .. } => {
                    let _ = reply.send(Answer {
                        text: "etcdserver: server stopped".into(),
                        failed: true,
                    });
                }
                Waiting::Watch { sink, .. } => {
                    let _ = sink.send(WatchItem::Failed("etcdserver: server stopped".into()));
                }
                Waiting::Input => {}
            }
        }
        if let Some(reply) = stopped {
            let _ = reply.send(rec.clone());
        }
        rec
    }

    /// Handles one call; returns the reply channel of a `Stop`.
    fn handle(&mut self, call: Call) -> Option<std::sync::mpsc::Sender<String>> {
        match call {
            Call::Line {
                line,
                label,
                reply,
                cancel_on_drop,
            } => {
                // A request the gateway cannot parse never reaches the cluster: it is answered
                // here and left out of the recording (a scenario refuses a line that does not
                // parse, and the command numbering would shift).
                if let Err(e) = etcd::ctl::parse_line(&line) {
                    self.say(&format!(
                        "{label} -> {}",
                        summary(e.0.lines().next().unwrap_or(""))
                    ));
                    let _ = reply.send(Answer {
                        text: e.0,
                        failed: true,
                    });
                    return None;
                }
                match self.exec(&line) {
                    Some(id) => {
                        let w = Waiting::Unary {
                            reply,
                            label,
                            cancel_on_drop,
                        };
                        self.waiting.insert(id, w);
                    }
                    None => {
                        let _ = reply.send(Answer {
                            text: "etcdserver: empty request".into(),
                            failed: true,
                        });
                    }
                }
            }
            Call::Watch {
                node,
                line,
                label,
                sink,
                started,
            } => {
                let id = self.exec(&line);
                if let Some(id) = id {
                    self.say(&format!("{label} (command {id})"));
                    // The watch is created at once on its member's hub: the created response
                    // goes before any event it replays.
                    let running =
                        self.pg.output(id).map(|o| o.state) == Some(CommandState::Running);
                    if running {
                        let _ = sink.send(WatchItem::Created(member_header(&self.pg, node).1));
                    }
                    self.waiting.insert(
                        id,
                        Waiting::Watch {
                            node,
                            sink,
                            created: running,
                            partial: String::new(),
                        },
                    );
                }
                let _ = started.send(id);
            }
            Call::Cancel(id) => {
                if self.waiting.remove(&id).is_some() {
                    self.cancel(id);
                }
            }
            Call::Peek(f) => f(&self.pg),
            Call::Input(line) => {
                let _ = self.input(&line);
            }
            Call::Follow(reply) => {
                let _ = reply.send(self.follow.join(&self.pg, &self.title, &self.lines));
            }
            Call::Remote(line, reply) => {
                let _ = reply.send(self.input(&line));
            }
            Call::Record(reply) => {
                let _ = reply.send(self.recording());
            }
            Call::Stop(reply) => return Some(reply),
        }
        None
    }

    /// A line from standard input (or a following page): run it and print what it prints.
    /// Its one-line error if it failed at once (does not parse, no such command).
    fn input(&mut self, line: &str) -> Result<(), String> {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            return Ok(());
        }
        self.say(&format!("> {t}"));
        if etcd::scenario::is_cancel(t) {
            match t.trim_start_matches("cancel").trim().parse::<CommandId>() {
                Ok(id) if self.pg.output(id).map(|o| o.state) == Some(CommandState::Running) => {
                    self.waiting.remove(&id);
                    self.cancel(id);
                    return Ok(());
                }
                _ => {
                    self.say("Error: no such running command");
                    return Err("Error: no such running command".into());
                }
            }
        }
        let id = self.exec(line);
        if let Some(id) = id {
            self.waiting.insert(id, Waiting::Input);
        }
        let failed = id
            .and_then(|id| self.pg.output(id))
            .filter(|o| o.state == CommandState::Failed)
            .map(|o| o.text.lines().next().unwrap_or("failed").to_string());
        if self.pg.needs_more() {
            // A txn spans lines; clients' requests would land inside it. Abandon it (inside a
            // txn the playground reads `cancel` as that).
            self.exec("cancel");
            let why =
                "serve: an interactive txn is not read on standard input (send it from a client)";
            self.say(why);
            self.drain();
            return Err(why.into());
        }
        self.drain();
        failed.map_or(Ok(()), Err)
    }

    /// The compaction revision and header of the member a watch command runs at.
    fn member_now(&self, cmd: CommandId) -> (i64, etcd::Header) {
        let node = match self.waiting.get(&cmd) {
            Some(Waiting::Watch { node, .. }) => *node,
            _ => return (0, etcd::Header::default()),
        };
        member_header(&self.pg, node)
    }

    /// Prints a line when the leader changes.
    fn watch_leader(&mut self) {
        let c = self.pg.cluster();
        let now = c.leader().and_then(|l| c.role(l).map(|r| (l, r.1)));
        if now != self.leader {
            let text = match now {
                Some((l, term)) => format!("leader: node {l} (term {term})"),
                None => "leader: none".to_string(),
            };
            self.leader = now;
            self.say(&text);
        }
    }

    /// Routes what commands printed since the last call, and answers the commands that ended.
    fn drain(&mut self) {
        let pieces: Vec<(CommandId, String)> = self
            .pg
            .log_since(self.log_pos)
            .map(|(c, _, t)| (*c, t.clone()))
            .collect();
        self.log_pos = self.pg.log_len();
        for (cmd, text) in pieces {
            let member = self.member_now(cmd);
            match self.waiting.get_mut(&cmd) {
                Some(Waiting::Watch { sink, partial, .. }) => {
                    partial.push_str(&text);
                    while let Some(nl) = partial.find('\n') {
                        let line: String = partial.drain(..=nl).collect();
                        let item = watch_item(line.trim(), member);
                        if let Some(item) = item {
                            let _ = sink.send(item);
                        }
                    }
                }
                Some(Waiting::Input) => {
                    for l in text.lines() {
                        self.say(l);
                    }
                }
                _ => {}
            }
        }
        // Requests whose client went away before the answer: given up (recorded as `cancel`).
        let gone: Vec<CommandId> = self
            .waiting
            .iter()
            .filter_map(|(id, w)| match w {
                Waiting::Unary {
                    reply,
                    cancel_on_drop: true,
                    label,
                } if reply.is_closed() => Some((*id, label.clone())),
                _ => None,
            })
            .map(|(id, label)| {
                self.say(&format!("{label} -> cancelled by the client"));
                id
            })
            .collect();
        for id in gone {
            self.waiting.remove(&id);
            self.cancel(id);
        }
        // Commands that settled or ended.
        let ids: Vec<CommandId> = self.waiting.keys().copied().collect();
        for id in ids {
            let Some(out) = self.pg.output(id) else {
                continue;
            };
            let (state, settled) = (out.state, out.settled);
            let member = self.member_now(id);
            match self.waiting.get_mut(&id) {
                Some(Waiting::Watch { sink, created, .. }) => {
                    if settled && !*created && state == CommandState::Running {
                        *created = true;
                        let _ = sink.send(WatchItem::Created(member.1));
                    }
                    if state != CommandState::Running {
                        if state == CommandState::Failed {
                            let msg = out
                                .text
                                .lines()
                                .rev()
                                .find_map(|l| l.strip_prefix("Error: "))
                                .unwrap_or("watch ended")
                                .to_string();
                            let _ = sink.send(WatchItem::Failed(msg));
                        }
                        self.waiting.remove(&id);
                    }
                }
                Some(Waiting::Unary { .. }) if state != CommandState::Running => {
                    let text = out.text.clone();
                    if let Some(Waiting::Unary { reply, label, .. }) = self.waiting.remove(&id) {
                        let first = text.lines().next().unwrap_or("").to_string();
                        let said = summary(&first)
                            .replace("context deadline exceeded", "etcdserver: request timed out");
                        self.say(&format!("{label} -> {said}"));
                        let _ = reply.send(Answer {
                            text,
                            failed: state == CommandState::Failed,
                        });
                    }
                }
                Some(Waiting::Input) if state != CommandState::Running => {
                    self.waiting.remove(&id);
                }
                _ => {}
            }
        }
    }
}

/// A short account of an answer for the printed line: the error, or the revision.
fn summary(json_line: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json_line) {
        Ok(v) => {
            if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
                return e.to_string();
            }
            let rev = v
                .get("header")
                .or_else(|| v.get("result").and_then(|r| r.get("header")))
                .and_then(|h| h.get("revision"))
                .and_then(|r| {
                    r.as_str()
                        .map(str::to_string)
                        .or(r.as_i64().map(|n| n.to_string()))
                });
            match rev {
                Some(r) => format!("ok, revision {r}"),
                None => "ok".to_string(),
            }
        }
        Err(_) => json_line.to_string(),
    }
}

/// One line a `watch -w json` command printed, as a watch item (`member`: the member's
/// compaction revision and header now).
fn watch_item(line: &str, member: (i64, etcd::Header)) -> Option<WatchItem> {
    if line.starts_with('{') {
        return serde_json::from_str(line).ok().map(WatchItem::Response);
    }
    if let Some(reason) = line.strip_prefix("watch was canceled") {
        let reason = reason.trim().trim_start_matches('(').trim_end_matches(')');
        return Some(WatchItem::Canceled(reason.to_string(), member.0, member.1));
    }
    None
}

/// `node`'s compaction revision and its response header at its current revision (zeros for a
/// member that is down).
pub fn member_header(pg: &Playground, node: u64) -> (i64, etcd::Header) {
    match pg.cluster().state_machine(node) {
        Ok(sm) => (
            sm.store.compact_revision(),
            pg.service().header(node, sm.store.current_revision()),
        ),
        Err(_) => (0, pg.service().header(node, 0)),
    }
}
