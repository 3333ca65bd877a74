//! etcd's v3 JSON gateway (grpc-gateway): requests already parsed by `ctl` become client
//! calls, answers are etcd's JSON shapes (bytes base64, 64-bit integers as strings, zero
//! values left out).

use super::answers::{member_row, status_row};
use super::commands::{GatewayKind, Render};
use super::{CommandId, Playground};
use crate::client::{
    CampaignRequest, CompactionRequest, LeaderKey, LeaderRequest, LeaseGrantRequest,
    LeaseTimeToLiveRequest, LockRequest, MemberAddRequest, ProclaimRequest, Reply, ResignRequest,
    UnlockRequest,
};
use crate::ctl::format as f;
use crate::ctl::{self, ElectionLeader, GatewayRequest};

/// v3election's error for a proclaim or resign without its leader.
const NO_LEADER_KEY: &str = "\"leader\" field must be provided";

fn leader_key(l: ElectionLeader) -> LeaderKey {
    LeaderKey {
        name: l.name,
        key: l.key,
        rev: l.rev,
        lease: l.lease,
    }
}

/// A peer URL etcd accepts (`types.NewURLs`): `http`, `https`, `unix` or `unixs`, a
/// `host:port`, no path.
fn valid_url(u: &str) -> bool {
    let Some((scheme, rest)) = u.split_once("://") else {
        return false;
    };
    let host_port = rest.split(['?', '#']).next().unwrap_or("");
    matches!(scheme, "http" | "https" | "unix" | "unixs")
        && !host_port.contains('/')
        && host_port
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

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
        let now = self.now();
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
            GatewayRequest::Lock { name, lease } => {
                (c.lock(node, LockRequest { name, lease }), GatewayKind::Lock)
            }
            GatewayRequest::Unlock { key } => {
                self.session_log.gateway_unlock(&key, now);
                (c.unlock(node, UnlockRequest { key }), GatewayKind::Unlock)
            }
            GatewayRequest::Campaign { name, lease, value } => (
                c.campaign(node, CampaignRequest { name, lease, value }),
                GatewayKind::Campaign,
            ),
            GatewayRequest::Proclaim { leader, value } => {
                let Some(l) = leader else {
                    return self.refuse(id, &f::gateway_recipe_error(NO_LEADER_KEY));
                };
                let leader = leader_key(l);
                let req = ProclaimRequest { leader, value };
                (c.proclaim(node, req), GatewayKind::Proclaim)
            }
            GatewayRequest::Leader { name } => {
                (c.leader(node, LeaderRequest { name }), GatewayKind::Leader)
            }
            GatewayRequest::Resign { leader } => {
                let Some(l) = leader else {
                    return self.refuse(id, &f::gateway_recipe_error(NO_LEADER_KEY));
                };
                let req = ResignRequest {
                    leader: leader_key(l),
                };
                (c.resign(node, req), GatewayKind::Resign)
            }
            GatewayRequest::MemberAdd {
                peer_urls,
                is_learner,
            } => {
                if peer_urls.is_empty() || !peer_urls.iter().all(|u| valid_url(u)) {
                    let e = "etcdserver: given member URLs are invalid";
                    return self.refuse(id, &f::gateway_error(e));
                }
                let req = MemberAddRequest {
                    peer_urls,
                    is_learner,
                    name: String::new(),
                };
                (c.member_add(req), GatewayKind::MemberAdd)
            }
            GatewayRequest::MemberRemove { id: member }
            | GatewayRequest::MemberPromote { id: member }
            | GatewayRequest::MemberUpdate { id: member, .. }
                if !c.members().iter().any(|m| m.id == member) =>
            {
                // Only a member id names a member here (the console also takes node numbers).
                return self.refuse(id, &f::gateway_error("etcdserver: member not found"));
            }
            GatewayRequest::MemberRemove { id: member } => {
                (c.member_remove(member), GatewayKind::MemberRemove(member))
            }
            GatewayRequest::MemberPromote { id: member } => {
                (c.member_promote(member), GatewayKind::MemberPromote(member))
            }
            GatewayRequest::MemberUpdate {
                id: member,
                peer_urls,
            } => (
                c.member_update(member, peer_urls),
                GatewayKind::MemberUpdate,
            ),
        };
        self.single(id, call, Render::Gateway(kind));
    }

    /// Answers a gateway request with an error before any call.
    fn refuse(&mut self, id: CommandId, text: &str) {
        self.print(id, text);
        self.finish(id);
    }

    /// The JSON body answering a gateway call.
    pub(super) fn render_gateway(&self, kind: GatewayKind, r: Result<Reply, String>) -> String {
        let r = match (kind, r) {
            (GatewayKind::Status(node), Err(_)) => {
                return error_json(&format!("node {node} is down: connection refused"))
            }
            (k, Err(e)) if k.is_recipe() => return f::gateway_recipe_error(&e),
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
            (_, Reply::Lock(l)) => f::gateway_lock(&l.header, &l.key),
            (_, Reply::Unlock(u)) => f::gateway_header_only(&u.header),
            (_, Reply::Proclaim(p)) => f::gateway_header_only(&p.header),
            (_, Reply::Resign(r)) => f::gateway_header_only(&r.header),
            (_, Reply::Campaign(c)) => {
                let l = &c.leader;
                f::gateway_campaign(&c.header, &l.name, &l.key, l.rev, l.lease)
            }
            (_, Reply::Leader(l)) => f::gateway_leader(&l.header, l.kv.as_ref()),
            (_, Reply::MemberAdd(a)) => {
                let mut member = member_row(&a.member);
                // etcd's answer lists the new member as it is: no name, no client URLs yet.
                member.name.clear();
                member.client_urls.clear();
                let rows: Vec<_> = a.members.iter().map(member_row).collect();
                f::gateway_members(&a.header, Some(&member), &rows)
            }
            // etcd answers once the change is applied: the list as it is after it.
            (GatewayKind::MemberRemove(id), Reply::MemberRemove(m)) => {
                let rows: Vec<_> = m
                    .members
                    .iter()
                    .filter(|m| m.id != id)
                    .map(member_row)
                    .collect();
                f::gateway_members(&m.header, None, &rows)
            }
            (_, Reply::MemberUpdate(m)) => {
                let rows: Vec<_> = m.members.iter().map(member_row).collect();
                f::gateway_members(&m.header, None, &rows)
            }
            (GatewayKind::MemberPromote(id), Reply::MemberPromote(m)) => {
                let mut rows: Vec<_> = m.members.iter().map(member_row).collect();
                for r in rows.iter_mut().filter(|r| r.id == id) {
                    r.is_learner = false;
                }
                f::gateway_members(&m.header, None, &rows)
            }
            (_, other) => error_json(&format!("unexpected result {other:?}")),
        }
    }
}
