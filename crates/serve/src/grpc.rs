//! etcd's v3 gRPC services for one member: each call becomes a line run at that member by the
//! cluster thread, and its answer is read back into etcd's messages.

#![allow(clippy::result_large_err)] // tonic's API passes `Status` by value.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;

use etcd::Playground;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::convert;
use crate::driver::{member_header, Answer, Call, WatchItem};
use crate::lines;
use crate::pb::etcdserverpb as pb;

/// What the handlers hold: the channel to the cluster thread.
#[derive(Clone)]
pub struct Handle {
    calls: SyncSender<Call>,
}

fn stopped() -> Status {
    Status::unavailable("etcdserver: server stopped")
}

impl Handle {
    /// A handle sending to `calls`.
    pub fn new(calls: SyncSender<Call>) -> Self {
        Handle { calls }
    }

    /// Sends a call; a full queue is etcd's `too many requests`.
    pub fn send(&self, call: Call) -> Result<(), Status> {
        match self.calls.try_send(call) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(Status::unavailable("etcdserver: too many requests")),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    /// Runs `line` at the cluster thread and waits for the text it printed.
    pub async fn line(&self, line: String, label: String) -> Result<Answer, Status> {
        self.run_line(line, label, false).await
    }

    /// Runs `line` (a request that may wait: a lock, a campaign); if the caller goes away
    /// before it answers, its command is cancelled, as etcd gives up a request whose client
    /// cancelled it.
    pub async fn waiting_line(&self, line: String, label: String) -> Result<Answer, Status> {
        self.run_line(line, label, true).await
    }

    async fn run_line(&self, line: String, label: String, cancel: bool) -> Result<Answer, Status> {
        let (reply, rx) = oneshot::channel();
        self.send(Call::Line {
            line,
            label,
            reply,
            cancel_on_drop: cancel,
        })?;
        rx.await.map_err(|_| stopped())
    }

    /// Runs a gateway `line` and reads its JSON answer (or etcd's error).
    pub async fn json(&self, line: String, label: String) -> Result<serde_json::Value, Status> {
        let a = self.line(line, label).await?;
        convert::answer(&a.text)
    }

    /// Computes something from the playground as it is now.
    pub async fn peek<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Playground) -> T + Send + 'static,
    ) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.send(Call::Peek(Box::new(move |pg| {
            let _ = tx.send(f(pg));
        })))?;
        rx.await.map_err(|_| stopped())
    }

    /// `node`'s response header now.
    pub async fn header(&self, node: u64) -> Result<pb::ResponseHeader, Status> {
        let h = self.peek(move |pg| member_header(pg, node).1).await?;
        Ok(header(h))
    }
}

/// etcd's response header from the service's.
pub fn header(h: etcd::Header) -> pb::ResponseHeader {
    pb::ResponseHeader {
        cluster_id: h.cluster_id,
        member_id: h.member_id,
        revision: h.revision,
        raft_term: h.raft_term,
    }
}

/// Shows a key in the printed lines (lossy, at most 40 characters).
pub(crate) fn show(key: &[u8]) -> String {
    let s = String::from_utf8_lossy(key);
    let mut t: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        t.push('…');
    }
    t
}

/// One member's services.
#[derive(Clone)]
pub struct Member {
    /// Its node id.
    pub node: u64,
    /// The cluster thread.
    pub handle: Handle,
    /// Every member's client URL (`http://127.0.0.1:2379`), by node id.
    pub urls: Arc<BTreeMap<u64, String>>,
}

impl Member {
    pub(crate) fn label(&self, what: &str) -> String {
        format!("node{} {what}", self.node)
    }

    pub(crate) async fn gateway(
        &self,
        path: &str,
        body: serde_json::Value,
        label: String,
    ) -> Result<serde_json::Value, Status> {
        self.handle
            .json(lines::curl(self.node, path, &body), self.label(&label))
            .await
    }
}

pub(crate) type Stream2<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl pb::kv_server::Kv for Member {
    async fn range(
        &self,
        r: Request<pb::RangeRequest>,
    ) -> Result<Response<pb::RangeResponse>, Status> {
        let r = r.into_inner();
        let label = format!("Range {}", show(&r.key));
        let v = self
            .gateway("/v3/kv/range", lines::range(&r), label)
            .await?;
        Ok(Response::new(convert::range(&v)))
    }

    async fn put(&self, r: Request<pb::PutRequest>) -> Result<Response<pb::PutResponse>, Status> {
        let r = r.into_inner();
        let label = format!("Put {}", show(&r.key));
        let v = self.gateway("/v3/kv/put", lines::put(&r), label).await?;
        Ok(Response::new(convert::put(&v)))
    }

    async fn delete_range(
        &self,
        r: Request<pb::DeleteRangeRequest>,
    ) -> Result<Response<pb::DeleteRangeResponse>, Status> {
        let r = r.into_inner();
        let label = format!("DeleteRange {}", show(&r.key));
        let v = self
            .gateway("/v3/kv/deleterange", lines::delete_range(&r), label)
            .await?;
        Ok(Response::new(convert::delete_range(&v)))
    }

    async fn txn(&self, r: Request<pb::TxnRequest>) -> Result<Response<pb::TxnResponse>, Status> {
        let r = r.into_inner();
        let v = self
            .gateway("/v3/kv/txn", lines::txn(&r), "Txn".into())
            .await?;
        Ok(Response::new(convert::txn(&v)))
    }

    async fn compact(
        &self,
        r: Request<pb::CompactionRequest>,
    ) -> Result<Response<pb::CompactionResponse>, Status> {
        let r = r.into_inner();
        let mut body = serde_json::json!({ "revision": r.revision.to_string() });
        if r.physical {
            body["physical"] = true.into();
        }
        let v = self
            .gateway("/v3/kv/compaction", body, format!("Compact {}", r.revision))
            .await?;
        Ok(Response::new(pb::CompactionResponse {
            header: Some(convert::header(&v)),
        }))
    }
}

#[tonic::async_trait]
impl pb::lease_server::Lease for Member {
    async fn lease_grant(
        &self,
        r: Request<pb::LeaseGrantRequest>,
    ) -> Result<Response<pb::LeaseGrantResponse>, Status> {
        let r = r.into_inner();
        let body = serde_json::json!({ "TTL": r.ttl.to_string(), "ID": r.id.to_string() });
        let v = self
            .gateway("/v3/lease/grant", body, format!("LeaseGrant TTL {}", r.ttl))
            .await?;
        Ok(Response::new(convert::lease_grant(&v)))
    }

    async fn lease_revoke(
        &self,
        r: Request<pb::LeaseRevokeRequest>,
    ) -> Result<Response<pb::LeaseRevokeResponse>, Status> {
        let r = r.into_inner();
        let body = serde_json::json!({ "ID": r.id.to_string() });
        let v = self
            .gateway("/v3/lease/revoke", body, format!("LeaseRevoke {:x}", r.id))
            .await?;
        Ok(Response::new(pb::LeaseRevokeResponse {
            header: Some(convert::header(&v)),
        }))
    }

    type LeaseKeepAliveStream = Stream2<pb::LeaseKeepAliveResponse>;

    async fn lease_keep_alive(
        &self,
        r: Request<Streaming<pb::LeaseKeepAliveRequest>>,
    ) -> Result<Response<Self::LeaseKeepAliveStream>, Status> {
        let mut inbound = r.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(msg) = inbound.next().await {
                let Ok(req) = msg else { break };
                let body = serde_json::json!({ "ID": req.id.to_string() });
                let answer = me
                    .gateway(
                        "/v3/lease/keepalive",
                        body,
                        format!("LeaseKeepAlive {:x}", req.id),
                    )
                    .await;
                let out = match answer {
                    Ok(v) => Ok(convert::lease_keepalive(&v)),
                    // etcd answers a keep-alive of an unknown lease with TTL 0.
                    Err(e) if e.code() == tonic::Code::NotFound => {
                        let h = me.handle.header(me.node).await;
                        Ok(pb::LeaseKeepAliveResponse {
                            header: h.ok(),
                            id: req.id,
                            ttl: 0,
                        })
                    }
                    Err(e) => Err(e),
                };
                let fatal = out.is_err();
                if tx.send(out).await.is_err() || fatal {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn lease_time_to_live(
        &self,
        r: Request<pb::LeaseTimeToLiveRequest>,
    ) -> Result<Response<pb::LeaseTimeToLiveResponse>, Status> {
        let r = r.into_inner();
        let mut body = serde_json::json!({ "ID": r.id.to_string() });
        if r.keys {
            body["keys"] = true.into();
        }
        let v = self
            .gateway(
                "/v3/lease/timetolive",
                body,
                format!("LeaseTimeToLive {:x}", r.id),
            )
            .await?;
        Ok(Response::new(convert::lease_ttl(&v)))
    }

    async fn lease_leases(
        &self,
        _r: Request<pb::LeaseLeasesRequest>,
    ) -> Result<Response<pb::LeaseLeasesResponse>, Status> {
        let v = self
            .gateway(
                "/v3/lease/leases",
                serde_json::json!({}),
                "LeaseLeases".into(),
            )
            .await?;
        Ok(Response::new(convert::lease_leases(&v)))
    }
}

/// Filters of a watch (`NOPUT` = 0, `NODELETE` = 1).
pub(crate) fn keep(event: &crate::pb::mvccpb::Event, filters: &[i32]) -> bool {
    let is_delete = event.r#type == crate::pb::mvccpb::event::EventType::Delete as i32;
    !(filters.contains(&0) && !is_delete || filters.contains(&1) && is_delete)
}

/// The most watches one stream may hold.
const MAX_WATCHES_PER_STREAM: usize = 1024;

#[tonic::async_trait]
impl pb::watch_server::Watch for Member {
    type WatchStream = Stream2<pb::WatchResponse>;

    async fn watch(
        &self,
        r: Request<Streaming<pb::WatchRequest>>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let mut inbound = r.into_inner();
        let (tx, rx) = mpsc::channel::<Result<pb::WatchResponse, Status>>(64);
        let me = self.clone();
        tokio::spawn(async move {
            // Stream-level watch id -> the playground's command.
            let mut watches: BTreeMap<i64, u64> = BTreeMap::new();
            let mut next_id = 0i64;
            while let Some(msg) = inbound.next().await {
                let Ok(req) = msg else { break };
                use pb::watch_request::RequestUnion as U;
                match req.request_union {
                    Some(U::CreateRequest(c)) => {
                        let wid = if c.watch_id != 0 {
                            c.watch_id
                        } else {
                            while watches.contains_key(&next_id) {
                                next_id += 1;
                            }
                            next_id
                        };
                        if watches.contains_key(&wid) || watches.len() >= MAX_WATCHES_PER_STREAM {
                            let h = me.handle.header(me.node).await.ok();
                            let reason = if watches.contains_key(&wid) {
                                "mvcc: duplicate watch ID provided on the WatchStream"
                            } else {
                                "etcdserver: too many requests"
                            };
                            let _ = tx
                                .send(Ok(pb::WatchResponse {
                                    header: h,
                                    watch_id: wid,
                                    created: true,
                                    canceled: true,
                                    cancel_reason: reason.into(),
                                    ..Default::default()
                                }))
                                .await;
                            continue;
                        }
                        let (sink, items) = mpsc::unbounded_channel();
                        let (started, started_rx) = oneshot::channel();
                        let line = lines::watch(me.node, &c);
                        let call = Call::Watch {
                            node: me.node,
                            line,
                            label: me.label(&format!(
                                "Watch {} from revision {}",
                                show(&c.key),
                                c.start_revision
                            )),
                            sink,
                            started,
                        };
                        if let Err(e) = me.handle.send(call) {
                            let _ = tx.send(Err(e)).await;
                            break;
                        }
                        let Ok(Some(cmd)) = started_rx.await else {
                            break;
                        };
                        watches.insert(wid, cmd);
                        tokio::spawn(forward(
                            wid,
                            (c.filters.clone(), c.fragment),
                            items,
                            tx.clone(),
                        ));
                    }
                    Some(U::CancelRequest(c)) => {
                        if let Some(cmd) = watches.remove(&c.watch_id) {
                            let _ = me.handle.send(Call::Cancel(cmd));
                            let h = me.handle.header(me.node).await.ok();
                            let _ = tx
                                .send(Ok(pb::WatchResponse {
                                    header: h,
                                    watch_id: c.watch_id,
                                    canceled: true,
                                    ..Default::default()
                                }))
                                .await;
                        }
                    }
                    Some(U::ProgressRequest(_)) => {
                        let h = me.handle.header(me.node).await.ok();
                        // etcd 3.5 answers with watch id -1 (clientv3's InvalidWatchID).
                        let _ = tx
                            .send(Ok(pb::WatchResponse {
                                header: h,
                                watch_id: -1,
                                ..Default::default()
                            }))
                            .await;
                    }
                    None => {}
                }
            }
            // The client went away: its watches end.
            for cmd in watches.into_values() {
                let _ = me.handle.send(Call::Cancel(cmd));
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// Forwards one watch's items to its stream as etcd's responses.
async fn forward(
    wid: i64,
    (filters, fragment): (Vec<i32>, bool),
    mut items: mpsc::UnboundedReceiver<WatchItem>,
    tx: mpsc::Sender<Result<pb::WatchResponse, Status>>,
) {
    while let Some(item) = items.recv().await {
        let resp = match item {
            WatchItem::Created(h) => pb::WatchResponse {
                header: Some(header(h)),
                watch_id: wid,
                created: true,
                ..Default::default()
            },
            WatchItem::Response(v) => {
                let mut r = convert::watch_response(&v, wid);
                let had = r.events.len();
                r.events.retain(|e| keep(e, &filters));
                if had > 0 && r.events.is_empty() {
                    continue;
                }
                r
            }
            WatchItem::Canceled(reason, compact, h) => {
                let compacted = reason.contains("compacted");
                pb::WatchResponse {
                    header: Some(header(h)),
                    watch_id: wid,
                    canceled: true,
                    compact_revision: if compacted { compact } else { 0 },
                    cancel_reason: if compacted { String::new() } else { reason },
                    ..Default::default()
                }
            }
            WatchItem::Failed(msg) => {
                // The member went down: etcd's client sees the stream break.
                let _ = tx.send(Err(Status::unavailable(msg))).await;
                return;
            }
        };
        let end = resp.canceled;
        let pieces = if fragment {
            // etcd's watch server splits at its request limit plus gRPC's overhead (2 MiB).
            fragments(resp, crate::MAX_GRPC_MESSAGE)
        } else {
            vec![resp]
        };
        for piece in pieces {
            if tx.send(Ok(piece)).await.is_err() {
                return;
            }
        }
        if end {
            return;
        }
    }
}

/// A watch response split as etcd splits one for a watch created with `fragment`: a response
/// of `max` bytes or more with several events goes as consecutive responses of whole events,
/// each under `max` bytes (or of one event), all but the last marked `fragment`.
pub fn fragments(r: pb::WatchResponse, max: usize) -> Vec<pb::WatchResponse> {
    use prost::Message;
    if r.encoded_len() < max || r.events.len() < 2 {
        return vec![r];
    }
    let mut out = Vec::new();
    let mut events = r.events.clone().into_iter().peekable();
    while events.peek().is_some() {
        let mut cur = pb::WatchResponse {
            events: Vec::new(),
            fragment: true,
            ..r.clone()
        };
        while let Some(e) = events.peek() {
            cur.events.push(e.clone());
            if cur.events.len() > 1 && cur.encoded_len() >= max {
                cur.events.pop();
                break;
            }
            events.next();
        }
        if events.peek().is_none() {
            cur.fragment = false;
        }
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::mvccpb;

    fn event(n: u8, size: usize) -> mvccpb::Event {
        mvccpb::Event {
            kv: Some(mvccpb::KeyValue {
                key: vec![n],
                value: vec![b'x'; size],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn large_responses_are_split_into_fragments() {
        let r = pb::WatchResponse {
            watch_id: 3,
            events: (0..4).map(|n| event(n, 600)).collect(),
            ..Default::default()
        };
        let parts = fragments(r.clone(), 1500);
        let sizes: Vec<usize> = parts.iter().map(|p| p.events.len()).collect();
        assert_eq!(sizes, vec![2, 2]);
        assert_eq!(
            parts.iter().map(|p| p.fragment).collect::<Vec<_>>(),
            vec![true, false]
        );
        assert!(parts.iter().all(|p| p.watch_id == 3));
        let keys: Vec<u8> = parts
            .iter()
            .flat_map(|p| p.events.iter().map(|e| e.kv.as_ref().unwrap().key[0]))
            .collect();
        assert_eq!(keys, vec![0, 1, 2, 3], "every event once, in order");
        // Small enough, or a single event: as it is.
        assert_eq!(fragments(r.clone(), 1 << 20), vec![r]);
        let one = pb::WatchResponse {
            events: vec![event(0, 5000)],
            ..Default::default()
        };
        assert_eq!(fragments(one.clone(), 1500), vec![one]);
    }
}
