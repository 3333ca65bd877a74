//! Runs the Check panel's check in slices: a few milliseconds of model steps, then the browser
//! gets its turn (a zero-delay timer), and again, until the check ends, its step budget runs
//! out (Unknown) or someone cancels it. The page stays responsive and the cluster may keep
//! playing meanwhile: the check works on a copy of the session taken when it started.

use std::cell::RefCell;

use leptos::prelude::*;

use crate::browser::{later, now_ms};
use crate::checking::{CheckView, SessionCheck, STEP_BUDGET};
use crate::model::CheckRunView;
use crate::signals::PanelsUi;

/// Wall-clock milliseconds of checking per slice (then the browser renders and handles input).
pub const SLICE_MS: f64 = 8.0;
/// Model steps between looks at the clock, at first (adapted so a look comes every ~1 ms).
const FIRST_CHUNK: u64 = 1_000;

/// Who waits for the answer (`window.raftlab.check()`'s promise).
pub type CheckWaiter = Box<dyn FnOnce(CheckView)>;

/// How to run a check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckSettings {
    /// Total model steps before the answer is Unknown.
    pub max_steps: u64,
    /// Model steps per slice, for tests; `None`: slices of about [`SLICE_MS`].
    pub slice_steps: Option<u64>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            max_steps: STEP_BUDGET,
            slice_steps: None,
        }
    }
}

/// The running check.
struct Running {
    ui: PanelsUi,
    check: SessionCheck,
    waiters: Vec<CheckWaiter>,
    settings: CheckSettings,
    /// Steps between looks at the clock.
    chunk: u64,
    started_ms: f64,
    slices: u32,
    longest_slice_ms: f64,
}

thread_local! {
    static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Adds `done` to the waiters of the running check, if one runs (`Ok`); otherwise gives it
/// back (`Err`), to start a check with.
///
/// # Errors
/// No check is running.
pub fn join(done: Option<CheckWaiter>) -> Result<(), Option<CheckWaiter>> {
    RUNNING.with(|r| match r.borrow_mut().as_mut() {
        Some(run) => {
            run.waiters.extend(done);
            Ok(())
        }
        None => Err(done),
    })
}

/// Starts `check` (the session's, see [`crate::checking::SessionCheck::of`]) on the page of
/// `ui`; `done` gets the answer. A check must not be running ([`join`] first).
pub fn start(
    ui: PanelsUi,
    check: SessionCheck,
    settings: CheckSettings,
    done: Option<CheckWaiter>,
) {
    let run = Running {
        ui,
        check,
        waiters: done.into_iter().collect(),
        settings,
        chunk: FIRST_CHUNK,
        started_ms: now_ms(),
        slices: 0,
        longest_slice_ms: 0.0,
    };
    ui.check_run.set(Some(view(&run)));
    RUNNING.with(|r| *r.borrow_mut() = Some(run));
    later(tick);
}

/// Whether a check is running.
pub fn running() -> bool {
    RUNNING.with(|r| r.borrow().is_some())
}

/// Stops the running check; its waiters get a "Cancelled" answer.
pub fn cancel() {
    if let Some(run) = RUNNING.with(|r| r.borrow_mut().take()) {
        let mut v = run.check.cancel();
        v.wall_ms = now_ms() - run.started_ms;
        finish(run.ui, run.waiters, v);
    }
}

/// One slice; schedules the next one if the check goes on.
fn tick() {
    enum After {
        Gone,
        Again(PanelsUi, CheckRunView),
        Ended(PanelsUi, Vec<CheckWaiter>, Box<CheckView>),
    }
    let after = RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let Some(run) = r.as_mut() else {
            return After::Gone;
        };
        match slice(run) {
            None => After::Again(run.ui, view(run)),
            Some(mut v) => {
                let run = r.take().expect("running");
                v.wall_ms = now_ms() - run.started_ms;
                v.slices = run.slices;
                v.longest_slice_ms = run.longest_slice_ms;
                After::Ended(run.ui, run.waiters, Box::new(v))
            }
        }
    });
    match after {
        After::Gone => {}
        After::Again(ui, v) => {
            ui.check_run.set(Some(v));
            later(tick);
        }
        After::Ended(ui, waiters, v) => finish(ui, waiters, *v),
    }
}

/// Advances the check for one slice; the answer if it ended.
fn slice(run: &mut Running) -> Option<CheckView> {
    let t0 = now_ms();
    run.slices += 1;
    let answer = match run.settings.slice_steps {
        Some(n) => run.check.advance(n),
        None => loop {
            let t = now_ms();
            if let Some(v) = run.check.advance(run.chunk) {
                break Some(v);
            }
            let took = now_ms() - t;
            // Look at the clock about once a millisecond.
            if took < 0.5 {
                run.chunk = (run.chunk * 2).min(1 << 22);
            } else if took > 2.0 {
                run.chunk = (run.chunk / 2).max(16);
            }
            if now_ms() - t0 >= SLICE_MS {
                break None;
            }
        },
    };
    run.longest_slice_ms = run.longest_slice_ms.max(now_ms() - t0);
    answer
}

fn view(run: &Running) -> CheckRunView {
    CheckRunView {
        progress: run.check.progress(),
        elapsed_ms: now_ms() - run.started_ms,
    }
}

fn finish(ui: PanelsUi, waiters: Vec<CheckWaiter>, v: CheckView) {
    ui.check_run.set(None);
    ui.check.set(Some(v.clone()));
    for w in waiters {
        w(v.clone());
    }
}
