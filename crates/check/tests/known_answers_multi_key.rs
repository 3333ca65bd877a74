//! Hand-written histories with known verdicts over several keys: leases and their keys,
//! reads at older revisions, ranges, range deletes and multi-key transactions.

mod common;

use check::history::{Input, Operation, Output, Rejection};
use check::{check_with, CheckOptions, Pass, Verdict};
use common::*;

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
