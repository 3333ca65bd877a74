//! etcd's v3 JSON gateway requests: `POST /v3/kv/put {"key":"Zm9v","value":"YmFy"}`.
//!
//! Bodies are decoded as etcd 3.5.1's grpc-gateway decodes them (see `jsonpb`): unknown fields
//! ignored, Go's `encoding/json` errors. Errors are the gateway's error JSON
//! `{"error":"...","code":3,"message":"..."}`.

use super::jsonpb::INVALID_ARGUMENT;
use super::jsonpb::{self, bad, Msg};
use super::{GatewayRequest, ParseError, MAX_REQUEST_BYTES};
use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp,
    SortOrder, SortTarget, TargetUnion, TxnRequest,
};

pub(crate) use super::jsonpb::error_json;

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
    let m = Msg::body(body)?;
    let req = match path {
        "/v3/kv/put" => GatewayRequest::Put(put(&m)?),
        "/v3/kv/range" => GatewayRequest::Range(range(&m)?),
        "/v3/kv/deleterange" => GatewayRequest::DeleteRange(delete_range(&m)?),
        "/v3/kv/txn" => GatewayRequest::Txn(txn(&m)?),
        "/v3/kv/compaction" => GatewayRequest::Compaction {
            rev: m.int("revision", "revision")?,
            physical: m.boolean("physical", "physical")?,
        },
        "/v3/lease/grant" => GatewayRequest::LeaseGrant {
            ttl: m.int("TTL", "TTL")?,
            id: m.int("ID", "ID")?,
        },
        "/v3/lease/revoke" | "/v3/kv/lease/revoke" => GatewayRequest::LeaseRevoke {
            id: m.int("ID", "ID")?,
        },
        "/v3/lease/keepalive" => GatewayRequest::LeaseKeepAlive {
            id: m.int("ID", "ID")?,
        },
        "/v3/lease/timetolive" | "/v3/kv/lease/timetolive" => GatewayRequest::LeaseTimeToLive {
            id: m.int("ID", "ID")?,
            keys: m.boolean("keys", "keys")?,
        },
        "/v3/lease/leases" | "/v3/kv/lease/leases" => GatewayRequest::LeaseLeases,
        "/v3/cluster/member/list" => {
            m.boolean("linearizable", "linearizable")?;
            GatewayRequest::MemberList
        }
        _ => GatewayRequest::Status,
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

// Each message's fields in the order `rpc.proto` declares them: jsonpb decodes them in that
// order and the first error is the answer.

fn put(m: &Msg) -> Result<PutRequest, ParseError> {
    Ok(PutRequest {
        key: m.bytes("key")?,
        value: m.bytes("value")?,
        lease: m.int("lease", "lease")?,
        prev_kv: m.boolean("prev_kv", "prevKv")?,
        ignore_value: m.boolean("ignore_value", "ignoreValue")?,
        ignore_lease: m.boolean("ignore_lease", "ignoreLease")?,
    })
}

fn range(m: &Msg) -> Result<RangeRequest, ParseError> {
    let key = m.bytes("key")?;
    let range_end = m
        .field("range_end", "rangeEnd")
        .map_or(Ok(Vec::new()), jsonpb::bytes)?;
    let limit = m.int("limit", "limit")?;
    let revision = m.int("revision", "revision")?;
    let order = match m.field("sort_order", "sortOrder") {
        None => 0,
        Some(raw) => jsonpb::enumeration(
            raw,
            &["NONE", "ASCEND", "DESCEND"],
            "etcdserverpb.RangeRequest.SortOrder",
        )?,
    };
    let target = match m.field("sort_target", "sortTarget") {
        None => 0,
        Some(raw) => jsonpb::enumeration(
            raw,
            &["KEY", "VERSION", "CREATE", "MOD", "VALUE"],
            "etcdserverpb.RangeRequest.SortTarget",
        )?,
    };
    let (sort_order, sort_target) = sort(order, target)?;
    Ok(RangeRequest {
        key,
        range_end,
        limit,
        revision,
        sort_order,
        sort_target,
        serializable: m.boolean("serializable", "serializable")?,
        keys_only: m.boolean("keys_only", "keysOnly")?,
        count_only: m.boolean("count_only", "countOnly")?,
        min_mod_revision: m.int("min_mod_revision", "minModRevision")?,
        max_mod_revision: m.int("max_mod_revision", "maxModRevision")?,
        min_create_revision: m.int("min_create_revision", "minCreateRevision")?,
        max_create_revision: m.int("max_create_revision", "maxCreateRevision")?,
    })
}

/// A range's sort as etcd 3.5.1 applies it. The gateway takes any int32 for the enums: an
/// order etcd does not know sorts nothing (the store's key order, as sorting by key
/// ascending gives); a target it does not know, with a known order, panics etcd's server
/// (the connection drops), so raftlab answers it with etcd 3.6's check instead.
fn sort(order: i32, target: i32) -> Result<(SortOrder, SortTarget), ParseError> {
    let order = match order {
        0 => SortOrder::None,
        1 => SortOrder::Ascend,
        2 => SortOrder::Descend,
        _ => return Ok((SortOrder::None, SortTarget::Key)),
    };
    let target = match target {
        0 => SortTarget::Key,
        1 => SortTarget::Version,
        2 => SortTarget::Create,
        3 => SortTarget::Mod,
        4 => SortTarget::Value,
        _ => return Err(bad("etcdserver: invalid sort option")),
    };
    Ok((order, target))
}

fn delete_range(m: &Msg) -> Result<DeleteRangeRequest, ParseError> {
    Ok(DeleteRangeRequest {
        key: m.bytes("key")?,
        range_end: m
            .field("range_end", "rangeEnd")
            .map_or(Ok(Vec::new()), jsonpb::bytes)?,
        prev_kv: m.boolean("prev_kv", "prevKv")?,
    })
}

/// Nesting limit for txns inside txns.
const MAX_DEPTH: usize = 16;

/// A txn as decoded, where a `RequestOp` may be empty (`{}`, `null`, or only unknown fields):
/// etcd refuses an empty op when it checks the txn (`etcdserver: key not found`), in its
/// place among the other checks, so the decoder keeps it until then.
struct TxnTree {
    compare: Vec<Compare>,
    success: Vec<Option<OpTree>>,
    failure: Vec<Option<OpTree>>,
}

enum OpTree {
    Op(RequestOp),
    Txn(TxnTree),
}

fn txn(m: &Msg) -> Result<TxnRequest, ParseError> {
    let tree = txn_tree(m, 0)?;
    match tree.build() {
        Some(t) => Ok(t),
        None => {
            let e = tree
                .check(kv::validate::MAX_TXN_OPS)
                .expect_err("an empty op fails the check");
            Err(bad(e.to_string()))
        }
    }
}

fn txn_tree(m: &Msg, depth: usize) -> Result<TxnTree, ParseError> {
    if depth > MAX_DEPTH {
        return Err(bad("txn nested too deeply"));
    }
    let list = |name: &str| m.get(name).map_or(Ok(Vec::new()), jsonpb::list);
    let compare = list("compare")?
        .into_iter()
        .map(|raw| compare(&Msg::parse(raw)?))
        .collect::<Result<_, _>>()?;
    let ops = |name: &str| -> Result<Vec<Option<OpTree>>, ParseError> {
        list(name)?
            .into_iter()
            .map(|raw| request_op(&Msg::parse(raw)?, depth))
            .collect()
    };
    Ok(TxnTree {
        compare,
        success: ops("success")?,
        failure: ops("failure")?,
    })
}

impl TxnTree {
    /// The txn, if no op is empty.
    fn build(&self) -> Option<TxnRequest> {
        let ops = |list: &[Option<OpTree>]| -> Option<Vec<RequestOp>> {
            list.iter()
                .map(|o| match o.as_ref()? {
                    OpTree::Op(op) => Some(op.clone()),
                    OpTree::Txn(t) => Some(RequestOp::Txn(t.build()?)),
                })
                .collect()
        };
        Some(TxnRequest {
            compare: self.compare.clone(),
            success: ops(&self.success)?,
            failure: ops(&self.failure)?,
        })
    }

    /// etcd's `checkTxnRequest`, with empty ops.
    fn check(&self, max_ops: usize) -> Result<(), kv::Error> {
        let opc = self
            .compare
            .len()
            .max(self.success.len())
            .max(self.failure.len());
        if opc > max_ops {
            return Err(kv::Error::TooManyOps);
        }
        if self.compare.iter().any(|c| c.key.is_empty()) {
            return Err(kv::Error::EmptyKey);
        }
        for op in self.success.iter().chain(&self.failure) {
            match op {
                None => return Err(kv::Error::KeyNotFound),
                Some(OpTree::Op(RequestOp::Range(r))) => kv::validate::range(r)?,
                Some(OpTree::Op(RequestOp::Put(p))) => kv::validate::put(p)?,
                Some(OpTree::Op(RequestOp::DeleteRange(d))) => kv::validate::delete_range(d)?,
                Some(OpTree::Op(RequestOp::Txn(_))) => {}
                Some(OpTree::Txn(t)) => t.check(max_ops - opc)?,
            }
        }
        Ok(())
    }
}

fn compare(m: &Msg) -> Result<Compare, ParseError> {
    // etcd takes any int32 for an enum; its applier gives the numbers it does not name a
    // meaning of their own (`CompareResult::Unknown`, `CompareTarget::Unknown`).
    let result = match m.get("result") {
        None => 0,
        Some(raw) => jsonpb::enumeration(
            raw,
            &["EQUAL", "GREATER", "LESS", "NOT_EQUAL"],
            "etcdserverpb.Compare.CompareResult",
        )?,
    };
    let target = match m.get("target") {
        None => 0,
        Some(raw) => jsonpb::enumeration(
            raw,
            &["VERSION", "CREATE", "MOD", "VALUE", "LEASE"],
            "etcdserverpb.Compare.CompareTarget",
        )?,
    };
    let key = m.bytes("key")?;
    // The oneof `target_union`: each member decoded in turn, the last one set wins.
    let mut union = None;
    if let Some(raw) = m.get("version") {
        union = Some(TargetUnion::Version(jsonpb::int64(raw)?));
    }
    if let Some(raw) = m.field("create_revision", "createRevision") {
        union = Some(TargetUnion::CreateRevision(jsonpb::int64(raw)?));
    }
    if let Some(raw) = m.field("mod_revision", "modRevision") {
        union = Some(TargetUnion::ModRevision(jsonpb::int64(raw)?));
    }
    if let Some(raw) = m.get("value") {
        union = Some(TargetUnion::Value(jsonpb::bytes(raw)?));
    }
    if let Some(raw) = m.get("lease") {
        union = Some(TargetUnion::Lease(jsonpb::int64(raw)?));
    }
    let range_end = m
        .field("range_end", "rangeEnd")
        .map_or(Ok(Vec::new()), jsonpb::bytes)?;
    let result = CompareResult::from_number(result);
    let target = CompareTarget::from_number(target);
    let value = union.unwrap_or_else(|| target.zero_operand());
    Ok(Compare {
        result,
        target,
        key,
        range_end,
        value,
    })
}

/// A `RequestOp`: the oneof `request`, each member decoded in turn, the last one set wins;
/// `None` when none is set.
fn request_op(m: &Msg, depth: usize) -> Result<Option<OpTree>, ParseError> {
    let mut op = None;
    if let Some(raw) = m.field("request_range", "requestRange") {
        op = Some(OpTree::Op(RequestOp::Range(range(&Msg::parse(raw)?)?)));
    }
    if let Some(raw) = m.field("request_put", "requestPut") {
        op = Some(OpTree::Op(RequestOp::Put(put(&Msg::parse(raw)?)?)));
    }
    if let Some(raw) = m.field("request_delete_range", "requestDeleteRange") {
        op = Some(OpTree::Op(RequestOp::DeleteRange(delete_range(
            &Msg::parse(raw)?,
        )?)));
    }
    if let Some(raw) = m.field("request_txn", "requestTxn") {
        op = Some(OpTree::Txn(txn_tree(&Msg::parse(raw)?, depth + 1)?));
    }
    Ok(op)
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
        // Unknown fields are ignored, and a wrong type is Go's error (etcd 3.5.1).
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":"Zm9v","foo":1}"#),
            Ok(GatewayRequest::Put(PutRequest {
                key: b"foo".to_vec(),
                ..Default::default()
            }))
        );
        assert_eq!(
            req(r#"POST /v3/kv/put {"key":5}"#),
            Err(e(
                "json: cannot unmarshal number into Go value of type []uint8"
            ))
        );
        assert_eq!(
            req(r#"POST /v3/kv/range {"key":"YQ==","sort_order":"BAD"}"#),
            Err(e(
                r#"unknown value "\"BAD\"" for enum etcdserverpb.RangeRequest.SortOrder"#
            ))
        );
        // An empty op in its place among etcd's txn checks.
        assert_eq!(
            req(r#"POST /v3/kv/txn {"success":[{"request_put":{"key":""}},{}]}"#),
            Err(e("etcdserver: key is not provided"))
        );
        assert_eq!(
            req(r#"POST /v3/kv/txn {"success":[{"request_put":{"key":"eA=="}},{"x":{}}]}"#),
            Err(e("etcdserver: key not found"))
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
