//! Runs a replay (an imported file, a share link, a seek, a step back) in slices, as the Check
//! panel runs its check ([`crate::check_run`]): a few milliseconds of events, then the browser
//! gets its turn (a zero-delay timer) to render the progress bar and answer clicks and scripts,
//! and again, until the replay ends, fails, or is cancelled.
//!
//! The replay builds its own playground; the page keeps showing the session as it was, paused,
//! until the replay is done and takes its place. So Cancel (or any other action, which cancels
//! it first: the newest input wins) leaves the page exactly as it was before the replay began.

use std::cell::RefCell;

use etcd::scenario::Replay;
use leptos::prelude::*;

use crate::browser::{later, now_ms};
use crate::model::ReplayRunView;
use crate::signals::SessionUi;

/// Wall-clock milliseconds of replay per slice (then the browser renders and handles input).
pub const SLICE_MS: f64 = 10.0;
/// Events between looks at the clock, at first (adapted so a look comes every ~1 ms).
const FIRST_CHUNK: u64 = 256;

/// How an import or a move ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its result is on the page.
    Arrived,
    /// It could not be done (the first problem, in words); nothing changed.
    Failed(String),
    /// Cancelled or overtaken by another action (the console's line saying so); nothing changed.
    Stopped(String),
}

/// Who waits for an import or a move to end.
pub type Done = Box<dyn FnOnce(Outcome)>;

/// Puts a finished replay on the page (or says why it failed), given the replay, the wall
/// time it started at and how it ended; returns the outcome its waiters hear.
pub type Arrive = Box<dyn FnOnce(Box<Replay>, f64, Result<(), String>) -> Outcome>;

/// A replay to run and what it becomes.
pub struct Job {
    /// The replay.
    pub replay: Box<Replay>,
    /// What the page does with it once done.
    pub arrive: Arrive,
    /// What it does, in words, for the progress bar and the console ("loading session.txt").
    pub what: String,
}

/// A replay stopped before its end: the console's line about it, and who waited for it.
pub struct Stopped {
    /// The line for the console.
    pub note: String,
    done: Vec<Done>,
}

impl Stopped {
    /// Tells those who waited that it stopped.
    pub fn tell(self) {
        for d in self.done {
            d(Outcome::Stopped(self.note.clone()));
        }
    }
}

/// Why a replay stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The Cancel button (or `window.raftlab.cancelReplay()`).
    Cancel,
    /// Another action came first (a line, Play, a reset, another import or seek).
    Action,
}

struct Running {
    ui: SessionUi,
    job: Job,
    done: Vec<Done>,
    /// Events between looks at the clock.
    chunk: u64,
    started_ms: f64,
}

thread_local! {
    static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Starts `job` on the page of `ui` (no replay may be running: the caller stops it first);
/// `done` gets the end.
pub fn start(ui: SessionUi, job: Job, done: Option<Done>) {
    let run = Running {
        ui,
        job,
        done: done.into_iter().collect(),
        chunk: FIRST_CHUNK,
        started_ms: now_ms(),
    };
    ui.replay.set(Some(view(&run)));
    RUNNING.with(|r| *r.borrow_mut() = Some(run));
    later(tick);
}

/// Whether a replay is running.
pub fn running() -> bool {
    RUNNING.with(|r| r.borrow().is_some())
}

/// Stops the running replay, if any: the page stays as it was before it began. Returns the
/// console's line about it and its waiters, to tell once the line is shown.
pub fn stop(why: Stop) -> Option<Stopped> {
    let run = RUNNING.with(|r| r.borrow_mut().take())?;
    run.ui.replay.set(None);
    let p = run.job.replay.progress();
    let note = format!(
        "{} {} at {:.0}% ({}, {} events replayed): {}",
        match why {
            Stop::Cancel => "Cancelled",
            Stop::Action => "Stopped",
        },
        run.job.what,
        p.fraction * 100.0,
        sim::time::format_ms(p.now_ms),
        p.events,
        match why {
            Stop::Cancel => "the page is as it was before.",
            Stop::Action => "another action came first; the page is as it was before.",
        }
    );
    Some(Stopped {
        note,
        done: run.done,
    })
}

/// One slice; schedules the next one if the replay goes on.
fn tick() {
    enum After {
        Gone,
        Again(SessionUi, ReplayRunView),
        Ended(SessionUi, Box<Running>, Result<(), String>),
    }
    let after = RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let Some(run) = r.as_mut() else {
            return After::Gone;
        };
        match slice(run) {
            Ok(false) => After::Again(run.ui, view(run)),
            Ok(true) => After::Ended(run.ui, Box::new(r.take().expect("running")), Ok(())),
            Err(e) => After::Ended(run.ui, Box::new(r.take().expect("running")), Err(e)),
        }
    });
    match after {
        After::Gone => {}
        After::Again(ui, v) => {
            ui.replay.set(Some(v));
            later(tick);
        }
        After::Ended(ui, run, r) => {
            ui.replay.set(None);
            let Job { replay, arrive, .. } = run.job;
            let o = arrive(replay, run.started_ms, r);
            for d in run.done {
                d(o.clone());
            }
        }
    }
}

/// Advances the replay for one slice; whether it is done.
fn slice(run: &mut Running) -> Result<bool, String> {
    let t0 = now_ms();
    loop {
        let t = now_ms();
        if run
            .job
            .replay
            .advance(run.chunk)
            .map_err(|e| e.to_string())?
        {
            return Ok(true);
        }
        let took = now_ms() - t;
        // Look at the clock about once a millisecond.
        if took < 0.5 {
            run.chunk = (run.chunk * 2).min(1 << 20);
        } else if took > 2.0 {
            run.chunk = (run.chunk / 2).max(16);
        }
        if now_ms() - t0 >= SLICE_MS {
            return Ok(false);
        }
    }
}

fn view(run: &Running) -> ReplayRunView {
    let p = run.job.replay.progress();
    ReplayRunView {
        what: run.job.what.clone(),
        fraction: p.fraction,
        now_ms: p.now_ms,
        events: p.events,
        elapsed_ms: now_ms() - run.started_ms,
    }
}
