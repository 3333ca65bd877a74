//! The Check panel's work: the session's client operations through the linearizability checker,
//! in slices of model steps (so a long check never freezes the page) under a total step budget,
//! the watch streams through the watch validators ([`crate::watch_check`]), and what the panel
//! draws.

use check::history::Operation;
use check::{Advance, CheckOptions, Pass, ResumableCheck, Verdict};
use harness::verdict::Status;
use serde::Serialize;

use crate::lease_check::LeaseCheckView;
use crate::lock_check::LockCheckView;
use crate::op_words::describe;
use crate::watch_check::WatchCheckView;

/// Model steps a check may take before it answers Unknown.
pub const STEP_BUDGET: u64 = 20_000_000;
/// Operations drawn on the timeline of a violation at most.
const SHOWN: usize = 40;

/// One client operation on the panel's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpBar {
    /// Index in the history.
    pub index: usize,
    /// Client (the member the request went to).
    pub client: u32,
    /// Call time (virtual ms).
    pub call_ms: u64,
    /// Return time, or None while it is pending.
    pub return_ms: Option<u64>,
    /// What was asked and answered, in words.
    pub label: String,
    /// `stuck culprit` (the operation the panel's first sentence names: it cannot be placed),
    /// `prefix` (in the longest linearizable prefix) or `other`.
    pub role: &'static str,
}

/// The result of checking a session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckView {
    /// `Linearizable`, `Not linearizable`, `Unknown` or `Cancelled`.
    pub verdict: &'static str,
    /// Client operations in the history.
    pub operations: usize,
    /// The checker's account (or why there is no answer).
    pub explanation: String,
    /// For a violation: one plain sentence naming the operation that cannot be placed and why
    /// (see [`crate::culprit`]); empty otherwise.
    pub headline: String,
    /// Why some reads are not in the history on purpose (serializable reads), or empty.
    pub left_out: String,
    /// Model steps spent.
    pub steps: u64,
    /// The step budget.
    pub max_steps: u64,
    /// Virtual time of the check.
    pub at_ms: u64,
    /// Wall-clock ms from start to answer (in the page).
    pub wall_ms: f64,
    /// Slices the page ran it in.
    pub slices: u32,
    /// The longest slice, wall-clock ms.
    pub longest_slice_ms: f64,
    /// For a violation: the operations on the offending key around the one that cannot be
    /// placed, one lane per client.
    pub bars: Vec<OpBar>,
    /// The verdict on the session's watch streams.
    pub watch: WatchCheckView,
    /// The verdict on the leases alive now.
    pub leases: LeaseCheckView,
    /// The verdict on the locks the session took.
    pub locks: LockCheckView,
    /// The bugs planted in the cluster when the check started (names), if it was broken on
    /// purpose.
    pub planted: Vec<&'static str>,
}

/// A check of a session's client operations, advanced a bounded number of model steps at a
/// time (the page runs it in slices between frames). It works on a copy of the history taken
/// when it started, so the cluster may run on meanwhile.
pub struct SessionCheck {
    history: Vec<Operation>,
    /// The search, unless there is nothing to search (the answer is then in `view`).
    search: Option<ResumableCheck>,
    view: CheckView,
    clients: usize,
}

/// How far a running check has got, for the progress bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckProgress {
    /// Model steps so far.
    pub steps: u64,
    /// The step budget.
    pub max_steps: u64,
    /// What it is doing, in words.
    pub stage: String,
    /// Client operations being checked.
    pub operations: usize,
}

impl SessionCheck {
    /// Starts checking `session`: its client operations (put, get, del, compare-and-set txn;
    /// one client per member) for linearizability, with at most `max_steps` model steps, on a
    /// copy of the session so far to advance in slices; its watch streams against the
    /// committed log, its lock holds against it, and the leases alive now against their TTLs,
    /// at once.
    pub fn of(session: &etcd::session::Session, max_steps: u64) -> SessionCheck {
        let pg = session.playground();
        let h = harness::session::SessionHistory::of(pg);
        let log = match h.watches.is_empty() && h.locks.is_empty() {
            true => Ok(Vec::new()),
            false => pg.committed_log(),
        };
        let log = log.as_deref().map_err(String::as_str);
        let watch = crate::watch_check::check_watches(&h.watches, &h.watch_lines, log);
        let locks = crate::lock_check::check_lock_holds(&h.locks, log, pg.now());
        SessionCheck::start(h.operations, &h.unmodelled, pg.now(), max_steps)
            .with_watches(watch)
            .with_locks(locks)
            .with_leases(crate::lease_check::check_leases(
                h.leases_alive.as_deref(),
                pg.now(),
            ))
            .with_planted(session.planted().iter().map(|b| b.name()).collect())
            .with_serializable(
                pg.given()
                    .iter()
                    .filter(|r| crate::culprit::is_serializable_read(&r.line))
                    .count(),
            )
    }

    /// Starts checking `history` (the session's client operations at virtual time `now`) with
    /// `max_steps` model steps at most. `unmodelled` lists lines that changed the key space in
    /// ways the model does not know: then nothing is searched and the answer is Unknown.
    pub fn start(
        history: Vec<Operation>,
        unmodelled: &[String],
        now: u64,
        max_steps: u64,
    ) -> SessionCheck {
        let mut view = CheckView {
            verdict: "Unknown",
            operations: history.len(),
            explanation: String::new(),
            headline: String::new(),
            left_out: String::new(),
            steps: 0,
            max_steps,
            at_ms: now,
            wall_ms: 0.0,
            slices: 0,
            longest_slice_ms: 0.0,
            bars: Vec::new(),
            watch: crate::watch_check::check_watches(&[], &[], Err("")),
            leases: crate::lease_check::check_leases(Some(&[]), now),
            locks: crate::lock_check::check_lock_holds(&[], Ok(&[]), now),
            planted: Vec::new(),
        };
        let mut clients: Vec<u32> = history.iter().map(|o| o.client).collect();
        order::sort(&mut clients);
        clients.dedup();
        let mut search = None;
        if let Some(first) = unmodelled.first() {
            view.explanation = format!(
                "Not checked: the session changed keys with {} command(s) the checker does not \
                 model (first: \"{first}\"). It models put (with a lease too), get, del (one \
                 key or a range), txn (comparisons on single keys, puts and deletes), lease \
                 grant and revoke, and the leader's revokes of expired leases; not locks, \
                 elections, nested txns or gateway writes.",
                unmodelled.len()
            );
        } else if history.is_empty() {
            view.verdict = "Linearizable";
            view.explanation =
                "No client operations yet: try put, get and del, with a partition in between."
                    .into();
        } else {
            let options = CheckOptions {
                max_steps,
                ..CheckOptions::default()
            };
            match ResumableCheck::new(&history, &options) {
                Ok(c) => search = Some(c),
                Err(e) => view.explanation = format!("The history could not be checked: {e}"),
            }
        }
        SessionCheck {
            history,
            search,
            view,
            clients: clients.len(),
        }
    }

    /// Notes how many serializable reads the session made (left out of the history on purpose).
    pub fn with_serializable(mut self, reads: usize) -> Self {
        self.view.left_out = crate::culprit::left_out_note(reads);
        self
    }

    /// Adds the verdict on the session's watch streams (checked at once: it is one pass).
    pub fn with_watches(mut self, watch: WatchCheckView) -> Self {
        self.view.watch = watch;
        self
    }

    /// Adds the verdict on the leases alive when the check started.
    pub fn with_leases(mut self, leases: LeaseCheckView) -> Self {
        self.view.leases = leases;
        self
    }

    /// Adds the verdict on the session's locks.
    pub fn with_locks(mut self, locks: LockCheckView) -> Self {
        self.view.locks = locks;
        self
    }

    /// Notes the bugs planted in the cluster checked.
    pub fn with_planted(mut self, planted: Vec<&'static str>) -> Self {
        self.view.planted = planted;
        self
    }

    /// Runs at most `steps` more model steps; the result once the check is over.
    pub fn advance(&mut self, steps: u64) -> Option<CheckView> {
        let Some(search) = self.search.as_mut() else {
            return Some(self.view.clone());
        };
        let report = match search.advance(steps) {
            Advance::Pending(_) => return None,
            Advance::Done(report) => report,
        };
        self.search = None;
        let view = &mut self.view;
        view.steps = report.steps;
        // The sweep's verdict on the same search ([`harness::verdict`]), in the panel's words.
        view.verdict = match harness::verdict::linearizability(&report.verdict) {
            Status::Pass => "Linearizable",
            Status::Fail(_) => "Not linearizable",
            Status::Unknown | Status::Expected(_) => "Unknown",
        };
        match report.verdict {
            Verdict::Linearizable => {
                view.explanation = format!(
                    "{} operations of {} client(s) have a linearization: some order of them, \
                     consistent with real time, explains every answer.",
                    self.history.len(),
                    self.clients
                );
            }
            Verdict::Unknown => {
                view.explanation = format!(
                    "The step budget ({} model steps) ran out before an answer was found.",
                    view.max_steps
                );
            }
            Verdict::NotLinearizable {
                longest_prefix,
                stuck_op,
                explanation,
            } => {
                view.explanation = explanation;
                let culprit = crate::culprit::culprit(&self.history, stuck_op);
                let shown = culprit.as_ref().map_or(stuck_op, |c| c.index);
                view.headline = culprit.map(|c| c.sentence).unwrap_or_default();
                view.bars = bars(&self.history, &longest_prefix, shown);
            }
        }
        Some(self.view.clone())
    }

    /// How far it has got.
    pub fn progress(&self) -> CheckProgress {
        let (steps, stage) = match &self.search {
            None => (self.view.steps, "done".to_string()),
            Some(s) => {
                let p = s.progress();
                let stage = match p.pass {
                    Pass::PerKey => format!(
                        "per-key pass: key {} of {}",
                        (p.keys_done + 1).min(p.keys),
                        p.keys
                    ),
                    Pass::Global => "global pass (every key, revisions included)".to_string(),
                };
                (p.steps, stage)
            }
        };
        CheckProgress {
            steps,
            max_steps: self.view.max_steps,
            stage,
            operations: self.history.len(),
        }
    }

    /// Gives up: the answer is "Cancelled", with the steps spent so far.
    pub fn cancel(self) -> CheckView {
        let steps = self.progress().steps;
        CheckView {
            verdict: "Cancelled",
            explanation: format!("Cancelled after {steps} model steps; check again to start over."),
            steps,
            bars: Vec::new(),
            ..self.view
        }
    }
}

/// Checks `history` to the end in one go (what the page does in slices).
pub fn check_session(history: &[Operation], unmodelled: &[String], now: u64) -> CheckView {
    let mut c = SessionCheck::start(history.to_vec(), unmodelled, now, STEP_BUDGET);
    c.advance(u64::MAX)
        .expect("the whole budget ends the check")
}

/// The operations around `stuck` (the culprit): those on its key (and ranges), nearest in time
/// first.
fn bars(history: &[Operation], prefix: &[usize], stuck: usize) -> Vec<OpBar> {
    let Some(s) = history.get(stuck) else {
        return Vec::new();
    };
    let key = s.input.key();
    let mut near: Vec<usize> = (0..history.len())
        .filter(|&i| {
            let k = history[i].input.key();
            i == stuck || k.is_none() || key.is_none() || k == key
        })
        .collect();
    order::sort_by_key(&mut near, |&i| (history[i].call_ms.abs_diff(s.call_ms), i));
    near.truncate(SHOWN);
    order::sort(&mut near);
    near.into_iter()
        .map(|i| {
            let o = &history[i];
            OpBar {
                index: i,
                client: o.client,
                call_ms: o.call_ms,
                return_ms: o.return_ms,
                label: describe(&o.input, &o.output),
                role: if i == stuck {
                    "stuck culprit"
                } else if prefix.contains(&i) {
                    "prefix"
                } else {
                    "other"
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::history::{Input, Output};

    fn op(client: u32, call: u64, ret: u64, input: Input, output: Output) -> Operation {
        Operation {
            client,
            call_ms: call,
            return_ms: Some(ret),
            input,
            output,
        }
    }

    fn put(v: &str) -> Input {
        Input::Put {
            key: "x".into(),
            value: v.into(),
        }
    }

    fn get() -> Input {
        Input::Get {
            key: "x".into(),
            revision: None,
        }
    }

    #[test]
    fn verdicts_and_the_offending_operations() {
        let ok = vec![
            op(1, 0, 10, put("1"), Output::Put { revision: 2 }),
            op(
                2,
                20,
                30,
                get(),
                Output::Get {
                    kv: Some(("1".into(), 2)),
                    revision: 2,
                },
            ),
        ];
        let v = check_session(&ok, &[], 40);
        assert_eq!(v.verdict, "Linearizable");
        assert_eq!(v.operations, 2);
        assert!(v.bars.is_empty());

        let mut stale = ok.clone();
        stale.push(op(1, 40, 50, put("2"), Output::Put { revision: 3 }));
        stale.push(op(
            3,
            60,
            70,
            get(),
            Output::Get {
                kv: Some(("1".into(), 2)),
                revision: 2,
            },
        ));
        let v = check_session(&stale, &[], 80);
        assert_eq!(v.verdict, "Not linearizable");
        assert!(!v.explanation.is_empty());
        assert_eq!(v.bars.len(), 4);
        assert_eq!(
            v.bars.iter().filter(|b| b.role == "stuck culprit").count(),
            1
        );
        assert!(
            v.headline.starts_with(
                "get x through node 3 at 0.06 s returned 1, but put x=2 had finished at 0.05 s"
            ),
            "{}",
            v.headline
        );
        assert_eq!(v.bars[0].label, "put x=1 → ok @2");

        let v = check_session(&stale, &["lock l".into()], 80);
        assert_eq!(v.verdict, "Unknown");
        assert!(v.explanation.contains("lock l"));
    }

    #[test]
    fn a_check_in_slices_answers_as_in_one_go_and_can_be_cancelled() {
        let h = check::generate::generate(
            5,
            &check::generate::GenConfig {
                ops: 300,
                clients: 5,
                keys: 3,
                leases: false,
                ..Default::default()
            },
        );
        let whole = check_session(&h, &[], 9);
        assert_eq!(whole.verdict, "Linearizable");
        let mut c = SessionCheck::start(h.clone(), &[], 9, STEP_BUDGET);
        let mut slices = 0;
        let sliced = loop {
            slices += 1;
            let before = c.progress().steps;
            match c.advance(50) {
                Some(v) => break v,
                None => assert!(c.progress().steps - before == 50),
            }
        };
        assert!(slices > 3, "{slices}");
        assert_eq!(sliced, whole);
        assert_eq!(c.progress().stage, "done");

        let mut c = SessionCheck::start(h.clone(), &[], 9, STEP_BUDGET);
        assert!(c.advance(20).is_none());
        assert!(
            c.progress().stage.starts_with("per-key pass: key 1 of 3"),
            "{:?}",
            c.progress()
        );
        let v = c.cancel();
        assert_eq!((v.verdict, v.steps), ("Cancelled", 20));

        // A budget too small ends in Unknown, in slices too.
        let mut c = SessionCheck::start(h, &[], 9, 120);
        let v = loop {
            if let Some(v) = c.advance(50) {
                break v;
            }
        };
        assert_eq!((v.verdict, v.steps), ("Unknown", 120));
        assert!(
            v.explanation.contains("120 model steps"),
            "{}",
            v.explanation
        );
    }
}
