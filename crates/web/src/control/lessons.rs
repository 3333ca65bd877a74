//! Lessons: the open lesson on its own cluster, the step on screen and its expectations (ticked
//! as they come true; the clock stops the first time a step is done), "Show me" (the step's
//! own lines, run in time), and the learner's progress kept in the browser.

use std::collections::VecDeque;

use etcd::scenario::{builtin, Scenario};
use leptos::prelude::*;

use super::{busy, now_wall, Control, Controller, Stop};
use crate::browser;
use crate::lesson::{Progress, StepPace};
use crate::model::{LessonStep, LessonView, Origin, Settings};
use etcd::session::{CommandId, CommandState, Session};

/// Where the browser keeps which lesson steps the learner has done.
pub const PROGRESS_KEY: &str = "raftlab.lessons";

/// The most virtual time one line of "Show me" may take when Next finishes the step's lines.
const FINISH_LINE_LIMIT_MS: u64 = 60_000;

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

/// A line "Show me" will run: untimed lines wait for the previous one to settle, timed ones
/// for their virtual time.
struct ScriptLine {
    text: String,
    at_ms: Option<u64>,
}

/// The lesson part of the controller.
#[derive(Default)]
pub(super) struct Lessons {
    lesson: Option<Lesson>,
    /// "Show me" lines not started yet.
    script: VecDeque<ScriptLine>,
    /// The "Show me" line the next one waits for.
    script_wait: Option<CommandId>,
}

impl Lessons {
    /// Whether "Show me" lines are still to run.
    pub(super) fn scripting(&self) -> bool {
        !self.script.is_empty() || self.script_wait.is_some()
    }

    /// Drops what is left of "Show me".
    pub(super) fn stop_script(&mut self) {
        self.script.clear();
        self.script_wait = None;
    }

    /// The open lesson's title, if one is open.
    pub(super) fn title(&self) -> Option<&str> {
        self.lesson.as_ref().map(|l| l.scenario.title.as_str())
    }
}

impl Control {
    /// Opens a lesson (built-in name) at its first step, on a fresh cluster of its own.
    ///
    /// # Errors
    /// An unknown name.
    pub fn open_lesson(self, name: &str) -> Result<(), String> {
        if self.following_refuses() {
            return Err("following raftlab serve".into());
        }
        self.stop_replay(Stop::Action);
        let text = builtin::get(name).ok_or_else(|| format!("there is no lesson {name:?}"))?;
        let s = Session::parse(text)?;
        self.with(|c| c.open_lesson(name, s, format!("lesson={name}")))
            .unwrap_or_else(busy)
    }

    /// The fragment of a link that opens the open lesson at its start, if one is open.
    pub fn lesson_link(self) -> Option<String> {
        self.with(|c| c.lessons.lesson.as_ref().map(|l| l.link.clone()))
            .flatten()
            .filter(|l| !l.is_empty())
    }

    /// Closes the lesson panel (the cluster goes on).
    pub fn close_lesson(self) {
        self.with(|c| c.close_lesson());
    }

    /// Opens step `i` of the lesson (its expectations count from now).
    pub fn lesson_go(self, i: usize) {
        self.with(|c| c.lesson_go(i));
    }

    /// Runs the scripted lines of the lesson's current step, and plays.
    pub fn show_me(self) {
        self.stop_replay(Stop::Action);
        self.with(|c| c.show_me());
    }

    /// Opens the lesson again from its start, on a fresh cluster.
    pub fn restart_lesson(self) {
        self.stop_replay(Stop::Action);
        self.with(|c| {
            let Some(l) = c.lessons.lesson.as_ref() else {
                return;
            };
            let (name, link, s) = (l.name.clone(), l.link.clone(), l.scenario.clone());
            let _ = c.open_lesson(&name, s, link);
        });
    }
}

impl Controller {
    /// Closes the lesson and forgets what is left of "Show me".
    pub(super) fn close_lesson(&mut self) {
        self.lessons = Lessons::default();
        self.ui.lesson.open.set(None);
    }

    /// Opens lesson `s` (named `name`, opened again by link fragment `link`) on a fresh
    /// cluster of its own, paused at its first step.
    pub(super) fn open_lesson(
        &mut self,
        name: &str,
        s: Scenario,
        link: String,
    ) -> Result<(), String> {
        let session = Session::new(s.config.clone(), s.planted)?;
        let mut settings = Settings::from_config(&s.config);
        settings.load = 0.0;
        self.adopt(session, settings);
        self.stop_clock();
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
        self.lessons.lesson = Some(Lesson {
            name: name.to_string(),
            link,
            scenario: s,
            current: 0,
            start: self.session.leader_term(),
            printed_from: self.session.printed(),
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
        let Some(l) = self.lessons.lesson.as_ref() else {
            return;
        };
        if i >= l.scenario.steps.len() || i == l.current {
            return;
        }
        // Leaving while "Show me" runs: its remaining lines run first, so the next step starts
        // from what this one promised (a later step may count on them).
        let finished = self.finish_script();
        if !finished.is_empty() {
            let n = self.lessons.lesson.as_ref().map_or(0, |l| l.current + 1);
            self.note(format!(
                "Ran the rest of step {n}'s lines first: {}.",
                finished.join(" · ")
            ));
        }
        // A step opens paused: nothing it asks for happens before the learner acts.
        self.stop_clock();
        let now = self.session.leader_term();
        let printed = self.session.printed();
        let Some(l) = self.lessons.lesson.as_mut() else {
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

    /// Which of the current step's expectations hold now.
    fn holds(&self, l: &Lesson) -> Vec<bool> {
        let output = self.session.printed_since(l.printed_from);
        l.scenario.steps[l.current]
            .expects
            .iter()
            .map(|(_, e)| self.session.holds(e, l.start, &output))
            .collect()
    }

    /// Takes what the current step's expectations are as it opens, and shows it.
    fn open_step(&mut self) {
        let now = self.session.now();
        let lines = self.session.lines().len();
        let Some(l) = self.lessons.lesson.as_ref() else {
            return;
        };
        let holds = self.holds(l);
        if let Some(l) = self.lessons.lesson.as_mut() {
            l.pace = StepPace::open(holds, now, lines);
        }
        self.refresh_lesson(true);
    }

    /// Runs what is left of "Show me" at once (each line after the previous one settles, at
    /// most a minute of virtual time each). Returns the lines it ran.
    fn finish_script(&mut self) -> Vec<String> {
        let mut ran = Vec::new();
        loop {
            if let Some(id) = self.lessons.script_wait.take() {
                let r = self
                    .session
                    .run_until_settled(id, FINISH_LINE_LIMIT_MS)
                    .map(|_| ());
                if self.halt_on(r) {
                    self.lessons.script.clear();
                    break;
                }
            }
            let Some(line) = self.lessons.script.pop_front() else {
                break;
            };
            if let Some(at) = line.at_ms.filter(|at| *at > self.session.now()) {
                let r = self.session.run_until(at);
                if self.halt_on(r) {
                    self.lessons.script.clear();
                    break;
                }
            }
            let id = self.exec(&line.text, Origin::Lesson, None);
            if line.at_ms.is_none() {
                self.lessons.script_wait = id;
            }
            ran.push(line.text);
        }
        ran
    }

    fn show_me(&mut self) {
        let Some(l) = self.lessons.lesson.as_ref() else {
            return;
        };
        self.lessons.script = l.scenario.steps[l.current]
            .lines
            .iter()
            .map(|x| ScriptLine {
                text: x.text.to_string(),
                at_ms: x.at_ms,
            })
            .collect();
        self.lessons.script_wait = None;
        self.feed_script();
        if !self.ui.clock.playing.get_untracked() {
            self.clock.restart_frames();
            self.start_clock();
        }
        self.refresh_lesson(true);
        self.sync(now_wall());
    }

    /// Starts the "Show me" lines that are due. Returns the virtual time the next one waits
    /// for, if it waits for a time.
    pub(super) fn feed_script(&mut self) -> Option<u64> {
        loop {
            if let Some(id) = self.lessons.script_wait {
                let busy = self
                    .session
                    .output(id)
                    .is_some_and(|o| o.state == CommandState::Running && !o.settled);
                if busy {
                    return None;
                }
                self.lessons.script_wait = None;
            }
            let front = self.lessons.script.front()?;
            if let Some(at) = front.at_ms.filter(|at| *at > self.session.now()) {
                return Some(at);
            }
            let line = self.lessons.script.pop_front().expect("a line");
            let id = self.exec(&line.text, Origin::Lesson, None);
            if line.at_ms.is_none() {
                self.lessons.script_wait = id;
            }
        }
    }

    /// Re-checks the lesson's expectations and refreshes its panel (`force`: also when nothing
    /// changed).
    pub(super) fn refresh_lesson(&mut self, force: bool) {
        let Some(l) = self.lessons.lesson.as_ref() else {
            return;
        };
        let showing = self.lessons.scripting();
        let holds = self.holds(l);
        let acted = l.pace.acted(self.session.now(), self.session.lines().len());
        let ticks = l.pace.ticks(&holds, acted);
        let waiting = !acted && holds.iter().any(|h| *h);
        // The first time the step is done while the clock runs, the clock stops there.
        let playing = self.ui.clock.playing.get_untracked();
        let Some(l) = self.lessons.lesson.as_mut() else {
            return;
        };
        if l.pace.complete_now(&ticks) {
            l.done[l.current] = true;
            l.moment = Some(self.session.leader_term());
            let mut progress = Progress::parse(&browser::stored(PROGRESS_KEY).unwrap_or_default());
            progress.mark(&l.name, l.current, l.done.len());
            browser::store(PROGRESS_KEY, &progress.to_text());
            let (n, last) = (l.current + 1, l.current + 1 == l.done.len());
            let stop = playing && l.pace.stops_the_clock();
            if stop {
                self.stop_clock();
            }
            self.note(match (last, stop) {
                (true, _) => format!("✓ Step {n} done: that was the last step."),
                (false, true) => format!(
                    "✓ Step {n} done: the clock stopped at this moment. Press Next when you are ready."
                ),
                (false, false) => format!("✓ Step {n} done. Press Next when you are ready."),
            });
        }
        let Some(l) = self.lessons.lesson.as_ref() else {
            return;
        };
        let view = lesson_view(l, &ticks, showing, waiting);
        if force
            || self
                .ui
                .lesson
                .open
                .with_untracked(|v| v.as_ref() != Some(&view))
        {
            self.ui.lesson.open.set(Some(view));
        }
    }
}

/// The lesson panel's picture of lesson `l`: `ticks` are the current step's expectations met,
/// `showing` whether "Show me" lines still run, `waiting` whether some expectation held
/// before the learner acted.
fn lesson_view(l: &Lesson, ticks: &[bool], showing: bool, waiting: bool) -> LessonView {
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
            lines: st.lines.iter().map(|x| x.text.to_string()).collect(),
            done: l.done[i],
        })
        .collect();
    LessonView {
        name: l.name.clone(),
        title: l.scenario.title.clone(),
        steps,
        current: l.current,
        showing,
        waiting,
        next: crate::lesson::next_builtin(&l.name).map(|(n, t)| (n.to_string(), t)),
    }
}
