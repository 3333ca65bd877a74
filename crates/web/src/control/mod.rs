//! The controller: owns the session and writes the signals the components read. The console,
//! the buttons and `window.raftlab` all call [`Control`]'s methods, so they share one code
//! path. Its parts, one job each:
//!
//! - [`clock`]: virtual time from animation frames (play, pause, speed, pace, step, run);
//! - `publish`: each frame, what the cluster looks like now ([`crate::projection`]) into the
//!   signals;
//! - [`console`]: console lines, their output, and who waits for it;
//! - [`lessons`]: the open lesson, its steps and "Show me";
//! - [`session`]: export, import, links and moves in time, replayed in slices by [`replay_run`].
//!
//! The [`Controller`] lives behind a [`Control`] handle, provided to the components by context
//! ([`use_control`]) and captured by `window.raftlab` and the frame loop.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use etcd::planted::{PlantedBug, PlantedBugs};
use leptos::prelude::*;

use crate::model::{Origin, Selection, Settings};
use crate::projection::TraceScan;
use crate::signals::Ui;
use etcd::session::{CommandState, Session};

pub mod clock;
pub mod console;
pub mod follow;
pub mod lessons;
mod publish;
pub mod replay_run;
pub mod session;

pub use clock::Until;
pub use console::Waiter;
pub use lessons::PROGRESS_KEY;
pub use replay_run::{Done, Outcome, Stop};

/// The running playground.
pub struct Controller {
    session: Session,
    ui: Ui,
    settings: Settings,
    /// Whether an invariant violation stopped the run (nothing runs until a new cluster).
    halted: bool,
    clock: clock::Clock,
    scan: TraceScan,
    shown: publish::Shown,
    console: console::Console,
    lessons: lessons::Lessons,
    /// The title of the scenario the session came from (kept when it is exported again).
    title: String,
}

/// A handle to the running playground (copied into closures; from context in components).
#[derive(Clone, Copy)]
pub struct Control(StoredValue<Rc<RefCell<Controller>>, LocalStorage>);

thread_local! {
    /// The seed of the running cluster, for the panic banner, which runs outside the reactive
    /// tree (and when the controller itself may be what broke).
    static SEED: Cell<u64> = const { Cell::new(0) };
}

/// The seed of the running cluster (for the panic banner).
pub fn current_seed() -> u64 {
    SEED.with(Cell::get)
}

/// The playground from context.
pub fn use_control() -> Control {
    expect_context::<Control>()
}

fn now_wall() -> f64 {
    crate::browser::now_ms()
}

/// Builds the first cluster and the controller around it. Returns its handle and the UI
/// signals (for context).
///
/// # Errors
/// A message for settings that do not make a cluster.
pub fn install(settings: Settings) -> Result<(Control, Ui), String> {
    let session = Session::new(settings.config(), PlantedBugs::NONE)?;
    SEED.with(|s| s.set(settings.seed));
    let ui = Ui::new(session.cluster().view(), settings.clone());
    let mut c = Controller {
        session,
        ui,
        settings,
        halted: false,
        clock: clock::Clock::default(),
        scan: TraceScan::default(),
        shown: publish::Shown::default(),
        console: console::Console::default(),
        lessons: lessons::Lessons::default(),
        title: String::new(),
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
    Ok((
        Control(StoredValue::new_local(Rc::new(RefCell::new(c)))),
        ui,
    ))
}

impl Control {
    /// Runs `f` on the controller, if it is there and not already in use.
    pub fn with<R>(self, f: impl FnOnce(&mut Controller) -> R) -> Option<R> {
        let cell = self.cell()?;
        let mut g = cell.try_borrow_mut().ok()?;
        Some(f(&mut g))
    }

    /// The controller's cell (one copy of the look-up for every caller of [`Control::with`]).
    #[inline(never)]
    fn cell(self) -> Option<Rc<RefCell<Controller>>> {
        self.0.try_get_value()
    }

    /// Runs `f` with the session (read only).
    pub fn with_session<R>(self, f: impl FnOnce(&Session) -> R) -> Option<R> {
        self.with(|c| f(&c.session))
    }

    /// Stops the running replay (an import, a link, a seek), if any: the page stays as it was
    /// before it began, and the console says so.
    pub fn stop_replay(self, why: Stop) {
        if let Some(stopped) = replay_run::stop(why) {
            self.with(|c| c.note(stopped.note.clone()));
            stopped.tell();
        }
    }

    /// Stops the running replay at the learner's request (the Cancel button).
    pub fn cancel_replay(self) {
        self.stop_replay(Stop::Cancel);
    }

    /// Builds a fresh cluster.
    ///
    /// # Errors
    /// A one-line message for bad settings (the old cluster keeps running).
    pub fn reset(self, settings: Settings) -> Result<(), String> {
        if self.following_refuses() {
            return Err("following raftlab serve".into());
        }
        self.stop_replay(Stop::Action);
        self.with(|c| c.reset(settings)).unwrap_or_else(busy)
    }

    /// Shows the log from index `from` (None follows the tail).
    pub fn set_log_from(self, from: Option<u64>) {
        self.with(|c| {
            c.ui.logs.from.set(from);
            c.shown.invalidate();
            c.sync(now_wall());
        });
    }

    /// Checks the session's client operations for linearizability, in slices (see
    /// [`crate::check_run`]); the Check panel shows the progress and then the verdict, which
    /// `done` gets too. While a check runs, `done` waits for that one.
    pub fn check(
        self,
        settings: crate::check_run::CheckSettings,
        done: Option<crate::check_run::CheckWaiter>,
    ) {
        let Err(done) = crate::check_run::join(done) else {
            return;
        };
        let Some((ui, check)) = self.with(|c| {
            (
                c.ui.panels,
                crate::checking::SessionCheck::of(&c.session, settings.max_steps),
            )
        }) else {
            return;
        };
        crate::check_run::start(ui, check, settings, done);
    }

    /// Makes the cluster deliberately broken with exactly `bugs` (the teaching menu). The
    /// service's bugs switch with a `plant` line, echoed in the console and kept in the
    /// session; switching apply-before-commit, which is fixed when a cluster is built, starts
    /// a new cluster (same settings) with `bugs` planted from the start.
    ///
    /// # Errors
    /// The line or the new cluster failed, in words.
    pub fn set_planted(self, bugs: PlantedBugs) -> Result<(), String> {
        if self.following_refuses() {
            return Err("following raftlab serve".into());
        }
        self.stop_replay(Stop::Action);
        self.with(|c| c.set_planted(bugs)).unwrap_or_else(busy)
    }

    /// Shows a short confirmation for a moment.
    pub fn toast(self, text: impl Into<String>) {
        self.with(|c| c.ui.session.toast.set(Some((text.into(), now_wall()))));
    }
}

/// The answer when the controller is in use (a call from inside one of its own callbacks).
fn busy<T>() -> Result<T, String> {
    Err("the playground is busy".into())
}

impl Controller {
    /// Whether time runs.
    pub fn playing(&self) -> bool {
        self.ui.clock.playing.get_untracked()
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
    pub fn perf(&self) -> crate::model::Perf {
        self.ui.clock.perf.get_untracked()
    }

    fn reset(&mut self, settings: Settings) -> Result<(), String> {
        let session = Session::new(settings.config(), PlantedBugs::NONE)?;
        self.close_lesson();
        self.adopt(session, settings.clone());
        self.note(format!(
            "New cluster: {} nodes, seed {}.",
            settings.nodes, settings.seed
        ));
        self.sync(now_wall());
        Ok(())
    }

    fn set_planted(&mut self, bugs: PlantedBugs) -> Result<(), String> {
        let now = self.session.planted();
        if bugs == now {
            return Ok(());
        }
        let abc = PlantedBug::ApplyBeforeCommit;
        if bugs.contains(abc) == now.contains(abc) {
            let line = format!("plant {}", bugs.switchable().names());
            let id = self.exec(&line, Origin::Ui, None);
            let failed = id
                .and_then(|id| self.session.output(id))
                .is_none_or(|o| o.state == CommandState::Failed);
            return match failed {
                true => Err(format!("`{line}` failed")),
                false => Ok(()),
            };
        }
        let settings = self.settings.clone();
        let session = Session::new(settings.config(), bugs)?;
        self.close_lesson();
        self.adopt(session, settings.clone());
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

    /// Puts `session` in place with fresh page state (the lesson stays: its caller decides).
    fn adopt(&mut self, session: Session, settings: Settings) {
        self.console
            .cancel_waiters("cancelled: the cluster was reset");
        // A check of the old session would answer for a run that is gone.
        crate::check_run::cancel();
        self.ui.panels.check.set(None);
        self.session = session;
        self.title.clear();
        self.lessons.stop_script();
        SEED.with(|s| s.set(settings.seed));
        self.clock.restart();
        self.console.forget_running();
        self.scan = TraceScan::default();
        self.halted = false;
        self.shown.invalidate();
        self.ui.clock.load.set(settings.load);
        self.ui.session.timeline.set(Default::default());
        self.ui.picture.drops.set(Vec::new());
        self.ui.picture.selection.set(Selection::None);
        self.ui.logs.from.set(None);
        self.ui.panels.error.set(None);
        self.settings = settings.clone();
        self.ui.panels.settings.set(settings);
    }

    /// Runs `f`; on an error, stops the run and shows it. Returns whether it failed.
    fn guard(&mut self, f: impl FnOnce(&mut Session) -> Result<(), String>) -> bool {
        if self.halted {
            return true;
        }
        let r = f(&mut self.session);
        self.halt_on(r)
    }

    /// Stops the run on an error and shows it; returns whether it did (not generic: one copy
    /// for every caller of [`Controller::guard`]).
    fn halt_on(&mut self, r: Result<(), String>) -> bool {
        match r {
            Ok(()) => false,
            Err(e) => {
                self.halted = true;
                self.stop_clock();
                self.ui.panels.error.set(Some(format!(
                    "The run stopped at {} (seed {}): {e}",
                    sim::time::format_ms(self.session.now()),
                    self.settings.seed
                )));
                true
            }
        }
    }
}
