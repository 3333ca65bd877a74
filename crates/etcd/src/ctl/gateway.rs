//! etcd's v3 JSON gateway requests: `POST /v3/kv/put {"key":"Zm9v","value":"YmFy"}`.
//!
//! Bodies follow grpc-gateway's protobuf JSON: field names as in `rpc.proto` (or their
//! camelCase JSON names), bytes base64, int64 as numbers or strings, enums by name or number.
//! Errors are the gateway's error JSON `{"error":"...","code":3,"message":"..."}`.

use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp,
    SortOrder, SortTarget, TargetUnion, TxnRequest,
};
use serde_json::{Map, Value};

use super::gateway_fields::{
    bad, boolean, bytes, empty, enum_value, field_is, int, kind, object, only_id, unknown,
    INVALID_ARGUMENT,
};
use super::{goquote, GatewayRequest, ParseError, MAX_REQUEST_BYTES};

pub(crate) use super::gateway_fields::error_json;

/// If the line is an HTTP request (`POST /v3/...`, `GET /health`), parses it.
pub(crate) fn detect(line: &str) -> Option<Result<GatewayRequest, ParseError>> {
    let (method, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if !matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD") {
        return None;
    }
    let rest = rest.trim_start();
    if !rest.starts_with('/') {
        return None;
    }
    let (path, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some(request(method, path, body.trim()))
}

/// The gateway paths of the KV, lease, maintenance and member-list requests (the recipes' and
/// member changes' are `gateway_recipes::PATHS`).
const KV_PATHS: [&str; 15] = [
    "/v3/kv/put",
    "/v3/kv/range",
    "/v3/kv/deleterange",
    "/v3/kv/txn",
    "/v3/kv/compaction",
    "/v3/lease/grant",
    "/v3/lease/revoke",
    "/v3/kv/lease/revoke",
    "/v3/lease/keepalive",
    "/v3/lease/timetolive",
    "/v3/kv/lease/timetolive",
    "/v3/lease/leases",
    "/v3/kv/lease/leases",
    "/v3/maintenance/status",
    "/v3/cluster/member/list",
];

/// Every POST path the gateway answers, for servers that route them (`raftlab serve`).
pub fn post_paths() -> impl Iterator<Item = &'static str> {
    KV_PATHS.into_iter().chain(super::gateway_recipes::PATHS)
}

pub(crate) fn request(method: &str, path: &str, body: &str) -> Result<GatewayRequest, ParseError> {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    if path == "/health" {
        return if method == "GET" {
            Ok(GatewayRequest::Health)
        } else {
            Err(ParseError::raw("Method Not Allowed"))
        };
    }
    let recipe = super::gateway_recipes::PATHS.contains(&path);
    if !KV_PATHS.contains(&path) && !recipe {
        return Err(ParseError::raw(if path.starts_with("/v3/") {
            "Not Found"
        } else {
            "404 page not found"
        }));
    }
    if method != "POST" {
        return Err(ParseError::raw("Method Not Allowed"));
    }
    // A body copied from `curl -d '{...}'` may keep its shell quotes.
    let body = body
        .strip_prefix('\'')
        .and_then(|b| b.strip_suffix('\''))
        .unwrap_or(body);
    if body.len() > MAX_REQUEST_BYTES * 2 {
        return Err(ParseError::raw(error_json(
            "etcdserver: request is too large",
            INVALID_ARGUMENT,
        )));
    }
    if recipe {
        return super::gateway_recipes::request(path, body);
    }
    let obj = object(body)?;
    let req = match path {
        "/v3/kv/put" => GatewayRequest::Put(put(&obj, "PutRequest")?),
        "/v3/kv/range" => GatewayRequest::Range(range(&obj, "RangeRequest")?),
        "/v3/kv/deleterange" => {
            GatewayRequest::DeleteRange(delete_range(&obj, "DeleteRangeRequest")?)
        }
        "/v3/kv/txn" => GatewayRequest::Txn(txn(&obj)?),
        "/v3/kv/compaction" => {
            let mut rev = 0;
            let mut physical = false;
            for (k, v) in &obj {
                match k.as_str() {
                    "revision" => rev = int(k, v)?,
                    "physical" => physical = boolean(k, v)?,
                    _ => return Err(unknown(k, "CompactionRequest")),
                }
            }
            GatewayRequest::Compaction { rev, physical }
        }
        "/v3/lease/grant" => {
            let (mut ttl, mut id) = (0, 0);
            for (k, v) in &obj {
                match k.as_str() {
                    "TTL" => ttl = int(k, v)?,
                    "ID" => id = int(k, v)?,
                    _ => return Err(unknown(k, "LeaseGrantRequest")),
                }
            }
            GatewayRequest::LeaseGrant { ttl, id }
        }
        "/v3/lease/revoke" | "/v3/kv/lease/revoke" => GatewayRequest::LeaseRevoke {
            id: only_id(&obj, "LeaseRevokeRequest")?,
        },
        "/v3/lease/keepalive" => GatewayRequest::LeaseKeepAlive {
            id: only_id(&obj, "LeaseKeepAliveRequest")?,
        },
        "/v3/lease/timetolive" | "/v3/kv/lease/timetolive" => {
            let (mut id, mut keys) = (0, false);
            for (k, v) in &obj {
                match k.as_str() {
                    "ID" => id = int(k, v)?,
                    "keys" => keys = boolean(k, v)?,
                    _ => return Err(unknown(k, "LeaseTimeToLiveRequest")),
                }
            }
            GatewayRequest::LeaseTimeToLive { id, keys }
        }
        "/v3/lease/leases" | "/v3/kv/lease/leases" => {
            empty(&obj, "LeaseLeasesRequest")?;
            GatewayRequest::LeaseLeases
        }
        "/v3/cluster/member/list" => {
            for (k, v) in &obj {
                match k.as_str() {
                    "linearizable" => {
                        boolean(k, v)?;
                    }
                    _ => return Err(unknown(k, "MemberListRequest")),
                }
            }
            GatewayRequest::MemberList
        }
        _ => {
            empty(&obj, "StatusRequest")?;
            GatewayRequest::Status
        }
    };
    let size = match &req {
        GatewayRequest::Put(p) => crate::EtcdRequest::Put(p.clone()).encoded_len(),
        GatewayRequest::Range(r) => r.key.len() + r.range_end.len(),
        GatewayRequest::DeleteRange(d) => d.key.len() + d.range_end.len(),
        GatewayRequest::Txn(t) => super::txn::txn_size(t),
        _ => 0,
    };
    if size > MAX_REQUEST_BYTES {
        return Err(ParseError::raw(error_json(
            "etcdserver: request is too large",
            INVALID_ARGUMENT,
        )));
    }
    Ok(req)
}

fn put(obj: &Map<String, Value>, msg: &str) -> Result<PutRequest, ParseError> {
    let mut r = PutRequest::default();
    for (k, v) in obj {
        match k.as_str() {
            "key" => r.key = bytes(k, v)?,
            "value" => r.value = bytes(k, v)?,
            "lease" => r.lease = int(k, v)?,
            k2 if field_is(k2, "prev_kv", "prevKv") => r.prev_kv = boolean(k, v)?,
            k2 if field_is(k2, "ignore_value", "ignoreValue") => r.ignore_value = boolean(k, v)?,
            k2 if field_is(k2, "ignore_lease", "ignoreLease") => r.ignore_lease = boolean(k, v)?,
            _ => return Err(unknown(k, msg)),
        }
    }
    Ok(r)
}

fn range(obj: &Map<String, Value>, msg: &str) -> Result<RangeRequest, ParseError> {
    let mut r = RangeRequest::default();
    for (k, v) in obj {
        match k.as_str() {
            "key" => r.key = bytes(k, v)?,
            "limit" => r.limit = int(k, v)?,
            "revision" => r.revision = int(k, v)?,
            "serializable" => r.serializable = boolean(k, v)?,
            k2 if field_is(k2, "range_end", "rangeEnd") => r.range_end = bytes(k, v)?,
            k2 if field_is(k2, "sort_order", "sortOrder") => {
                r.sort_order = [SortOrder::None, SortOrder::Ascend, SortOrder::Descend]
                    [enum_value(k, v, &["NONE", "ASCEND", "DESCEND"])?]
            }
            k2 if field_is(k2, "sort_target", "sortTarget") => {
                r.sort_target = [
                    SortTarget::Key,
                    SortTarget::Version,
                    SortTarget::Create,
                    SortTarget::Mod,
                    SortTarget::Value,
                ][enum_value(k, v, &["KEY", "VERSION", "CREATE", "MOD", "VALUE"])?]
            }
            k2 if field_is(k2, "keys_only", "keysOnly") => r.keys_only = boolean(k, v)?,
            k2 if field_is(k2, "count_only", "countOnly") => r.count_only = boolean(k, v)?,
            k2 if field_is(k2, "min_mod_revision", "minModRevision") => {
                r.min_mod_revision = int(k, v)?
            }
            k2 if field_is(k2, "max_mod_revision", "maxModRevision") => {
                r.max_mod_revision = int(k, v)?
            }
            k2 if field_is(k2, "min_create_revision", "minCreateRevision") => {
                r.min_create_revision = int(k, v)?
            }
            k2 if field_is(k2, "max_create_revision", "maxCreateRevision") => {
                r.max_create_revision = int(k, v)?
            }
            _ => return Err(unknown(k, msg)),
        }
    }
    Ok(r)
}

fn delete_range(obj: &Map<String, Value>, msg: &str) -> Result<DeleteRangeRequest, ParseError> {
    let mut r = DeleteRangeRequest::default();
    for (k, v) in obj {
        match k.as_str() {
            "key" => r.key = bytes(k, v)?,
            k2 if field_is(k2, "range_end", "rangeEnd") => r.range_end = bytes(k, v)?,
            k2 if field_is(k2, "prev_kv", "prevKv") => r.prev_kv = boolean(k, v)?,
            _ => return Err(unknown(k, msg)),
        }
    }
    Ok(r)
}

fn sub_object<'a>(field: &str, v: &'a Value) -> Result<Option<&'a Map<String, Value>>, ParseError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        other => Err(bad(format!(
            "bad value for field {}: json: cannot unmarshal {} into Go value of type map[string]json.RawMessage",
            goquote::quote(field.as_bytes()),
            kind(other)
        ))),
    }
}

fn list<'a>(field: &str, v: &'a Value) -> Result<Vec<&'a Map<String, Value>>, ParseError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| sub_object(field, i).map(|o| o.unwrap_or_else(|| empty_map())))
            .collect(),
        other => Err(bad(format!(
            "bad value for field {}: json: cannot unmarshal {} into Go value of type []json.RawMessage",
            goquote::quote(field.as_bytes()),
            kind(other)
        ))),
    }
}

/// A shared empty object (for `null` sub-messages).
fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// Nesting limit for txns inside txns.
const MAX_DEPTH: usize = 16;

fn txn(obj: &Map<String, Value>) -> Result<TxnRequest, ParseError> {
    txn_at(obj, 0)
}

fn txn_at(obj: &Map<String, Value>, depth: usize) -> Result<TxnRequest, ParseError> {
    if depth > MAX_DEPTH {
        return Err(bad("txn nested too deeply"));
    }
    let mut t = TxnRequest::default();
    for (k, v) in obj {
        match k.as_str() {
            "compare" => {
                t.compare = list(k, v)?
                    .into_iter()
                    .map(compare)
                    .collect::<Result<_, _>>()?
            }
            "success" => {
                t.success = list(k, v)?
                    .into_iter()
                    .map(|o| request_op(o, depth))
                    .collect::<Result<_, _>>()?
            }
            "failure" => {
                t.failure = list(k, v)?
                    .into_iter()
                    .map(|o| request_op(o, depth))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(unknown(k, "TxnRequest")),
        }
    }
    Ok(t)
}

fn compare(obj: &Map<String, Value>) -> Result<Compare, ParseError> {
    let mut c = Compare::default();
    let mut union = None;
    for (k, v) in obj {
        match k.as_str() {
            "result" => {
                c.result = [
                    CompareResult::Equal,
                    CompareResult::Greater,
                    CompareResult::Less,
                    CompareResult::NotEqual,
                ][enum_value(k, v, &["EQUAL", "GREATER", "LESS", "NOT_EQUAL"])?]
            }
            "target" => {
                c.target = [
                    CompareTarget::Version,
                    CompareTarget::Create,
                    CompareTarget::Mod,
                    CompareTarget::Value,
                    CompareTarget::Lease,
                ][enum_value(k, v, &["VERSION", "CREATE", "MOD", "VALUE", "LEASE"])?]
            }
            "key" => c.key = bytes(k, v)?,
            k2 if field_is(k2, "range_end", "rangeEnd") => c.range_end = bytes(k, v)?,
            "version" => union = Some(TargetUnion::Version(int(k, v)?)),
            k2 if field_is(k2, "create_revision", "createRevision") => {
                union = Some(TargetUnion::CreateRevision(int(k, v)?))
            }
            k2 if field_is(k2, "mod_revision", "modRevision") => {
                union = Some(TargetUnion::ModRevision(int(k, v)?))
            }
            "value" => union = Some(TargetUnion::Value(bytes(k, v)?)),
            "lease" => union = Some(TargetUnion::Lease(int(k, v)?)),
            _ => return Err(unknown(k, "Compare")),
        }
    }
    c.value = union.unwrap_or(match c.target {
        CompareTarget::Version => TargetUnion::Version(0),
        CompareTarget::Create => TargetUnion::CreateRevision(0),
        CompareTarget::Mod => TargetUnion::ModRevision(0),
        CompareTarget::Value => TargetUnion::Value(Vec::new()),
        CompareTarget::Lease => TargetUnion::Lease(0),
    });
    Ok(c)
}

fn request_op(obj: &Map<String, Value>, depth: usize) -> Result<RequestOp, ParseError> {
    let mut op = None;
    for (k, v) in obj {
        let m = sub_object(k, v)?.unwrap_or_else(|| empty_map());
        op = Some(match k.as_str() {
            k2 if field_is(k2, "request_range", "requestRange") => {
                RequestOp::Range(range(m, "RangeRequest")?)
            }
            k2 if field_is(k2, "request_put", "requestPut") => {
                RequestOp::Put(put(m, "PutRequest")?)
            }
            k2 if field_is(k2, "request_delete_range", "requestDeleteRange") => {
                RequestOp::DeleteRange(delete_range(m, "DeleteRangeRequest")?)
            }
            k2 if field_is(k2, "request_txn", "requestTxn") => {
                RequestOp::Txn(txn_at(m, depth + 1)?)
            }
            _ => return Err(unknown(k, "RequestOp")),
        });
    }
    // An empty RequestOp is an empty range on the server; reject it here instead.
    op.ok_or_else(|| bad("etcdserver: key is not provided"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn req(s: &str) -> Result<GatewayRequest, String> {
        detect(s).unwrap().map_err(|e| e.0)
    }

    #[test]
    fn kv_requests() {
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":"Zm9v","value":"YmFy","lease":"7"}"#),
            Ok(GatewayRequest::Put(PutRequest {
                key: b"foo".to_vec(),
                value: b"bar".to_vec(),
                lease: 7,
                ..Default::default()
            }))
        );
        let Ok(GatewayRequest::Range(r)) = req(
            r#"POST /v3/kv/range {"key":"Zm9v","range_end":"Zm9w","sort_order":"DESCEND","limit":2}"#,
        ) else {
            panic!()
        };
        assert_eq!(
            (r.range_end, r.sort_order, r.limit),
            (b"fop".to_vec(), SortOrder::Descend, 2)
        );
        assert_eq!(
            req("POST /v3/kv/range"),
            Ok(GatewayRequest::Range(RangeRequest::default()))
        );
        let Ok(GatewayRequest::Txn(t)) = req(
            r#"POST /v3/kv/txn {"compare":[{"target":"CREATE","key":"Zm9v","createRevision":"0"}],"success":[{"requestPut":{"key":"Zm9v","value":"YmFy"}}],"failure":[{"request_range":{"key":"Zm9v"}}]}"#,
        ) else {
            panic!()
        };
        assert_eq!(
            t.compare[0],
            Compare::create_revision("foo", CompareResult::Equal, 0)
        );
        assert!(matches!(t.success[0], RequestOp::Put(_)));
        assert!(matches!(t.failure[0], RequestOp::Range(_)));
    }

    #[test]
    fn lease_and_maintenance() {
        assert_eq!(
            req(r#"POST /v3/lease/grant {"TTL": 30, "ID": 0}"#),
            Ok(GatewayRequest::LeaseGrant { ttl: 30, id: 0 })
        );
        assert_eq!(
            req(r#"POST /v3/kv/lease/revoke {"ID": "5"}"#),
            Ok(GatewayRequest::LeaseRevoke { id: 5 })
        );
        assert_eq!(
            req(r#"POST /v3/lease/timetolive {"ID": 5, "keys": true}"#),
            Ok(GatewayRequest::LeaseTimeToLive { id: 5, keys: true })
        );
        assert_eq!(
            req("POST /v3/maintenance/status {}"),
            Ok(GatewayRequest::Status)
        );
        assert_eq!(req("GET /health"), Ok(GatewayRequest::Health));
        assert_eq!(
            req(r#"POST /v3/kv/compaction '{"revision":"3","physical":true}'"#),
            Ok(GatewayRequest::Compaction {
                rev: 3,
                physical: true
            })
        );
    }

    #[test]
    fn too_large() {
        let big =
            base64::engine::general_purpose::STANDARD.encode(vec![b'x'; MAX_REQUEST_BYTES + 1]);
        let line = format!(r#"POST /v3/kv/put {{"key":"Zm9v","value":"{big}"}}"#);
        assert_eq!(
            req(&line),
            Err(error_json("etcdserver: request is too large", 3))
        );
    }

    #[test]
    fn errors() {
        let e = |m: &str| error_json(m, 3);
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":"Zm9v!"}"#),
            Err(e("illegal base64 data at input byte 4"))
        );
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":x}"#),
            Err(e("invalid character 'x' looking for beginning of value"))
        );
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":"Zm9v""#),
            Err(e("unexpected EOF"))
        );
        assert_eq!(
            req(r#"POST /v3/kv/put {"foo":1}"#),
            Err(e(r#"unknown field "foo" in etcdserverpb.PutRequest"#))
        );
        assert_eq!(
            req("POST /v3/kv/put [1]"),
            Err(e(
                "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"
            ))
        );
        assert_eq!(req("POST /v3/kv/nope {}"), Err("Not Found".into()));
        assert_eq!(req("GET /v3/kv/put"), Err("Method Not Allowed".into()));
        assert!(detect("put /x y").is_none());
        assert!(detect("GET foo").is_none());
    }
}
