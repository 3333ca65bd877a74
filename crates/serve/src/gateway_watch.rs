//! The JSON gateway's `POST /v3/watch`: a stream of newline-delimited `{"result":{...}}`
//! objects, as etcd 3.5's grpc-gateway writes them (field names as in the `.proto`, int64 as
//! strings, zero values left out, an event's type only when it is `DELETE`). The watch itself
//! is the same `watch -w json` line the gRPC Watch runs, so it is recorded and replays; the
//! watch ends (`cancel`) when the HTTP client goes away. `POST /v3/election/observe` streams
//! v3election's `Observe` the same way.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use crate::convert;
use crate::driver::{Call, WatchItem};
use crate::grpc::{self, keep, Member};
use crate::lines;
use crate::pb::etcdserverpb as pb;
use crate::pb::mvccpb;

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn b64(b: &[u8]) -> String {
    quote(&base64::engine::general_purpose::STANDARD.encode(b))
}

/// Writes the fields that are set, in order.
struct Fields(Vec<String>);

impl Fields {
    fn new() -> Self {
        Fields(Vec::new())
    }
    fn int(&mut self, k: &str, v: i128) -> &mut Self {
        if v != 0 {
            self.0.push(format!("\"{k}\":\"{v}\""));
        }
        self
    }
    fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Self {
        if !v.is_empty() {
            self.0.push(format!("\"{k}\":{}", b64(v)));
        }
        self
    }
    fn flag(&mut self, k: &str, v: bool) -> &mut Self {
        if v {
            self.0.push(format!("\"{k}\":true"));
        }
        self
    }
    fn raw(&mut self, k: &str, v: Option<String>) -> &mut Self {
        if let Some(v) = v {
            self.0.push(format!("\"{k}\":{v}"));
        }
        self
    }
    fn done(&self) -> String {
        format!("{{{}}}", self.0.join(","))
    }
}

fn header_json(h: &pb::ResponseHeader) -> String {
    Fields::new()
        .int("cluster_id", h.cluster_id.into())
        .int("member_id", h.member_id.into())
        .int("revision", h.revision.into())
        .int("raft_term", h.raft_term.into())
        .done()
}

fn kv_json(kv: &mvccpb::KeyValue) -> String {
    Fields::new()
        .bytes("key", &kv.key)
        .int("create_revision", kv.create_revision.into())
        .int("mod_revision", kv.mod_revision.into())
        .int("version", kv.version.into())
        .bytes("value", &kv.value)
        .int("lease", kv.lease.into())
        .done()
}

fn event_json(e: &mvccpb::Event) -> String {
    let delete = e.r#type == mvccpb::event::EventType::Delete as i32;
    let mut f = Fields::new();
    f.raw("type", delete.then(|| quote("DELETE")))
        .raw("kv", e.kv.as_ref().map(kv_json))
        .raw("prev_kv", e.prev_kv.as_ref().map(kv_json));
    f.done()
}

/// One message of the stream: `{"result":{...}}` and a newline.
pub fn result_line(r: &pb::WatchResponse) -> String {
    let events: Vec<String> = r.events.iter().map(event_json).collect();
    let inner = Fields::new()
        .raw("header", r.header.as_ref().map(header_json))
        .int("watch_id", r.watch_id.into())
        .flag("created", r.created)
        .flag("canceled", r.canceled)
        .int("compact_revision", r.compact_revision.into())
        .raw(
            "cancel_reason",
            (!r.cancel_reason.is_empty()).then(|| quote(&r.cancel_reason)),
        )
        .flag("fragment", r.fragment)
        .raw(
            "events",
            (!events.is_empty()).then(|| format!("[{}]", events.join(","))),
        )
        .done();
    format!("{{\"result\":{inner}}}\n")
}

/// grpc-gateway's error chunk for a stream that broke after it started.
fn error_chunk(msg: &str) -> String {
    status_chunk(14, msg)
}

/// grpc-gateway's error chunk for a stream that ended with gRPC code `code`.
fn status_chunk(code: i32, msg: &str) -> String {
    let status = crate::http_status::of(code.into());
    format!(
        "{{\"error\":{{\"grpc_code\":{code},\"http_code\":{},\"message\":{},\"http_status\":{}}}}}\n",
        status.as_u16(),
        quote(msg),
        quote(status.canonical_reason().unwrap_or(""))
    )
}

fn json_error(msg: &str) -> Response {
    let m = quote(msg);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"error\":{m},\"code\":2,\"message\":{m}}}"),
    )
        .into_response()
}

/// `POST /v3/watch`.
pub async fn watch(State(m): State<Member>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return json_error("invalid character in request body (not UTF-8)");
    };
    let req = match etcd::ctl::gateway_watch_request(text) {
        Ok(r) => r,
        Err(msg) => return json_error(&msg),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    let Some(req) = req else {
        // No create request: etcd's gateway waits, answering nothing, until the client goes.
        tokio::spawn(async move { tx.closed().await });
        return stream_response(rx);
    };
    let c = pb::WatchCreateRequest {
        key: req.key,
        range_end: req.range_end,
        start_revision: req.start_revision,
        progress_notify: req.progress_notify,
        prev_kv: req.prev_kv,
        watch_id: req.watch_id,
        ..Default::default()
    };
    let filters: Vec<i32> = req
        .filters
        .iter()
        .map(|f| match f {
            kv::WatchFilter::NoPut => 0,
            kv::WatchFilter::NoDelete => 1,
        })
        .collect();
    let (sink, items) = mpsc::unbounded_channel();
    let (started, started_rx) = oneshot::channel();
    let call = Call::Watch {
        node: m.node,
        line: lines::watch(m.node, &c),
        label: m.label(&format!(
            "POST /v3/watch {} from revision {}",
            grpc::show(&c.key),
            c.start_revision
        )),
        sink,
        started,
    };
    if let Err(st) = m.handle.send(call) {
        return json_error(st.message());
    }
    let Ok(Some(cmd)) = started_rx.await else {
        return json_error("etcdserver: server stopped");
    };
    let wid = c.watch_id;
    pump(m, cmd, items, move |item| {
        Some(match item {
            Some(WatchItem::Created(h)) => {
                let r = pb::WatchResponse {
                    header: Some(grpc::header(h)),
                    watch_id: wid,
                    created: true,
                    ..Default::default()
                };
                (result_line(&r), false)
            }
            Some(WatchItem::Response(v)) => {
                let mut r = convert::watch_response(&v, wid);
                let had = r.events.len();
                r.events.retain(|e| keep(e, &filters));
                if had > 0 && r.events.is_empty() {
                    return None;
                }
                (result_line(&r), false)
            }
            Some(WatchItem::Canceled(reason, compact, h)) => {
                let compacted = reason.contains("compacted");
                let mut h = grpc::header(h);
                if compacted {
                    // etcd's compaction cancel carries no revision in its header.
                    h.revision = 0;
                }
                let r = pb::WatchResponse {
                    header: Some(h),
                    watch_id: wid,
                    canceled: true,
                    compact_revision: if compacted { compact } else { 0 },
                    cancel_reason: if compacted { String::new() } else { reason },
                    ..Default::default()
                };
                (result_line(&r), true)
            }
            Some(WatchItem::Failed(msg)) => (error_chunk(&msg), true),
            None => return None,
        })
    })
}

/// One message of `POST /v3/election/observe`: a `LeaderResponse` as `{"result":{...}}`.
pub fn leader_line(r: &crate::pb::v3electionpb::LeaderResponse) -> String {
    let inner = Fields::new()
        .raw("header", r.header.as_ref().map(header_json))
        .raw("kv", r.kv.as_ref().map(kv_json))
        .done();
    format!("{{\"result\":{inner}}}\n")
}

/// `POST /v3/election/observe`: the election's leader, then each new leader or value, as
/// etcd's gateway streams v3election's `Observe`. It is the `elect -l -w json` line the gRPC
/// `Observe` runs (recorded, replayed), cancelled when the HTTP client goes away.
pub async fn observe(State(m): State<Member>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"invalid character in request body (not UTF-8)","code":3,"message":"invalid character in request body (not UTF-8)"}"#,
        )
            .into_response();
    };
    let name = match etcd::ctl::gateway_observe_request(text) {
        Ok(name) => name,
        Err(body) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    };
    let (sink, items) = mpsc::unbounded_channel();
    let (started, started_rx) = oneshot::channel();
    let call = Call::Watch {
        node: m.node,
        line: lines::observe(m.node, &name),
        label: m.label(&format!("POST /v3/election/observe {}", grpc::show(&name))),
        sink,
        started,
    };
    if let Err(st) = m.handle.send(call) {
        return json_error(st.message());
    }
    let Ok(Some(cmd)) = started_rx.await else {
        return json_error("etcdserver: server stopped");
    };
    pump(m, cmd, items, |item| {
        Some(match item {
            // Each leader as `elect -l -w json` prints it: a range answer.
            Some(WatchItem::Response(v)) => {
                let r = convert::range(&v);
                let l = crate::pb::v3electionpb::LeaderResponse {
                    header: r.header,
                    kv: r.kvs.into_iter().next(),
                };
                (leader_line(&l), false)
            }
            Some(WatchItem::Created(_)) => return None,
            Some(WatchItem::Canceled(reason, ..)) | Some(WatchItem::Failed(reason)) => {
                let st = convert::status_error(&reason);
                (status_chunk(st.code() as i32, st.message()), true)
            }
            None => return None,
        })
    })
}

/// Streams command `cmd`'s items to the client as the lines `line` makes of them (`None`: the
/// item sends nothing; `true` with a line: the stream ends after it). The stream ends when the
/// items do or the client goes, and the command is cancelled then.
fn pump(
    m: Member,
    cmd: etcd::CommandId,
    mut items: mpsc::UnboundedReceiver<WatchItem>,
    mut line: impl FnMut(Option<WatchItem>) -> Option<(String, bool)> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    let handle = m.handle.clone();
    tokio::spawn(async move {
        loop {
            let item = tokio::select! {
                item = items.recv() => item,
                _ = tx.closed() => break,
            };
            let done = item.is_none();
            let Some((text, end)) = line(item) else {
                if done {
                    break;
                }
                continue;
            };
            if tx.send(Ok(Bytes::from(text))).await.is_err() || end {
                break;
            }
        }
        let _ = handle.send(Call::Cancel(cmd));
    });
    stream_response(rx)
}

fn stream_response(rx: mpsc::Receiver<Result<Bytes, Infallible>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_etcd_writes_them() {
        // As etcd 3.5.1's gateway printed a delete with its previous key-value.
        let r = pb::WatchResponse {
            header: Some(pb::ResponseHeader {
                cluster_id: 12101053776118486841,
                member_id: 15985099378392235387,
                revision: 4,
                raft_term: 2,
            }),
            events: vec![mvccpb::Event {
                r#type: 1,
                kv: Some(mvccpb::KeyValue {
                    key: b"foo".to_vec(),
                    mod_revision: 4,
                    ..Default::default()
                }),
                prev_kv: Some(mvccpb::KeyValue {
                    key: b"foo".to_vec(),
                    create_revision: 2,
                    mod_revision: 3,
                    version: 2,
                    value: b"baz".to_vec(),
                    lease: 0,
                }),
            }],
            ..Default::default()
        };
        assert_eq!(
            result_line(&r),
            "{\"result\":{\"header\":{\"cluster_id\":\"12101053776118486841\",\"member_id\":\"15985099378392235387\",\"revision\":\"4\",\"raft_term\":\"2\"},\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"4\"},\"prev_kv\":{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"YmF6\"}}]}}\n"
        );
        let created = pb::WatchResponse {
            header: Some(pb::ResponseHeader {
                cluster_id: 1,
                member_id: 2,
                revision: 1,
                raft_term: 2,
            }),
            created: true,
            ..Default::default()
        };
        assert_eq!(
            result_line(&created),
            "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"1\",\"raft_term\":\"2\"},\"created\":true}}\n"
        );
    }
}
