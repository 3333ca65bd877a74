//! What a console command means to the linearizability history: an operation the sequential
//! model knows, a write it cannot follow, or nothing that changes the key space.
//!
//! Every `put` (with or without `--lease`), `del` (one key or a range), linearizable `get` (one
//! key or a plain range; serializable reads may be stale by design), `txn` (comparisons on
//! single keys, puts and deletes; a plain `mod(key) = N` then one put is a compare-and-set),
//! `lease grant` and `lease revoke` is an operation. Commands that change the key space in ways
//! the model does not know (nested txns or range comparisons, locks, elections, gateway writes)
//! are unmodelled, so that a check can say the history is incomplete instead of reporting a
//! false violation.

use check::history::{CmpOp, CmpTarget, Comparison, Input, TxnWrite};
use etcd::ctl::{Command, Consistency, GatewayRequest};
use kv::{CompareResult, RequestOp, SortOrder, SortTarget, TargetUnion, TxnRequest};

/// What a command means to the history.
#[derive(Debug, Clone, PartialEq)]
pub enum Meaning {
    /// A client operation the model knows.
    Op(Input),
    /// A write the model does not know.
    Unmodelled,
    /// Nothing that changes the key space (a fault line, a watch, an unusual read, ...).
    Ignore,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cas(t: &TxnRequest) -> Option<Input> {
    let [c] = t.compare.as_slice() else {
        return None;
    };
    let TargetUnion::ModRevision(expected) = c.value else {
        return None;
    };
    let [RequestOp::Put(p)] = t.success.as_slice() else {
        return None;
    };
    let plain = c == &kv::Compare::mod_revision(c.key.clone(), CompareResult::Equal, expected)
        && c.range_end.is_empty()
        && t.failure.is_empty()
        && p.key == c.key
        && p.lease == 0
        && !p.ignore_value
        && !p.ignore_lease;
    plain.then(|| Input::Cas {
        key: text(&c.key),
        expected_mod_revision: expected,
        value: text(&p.value),
    })
}

/// A transaction the model knows: comparisons on single keys, puts and deletes in the branches
/// (reads in them are left out: dropping a read never makes a violation); not nested ones.
pub fn txn(t: &TxnRequest) -> Option<Input> {
    let compares = t
        .compare
        .iter()
        .map(|c| {
            if !c.range_end.is_empty() {
                return None;
            }
            let target = match &c.value {
                TargetUnion::Version(n) => CmpTarget::Version(*n),
                TargetUnion::CreateRevision(n) => CmpTarget::Create(*n),
                TargetUnion::ModRevision(n) => CmpTarget::Mod(*n),
                TargetUnion::Value(v) => CmpTarget::Value(text(v)),
                TargetUnion::Lease(n) => CmpTarget::Lease(*n),
            };
            let op = match c.result {
                CompareResult::Equal => CmpOp::Equal,
                CompareResult::Greater => CmpOp::Greater,
                CompareResult::Less => CmpOp::Less,
                CompareResult::NotEqual => CmpOp::NotEqual,
                // A number etcd does not name: not in the model.
                CompareResult::Unknown(_) => return None,
            };
            if matches!(c.target, kv::CompareTarget::Unknown(_)) {
                return None;
            }
            Some(Comparison {
                key: text(&c.key),
                op,
                target,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let writes = |ops: &[RequestOp]| {
        ops.iter()
            .filter_map(|o| match o {
                RequestOp::Range(_) => None,
                RequestOp::Put(p) if !p.ignore_value && !p.ignore_lease => {
                    Some(Some(TxnWrite::Put {
                        key: text(&p.key),
                        value: text(&p.value),
                        lease: p.lease,
                    }))
                }
                RequestOp::DeleteRange(d) => Some(Some(TxnWrite::Delete {
                    key: text(&d.key),
                    range_end: text(&d.range_end),
                })),
                _ => Some(None),
            })
            .collect::<Option<Vec<_>>>()
    };
    Some(Input::Txn {
        compares,
        success: writes(&t.success)?,
        failure: writes(&t.failure)?,
    })
}

fn read_only(ops: &[RequestOp]) -> bool {
    ops.iter().all(|o| match o {
        RequestOp::Range(_) => true,
        RequestOp::Txn(t) => read_only(&t.success) && read_only(&t.failure),
        _ => false,
    })
}

/// How `command` is recorded.
pub fn meaning(command: &Command) -> Meaning {
    match command {
        Command::Put(p) if !p.ignore_value && !p.ignore_lease => Meaning::Op(match p.lease {
            0 => Input::Put {
                key: text(&p.key),
                value: text(&p.value),
            },
            lease => Input::PutWithLease {
                key: text(&p.key),
                value: text(&p.value),
                lease,
            },
        }),
        Command::Del { req } if req.range_end.is_empty() => Meaning::Op(Input::Delete {
            key: text(&req.key),
        }),
        Command::Del { req } => Meaning::Op(Input::DeleteRange {
            key: text(&req.key),
            range_end: text(&req.range_end),
        }),
        Command::LeaseGrant { ttl } => Meaning::Op(Input::LeaseGrant { id: 0, ttl: *ttl }),
        Command::LeaseRevoke { id } => Meaning::Op(Input::LeaseRevoke { id: *id }),
        Command::Get {
            req, consistency, ..
        } => {
            // Serializable reads may be stale by design: not client operations of the model.
            let plain = *consistency == Consistency::Linearizable
                && req.limit == 0
                && !req.keys_only
                && !req.count_only
                && req.sort_order == SortOrder::None
                && req.sort_target == SortTarget::default()
                && req.min_mod_revision == 0
                && req.max_mod_revision == 0
                && req.min_create_revision == 0
                && req.max_create_revision == 0;
            if !plain {
                Meaning::Ignore
            } else if req.range_end.is_empty() {
                Meaning::Op(Input::Get {
                    key: text(&req.key),
                    revision: (req.revision > 0).then_some(req.revision),
                })
            } else if req.revision == 0 {
                Meaning::Op(Input::Range {
                    key: text(&req.key),
                    range_end: text(&req.range_end),
                    limit: 0,
                    count_only: false,
                })
            } else {
                Meaning::Ignore
            }
        }
        Command::Txn(t) if read_only(&t.success) && read_only(&t.failure) => Meaning::Ignore,
        Command::Txn(t) => match cas(t).or_else(|| txn(t)) {
            Some(input) => Meaning::Op(input),
            None => Meaning::Unmodelled,
        },
        Command::Put(_) | Command::Lock { .. } | Command::Elect { .. } => Meaning::Unmodelled,
        Command::Gateway(g) => match g {
            GatewayRequest::Range(_)
            | GatewayRequest::LeaseKeepAlive { .. }
            | GatewayRequest::Leader { .. } => Meaning::Ignore,
            // Lease grants too: the model must know every lease a put may name.
            _ => Meaning::Unmodelled,
        },
        _ => Meaning::Ignore,
    }
}
