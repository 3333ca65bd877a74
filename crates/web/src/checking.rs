//! The Check panel's work: the session's client operations through the linearizability checker,
//! with a step budget so a long session cannot freeze the page, and what the panel draws.

use check::history::{Input, Operation, Output};
use check::{CheckOptions, Verdict};
use serde::Serialize;

/// Model steps a check may take before it answers Unknown (a fraction of a second in wasm).
pub const STEP_BUDGET: u64 = 2_000_000;
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
    /// `stuck` (cannot be placed), `prefix` (in the longest linearizable prefix) or `other`.
    pub role: &'static str,
}

/// The result of checking a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckView {
    /// `Linearizable`, `Not linearizable` or `Unknown`.
    pub verdict: &'static str,
    /// Client operations in the history.
    pub operations: usize,
    /// The checker's account (or why there is no answer).
    pub explanation: String,
    /// Model steps spent.
    pub steps: u64,
    /// Virtual time of the check.
    pub at_ms: u64,
    /// For a violation: the operations on the offending key around the one that cannot be
    /// placed, one lane per client.
    pub bars: Vec<OpBar>,
}

/// `input` and `output` in a few words: `put x=1 → rev 3`.
pub fn describe(input: &Input, output: &Output) -> String {
    let ask = match input {
        Input::Put { key, value } => format!("put {key}={value}"),
        Input::PutWithLease { key, value, lease } => format!("put {key}={value} lease {lease:x}"),
        Input::Get {
            key,
            revision: None,
        } => format!("get {key}"),
        Input::Get {
            key,
            revision: Some(r),
        } => format!("get {key} @{r}"),
        Input::Range { key, range_end } => format!("range {key}..{range_end}"),
        Input::Delete { key } => format!("del {key}"),
        Input::Cas {
            key,
            expected_mod_revision,
            value,
        } => format!("cas {key} mod={expected_mod_revision} → {value}"),
        Input::LeaseGrant { id, .. } => format!("lease grant {id:x}"),
        Input::LeaseRevoke { id } => format!("lease revoke {id:x}"),
    };
    let got = match output {
        Output::Put { revision } => format!("ok @{revision}"),
        Output::Get {
            kv: Some((v, m)),
            revision,
        } => format!("{v} (mod {m}) @{revision}"),
        Output::Get { kv: None, revision } => format!("none @{revision}"),
        Output::Range { kvs, revision } => format!("{} keys @{revision}", kvs.len()),
        Output::Delete { deleted, revision } => format!("deleted {deleted} @{revision}"),
        Output::Cas {
            succeeded,
            revision,
        } => format!("{} @{revision}", if *succeeded { "ok" } else { "failed" }),
        Output::Lease { revision, .. } => format!("ok @{revision}"),
        Output::Rejected { reason } => format!("rejected ({reason:?})"),
        Output::Unknown => "unknown".to_string(),
    };
    format!("{ask} → {got}")
}

/// Checks `history` (the session's client operations at virtual time `now`). `unmodelled` lists
/// lines that changed the key space in ways the model does not know: then nothing is checked.
pub fn check_session(history: &[Operation], unmodelled: &[String], now: u64) -> CheckView {
    let mut view = CheckView {
        verdict: "Unknown",
        operations: history.len(),
        explanation: String::new(),
        steps: 0,
        at_ms: now,
        bars: Vec::new(),
    };
    if let Some(first) = unmodelled.first() {
        view.explanation = format!(
            "Not checked: the session changed keys with {} command(s) the checker does not model \
             (first: \"{first}\"). It models put, get, single-key del and compare-and-set txn.",
            unmodelled.len()
        );
        return view;
    }
    if history.is_empty() {
        view.verdict = "Linearizable";
        view.explanation =
            "No client operations yet: try put, get and del, with a partition in between.".into();
        return view;
    }
    let options = CheckOptions {
        max_steps: STEP_BUDGET,
        ..CheckOptions::default()
    };
    let report = match check::check_with(history, &options) {
        Ok(r) => r,
        Err(e) => {
            view.explanation = format!("The history could not be checked: {e}");
            return view;
        }
    };
    view.steps = report.steps;
    let clients = {
        let mut c: Vec<u32> = history.iter().map(|o| o.client).collect();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    match report.verdict {
        Verdict::Linearizable => {
            view.verdict = "Linearizable";
            view.explanation = format!(
                "{} operations of {clients} client(s) have a linearization: some order of them, \
                 consistent with real time, explains every answer.",
                history.len()
            );
        }
        Verdict::Unknown => {
            view.explanation = format!(
                "The step budget ({STEP_BUDGET} model steps) ran out before an answer was found."
            );
        }
        Verdict::NotLinearizable {
            longest_prefix,
            stuck_op,
            explanation,
        } => {
            view.verdict = "Not linearizable";
            view.explanation = explanation;
            view.bars = bars(history, &longest_prefix, stuck_op);
        }
    }
    view
}

/// The operations around `stuck`: those on its key (and ranges), nearest in time first.
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
    near.sort_by_key(|&i| (history[i].call_ms.abs_diff(s.call_ms), i));
    near.truncate(SHOWN);
    near.sort_unstable();
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
                    "stuck"
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
        assert_eq!(v.bars.iter().filter(|b| b.role == "stuck").count(), 1);
        assert_eq!(v.bars[0].label, "put x=1 → ok @2");

        let v = check_session(&stale, &["lock l".into()], 80);
        assert_eq!(v.verdict, "Unknown");
        assert!(v.explanation.contains("lock l"));
    }
}
