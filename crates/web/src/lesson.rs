//! A lesson's pace: what counts as met in a step, when the clock stops by itself, and the
//! learner's progress kept in the browser.
//!
//! A step opens paused. An expectation that already held when the step opened is not shown as
//! met until the learner acts in the step (runs a line, clicks, plays or steps the clock), so a
//! step never opens ticked by what happened before it. The first time every expectation of
//! the step is met while the clock runs, and one of them was not true when the step opened,
//! the clock stops by itself: the learner is not carried past the moment the step is about.
//!
//! ```
//! use web::lesson::StepPace;
//! // A step opens with its first expectation already true (a leader from the step before).
//! let mut pace = StepPace::open(vec![true, false], 3_000, 10);
//! assert!(!pace.acted(3_000, 10));
//! assert_eq!(pace.ticks(&[true, true], false), vec![false, true]);
//! // The learner types a line: now what holds is met.
//! assert!(pace.acted(3_000, 11));
//! let ticks = pace.ticks(&[true, true], true);
//! assert_eq!(ticks, vec![true, true]);
//! assert!(pace.complete_now(&ticks)); // the clock stops, once
//! assert!(!pace.complete_now(&ticks));
//! ```

use std::collections::BTreeMap;

/// How a step stands: what held when it opened and when that was.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StepPace {
    held_at_open: Vec<bool>,
    /// Virtual time and number of session lines when the step opened.
    opened: (u64, usize),
    /// Every expectation has been met since the step opened (the clock stopped once for it).
    completed: bool,
}

impl StepPace {
    /// A step opening at virtual time `now`, after `lines` lines of the session, with `holds`
    /// the value of each of its expectations at that moment.
    pub fn open(holds: Vec<bool>, now: u64, lines: usize) -> Self {
        StepPace {
            held_at_open: holds,
            opened: (now, lines),
            completed: false,
        }
    }

    /// Whether the learner has done anything since the step opened: the clock moved (play,
    /// step) or a line ran (typed, clicked, "Show me").
    pub fn acted(&self, now: u64, lines: usize) -> bool {
        now != self.opened.0 || lines != self.opened.1
    }

    /// Which expectations show as met, given what holds now: those that hold, except the ones
    /// that already held when the step opened while the learner has not acted yet.
    pub fn ticks(&self, holds: &[bool], acted: bool) -> Vec<bool> {
        holds
            .iter()
            .enumerate()
            .map(|(i, h)| *h && (acted || !self.held_at_open.get(i).copied().unwrap_or(false)))
            .collect()
    }

    /// True the first time every expectation is met (a step without expectations never
    /// completes): the step is done.
    pub fn complete_now(&mut self, ticks: &[bool]) -> bool {
        if self.completed || ticks.is_empty() || !ticks.iter().all(|t| *t) {
            return false;
        }
        self.completed = true;
        true
    }

    /// Whether completing the step should stop the clock: something it asked for became true
    /// in it (a step whose expectations all held when it opened is about watching, not about a
    /// moment).
    pub fn stops_the_clock(&self) -> bool {
        self.held_at_open.iter().any(|h| !*h)
    }

    /// Whether every expectation has been met since the step opened.
    pub fn completed(&self) -> bool {
        self.completed
    }
}

/// The most lessons a stored progress keeps, and the longest name: what the browser keeps is
/// small and bounded whatever was stored under the key.
const MAX_ENTRIES: usize = 200;
const MAX_NAME: usize = 120;
const MAX_STEPS: usize = 100;

/// Which steps of which lessons the learner has done, as kept in the browser's storage: one
/// line per lesson, `name<TAB>` and a `0`/`1` per step.
///
/// ```
/// use web::lesson::Progress;
/// let mut p = Progress::parse("01-leader-election\t110\ngarbage\n");
/// assert_eq!(p.steps("01-leader-election"), Some(&[true, true, false][..]));
/// p.mark("01-leader-election", 2, 3);
/// assert!(p.finished("01-leader-election"));
/// assert_eq!(Progress::parse(&p.to_text()), p);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Progress(BTreeMap<String, Vec<bool>>);

impl Progress {
    /// Reads stored progress; anything malformed is left out (never an error: it is only a
    /// convenience).
    pub fn parse(text: &str) -> Self {
        let mut map = BTreeMap::new();
        for line in text.lines().take(MAX_ENTRIES) {
            let Some((name, steps)) = line.split_once('\t') else {
                continue;
            };
            if name.is_empty() || name.len() > MAX_NAME || steps.len() > MAX_STEPS {
                continue;
            }
            if !steps.bytes().all(|b| b == b'0' || b == b'1') {
                continue;
            }
            map.insert(name.to_string(), steps.bytes().map(|b| b == b'1').collect());
        }
        Progress(map)
    }

    /// The text to store.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (name, steps) in &self.0 {
            out.push_str(name);
            out.push('\t');
            out.extend(steps.iter().map(|d| if *d { '1' } else { '0' }));
            out.push('\n');
        }
        out
    }

    /// The done marks of lesson `name`, if any were kept.
    pub fn steps(&self, name: &str) -> Option<&[bool]> {
        self.0.get(name).map(Vec::as_slice)
    }

    /// Marks step `i` of lesson `name` (which has `count` steps) done.
    pub fn mark(&mut self, name: &str, i: usize, count: usize) {
        if name.is_empty() || name.len() > MAX_NAME || count > MAX_STEPS || i >= count {
            return;
        }
        if !self.0.contains_key(name) && self.0.len() >= MAX_ENTRIES {
            return;
        }
        let steps = self.0.entry(name.to_string()).or_default();
        steps.resize(count, false);
        steps[i] = true;
    }

    /// Whether every step of lesson `name` is done.
    pub fn finished(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|s| !s.is_empty() && s.iter().all(|d| *d))
    }
}

/// The built-in lesson after `name` in teaching order (lessons, then the classic
/// reproductions), as (name, title).
pub fn next_builtin(name: &str) -> Option<(&'static str, String)> {
    use etcd::scenario::builtin::{CLASSICS, LESSONS};
    let all: Vec<(&'static str, &'static str)> = LESSONS.iter().chain(CLASSICS).copied().collect();
    let i = all.iter().position(|(n, _)| *n == name)?;
    let (next, text) = all.get(i + 1)?;
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("@title "))
        .unwrap_or(next)
        .trim()
        .to_string();
    Some((next, title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_opens_true_waits_for_the_learner() {
        let pace = StepPace::open(vec![true, true], 1_000, 4);
        assert!(!pace.acted(1_000, 4));
        assert_eq!(pace.ticks(&[true, true], false), vec![false, false]);
        assert!(pace.acted(1_100, 4), "playing is acting");
        assert!(pace.acted(1_000, 5), "a line is acting");
        assert_eq!(pace.ticks(&[true, false], true), vec![true, false]);
    }

    #[test]
    fn only_a_step_whose_moment_came_stops_the_clock() {
        assert!(StepPace::open(vec![true, false], 0, 0).stops_the_clock());
        assert!(!StepPace::open(vec![true, true], 0, 0).stops_the_clock());
    }

    #[test]
    fn what_becomes_true_is_met_at_once() {
        let pace = StepPace::open(vec![false], 0, 0);
        assert_eq!(pace.ticks(&[true], false), vec![true]);
    }

    #[test]
    fn the_clock_stops_once_per_step_and_never_for_a_step_without_expectations() {
        let mut pace = StepPace::open(vec![false, false], 0, 0);
        assert!(!pace.complete_now(&[true, false]));
        assert!(pace.complete_now(&[true, true]));
        assert!(pace.completed());
        assert!(!pace.complete_now(&[true, true]));
        let mut empty = StepPace::open(Vec::new(), 0, 0);
        assert!(!empty.complete_now(&[]));
    }

    #[test]
    fn progress_is_bounded_and_lenient() {
        let long = "x".repeat(MAX_NAME + 1);
        let p = Progress::parse(&format!("{long}\t1\nok\t1x\nfine\t01\n\t1\n"));
        assert_eq!(p.steps("fine"), Some(&[false, true][..]));
        assert_eq!(p.0.len(), 1);
        let many: String = (0..MAX_ENTRIES + 50)
            .map(|i| format!("l{i}\t1\n"))
            .collect();
        assert_eq!(Progress::parse(&many).0.len(), MAX_ENTRIES);
        let mut q = Progress::default();
        q.mark("a", 5, 3);
        assert_eq!(q.steps("a"), None, "a step outside the lesson is ignored");
        q.mark("a", 0, 2);
        assert!(!q.finished("a"));
        q.mark("a", 1, 2);
        assert!(q.finished("a"));
    }

    #[test]
    fn the_next_lesson_follows_teaching_order() {
        let (n, title) = next_builtin("01-leader-election").unwrap();
        assert_eq!(n, "02-log-replication");
        assert!(!title.is_empty() && !title.starts_with('@'));
        let last_lesson = etcd::scenario::builtin::LESSONS.last().unwrap().0;
        let first_classic = etcd::scenario::builtin::CLASSICS[0].0;
        assert_eq!(next_builtin(last_lesson).unwrap().0, first_classic);
        let last = etcd::scenario::builtin::CLASSICS.last().unwrap().0;
        assert_eq!(next_builtin(last), None);
        assert_eq!(next_builtin("no-such-lesson"), None);
    }
}
