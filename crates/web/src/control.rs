//! The controller: owns the engine, advances virtual time from animation frames, and writes the
//! signals the components read. The console, the buttons and `window.raftlab` all call these
//! functions, so they share one code path.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

use leptos::prelude::*;
use sim::{Role, TraceKind};

use crate::engine::{CommandId, CommandState, Engine};
use crate::model::{
    role_label, status_label, ConsoleEntry, DropMark, LogRow, LogWindow, Mark, MarkKind, Origin,
    Perf, Settings, TermSpan, Ui,
};

/// Log cells shown at once.
pub const LOG_CELLS: u64 = 32;
/// Console lines kept.
const CONSOLE_KEEP: usize = 300;
/// Timeline marks kept.
const MARKS_KEEP: usize = 600;
/// Wall ms a dropped message stays visible.
pub const DROP_SHOW_MS: f64 = 900.0;
/// Wall ms an overwritten entry stays highlighted.
const OVERWRITE_SHOW_MS: f64 = 4_000.0;
/// Wall ms between refreshes of the logs and the timeline while playing.
const SLOW_MS: f64 = 125.0;
/// Wall ms of simulation per frame at most (the rest of the frame is for rendering).
const FRAME_BUDGET_MS: f64 = 10.0;

/// A promise waiting on a console command (for `window.raftlab.exec`).
pub type Waiter = Box<dyn FnOnce(String)>;

/// The running playground.
pub struct Controller {
    engine: Engine,
    ui: Ui,
    settings: Settings,
    trace_seq: u64,
    last_ts: Option<f64>,
    carry: f64,
    next_load_at: u64,
    load_n: u64,
    waiters: Vec<(CommandId, Waiter)>,
    running: Vec<(u64, CommandId)>,
    next_key: u64,
    last_appended: BTreeMap<u64, u64>,
    overwrites: Vec<(u64, u64, u64, f64)>,
    open_span: Option<TermSpan>,
    halted: bool,
    perf_window: VecDeque<(f64, u64, u64)>,
    frame_ms: VecDeque<f64>,
    shown_events: u64,
    shown_time: u64,
    timeline: crate::model::Timeline,
    timeline_dirty: bool,
    logs_stale: bool,
    last_slow: f64,
}

thread_local! {
    static CTRL: RefCell<Option<Controller>> = const { RefCell::new(None) };
    static SEED: Cell<u64> = const { Cell::new(0) };
}

/// The seed of the running cluster (for the panic banner).
pub fn current_seed() -> u64 {
    SEED.with(Cell::get)
}

/// Runs `f` on the controller, if installed and not already in use.
pub fn with<R>(f: impl FnOnce(&mut Controller) -> R) -> Option<R> {
    CTRL.with(|c| {
        let mut g = c.try_borrow_mut().ok()?;
        g.as_mut().map(f)
    })
}

fn now_wall() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// Builds the first cluster and installs the controller. Returns the UI signals.
///
/// # Errors
/// A message for settings that do not make a cluster.
pub fn install(settings: Settings) -> Result<Ui, String> {
    let engine = Engine::new(settings.config())?;
    SEED.with(|s| s.set(settings.seed));
    let ui = Ui::new(engine.cluster().view(), settings.clone());
    let mut c = Controller {
        engine,
        ui,
        settings,
        trace_seq: 0,
        last_ts: None,
        carry: 0.0,
        next_load_at: 0,
        load_n: 0,
        waiters: Vec::new(),
        running: Vec::new(),
        next_key: 0,
        last_appended: BTreeMap::new(),
        overwrites: Vec::new(),
        open_span: None,
        halted: false,
        perf_window: VecDeque::new(),
        frame_ms: VecDeque::new(),
        shown_events: u64::MAX,
        shown_time: u64::MAX,
        timeline: Default::default(),
        timeline_dirty: false,
        logs_stale: true,
        last_slow: f64::NEG_INFINITY,
    };
    c.note(format!(
        "{} nodes, seed {}. Type `help`, or click a node or a link.",
        c.settings.nodes, c.settings.seed
    ));
    c.sync(0.0);
    CTRL.with(|cell| *cell.borrow_mut() = Some(c));
    Ok(ui)
}

/// Runs a console line; `done` gets its output once it completes.
pub fn exec(line: &str, origin: Origin, done: Option<Waiter>) -> Option<CommandId> {
    with(|c| c.exec(line, origin, done)).flatten()
}

/// Runs the line a button stands for, echoed in the console.
pub fn act(line: impl Into<String>) {
    exec(&line.into(), Origin::Ui, None);
}

/// Starts playing at `speed` (virtual ms per wall ms; infinity = as fast as possible).
pub fn play(speed: Option<f64>) {
    with(|c| {
        if let Some(s) = speed.filter(|s| *s > 0.0) {
            c.ui.speed.set(s);
        }
        c.last_ts = None;
        c.ui.playing.set(true);
    });
}

/// Pauses.
pub fn pause() {
    with(|c| c.ui.playing.set(false));
}

/// Play or pause.
pub fn toggle() {
    let playing = with(|c| c.ui.playing.get_untracked()).unwrap_or(false);
    if playing {
        pause()
    } else {
        play(None)
    }
}

/// Pauses and runs `n` events.
pub fn step(n: u64) {
    with(|c| {
        c.ui.playing.set(false);
        for _ in 0..n {
            if c.guard(|e| e.step()) {
                break;
            }
        }
        c.sync(now_wall());
    });
}

/// Runs `ms` of virtual time at once.
pub fn run_for(ms: u64) {
    with(|c| {
        let t = c.engine.now().saturating_add(ms);
        c.advance_to(t, f64::INFINITY);
        c.sync(now_wall());
    });
}

/// What `run_until` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// A new leader.
    LeaderChange,
    /// Any node's commit index rising.
    Commit,
}

/// Pauses and runs until the next leader change or commit (at most a minute of virtual time).
pub fn run_until(what: Until) {
    with(|c| {
        c.ui.playing.set(false);
        let leaders = c.engine.cluster().stats().leaders.len();
        let commit = c.engine.cluster().stats().max_commit;
        let deadline = c.engine.now() + 60_000;
        while c.engine.now() < deadline {
            let s = c.engine.cluster().stats();
            let hit = match what {
                Until::LeaderChange => s.leaders.len() != leaders,
                Until::Commit => s.max_commit != commit,
            };
            if hit || c.guard(|e| e.step()) {
                break;
            }
            if c.engine.next_time().is_none() {
                break;
            }
        }
        c.sync(now_wall());
    });
}

/// Builds a fresh cluster.
///
/// # Errors
/// A one-line message for bad settings (the old cluster keeps running).
pub fn reset(settings: Settings) -> Result<(), String> {
    with(|c| c.reset(settings)).unwrap_or_else(|| Err("the playground is busy".into()))
}

/// Sets the background client load (writes per virtual second).
pub fn set_load(per_s: f64) {
    with(|c| {
        c.ui.load.set(per_s.max(0.0));
        c.next_load_at = c.engine.now();
    });
}

/// Shows the log from index `from` (None follows the tail).
pub fn set_log_from(from: Option<u64>) {
    with(|c| {
        c.ui.log_from.set(from);
        c.shown_events = u64::MAX;
        c.last_slow = f64::NEG_INFINITY;
        c.sync(now_wall());
    });
}

/// Cancels a running console command.
pub fn cancel(cmd: CommandId) {
    with(|c| {
        c.engine.cancel(cmd);
        c.sync(now_wall());
    });
}

/// One animation frame: advance virtual time, then refresh the signals.
pub fn frame(ts: f64) {
    with(|c| c.frame(ts));
}

/// Runs `f` with the engine (read only).
pub fn with_engine<R>(f: impl FnOnce(&Engine) -> R) -> Option<R> {
    with(|c| f(&c.engine))
}

/// p95 of the last frames' work (simulation and signal updates), in ms.
pub fn frame_work_p95() -> f64 {
    with(|c| {
        let mut v: Vec<f64> = c.frame_ms.iter().copied().collect();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)]
    })
    .unwrap_or(0.0)
}

impl Controller {
    /// Whether time runs.
    pub fn playing(&self) -> bool {
        self.ui.playing.get_untracked()
    }

    /// The settings of the running cluster.
    pub fn settings(&self) -> Settings {
        self.settings.clone()
    }

    /// Speed achieved over the last second.
    pub fn perf(&self) -> Perf {
        self.ui.perf.get_untracked()
    }

    fn note(&mut self, text: String) {
        let key = self.next_key;
        self.next_key += 1;
        let time_ms = self.engine.now();
        self.ui.console.update(|v| {
            v.push(ConsoleEntry {
                key,
                cmd: None,
                line: String::new(),
                text,
                state: CommandState::Done,
                origin: Origin::System,
                time_ms,
            });
            trim(v);
        });
    }

    fn exec(&mut self, line: &str, origin: Origin, done: Option<Waiter>) -> Option<CommandId> {
        let line = line.trim();
        if line.is_empty() {
            if let Some(d) = done {
                d(String::new());
            }
            return None;
        }
        let time_ms = self.engine.now();
        let key = self.next_key;
        self.next_key += 1;
        let Some(cmd) = self.engine.exec(line) else {
            // A comment, or a line inside a multi-line txn: echoed, nothing to wait for.
            let more = self.engine.needs_more();
            self.ui.console.update(|v| {
                v.push(ConsoleEntry {
                    key,
                    cmd: None,
                    line: line.to_string(),
                    text: if more { "…".into() } else { String::new() },
                    state: CommandState::Done,
                    origin,
                    time_ms,
                });
                trim(v);
            });
            if let Some(d) = done {
                d(String::new());
            }
            self.sync(now_wall());
            return None;
        };
        let out = self.engine.output(cmd).cloned();
        let (text, state) =
            out.map_or((String::new(), CommandState::Failed), |o| (o.text, o.state));
        self.ui.console.update(|v| {
            v.push(ConsoleEntry {
                key,
                cmd: Some(cmd),
                line: line.to_string(),
                text,
                state,
                origin,
                time_ms,
            });
            trim(v);
        });
        self.running.push((key, cmd));
        if let Some(d) = done {
            self.waiters.push((cmd, d));
        }
        self.sync(now_wall());
        Some(cmd)
    }

    fn reset(&mut self, settings: Settings) -> Result<(), String> {
        let engine = Engine::new(settings.config())?;
        for (_, w) in self.waiters.drain(..) {
            w("cancelled: the cluster was reset".into());
        }
        self.engine = engine;
        SEED.with(|s| s.set(settings.seed));
        self.trace_seq = 0;
        self.carry = 0.0;
        self.last_ts = None;
        self.next_load_at = 0;
        self.running.clear();
        self.last_appended.clear();
        self.overwrites.clear();
        self.open_span = None;
        self.halted = false;
        self.shown_events = u64::MAX;
        self.ui.load.set(settings.load);
        self.timeline = Default::default();
        self.timeline_dirty = false;
        self.logs_stale = true;
        self.last_slow = f64::NEG_INFINITY;
        self.ui.timeline.set(Default::default());
        self.ui.drops.set(Vec::new());
        self.ui.selection.set(crate::model::Selection::None);
        self.ui.log_from.set(None);
        self.ui.error.set(None);
        self.settings = settings.clone();
        self.ui.settings.set(settings.clone());
        self.note(format!(
            "New cluster: {} nodes, seed {}.",
            settings.nodes, settings.seed
        ));
        self.sync(now_wall());
        Ok(())
    }

    /// Runs `f`; on an error, stops the run and shows it. Returns whether it failed.
    fn guard(&mut self, f: impl FnOnce(&mut Engine) -> Result<(), String>) -> bool {
        if self.halted {
            return true;
        }
        match f(&mut self.engine) {
            Ok(()) => false,
            Err(e) => {
                self.halted = true;
                self.ui.playing.set(false);
                self.ui.error.set(Some(format!(
                    "The run stopped at {} (seed {}): {e}",
                    sim::time::format_ms(self.engine.now()),
                    self.settings.seed
                )));
                true
            }
        }
    }

    /// Runs events up to virtual time `t` within `budget_ms` of wall time. Returns whether it
    /// got there.
    fn advance_to(&mut self, t: u64, budget_ms: f64) -> bool {
        let start = now_wall();
        let mut n = 0u32;
        let load = self.ui.load.get_untracked();
        loop {
            if self.halted {
                return false;
            }
            let next = self.engine.next_time().unwrap_or(u64::MAX);
            if load > 0.0 && self.next_load_at <= t && self.next_load_at <= next {
                let at = self.next_load_at.max(self.engine.now());
                if self.guard(|e| e.run_until(at)) {
                    return false;
                }
                self.engine.client_op(self.load_n);
                self.load_n += 1;
                self.next_load_at = at + ((1000.0 / load).round() as u64).max(1);
                continue;
            }
            if next > t {
                break;
            }
            n += 1;
            if n.is_multiple_of(32) && budget_ms.is_finite() && now_wall() - start > budget_ms {
                return false;
            }
            if self.guard(|e| e.step()) {
                return false;
            }
        }
        !self.guard(|e| e.run_until(t))
    }

    fn frame(&mut self, ts: f64) {
        let t0 = now_wall();
        let dt = self.last_ts.map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
        self.last_ts = Some(ts);
        if self.ui.playing.get_untracked() && !self.halted {
            let speed = self.ui.speed.get_untracked();
            if speed.is_infinite() {
                self.advance_to(u64::MAX - 1, FRAME_BUDGET_MS);
            } else {
                self.carry += dt * speed;
                let whole = self.carry.floor();
                self.carry -= whole;
                let target = self.engine.now() + whole as u64;
                if !self.advance_to(target, FRAME_BUDGET_MS) {
                    // Could not keep up: drop the backlog rather than spiral.
                    self.carry = 0.0;
                }
            }
        }
        self.sync(ts);
        let work = now_wall() - t0;
        self.frame_ms.push_back(work);
        if self.frame_ms.len() > 600 {
            self.frame_ms.pop_front();
        }
        let c = self.engine.cluster();
        self.perf_window.push_back((ts, c.now(), c.stats().events));
        while self
            .perf_window
            .front()
            .is_some_and(|(w, _, _)| ts - *w > 1_000.0)
        {
            self.perf_window.pop_front();
        }
        if let (Some(a), Some(b)) = (self.perf_window.front(), self.perf_window.back()) {
            let span = b.0 - a.0;
            if span > 200.0 {
                let p = Perf {
                    achieved: (b.1 - a.1) as f64 / span,
                    events_per_s: (b.2 - a.2) as f64 * 1000.0 / span,
                };
                self.ui.perf.set(p);
            }
        }
    }

    /// Reads the new trace events and refreshes every signal that changed.
    fn sync(&mut self, wall: f64) {
        self.ui.wall.set(wall);
        self.scan_trace(wall);
        let c = self.engine.cluster();
        let events = c.stats().events + c.trace().total();
        if events != self.shown_events || c.now() != self.shown_time {
            self.shown_events = events;
            self.shown_time = c.now();
            self.ui.view.set(c.view());
            self.logs_stale = true;
            let st = c.stats();
            self.ui.counters.set(crate::model::Counters {
                sent: st.sent,
                delivered: st.delivered,
                dropped: st.dropped,
                elections: st.leaders.len() as u64,
                max_commit: st.max_commit,
                ok: st.writes_ok + st.reads_ok,
                failed: st.failed,
                events: st.events,
            });
        }
        // The logs and the timeline are read, not watched: refresh them a few times a second
        // while playing (every time when paused), which keeps frames short on big clusters.
        let playing = self.ui.playing.get_untracked();
        if !playing || wall - self.last_slow >= SLOW_MS || wall < self.last_slow {
            self.last_slow = wall;
            if self.logs_stale {
                self.logs_stale = false;
                self.sync_logs(wall);
            }
            if self.timeline_dirty {
                self.timeline_dirty = false;
                self.ui.timeline.set(self.timeline.clone());
            }
            let now = self.engine.now();
            if self.ui.slow_now.get_untracked() != now {
                self.ui.slow_now.set(now);
            }
        }
        self.sync_console();
        let w = self.engine.watches();
        if self.ui.watches.with_untracked(|x| *x != w) {
            self.ui.watches.set(w);
        }
        let l = self.engine.leases();
        if self.ui.leases.with_untracked(|x| *x != l) {
            self.ui.leases.set(l);
        }
        self.ui
            .drops
            .update(|d| d.retain(|m| wall - m.wall < DROP_SHOW_MS));
        self.overwrites
            .retain(|(_, _, _, w)| wall - *w < OVERWRITE_SHOW_MS);
    }

    fn scan_trace(&mut self, wall: f64) {
        let trace = self.engine.cluster().trace();
        let fresh: Vec<&sim::TraceEvent> = trace
            .events()
            .rev()
            .take_while(|e| e.seq >= self.trace_seq)
            .collect();
        self.trace_seq = trace.total();
        if fresh.is_empty() {
            return;
        }
        let mut marks = Vec::new();
        let mut drops = Vec::new();
        let mut spans_changed = false;
        let mut closed = Vec::new();
        for e in fresh.into_iter().rev() {
            match &e.kind {
                TraceKind::Role {
                    node, role, term, ..
                } => {
                    let open = self.open_span.as_ref().map(|s| (s.node, s.term));
                    if *role == Role::Leader && open != Some((*node, *term)) {
                        if let Some(mut s) = self.open_span.take() {
                            s.end = Some(e.time_ms);
                            closed.push(s);
                        }
                        self.open_span = Some(TermSpan {
                            node: *node,
                            term: *term,
                            start: e.time_ms,
                            end: None,
                        });
                        spans_changed = true;
                    } else if *role != Role::Leader && open.map(|o| o.0) == Some(*node) {
                        if let Some(mut s) = self.open_span.take() {
                            s.end = Some(e.time_ms);
                            closed.push(s);
                        }
                        spans_changed = true;
                    }
                }
                TraceKind::Fault { what } => {
                    if what.starts_with("start ") {
                        continue;
                    }
                    if let Some(n) = what.strip_prefix("crash ") {
                        let n: u64 = n.trim().parse().unwrap_or(0);
                        if self.open_span.as_ref().map(|s| s.node) == Some(n) {
                            if let Some(mut s) = self.open_span.take() {
                                s.end = Some(e.time_ms);
                                closed.push(s);
                            }
                            spans_changed = true;
                        }
                    }
                    marks.push(Mark {
                        time_ms: e.time_ms,
                        kind: MarkKind::Fault,
                        text: what.clone(),
                    });
                }
                TraceKind::Response { id, node, outcome } => {
                    let ok = outcome.starts_with("written") || outcome.starts_with("read");
                    marks.push(Mark {
                        time_ms: e.time_ms,
                        kind: if ok { MarkKind::Ok } else { MarkKind::Failed },
                        text: format!("request {id} at node {node}: {outcome}"),
                    });
                }
                TraceKind::Drop { msg, from, to, .. } => drops.push(DropMark {
                    msg: *msg,
                    from: *from,
                    to: *to,
                    wall,
                }),
                TraceKind::Append {
                    node, first, last, ..
                } => {
                    let prev = self.last_appended.get(node).copied().unwrap_or(0);
                    if *first <= prev {
                        self.overwrites.push((*node, *first, prev, wall));
                    }
                    self.last_appended.insert(*node, *last);
                }
                TraceKind::SnapshotInstalled { node, index } => {
                    self.last_appended.insert(*node, *index);
                }
                _ => {}
            }
        }
        if spans_changed || !marks.is_empty() {
            let open = self.open_span.clone();
            let t = &mut self.timeline;
            // Replace the open span (kept last) by the closed ones and the new open one.
            if t.spans.last().is_some_and(|s| s.end.is_none()) {
                t.spans.pop();
            }
            t.spans.extend(closed);
            t.spans.extend(open);
            t.marks.extend(marks);
            if t.marks.len() > MARKS_KEEP {
                let cut = t.marks.len() - MARKS_KEEP;
                t.marks.drain(..cut);
            }
            self.timeline_dirty = true;
        }
        if !drops.is_empty() {
            self.ui.drops.update(|d| {
                d.extend(drops);
                if d.len() > 60 {
                    let cut = d.len() - 60;
                    d.drain(..cut);
                }
            });
        }
    }

    fn sync_logs(&mut self, _wall: f64) {
        let c = self.engine.cluster();
        let view = self.ui.view.read_untracked();
        let max_index = view.nodes.iter().map(|n| n.last_index).max().unwrap_or(0);
        let follow = self.ui.log_from.get_untracked();
        let from = match follow {
            Some(f) => f.min(max_index.saturating_sub(LOG_CELLS - 1)).max(1),
            None => max_index.saturating_sub(LOG_CELLS - 1).max(1),
        };
        let to = from + LOG_CELLS - 1;
        let leader = view
            .leader
            .and_then(|l| view.nodes.iter().find(|n| n.id == l));
        let rows = view
            .nodes
            .iter()
            .map(|n| LogRow {
                node: n.id,
                label: match n.status {
                    sim::NodeStatus::Up => role_label(n).to_string(),
                    s => status_label(s).to_string(),
                },
                down: n.status != sim::NodeStatus::Up,
                first_index: n.first_index,
                last_index: n.last_index,
                commit: n.commit,
                applied: n.applied,
                entries: c.log_entries(n.id, from, to),
                progress: leader.filter(|l| l.id != n.id).and_then(|l| {
                    l.progress
                        .iter()
                        .find(|p| p.id == n.id)
                        .map(|p| (p.matched, p.next))
                }),
                overwritten: self
                    .overwrites
                    .iter()
                    .filter(|(node, _, _, _)| *node == n.id)
                    .flat_map(|(_, a, b, _)| (*a).max(from)..=(*b).min(to))
                    .collect(),
            })
            .collect();
        drop(view);
        let w = LogWindow {
            from,
            to,
            max_index,
            rows,
        };
        if self.ui.logs.with_untracked(|l| *l != w) {
            self.ui.logs.set(w);
        }
    }

    fn sync_console(&mut self) {
        if self.running.is_empty() && self.waiters.is_empty() {
            return;
        }
        let mut updates = Vec::new();
        self.running
            .retain(|(key, cmd)| match self.engine.output(*cmd) {
                Some(o) => {
                    updates.push((*key, o.text.clone(), o.state));
                    o.state == CommandState::Running
                }
                None => false,
            });
        if !updates.is_empty() {
            self.ui.console.update(|v| {
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
        while i < self.waiters.len() {
            let cmd = self.waiters[i].0;
            match self.engine.output(cmd) {
                // A watch or keep-alive resolves with its output so far once it has settled.
                Some(o) if o.state == CommandState::Running && !o.settled => i += 1,
                o => {
                    let text = o.map(|o| o.text.clone()).unwrap_or_default();
                    let (_, w) = self.waiters.remove(i);
                    w(text);
                }
            }
        }
    }
}

fn trim(v: &mut Vec<ConsoleEntry>) {
    if v.len() > CONSOLE_KEEP {
        let cut = v.len() - CONSOLE_KEEP;
        v.drain(..cut);
    }
}
