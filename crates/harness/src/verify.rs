//! Every checker on a [`Recording`]: one [`Finding`] per checker, and a verdict.
//!
//! | checker | what it checks |
//! |---------|----------------|
//! | `raft` | the simulator's Raft safety invariants held for the whole run |
//! | `progress` | virtual time kept moving (no livelock; reported only when it did not) |
//! | `linearizability` | the client history against etcd's KV model (check's WGL search) |
//! | `watch` | every watch stream: ordered, unique, atomic, reliable, resumable, prev_kv, filters, the committed log |
//! | `replicas` | every member at the same revision with the same HashKV and leases |
//! | `compaction` | every member holds, in its key index and its backend, what etcd's compaction rules keep, at a compaction point some client asked for |
//! | `durability` | no acknowledged write is missing from the committed log, and none is applied twice |
//! | `leases` | no lease outlives its TTL once nobody renews it |
//! | `lock` | every lock hold was granted by the store; two holders at once are named (expected under partitions) |

use std::fmt;

use check::history::{Input, Operation};
use check::{CheckOptions, Verdict};

use crate::verdict;
use crate::workload::Recording;

pub use crate::verdict::Status;

/// One checker's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Checker name.
    pub checker: &'static str,
    /// Its judgement.
    pub status: Status,
}

/// The checkers' results on one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One finding per checker that ran.
    pub findings: Vec<Finding>,
    /// Linearizability: the operation that could not be placed and the longest linearizable
    /// prefix, for the timeline.
    pub stuck: Option<(usize, Vec<usize>)>,
    /// Model steps the linearizability search took.
    pub lin_steps: u64,
}

/// Options for [`verify`].
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Step budget of the linearizability search.
    pub max_steps: u64,
    /// Slack (ms) for lease expiry: the leader's 500 ms loop, the revoke's trip through Raft.
    pub lease_slack_ms: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_steps: 5_000_000,
            lease_slack_ms: 3_000,
        }
    }
}

impl Report {
    /// Whether some checker failed.
    pub fn failed(&self) -> bool {
        self.findings
            .iter()
            .any(|f| matches!(f.status, Status::Fail(_)))
    }

    /// Whether some checker could not decide.
    pub fn unknown(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Unknown)
    }

    /// Findings that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail(_)))
    }

    /// The finding of `checker`, if it ran.
    pub fn get(&self, checker: &str) -> Option<&Status> {
        self.findings
            .iter()
            .find(|f| f.checker == checker)
            .map(|f| &f.status)
    }

    /// A short label: `ok`, `ok (expected: lock)`, `unknown`, or the failed checkers.
    pub fn label(&self) -> String {
        let failed: Vec<&str> = self.failures().map(|f| f.checker).collect();
        if !failed.is_empty() {
            return format!("FAIL {}", failed.join(","));
        }
        if self.unknown() {
            return "unknown".into();
        }
        let expected: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Expected(_)))
            .map(|f| f.checker)
            .collect();
        if expected.is_empty() {
            "ok".into()
        } else {
            format!("ok (expected anomaly: {})", expected.join(","))
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let (word, detail) = match &finding.status {
                Status::Pass => ("ok", ""),
                Status::Fail(d) => ("FAIL", d.as_str()),
                Status::Unknown => ("unknown", "the search ran out of budget"),
                Status::Expected(d) => ("expected", d.as_str()),
            };
            if detail.is_empty() {
                writeln!(f, "{:<16} {word}", finding.checker)?;
            } else {
                writeln!(f, "{:<16} {word}: {detail}", finding.checker)?;
            }
        }
        Ok(())
    }
}

fn from_messages(checker: &'static str, msgs: Vec<String>) -> Finding {
    Finding {
        checker,
        status: verdict::fail_if_any(&msgs),
    }
}

/// Runs every checker that applies to `rec`.
pub fn verify(rec: &Recording, options: &VerifyOptions) -> Report {
    let mut findings = Vec::new();
    let mut stuck = None;
    let mut lin_steps = 0;
    findings.push(Finding {
        checker: "raft",
        status: match &rec.invariant {
            None => Status::Pass,
            Some(v) => Status::Fail(v.clone()),
        },
    });
    if let Some(stall) = &rec.stalled {
        findings.push(Finding {
            checker: "progress",
            status: Status::Fail(stall.clone()),
        });
    }
    let history: &[Operation] = &rec.history;
    if !history.is_empty() {
        let opts = CheckOptions {
            max_steps: options.max_steps,
            ..CheckOptions::default()
        };
        let status = match check::check_with(history, &opts) {
            Ok(report) => {
                lin_steps = report.steps;
                if let Verdict::NotLinearizable {
                    longest_prefix,
                    stuck_op,
                    ..
                } = &report.verdict
                {
                    stuck = Some((*stuck_op, longest_prefix.clone()));
                }
                verdict::linearizability(&report.verdict)
            }
            Err(e) => Status::Fail(format!("malformed history: {e}")),
        };
        findings.push(Finding {
            checker: "linearizability",
            status,
        });
    }
    if !rec.watches.is_empty() {
        findings.push(Finding {
            checker: "watch",
            status: verdict::watches(&rec.watches, &rec.log).status(),
        });
    }
    // A run stopped by an invariant never healed: the end-of-run checks would only repeat it.
    if rec.invariant.is_none() && rec.stalled.is_none() {
        findings.push(from_messages(
            "replicas",
            check::replicas::agreement(&rec.replicas),
        ));
        let asked = order::set(history.iter().filter_map(|op| match op.input {
            Input::Compact { revision } => Some(revision),
            _ => None,
        }));
        let held = rec
            .held
            .iter()
            .flat_map(|(node, h)| check::compaction::check_held(*node, h, &rec.log, &asked))
            .collect();
        findings.push(from_messages("compaction", held));
        if !history.is_empty() {
            let mut msgs = check::replicas::lost_writes(history, &rec.log);
            msgs.extend(check::replicas::duplicated_writes(history, &rec.log));
            findings.push(from_messages("durability", msgs));
        }
        findings.push(Finding {
            checker: "leases",
            status: verdict::leases(&rec.leases_alive, rec.end_ms, options.lease_slack_ms).status(),
        });
    }
    if !rec.locks.is_empty() {
        findings.push(Finding {
            checker: "lock",
            status: verdict::locks(&rec.locks, &rec.log, rec.end_ms).status(),
        });
    }
    Report {
        findings,
        stuck,
        lin_steps,
    }
}

/// A self-contained HTML page for `rec`: the report, then the history's timeline.
pub fn timeline_html(rec: &Recording, report: &Report, title: &str) -> String {
    let mut notes: Vec<String> = report.to_string().lines().map(str::to_string).collect();
    for h in &rec.locks {
        notes.push(format!(
            "lock hold: client {} {} from {} ms to {}",
            h.client,
            h.key,
            h.acquired_ms,
            h.released_ms
                .map_or_else(|| "the end".to_string(), |r| format!("{r} ms"))
        ));
    }
    let (marked, good) = match &report.stuck {
        Some((s, prefix)) => (vec![*s], prefix.clone()),
        None => (Vec::new(), Vec::new()),
    };
    check::timeline::render_html(
        &rec.history,
        &check::timeline::TimelineOptions {
            title: title.to_string(),
            notes,
            marked,
            good,
        },
    )
}
