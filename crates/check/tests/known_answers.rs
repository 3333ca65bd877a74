//! Hand-written histories with known verdicts: one key (stale reads, lost writes, unknown
//! outcomes, compare-and-set), and histories the checker refuses or gives up on.

mod common;

use check::history::{Input, Output};
use check::{check, check_with, CheckOptions, Error, Pass, Verdict};
use common::*;

#[test]
fn empty_and_sequential() {
    linearizable(&[]);
    linearizable(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 20, Some(30), get("x"), seen("1", 2, 2)),
        op(1, 40, Some(50), get("y"), absent(2)),
    ]);
}

#[test]
fn stale_read() {
    let h = [
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(1, 20, Some(30), put("x", "2"), put_ok(3)),
        op(2, 40, Some(50), get("x"), seen("1", 2, 2)),
    ];
    let (pass, stuck, explanation) = violation(&h);
    assert_eq!(pass, Pass::PerKey);
    // Either the read cannot go after the second put, or the put cannot go before the read.
    assert!(
        stuck == 2 || explanation.contains("operation #2"),
        "{explanation}"
    );
    assert!(explanation.contains("key \"x\""), "{explanation}");
    // Stale value under a current header revision: caught too.
    let mut h2 = h.clone();
    h2[2].output = seen("1", 2, 3);
    violation(&h2);
}

#[test]
fn lost_write() {
    // An acknowledged put is never visible to a later read.
    violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 20, Some(30), get("x"), absent(1)),
    ]);
    // ... even when the read's revision claims to include it.
    violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 20, Some(30), get("x"), absent(2)),
    ]);
}

#[test]
fn read_of_a_value_never_written() {
    let (_, stuck, explanation) = violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 5, Some(30), get("x"), seen("ghost", 2, 2)),
    ]);
    assert_eq!(stuck, 1);
    assert!(explanation.contains("ghost"), "{explanation}");
}

#[test]
fn write_visible_then_invisible() {
    violation(&[
        op(1, 0, Some(100), put("x", "1"), put_ok(2)),
        op(2, 10, Some(20), get("x"), seen("1", 2, 2)),
        op(3, 30, Some(40), get("x"), absent(1)),
    ]);
}

#[test]
fn revisions_going_backwards() {
    // Values are right, but the second read's header revision is older than the put of y
    // that finished before it started: only the global model sees it.
    let (pass, stuck, explanation) = violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(1, 20, Some(30), put("y", "1"), put_ok(3)),
        op(2, 40, Some(50), get("x"), seen("1", 2, 2)),
    ]);
    assert_eq!(pass, Pass::Global);
    assert!(
        stuck == 2 || explanation.contains("operation #2"),
        "{explanation}"
    );
    // Sequential writes to different keys whose revisions decrease.
    violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(3)),
        op(2, 20, Some(30), put("y", "1"), put_ok(2)),
    ]);
    // A put that does not raise the revision.
    violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(1, 20, Some(30), put("x", "2"), put_ok(2)),
    ]);
}

#[test]
fn concurrent_ops_linearize_either_way() {
    // A read concurrent with a put may or may not see it; a later one must.
    linearizable(&[
        op(1, 0, Some(100), put("x", "1"), put_ok(2)),
        op(2, 10, Some(20), get("x"), absent(1)),
        op(3, 30, Some(40), get("x"), seen("1", 2, 2)),
    ]);
    linearizable(&[
        op(1, 0, Some(100), put("x", "1"), put_ok(2)),
        op(2, 10, Some(20), get("x"), seen("1", 2, 2)),
        op(3, 110, Some(120), get("x"), seen("1", 2, 2)),
    ]);
    // Overlapping puts: the revisions say which went first, listed in either order.
    for (a, b) in [(2, 3), (3, 2)] {
        let last = if a > b { "1" } else { "2" };
        linearizable(&[
            op(1, 0, Some(50), put("x", "1"), put_ok(a)),
            op(2, 10, Some(40), put("x", "2"), put_ok(b)),
            op(3, 60, Some(70), get("x"), seen(last, 3, 3)),
        ]);
    }
    // Ops touching at the same millisecond count as concurrent.
    linearizable(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 10, Some(20), get("x"), absent(1)),
    ]);
}

#[test]
fn unknown_write_that_must_have_happened() {
    let unknown_put = op(1, 0, None, put("x", "1"), Output::Unknown);
    // Seen by a read.
    linearizable(&[
        unknown_put.clone(),
        op(2, 10, Some(20), get("x"), seen("1", 2, 2)),
    ]);
    // Not seen, but something raised the revision before y's put.
    linearizable(&[
        unknown_put.clone(),
        op(2, 10, Some(20), put("y", "a"), put_ok(3)),
    ]);
    // Seen, but at a revision it cannot have had.
    violation(&[
        unknown_put.clone(),
        op(2, 10, Some(20), get("x"), seen("1", 3, 3)),
    ]);
    // Without the unknown write that revision is impossible.
    violation(&[op(2, 10, Some(20), put("y", "a"), put_ok(3))]);
    // A timed-out write may still take effect after the client gave up.
    linearizable(&[
        op(1, 0, Some(5), put("x", "1"), Output::Unknown),
        op(2, 10, Some(20), get("x"), absent(1)),
        op(2, 30, Some(40), get("x"), seen("1", 2, 2)),
    ]);
}

#[test]
fn unknown_write_that_must_not_have_happened() {
    let unknown_put = op(1, 0, None, put("x", "1"), Output::Unknown);
    // y's put got revision 2, so the unknown write had not happened yet, and it cannot be
    // seen at revision 2.
    linearizable(&[
        unknown_put.clone(),
        op(2, 10, Some(20), put("y", "a"), put_ok(2)),
        op(2, 30, Some(40), get("x"), absent(2)),
    ]);
    violation(&[
        unknown_put.clone(),
        op(2, 10, Some(20), put("y", "a"), put_ok(2)),
        op(2, 30, Some(40), get("x"), seen("1", 2, 2)),
    ]);
    // Visible, then invisible: not explained by any choice.
    violation(&[
        unknown_put,
        op(2, 10, Some(20), get("x"), seen("1", 2, 2)),
        op(2, 30, Some(40), get("x"), absent(2)),
    ]);
}

#[test]
fn failed_reads_are_ignored() {
    linearizable(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 20, Some(30), get("x"), Output::Unknown),
        op(2, 40, None, get("x"), Output::Unknown),
    ]);
}

#[test]
fn delete_of_nothing_keeps_the_revision() {
    let del = |k: &str| Input::Delete { key: k.into() };
    let deleted = |n, revision| Output::Delete {
        deleted: n,
        revision,
    };
    linearizable(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(1, 20, Some(30), del("y"), deleted(0, 2)),
        op(1, 40, Some(50), del("x"), deleted(1, 3)),
        op(1, 60, Some(70), put("z", "1"), put_ok(4)),
        op(1, 80, Some(90), get("x"), absent(4)),
    ]);
    violation(&[
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(1, 20, Some(30), del("y"), deleted(0, 3)),
    ]);
    violation(&[op(1, 0, Some(10), del("x"), deleted(1, 2))]);
}

#[test]
fn compare_and_set() {
    let cas = |expected: i64, v: &str| Input::Cas {
        key: "x".into(),
        expected_mod_revision: expected,
        value: v.into(),
    };
    let res = |succeeded, revision| Output::Cas {
        succeeded,
        revision,
    };
    linearizable(&[
        op(1, 0, Some(10), cas(0, "a"), res(true, 2)),
        op(1, 20, Some(30), cas(0, "b"), res(false, 2)),
        op(1, 40, Some(50), cas(2, "c"), res(true, 3)),
        op(1, 60, Some(70), get("x"), seen("c", 3, 3)),
    ]);
    // Two concurrent creates cannot both win.
    violation(&[
        op(1, 0, Some(10), cas(0, "a"), res(true, 2)),
        op(2, 0, Some(10), cas(0, "b"), res(true, 3)),
    ]);
    // One wins, the other loses: either order.
    linearizable(&[
        op(1, 0, Some(10), cas(0, "a"), res(true, 2)),
        op(2, 0, Some(10), cas(0, "b"), res(false, 2)),
    ]);
}

#[test]
fn malformed_histories_are_errors() {
    let backwards = op(1, 10, Some(5), put("x", "1"), put_ok(2));
    assert!(matches!(
        check(&[backwards]),
        Err(Error::Malformed { index: 0, .. })
    ));
    let wrong_kind = op(1, 0, Some(5), put("x", "1"), absent(1));
    assert!(matches!(check(&[wrong_kind]), Err(Error::Malformed { .. })));
    let never_returned = op(1, 0, None, put("x", "1"), put_ok(2));
    assert!(matches!(
        check(&[never_returned]),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn step_budget_gives_unknown() {
    let h = [
        op(1, 0, Some(10), put("x", "1"), put_ok(2)),
        op(2, 20, Some(30), get("x"), seen("1", 2, 2)),
    ];
    let options = CheckOptions {
        max_steps: 1,
        per_key_pass: false,
    };
    assert_eq!(check_with(&h, &options).unwrap().verdict, Verdict::Unknown);
}
