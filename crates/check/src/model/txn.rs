//! Transactions in the KV model: etcd's comparisons (with its rules for missing keys) and the
//! writes of the branch they choose, all at one revision.

use std::cmp::Ordering;
use std::sync::Arc;

use super::store::{in_range, KvModel, KvState};
use crate::history::{CmpOp, CmpTarget, Comparison, Output, Rejection, TxnWrite};

/// Whether `c` holds in `state`. A missing key has version, create and mod revision and lease
/// 0; comparing the value of a missing key fails (etcd: "nil == empty string in grpc; no way to
/// represent missing value").
pub(super) fn holds(state: &KvState, c: &Comparison) -> bool {
    let kv = state.keys.get(c.key.as_str());
    let ord = match (&c.target, kv) {
        (CmpTarget::Value(_), None) => return false,
        (CmpTarget::Value(v), Some(kv)) => (*kv.value).cmp(v.as_str()),
        (CmpTarget::Version(n), kv) => kv.map_or(0, |kv| kv.version).cmp(n),
        (CmpTarget::Create(n), kv) => kv.map_or(0, |kv| kv.create_revision).cmp(n),
        (CmpTarget::Mod(n), kv) => kv.map_or(0, |kv| kv.mod_revision).cmp(n),
        (CmpTarget::Lease(n), kv) => kv.map_or(0, |kv| kv.lease).cmp(n),
    };
    match c.op {
        CmpOp::Equal => ord == Ordering::Equal,
        CmpOp::Greater => ord == Ordering::Greater,
        CmpOp::Less => ord == Ordering::Less,
        CmpOp::NotEqual => ord != Ordering::Equal,
    }
}

impl KvModel {
    /// A transaction: the response, and the new state if a write changed something.
    pub(super) fn txn(
        &self,
        state: &KvState,
        compares: &[Comparison],
        success: &[TxnWrite],
        failure: &[TxnWrite],
    ) -> (Output, Option<KvState>) {
        let succeeded = compares.iter().all(|c| holds(state, c));
        let writes = if succeeded { success } else { failure };
        let missing_lease = writes.iter().any(|w| {
            matches!(w, TxnWrite::Put { lease, .. } if *lease != 0 && !state.leases.contains(lease))
        });
        if missing_lease {
            let out = Output::Rejected {
                reason: Rejection::LeaseNotFound,
            };
            return (out, None);
        }
        let mut next = state.clone();
        next.revision += 1;
        let mut changed = false;
        for w in writes {
            match w {
                TxnWrite::Put { key, value, lease } => {
                    self.write(&mut next, key, value, *lease);
                    changed = true;
                }
                TxnWrite::Delete { key, range_end } => {
                    let doomed: Vec<Arc<str>> = in_range(&next, key, range_end)
                        .map(|(k, _)| k.clone())
                        .collect();
                    changed |= !doomed.is_empty();
                    for k in &doomed {
                        self.remove(&mut next, k);
                    }
                }
            }
        }
        match changed {
            true => {
                let revision = next.revision;
                (
                    Output::Cas {
                        succeeded,
                        revision,
                    },
                    Some(next),
                )
            }
            false => {
                let revision = state.revision;
                (
                    Output::Cas {
                        succeeded,
                        revision,
                    },
                    None,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Input;

    fn model() -> KvModel {
        KvModel {
            keep_versions: false,
            compare_meta: true,
        }
    }

    fn cmp(key: &str, op: CmpOp, target: CmpTarget) -> Comparison {
        Comparison {
            key: key.into(),
            op,
            target,
        }
    }

    fn put(key: &str, value: &str) -> TxnWrite {
        TxnWrite::Put {
            key: key.into(),
            value: value.into(),
            lease: 0,
        }
    }

    /// The state after a plain put of `key` = `value` on `state`.
    fn put_on(m: &KvModel, state: &KvState, key: &str, value: &str) -> KvState {
        let input = Input::Put {
            key: key.into(),
            value: value.into(),
        };
        m.apply(state, &input).1.expect("a put always applies")
    }

    #[test]
    fn comparisons_follow_etcd() {
        let m = model();
        let s = put_on(&m, &KvState::default(), "a", "x");
        let s = put_on(&m, &s, "a", "y");
        // a: value y, version 2, created at 2, modified at 3.
        assert!(holds(&s, &cmp("a", CmpOp::Equal, CmpTarget::Version(2))));
        assert!(holds(&s, &cmp("a", CmpOp::Equal, CmpTarget::Create(2))));
        assert!(holds(&s, &cmp("a", CmpOp::Greater, CmpTarget::Mod(2))));
        assert!(holds(
            &s,
            &cmp("a", CmpOp::Less, CmpTarget::Value("z".into()))
        ));
        assert!(holds(&s, &cmp("a", CmpOp::NotEqual, CmpTarget::Lease(7))));
        // A missing key is all zeros, and has no value to compare.
        assert!(holds(&s, &cmp("b", CmpOp::Equal, CmpTarget::Version(0))));
        assert!(holds(&s, &cmp("b", CmpOp::Equal, CmpTarget::Mod(0))));
        assert!(!holds(
            &s,
            &cmp("b", CmpOp::NotEqual, CmpTarget::Value("q".into()))
        ));
        assert!(!holds(
            &s,
            &cmp("b", CmpOp::Equal, CmpTarget::Value(String::new()))
        ));
    }

    #[test]
    fn branches_write_at_one_revision() {
        let m = model();
        let txn = |ok_value: &str| Input::Txn {
            compares: vec![cmp("a", CmpOp::Equal, CmpTarget::Value(ok_value.into()))],
            success: vec![put("b", "1"), put("c", "2")],
            failure: vec![TxnWrite::Delete {
                key: "a".into(),
                range_end: String::new(),
            }],
        };
        let s = put_on(&m, &KvState::default(), "a", "x");
        let (out, next) = m.apply(&s, &txn("x"));
        assert_eq!(
            out,
            Output::Cas {
                succeeded: true,
                revision: 3
            }
        );
        let next = next.unwrap();
        assert_eq!(next.keys["b"].mod_revision, 3);
        assert_eq!(next.keys["c"].mod_revision, 3);
        let (out, next) = m.apply(&s, &txn("other"));
        assert_eq!(
            out,
            Output::Cas {
                succeeded: false,
                revision: 3
            }
        );
        assert!(!next.unwrap().keys.contains_key("a"));
        // A branch that changes nothing keeps the revision.
        let empty = Input::Txn {
            compares: vec![],
            success: vec![TxnWrite::Delete {
                key: "zz".into(),
                range_end: String::new(),
            }],
            failure: vec![],
        };
        assert_eq!(
            m.apply(&s, &empty),
            (
                Output::Cas {
                    succeeded: true,
                    revision: 2
                },
                None
            )
        );
        // A put with a lease nobody granted rejects the whole transaction.
        let leased = Input::Txn {
            compares: vec![],
            success: vec![TxnWrite::Put {
                key: "b".into(),
                value: "1".into(),
                lease: 9,
            }],
            failure: vec![],
        };
        assert!(matches!(m.apply(&s, &leased).0, Output::Rejected { .. }));
    }
}
