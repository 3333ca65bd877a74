//! Known answers for what the model checks of limited and count-only ranges (`count`, `more`)
//! and of reads on both sides of a compaction point.

use check::history::{Input, Operation, Output, Rejection};
use check::{check, Verdict};

fn op(client: u32, call: u64, ret: u64, input: Input, output: Output) -> Operation {
    Operation {
        client,
        call_ms: call,
        return_ms: Some(ret),
        input,
        output,
    }
}

fn put(k: &str, v: &str) -> Input {
    Input::Put {
        key: k.into(),
        value: v.into(),
    }
}

/// a=1@2, b=2@3, c=3@4, one after another.
fn three_keys() -> Vec<Operation> {
    vec![
        op(1, 0, 10, put("a", "1"), Output::Put { revision: 2 }),
        op(1, 20, 30, put("b", "2"), Output::Put { revision: 3 }),
        op(1, 40, 50, put("c", "3"), Output::Put { revision: 4 }),
    ]
}

fn range(limit: i64, count_only: bool) -> Input {
    Input::Range {
        key: "a".into(),
        range_end: "z".into(),
        limit,
        count_only,
    }
}

fn answer(keys: &[(&str, &str, i64)], count: i64, more: bool) -> Output {
    Output::Range {
        kvs: keys
            .iter()
            .map(|(k, v, m)| (k.to_string(), v.to_string(), *m))
            .collect(),
        revision: 4,
        count: Some(count),
        more,
    }
}

fn verdict(extra: Operation) -> bool {
    let mut h = three_keys();
    h.push(extra);
    check(&h).unwrap() == Verdict::Linearizable
}

#[test]
fn limited_ranges_report_every_key_in_count_and_more_only_when_some_were_left_out() {
    let read = |input, output| op(2, 60, 70, input, output);
    let (a, b, c) = (("a", "1", 2), ("b", "2", 3), ("c", "3", 4));
    // Right: limit 2 of 3 keys, limit 3 of 3, no limit, count only.
    assert!(verdict(read(range(2, false), answer(&[a, b], 3, true))));
    assert!(verdict(read(range(3, false), answer(&[a, b, c], 3, false))));
    assert!(verdict(read(range(0, false), answer(&[a, b, c], 3, false))));
    assert!(verdict(read(range(1, true), answer(&[], 3, false))));
    // Wrong: `more` at exactly the limit, a count of the keys returned, too many keys, a
    // count-only range with keys or `more`.
    assert!(!verdict(read(range(3, false), answer(&[a, b, c], 3, true))));
    assert!(!verdict(read(range(2, false), answer(&[a, b], 2, true))));
    assert!(!verdict(read(range(2, false), answer(&[a, b, c], 3, true))));
    assert!(!verdict(read(range(0, true), answer(&[a], 3, false))));
    assert!(!verdict(read(range(2, true), answer(&[], 3, true))));
    // A history recorded without counts is still checked for the rest.
    let no_count = Output::Range {
        kvs: vec![("a".into(), "1".into(), 2)],
        revision: 4,
        count: None,
        more: true,
    };
    assert!(verdict(read(range(1, false), no_count.clone())));
    assert!(!verdict(read(range(2, false), no_count)));
}

fn get_at(revision: i64) -> Input {
    Input::Get {
        key: "a".into(),
        revision: Some(revision),
    }
}

fn compact(revision: i64) -> Input {
    Input::Compact { revision }
}

/// a=1@2, a=2@3, a=3@4, then a compaction at 3 answered at 100.
fn compacted_history() -> Vec<Operation> {
    vec![
        op(1, 0, 10, put("a", "1"), Output::Put { revision: 2 }),
        op(1, 20, 30, put("a", "2"), Output::Put { revision: 3 }),
        op(1, 40, 50, put("a", "3"), Output::Put { revision: 4 }),
        op(9, 60, 100, compact(3), Output::Compact { revision: 4 }),
    ]
}

fn after_compaction(extra: Operation) -> bool {
    let mut h = compacted_history();
    h.push(extra);
    check(&h).unwrap() == Verdict::Linearizable
}

#[test]
fn reads_below_the_compaction_point_fail_and_reads_at_or_above_it_see_the_history() {
    let compacted = Output::Rejected {
        reason: Rejection::Compacted,
    };
    let seen = |v: &str, m| Output::Get {
        kv: Some((v.into(), m)),
        revision: 4,
    };
    let later = |input, output| op(2, 200, 210, input, output);
    // After the compaction: below fails, at and above see the history.
    assert!(after_compaction(later(get_at(2), compacted.clone())));
    assert!(after_compaction(later(get_at(3), seen("2", 3))));
    assert!(after_compaction(later(get_at(4), seen("3", 4))));
    // Wrong: a read below that answers (the compaction recorded one revision low), a read at
    // the point that fails, a read at the point that misses the value.
    assert!(!after_compaction(later(get_at(2), seen("1", 2))));
    assert!(!after_compaction(later(
        get_at(2),
        Output::Get {
            kv: None,
            revision: 4
        }
    )));
    assert!(!after_compaction(later(get_at(3), compacted.clone())));
    assert!(!after_compaction(later(
        get_at(3),
        Output::Get {
            kv: None,
            revision: 4
        }
    )));
    // A future revision fails as such.
    let future = Output::Rejected {
        reason: Rejection::FutureRevision,
    };
    assert!(after_compaction(later(get_at(9), future)));
    // Concurrent with the compaction, a read below may go either way.
    let during = |output| op(2, 70, 80, get_at(2), output);
    assert!(after_compaction(during(compacted.clone())));
    assert!(after_compaction(during(seen("1", 2))));
    // Compacting again at or below the point fails as compacted.
    assert!(after_compaction(later(compact(3), compacted.clone())));
    assert!(!after_compaction(later(
        compact(3),
        Output::Compact { revision: 4 }
    )));
    // A compaction of unknown outcome may have happened or not.
    let mut h = compacted_history();
    h[3].output = Output::Unknown;
    h.push(later(get_at(2), compacted));
    assert_eq!(check(&h).unwrap(), Verdict::Linearizable);
    // ... but once a read saw it, a later read below the point cannot answer.
    h.push(op(2, 300, 310, get_at(2), seen("1", 2)));
    assert!(matches!(
        check(&h).unwrap(),
        Verdict::NotLinearizable { .. }
    ));
}
