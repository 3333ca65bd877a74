//! etcd's v3 JSON gateway requests: `POST /v3/kv/put {"key":"Zm9v","value":"YmFy"}`.
//!
//! Bodies follow grpc-gateway's protobuf JSON: field names as in `rpc.proto` (or their
//! camelCase JSON names), bytes base64, int64 as numbers or strings, enums by name or number.
//! Errors are the gateway's error JSON `{"error":"...","code":3,"message":"..."}`.

use base64::Engine;
use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp,
    SortOrder, SortTarget, TargetUnion, TxnRequest,
};
use serde_json::{Map, Value};

use super::{goquote, GatewayRequest, ParseError, MAX_REQUEST_BYTES};

/// grpc's InvalidArgument code.
const INVALID_ARGUMENT: i32 = 3;

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

/// The gateway's error body.
pub(crate) fn error_json(msg: &str, code: i32) -> String {
    let m = Value::String(msg.to_string());
    format!("{{\"error\":{m},\"code\":{code},\"message\":{m}}}")
}

fn bad(msg: impl AsRef<str>) -> ParseError {
    ParseError::raw(error_json(msg.as_ref(), INVALID_ARGUMENT))
}

pub(crate) fn request(method: &str, path: &str, body: &str) -> Result<GatewayRequest, ParseError> {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    let known = [
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
    if path == "/health" {
        return if method == "GET" {
            Ok(GatewayRequest::Health)
        } else {
            Err(ParseError::raw("Method Not Allowed"))
        };
    }
    if !known.contains(&path) {
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

/// Parses the body as a JSON object (an empty body is `{}`, as the gateway treats EOF).
fn object(body: &str) -> Result<Map<String, Value>, ParseError> {
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    // From the bytes, as the snapshots are read: one copy of serde_json's parser in the wasm
    // bundle (the same result for a `str`).
    let v: Value =
        serde_json::from_slice(body.as_bytes()).map_err(|e| bad(json_error(body, &e)))?;
    match v {
        Value::Object(m) => Ok(m),
        other => Err(bad(format!(
            "json: cannot unmarshal {} into Go value of type map[string]json.RawMessage",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's `encoding/json` wording for a syntax error, from serde_json's.
fn json_error(body: &str, e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "unexpected EOF".into();
    }
    let line = body.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let c = line.chars().nth(e.column().saturating_sub(1));
    let msg = e.to_string();
    let Some(c) = c else {
        return "unexpected EOF".into();
    };
    let q = match c {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => goquote::quote(c.to_string().as_bytes()).replace('"', "'"),
        c => format!("'{c}'"),
    };
    let context = if msg.starts_with("expected `:`") {
        "after object key"
    } else if msg.starts_with("expected `,` or `}`") {
        "after object key:value pair"
    } else if msg.starts_with("expected `,` or `]`") {
        "after array element"
    } else if msg.starts_with("key must be a string") {
        "looking for beginning of object key string"
    } else if msg.starts_with("trailing") {
        "after top-level value"
    } else if msg.starts_with("invalid escape") {
        "in string escape code"
    } else if msg.starts_with("control character") {
        "in string literal"
    } else {
        "looking for beginning of value"
    };
    format!("invalid character {q} {context}")
}

fn unknown(field: &str, msg: &str) -> ParseError {
    bad(format!(
        "unknown field {} in etcdserverpb.{msg}",
        goquote::quote(field.as_bytes())
    ))
}

fn empty(obj: &Map<String, Value>, msg: &str) -> Result<(), ParseError> {
    match obj.keys().next() {
        Some(k) => Err(unknown(k, msg)),
        None => Ok(()),
    }
}

fn only_id(obj: &Map<String, Value>, msg: &str) -> Result<i64, ParseError> {
    let mut id = 0;
    for (k, v) in obj {
        match k.as_str() {
            "ID" => id = int(k, v)?,
            _ => return Err(unknown(k, msg)),
        }
    }
    Ok(id)
}

/// An int64 field: a JSON integer or a string holding one.
fn int(field: &str, v: &Value) -> Result<i64, ParseError> {
    let text = match v {
        Value::Null => return Ok(0),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(bad(format!(
                "bad value for field {}: json: cannot unmarshal {} into Go value of type int64",
                goquote::quote(field.as_bytes()),
                kind(other)
            )))
        }
    };
    goquote::parse_int(&text, 10).map_err(bad)
}

fn boolean(field: &str, v: &Value) -> Result<bool, ParseError> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(bad(format!(
            "bad value for field {}: json: cannot unmarshal {} into Go value of type bool",
            goquote::quote(field.as_bytes()),
            kind(other)
        ))),
    }
}

/// A bytes field: base64 (standard, or URL-safe as a fallback), as Go decodes it.
fn bytes(field: &str, v: &Value) -> Result<Vec<u8>, ParseError> {
    let s = match v {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) => s,
        other => {
            return Err(bad(format!(
                "bad value for field {}: json: cannot unmarshal {} into Go value of type []uint8",
                goquote::quote(field.as_bytes()),
                kind(other)
            )))
        }
    };
    let std = base64::engine::general_purpose::STANDARD.decode(s);
    let url = || base64::engine::general_purpose::URL_SAFE.decode(s);
    std.or_else(|_| url()).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(i, _)
            | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            base64::DecodeError::InvalidPadding => s.find('=').unwrap_or(s.len() / 4 * 4),
            base64::DecodeError::InvalidLength(n) => n / 4 * 4,
        };
        bad(format!("illegal base64 data at input byte {at}"))
    })
}

fn enum_value(field: &str, v: &Value, names: &[&str]) -> Result<usize, ParseError> {
    let invalid = || {
        bad(format!(
            "invalid value for enum type: {}",
            match v {
                Value::String(s) => goquote::quote(s.as_bytes()),
                other => other.to_string(),
            }
        ))
    };
    match v {
        Value::Null => Ok(0),
        Value::String(s) => names.iter().position(|n| n == s).ok_or_else(invalid),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n < names.len())
            .ok_or_else(invalid),
        _ => {
            let _ = field;
            Err(invalid())
        }
    }
}

fn field_is(k: &str, proto: &str, json: &str) -> bool {
    k == proto || k == json
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
