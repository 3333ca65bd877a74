//! The session as a whole: its export (a scenario file, a share link), an import (a file, a
//! link, a script's text) and moves in its time (seek, step back, fork). Anything that replays
//! from the start runs in slices ([`super::replay_run`]) with a progress bar and Cancel, so no
//! input freezes the tab; the page shows the session as it was until the replay is done.

use etcd::scenario::{Replay, Scenario};
use leptos::prelude::*;

use super::replay_run::{self, Done, Job, Outcome, Stop};
use super::{busy, now_wall, Control, Controller};
use crate::model::Settings;
use etcd::session::{Move, Session};

fn tell(done: Option<Done>, o: Outcome) {
    if let Some(d) = done {
        d(o);
    }
}

/// What a finished replay becomes.
enum Arrival {
    /// The imported scenario's run replaces the session.
    Import(Box<Scenario>),
    /// The session moves to the point replayed; `from` is the virtual time it left.
    Move {
        /// Virtual ms before the move.
        from: u64,
    },
}

impl Control {
    /// The session as scenario text (the whole session, also while looking at the past).
    pub fn export_text(self) -> String {
        self.with(|c| {
            let title = match c.lessons.title() {
                Some(t) => format!("{t} (session)"),
                None if !c.title.is_empty() => c.title.clone(),
                None => format!("raftlab session, seed {}", c.settings.seed),
            };
            c.session.export(&title)
        })
        .unwrap_or_default()
    }

    /// A file name for the exported session.
    pub fn export_name(self) -> String {
        self.with(|c| {
            let t = c.session.point().end_ms / 1000;
            format!(
                "raftlab-{}n-seed{}-{}m{:02}s.txt",
                c.settings.nodes,
                c.settings.seed,
                t / 60,
                t % 60
            )
        })
        .unwrap_or_else(|| "raftlab-session.txt".into())
    }

    /// The fragment of a share link for the session (`s=...`).
    ///
    /// # Errors
    /// The session is too long for a link.
    pub fn share_fragment(self) -> Result<String, String> {
        let f = etcd::scenario::share::encode(&self.export_text());
        if f.len() > etcd::scenario::share::MAX_FRAGMENT {
            return Err(format!(
                "this session is too long for a link ({} KiB); use Export instead",
                f.len() / 1024
            ));
        }
        Ok(f)
    }

    /// Loads a scenario and replays it to its end in slices (the same run, the same trace hash
    /// as natively); `done` hears how it ended. A file that does not parse changes nothing.
    pub fn import(self, text: &str, done: Option<Done>) {
        match Session::parse(text) {
            Ok(s) => self.start_import(s, "importing a scenario".into(), done),
            Err(e) => tell(done, Outcome::Failed(e)),
        }
    }

    /// Loads a file or a script's text named `name`: a lesson opens at its first step,
    /// anything else replays to its end in slices; `done` hears how it ended.
    pub fn load(self, text: &str, name: &str, done: Option<Done>) {
        self.load_as(text, name, format!("loading {name}"), done);
    }

    fn load_as(self, text: &str, name: &str, what: String, done: Option<Done>) {
        let s = match Session::parse(text) {
            Ok(s) => s,
            Err(e) => return tell(done, Outcome::Failed(e)),
        };
        if !s.lesson {
            return self.start_import(s, what, done);
        }
        self.stop_replay(Stop::Action);
        let link = etcd::scenario::share::encode(text);
        let opened = self
            .with(|c| c.open_lesson(name, s, link))
            .unwrap_or_else(busy);
        tell(
            done,
            match opened {
                Ok(()) => Outcome::Arrived,
                Err(e) => Outcome::Failed(e),
            },
        );
    }

    fn start_import(self, s: Scenario, what: String, done: Option<Done>) {
        if self.following_refuses() {
            return tell(done, Outcome::Failed("following raftlab serve".into()));
        }
        match Session::start_import(&s) {
            Ok(replay) => self.start_replay(replay, Arrival::Import(Box::new(s)), what, done),
            Err(e) => tell(done, Outcome::Failed(e)),
        }
    }

    /// Starts replaying `replay` in slices (a running replay stops first: the newest input
    /// wins); once done it becomes `arrival`, and `done` hears how it ended.
    fn start_replay(self, replay: Box<Replay>, arrival: Arrival, what: String, done: Option<Done>) {
        self.stop_replay(Stop::Action);
        // Time stands still on the page while the replay runs: what it shows is kept as it is.
        let Some(ui) = self.with(|c| {
            c.stop_clock();
            c.ui.session
        }) else {
            return tell(done, Outcome::Failed("the playground is busy".into()));
        };
        let arrive = Box::new(move |replay, started, r| self.arrived(replay, arrival, started, r));
        replay_run::start(
            ui,
            Job {
                replay,
                arrive,
                what,
            },
            done,
        );
    }

    /// Opens a link's fragment: `#s=...` (a scenario or lesson) or `#lesson=NAME`; `done`
    /// hears how it ended. On a bad link the cluster stays as it is.
    pub fn open_fragment(self, fragment: &str, done: Option<Done>) {
        let f = fragment.trim().trim_start_matches('#');
        if let Some(name) = f.strip_prefix("lesson=") {
            let r = self.open_lesson(name);
            return tell(
                done,
                match r {
                    Ok(()) => Outcome::Arrived,
                    Err(e) => Outcome::Failed(e),
                },
            );
        }
        match etcd::scenario::share::decode(f) {
            Ok(text) => self.load_as(&text, "shared lesson", "opening the link".into(), done),
            Err(e) => tell(done, Outcome::Failed(e)),
        }
    }

    /// Jumps to virtual time `t` of the session (replayed from the start, in slices); the later
    /// part is kept until the next action. `done` hears how it ended.
    pub fn seek(self, t: u64, done: Option<Done>) {
        let what = match t {
            u64::MAX => "moving back to the end".to_string(),
            t => format!("moving to {}", sim::time::format_ms(t)),
        };
        let plan = self.with(|c| c.session.plan_seek(t));
        self.go(plan, what, done);
    }

    /// Steps back one event (a replay to one event fewer, in slices).
    pub fn step_back(self, done: Option<Done>) {
        let plan = self.with(|c| c.session.plan_step_back());
        self.go(plan, "stepping back one event".into(), done);
    }

    fn go(self, plan: Option<Result<Move, String>>, what: String, done: Option<Done>) {
        self.stop_replay(Stop::Action);
        let t0 = now_wall();
        let from = self.with(|c| c.session.now()).unwrap_or(0);
        let m = match plan {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                self.with(|c| {
                    c.ui.panels
                        .error
                        .set(Some(format!("Time travel failed: {e}")))
                });
                return tell(done, Outcome::Failed(e));
            }
            None => return tell(done, Outcome::Failed("the playground is busy".into())),
        };
        match m {
            Move::Replay(replay) => self.start_replay(replay, Arrival::Move { from }, what, done),
            Move::Now(goal) => {
                self.with(|c| {
                    c.session.arrive_at(goal, None);
                    c.jumped(t0, from);
                });
                tell(done, Outcome::Arrived)
            }
            Move::Stay => {
                self.with(|c| c.jumped(t0, from));
                tell(done, Outcome::Arrived)
            }
        }
    }

    /// Puts a finished replay on the page (or, if it failed, says why); how it ended.
    fn arrived(
        self,
        replay: Box<Replay>,
        arrival: Arrival,
        started: f64,
        r: Result<(), String>,
    ) -> Outcome {
        match (arrival, r) {
            (Arrival::Import(s), Ok(())) => {
                let session = Session::from_replay(replay);
                self.with(|c| c.imported(&s, session, now_wall() - started));
                Outcome::Arrived
            }
            (Arrival::Move { from }, Ok(())) => {
                self.with(|c| {
                    c.session.arrive(*replay);
                    c.jumped(started, from);
                });
                Outcome::Arrived
            }
            (Arrival::Import(_), Err(e)) => Outcome::Failed(e),
            (Arrival::Move { .. }, Err(e)) => {
                self.with(|c| {
                    c.ui.panels
                        .error
                        .set(Some(format!("Time travel failed: {e}")))
                });
                Outcome::Failed(e)
            }
        }
    }

    /// Drops the later part of the session: what happens next is recorded from here.
    pub fn fork(self) {
        if self.following_refuses() {
            return;
        }
        self.stop_replay(Stop::Action);
        self.with(|c| {
            if c.session.point().in_past {
                c.session.fork();
                c.note(format!(
                    "Forked at {}: the later part of the session is gone; what you do now is recorded from here.",
                    sim::time::format_ms(c.session.now())
                ));
                c.sync(now_wall());
            }
        });
    }
}

impl Controller {
    /// Puts an imported scenario's run in place, paused at its end.
    fn imported(&mut self, s: &Scenario, session: Session, ms: f64) {
        self.close_lesson();
        let mut settings = Settings::from_config(&s.config);
        settings.load = 0.0;
        self.adopt(session, settings);
        self.title = s.title.clone();
        self.stop_clock();
        self.note(format!(
            "Loaded {} ({} nodes, seed {}): replayed to {} ({} lines, {:.0} ms). Paused at the end; the scrubber below the logs moves through it.",
            if s.title.is_empty() { "a scenario" } else { s.title.as_str() },
            s.config.nodes,
            s.config.seed,
            sim::time::format_ms(self.session.now()),
            self.session.lines().len(),
            ms
        ));
        self.sync(now_wall());
    }

    /// After the session moved in its session (seek, step back; `from` the virtual time it
    /// left, `t0` the wall time the move began): the page's picture of the past is kept.
    fn jumped(&mut self, t0: f64, from: u64) {
        let ms = now_wall() - t0;
        self.stop_clock();
        self.console.cancel_waiters("cancelled: time travel");
        self.console.forget_running();
        self.lessons.stop_script();
        let now = self.session.now();
        // The page's picture of the past up to `now` is what a straight run shows: keep it.
        let total = self.session.cluster().trace().total();
        self.scan.rewind(now, total, &self.session.cluster().view());
        self.ui.picture.drops.set(Vec::new());
        self.halted = false;
        self.shown.invalidate();
        self.clock.moved(now);
        if from != now {
            self.note(format!(
                "Moved to {} (replayed in {:.0} ms). Acting from here forks the run.",
                sim::time::format_ms(now),
                ms
            ));
        }
        self.refresh_lesson(false);
        self.sync(now_wall());
    }
}
