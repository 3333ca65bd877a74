//! Hand-written histories with known verdicts.

use check::history::{Input, Operation, Output, Rejection};
use check::{check, check_with, CheckOptions, Error, Pass, Verdict};

fn op(client: u32, call: u64, ret: Option<u64>, input: Input, output: Output) -> Operation {
    Operation {
        client,
        call_ms: call,
        return_ms: ret,
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

fn get(k: &str) -> Input {
    Input::Get {
        key: k.into(),
        revision: None,
    }
}

fn put_ok(revision: i64) -> Output {
    Output::Put { revision }
}

fn seen(v: &str, m: i64, revision: i64) -> Output {
    Output::Get {
        kv: Some((v.into(), m)),
        revision,
    }
}

fn absent(revision: i64) -> Output {
    Output::Get { kv: None, revision }
}

fn linearizable(h: &[Operation]) {
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
fn violation(h: &[Operation]) -> (Pass, usize, String) {
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
fn leases_revoke_attached_keys_in_one_revision() {
    let grant = |id| Input::LeaseGrant { id, ttl: 60 };
    let lease_ok = |id, revision| Output::Lease { id, revision };
    let put_lease = |k: &str, lease| Input::PutWithLease {
        key: k.into(),
        value: "v".into(),
        lease,
    };
    let history = vec![
        op(1, 0, Some(10), grant(5), lease_ok(5, 1)),
        op(1, 20, Some(30), put_lease("x", 5), put_ok(2)),
        op(1, 40, Some(50), put_lease("y", 5), put_ok(3)),
        op(1, 60, Some(70), put("z", "1"), put_ok(4)),
        op(
            1,
            80,
            Some(90),
            Input::LeaseRevoke { id: 5 },
            lease_ok(5, 5),
        ),
        op(2, 100, Some(110), get("x"), absent(5)),
        op(2, 120, Some(130), get("z"), seen("1", 4, 5)),
        op(
            2,
            140,
            Some(150),
            put_lease("w", 5),
            Output::Rejected {
                reason: Rejection::LeaseNotFound,
            },
        ),
        op(
            2,
            160,
            Some(170),
            Input::LeaseRevoke { id: 5 },
            Output::Rejected {
                reason: Rejection::LeaseNotFound,
            },
        ),
    ];
    linearizable(&history);
    // One revision for both deletes, not two.
    let mut two = history.clone();
    two[4].output = lease_ok(5, 6);
    two.truncate(5);
    violation(&two);
    // A key attached to a revoked lease that is still readable.
    let mut alive = history.clone();
    alive[5].output = seen("v", 2, 5);
    violation(&alive);
    // Server-chosen lease IDs: any free ID will do, but not a live one.
    linearizable(&[
        op(1, 0, Some(10), grant(0), lease_ok(77, 1)),
        op(1, 20, Some(30), put_lease("x", 77), put_ok(2)),
    ]);
    violation(&[
        op(1, 0, Some(10), grant(7), lease_ok(7, 1)),
        op(1, 20, Some(30), grant(0), lease_ok(7, 1)),
    ]);
}

#[test]
fn reads_at_older_revisions() {
    let get_at = |r| Input::Get {
        key: "x".into(),
        revision: Some(r),
    };
    let base = [
        op(1, 0, Some(10), put("x", "a"), put_ok(2)),
        op(1, 20, Some(30), put("x", "b"), put_ok(3)),
        op(
            1,
            40,
            Some(50),
            Input::Delete { key: "x".into() },
            Output::Delete {
                deleted: 1,
                revision: 4,
            },
        ),
    ];
    let mut good = base.to_vec();
    good.push(op(2, 60, Some(70), get_at(2), seen("a", 2, 4)));
    good.push(op(2, 60, Some(70), get_at(3), seen("b", 3, 4)));
    good.push(op(2, 60, Some(70), get_at(1), absent(4)));
    linearizable(&good);
    let mut bad = base.to_vec();
    bad.push(op(2, 60, Some(70), get_at(2), seen("b", 3, 4)));
    violation(&bad);
}

#[test]
fn ranges() {
    let range = |k: &str, end: &str| Input::Range {
        key: k.into(),
        range_end: end.into(),
        limit: 0,
        count_only: false,
    };
    let base = [
        op(1, 0, Some(10), put("a", "1"), put_ok(2)),
        op(1, 20, Some(30), put("b", "2"), put_ok(3)),
        op(1, 20, Some(30), put("c", "3"), put_ok(4)),
    ];
    let kvs = |items: &[(&str, &str, i64)]| Output::Range {
        kvs: items
            .iter()
            .map(|(k, v, m)| (k.to_string(), v.to_string(), *m))
            .collect(),
        revision: 4,
        count: None,
        more: false,
    };
    let mut good = base.to_vec();
    good.push(op(
        2,
        40,
        Some(50),
        range("a", "c"),
        kvs(&[("a", "1", 2), ("b", "2", 3)]),
    ));
    good.push(op(
        2,
        40,
        Some(50),
        range("b", "\0"),
        kvs(&[("b", "2", 3), ("c", "3", 4)]),
    ));
    linearizable(&good);
    let mut bad = base.to_vec();
    bad.push(op(
        2,
        40,
        Some(50),
        range("a", "\0"),
        kvs(&[("a", "1", 2), ("c", "3", 4)]),
    ));
    violation(&bad);
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

fn del_range(k: &str, end: &str) -> Input {
    Input::DeleteRange {
        key: k.into(),
        range_end: end.into(),
    }
}

fn deleted(n: i64, revision: i64) -> Output {
    Output::Delete {
        deleted: n,
        revision,
    }
}

/// Three keys written one after the other: a@2, b@3, c@4.
fn three_keys() -> Vec<Operation> {
    vec![
        op(1, 0, Some(10), put("a", "1"), put_ok(2)),
        op(1, 20, Some(30), put("b", "2"), put_ok(3)),
        op(1, 40, Some(50), put("c", "3"), put_ok(4)),
    ]
}

#[test]
fn range_deletes() {
    // [a, c) removes a and b in one revision; c stays; "\0" removes everything from a key on.
    let mut h = three_keys();
    h.push(op(2, 60, Some(70), del_range("a", "c"), deleted(2, 5)));
    h.push(op(3, 80, Some(90), get("a"), absent(5)));
    h.push(op(3, 100, Some(110), get("c"), seen("3", 4, 5)));
    h.push(op(2, 120, Some(130), del_range("b", "\0"), deleted(1, 6)));
    h.push(op(2, 140, Some(150), del_range("a", "z"), deleted(0, 6)));
    linearizable(&h);

    // A deleted key read back afterwards.
    let mut stale = three_keys();
    stale.push(op(2, 60, Some(70), del_range("a", "c"), deleted(2, 5)));
    stale.push(op(3, 80, Some(90), get("b"), seen("2", 3, 5)));
    violation(&stale);

    // The count must be the number of live keys in the range.
    let mut miscount = three_keys();
    miscount.push(op(2, 60, Some(70), del_range("a", "c"), deleted(1, 5)));
    violation(&miscount);
}

#[test]
fn a_range_delete_of_unknown_outcome_is_atomic() {
    // Either both a and b went, or neither: a read that finds a gone but b still there (both
    // after the delete was called, nothing else writing) cannot be explained.
    let mut h = three_keys();
    h.push(op(2, 60, None, del_range("a", "c"), Output::Unknown));
    h.push(op(3, 80, Some(90), get("a"), absent(5)));
    h.push(op(3, 100, Some(110), get("b"), seen("2", 3, 5)));
    violation(&h);
    // Both gone, or both there: fine.
    let mut gone = three_keys();
    gone.push(op(2, 60, None, del_range("a", "c"), Output::Unknown));
    gone.push(op(3, 80, Some(90), get("a"), absent(5)));
    gone.push(op(3, 100, Some(110), get("b"), absent(5)));
    linearizable(&gone);
    let mut kept = three_keys();
    kept.push(op(2, 60, None, del_range("a", "c"), Output::Unknown));
    kept.push(op(3, 80, Some(90), get("a"), seen("1", 2, 4)));
    linearizable(&kept);
}

#[test]
fn keys_in_a_deleted_range_stay_out_of_the_per_key_pass() {
    // Alone, key a's sub-history (put, then an absent read) would look like a lost write.
    let h = vec![
        op(1, 0, Some(10), put("a", "1"), put_ok(2)),
        op(2, 20, Some(30), del_range("a", "b"), deleted(1, 3)),
        op(1, 40, Some(50), get("a"), absent(3)),
    ];
    let report = check_with(&h, &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Linearizable);
    assert_eq!(report.decided_by, Pass::Global);
}

fn txn(compares: Vec<check::history::Comparison>, success: Vec<check::history::TxnWrite>) -> Input {
    Input::Txn {
        compares,
        success,
        failure: vec![],
    }
}

fn value_is(k: &str, v: &str) -> check::history::Comparison {
    check::history::Comparison {
        key: k.into(),
        op: check::history::CmpOp::Equal,
        target: check::history::CmpTarget::Value(v.into()),
    }
}

fn version_is(k: &str, n: i64) -> check::history::Comparison {
    check::history::Comparison {
        key: k.into(),
        op: check::history::CmpOp::Equal,
        target: check::history::CmpTarget::Version(n),
    }
}

fn txn_put(k: &str, v: &str) -> check::history::TxnWrite {
    check::history::TxnWrite::Put {
        key: k.into(),
        value: v.into(),
        lease: 0,
    }
}

fn txn_ok(succeeded: bool, revision: i64) -> Output {
    Output::Cas {
        succeeded,
        revision,
    }
}

#[test]
fn multi_compare_transactions() {
    // a=1 (version 1), b=2; a txn that needs both and writes two keys at one revision.
    let both = || {
        txn(
            vec![value_is("a", "1"), version_is("b", 1)],
            vec![txn_put("c", "3"), txn_put("d", "4")],
        )
    };
    let mut h = vec![
        op(1, 0, Some(10), put("a", "1"), put_ok(2)),
        op(1, 20, Some(30), put("b", "2"), put_ok(3)),
        op(2, 40, Some(50), both(), txn_ok(true, 4)),
        op(3, 60, Some(70), get("d"), seen("4", 4, 4)),
    ];
    linearizable(&h);
    // After b is written again its version is 2: the same txn must fail (and write nothing).
    h.push(op(1, 80, Some(90), put("b", "5"), put_ok(5)));
    h.push(op(2, 100, Some(110), both(), txn_ok(false, 5)));
    linearizable(&h);
    let mut wrong = h.clone();
    wrong[5].output = txn_ok(true, 6);
    violation(&wrong);
    // A success the comparisons cannot explain: a was never "9".
    let stale = vec![
        op(1, 0, Some(10), put("a", "1"), put_ok(2)),
        op(
            2,
            20,
            Some(30),
            txn(vec![value_is("a", "9")], vec![txn_put("c", "3")]),
            txn_ok(true, 3),
        ),
    ];
    violation(&stale);
}

#[test]
fn a_transaction_of_unknown_outcome_writes_all_or_nothing() {
    let t = txn(vec![], vec![txn_put("a", "1"), txn_put("b", "2")]);
    let h = vec![
        op(1, 0, None, t.clone(), Output::Unknown),
        op(2, 20, Some(30), get("a"), seen("1", 2, 2)),
        op(2, 40, Some(50), get("b"), absent(2)),
    ];
    violation(&h);
    let h = vec![
        op(1, 0, None, t, Output::Unknown),
        op(2, 20, Some(30), get("a"), seen("1", 2, 2)),
        op(2, 40, Some(50), get("b"), seen("2", 2, 2)),
    ];
    linearizable(&h);
}
