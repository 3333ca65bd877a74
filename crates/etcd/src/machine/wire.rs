//! The binary form of a write in a Raft entry: etcd's own `InternalRaftRequest` protobuf
//! (etcd `server/etcdserver/api/etcdserverpb/raft_internal.proto` and `rpc.proto`), with the
//! same field numbers, so an entry's bytes are what etcd would put in its log for the same
//! request (without the request header, whose id lives in the entry's context here).
//!
//! Its size is also what etcd measures against `--max-request-bytes` (1.5 MiB): etcd refuses a
//! request whose marshalled `InternalRaftRequest` is larger, whatever path it came by.
//!
//! ```
//! use etcd::EtcdRequest;
//! use kv::PutRequest;
//!
//! let req = EtcdRequest::Put(PutRequest {
//!     key: b"k".to_vec(),
//!     value: b"v".to_vec(),
//!     ..Default::default()
//! });
//! let bytes = req.encode();
//! // field 4 (put), length 6: key (field 1) "k", value (field 2) "v".
//! assert_eq!(bytes, [0x22, 6, 0x0a, 1, b'k', 0x12, 1, b'v']);
//! assert_eq!(EtcdRequest::decode(&bytes).unwrap(), req);
//! ```

use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp,
    SortOrder, SortTarget, TargetUnion, TxnRequest,
};
use prost::{Message, Oneof};

use super::EtcdRequest;

/// etcd's `InternalRaftRequest`, with the fields this service proposes.
#[derive(Clone, PartialEq, Message)]
struct InternalRaftRequest {
    #[prost(message, optional, tag = "4")]
    put: Option<PbPut>,
    #[prost(message, optional, tag = "5")]
    delete_range: Option<PbDeleteRange>,
    #[prost(message, optional, tag = "6")]
    txn: Option<PbTxn>,
    #[prost(message, optional, tag = "7")]
    compaction: Option<PbCompaction>,
    #[prost(message, optional, tag = "8")]
    lease_grant: Option<PbLeaseGrant>,
    #[prost(message, optional, tag = "9")]
    lease_revoke: Option<PbLeaseRevoke>,
}

/// `etcdserverpb.PutRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbPut {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
    #[prost(int64, tag = "3")]
    lease: i64,
    #[prost(bool, tag = "4")]
    prev_kv: bool,
    #[prost(bool, tag = "5")]
    ignore_value: bool,
    #[prost(bool, tag = "6")]
    ignore_lease: bool,
}

/// `etcdserverpb.DeleteRangeRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbDeleteRange {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    range_end: Vec<u8>,
    #[prost(bool, tag = "3")]
    prev_kv: bool,
}

/// `etcdserverpb.RangeRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbRange {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    range_end: Vec<u8>,
    #[prost(int64, tag = "3")]
    limit: i64,
    #[prost(int64, tag = "4")]
    revision: i64,
    #[prost(int32, tag = "5")]
    sort_order: i32,
    #[prost(int32, tag = "6")]
    sort_target: i32,
    #[prost(bool, tag = "7")]
    serializable: bool,
    #[prost(bool, tag = "8")]
    keys_only: bool,
    #[prost(bool, tag = "9")]
    count_only: bool,
    #[prost(int64, tag = "10")]
    min_mod_revision: i64,
    #[prost(int64, tag = "11")]
    max_mod_revision: i64,
    #[prost(int64, tag = "12")]
    min_create_revision: i64,
    #[prost(int64, tag = "13")]
    max_create_revision: i64,
}

/// `etcdserverpb.Compare`.
#[derive(Clone, PartialEq, Message)]
struct PbCompare {
    #[prost(int32, tag = "1")]
    result: i32,
    #[prost(int32, tag = "2")]
    target: i32,
    #[prost(bytes = "vec", tag = "3")]
    key: Vec<u8>,
    #[prost(oneof = "PbTargetUnion", tags = "4, 5, 6, 7, 8")]
    target_union: Option<PbTargetUnion>,
    #[prost(bytes = "vec", tag = "64")]
    range_end: Vec<u8>,
}

/// `Compare.target_union`.
#[derive(Clone, PartialEq, Oneof)]
enum PbTargetUnion {
    #[prost(int64, tag = "4")]
    Version(i64),
    #[prost(int64, tag = "5")]
    CreateRevision(i64),
    #[prost(int64, tag = "6")]
    ModRevision(i64),
    #[prost(bytes, tag = "7")]
    Value(Vec<u8>),
    #[prost(int64, tag = "8")]
    Lease(i64),
}

/// `etcdserverpb.RequestOp`.
#[derive(Clone, PartialEq, Message)]
struct PbRequestOp {
    #[prost(oneof = "PbOp", tags = "1, 2, 3, 4")]
    request: Option<PbOp>,
}

/// `RequestOp.request`.
#[derive(Clone, PartialEq, Oneof)]
enum PbOp {
    #[prost(message, tag = "1")]
    Range(PbRange),
    #[prost(message, tag = "2")]
    Put(PbPut),
    #[prost(message, tag = "3")]
    DeleteRange(PbDeleteRange),
    #[prost(message, tag = "4")]
    Txn(PbTxn),
}

/// `etcdserverpb.TxnRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbTxn {
    #[prost(message, repeated, tag = "1")]
    compare: Vec<PbCompare>,
    #[prost(message, repeated, tag = "2")]
    success: Vec<PbRequestOp>,
    #[prost(message, repeated, tag = "3")]
    failure: Vec<PbRequestOp>,
}

/// `etcdserverpb.CompactionRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbCompaction {
    #[prost(int64, tag = "1")]
    revision: i64,
    #[prost(bool, tag = "2")]
    physical: bool,
}

/// `etcdserverpb.LeaseGrantRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbLeaseGrant {
    #[prost(int64, tag = "1")]
    ttl: i64,
    #[prost(int64, tag = "2")]
    id: i64,
}

/// `etcdserverpb.LeaseRevokeRequest`.
#[derive(Clone, PartialEq, Message)]
struct PbLeaseRevoke {
    #[prost(int64, tag = "1")]
    id: i64,
}

/// The request's bytes for a Raft entry.
pub(crate) fn encode(req: &EtcdRequest) -> Vec<u8> {
    to_pb(req).encode_to_vec()
}

/// The size of [`encode`]'s bytes, without producing them: what etcd compares with
/// `--max-request-bytes`.
pub fn request_size(req: &EtcdRequest) -> usize {
    to_pb(req).encoded_len()
}

/// Reads a Raft entry's bytes back.
pub(crate) fn decode(data: &[u8]) -> Result<EtcdRequest, String> {
    let pb = InternalRaftRequest::decode(data).map_err(|e| e.to_string())?;
    let InternalRaftRequest {
        put,
        delete_range,
        txn,
        compaction,
        lease_grant,
        lease_revoke,
    } = pb;
    // Exactly one request per entry; counted without a collection (this runs for every entry
    // on every member).
    let count = [
        put.is_some(),
        delete_range.is_some(),
        txn.is_some(),
        compaction.is_some(),
        lease_grant.is_some(),
        lease_revoke.is_some(),
    ]
    .into_iter()
    .filter(|some| *some)
    .count();
    match count {
        0 => return Err("no request in the entry".into()),
        1 => {}
        n => {
            // As before: a txn that does not convert reports its own error first.
            if let Some(t) = txn {
                from_txn(t)?;
            }
            return Err(format!("{n} requests in one entry"));
        }
    }
    if let Some(p) = put {
        return Ok(EtcdRequest::Put(from_put(p)));
    }
    if let Some(d) = delete_range {
        return Ok(EtcdRequest::DeleteRange(from_delete(d)));
    }
    if let Some(t) = txn {
        return Ok(EtcdRequest::Txn(from_txn(t)?));
    }
    if let Some(c) = compaction {
        return Ok(EtcdRequest::Compaction { rev: c.revision });
    }
    if let Some(g) = lease_grant {
        return Ok(EtcdRequest::LeaseGrant {
            id: g.id,
            ttl: g.ttl,
        });
    }
    let r = lease_revoke.expect("one request is there");
    Ok(EtcdRequest::LeaseRevoke { id: r.id })
}

fn to_pb(req: &EtcdRequest) -> InternalRaftRequest {
    let mut pb = InternalRaftRequest::default();
    match req {
        EtcdRequest::Put(p) => pb.put = Some(put_pb(p)),
        EtcdRequest::DeleteRange(d) => pb.delete_range = Some(delete_pb(d)),
        EtcdRequest::Txn(t) => pb.txn = Some(txn_pb(t)),
        EtcdRequest::LeaseGrant { id, ttl } => {
            pb.lease_grant = Some(PbLeaseGrant { ttl: *ttl, id: *id })
        }
        EtcdRequest::LeaseRevoke { id } => pb.lease_revoke = Some(PbLeaseRevoke { id: *id }),
        EtcdRequest::Compaction { rev } => {
            pb.compaction = Some(PbCompaction {
                revision: *rev,
                physical: false,
            })
        }
    }
    pb
}

fn put_pb(p: &PutRequest) -> PbPut {
    PbPut {
        key: p.key.clone(),
        value: p.value.clone(),
        lease: p.lease,
        prev_kv: p.prev_kv,
        ignore_value: p.ignore_value,
        ignore_lease: p.ignore_lease,
    }
}

fn from_put(p: PbPut) -> PutRequest {
    PutRequest {
        key: p.key,
        value: p.value,
        lease: p.lease,
        prev_kv: p.prev_kv,
        ignore_value: p.ignore_value,
        ignore_lease: p.ignore_lease,
    }
}

fn delete_pb(d: &DeleteRangeRequest) -> PbDeleteRange {
    PbDeleteRange {
        key: d.key.clone(),
        range_end: d.range_end.clone(),
        prev_kv: d.prev_kv,
    }
}

fn from_delete(d: PbDeleteRange) -> DeleteRangeRequest {
    DeleteRangeRequest {
        key: d.key,
        range_end: d.range_end,
        prev_kv: d.prev_kv,
    }
}

fn range_pb(r: &RangeRequest) -> PbRange {
    PbRange {
        key: r.key.clone(),
        range_end: r.range_end.clone(),
        limit: r.limit,
        revision: r.revision,
        sort_order: match r.sort_order {
            SortOrder::None => 0,
            SortOrder::Ascend => 1,
            SortOrder::Descend => 2,
        },
        sort_target: match r.sort_target {
            SortTarget::Key => 0,
            SortTarget::Version => 1,
            SortTarget::Create => 2,
            SortTarget::Mod => 3,
            SortTarget::Value => 4,
        },
        serializable: r.serializable,
        keys_only: r.keys_only,
        count_only: r.count_only,
        min_mod_revision: r.min_mod_revision,
        max_mod_revision: r.max_mod_revision,
        min_create_revision: r.min_create_revision,
        max_create_revision: r.max_create_revision,
    }
}

fn from_range(r: PbRange) -> Result<RangeRequest, String> {
    Ok(RangeRequest {
        key: r.key,
        range_end: r.range_end,
        limit: r.limit,
        revision: r.revision,
        sort_order: match r.sort_order {
            0 => SortOrder::None,
            1 => SortOrder::Ascend,
            2 => SortOrder::Descend,
            n => return Err(format!("unknown sort order {n}")),
        },
        sort_target: match r.sort_target {
            0 => SortTarget::Key,
            1 => SortTarget::Version,
            2 => SortTarget::Create,
            3 => SortTarget::Mod,
            4 => SortTarget::Value,
            n => return Err(format!("unknown sort target {n}")),
        },
        serializable: r.serializable,
        keys_only: r.keys_only,
        count_only: r.count_only,
        min_mod_revision: r.min_mod_revision,
        max_mod_revision: r.max_mod_revision,
        min_create_revision: r.min_create_revision,
        max_create_revision: r.max_create_revision,
    })
}

fn compare_pb(c: &Compare) -> PbCompare {
    PbCompare {
        result: c.result.number(),
        target: c.target.number(),
        key: c.key.clone(),
        target_union: Some(match &c.value {
            TargetUnion::Version(v) => PbTargetUnion::Version(*v),
            TargetUnion::CreateRevision(v) => PbTargetUnion::CreateRevision(*v),
            TargetUnion::ModRevision(v) => PbTargetUnion::ModRevision(*v),
            TargetUnion::Value(v) => PbTargetUnion::Value(v.clone()),
            TargetUnion::Lease(v) => PbTargetUnion::Lease(*v),
        }),
        range_end: c.range_end.clone(),
    }
}

fn from_compare(c: PbCompare) -> Result<Compare, String> {
    let target = CompareTarget::from_number(c.target);
    // A missing union compares against the zero value of the target, as etcd reads it.
    let value = match c.target_union {
        Some(PbTargetUnion::Version(v)) => TargetUnion::Version(v),
        Some(PbTargetUnion::CreateRevision(v)) => TargetUnion::CreateRevision(v),
        Some(PbTargetUnion::ModRevision(v)) => TargetUnion::ModRevision(v),
        Some(PbTargetUnion::Value(v)) => TargetUnion::Value(v),
        Some(PbTargetUnion::Lease(v)) => TargetUnion::Lease(v),
        None => target.zero_operand(),
    };
    Ok(Compare {
        result: CompareResult::from_number(c.result),
        target,
        key: c.key,
        range_end: c.range_end,
        value,
    })
}

fn op_pb(op: &RequestOp) -> PbRequestOp {
    PbRequestOp {
        request: Some(match op {
            RequestOp::Range(r) => PbOp::Range(range_pb(r)),
            RequestOp::Put(p) => PbOp::Put(put_pb(p)),
            RequestOp::DeleteRange(d) => PbOp::DeleteRange(delete_pb(d)),
            RequestOp::Txn(t) => PbOp::Txn(txn_pb(t)),
        }),
    }
}

fn from_op(op: PbRequestOp) -> Result<RequestOp, String> {
    Ok(match op.request {
        Some(PbOp::Range(r)) => RequestOp::Range(from_range(r)?),
        Some(PbOp::Put(p)) => RequestOp::Put(from_put(p)),
        Some(PbOp::DeleteRange(d)) => RequestOp::DeleteRange(from_delete(d)),
        Some(PbOp::Txn(t)) => RequestOp::Txn(from_txn(t)?),
        None => return Err("an empty txn operation".into()),
    })
}

fn txn_pb(t: &TxnRequest) -> PbTxn {
    PbTxn {
        compare: t.compare.iter().map(compare_pb).collect(),
        success: t.success.iter().map(op_pb).collect(),
        failure: t.failure.iter().map(op_pb).collect(),
    }
}

fn from_txn(t: PbTxn) -> Result<TxnRequest, String> {
    Ok(TxnRequest {
        compare: t
            .compare
            .into_iter()
            .map(from_compare)
            .collect::<Result<_, _>>()?,
        success: t
            .success
            .into_iter()
            .map(from_op)
            .collect::<Result<_, _>>()?,
        failure: t
            .failure
            .into_iter()
            .map(from_op)
            .collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(req: EtcdRequest) {
        let bytes = encode(&req);
        assert_eq!(bytes.len(), request_size(&req));
        assert_eq!(decode(&bytes).unwrap(), req, "{bytes:?}");
    }

    #[test]
    fn every_request_round_trips() {
        let put = PutRequest {
            key: b"k".to_vec(),
            value: vec![0, 255, 7],
            lease: -3,
            prev_kv: true,
            ignore_value: false,
            ignore_lease: true,
        };
        round_trip(EtcdRequest::Put(put.clone()));
        round_trip(EtcdRequest::Put(PutRequest::default()));
        let del = DeleteRangeRequest {
            key: b"a".to_vec(),
            range_end: b"\0".to_vec(),
            prev_kv: true,
        };
        round_trip(EtcdRequest::DeleteRange(del.clone()));
        let range = RangeRequest {
            key: b"a".to_vec(),
            range_end: b"b".to_vec(),
            limit: 3,
            revision: 9,
            sort_order: SortOrder::Descend,
            sort_target: SortTarget::Value,
            serializable: true,
            keys_only: true,
            count_only: false,
            min_mod_revision: 1,
            max_mod_revision: 2,
            min_create_revision: 3,
            max_create_revision: i64::MAX,
        };
        let inner = TxnRequest {
            compare: vec![Compare::lease("x", CompareResult::NotEqual, 0)],
            success: vec![RequestOp::Range(RangeRequest::default())],
            failure: vec![],
        };
        round_trip(EtcdRequest::Txn(TxnRequest {
            compare: vec![
                Compare::version("a", CompareResult::Equal, 0),
                Compare::create_revision("a", CompareResult::Greater, 5),
                Compare::mod_revision("a", CompareResult::Less, -1).with_range_end("b"),
                Compare::value("a", CompareResult::NotEqual, vec![1, 2]),
                Compare::lease("a", CompareResult::Equal, 7),
                Compare {
                    result: CompareResult::Unknown(7),
                    target: CompareTarget::Unknown(-9),
                    ..Compare::version("a", CompareResult::Equal, 0)
                },
            ],
            success: vec![
                RequestOp::Range(range),
                RequestOp::Put(put),
                RequestOp::Txn(inner),
            ],
            failure: vec![RequestOp::DeleteRange(del)],
        }));
        round_trip(EtcdRequest::LeaseGrant { id: 42, ttl: 60 });
        round_trip(EtcdRequest::LeaseRevoke { id: i64::MIN });
        round_trip(EtcdRequest::Compaction { rev: 12 });
    }

    #[test]
    fn entries_are_compact() {
        let req = EtcdRequest::Put(PutRequest {
            key: b"bench/00001".to_vec(),
            value: b"value-1".to_vec(),
            ..Default::default()
        });
        // Two bytes of framing per field and two for the put itself.
        assert_eq!(encode(&req).len(), 11 + 7 + 6);
    }

    #[test]
    fn bad_bytes_are_an_error() {
        assert!(decode(b"{\"Put\":{}}").is_err());
        assert!(decode(&[]).is_err(), "no request");
        let mut two = encode(&EtcdRequest::LeaseRevoke { id: 1 });
        two.extend(encode(&EtcdRequest::Compaction { rev: 2 }));
        assert_eq!(decode(&two).unwrap_err(), "2 requests in one entry");
        // A compare with a result code etcd does not name is a request etcd applies.
        let unknown = InternalRaftRequest {
            txn: Some(PbTxn {
                compare: vec![PbCompare {
                    result: 9,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(decode(&unknown.encode_to_vec()).is_ok());
        // A truncated put.
        let put = encode(&EtcdRequest::Put(PutRequest {
            key: b"key".to_vec(),
            ..Default::default()
        }));
        assert!(decode(&put[..put.len() - 1]).is_err());
    }

    #[test]
    fn size_counts_the_protobuf_not_the_json() {
        // A value of zero bytes costs one byte each, as in etcd (JSON spent up to four).
        let req = EtcdRequest::Put(PutRequest {
            key: b"k".to_vec(),
            value: vec![0; 1000],
            ..Default::default()
        });
        assert_eq!(request_size(&req), 1 + 2 + (1 + 1 + 1) + (1 + 2 + 1000));
    }
}
