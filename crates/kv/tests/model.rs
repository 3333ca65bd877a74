//! Property test: the store against a naive model that keeps a full
//! `BTreeMap<key, KeyValue>` snapshot per revision, over random sequences of
//! put / delete / txn / range / compact / range-at-old-revision. Every response,
//! every event and the revision counter must match.

use std::collections::BTreeMap;

use kv::*;
use proptest::prelude::*;

const KEYS: [&[u8]; 6] = [b"a", b"ab", b"b", b"c", b"d", b"e"];

type State = BTreeMap<Vec<u8>, KeyValue>;

/// The model: one full snapshot per revision (index = revision), plus the events
/// of each revision.
struct Model {
    states: Vec<State>,
    events: Vec<Vec<Event>>,
    compacted: i64,
}

/// Which keys a range selects, written independently of the crate.
#[derive(Clone, Debug)]
enum End {
    Single,
    FromKey,
    Upto(usize),
}

fn range_end(end: &End) -> Vec<u8> {
    match end {
        End::Single => Vec::new(),
        End::FromKey => vec![0],
        End::Upto(i) => KEYS[*i].to_vec(),
    }
}

fn selects(key: &[u8], end: &[u8], k: &[u8]) -> bool {
    if end.is_empty() {
        k == key
    } else if end == [0] {
        k >= key
    } else {
        k >= key && k < end
    }
}

impl Model {
    fn new() -> Self {
        Model {
            states: vec![State::new(), State::new()],
            events: vec![Vec::new(), Vec::new()],
            compacted: 0,
        }
    }

    fn cur(&self) -> i64 {
        self.states.len() as i64 - 1
    }

    fn read_rev(&self, rev: i64) -> Result<i64> {
        if rev > self.cur() {
            return Err(Error::FutureRev);
        }
        let rev = if rev <= 0 { self.cur() } else { rev };
        if rev < self.compacted {
            return Err(Error::Compacted);
        }
        Ok(rev)
    }

    fn range_in(&self, state: &State, req: &RangeRequest) -> RangeResponse {
        let mut kvs: Vec<KeyValue> = state
            .values()
            .filter(|kv| selects(&req.key, &req.range_end, &kv.key))
            .cloned()
            .collect();
        let count = kvs.len() as i64;
        if req.count_only {
            return RangeResponse {
                kvs: vec![],
                more: false,
                count,
            };
        }
        let field = |kv: &KeyValue| -> (Vec<u8>, i64) {
            match req.sort_target {
                SortTarget::Key => (kv.key.clone(), 0),
                SortTarget::Version => (vec![], kv.version),
                SortTarget::Create => (vec![], kv.create_revision),
                SortTarget::Mod => (vec![], kv.mod_revision),
                SortTarget::Value => (kv.value.clone(), 0),
            }
        };
        let order = match (req.sort_order, req.sort_target) {
            (SortOrder::None, SortTarget::Key) => SortOrder::None,
            (SortOrder::None, _) => SortOrder::Ascend,
            (o, _) => o,
        };
        match order {
            SortOrder::None => {}
            SortOrder::Ascend => kvs.sort_by_key(field),
            SortOrder::Descend => kvs.sort_by_key(|kv| std::cmp::Reverse(field(kv))),
        }
        let more = req.limit > 0 && kvs.len() as i64 > req.limit;
        if more {
            kvs.truncate(req.limit as usize);
        }
        if req.keys_only {
            kvs.iter_mut().for_each(|kv| kv.value.clear());
        }
        RangeResponse { kvs, more, count }
    }

    fn range(&self, req: &RangeRequest) -> Result<RangeResponse> {
        let rev = self.read_rev(req.revision)?;
        Ok(self.range_in(&self.states[rev as usize], req))
    }

    fn compact(&mut self, rev: i64) -> Result<()> {
        if rev <= self.compacted {
            return Err(Error::Compacted);
        }
        if rev > self.cur() {
            return Err(Error::FutureRev);
        }
        self.compacted = rev;
        Ok(())
    }

    /// Run ops as one write; `Err` leaves the model unchanged.
    fn write(&mut self, txn: &ModelTxn) -> Result<(TxnResponse, i64, Vec<Event>)> {
        let before = self.states.last().unwrap().clone();
        // Validation of both branches: no key put twice, no put inside a delete.
        for ops in [&txn.success, &txn.failure] {
            let mut puts: Vec<&[u8]> = vec![];
            for op in ops.iter() {
                if let RequestOp::Put(p) = op {
                    if puts.contains(&p.key.as_slice()) {
                        return Err(Error::DuplicateKey);
                    }
                    puts.push(&p.key);
                }
            }
            for op in ops.iter() {
                if let RequestOp::DeleteRange(d) = op {
                    if puts.iter().any(|k| selects(&d.key, &d.range_end, k)) {
                        return Err(Error::DuplicateKey);
                    }
                }
            }
        }
        let succeeded = txn.compare.iter().all(|c| {
            let matched: Vec<&KeyValue> = before
                .values()
                .filter(|kv| selects(&c.key, &c.range_end, &kv.key))
                .collect();
            if matched.is_empty() {
                if c.target == CompareTarget::Value {
                    return false;
                }
                return cmp_ok(c, &KeyValue::default());
            }
            matched.iter().all(|kv| cmp_ok(c, kv))
        });
        let ops = if succeeded {
            &txn.success
        } else {
            &txn.failure
        };
        for op in ops.iter() {
            if let RequestOp::Put(p) = op {
                if p.ignore_value && !before.contains_key(&p.key) {
                    return Err(Error::KeyNotFound);
                }
            }
        }
        for op in ops.iter() {
            if let RequestOp::Range(r) = op {
                if r.revision > self.cur() {
                    return Err(Error::FutureRev);
                }
                if r.revision > 0 && r.revision < self.compacted {
                    return Err(Error::Compacted);
                }
            }
        }
        let rev = self.cur() + 1;
        let mut state = before.clone();
        let mut events = vec![];
        let mut responses = vec![];
        for op in ops.iter() {
            responses.push(match op {
                RequestOp::Put(p) => {
                    let prev = state.get(&p.key).cloned();
                    let kv = KeyValue {
                        key: p.key.clone(),
                        create_revision: prev.as_ref().map_or(rev, |p| p.create_revision),
                        mod_revision: rev,
                        version: prev.as_ref().map_or(1, |p| p.version + 1),
                        value: if p.ignore_value {
                            prev.as_ref().unwrap().value.clone()
                        } else {
                            p.value.clone()
                        },
                        lease: p.lease,
                    };
                    state.insert(p.key.clone(), kv.clone());
                    events.push(Event {
                        kind: EventType::Put,
                        kv,
                        prev_kv: prev.clone(),
                    });
                    ResponseOp::Put(PutResponse {
                        prev_kv: if p.prev_kv { prev } else { None },
                    })
                }
                RequestOp::DeleteRange(d) => {
                    let gone: Vec<KeyValue> = state
                        .values()
                        .filter(|kv| selects(&d.key, &d.range_end, &kv.key))
                        .cloned()
                        .collect();
                    for kv in &gone {
                        state.remove(&kv.key);
                        events.push(Event {
                            kind: EventType::Delete,
                            kv: KeyValue {
                                key: kv.key.clone(),
                                mod_revision: rev,
                                ..Default::default()
                            },
                            prev_kv: Some(kv.clone()),
                        });
                    }
                    ResponseOp::DeleteRange(DeleteRangeResponse {
                        deleted: gone.len() as i64,
                        prev_kvs: if d.prev_kv { gone } else { vec![] },
                    })
                }
                RequestOp::Range(r) => {
                    let resp = if r.revision <= 0 {
                        self.range_in(&state, r)
                    } else {
                        self.range_in(&self.states[r.revision as usize], r)
                    };
                    ResponseOp::Range(resp)
                }
                RequestOp::Txn(_) => unreachable!("not generated"),
            });
        }
        if !events.is_empty() {
            self.states.push(state);
            self.events.push(events.clone());
        }
        Ok((
            TxnResponse {
                succeeded,
                responses,
            },
            self.cur(),
            events,
        ))
    }
}

fn cmp_ok(c: &Compare, kv: &KeyValue) -> bool {
    use std::cmp::Ordering;
    let ord: Ordering = match (&c.target, &c.value) {
        (CompareTarget::Version, TargetUnion::Version(v)) => kv.version.cmp(v),
        (CompareTarget::Create, TargetUnion::CreateRevision(v)) => kv.create_revision.cmp(v),
        (CompareTarget::Mod, TargetUnion::ModRevision(v)) => kv.mod_revision.cmp(v),
        (CompareTarget::Value, TargetUnion::Value(v)) => kv.value.cmp(v),
        (CompareTarget::Lease, TargetUnion::Lease(v)) => kv.lease.cmp(v),
        _ => unreachable!("generated consistently"),
    };
    match c.result {
        CompareResult::Equal => ord.is_eq(),
        CompareResult::NotEqual => ord.is_ne(),
        CompareResult::Greater => ord.is_gt(),
        CompareResult::Less => ord.is_lt(),
        CompareResult::Unknown(_) => unreachable!("not generated"),
    }
}

#[derive(Clone, Debug)]
struct ModelTxn {
    compare: Vec<Compare>,
    success: Vec<RequestOp>,
    failure: Vec<RequestOp>,
}

impl ModelTxn {
    fn request(&self) -> TxnRequest {
        TxnRequest {
            compare: self.compare.clone(),
            success: self.success.clone(),
            failure: self.failure.clone(),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Put(PutRequest),
    Delete(DeleteRangeRequest),
    Txn(ModelTxn),
    /// A range; `back` revisions before the current one (0 = latest).
    Range(RangeRequest, i64),
    /// Compact `back` revisions before the current one.
    Compact(i64),
}

fn key() -> impl Strategy<Value = usize> {
    0..KEYS.len()
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        3 => Just(End::Single),
        1 => Just(End::FromKey),
        2 => key().prop_map(End::Upto),
    ]
}

fn put_req() -> impl Strategy<Value = PutRequest> {
    (
        key(),
        0u8..4,
        0i64..3,
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(k, v, lease, prev_kv, ignore_value)| PutRequest {
            key: KEYS[k].to_vec(),
            value: if ignore_value { vec![] } else { vec![b'0' + v] },
            lease,
            prev_kv,
            ignore_value,
            ignore_lease: false,
        })
}

fn delete_req() -> impl Strategy<Value = DeleteRangeRequest> {
    (key(), end(), any::<bool>()).prop_map(|(k, e, prev_kv)| DeleteRangeRequest {
        key: KEYS[k].to_vec(),
        range_end: range_end(&e),
        prev_kv,
    })
}

fn range_req() -> impl Strategy<Value = RangeRequest> {
    let sort_order = prop_oneof![
        Just(SortOrder::None),
        Just(SortOrder::Ascend),
        Just(SortOrder::Descend)
    ];
    let sort_target = prop_oneof![
        Just(SortTarget::Key),
        Just(SortTarget::Version),
        Just(SortTarget::Create),
        Just(SortTarget::Mod),
        Just(SortTarget::Value)
    ];
    (
        key(),
        end(),
        0i64..4,
        sort_order,
        sort_target,
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(k, e, limit, sort_order, sort_target, count_only, keys_only)| RangeRequest {
                key: KEYS[k].to_vec(),
                range_end: range_end(&e),
                limit,
                sort_order,
                sort_target,
                count_only,
                keys_only,
                ..Default::default()
            },
        )
}

fn compare() -> impl Strategy<Value = Compare> {
    let result = prop_oneof![
        Just(CompareResult::Equal),
        Just(CompareResult::NotEqual),
        Just(CompareResult::Greater),
        Just(CompareResult::Less)
    ];
    (key(), end(), result, 0u8..5, 0i64..8).prop_map(|(k, e, result, which, n)| {
        let key = KEYS[k].to_vec();
        let c = match which {
            0 => Compare::version(key, result, n % 4),
            1 => Compare::create_revision(key, result, n),
            2 => Compare::mod_revision(key, result, n),
            3 => Compare::value(key, result, vec![b'0' + (n % 4) as u8]),
            _ => Compare::lease(key, result, n % 3),
        };
        c.with_range_end(range_end(&e))
    })
}

fn txn_op() -> impl Strategy<Value = RequestOp> {
    prop_oneof![
        3 => put_req().prop_map(RequestOp::Put),
        2 => delete_req().prop_map(RequestOp::DeleteRange),
        2 => (range_req(), -2i64..4).prop_map(|(mut r, rev)| {
            r.revision = rev; // may be compacted or in the future
            RequestOp::Range(r)
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => put_req().prop_map(Op::Put),
        2 => delete_req().prop_map(Op::Delete),
        3 => (
            prop::collection::vec(compare(), 0..3),
            prop::collection::vec(txn_op(), 0..4),
            prop::collection::vec(txn_op(), 0..3),
        )
            .prop_map(|(compare, success, failure)| Op::Txn(ModelTxn {
                compare,
                success,
                failure,
            })),
        4 => (range_req(), 0i64..6).prop_map(|(r, back)| Op::Range(r, back)),
        1 => (-1i64..5).prop_map(Op::Compact),
    ]
}

/// `txn` ops carry absolute range revisions derived from small numbers; map them
/// into the interesting zone around the compaction point and the present.
fn place_revisions(t: &ModelTxn, cur: i64) -> ModelTxn {
    let fix = |ops: &[RequestOp]| -> Vec<RequestOp> {
        ops.iter()
            .map(|op| match op {
                RequestOp::Range(r) if r.revision > 0 => {
                    let mut r = r.clone();
                    r.revision = (cur + 2 - r.revision).max(1);
                    RequestOp::Range(r)
                }
                other => other.clone(),
            })
            .collect()
    };
    ModelTxn {
        compare: t.compare.clone(),
        success: fix(&t.success),
        failure: fix(&t.failure),
    }
}

fn check_history(store: &Store, model: &Model) {
    // Every revision from the compaction point on reads exactly like the model.
    let all = RangeRequest {
        key: vec![0],
        range_end: vec![0],
        ..Default::default()
    };
    for rev in model.compacted.max(1)..=model.cur() {
        let req = RangeRequest {
            revision: rev,
            ..all.clone()
        };
        assert_eq!(store.range(&req), model.range(&req), "full read at {rev}");
    }
    // History replay matches the recorded events.
    let start = model.compacted + 1;
    let want: Vec<Event> = model.events[start as usize..].concat();
    assert_eq!(store.events_since(start, &[0], &[0]).unwrap(), want);
    let want_b: Vec<Event> = want.iter().filter(|e| e.kv.key == b"b").cloned().collect();
    assert_eq!(store.events_since(start, b"b", b"").unwrap(), want_b);
    if model.compacted > 0 {
        assert_eq!(
            store.events_since(model.compacted - 1, &[0], &[0]),
            Err(Error::Compacted)
        );
        // From the compaction point itself (etcd's watch allows it): every change made at that
        // revision, deletes included (etcd since 3.5.16, #18089), then the rest.
        let from = store.events_since(model.compacted, &[0], &[0]).unwrap();
        let at = &model.events[model.compacted as usize];
        assert_eq!(from.len(), at.len() + want.len());
        for (got, want) in from.iter().zip(at) {
            assert_eq!(
                (got.kind, &got.kv.key, got.kv.mod_revision),
                (want.kind, &want.kv.key, want.kv.mod_revision)
            );
        }
        assert_eq!(&from[at.len()..], &want[..]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut store = Store::new();
        let mut model = Model::new();
        for op in &ops {
            match op {
                Op::Put(p) => {
                    let t = ModelTxn { compare: vec![], success: vec![RequestOp::Put(p.clone())], failure: vec![] };
                    let want = model.write(&t);
                    let got = store.put(p);
                    match (got, want) {
                        (Ok(g), Ok((resp, rev, events))) => {
                            prop_assert_eq!(ResponseOp::Put(g.response), resp.responses[0].clone());
                            prop_assert_eq!(g.revision, rev);
                            prop_assert_eq!(g.events, events);
                        }
                        (g, w) => prop_assert_eq!(g.err(), w.err()),
                    }
                }
                Op::Delete(d) => {
                    let t = ModelTxn { compare: vec![], success: vec![RequestOp::DeleteRange(d.clone())], failure: vec![] };
                    let (resp, rev, events) = model.write(&t).unwrap();
                    let g = store.delete_range(d).unwrap();
                    prop_assert_eq!(ResponseOp::DeleteRange(g.response), resp.responses[0].clone());
                    prop_assert_eq!(g.revision, rev);
                    prop_assert_eq!(g.events, events);
                }
                Op::Txn(t) => {
                    let t = place_revisions(t, model.cur());
                    let want = model.write(&t);
                    let got = store.txn(&t.request());
                    match (got, want) {
                        (Ok(g), Ok((resp, rev, events))) => {
                            prop_assert_eq!(g.response, resp);
                            prop_assert_eq!(g.revision, rev);
                            prop_assert_eq!(g.events, events);
                        }
                        (g, w) => prop_assert_eq!(g.err(), w.err()),
                    }
                }
                Op::Range(r, back) => {
                    let mut r = r.clone();
                    if *back > 0 {
                        r.revision = model.cur() - back + 1; // may be compacted or even 1
                        if r.revision <= 0 { r.revision = model.cur() + 1; } // a future read
                    }
                    prop_assert_eq!(store.range(&r), model.range(&r));
                }
                Op::Compact(back) => {
                    let rev = model.cur() - back;
                    prop_assert_eq!(store.compact(rev), model.compact(rev));
                }
            }
            prop_assert_eq!(store.current_revision(), model.cur());
            prop_assert_eq!(store.compact_revision(), model.compacted);
        }
        check_history(&store, &model);
        // A restored snapshot is the same store.
        let restored = Store::restore(&store.snapshot()).unwrap();
        prop_assert_eq!(restored.hash_kv(0), store.hash_kv(0));
        check_history(&restored, &model);
    }
}
