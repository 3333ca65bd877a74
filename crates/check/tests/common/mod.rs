//! Helpers shared by the known-answer tests: operations, and assertions of a verdict.
// Each test file uses some of them.
#![allow(dead_code)]

use check::history::{Input, Operation, Output};
use check::{check_with, CheckOptions, Pass, Verdict};

pub fn op(client: u32, call: u64, ret: Option<u64>, input: Input, output: Output) -> Operation {
    Operation {
        client,
        call_ms: call,
        return_ms: ret,
        input,
        output,
    }
}

pub fn put(k: &str, v: &str) -> Input {
    Input::Put {
        key: k.into(),
        value: v.into(),
    }
}

pub fn get(k: &str) -> Input {
    Input::Get {
        key: k.into(),
        revision: None,
    }
}

pub fn put_ok(revision: i64) -> Output {
    Output::Put { revision }
}

pub fn seen(v: &str, m: i64, revision: i64) -> Output {
    Output::Get {
        kv: Some((v.into(), m)),
        revision,
    }
}

pub fn absent(revision: i64) -> Output {
    Output::Get { kv: None, revision }
}

pub fn linearizable(h: &[Operation]) {
    check::history::validate(h).unwrap();
    let report = check_with(h, &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Linearizable, "{h:#?}");
    let order = report.linearization.unwrap();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), order.len());
    // The same verdict without the per-key pass.
    let global = CheckOptions {
        per_key_pass: false,
        ..CheckOptions::default()
    };
    assert_eq!(
        check_with(h, &global).unwrap().verdict,
        Verdict::Linearizable
    );
}

/// Asserts a violation; returns (pass, stuck op, explanation).
pub fn violation(h: &[Operation]) -> (Pass, usize, String) {
    let report = check_with(h, &CheckOptions::default()).unwrap();
    let Verdict::NotLinearizable {
        stuck_op,
        explanation,
        longest_prefix,
    } = report.verdict
    else {
        panic!("expected a violation, got {:?} for {h:#?}", report.verdict);
    };
    assert!(!longest_prefix.contains(&stuck_op));
    println!("{explanation}");
    // The global pass alone agrees.
    let global = CheckOptions {
        per_key_pass: false,
        ..CheckOptions::default()
    };
    assert!(matches!(
        check_with(h, &global).unwrap().verdict,
        Verdict::NotLinearizable { .. }
    ));
    (report.decided_by, stuck_op, explanation)
}
