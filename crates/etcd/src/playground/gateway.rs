//! etcd's v3 JSON gateway (grpc-gateway): requests already parsed by `ctl` become client
//! calls, answers are etcd's JSON shapes (bytes base64, 64-bit integers as strings, zero
//! values left out).

use super::answers::{member_row, status_row};
use super::commands::{GatewayKind, Render};
use super::{CommandId, Playground};
use crate::client::{CompactionRequest, LeaseGrantRequest, LeaseTimeToLiveRequest, Reply};
use crate::ctl::{self, GatewayRequest};

/// etcd's gateway error body.
pub(crate) fn error_json(msg: &str) -> String {
    ctl::format::gateway_error(msg)
}

impl Playground {
    /// Starts a gateway request at `node`.
    pub(super) fn gateway(&mut self, id: CommandId, node: u64, req: GatewayRequest) {
        if matches!(req, GatewayRequest::Compaction { .. }) {
            self.keep_log_before_compaction();
        }
        let c = &mut self.client;
        let (call, kind) = match req {
            GatewayRequest::Put(p) => (c.put(node, p), GatewayKind::Put),
            GatewayRequest::Range(r) => (c.range(node, r), GatewayKind::Range),
            GatewayRequest::DeleteRange(d) => (c.delete_range(node, d), GatewayKind::DeleteRange),
            GatewayRequest::Txn(t) => (c.txn(node, t), GatewayKind::Txn),
            GatewayRequest::LeaseGrant { ttl, id: lease } => (
                c.lease_grant(node, LeaseGrantRequest { ttl, id: lease }),
                GatewayKind::LeaseGrant,
            ),
            GatewayRequest::LeaseRevoke { id: lease } => {
                (c.lease_revoke(node, lease), GatewayKind::LeaseRevoke)
            }
            GatewayRequest::LeaseKeepAlive { id: lease } => (
                c.lease_keep_alive_once(node, lease),
                GatewayKind::LeaseKeepAlive,
            ),
            GatewayRequest::LeaseTimeToLive { id: lease, keys } => (
                c.lease_time_to_live(node, LeaseTimeToLiveRequest { id: lease, keys }),
                GatewayKind::LeaseTimeToLive(keys),
            ),
            GatewayRequest::LeaseLeases => (c.lease_leases(node), GatewayKind::LeaseLeases),
            GatewayRequest::Health => (c.health(node), GatewayKind::Health),
            GatewayRequest::Compaction { rev, physical } => (
                c.compact(
                    node,
                    CompactionRequest {
                        revision: rev,
                        physical,
                    },
                ),
                GatewayKind::Compaction,
            ),
            GatewayRequest::MemberList => (c.member_list(node), GatewayKind::MemberList),
            GatewayRequest::Status => (c.status(node), GatewayKind::Status(node)),
        };
        self.single(id, call, Render::Gateway(kind));
    }

    /// The JSON body answering a gateway call.
    pub(super) fn render_gateway(&self, kind: GatewayKind, r: Result<Reply, String>) -> String {
        use ctl::format as f;
        let r = match (kind, r) {
            (GatewayKind::Status(node), Err(_)) => {
                return error_json(&format!("node {node} is down: connection refused"))
            }
            (_, Err(e)) => return error_json(&e),
            (_, Ok(r)) => r,
        };
        match (kind, r) {
            (GatewayKind::Health, Reply::Health(h)) => f::gateway_health(h.health, &h.reason),
            (GatewayKind::Range, Reply::Range(g)) => f::gateway_range(&g.header, &g.body()),
            (GatewayKind::LeaseKeepAlive, Reply::LeaseKeepAlive(k)) => {
                f::gateway_lease_keepalive(&k.header, k.id, k.ttl)
            }
            (GatewayKind::LeaseTimeToLive(keys), Reply::LeaseTimeToLive(t)) => {
                f::gateway_lease_ttl(&t.header, &t.info(), keys)
            }
            (GatewayKind::LeaseLeases, Reply::LeaseLeases(l)) => {
                let ids: Vec<i64> = l.leases.iter().map(|s| s.id).collect();
                f::gateway_lease_leases(&l.header, &ids)
            }
            (GatewayKind::MemberList, Reply::MemberList(m)) => {
                // The gateway's member list answers with no revision in its header.
                let mut h: ctl::Header = m.header;
                h.revision = 0;
                let rows: Vec<_> = m.members.iter().map(member_row).collect();
                f::gateway_member_list(&h, &rows)
            }
            (GatewayKind::Status(node), Reply::Status(s)) => {
                f::gateway_status(&status_row(format!("node{node}"), &s))
            }
            (_, Reply::Put(p)) => f::gateway_put(
                &p.header,
                &kv::PutResponse {
                    prev_kv: p.prev_kv.clone(),
                },
            ),
            (_, Reply::DeleteRange(d)) => f::gateway_delete_range(
                &d.header,
                &kv::DeleteRangeResponse {
                    deleted: d.deleted,
                    prev_kvs: d.prev_kvs.clone(),
                },
            ),
            (_, Reply::Txn(t)) => f::gateway_txn(
                &t.header,
                &kv::TxnResponse {
                    succeeded: t.succeeded,
                    responses: t.responses.clone(),
                },
            ),
            (_, Reply::LeaseGrant(g)) => f::gateway_lease_grant(&g.header, g.id, g.ttl),
            (_, Reply::LeaseRevoke(r)) => f::gateway_lease_revoke(&r.header),
            (_, Reply::Compaction(c)) => f::gateway_compaction(&c.header),
            (_, other) => error_json(&format!("unexpected result {other:?}")),
        }
    }
}
