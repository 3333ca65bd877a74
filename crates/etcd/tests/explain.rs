//! "Why?" explanations on scenarios that produce each case (see `sim::explain`).

use etcd::scenario::{builtin, parse};
use sim::explain::{self, Case, Params, Refusal};
use sim::{MsgKind, TraceEvent, TraceKind};

/// Runs a built-in scenario or a scenario text to its end; its kept trace and parameters.
fn run(text: &str) -> (Vec<TraceEvent>, Params) {
    let s = parse(text).expect("scenario parses");
    let (pg, _) = s.run().expect("scenario runs");
    let events: Vec<TraceEvent> = pg.cluster().trace().events().cloned().collect();
    (events, Params::of(pg.cluster().config()))
}

fn builtin(name: &str) -> (Vec<TraceEvent>, Params) {
    match builtin::get(name) {
        Some(text) => run(text),
        None => run(&std::fs::read_to_string(format!("tests/cases/why/{name}.txt")).unwrap()),
    }
}

/// Every message of `kinds` with its explanation.
fn messages(events: &[TraceEvent], p: &Params, kinds: &[MsgKind]) -> Vec<(u64, explain::Why)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Send { msg, summary, .. } if kinds.contains(&summary.kind) => {
                Some((*msg, explain::message(events, p, *msg)))
            }
            _ => None,
        })
        .collect()
}

#[test]
#[ignore]
fn dump() {
    let name = std::env::var("WHY_SCENARIO").unwrap_or("01-leader-election".into());
    let (events, p) = builtin(&name);
    let mut seen = std::collections::BTreeMap::new();
    for e in &events {
        if let TraceKind::Send { msg, .. } = &e.kind {
            let w = explain::message(&events, &p, *msg);
            seen.entry(format!("{:?}", w.case)).or_insert(w.text());
        }
    }
    for (c, t) in &seen {
        println!("== {c}\n{t}\n");
    }
    for n in 1..=p.voters as u64 {
        println!("== node {n}\n{}\n", explain::node(&events, &p, n).text());
        let mut cases = std::collections::BTreeMap::new();
        for i in 1..40 {
            let w = explain::entry(&events, &p, n, i);
            cases.entry(format!("{:?}", w.case)).or_insert((i, w.text()));
        }
        for (c, (i, t)) in cases {
            println!("-- node {n} entry {i} {c}: {t}\n");
        }
    }
    let _ = (Case::Unknown, Refusal::StaleTerm, messages(&events, &p, &[]));
}

#[test]
#[ignore]
fn dump_msgs() {
    let name = std::env::var("WHY_SCENARIO").unwrap_or("01-leader-election".into());
    let kind = std::env::var("WHY_KIND").unwrap_or("AppendResp".into());
    let (events, p) = builtin(&name);
    for e in &events {
        if let TraceKind::Send { msg, summary, from, to } = &e.kind {
            if format!("{:?}", summary.kind) == kind {
                println!("{} {from}->{to} {:?}", e.time_ms, summary);
                if summary.reject {
                    println!("   {}", explain::message(&events, &p, *msg).text());
                }
            }
        }
    }
}
