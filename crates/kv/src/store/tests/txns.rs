//! Transactions: compares and branches, one revision per txn, errors that change nothing,
//! nested txns.

use super::*;

#[test]
fn txn_compares_and_branches() {
    let mut s = Store::new();
    put(&mut s, "k", "v"); // rev 2
    let txn = |cmp: Compare| TxnRequest {
        compare: vec![cmp],
        success: vec![RequestOp::Put(PutRequest {
            key: b("ok"),
            value: b("1"),
            ..Default::default()
        })],
        failure: vec![RequestOp::Range(rng("k", ""))],
    };
    use CompareResult::*;
    let cases = [
        (Compare::version("k", Equal, 1), true),
        (Compare::version("k", Greater, 0), true),
        (Compare::version("k", Less, 1), false),
        (Compare::create_revision("k", Equal, 2), true),
        (Compare::mod_revision("k", NotEqual, 2), false),
        (Compare::value("k", Equal, "v"), true),
        (Compare::value("k", Greater, "a"), true),
        (Compare::value("k", Less, "a"), false),
        (Compare::lease("k", Equal, 0), true),
        // Missing key: compares as zero...
        (Compare::version("missing", Equal, 0), true),
        (Compare::create_revision("missing", Equal, 0), true),
        (Compare::mod_revision("missing", Greater, 0), false),
        // ...but a value compare on it always fails, even "!=".
        (Compare::value("missing", NotEqual, "x"), false),
        (Compare::value("missing", Equal, ""), false),
        // A range compare needs every key to match.
        (Compare::version("a", Equal, 1).with_range_end("z"), true),
        (
            Compare::create_revision("a", Greater, 2).with_range_end("z"),
            false,
        ),
    ];
    for (cmp, want) in cases {
        let mut s2 = s.clone();
        let r = s2.txn(&txn(cmp.clone())).unwrap();
        assert_eq!(r.response.succeeded, want, "{cmp:?}");
        if want {
            assert_eq!(r.revision, 3);
            assert_eq!(r.events.len(), 1);
        } else {
            // The failure branch is read-only: no revision.
            assert_eq!(r.revision, 2);
            assert_eq!(s2.current_revision(), 2);
            match &r.response.responses[0] {
                ResponseOp::Range(rr) => assert_eq!(rr.kvs[0].value, b("v")),
                other => panic!("{other:?}"),
            }
        }
    }
    // Compares are ANDed.
    let mut t = txn(Compare::version("k", Equal, 1));
    t.compare.push(Compare::value("k", Equal, "nope"));
    assert!(!s.txn(&t).unwrap().response.succeeded);
}

#[test]
fn txn_is_one_revision_and_sees_own_writes() {
    let mut s = abcde(); // rev 6
    let r = s
        .txn(&TxnRequest {
            compare: vec![],
            success: vec![
                RequestOp::Put(PutRequest {
                    key: b("x"),
                    value: b("1"),
                    ..Default::default()
                }),
                RequestOp::DeleteRange(DeleteRangeRequest {
                    key: b("a"),
                    range_end: b("c"),
                    prev_kv: true,
                }),
                RequestOp::Range(rng("a", "z")),
                RequestOp::Put(PutRequest {
                    key: b("c"),
                    value: b("C"),
                    prev_kv: true,
                    ..Default::default()
                }),
            ],
            failure: vec![],
        })
        .unwrap();
    assert!(r.response.succeeded);
    assert_eq!(r.revision, 7);
    assert_eq!(r.events.len(), 4);
    assert!(r.events.iter().all(|e| e.kv.mod_revision == 7));
    let kinds: Vec<_> = r
        .events
        .iter()
        .map(|e| (e.kind, e.kv.key.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventType::Put, b("x")),
            (EventType::Delete, b("a")),
            (EventType::Delete, b("b")),
            (EventType::Put, b("c")),
        ]
    );
    match &r.response.responses[2] {
        ResponseOp::Range(rr) => {
            assert_eq!(keys(rr), ["c", "d", "e", "x"]);
            assert_eq!(rr.kvs[3].mod_revision, 7);
        }
        other => panic!("{other:?}"),
    }
    match &r.response.responses[3] {
        ResponseOp::Put(p) => assert_eq!(p.prev_kv.as_ref().unwrap().value, b("3")),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.get(b"c").unwrap().version, 2);
}

#[test]
fn txn_errors_change_nothing() {
    let mut s = abcde();
    let before = s.clone();
    let dup = TxnRequest {
        compare: vec![],
        success: vec![
            RequestOp::Put(PutRequest {
                key: b("a"),
                ..Default::default()
            }),
            RequestOp::Put(PutRequest {
                key: b("a"),
                ..Default::default()
            }),
        ],
        failure: vec![],
    };
    assert_eq!(s.txn(&dup), Err(Error::DuplicateKey));
    assert_eq!(
        Error::DuplicateKey.to_string(),
        "etcdserver: duplicate key given in txn request"
    );
    let ignore_missing = TxnRequest {
        compare: vec![],
        success: vec![
            RequestOp::Put(PutRequest {
                key: b("z"),
                value: b("1"),
                ..Default::default()
            }),
            RequestOp::Put(PutRequest {
                key: b("missing"),
                ignore_value: true,
                ..Default::default()
            }),
        ],
        failure: vec![],
    };
    assert_eq!(s.txn(&ignore_missing), Err(Error::KeyNotFound));
    let bad_range = TxnRequest {
        compare: vec![],
        success: vec![
            RequestOp::Put(PutRequest {
                key: b("z"),
                ..Default::default()
            }),
            RequestOp::Range(RangeRequest {
                revision: 100,
                ..rng("a", "")
            }),
        ],
        failure: vec![],
    };
    assert_eq!(s.txn(&bad_range), Err(Error::FutureRev));
    let lease = TxnRequest {
        compare: vec![],
        success: vec![RequestOp::Put(PutRequest {
            key: b("z"),
            lease: 7,
            ..Default::default()
        })],
        failure: vec![],
    };
    assert_eq!(s.txn_with(&lease, |id| id == 8), Err(Error::LeaseNotFound));
    assert_eq!(s, before);
    // The check only covers the branch taken.
    let mut other_branch = ignore_missing.clone();
    other_branch.compare = vec![Compare::version("a", CompareResult::Equal, 99)];
    let r = s.txn(&other_branch).unwrap();
    assert!(!r.response.succeeded);
    assert_eq!(s, before);
}

#[test]
fn nested_txn_uses_pre_txn_state_for_compares() {
    let mut s = Store::new();
    let inner = TxnRequest {
        // "n" does not exist before the outer txn, although the outer txn creates it
        // first: etcd evaluates every compare on the path up front.
        compare: vec![Compare::version("n", CompareResult::Equal, 0)],
        success: vec![RequestOp::Put(PutRequest {
            key: b("inner-success"),
            ..Default::default()
        })],
        failure: vec![RequestOp::Put(PutRequest {
            key: b("inner-failure"),
            ..Default::default()
        })],
    };
    let outer = TxnRequest {
        compare: vec![],
        success: vec![
            RequestOp::Put(PutRequest {
                key: b("n"),
                ..Default::default()
            }),
            RequestOp::Txn(inner),
        ],
        failure: vec![],
    };
    let r = s.txn(&outer).unwrap();
    assert_eq!(r.revision, 2);
    match &r.response.responses[1] {
        ResponseOp::Txn(t) => assert!(t.succeeded),
        other => panic!("{other:?}"),
    }
    assert!(s.get(b"inner-success").is_some());
    assert!(s.get(b"inner-failure").is_none());
}
