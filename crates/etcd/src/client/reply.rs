//! A unary call's operation result as etcd's response message, or etcd's error text.

use super::{
    CompactionResponse, DeleteRangeResponse, HealthResponse, LeaderResponse, LeaseGrantResponse,
    LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseStatus,
    LeaseTimeToLiveResponse, ProclaimResponse, PutResponse, RangeResponse, Reply, ResignResponse,
    TxnResponse, Unary, UnlockResponse,
};
use crate::machine::EtcdResponse;
use crate::service::{Header, OpResult};

/// A unary operation's result as etcd's response, or etcd's error.
pub(super) fn unary(kind: Unary, r: OpResult) -> Result<Reply, String> {
    let write = |r: OpResult| -> Result<(Header, EtcdResponse), String> {
        match r {
            OpResult::Write(h, applied) => Ok((h, applied.result?)),
            OpResult::Failed(e) => Err(e),
            other => Err(format!("unexpected result {other:?}")),
        }
    };
    let read = |r: OpResult| -> Result<(Header, kv::RangeResponse), String> {
        match r {
            OpResult::Read(h, a) => Ok((h, a.result?)),
            OpResult::Failed(e) => Err(e),
            other => Err(format!("unexpected result {other:?}")),
        }
    };
    let unexpected = |other: &dyn std::fmt::Debug| format!("unexpected response {other:?}");
    Ok(match kind {
        Unary::Range => {
            let (header, r) = read(r)?;
            Reply::Range(RangeResponse::new(header, r))
        }
        Unary::Leader => {
            let (header, r) = read(r)?;
            match r.kvs.into_iter().next() {
                Some(kv) => Reply::Leader(LeaderResponse {
                    header,
                    kv: Some(kv),
                }),
                None => return Err("election: no leader".into()),
            }
        }
        Unary::Health => match r {
            OpResult::Read(_, a) => Reply::Health(HealthResponse {
                health: a.result.is_ok(),
                reason: a.result.err().unwrap_or_default(),
            }),
            OpResult::Failed(e) => return Err(e),
            other => return Err(format!("unexpected result {other:?}")),
        },
        Unary::KeepAliveOnce(id) => match r {
            OpResult::KeepAlive(header, ttl) => {
                Reply::LeaseKeepAlive(LeaseKeepAliveResponse { header, id, ttl })
            }
            OpResult::Failed(e) => return Err(e),
            other => return Err(format!("unexpected result {other:?}")),
        },
        Unary::TimeToLive => match r {
            OpResult::TimeToLive(header, info) => Reply::LeaseTimeToLive(LeaseTimeToLiveResponse {
                header,
                id: info.id,
                ttl: info.ttl,
                granted_ttl: info.granted_ttl,
                keys: info.keys,
            }),
            OpResult::Failed(e) => return Err(e),
            other => return Err(format!("unexpected result {other:?}")),
        },
        Unary::Leases => match r {
            OpResult::Leases(header, ids) => Reply::LeaseLeases(LeaseLeasesResponse {
                header,
                leases: ids.into_iter().map(|id| LeaseStatus { id }).collect(),
            }),
            OpResult::Failed(e) => return Err(e),
            other => return Err(format!("unexpected result {other:?}")),
        },
        Unary::Put => match write(r)? {
            (header, EtcdResponse::Put(p)) => Reply::Put(PutResponse {
                header,
                prev_kv: p.prev_kv,
            }),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::DeleteRange => match write(r)? {
            (header, EtcdResponse::DeleteRange(d)) => Reply::DeleteRange(DeleteRangeResponse {
                header,
                deleted: d.deleted,
                prev_kvs: d.prev_kvs,
            }),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::Txn => match write(r)? {
            (header, EtcdResponse::Txn(t)) => Reply::Txn(TxnResponse {
                header,
                succeeded: t.succeeded,
                responses: t.responses,
            }),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::Compaction => match write(r)? {
            (header, EtcdResponse::Compaction) => Reply::Compaction(CompactionResponse { header }),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::LeaseGrant => match write(r)? {
            (header, EtcdResponse::LeaseGrant { id, ttl }) => {
                Reply::LeaseGrant(LeaseGrantResponse {
                    header,
                    id,
                    ttl,
                    error: String::new(),
                })
            }
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::LeaseRevoke => match write(r)? {
            (header, EtcdResponse::LeaseRevoke) => {
                Reply::LeaseRevoke(LeaseRevokeResponse { header })
            }
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::Unlock => match write(r)? {
            (header, EtcdResponse::DeleteRange(_)) => Reply::Unlock(UnlockResponse { header }),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::Proclaim => match write(r)? {
            (header, EtcdResponse::Txn(t)) if t.succeeded => {
                Reply::Proclaim(ProclaimResponse { header })
            }
            (_, EtcdResponse::Txn(_)) => return Err("election: not leader".into()),
            (_, other) => return Err(unexpected(&other)),
        },
        Unary::Resign => match write(r)? {
            (header, EtcdResponse::Txn(_)) => Reply::Resign(ResignResponse { header }),
            (_, other) => return Err(unexpected(&other)),
        },
    })
}
