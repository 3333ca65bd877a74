//! The JSON etcd's v3 gateway answers with (grpc-gateway with protobuf field names): int64 and
//! uint64 as strings, bytes base64, default values left out. Each function returns one line
//! with a trailing newline.

use kv::lease::LeaseInfo;
use kv::{DeleteRangeResponse, PutResponse, RangeResponse, TxnResponse};

use super::cluster::status_json;
use super::json;
use super::obj::{Obj, Style};
use crate::ctl::{EndpointStatusRow, Header};

const P: Style = Style::Proto;

fn with_header(h: &Header) -> Obj {
    let mut o = Obj::new(P);
    o.raw("header", &json::header(h, P));
    o
}

/// `POST /v3/kv/put`.
pub fn gateway_put(h: &Header, r: &PutResponse) -> String {
    json::put(&json::header(h, P), r, P) + "\n"
}

/// `POST /v3/kv/range`.
pub fn gateway_range(h: &Header, r: &RangeResponse) -> String {
    json::range(&json::header(h, P), r, P, false) + "\n"
}

/// `POST /v3/kv/deleterange`.
pub fn gateway_delete_range(h: &Header, r: &DeleteRangeResponse) -> String {
    json::delete_range(&json::header(h, P), r, P) + "\n"
}

/// `POST /v3/kv/txn`.
pub fn gateway_txn(h: &Header, r: &TxnResponse) -> String {
    json::txn(h, r, P) + "\n"
}

/// `POST /v3/kv/compaction`.
pub fn gateway_compaction(h: &Header) -> String {
    with_header(h).done() + "\n"
}

/// `POST /v3/lease/grant`: `{"header":{..},"ID":"..","TTL":".."}`.
pub fn gateway_lease_grant(h: &Header, id: i64, ttl: i64) -> String {
    with_header(h).int_nz("ID", id).int_nz("TTL", ttl).done() + "\n"
}

/// `POST /v3/lease/revoke`.
pub fn gateway_lease_revoke(h: &Header) -> String {
    with_header(h).done() + "\n"
}

/// `POST /v3/lease/keepalive` (a stream: each message wrapped in `{"result":..}`).
pub fn gateway_lease_keepalive(h: &Header, id: i64, ttl: i64) -> String {
    let inner = with_header(h).int_nz("ID", id).int_nz("TTL", ttl).done();
    Obj::new(P).raw("result", &inner).done() + "\n"
}

/// `POST /v3/lease/timetolive`.
pub fn gateway_lease_ttl(h: &Header, info: &LeaseInfo, keys: bool) -> String {
    let mut o = with_header(h);
    o.int_nz("ID", info.id)
        .int_nz("TTL", info.ttl)
        .int_nz("grantedTTL", info.granted_ttl);
    if keys {
        let ks: Vec<String> = info.keys.iter().map(|k| super::obj::b64(k)).collect();
        o.list_nz("keys", &ks);
    }
    o.done() + "\n"
}

/// `POST /v3/lease/leases`.
pub fn gateway_lease_leases(h: &Header, ids: &[i64]) -> String {
    let leases: Vec<String> = ids
        .iter()
        .map(|id| Obj::new(P).int_nz("ID", *id).done())
        .collect();
    with_header(h).list_nz("leases", &leases).done() + "\n"
}

/// `POST /v3/maintenance/status` (the row's `id` is the header's member id).
pub fn gateway_status(row: &EndpointStatusRow) -> String {
    status_json(row, P) + "\n"
}

/// `POST /v3/cluster/member/list` (the header carries no revision, as etcd's).
pub fn gateway_member_list(h: &Header, members: &[crate::ctl::MemberRow]) -> String {
    super::cluster::members_json_style(h, members, None, P)
}

/// `GET /health`: `{"health":"true","reason":""}`.
pub fn gateway_health(healthy: bool, reason: &str) -> String {
    Obj::new(P)
        .str("health", if healthy { "true" } else { "false" })
        .str("reason", reason)
        .done()
        + "\n"
}

/// A response that is only its header (`/v3/lock/unlock`, `/v3/election/proclaim`,
/// `/v3/election/resign`).
pub fn gateway_header_only(h: &Header) -> String {
    with_header(h).done() + "\n"
}

/// `POST /v3/lock/lock`: the header and the key that holds the lock.
pub fn gateway_lock(h: &Header, key: &[u8]) -> String {
    with_header(h).bytes_nz("key", key).done() + "\n"
}

/// `POST /v3/election/campaign`: the header and the leadership won (`name`, `key`, `rev`,
/// `lease`).
pub fn gateway_campaign(h: &Header, name: &[u8], key: &[u8], rev: i64, lease: i64) -> String {
    let leader = Obj::new(P)
        .bytes_nz("name", name)
        .bytes_nz("key", key)
        .int_nz("rev", rev)
        .int_nz("lease", lease)
        .done();
    with_header(h).raw("leader", &leader).done() + "\n"
}

/// `POST /v3/election/leader`: the header and the leader's key-value.
pub fn gateway_leader(h: &Header, kv: Option<&kv::KeyValue>) -> String {
    let mut o = with_header(h);
    if let Some(kv) = kv {
        o.raw("kv", &json::kv(kv, P, false));
    }
    o.done() + "\n"
}

/// `POST /v3/cluster/member/add|remove|promote|update`: the header (no revision), the member added
/// (for add), and the members after the change.
pub fn gateway_members(
    h: &Header,
    member: Option<&crate::ctl::MemberRow>,
    members: &[crate::ctl::MemberRow],
) -> String {
    super::cluster::members_json_style(h, members, member, P)
}

/// An error of the lock and election services, which etcd runs on a client of its own: the
/// error reaches the gateway as gRPC's `Unknown` (code 2) whatever it is.
pub fn gateway_recipe_error(msg: &str) -> String {
    crate::ctl::gateway_request::error_json(msg, 2) + "\n"
}

/// grpc status code etcd's gateway reports for an error message (rpctypes' table).
pub fn grpc_code(msg: &str) -> i32 {
    let m = msg.trim_start_matches("etcdserver: ");
    match m {
        "key is not provided"
        | "request is too large"
        | "too many operations in txn request"
        | "duplicate key given in txn request"
        | "value is provided"
        | "cannot promote member without a leader"
        | "given member URLs are invalid" => 3,
        "requested lease not found" | "member not found" => 5,
        "member ID already exist" => 6,
        // FailedPrecondition, as etcd 3.5.1's gateway answers a member update to a taken URL.
        "lease already exists"
        | "can only promote a learner member"
        | "Peer URLs already exists" => 9,
        "too large lease TTL" => 11,
        "mvcc: required revision has been compacted"
        | "mvcc: required revision is a future revision" => 11,
        "no leader" | "leader changed" | "request timed out" | "not capable"
        | "too many requests" => 14,
        "can only promote a learner member which is in sync with leader"
        | "re-configuration failed due to not enough started members" => 9,
        _ => 2,
    }
}

/// The gateway's error body for a failed request, e.g.
/// `{"error":"etcdserver: requested lease not found","code":5,"message":"..."}`.
pub fn gateway_error(msg: &str) -> String {
    crate::ctl::gateway_request::error_json(msg, grpc_code(msg)) + "\n"
}
