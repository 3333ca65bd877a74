//! The controller: owns the engine, advances virtual time from animation frames, and writes the
//! signals the components read. The console, the buttons and `window.raftlab` all call these
//! functions, so they share one code path.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use etcd::planted::{PlantedBug, PlantedBugs};
use etcd::scenario::{builtin, Scenario};
use leptos::prelude::*;
use sim::id_map::IdMap;
use sim::{Role, TraceKind};

use crate::browser;
use crate::engine::{CommandId, CommandState, Engine};
use crate::lesson::{Progress, StepPace};
use crate::model::{
    role_label, status_label, ConsoleEntry, DropMark, LessonStep, LessonView, LogRow, LogWindow,
    Mark, MarkKind, Origin, Perf, Settings, TermSpan, Ui,
};
use crate::pace::{self, Flight, Plan};

mod replay_run;
mod session;

pub use replay_run::{running as replaying, Stop};
pub use session::{
    export_name, export_text, fork, import, load, open_fragment, seek, share_fragment, step_back,
    Done, Outcome,
};

/// Stops the running replay (an import, a link, a seek): the page stays as it was before it
/// began, and the console says so.
pub fn cancel_replay() {
    replay_run::stop(Stop::Cancel);
}

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
    last_appended: IdMap<u64>,
    overwrites: Vec<(u64, u64, u64, f64)>,
    open_span: Option<TermSpan>,
    halted: bool,
    perf_window: VecDeque<(f64, u64, u64)>,
    /// Work of the last frames, in whole microseconds.
    frame_us: VecDeque<u64>,
    shown_events: u64,
    shown_time: u64,
    timeline: crate::model::Timeline,
    timeline_dirty: bool,
    logs_stale: bool,
    last_slow: f64,
    lesson: Option<Lesson>,
    script: VecDeque<ScriptLine>,
    script_wait: Option<CommandId>,
    /// The title of the scenario the session came from (kept when it is exported again).
    title: String,
    /// The messages that matter in flight (what the follow pace waits for).
    flights: Vec<Flight>,
    /// Wall ms of the last frame the pace slowed the clock in.
    slowed_at: f64,
}

/// The open lesson: its scenario, the step on screen and that step's starting point.
struct Lesson {
    name: String,
    /// The fragment of a link that opens this lesson (`lesson=NAME` or `s=...`).
    link: String,
    scenario: Scenario,
    current: usize,
    /// Leader and term when the step opened (for `leader-change`).
    start: (Option<u64>, u64),
    /// Output mark when the step opened (for `output TEXT`).
    printed_from: usize,
    done: Vec<bool>,
    /// What held when the step opened, and whether the clock has stopped for it once.
    pace: StepPace,
    /// Leader and term at the moment the current step was done: where the next step starts
    /// from, even if the learner played on before pressing Next.
    moment: Option<(Option<u64>, u64)>,
}

/// Where the browser keeps which lesson steps the learner has done.
pub const PROGRESS_KEY: &str = "raftlab.lessons";

/// The most virtual time one line of "Show me" may take when Next finishes the step's lines.
const FINISH_LINE_LIMIT_MS: u64 = 60_000;

/// A line "Show me" will run: untimed lines wait for the previous one to settle, timed ones
/// for their virtual time.
struct ScriptLine {
    text: String,
    at_ms: Option<u64>,
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
    crate::browser::now_ms()
}

/// Builds the first cluster and installs the controller. Returns the UI signals.
///
/// # Errors
/// A message for settings that do not make a cluster.
pub fn install(settings: Settings) -> Result<Ui, String> {
    let engine = Engine::new(settings.config(), PlantedBugs::NONE)?;
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
        last_appended: IdMap::new(),
        overwrites: Vec::new(),
        open_span: None,
        halted: false,
        perf_window: VecDeque::new(),
        frame_us: VecDeque::new(),
        shown_events: u64::MAX,
        shown_time: u64::MAX,
        timeline: Default::default(),
        timeline_dirty: false,
        logs_stale: true,
        last_slow: f64::NEG_INFINITY,
        lesson: None,
        script: VecDeque::new(),
        script_wait: None,
        title: String::new(),
        flights: Vec::new(),
        slowed_at: f64::NEG_INFINITY,
    };
    // A page opened from a link greets with the link's own run once it is loaded, not with the
    // default cluster it replaces.
    if crate::browser::fragment().is_empty() {
        c.note(format!(
            "{} nodes, seed {}. Type `help`, or click a node or a link.",
            c.settings.nodes, c.settings.seed
        ));
    }
    c.sync(0.0);
    CTRL.with(|cell| *cell.borrow_mut() = Some(c));
    Ok(ui)
}

/// Runs a console line; `done` gets its output once it completes. A replay running (an import,
/// a link, a seek) stops first: the newest input wins.
pub fn exec(line: &str, origin: Origin, done: Option<Waiter>) -> Option<CommandId> {
    replay_run::stop(Stop::Action);
    with(|c| c.exec(line, origin, done)).flatten()
}

/// Runs the clock until command `cmd` completes or settles, for at most `limit_ms` of virtual
/// time, as `raftlab repl` does with each line (`window.raftlab.execUntilDone`); a paused page
/// stays paused. Returns whether it completed or settled.
pub fn settle(cmd: CommandId, limit_ms: u64) -> bool {
    with(|c| {
        c.carry = 0.0;
        let r = c.engine.run_until_settled(cmd, limit_ms);
        let settled = r.as_ref().is_ok_and(|s| *s);
        if !c.halt_on(r.map(|_| ())) {
            c.sync(now_wall());
        }
        settled
    })
    .unwrap_or(false)
}

/// Takes back the waiter `exec` was given for command `cmd` (the line goes on), if one waits.
pub fn forget_waiter(cmd: CommandId) -> Option<Waiter> {
    with(|c| {
        let i = c.waiters.iter().position(|(id, _)| *id == cmd)?;
        Some(c.waiters.remove(i).1)
    })
    .flatten()
}

/// Runs the line a button stands for, echoed in the console.
pub fn act(line: impl Into<String>) {
    exec(&line.into(), Origin::Ui, None);
}

/// Starts playing at `speed` (virtual ms per wall ms; infinity = as fast as possible).
pub fn play(speed: Option<f64>) {
    replay_run::stop(Stop::Action);
    with(|c| {
        if let Some(s) = speed.filter(|s| *s > 0.0) {
            c.ui.speed.set(s);
        }
        c.last_ts = None;
        c.ui.playing.set(true);
    });
}

/// Sets how virtual time runs on screen (see [`crate::pace`]).
pub fn set_pace(p: pace::Pace) {
    with(|c| c.ui.pace.set(p));
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
    replay_run::stop(Stop::Action);
    with(|c| {
        c.ui.playing.set(false);
        c.carry = 0.0;
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
    replay_run::stop(Stop::Action);
    with(|c| {
        c.carry = 0.0;
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
    replay_run::stop(Stop::Action);
    with(|c| {
        c.ui.playing.set(false);
        c.carry = 0.0;
        let leaders = c.engine.cluster().stats().leaders.len();
        let commit = c.engine.cluster().stats().max_commit;
        let start = c.engine.now();
        let deadline = start + 60_000;
        let mut hit = false;
        while c.engine.now() < deadline {
            let s = c.engine.cluster().stats();
            hit = match what {
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
        if !hit && !c.halted {
            // Say so, and why, rather than leave a minute of virtual time unexplained.
            let ran = sim::time::format_ms(c.engine.now() - start);
            let leader = c.engine.cluster().leader();
            let load = c.ui.load.get_untracked() > 0.0;
            let why = match (what, leader) {
                (Until::LeaderChange, Some(l)) => format!(
                    "node {l} is a healthy leader: its heartbeats reach a majority, so no follower's election timer fires. Crash or isolate it to see one"
                ),
                (Until::LeaderChange, None) => "no node can win a majority of votes (is every group of the partition smaller than a majority?)".to_string(),
                (Until::Commit, None) => "there is no leader, and only a leader commits (a majority must elect one first)".to_string(),
                (Until::Commit, Some(_)) if !load => "nothing was written: type a put, or turn on the background load".to_string(),
                (Until::Commit, Some(l)) => format!(
                    "node {l} leads but cannot reach a majority to commit what is written"
                ),
            };
            let what = match what {
                Until::LeaderChange => "leader change",
                Until::Commit => "commit",
            };
            c.note(format!("No {what} in {ran} of virtual time: {why}."));
        }
        c.sync(now_wall());
    });
}

/// Builds a fresh cluster.
///
/// # Errors
/// A one-line message for bad settings (the old cluster keeps running).
pub fn reset(settings: Settings) -> Result<(), String> {
    replay_run::stop(Stop::Action);
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

/// Cancels a running console command: the line `cancel ID`, echoed and kept in the session.
pub fn cancel(cmd: CommandId) {
    act(format!("cancel {cmd}"));
}

/// Checks the session's client operations for linearizability, in slices (see
/// [`crate::check_run`]); the Check panel shows the progress and then the verdict, which
/// `done` gets too.
pub fn check(
    settings: crate::check_run::CheckSettings,
    done: Option<crate::check_run::CheckWaiter>,
) {
    crate::check_run::start(settings, done);
}

/// Makes the cluster deliberately broken with exactly `bugs` (the teaching menu). The service's
/// bugs switch with a `plant` line, echoed in the console and kept in the session; switching
/// apply-before-commit, which is fixed when a cluster is built, starts a new cluster (same
/// settings) with `bugs` planted from the start.
///
/// # Errors
/// The line or the new cluster failed, in words.
pub fn set_planted(bugs: PlantedBugs) -> Result<(), String> {
    replay_run::stop(Stop::Action);
    with(|c| c.set_planted(bugs)).unwrap_or_else(|| Err("the playground is busy".into()))
}

/// Opens a lesson (built-in name) at its first step, on a fresh cluster of its own.
///
/// # Errors
/// An unknown name.
pub fn open_lesson(name: &str) -> Result<(), String> {
    replay_run::stop(Stop::Action);
    let text = builtin::get(name).ok_or_else(|| format!("there is no lesson {name:?}"))?;
    let s = Engine::parse(text)?;
    with(|c| {
        c.open_lesson(name, s)?;
        if let Some(l) = c.lesson.as_mut() {
            l.link = format!("lesson={name}");
        }
        Ok(())
    })
    .unwrap_or_else(|| Err("the playground is busy".into()))
}

/// The fragment of a link that opens the open lesson at its start, if one is open.
pub fn lesson_link() -> Option<String> {
    with(|c| c.lesson.as_ref().map(|l| l.link.clone()))
        .flatten()
        .filter(|l| !l.is_empty())
}

/// Closes the lesson panel (the cluster goes on).
pub fn close_lesson() {
    with(|c| {
        c.lesson = None;
        c.script.clear();
        c.script_wait = None;
        c.ui.lesson.set(None);
    });
}

/// Opens step `i` of the lesson (its expectations count from now).
pub fn lesson_go(i: usize) {
    with(|c| c.lesson_go(i));
}

/// Runs the scripted lines of the lesson's current step, and plays.
pub fn show_me() {
    replay_run::stop(Stop::Action);
    with(|c| c.show_me());
}

/// Opens the lesson again from its start, on a fresh cluster.
pub fn restart_lesson() {
    replay_run::stop(Stop::Action);
    let l = with(|c| {
        c.lesson
            .as_ref()
            .map(|l| (l.name.clone(), l.link.clone(), l.scenario.clone()))
    })
    .flatten();
    if let Some((name, link, s)) = l {
        let _ = with(|c| {
            c.open_lesson(&name, s)?;
            if let Some(l) = c.lesson.as_mut() {
                l.link = link;
            }
            Ok::<(), String>(())
        });
    }
}

/// Shows a short confirmation for a moment.
pub fn toast(text: impl Into<String>) {
    with(|c| c.ui.toast.set(Some((text.into(), now_wall()))));
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
        // Whole microseconds: a sort of plain `u64`s, which the bundle has anyway.
        let mut v: Vec<u64> = c.frame_us.iter().copied().collect();
        if v.is_empty() {
            return 0.0;
        }
        v.sort();
        v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)] as f64 / 1000.0
    })
    .unwrap_or(0.0)
}

impl Controller {
    /// Whether time runs.
    pub fn playing(&self) -> bool {
        self.ui.playing.get_untracked()
    }

    /// The page's signals (for callbacks that run outside the component tree).
    pub fn ui(&self) -> Ui {
        self.ui
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
        // A blank line ends a section of an unfinished txn; elsewhere it does nothing.
        if line.is_empty() && !self.engine.needs_more() {
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
        let engine = Engine::new(settings.config(), PlantedBugs::NONE)?;
        self.lesson = None;
        self.ui.lesson.set(None);
        self.adopt(engine, settings.clone());
        self.note(format!(
            "New cluster: {} nodes, seed {}.",
            settings.nodes, settings.seed
        ));
        self.sync(now_wall());
        Ok(())
    }

    fn set_planted(&mut self, bugs: PlantedBugs) -> Result<(), String> {
        let now = self.engine.planted();
        if bugs == now {
            return Ok(());
        }
        let abc = PlantedBug::ApplyBeforeCommit;
        if bugs.contains(abc) == now.contains(abc) {
            let line = format!("plant {}", bugs.switchable().names());
            let id = self.exec(&line, Origin::Ui, None);
            let failed = id
                .and_then(|id| self.engine.output(id))
                .is_none_or(|o| o.state == CommandState::Failed);
            return match failed {
                true => Err(format!("`{line}` failed")),
                false => Ok(()),
            };
        }
        let settings = self.settings.clone();
        let engine = Engine::new(settings.config(), bugs)?;
        self.lesson = None;
        self.ui.lesson.set(None);
        self.adopt(engine, settings.clone());
        self.note(format!(
            "New cluster: {} nodes, seed {}, {}.",
            settings.nodes,
            settings.seed,
            match bugs.is_empty() {
                true => "healthy again".to_string(),
                false => format!("deliberately broken ({})", bugs.names()),
            }
        ));
        self.sync(now_wall());
        Ok(())
    }

    fn open_lesson(&mut self, name: &str, s: Scenario) -> Result<(), String> {
        let engine = Engine::new(s.config.clone(), s.planted)?;
        let mut settings = Settings::from_config(&s.config);
        settings.load = 0.0;
        self.adopt(engine, settings);
        self.ui.playing.set(false);
        self.note(format!(
            "Lesson: {} ({} nodes, seed {}). The clock is paused: read the step, then act (console, clicks, Play) or press \"Show me\". The clock stops by itself when the step is done.",
            s.title, s.config.nodes, s.config.seed
        ));
        let n = s.steps.len();
        let mut done = vec![false; n];
        if let Some(kept) = Progress::parse(&browser::stored(PROGRESS_KEY).unwrap_or_default())
            .steps(name)
            .filter(|k| k.len() == n)
        {
            done.copy_from_slice(kept);
        }
        self.lesson = Some(Lesson {
            name: name.to_string(),
            link: String::new(),
            scenario: s,
            current: 0,
            start: self.engine.leader_term(),
            printed_from: self.engine.printed(),
            done,
            pace: StepPace::default(),
            moment: None,
        });
        self.open_step();
        self.refresh_lesson(true);
        self.sync(now_wall());
        Ok(())
    }

    fn lesson_go(&mut self, i: usize) {
        let Some(l) = self.lesson.as_ref() else {
            return;
        };
        if i >= l.scenario.steps.len() || i == l.current {
            return;
        }
        // Leaving while "Show me" runs: its remaining lines run first, so the next step starts
        // from what this one promised (a later step may count on them).
        let finished = self.finish_script();
        if !finished.is_empty() {
            let n = self.lesson.as_ref().map_or(0, |l| l.current + 1);
            self.note(format!(
                "Ran the rest of step {n}'s lines first: {}.",
                finished.join(" · ")
            ));
        }
        // A step opens paused: nothing it asks for happens before the learner acts.
        self.ui.playing.set(false);
        let now = self.engine.leader_term();
        let printed = self.engine.printed();
        let Some(l) = self.lesson.as_mut() else {
            return;
        };
        // The next step goes on from the moment this one was done (a leader change that came
        // while the learner played on still counts for it); any other jump starts from now.
        let moment = l.moment.take();
        let start = if i == l.current + 1 {
            moment.unwrap_or(now)
        } else {
            now
        };
        l.current = i;
        l.start = start;
        l.printed_from = printed;
        self.open_step();
        self.sync(now_wall());
    }

    /// Takes what the current step's expectations are as it opens, and shows it.
    fn open_step(&mut self) {
        let now = self.engine.now();
        let lines = self.engine.lines().len();
        let Some(l) = self.lesson.as_ref() else {
            return;
        };
        let output = self.engine.printed_since(l.printed_from);
        let holds: Vec<bool> = l.scenario.steps[l.current]
            .expects
            .iter()
            .map(|(_, e)| self.engine.holds(e, l.start, &output))
            .collect();
        if let Some(l) = self.lesson.as_mut() {
            l.pace = StepPace::open(holds, now, lines);
        }
        self.refresh_lesson(true);
    }

    /// Runs what is left of "Show me" at once (each line after the previous one settles, at
    /// most a minute of virtual time each). Returns the lines it ran.
    fn finish_script(&mut self) -> Vec<String> {
        let mut ran = Vec::new();
        loop {
            if let Some(id) = self.script_wait.take() {
                let r = self
                    .engine
                    .run_until_settled(id, FINISH_LINE_LIMIT_MS)
                    .map(|_| ());
                if self.halt_on(r) {
                    self.script.clear();
                    break;
                }
            }
            let Some(line) = self.script.pop_front() else {
                break;
            };
            if let Some(at) = line.at_ms.filter(|at| *at > self.engine.now()) {
                let r = self.engine.run_until(at);
                if self.halt_on(r) {
                    self.script.clear();
                    break;
                }
            }
            let id = self.exec(&line.text, Origin::Lesson, None);
            if line.at_ms.is_none() {
                self.script_wait = id;
            }
            ran.push(line.text);
        }
        ran
    }

    fn show_me(&mut self) {
        let Some(l) = self.lesson.as_ref() else {
            return;
        };
        self.script = l.scenario.steps[l.current]
            .lines
            .iter()
            .map(|x| ScriptLine {
                text: x.text.clone(),
                at_ms: x.at_ms,
            })
            .collect();
        self.script_wait = None;
        self.feed_script();
        if !self.ui.playing.get_untracked() {
            self.last_ts = None;
            self.ui.playing.set(true);
        }
        self.refresh_lesson(true);
        self.sync(now_wall());
    }

    /// Starts the "Show me" lines that are due. Returns the virtual time the next one waits
    /// for, if it waits for a time.
    fn feed_script(&mut self) -> Option<u64> {
        loop {
            if let Some(id) = self.script_wait {
                let busy = self
                    .engine
                    .output(id)
                    .is_some_and(|o| o.state == CommandState::Running && !o.settled);
                if busy {
                    return None;
                }
                self.script_wait = None;
            }
            let front = self.script.front()?;
            if let Some(at) = front.at_ms.filter(|at| *at > self.engine.now()) {
                return Some(at);
            }
            let line = self.script.pop_front().expect("a line");
            let id = self.exec(&line.text, Origin::Lesson, None);
            if line.at_ms.is_none() {
                self.script_wait = id;
            }
        }
    }

    /// Re-checks the lesson's expectations and refreshes its panel (`force`: also when nothing
    /// changed).
    fn refresh_lesson(&mut self, force: bool) {
        let Some(l) = self.lesson.as_ref() else {
            return;
        };
        let output = self.engine.printed_since(l.printed_from);
        let showing = !self.script.is_empty() || self.script_wait.is_some();
        let holds: Vec<bool> = l.scenario.steps[l.current]
            .expects
            .iter()
            .map(|(_, e)| self.engine.holds(e, l.start, &output))
            .collect();
        let acted = l.pace.acted(self.engine.now(), self.engine.lines().len());
        let ticks = l.pace.ticks(&holds, acted);
        let waiting = !acted && holds.iter().any(|h| *h);
        // The first time the step is done while the clock runs, the clock stops there.
        let playing = self.ui.playing.get_untracked();
        let Some(l) = self.lesson.as_mut() else {
            return;
        };
        if l.pace.complete_now(&ticks) {
            l.done[l.current] = true;
            l.moment = Some(self.engine.leader_term());
            let mut progress = Progress::parse(&browser::stored(PROGRESS_KEY).unwrap_or_default());
            progress.mark(&l.name, l.current, l.done.len());
            browser::store(PROGRESS_KEY, &progress.to_text());
            let (n, last) = (l.current + 1, l.current + 1 == l.done.len());
            let stop = playing && l.pace.stops_the_clock();
            if stop {
                self.ui.playing.set(false);
            }
            self.note(match (last, stop) {
                (true, _) => format!("✓ Step {n} done: that was the last step."),
                (false, true) => format!(
                    "✓ Step {n} done: the clock stopped at this moment. Press Next when you are ready."
                ),
                (false, false) => format!("✓ Step {n} done. Press Next when you are ready."),
            });
        }
        let Some(l) = self.lesson.as_ref() else {
            return;
        };
        let steps: Vec<LessonStep> = l
            .scenario
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| LessonStep {
                title: st.title.clone(),
                narration: st.narration.clone(),
                expects: st
                    .expects
                    .iter()
                    .enumerate()
                    .map(|(j, (_, e))| {
                        let met = i == l.current && ticks.get(j).copied().unwrap_or(false);
                        (e.to_string(), met)
                    })
                    .collect(),
                lines: st.lines.iter().map(|x| x.text.clone()).collect(),
                done: l.done[i],
            })
            .collect();
        let view = LessonView {
            name: l.name.clone(),
            title: l.scenario.title.clone(),
            steps,
            current: l.current,
            showing,
            waiting,
            next: crate::lesson::next_builtin(&l.name).map(|(n, t)| (n.to_string(), t)),
        };
        if force || self.ui.lesson.with_untracked(|v| v.as_ref() != Some(&view)) {
            self.ui.lesson.set(Some(view));
        }
    }

    /// Puts `engine` in place with fresh page state.
    fn adopt(&mut self, engine: Engine, settings: Settings) {
        for (_, w) in self.waiters.drain(..) {
            w("cancelled: the cluster was reset".into());
        }
        // A check of the old session would answer for a run that is gone.
        crate::check_run::cancel();
        self.ui.check.set(None);
        self.engine = engine;
        self.title.clear();
        self.script.clear();
        self.script_wait = None;
        SEED.with(|s| s.set(settings.seed));
        self.trace_seq = 0;
        self.carry = 0.0;
        self.last_ts = None;
        self.next_load_at = 0;
        self.running.clear();
        self.last_appended = IdMap::new();
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
        self.ui.settings.set(settings);
    }

    /// Runs `f`; on an error, stops the run and shows it. Returns whether it failed.
    fn guard(&mut self, f: impl FnOnce(&mut Engine) -> Result<(), String>) -> bool {
        if self.halted {
            return true;
        }
        let r = f(&mut self.engine);
        self.halt_on(r)
    }

    /// Stops the run on an error and shows it; returns whether it did (not generic: one copy
    /// for every caller of [`Controller::guard`]).
    fn halt_on(&mut self, r: Result<(), String>) -> bool {
        match r {
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
            if !self.script.is_empty() || self.script_wait.is_some() {
                if let Some(at) = self.feed_script().filter(|at| *at <= t && *at <= next) {
                    if self.guard(|e| e.run_until(at)) {
                        return false;
                    }
                    continue;
                }
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
            } else if pace::slows(self.ui.pace.get_untracked(), speed) {
                self.paced(dt, speed, t0, ts);
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
        self.frame_us.push_back((work * 1000.0).round() as u64);
        if self.frame_us.len() > 600 {
            self.frame_us.pop_front();
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

    /// One frame at the follow pace: `dt` wall ms, split between runs up to what is due and
    /// glides in between, each at the rate the messages in flight allow (see [`crate::pace`]).
    fn paced(&mut self, dt: f64, speed: f64, t0: f64, ts: f64) {
        let pace = self.ui.pace.get_untracked();
        let mut left = dt;
        let mut slowed = false;
        // Bounded: each round runs what is due at one virtual instant, or ends the frame.
        for _ in 0..100_000 {
            if self.halted {
                break;
            }
            let now = self.engine.now();
            // A line just given (a put, a fault) does its work when time is run, without an
            // event of its own to stop at: run it at this instant first, so that what it sends
            // is seen before time moves, and then move at most a virtual millisecond at a time.
            if self.guard(|e| e.run_until(now)) {
                break;
            }
            let next = Some(self.next_due().map_or(now + 1, |n| n.min(now + 1)));
            self.track_flights();
            let t = now as f64 + self.carry;
            let rate = pace::rate(pace, speed, &self.flights, t);
            slowed |= rate < speed;
            match pace::plan(rate, t, left, next) {
                Plan::RunTo { at, wall } => {
                    left -= wall;
                    self.carry = 0.0;
                    if !self.advance_to(at, FRAME_BUDGET_MS) || now_wall() - t0 > FRAME_BUDGET_MS {
                        break;
                    }
                }
                Plan::Glide { to } => {
                    let whole = to.floor().max(now as f64);
                    if whole as u64 > now {
                        self.advance_to(whole as u64, FRAME_BUDGET_MS);
                    }
                    self.carry = (to - whole).clamp(0.0, 0.999_999);
                    break;
                }
            }
        }
        if slowed {
            self.slowed_at = ts;
        }
    }

    /// The virtual time of the next thing due: an event, a "Show me" line, the background load
    /// (lines of the lesson that are due now are started here).
    fn next_due(&mut self) -> Option<u64> {
        let mut next = self.engine.next_time();
        let min = |a: Option<u64>, b: u64| Some(a.map_or(b, |a| a.min(b)));
        if !self.script.is_empty() || self.script_wait.is_some() {
            if let Some(at) = self.feed_script() {
                next = min(next, at);
            }
        }
        if self.ui.load.get_untracked() > 0.0 {
            next = min(next, self.next_load_at.max(self.engine.now()));
        }
        next
    }

    /// Reads the messages the follow pace waits for from the network (only at the follow pace
    /// and 1x or slower, where a frame runs few events): those on their way to be delivered
    /// (not those on a cut link, which will be lost), each on screen since it was first seen.
    fn track_flights(&mut self) {
        let t = self.engine.now() as f64 + self.carry;
        let cut: Vec<(u64, u64)> = self.ui.view.with_untracked(|v| {
            v.links
                .iter()
                .filter(|l| l.mode == sim::network::LinkMode::Cut)
                .map(|l| (l.from, l.to))
                .collect()
        });
        let before = std::mem::take(&mut self.flights);
        self.flights = self
            .engine
            .cluster()
            .in_flight()
            .into_iter()
            .filter(|m| pace::matters(m.summary.kind) && !cut.contains(&(m.from, m.to)))
            .filter_map(|m| {
                let d = m.deliver_at?;
                let seen = before
                    .iter()
                    .find(|f| f.id == m.id)
                    .map_or(t.max(m.sent_at as f64), |f| f.seen);
                Some(Flight {
                    id: m.id,
                    sent: m.sent_at,
                    deliver: d,
                    seen,
                })
            })
            .collect();
    }

    /// Reads the new trace events and refreshes every signal that changed.
    fn sync(&mut self, wall: f64) {
        self.ui.wall.set(wall);
        let clock = self.engine.now() as f64 + self.carry;
        if self.ui.clock.get_untracked() != clock {
            self.ui.clock.set(clock);
        }
        let slowed = self.ui.playing.get_untracked() && wall - self.slowed_at < 1_000.0;
        if self.ui.slowed.get_untracked() != slowed {
            self.ui.slowed.set(slowed);
        }
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
        // Fast runs change the logs every frame: refresh them half as often there.
        let every = match self.ui.speed.get_untracked() > 4.0 {
            true => 2.0 * SLOW_MS,
            false => SLOW_MS,
        };
        if !playing || wall - self.last_slow >= every || wall < self.last_slow {
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
        // Every frame while a lesson is open: the clock stops in the frame its step is done.
        self.refresh_lesson(false);
        let session = self.engine.session();
        if self.ui.session.get_untracked() != session {
            self.ui.session.set(session);
        }
        if self
            .ui
            .toast
            .with_untracked(|t| t.as_ref().is_some_and(|(_, at)| wall - at > 2_500.0))
        {
            self.ui.toast.set(None);
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
        let planted = self.engine.planted();
        if self.ui.planted.get_untracked() != planted {
            self.ui.planted.set(planted);
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
