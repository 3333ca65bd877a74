//! The Check panel's watch part: the session's watch streams judged by
//! [`harness::verdict::watches`] (ordered, unique, atomic, reliable, prev_kv, filters, the
//! committed log; the sweep's verdict too), and what the panel shows of the verdict.

use check::kv::Event;
use check::watch::WatchRecord;
use harness::verdict::{self, Status};
use serde::Serialize;

/// Violations listed at most.
const LISTED: usize = 6;

/// One broken guarantee, for the panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WatchFinding {
    /// The rule (`reliable`, `ordered`, ...).
    pub rule: &'static str,
    /// Index of the watch in the session.
    pub watch: usize,
    /// The watch's command line and member: `watch --prefix a (node 2)`.
    pub line: String,
    /// What happened.
    pub detail: String,
}

/// The verdict on the session's watch streams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WatchCheckView {
    /// `Valid`, `Invalid`, `Unknown` (no committed log to compare with) or `None` (no watches).
    pub verdict: &'static str,
    /// Watches opened in the session.
    pub watches: usize,
    /// Events they delivered.
    pub events: usize,
    /// The verdict in words.
    pub explanation: String,
    /// The first broken guarantees (at most one per rule and watch).
    pub findings: Vec<WatchFinding>,
}

/// Validates `records` (opened by the commands `lines`) against the committed log, or says why
/// there is none.
pub fn check_watches(
    records: &[WatchRecord],
    lines: &[String],
    log: Result<&[Event], &str>,
) -> WatchCheckView {
    let events: usize = records.iter().map(|r| r.events().count()).sum();
    let mut view = WatchCheckView {
        verdict: "None",
        watches: records.len(),
        events,
        explanation: "Try watch --prefix k, then put k1 a.".to_string(),
        findings: Vec::new(),
    };
    if records.is_empty() {
        return view;
    }
    let log = match log {
        Ok(log) => log,
        Err(why) => {
            view.verdict = "Unknown";
            view.explanation = format!("Not checked: {why}.");
            return view;
        }
    };
    let judged = verdict::watches(records, log);
    let violations = &judged.violations;
    if judged.status() == Status::Pass {
        view.verdict = "Valid";
        view.explanation = format!(
            "{} watch(es) delivered {events} event(s): ordered, unique, atomic, reliable, with \
             the right prev_kv and filters, each the committed log's event.",
            records.len()
        );
        return view;
    }
    view.verdict = "Invalid";
    let mut rules: Vec<&str> = violations.iter().map(|v| v.rule.name()).collect();
    order::sort(&mut rules);
    rules.dedup();
    view.explanation = format!(
        "{} broken guarantee(s) ({}) over {} watch(es).",
        violations.len(),
        rules.join(", "),
        records.len()
    );
    view.findings = violations
        .iter()
        .take(LISTED)
        .map(|v| WatchFinding {
            rule: v.rule.name(),
            watch: v.watch,
            line: format!(
                "{} (node {})",
                lines.get(v.watch).map_or("watch", String::as_str),
                records[v.watch].node
            ),
            detail: v.detail.clone(),
        })
        .collect();
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::kv::{EventType, KeyValue, WatchCreateRequest, WatchResponse};

    fn put(rev: i64, key: &str) -> Event {
        Event {
            kind: EventType::Put,
            kv: KeyValue {
                key: key.into(),
                create_revision: rev,
                mod_revision: rev,
                version: 1,
                value: b"v".to_vec(),
                lease: 0,
            },
            prev_kv: None,
        }
    }

    fn record(events: &[Event]) -> WatchRecord {
        let mut r = WatchRecord::new(
            2,
            2,
            WatchCreateRequest {
                key: b"a".to_vec(),
                range_end: b"b".to_vec(),
                start_revision: 2,
                ..Default::default()
            },
        );
        r.responses = events
            .iter()
            .map(|e| {
                let resp = WatchResponse {
                    revision: e.kv.mod_revision,
                    events: vec![e.clone()],
                    ..Default::default()
                };
                (10 * e.kv.mod_revision as u64, resp)
            })
            .collect();
        r
    }

    #[test]
    fn verdicts_on_watch_streams() {
        let log = vec![put(2, "a1"), put(3, "a2"), put(4, "a3")];
        let lines = vec!["watch --prefix a".to_string()];
        let none = check_watches(&[], &lines, Ok(&log));
        assert_eq!((none.verdict, none.watches), ("None", 0));

        let good = check_watches(&[record(&log)], &lines, Ok(&log));
        assert_eq!((good.verdict, good.events), ("Valid", 3), "{good:?}");
        assert!(good.findings.is_empty());

        let gap = record(&[log[0].clone(), log[2].clone()]);
        let bad = check_watches(std::slice::from_ref(&gap), &lines, Ok(&log));
        assert_eq!(bad.verdict, "Invalid");
        assert_eq!(bad.findings[0].rule, "reliable");
        assert_eq!(bad.findings[0].line, "watch --prefix a (node 2)");
        assert!(bad.explanation.contains("reliable"), "{}", bad.explanation);

        let unknown = check_watches(&[gap], &lines, Err("the store was compacted"));
        assert_eq!(unknown.verdict, "Unknown");
        assert!(unknown.explanation.contains("compacted"));
    }
}
