//! The playground's JSON answers (etcd's gateway JSON, and etcdctl's `-w json` for watches)
//! read back into etcd's protobuf messages. Both carry every field of the response: bytes in
//! base64, 64-bit integers as strings or numbers, zero values left out.

#![allow(clippy::result_large_err)] // tonic's API passes `Status` by value.

use base64::Engine;
use serde_json::Value;
use tonic::{Code, Status};

use crate::pb::etcdserverpb as pb;
use crate::pb::mvccpb;

/// The field `k` of an object, by its protobuf name or its Go (capitalized) name.
pub fn get<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(k) {
        return Some(x);
    }
    let mut c = k.chars();
    let cap: String = c
        .next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default();
    obj.get(&cap)
}

/// The int64 field `k` (a number or a string holding one; 0 when missing).
pub fn int(v: &Value, k: &str) -> i64 {
    match get(v, k) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u as i64))
            .unwrap_or(0),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .or_else(|_| s.parse::<u64>().map(|u| u as i64))
            .unwrap_or(0),
        _ => 0,
    }
}

fn uint(v: &Value, k: &str) -> u64 {
    int(v, k) as u64
}

fn flag(v: &Value, k: &str) -> bool {
    matches!(get(v, k), Some(Value::Bool(true)))
}

/// The bytes field `k` (base64; empty when missing).
pub fn bytes(v: &Value, k: &str) -> Vec<u8> {
    match get(v, k) {
        Some(Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn string(v: &Value, k: &str) -> String {
    get(v, k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    get(v, k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `ResponseHeader`.
pub fn header(v: &Value) -> pb::ResponseHeader {
    let h = get(v, "header").unwrap_or(&Value::Null);
    pb::ResponseHeader {
        cluster_id: uint(h, "cluster_id"),
        member_id: uint(h, "member_id"),
        revision: int(h, "revision"),
        raft_term: uint(h, "raft_term"),
    }
}

/// `mvccpb.KeyValue`.
pub fn kv(v: &Value) -> mvccpb::KeyValue {
    mvccpb::KeyValue {
        key: bytes(v, "key"),
        create_revision: int(v, "create_revision"),
        mod_revision: int(v, "mod_revision"),
        version: int(v, "version"),
        value: bytes(v, "value"),
        lease: int(v, "lease"),
    }
}

fn opt_kv(v: &Value, k: &str) -> Option<mvccpb::KeyValue> {
    get(v, k).filter(|x| x.is_object()).map(kv)
}

/// `RangeResponse`.
pub fn range(v: &Value) -> pb::RangeResponse {
    pb::RangeResponse {
        header: Some(header(v)),
        kvs: list(v, "kvs").iter().map(kv).collect(),
        more: flag(v, "more"),
        count: int(v, "count"),
    }
}

/// `PutResponse`.
pub fn put(v: &Value) -> pb::PutResponse {
    pb::PutResponse {
        header: Some(header(v)),
        prev_kv: opt_kv(v, "prev_kv"),
    }
}

/// `DeleteRangeResponse`.
pub fn delete_range(v: &Value) -> pb::DeleteRangeResponse {
    pb::DeleteRangeResponse {
        header: Some(header(v)),
        deleted: int(v, "deleted"),
        prev_kvs: list(v, "prev_kvs").iter().map(kv).collect(),
    }
}

/// `TxnResponse`.
pub fn txn(v: &Value) -> pb::TxnResponse {
    use pb::response_op::Response as R;
    let responses = list(v, "responses")
        .iter()
        .map(|op| pb::ResponseOp {
            response: if let Some(r) = get(op, "response_range") {
                Some(R::ResponseRange(range(r)))
            } else if let Some(r) = get(op, "response_put") {
                Some(R::ResponsePut(put(r)))
            } else if let Some(r) = get(op, "response_delete_range") {
                Some(R::ResponseDeleteRange(delete_range(r)))
            } else {
                get(op, "response_txn").map(|r| R::ResponseTxn(txn(r)))
            },
        })
        .collect();
    pb::TxnResponse {
        header: Some(header(v)),
        succeeded: flag(v, "succeeded"),
        responses,
    }
}

/// `LeaseGrantResponse`.
pub fn lease_grant(v: &Value) -> pb::LeaseGrantResponse {
    pb::LeaseGrantResponse {
        header: Some(header(v)),
        id: int(v, "ID"),
        ttl: int(v, "TTL"),
        error: String::new(),
    }
}

/// `LeaseKeepAliveResponse` (the gateway wraps it in `{"result":..}`).
pub fn lease_keepalive(v: &Value) -> pb::LeaseKeepAliveResponse {
    let r = get(v, "result").unwrap_or(v);
    pb::LeaseKeepAliveResponse {
        header: Some(header(r)),
        id: int(r, "ID"),
        ttl: int(r, "TTL"),
    }
}

/// `LeaseTimeToLiveResponse`.
pub fn lease_ttl(v: &Value) -> pb::LeaseTimeToLiveResponse {
    pb::LeaseTimeToLiveResponse {
        header: Some(header(v)),
        id: int(v, "ID"),
        ttl: int(v, "TTL"),
        granted_ttl: int(v, "grantedTTL"),
        keys: list(v, "keys")
            .iter()
            .filter_map(Value::as_str)
            .map(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// `LeaseLeasesResponse`.
pub fn lease_leases(v: &Value) -> pb::LeaseLeasesResponse {
    pb::LeaseLeasesResponse {
        header: Some(header(v)),
        leases: list(v, "leases")
            .iter()
            .map(|l| pb::LeaseStatus { id: int(l, "ID") })
            .collect(),
    }
}

/// `StatusResponse`.
pub fn status(v: &Value) -> pb::StatusResponse {
    pb::StatusResponse {
        header: Some(header(v)),
        version: string(v, "version"),
        db_size: int(v, "dbSize"),
        leader: uint(v, "leader"),
        raft_index: uint(v, "raftIndex"),
        raft_term: uint(v, "raftTerm"),
        raft_applied_index: uint(v, "raftAppliedIndex"),
        errors: list(v, "errors")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        db_size_in_use: int(v, "dbSizeInUse"),
        is_learner: flag(v, "isLearner"),
    }
}

/// `Member`.
pub fn member(v: &Value) -> pb::Member {
    let urls = |k: &str| {
        list(v, k)
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    pb::Member {
        id: uint(v, "ID"),
        name: string(v, "name"),
        peer_ur_ls: urls("peerURLs"),
        client_ur_ls: urls("clientURLs"),
        is_learner: flag(v, "isLearner"),
    }
}

/// The members of a cluster response.
pub fn members(v: &Value) -> Vec<pb::Member> {
    list(v, "members").iter().map(member).collect()
}

/// `mvccpb.Event`.
pub fn event(v: &Value) -> mvccpb::Event {
    let delete = matches!(get(v, "type"), Some(Value::String(s)) if s == "DELETE")
        || matches!(get(v, "type"), Some(Value::Number(n)) if n.as_i64() == Some(1));
    mvccpb::Event {
        r#type: if delete {
            mvccpb::event::EventType::Delete as i32
        } else {
            mvccpb::event::EventType::Put as i32
        },
        kv: opt_kv(v, "kv"),
        prev_kv: opt_kv(v, "prev_kv"),
    }
}

/// One `watch -w json` response line: header, events, compact revision, canceled.
pub fn watch_response(v: &Value, watch_id: i64) -> pb::WatchResponse {
    pb::WatchResponse {
        header: Some(header(v)),
        watch_id,
        created: false,
        canceled: flag(v, "canceled"),
        compact_revision: int(v, "compactRevision"),
        cancel_reason: String::new(),
        fragment: false,
        events: list(v, "events").iter().map(event).collect(),
    }
}

/// etcd's gRPC code for an error message (etcd's `rpctypes` table).
pub fn code(msg: &str) -> Code {
    match etcd::ctl::format::grpc_code(msg) {
        3 => Code::InvalidArgument,
        5 => Code::NotFound,
        6 => Code::AlreadyExists,
        9 => Code::FailedPrecondition,
        11 => Code::OutOfRange,
        14 => Code::Unavailable,
        _ => Code::Unknown,
    }
}

/// etcd's error for a message the playground printed, as a client of a real etcd sees it:
/// the server's own request timeout reads `etcdserver: request timed out` (the playground's
/// `context deadline exceeded` is etcdctl's client-side wording), a member that is down is
/// unavailable.
pub fn status_error(msg: &str) -> Status {
    let msg = msg.trim();
    if msg == "context deadline exceeded" {
        return Status::unavailable("etcdserver: request timed out");
    }
    if msg.contains("is down") {
        return Status::unavailable(msg.to_string());
    }
    Status::new(code(msg), msg.to_string())
}

/// The answer text of a gateway line: its JSON, or the error it carries (`{"error":..}`, or a
/// bare message such as `Not Found`).
pub fn answer(text: &str) -> Result<Value, Status> {
    let t = text.trim();
    match serde_json::from_str::<Value>(t) {
        Ok(v) => {
            if let Some(e) = get(&v, "error").and_then(Value::as_str) {
                let code = int(&v, "code");
                let msg = e.to_string();
                let st = status_error(&msg);
                // The playground's parse errors carry their own code (InvalidArgument).
                if st.code() == Code::Unknown && code != 0 {
                    return Err(Status::new(Code::from_i32(code as i32), msg));
                }
                return Err(st);
            }
            Ok(v)
        }
        Err(_) => Err(status_error(
            t.strip_prefix("Error: ")
                .unwrap_or(t)
                .lines()
                .next()
                .unwrap_or(""),
        )),
    }
}

/// The answer text of a lock or election gateway line: its JSON, or its error with the gRPC
/// code the gateway gave it (etcd runs these services on a client of its own, so their errors
/// reach the caller as `Unknown` whatever their message), a timeout as etcd's.
pub fn recipe_answer(text: &str) -> Result<Value, Status> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        if let Some(e) = get(&v, "error").and_then(Value::as_str) {
            let code = int(&v, "code");
            if e == "context deadline exceeded" || e.contains("is down") || code == 0 {
                return Err(status_error(e));
            }
            return Err(Status::new(Code::from_i32(code as i32), e.to_string()));
        }
        return Ok(v);
    }
    answer(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_answers_read_back() {
        let v: Value = serde_json::from_str(
            r#"{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"3","raft_term":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmFy"}],"count":"1"}"#,
        )
        .unwrap();
        let r = range(&v);
        let h = r.header.unwrap();
        assert_eq!(
            (h.cluster_id, h.revision, h.raft_term),
            (14841639068965178418, 3, 2)
        );
        assert_eq!(r.kvs[0].key, b"foo");
        assert_eq!(r.kvs[0].value, b"bar");
        assert_eq!((r.kvs[0].version, r.count), (2, 1));
    }

    #[test]
    fn errors_carry_etcd_codes() {
        let e = answer(r#"{"error":"etcdserver: mvcc: required revision has been compacted","code":11,"message":"x"}"#)
            .unwrap_err();
        assert_eq!(e.code(), Code::OutOfRange);
        let e = answer(r#"{"error":"context deadline exceeded","code":2}"#).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (Code::Unavailable, "etcdserver: request timed out")
        );
        let e = answer(r#"{"error":"unknown field \"x\" in etcdserverpb.PutRequest","code":3}"#)
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
    }

    #[test]
    fn watch_lines_in_go_style_read_back() {
        let v: Value = serde_json::from_str(
            r#"{"Header":{"cluster_id":1,"member_id":2,"revision":7,"raft_term":3},"Events":[{"type":1,"kv":{"key":"YQ==","mod_revision":7}}],"CompactRevision":0,"Canceled":false,"Created":false}"#,
        )
        .unwrap();
        let w = watch_response(&v, 4);
        assert_eq!(w.header.unwrap().revision, 7);
        assert_eq!(w.events[0].r#type, 1);
        assert_eq!(w.events[0].kv.as_ref().unwrap().key, b"a");
        assert_eq!(w.watch_id, 4);
    }
}
