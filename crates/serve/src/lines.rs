//! gRPC requests as lines of the repl language, so that each one runs through the playground
//! exactly as the console's would and the session's recording replays it: unary calls become
//! the JSON gateway's curl lines (`curl -s http://node2:2379/v3/kv/put -d '{...}'`, which carry
//! every field of etcd's request, bytes in base64), watches become `watch -w json` lines.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::pb::etcdserverpb as pb;

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A JSON object with only the fields that are set (etcd's gateway leaves zero values out).
struct Body(Map<String, Value>);

impl Body {
    fn new() -> Self {
        Body(Map::new())
    }
    fn bytes(mut self, k: &str, v: &[u8]) -> Self {
        if !v.is_empty() {
            self.0.insert(k.into(), b64(v));
        }
        self
    }
    fn int(mut self, k: &str, v: i64) -> Self {
        if v != 0 {
            self.0.insert(k.into(), Value::String(v.to_string()));
        }
        self
    }
    /// An enum field: its number (a quoted number is not an enum value to the gateway).
    fn enumeration(mut self, k: &str, v: i32) -> Self {
        if v != 0 {
            self.0.insert(k.into(), Value::from(v));
        }
        self
    }
    fn flag(mut self, k: &str, v: bool) -> Self {
        if v {
            self.0.insert(k.into(), Value::Bool(true));
        }
        self
    }
    fn raw(mut self, k: &str, v: Value) -> Self {
        self.0.insert(k.into(), v);
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// `RangeRequest` as the gateway's JSON.
pub fn range(r: &pb::RangeRequest) -> Value {
    Body::new()
        .bytes("key", &r.key)
        .bytes("range_end", &r.range_end)
        .int("limit", r.limit)
        .int("revision", r.revision)
        .enumeration("sort_order", r.sort_order)
        .enumeration("sort_target", r.sort_target)
        .flag("serializable", r.serializable)
        .flag("keys_only", r.keys_only)
        .flag("count_only", r.count_only)
        .int("min_mod_revision", r.min_mod_revision)
        .int("max_mod_revision", r.max_mod_revision)
        .int("min_create_revision", r.min_create_revision)
        .int("max_create_revision", r.max_create_revision)
        .done()
}

/// `PutRequest` as the gateway's JSON.
pub fn put(r: &pb::PutRequest) -> Value {
    Body::new()
        .bytes("key", &r.key)
        .bytes("value", &r.value)
        .int("lease", r.lease)
        .flag("prev_kv", r.prev_kv)
        .flag("ignore_value", r.ignore_value)
        .flag("ignore_lease", r.ignore_lease)
        .done()
}

/// `DeleteRangeRequest` as the gateway's JSON.
pub fn delete_range(r: &pb::DeleteRangeRequest) -> Value {
    Body::new()
        .bytes("key", &r.key)
        .bytes("range_end", &r.range_end)
        .flag("prev_kv", r.prev_kv)
        .done()
}

fn compare(c: &pb::Compare) -> Value {
    use pb::compare::TargetUnion as U;
    let mut b = Body::new()
        .raw("result", json!(c.result))
        .raw("target", json!(c.target))
        .bytes("key", &c.key)
        .bytes("range_end", &c.range_end);
    b = match &c.target_union {
        None => b,
        Some(U::Version(v)) => b.raw("version", json!(v.to_string())),
        Some(U::CreateRevision(v)) => b.raw("create_revision", json!(v.to_string())),
        Some(U::ModRevision(v)) => b.raw("mod_revision", json!(v.to_string())),
        Some(U::Value(v)) => b.raw("value", b64(v)),
        Some(U::Lease(v)) => b.raw("lease", json!(v.to_string())),
    };
    b.done()
}

fn request_op(op: &pb::RequestOp) -> Value {
    use pb::request_op::Request as R;
    match &op.request {
        None => json!({}),
        Some(R::RequestRange(r)) => json!({ "request_range": range(r) }),
        Some(R::RequestPut(r)) => json!({ "request_put": put(r) }),
        Some(R::RequestDeleteRange(r)) => json!({ "request_delete_range": delete_range(r) }),
        Some(R::RequestTxn(t)) => json!({ "request_txn": txn(t) }),
    }
}

/// `TxnRequest` as the gateway's JSON.
pub fn txn(t: &pb::TxnRequest) -> Value {
    let list = |v: Vec<Value>| Value::Array(v);
    let mut b = Body::new();
    if !t.compare.is_empty() {
        b = b.raw("compare", list(t.compare.iter().map(compare).collect()));
    }
    if !t.success.is_empty() {
        b = b.raw("success", list(t.success.iter().map(request_op).collect()));
    }
    if !t.failure.is_empty() {
        b = b.raw("failure", list(t.failure.iter().map(request_op).collect()));
    }
    b.done()
}

/// A JSON body for `path` as a curl line to `node`'s gateway.
pub fn curl(node: u64, path: &str, body: &Value) -> String {
    curl_raw(node, path, &body.to_string())
}

/// A raw body (as a client sent it, maybe malformed) as a curl line to `node`'s gateway. Line
/// breaks become spaces (a line holds one command); single quotes are written `'\''`.
pub fn curl_raw(node: u64, path: &str, body: &str) -> String {
    let body: String = body
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    format!(
        "curl -s http://node{node}:2379{path} -d '{}'",
        body.replace('\'', "'\\''")
    )
}

/// `GET /health` at `node`.
pub fn health(node: u64) -> String {
    format!("curl -s http://node{node}:2379/health")
}

/// Bytes as one double-quoted word of the repl's lexer (`\xHH` for anything but printable
/// ASCII, `\"` and `\\` escaped).
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'$' | b'`' => s.push_str(&format!("\\x{b:02x}")),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// A watch as an etcdctl `watch -w json` line at `node` (filters are applied by the server
/// side of `serve`, as etcd's watch stream does; etcdctl has no flag for them).
pub fn watch(node: u64, w: &pb::WatchCreateRequest) -> String {
    let mut line = format!("watch --endpoints=node{node} -w json");
    if w.start_revision != 0 {
        line.push_str(&format!(" --rev={}", w.start_revision));
    }
    if w.prev_kv {
        line.push_str(" --prev-kv");
    }
    if w.progress_notify {
        line.push_str(" --progress-notify");
    }
    line.push_str(" -- ");
    line.push_str(&quote(&w.key));
    if !w.range_end.is_empty() {
        line.push(' ');
        line.push_str(&quote(&w.range_end));
    }
    line
}

/// An election's observer as an etcdctl `elect --listen -w json` line at `node`: it prints
/// the leader's key-value each time the leader or its value changes.
pub fn observe(node: u64, name: &[u8]) -> String {
    format!("elect --endpoints=node{node} -w json -l -- {}", quote(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_byte_readable_by_the_lexer() {
        assert_eq!(quote(b"foo"), "\"foo\"");
        assert_eq!(quote(b"a\"b\\c$"), "\"a\\\"b\\\\c\\x24\"");
        assert_eq!(quote(&[0, 0xff]), "\"\\x00\\xff\"");
    }

    #[test]
    fn curl_lines_quote_the_body() {
        let line = curl_raw(2, "/v3/kv/put", "{\"key\":\n\"it's\"}");
        assert_eq!(
            line,
            "curl -s http://node2:2379/v3/kv/put -d '{\"key\": \"it'\\''s\"}'"
        );
    }

    #[test]
    fn zero_fields_are_left_out() {
        let r = pb::RangeRequest {
            key: b"k".to_vec(),
            limit: 2,
            ..Default::default()
        };
        assert_eq!(range(&r).to_string(), r#"{"key":"aw==","limit":"2"}"#);
    }

    #[test]
    fn sorted_ranges_run_at_the_gateway() {
        // etcdctl's `lock` reads the waiters sorted by create revision: enums go as numbers.
        let r = pb::RangeRequest {
            key: b"l/".to_vec(),
            range_end: b"l0".to_vec(),
            sort_order: 1,
            sort_target: 1,
            limit: 1,
            ..Default::default()
        };
        let line = curl(1, "/v3/kv/range", &range(&r));
        assert!(line.contains(r#""sort_order":1,"sort_target":1"#), "{line}");
        let mut pg = etcd::Playground::new(sim::ClusterConfig::new(3, 1)).unwrap();
        pg.run_until(3_000).unwrap();
        let id = pg.exec(&line).unwrap();
        pg.run_until_settled(id, 10_000).unwrap();
        let out = pg.output(id).unwrap();
        assert_eq!(out.state, etcd::CommandState::Done, "{}", out.text);
    }
}
