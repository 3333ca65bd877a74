//! The console: each line run (typed, a button's, a script's, a lesson's) and each note of the
//! playground as an entry with its output; the output of running commands follows them until
//! they end, and whoever waits on a command (`window.raftlab.exec`) hears its output then.
//! The playground says which commands changed ([`etcd::Playground::changed_since`]); only
//! those entries are updated, so a frame costs what changed, not what runs.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{now_wall, Control, Controller, Stop};
use crate::model::{ConsoleEntry, Origin};
use etcd::session::{CommandId, CommandState};

/// Console lines kept.
const CONSOLE_KEEP: usize = 300;

/// A promise waiting on a console command (for `window.raftlab.exec`).
pub type Waiter = Box<dyn FnOnce(String)>;

/// The console's own state (its entries are in the `console` signal).
#[derive(Default)]
pub(super) struct Console {
    /// The key of the next entry (unique within the page).
    next_key: u64,
    /// Entries whose command runs: command to entry key.
    running: BTreeMap<CommandId, u64>,
    /// How far the playground's changes have been read (`None`: from wherever it is now, after
    /// the session was replaced).
    read_to: Option<usize>,
    /// Who waits on which command.
    waiters: Vec<(CommandId, Waiter)>,
}

impl Console {
    /// Tells everyone waiting that their command is gone (`why`), and forgets them.
    pub(super) fn cancel_waiters(&mut self, why: &str) {
        for (_, w) in self.waiters.drain(..) {
            w(why.into());
        }
    }

    /// The running commands' entries stop following them.
    pub(super) fn forget_running(&mut self) {
        self.running.clear();
        self.read_to = None;
    }

    fn key(&mut self) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        key
    }
}

impl Control {
    /// Runs a console line; `done` gets its output once it completes. A replay running (an
    /// import, a link, a seek) stops first: the newest input wins.
    pub fn exec(self, line: &str, origin: Origin, done: Option<Waiter>) -> Option<CommandId> {
        self.stop_replay(Stop::Action);
        self.with(|c| c.exec(line, origin, done)).flatten()
    }

    /// Runs the line a button stands for, echoed in the console.
    pub fn act(self, line: impl Into<String>) {
        self.exec(&line.into(), Origin::Ui, None);
    }

    /// Cancels a running console command: the line `cancel ID`, echoed and kept in the session.
    pub fn cancel(self, cmd: CommandId) {
        self.act(format!("cancel {cmd}"));
    }

    /// Takes back the waiter `exec` was given for command `cmd` (the line goes on), if one
    /// waits.
    pub fn forget_waiter(self, cmd: CommandId) -> Option<Waiter> {
        self.with(|c| {
            let w = &mut c.console.waiters;
            let i = w.iter().position(|(id, _)| *id == cmd)?;
            Some(w.remove(i).1)
        })
        .flatten()
    }
}

impl Controller {
    /// Adds a note of the playground's own to the console.
    pub(super) fn note(&mut self, text: String) {
        let key = self.console.key();
        let time_ms = self.session.now();
        self.push_entry(ConsoleEntry {
            key,
            cmd: None,
            line: String::new(),
            text,
            state: CommandState::Done,
            origin: Origin::System,
            time_ms,
        });
    }

    fn push_entry(&mut self, e: ConsoleEntry) {
        self.ui.console.entries.update(|v| {
            v.push(e);
            if v.len() > CONSOLE_KEEP {
                let cut = v.len() - CONSOLE_KEEP;
                v.drain(..cut);
            }
        });
    }

    pub(super) fn exec(
        &mut self,
        line: &str,
        origin: Origin,
        done: Option<Waiter>,
    ) -> Option<CommandId> {
        let line = line.trim();
        // A blank line ends a section of an unfinished txn; elsewhere it does nothing.
        if line.is_empty() && !self.session.needs_more() {
            if let Some(d) = done {
                d(String::new());
            }
            return None;
        }
        if super::follow::active() {
            // The server runs it; it comes back through the stream.
            self.send_line(line, done);
            return None;
        }
        let time_ms = self.session.now();
        let key = self.console.key();
        // Changes from here on are this line's and later ones'.
        let mark = self.session.playground().changed_len();
        self.console.read_to.get_or_insert(mark);
        let Some(cmd) = self.session.exec(line) else {
            // A comment, or a line inside a multi-line txn: echoed, nothing to wait for.
            let more = self.session.needs_more();
            self.push_entry(ConsoleEntry {
                key,
                cmd: None,
                line: line.to_string(),
                text: if more { "…".into() } else { String::new() },
                state: CommandState::Done,
                origin,
                time_ms,
            });
            if let Some(d) = done {
                d(String::new());
            }
            self.sync(now_wall());
            return None;
        };
        let out = self.session.output(cmd).cloned();
        let settled = out.as_ref().is_none_or(|o| o.settled);
        let (text, state) =
            out.map_or((String::new(), CommandState::Failed), |o| (o.text, o.state));
        if state == CommandState::Running {
            self.console.running.insert(cmd, key);
        }
        match done {
            Some(d) if state == CommandState::Running && !settled => {
                self.console.waiters.push((cmd, d))
            }
            // Ended (or settled) already: a parse error, a `cancel`, a fault line.
            Some(d) => d(text.clone()),
            None => {}
        }
        self.push_entry(ConsoleEntry {
            key,
            cmd: Some(cmd),
            line: line.to_string(),
            text,
            state,
            origin,
            time_ms,
        });
        self.sync(now_wall());
        Some(cmd)
    }

    /// Shows a line that ran without being given here (a followed server's), with its output.
    pub(super) fn echo_line(&mut self, line: &str, cmd: Option<CommandId>, origin: Origin) {
        let key = self.console.key();
        let out = cmd.and_then(|c| self.session.output(c)).cloned();
        let (text, state) = out.map_or((String::new(), CommandState::Done), |o| (o.text, o.state));
        self.push_entry(ConsoleEntry {
            key,
            cmd,
            line: line.trim().to_string(),
            text,
            state,
            origin,
            time_ms: self.session.now(),
        });
        if let Some(cmd) = cmd.filter(|_| state == CommandState::Running) {
            self.console.running.insert(cmd, key);
        }
    }

    /// Brings the entries of the commands that changed up to date and answers the waiters
    /// whose command ended (or settled).
    pub(super) fn sync_console(&mut self) {
        let pg = self.session.playground();
        let con = &mut self.console;
        let end = pg.changed_len();
        let from = *con.read_to.get_or_insert(end);
        if from == end {
            return;
        }
        con.read_to = Some(end);
        let mut changed: Vec<CommandId> = pg.changed_since(from).collect();
        order::sort(&mut changed);
        changed.dedup();
        let mut updates = Vec::new();
        for cmd in &changed {
            let Some(key) = con.running.get(cmd).copied() else {
                continue;
            };
            match pg.output(*cmd) {
                Some(o) => {
                    updates.push((key, o.text.clone(), o.state));
                    if o.state != CommandState::Running {
                        con.running.remove(cmd);
                    }
                }
                None => {
                    con.running.remove(cmd);
                }
            }
        }
        if !updates.is_empty() {
            self.ui.console.entries.update(|v| {
                for (key, text, state) in updates {
                    if let Some(e) = v.iter_mut().rev().find(|e| e.key == key) {
                        if e.text != text || e.state != state {
                            e.text = text;
                            e.state = state;
                        }
                    }
                }
            });
        }
        let mut i = 0;
        while i < con.waiters.len() {
            let cmd = con.waiters[i].0;
            if changed.binary_search(&cmd).is_err() {
                i += 1;
                continue;
            }
            match pg.output(cmd) {
                // A watch or keep-alive resolves with its output so far once it has settled.
                Some(o) if o.state == CommandState::Running && !o.settled => i += 1,
                o => {
                    let text = o.map(|o| o.text.clone()).unwrap_or_default();
                    let (_, w) = con.waiters.remove(i);
                    w(text);
                }
            }
        }
    }
}
