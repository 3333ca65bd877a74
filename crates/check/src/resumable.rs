//! The linearizability check as a value that is advanced a bounded number of model steps at a
//! time, so that a page can run it in slices between frames (and cancel it by dropping it).
//!
//! Driven in slices of any size it reaches exactly the [`Report`] that [`crate::check_with`]
//! gives in one go (which is this check driven to its end): the searches stop where the slice
//! runs out and go on from there, and the total step budget of [`CheckOptions::max_steps`]
//! ends the check with [`Verdict::Unknown`] at the same point either way.
//!
//! ```
//! use check::history::{Input, Operation, Output};
//! use check::{Advance, CheckOptions, ResumableCheck, Verdict};
//!
//! let put = Operation {
//!     client: 1,
//!     call_ms: 0,
//!     return_ms: Some(10),
//!     input: Input::Put { key: "x".into(), value: "1".into() },
//!     output: Output::Put { revision: 2 },
//! };
//! let mut check = ResumableCheck::new(&[put], &CheckOptions::default()).unwrap();
//! let report = loop {
//!     match check.advance(1) {
//!         Advance::Pending(progress) => assert!(progress.steps <= progress.max_steps),
//!         Advance::Done(report) => break report,
//!     }
//! };
//! assert_eq!(report.verdict, Verdict::Linearizable);
//! ```

use std::collections::VecDeque;

use crate::checker::{not_linearizable, CheckOptions, Pass, Report, Verdict};
use crate::error::Result;
use crate::history::{self, Operation};
use crate::model::{KeyModel, KvModel};
use crate::wgl::{Search, SearchOp, SearchResult};
use crate::{partition, patch};

/// How far a [`ResumableCheck`] has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Model steps spent so far.
    pub steps: u64,
    /// The step budget ([`CheckOptions::max_steps`]).
    pub max_steps: u64,
    /// The pass running.
    pub pass: Pass,
    /// Keys whose per-key search has ended.
    pub keys_done: usize,
    /// Keys the per-key pass checks.
    pub keys: usize,
}

/// What one call to [`ResumableCheck::advance`] ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// The slice ran out; call again to go on.
    Pending(Progress),
    /// The check is over (every later call returns the same report).
    Done(Report),
}

/// Where the check is.
enum Stage {
    /// The per-key pass: the search of one key, and the keys after it.
    PerKey {
        key: String,
        search: Search<KeyModel>,
        rest: VecDeque<(String, Vec<SearchOp>)>,
    },
    /// The global pass.
    Global(Search<KvModel>),
    /// Over.
    Done(Report),
}

/// How a search ended in one slice (`None`: the slice ran out).
enum Ended {
    PerKey(Option<SearchResult>),
    Global(Option<SearchResult>),
}

/// When and by whom an operation was called (for explanations).
#[derive(Debug, Clone, Copy)]
struct Call {
    client: u32,
    call_ms: u64,
    return_ms: Option<u64>,
}

/// A linearizability check that runs a bounded number of model steps per call; see the module
/// docs.
pub struct ResumableCheck {
    calls: Vec<Call>,
    /// The global search, built when the per-key pass is over.
    global: Option<Search<KvModel>>,
    stage: Stage,
    max_steps: u64,
    /// Steps left of `max_steps`.
    remaining: u64,
    keys: usize,
    keys_done: usize,
}

impl ResumableCheck {
    /// A check of `history` with `options`, not started yet.
    ///
    /// # Errors
    /// A malformed history (see [`history::validate`]).
    pub fn new(history: &[Operation], options: &CheckOptions) -> Result<ResumableCheck> {
        history::validate(history)?;
        let patched = patch::observed_writes(history);
        let ops: Vec<SearchOp> = history
            .iter()
            .zip(patched)
            .enumerate()
            .filter(|(_, (op, _))| op.input.is_write() || !op.is_unknown())
            .map(|(index, (op, patched))| SearchOp {
                index,
                call: op.call_ms,
                ret: match patched {
                    // Known to have taken effect, but possibly after the client gave up.
                    Some(_) => Some(u64::MAX),
                    None if op.is_unknown() => None,
                    None => op.return_ms,
                },
                input: op.input.clone(),
                output: patched.unwrap_or_else(|| op.output.clone()),
            })
            .collect();
        let mut parts: VecDeque<(String, Vec<SearchOp>)> = match options.per_key_pass {
            true => partition::by_key(&ops).into_iter().collect(),
            false => VecDeque::new(),
        };
        let keys = parts.len();
        let global = Search::new(KvModel::for_history(history), ops);
        let (global, stage) = match parts.pop_front() {
            Some((key, part)) => (
                Some(global),
                Stage::PerKey {
                    key,
                    search: Search::new(KeyModel, part),
                    rest: parts,
                },
            ),
            None => (None, Stage::Global(global)),
        };
        Ok(ResumableCheck {
            calls: history
                .iter()
                .map(|op| Call {
                    client: op.client,
                    call_ms: op.call_ms,
                    return_ms: op.return_ms,
                })
                .collect(),
            global,
            stage,
            max_steps: options.max_steps,
            remaining: options.max_steps,
            keys,
            keys_done: 0,
        })
    }

    /// How far the check has got.
    pub fn progress(&self) -> Progress {
        Progress {
            steps: self.max_steps - self.remaining,
            max_steps: self.max_steps,
            pass: match self.stage {
                Stage::PerKey { .. } => Pass::PerKey,
                Stage::Global(_) | Stage::Done(_) => Pass::Global,
            },
            keys_done: self.keys_done,
            keys: self.keys,
        }
    }

    /// Runs at most `steps` more model steps (never more than the budget has left).
    pub fn advance(&mut self, steps: u64) -> Advance {
        // The budget left once this slice is spent.
        let beyond = self.remaining - steps.min(self.remaining);
        loop {
            let mut slice = self.remaining - beyond;
            let before = slice;
            let ended = match &mut self.stage {
                Stage::Done(report) => return Advance::Done(report.clone()),
                Stage::PerKey { search, .. } => Ended::PerKey(search.run(&mut slice)),
                Stage::Global(search) => Ended::Global(search.run(&mut slice)),
            };
            self.remaining -= before - slice;
            // Whether the whole budget is spent (not just this slice).
            let spent = self.remaining == 0;
            let report = match ended {
                Ended::PerKey(Some(SearchResult::Violation {
                    prefix,
                    stuck,
                    explanation,
                })) => {
                    let key = match &self.stage {
                        Stage::PerKey { key, .. } => key.as_str(),
                        _ => "",
                    };
                    let explanation =
                        format!("key {key:?}: {}; {}", self.describe_op(stuck), explanation);
                    self.report(
                        not_linearizable(prefix, stuck, explanation),
                        None,
                        Pass::PerKey,
                    )
                }
                // A key is done, or the budget is spent: on to the next key, or to the global
                // pass (which decides: Unknown unless it needs no step at all).
                Ended::PerKey(Some(SearchResult::Linearizable(_))) => {
                    self.keys_done += 1;
                    self.next_key(spent);
                    continue;
                }
                Ended::PerKey(None) if spent => {
                    self.next_key(true);
                    continue;
                }
                Ended::Global(Some(SearchResult::Linearizable(order))) => {
                    self.report(Verdict::Linearizable, Some(order), Pass::Global)
                }
                Ended::Global(Some(SearchResult::Violation {
                    prefix,
                    stuck,
                    explanation,
                })) => {
                    let total = match &self.stage {
                        Stage::Global(search) => search.ops().len(),
                        _ => 0,
                    };
                    let explanation = format!(
                        "{}; {}; longest linearizable prefix: {} of {total} operations",
                        self.describe_op(stuck),
                        explanation,
                        prefix.len(),
                    );
                    self.report(
                        not_linearizable(prefix, stuck, explanation),
                        None,
                        Pass::Global,
                    )
                }
                Ended::Global(None) if spent => self.report(Verdict::Unknown, None, Pass::Global),
                // The slice is spent: go on next time.
                Ended::PerKey(None) | Ended::Global(None) => {
                    return Advance::Pending(self.progress())
                }
            };
            self.stage = Stage::Done(report.clone());
            return Advance::Done(report);
        }
    }

    /// Runs to the end: the report [`crate::check_with`] returns.
    pub fn finish(mut self) -> Report {
        match self.advance(u64::MAX) {
            Advance::Done(report) => report,
            Advance::Pending(_) => unreachable!("a check with its whole budget ends"),
        }
    }

    fn report(&self, verdict: Verdict, linearization: Option<Vec<usize>>, by: Pass) -> Report {
        Report {
            verdict,
            linearization,
            steps: self.max_steps - self.remaining,
            decided_by: by,
        }
    }

    /// After a key's search: the next key's, or the global search if there is none or the
    /// budget is `spent`.
    fn next_key(&mut self, spent: bool) {
        if let Stage::PerKey { key, search, rest } = &mut self.stage {
            if !spent {
                if let Some((k, part)) = rest.pop_front() {
                    *key = k;
                    *search = Search::new(KeyModel, part);
                    return;
                }
            }
        }
        if let Some(global) = self.global.take() {
            self.stage = Stage::Global(global);
        }
    }

    fn describe_op(&self, index: usize) -> String {
        let op = self.calls[index];
        let ret = op
            .return_ms
            .map_or_else(|| "never".to_string(), |r| format!("{r} ms"));
        format!(
            "operation #{index} (client {}, called {} ms, returned {ret}) cannot be linearized",
            op.client, op.call_ms
        )
    }
}

/// Check `history` with default options.
///
/// Errors only if the history is malformed (see [`crate::history::validate`]).
pub fn check(history: &[Operation]) -> Result<Verdict> {
    Ok(check_with(history, &CheckOptions::default())?.verdict)
}

/// Check `history` with `options`, returning a [`Report`]: a [`ResumableCheck`] driven to its
/// end in one go.
///
/// Errors only if the history is malformed (see [`crate::history::validate`]).
pub fn check_with(history: &[Operation], options: &CheckOptions) -> Result<Report> {
    Ok(ResumableCheck::new(history, options)?.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, GenConfig, Rng};
    use crate::history::{Input, Output};

    /// Generated histories of every kind: linearizable ones, ones with a corrupted read (not
    /// linearizable), with writes of unknown outcome, leases and reads at old revisions.
    fn histories() -> Vec<Vec<Operation>> {
        let mut rng = Rng::new(11);
        (0..60u64)
            .map(|seed| {
                let config = GenConfig {
                    ops: 1 + rng.below(90) as usize,
                    clients: 1 + rng.below(6) as u32,
                    keys: 1 + rng.below(4) as usize,
                    max_latency_ms: 15,
                    unknown_write_percent: rng.below(25),
                    failed_read_percent: 5,
                    leases: seed % 3 != 0,
                    historical_reads: seed % 2 == 0,
                    range_deletes: seed % 4 == 3,
                    txns: seed % 5 == 2,
                };
                let mut h = generate(seed, &config);
                if seed % 3 == 1 {
                    let read = h.iter_mut().rev().find(|o| {
                        matches!(o.input, Input::Get { revision: None, .. })
                            && matches!(o.output, Output::Get { kv: Some(_), .. })
                    });
                    if let Some(Output::Get {
                        kv: Some((v, _)), ..
                    }) = read.map(|o| &mut o.output)
                    {
                        v.push('!');
                    }
                }
                h
            })
            .collect()
    }

    fn sliced(h: &[Operation], options: &CheckOptions, slice: u64) -> (Report, usize) {
        let mut c = ResumableCheck::new(h, options).unwrap();
        let mut last = 0;
        let mut calls = 0;
        loop {
            calls += 1;
            match c.advance(slice) {
                Advance::Pending(p) => {
                    assert!(p.steps > last || slice == 0, "progress {p:?} after {last}");
                    assert!(p.steps - last <= slice, "a slice of {slice} took more");
                    assert!(p.steps < p.max_steps && p.keys_done <= p.keys);
                    last = p.steps;
                }
                Advance::Done(r) => {
                    assert_eq!(
                        c.advance(slice),
                        Advance::Done(r.clone()),
                        "done stays done"
                    );
                    return (r, calls);
                }
            }
        }
    }

    #[test]
    fn slices_of_any_size_give_the_one_shot_report() {
        let mut verdicts = [0usize; 3];
        let mut sliced_calls = 0;
        for h in histories() {
            for per_key_pass in [true, false] {
                for max_steps in [0, 40, 2_500, 1_000_000] {
                    let options = CheckOptions {
                        max_steps,
                        per_key_pass,
                    };
                    let whole = crate::check_with(&h, &options).unwrap();
                    verdicts[match whole.verdict {
                        Verdict::Linearizable => 0,
                        Verdict::NotLinearizable { .. } => 1,
                        Verdict::Unknown => 2,
                    }] += 1;
                    for slice in [1, 7, 333] {
                        let (r, calls) = sliced(&h, &options, slice);
                        assert_eq!(r, whole, "slice {slice}, {options:?}");
                        sliced_calls += calls;
                    }
                }
            }
        }
        // Every kind of verdict was compared, and most checks really ran in several slices.
        assert!(verdicts.iter().all(|n| *n > 20), "{verdicts:?}");
        assert!(sliced_calls > 10_000, "{sliced_calls}");
    }

    #[test]
    fn progress_names_the_pass_and_the_keys() {
        let h = generate(
            3,
            &GenConfig {
                ops: 200,
                clients: 4,
                keys: 3,
                max_latency_ms: 15,
                unknown_write_percent: 10,
                failed_read_percent: 5,
                leases: false,
                historical_reads: false,
                range_deletes: false,
                txns: false,
            },
        );
        let mut c = ResumableCheck::new(&h, &CheckOptions::default()).unwrap();
        let first = c.progress();
        assert_eq!(
            (first.pass, first.keys_done, first.keys),
            (Pass::PerKey, 0, 3)
        );
        let mut passes = vec![first.pass];
        while let Advance::Pending(p) = c.advance(5) {
            if passes.last() != Some(&p.pass) {
                passes.push(p.pass);
            }
        }
        assert_eq!(passes, [Pass::PerKey, Pass::Global]);
        assert_eq!(c.progress().keys_done, 3);
    }

    #[test]
    fn a_spent_budget_is_unknown_and_a_malformed_history_an_error() {
        let h = histories().swap_remove(4);
        let options = CheckOptions {
            max_steps: 3,
            per_key_pass: true,
        };
        let mut c = ResumableCheck::new(&h, &options).unwrap();
        assert!(matches!(c.advance(2), Advance::Pending(_)));
        match c.advance(100) {
            Advance::Done(r) => assert_eq!((r.verdict, r.steps), (Verdict::Unknown, 3)),
            other => panic!("{other:?}"),
        }
        let mut bad = h.clone();
        bad[0].return_ms = Some(0);
        bad[0].call_ms = 5;
        assert!(ResumableCheck::new(&bad, &options).is_err());
    }
}
