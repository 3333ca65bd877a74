//! Request checks etcd's gRPC layer makes before a request enters Raft
//! (`v3rpc/key.go`). The store runs them too, so an invalid request never changes
//! anything; the service layer may call them early to fail fast.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::keys::KeyRange;
use crate::types::{DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest};

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

/// A range needs a key.
pub fn range(req: &RangeRequest) -> Result<()> {
    if req.key.is_empty() {
        return Err(Error::EmptyKey);
    }
    Ok(())
}

/// A put needs a key; `ignore_value` forbids a value, `ignore_lease` a lease.
pub fn put(req: &PutRequest) -> Result<()> {
    if req.key.is_empty() {
        return Err(Error::EmptyKey);
    }
    if req.ignore_value && !req.value.is_empty() {
        return Err(Error::ValueProvided);
    }
    if req.ignore_lease && req.lease != 0 {
        return Err(Error::LeaseProvided);
    }
    Ok(())
}

/// A delete needs a key.
pub fn delete_range(req: &DeleteRangeRequest) -> Result<()> {
    if req.key.is_empty() {
        return Err(Error::EmptyKey);
    }
    Ok(())
}

/// Every op of both branches (recursively) is valid, there are at most
/// [`MAX_TXN_OPS`] ops per level, and no branch writes a key twice
/// ([`Error::DuplicateKey`]; a put may not fall inside a delete of the same branch).
pub fn txn(req: &TxnRequest) -> Result<()> {
    check_txn(req, MAX_TXN_OPS)?;
    check_intervals(&req.success)?;
    check_intervals(&req.failure)?;
    Ok(())
}

fn check_txn(req: &TxnRequest, max_ops: usize) -> Result<()> {
    let opc = req
        .compare
        .len()
        .max(req.success.len())
        .max(req.failure.len());
    if opc > max_ops {
        return Err(Error::TooManyOps);
    }
    if req.compare.iter().any(|c| c.key.is_empty()) {
        return Err(Error::EmptyKey);
    }
    for op in req.success.iter().chain(&req.failure) {
        match op {
            RequestOp::Range(r) => range(r)?,
            RequestOp::Put(p) => put(p)?,
            RequestOp::DeleteRange(d) => delete_range(d)?,
            RequestOp::Txn(t) => check_txn(t, max_ops - opc)?,
        }
    }
    Ok(())
}

/// etcd's `checkIntervals`: the keys put and the ranges deleted by `ops` (including
/// nested txns, whose two branches may put the same key), or `DuplicateKey`.
fn check_intervals(ops: &[RequestOp]) -> Result<(BTreeSet<Vec<u8>>, Vec<KeyRange>)> {
    let mut dels: Vec<KeyRange> = ops
        .iter()
        .filter_map(|op| match op {
            RequestOp::DeleteRange(d) => Some(KeyRange::new(&d.key, &d.range_end)),
            _ => None,
        })
        .collect();
    let deleted = |dels: &[KeyRange], k: &[u8]| dels.iter().any(|d| d.contains(k));
    let mut puts = BTreeSet::new();
    for op in ops {
        let RequestOp::Txn(t) = op else { continue };
        let (puts_then, dels_then) = check_intervals(&t.success)?;
        let (puts_else, dels_else) = check_intervals(&t.failure)?;
        for k in &puts_then {
            if puts.contains(k) || deleted(&dels, k) {
                return Err(Error::DuplicateKey);
            }
            puts.insert(k.clone());
        }
        for k in &puts_else {
            if (puts.contains(k) && !puts_then.contains(k)) || deleted(&dels, k) {
                return Err(Error::DuplicateKey);
            }
            puts.insert(k.clone());
        }
        dels.extend(dels_then);
        dels.extend(dels_else);
    }
    for op in ops {
        let RequestOp::Put(p) = op else { continue };
        if puts.contains(&p.key) || deleted(&dels, &p.key) {
            return Err(Error::DuplicateKey);
        }
        puts.insert(p.key.clone());
    }
    Ok((puts, dels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Compare;

    fn put_op(k: &str) -> RequestOp {
        RequestOp::Put(PutRequest {
            key: k.into(),
            ..Default::default()
        })
    }

    fn del_op(k: &str, end: &str) -> RequestOp {
        RequestOp::DeleteRange(DeleteRangeRequest {
            key: k.into(),
            range_end: end.into(),
            prev_kv: false,
        })
    }

    fn txn_of(success: Vec<RequestOp>, failure: Vec<RequestOp>) -> TxnRequest {
        TxnRequest {
            compare: vec![],
            success,
            failure,
        }
    }

    #[test]
    fn duplicate_puts() {
        assert_eq!(
            txn(&txn_of(vec![put_op("a"), put_op("a")], vec![])),
            Err(Error::DuplicateKey)
        );
        // Different branches may write the same key.
        assert_eq!(txn(&txn_of(vec![put_op("a")], vec![put_op("a")])), Ok(()));
    }

    #[test]
    fn put_inside_delete() {
        assert_eq!(
            txn(&txn_of(vec![del_op("a", "c"), put_op("b")], vec![])),
            Err(Error::DuplicateKey)
        );
        assert_eq!(
            txn(&txn_of(vec![del_op("a", ""), put_op("b")], vec![])),
            Ok(())
        );
        // Deletes may overlap each other.
        assert_eq!(
            txn(&txn_of(vec![del_op("a", "c"), del_op("b", "")], vec![])),
            Ok(())
        );
    }

    #[test]
    fn nested() {
        let inner = RequestOp::Txn(txn_of(vec![put_op("a")], vec![put_op("a")]));
        assert_eq!(txn(&txn_of(vec![inner.clone()], vec![])), Ok(()));
        assert_eq!(
            txn(&txn_of(vec![inner.clone(), put_op("a")], vec![])),
            Err(Error::DuplicateKey)
        );
        let inner_del = RequestOp::Txn(txn_of(vec![del_op("a", "b")], vec![]));
        assert_eq!(
            txn(&txn_of(vec![inner_del, put_op("a")], vec![])),
            Err(Error::DuplicateKey)
        );
        let inner_else = RequestOp::Txn(txn_of(vec![], vec![put_op("x")]));
        assert_eq!(
            txn(&txn_of(vec![put_op("x"), inner_else], vec![])),
            Err(Error::DuplicateKey)
        );
    }

    #[test]
    fn empty_keys_and_flags() {
        let mut t = txn_of(vec![], vec![]);
        t.compare
            .push(Compare::version("", crate::CompareResult::Equal, 0));
        assert_eq!(txn(&t), Err(Error::EmptyKey));
        assert_eq!(txn(&txn_of(vec![], vec![put_op("")])), Err(Error::EmptyKey));
        let p = PutRequest {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
            ignore_value: true,
            ..Default::default()
        };
        assert_eq!(put(&p), Err(Error::ValueProvided));
        let p = PutRequest {
            key: b"k".to_vec(),
            lease: 5,
            ignore_lease: true,
            ..Default::default()
        };
        assert_eq!(put(&p), Err(Error::LeaseProvided));
    }

    #[test]
    fn too_many_ops() {
        let ops: Vec<_> = (0..=MAX_TXN_OPS)
            .map(|i| put_op(&format!("k{i}")))
            .collect();
        assert_eq!(txn(&txn_of(ops, vec![])), Err(Error::TooManyOps));
        let ops: Vec<_> = (0..MAX_TXN_OPS).map(|i| put_op(&format!("k{i}"))).collect();
        assert_eq!(txn(&txn_of(ops, vec![])), Ok(()));
        // Nested levels share the budget.
        let inner: Vec<_> = (0..100).map(|i| put_op(&format!("i{i}"))).collect();
        let mut outer: Vec<_> = (0..40).map(|i| put_op(&format!("o{i}"))).collect();
        outer.push(RequestOp::Txn(txn_of(inner, vec![])));
        assert_eq!(txn(&txn_of(outer, vec![])), Err(Error::TooManyOps));
    }
}
