//! Writes: put, delete range and transactions (etcd's applier `Put`, `DeleteRange`,
//! `Txn` over a `storeTxnWrite`).
//!
//! A write runs as one store txn: all its changes get the same revision, and the
//! revision rises only if something changed. Every check (request validation,
//! `ignore_*` on missing keys, leases, ranges at compacted/future revisions) runs
//! before the first change, so a failing write changes nothing.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::keys::KeyRange;
use crate::store::{Store, WriteCtx};
use crate::types::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, DeleteRangeResponse, KeyValue,
    PutRequest, PutResponse, RequestOp, ResponseOp, TargetUnion, TxnRequest, TxnResponse,
    WriteResult,
};
use crate::validate;

impl Store {
    /// Put a key. Any non-zero lease is accepted; see [`Store::put_with`].
    pub fn put(&mut self, req: &PutRequest) -> Result<WriteResult<PutResponse>> {
        self.put_with(req, |_| true)
    }

    /// Put a key; `lease_exists` says whether a lease id is granted (etcd fails a put
    /// with an unknown lease with [`Error::LeaseNotFound`]).
    ///
    /// The store only records `kv.lease`. The caller keeps the lessor in sync from the
    /// returned events (see `Lessor::apply_events`).
    pub fn put_with(
        &mut self,
        req: &PutRequest,
        lease_exists: impl Fn(i64) -> bool,
    ) -> Result<WriteResult<PutResponse>> {
        self.put_value_with(req, None, true, lease_exists)
    }

    /// [`Store::put_with`] for a member applying a Raft entry: the new record holds `value`
    /// (the bytes of `req.value`) rather than a copy of its own, so the members of a cluster
    /// keep one copy of it between them; and with `events` false the write makes no events
    /// (`WriteResult::events` is empty), each of which copies the key and both values, for a
    /// member with no use for them (no watchers, no leases).
    pub fn put_shared_with(
        &mut self,
        req: &PutRequest,
        value: &Arc<[u8]>,
        events: bool,
        lease_exists: impl Fn(i64) -> bool,
    ) -> Result<WriteResult<PutResponse>> {
        debug_assert_eq!(
            value[..],
            req.value[..],
            "the shared value is the request's"
        );
        self.put_value_with(req, Some(value), events, lease_exists)
    }

    fn put_value_with(
        &mut self,
        req: &PutRequest,
        value: Option<&Arc<[u8]>>,
        events: bool,
        lease_exists: impl Fn(i64) -> bool,
    ) -> Result<WriteResult<PutResponse>> {
        validate::put(req)?;
        if req.lease != 0 && !lease_exists(req.lease) {
            return Err(Error::LeaseNotFound);
        }
        self.check_put(req, &|_| true)?;
        let mut ctx = self.begin();
        ctx.quiet = !events;
        let response = self.apply_put(req, value, &mut ctx);
        Ok(self.finish(ctx, response))
    }

    /// Delete every key in `key`/`range_end`. Deleting nothing keeps the revision.
    pub fn delete_range(
        &mut self,
        req: &DeleteRangeRequest,
    ) -> Result<WriteResult<DeleteRangeResponse>> {
        validate::delete_range(req)?;
        let mut ctx = self.begin();
        let response = self.apply_delete(req, &mut ctx);
        Ok(self.finish(ctx, response))
    }

    /// Delete the given keys (those that exist) in ONE write, without the txn size
    /// limit: what a lease revoke does (see `lease::StoreDeleter`). `prev_kvs`
    /// holds the deleted key-values in the order given.
    pub fn delete_keys(&mut self, keys: &[Vec<u8>]) -> WriteResult<DeleteRangeResponse> {
        let mut ctx = self.begin();
        let mut prev_kvs = Vec::new();
        for key in keys {
            if let Some(prev) = self.write_delete(&mut ctx, key) {
                prev_kvs.push(prev);
            }
        }
        let response = DeleteRangeResponse {
            deleted: prev_kvs.len() as i64,
            prev_kvs,
        };
        self.finish(ctx, response)
    }

    /// Run a transaction. Any non-zero lease is accepted; see [`Store::txn_with`].
    pub fn txn(&mut self, req: &TxnRequest) -> Result<WriteResult<TxnResponse>> {
        self.txn_with(req, |_| true)
    }

    /// Run a transaction: evaluate every compare (also those of nested txns on the
    /// chosen path, all against the state before the txn), check the chosen ops, then
    /// apply them in order. Ops see the changes of earlier ops of the same txn.
    ///
    /// Errors (nothing changes): validation errors ([`Error::DuplicateKey`],
    /// [`Error::EmptyKey`], ...), [`Error::KeyNotFound`] for `ignore_*` on a missing
    /// key, [`Error::LeaseNotFound`] if `lease_exists` rejects a put's lease,
    /// [`Error::Compacted`]/[`Error::FutureRev`] for a range at a bad revision.
    pub fn txn_with(
        &mut self,
        req: &TxnRequest,
        lease_exists: impl Fn(i64) -> bool,
    ) -> Result<WriteResult<TxnResponse>> {
        validate::txn(req)?;
        let at = self.current_rev;
        let mut path = Vec::new();
        self.compare_path(req, at, &mut path);
        self.check_path(req, &path, &mut 0, &|op| match op {
            RequestOp::Put(p) => self.check_put(p, &lease_exists),
            _ => Ok(()),
        })?;
        self.check_path(req, &path, &mut 0, &|op| match op {
            RequestOp::Range(r) => self.check_range_rev(r.revision),
            _ => Ok(()),
        })?;
        let mut ctx = self.begin();
        let response = self.apply_txn(req, &path, &mut 0, &mut ctx);
        Ok(self.finish(ctx, response))
    }

    fn finish<T>(&mut self, ctx: WriteCtx, response: T) -> WriteResult<T> {
        let (revision, events) = self.end(ctx);
        WriteResult {
            response,
            revision,
            events,
        }
    }

    /// etcd's `checkPut`: `ignore_*` needs an existing key, a lease must exist.
    fn check_put(&self, req: &PutRequest, lease_exists: &dyn Fn(i64) -> bool) -> Result<()> {
        if (req.ignore_value || req.ignore_lease) && self.get(&req.key).is_none() {
            return Err(Error::KeyNotFound);
        }
        if req.lease != 0 && !lease_exists(req.lease) {
            return Err(Error::LeaseNotFound);
        }
        Ok(())
    }

    /// etcd's `checkRange`.
    fn check_range_rev(&self, rev: i64) -> Result<()> {
        if rev > self.current_rev {
            Err(Error::FutureRev)
        } else if rev > 0 && rev < self.compact_rev {
            Err(Error::Compacted)
        } else {
            Ok(())
        }
    }

    /// The outcome of every compare on the path the txn takes, in pre-order.
    fn compare_path(&self, req: &TxnRequest, at: i64, path: &mut Vec<bool>) {
        let ok = req.compare.iter().all(|c| self.compare_holds(c, at));
        path.push(ok);
        for op in branch(req, ok) {
            if let RequestOp::Txn(t) = op {
                self.compare_path(t, at, path);
            }
        }
    }

    /// Run `check` on every non-txn op on the path.
    fn check_path(
        &self,
        req: &TxnRequest,
        path: &[bool],
        pos: &mut usize,
        check: &dyn Fn(&RequestOp) -> Result<()>,
    ) -> Result<()> {
        let ok = path[*pos];
        *pos += 1;
        for op in branch(req, ok) {
            match op {
                RequestOp::Txn(t) => self.check_path(t, path, pos, check)?,
                other => check(other)?,
            }
        }
        Ok(())
    }

    fn apply_txn(
        &mut self,
        req: &TxnRequest,
        path: &[bool],
        pos: &mut usize,
        ctx: &mut WriteCtx,
    ) -> TxnResponse {
        let succeeded = path[*pos];
        *pos += 1;
        let mut responses = Vec::new();
        for op in branch(req, succeeded) {
            responses.push(match op {
                RequestOp::Range(r) => ResponseOp::Range(
                    self.range_at(r, self.read_rev(ctx))
                        .expect("range revision checked before applying"),
                ),
                RequestOp::Put(p) => ResponseOp::Put(self.apply_put(p, None, ctx)),
                RequestOp::DeleteRange(d) => ResponseOp::DeleteRange(self.apply_delete(d, ctx)),
                RequestOp::Txn(t) => ResponseOp::Txn(self.apply_txn(t, path, pos, ctx)),
            });
        }
        TxnResponse {
            succeeded,
            responses,
        }
    }

    /// Apply a checked put; `value`, if given, holds `req.value`'s bytes (shared with others).
    fn apply_put(
        &mut self,
        req: &PutRequest,
        value: Option<&Arc<[u8]>>,
        ctx: &mut WriteCtx,
    ) -> PutResponse {
        PutResponse {
            prev_kv: self.write_put(ctx, req, value),
        }
    }

    fn apply_delete(
        &mut self,
        req: &DeleteRangeRequest,
        ctx: &mut WriteCtx,
    ) -> DeleteRangeResponse {
        let kvs = self.live_kvs(&KeyRange::new(&req.key, &req.range_end), self.read_rev(ctx));
        for kv in &kvs {
            self.write_delete(ctx, &kv.key);
        }
        DeleteRangeResponse {
            deleted: kvs.len() as i64,
            prev_kvs: if req.prev_kv { kvs } else { Vec::new() },
        }
    }

    /// etcd's `applyCompare`: every key in the range must match; a missing key
    /// compares as a zero `KeyValue`, except that a VALUE compare on it always fails.
    fn compare_holds(&self, c: &Compare, at: i64) -> bool {
        let kvs = self.live_kvs(&KeyRange::new(&c.key, &c.range_end), at);
        if kvs.is_empty() {
            return c.target != CompareTarget::Value && compare_kv(c, &KeyValue::default());
        }
        kvs.iter().all(|kv| compare_kv(c, kv))
    }
}

fn branch(req: &TxnRequest, succeeded: bool) -> &[RequestOp] {
    if succeeded {
        &req.success
    } else {
        &req.failure
    }
}

fn compare_kv(c: &Compare, kv: &KeyValue) -> bool {
    let int = |want: Option<i64>| want.unwrap_or(0);
    let ord = match c.target {
        CompareTarget::Value => {
            let want: &[u8] = match &c.value {
                TargetUnion::Value(v) => v,
                _ => &[],
            };
            kv.value.as_slice().cmp(want)
        }
        CompareTarget::Version => kv.version.cmp(&int(match c.value {
            TargetUnion::Version(v) => Some(v),
            _ => None,
        })),
        CompareTarget::Create => kv.create_revision.cmp(&int(match c.value {
            TargetUnion::CreateRevision(v) => Some(v),
            _ => None,
        })),
        CompareTarget::Mod => kv.mod_revision.cmp(&int(match c.value {
            TargetUnion::ModRevision(v) => Some(v),
            _ => None,
        })),
        CompareTarget::Lease => kv.lease.cmp(&int(match c.value {
            TargetUnion::Lease(v) => Some(v),
            _ => None,
        })),
        CompareTarget::Unknown(_) => Ordering::Equal,
    };
    match c.result {
        CompareResult::Equal => ord == Ordering::Equal,
        CompareResult::NotEqual => ord != Ordering::Equal,
        CompareResult::Greater => ord == Ordering::Greater,
        CompareResult::Less => ord == Ordering::Less,
        CompareResult::Unknown(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Compare, CompareResult, CompareTarget, PutRequest, Store, TxnRequest};

    fn holds(s: &Store, c: Compare) -> bool {
        let mut s = s.clone();
        let t = TxnRequest {
            compare: vec![c],
            ..Default::default()
        };
        s.txn(&t).unwrap().response.succeeded
    }

    /// Numbers etcd's enums do not name, as etcd 3.5.1's applier reads them: an unknown
    /// result holds; an unknown target compares nothing (equal), except that a value
    /// compare on a missing key still fails.
    #[test]
    fn unknown_enum_numbers() {
        let mut s = Store::new();
        s.put(&PutRequest {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
            ..Default::default()
        })
        .unwrap();
        let unknown_result = |c: Compare| Compare {
            result: CompareResult::Unknown(7),
            ..c
        };
        let unknown_target = |r| Compare {
            target: CompareTarget::Unknown(9),
            ..Compare::version("k", r, 5)
        };
        assert!(holds(
            &s,
            unknown_result(Compare::value("k", CompareResult::Equal, "x"))
        ));
        assert!(holds(
            &s,
            unknown_result(Compare::version("missing", CompareResult::Equal, 3))
        ));
        assert!(!holds(
            &s,
            unknown_result(Compare::value("missing", CompareResult::Equal, ""))
        ));
        assert!(holds(&s, unknown_target(CompareResult::Equal)));
        assert!(!holds(&s, unknown_target(CompareResult::NotEqual)));
        assert!(!holds(&s, unknown_target(CompareResult::Greater)));
        assert!(!holds(&s, unknown_target(CompareResult::Less)));
        assert!(holds(
            &s,
            Compare {
                key: b"missing".to_vec(),
                ..unknown_target(CompareResult::Equal)
            }
        ));
    }
}
