//! etcd's v3 JSON gateway (grpc-gateway): requests already parsed by `ctl`, answers in etcd's
//! JSON shapes (bytes base64, 64-bit integers as strings, zero values left out).

use super::render::Render;
use super::tasks::{Purpose, Task};
use super::{CommandId, Playground};
use crate::ctl::{self, GatewayRequest};
use crate::machine::{EtcdRequest, EtcdResponse};
use crate::service::OpResult;

/// Which gateway call a result answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatewayKind {
    Put,
    Range,
    DeleteRange,
    Txn,
    LeaseGrant,
    LeaseRevoke,
    LeaseKeepAlive(i64),
    LeaseTimeToLive(bool),
    LeaseLeases,
    Health,
    Compaction,
}

/// etcd's gateway error body.
pub(crate) fn error_json(msg: &str) -> String {
    ctl::format::gateway_error(msg)
}

impl Playground {
    /// Starts a gateway request at `node`.
    pub(super) fn gateway(&mut self, id: CommandId, node: u64, req: GatewayRequest) {
        let (op, kind) = match req {
            GatewayRequest::Put(p) => (
                self.service.write(node, EtcdRequest::Put(p)),
                GatewayKind::Put,
            ),
            GatewayRequest::Range(r) => {
                let s = r.serializable;
                (self.service.range(node, r, s), GatewayKind::Range)
            }
            GatewayRequest::DeleteRange(d) => (
                self.service.write(node, EtcdRequest::DeleteRange(d)),
                GatewayKind::DeleteRange,
            ),
            GatewayRequest::Txn(t) => (
                self.service.write(node, EtcdRequest::Txn(t)),
                GatewayKind::Txn,
            ),
            GatewayRequest::LeaseGrant { ttl, id: lease } => (
                self.service.lease_grant(node, lease, ttl),
                GatewayKind::LeaseGrant,
            ),
            GatewayRequest::LeaseRevoke { id: lease } => (
                self.service
                    .write(node, EtcdRequest::LeaseRevoke { id: lease }),
                GatewayKind::LeaseRevoke,
            ),
            GatewayRequest::LeaseKeepAlive { id: lease } => (
                self.service.lease_keepalive(node, lease),
                GatewayKind::LeaseKeepAlive(lease),
            ),
            GatewayRequest::LeaseTimeToLive { id: lease, keys } => (
                self.service.lease_time_to_live(node, lease, keys),
                GatewayKind::LeaseTimeToLive(keys),
            ),
            GatewayRequest::LeaseLeases => {
                (self.service.lease_list(node), GatewayKind::LeaseLeases)
            }
            GatewayRequest::Health => (
                self.service.range(
                    node,
                    kv::RangeRequest {
                        key: b"health".to_vec(),
                        ..Default::default()
                    },
                    false,
                ),
                GatewayKind::Health,
            ),
            GatewayRequest::Compaction { rev, .. } => {
                self.keep_log_before_compaction();
                (
                    self.service.write(node, EtcdRequest::Compaction { rev }),
                    GatewayKind::Compaction,
                )
            }
            GatewayRequest::MemberList => {
                let h = self.service.header(node, 0);
                let text = ctl::format::gateway_member_list(&h.into(), &self.member_rows());
                self.print(id, &text);
                self.finish(id);
                return;
            }
            GatewayRequest::Status => {
                let text = self.status_json(node);
                self.print(id, &text);
                self.finish(id);
                return;
            }
        };
        self.track(op, id, Purpose::Single(Render::Gateway(kind)));
        self.tasks.insert(id, Task::Single);
    }

    fn status_json(&self, node: u64) -> String {
        let rows = self.status_rows(&ctl::Target::Node(node));
        match rows.first() {
            Some(row) => ctl::format::gateway_status(row),
            None => error_json(&format!("node {node} is down: connection refused")),
        }
    }

    /// The JSON body answering a gateway call.
    pub(super) fn render_gateway(&self, kind: GatewayKind, r: &OpResult) -> Result<String, String> {
        use ctl::format as f;
        Ok(match (kind, r) {
            (GatewayKind::Health, OpResult::Read(_, a)) => match &a.result {
                Ok(_) => f::gateway_health(true, ""),
                Err(e) => f::gateway_health(false, e),
            },
            (GatewayKind::Range, OpResult::Read(h, a)) => match &a.result {
                Ok(resp) => f::gateway_range(&(*h).into(), resp),
                Err(e) => error_json(e),
            },
            (GatewayKind::LeaseKeepAlive(id), OpResult::KeepAlive(h, ttl)) => {
                f::gateway_lease_keepalive(&(*h).into(), id, *ttl)
            }
            (GatewayKind::LeaseTimeToLive(keys), OpResult::TimeToLive(h, info)) => {
                f::gateway_lease_ttl(&(*h).into(), info, keys)
            }
            (GatewayKind::LeaseLeases, OpResult::Leases(h, ids)) => {
                f::gateway_lease_leases(&(*h).into(), ids)
            }
            (_, OpResult::Write(h, applied)) => {
                let h: ctl::Header = (*h).into();
                match &applied.result {
                    Err(e) => error_json(e),
                    Ok(EtcdResponse::Put(p)) => f::gateway_put(&h, p),
                    Ok(EtcdResponse::DeleteRange(d)) => f::gateway_delete_range(&h, d),
                    Ok(EtcdResponse::Txn(t)) => f::gateway_txn(&h, t),
                    Ok(EtcdResponse::LeaseGrant { id, ttl }) => {
                        f::gateway_lease_grant(&h, *id, *ttl)
                    }
                    Ok(EtcdResponse::LeaseRevoke) => f::gateway_lease_revoke(&h),
                    Ok(EtcdResponse::Compaction) => f::gateway_compaction(&h),
                }
            }
            (_, other) => return Err(format!("unexpected result {other:?}")),
        })
    }
}
