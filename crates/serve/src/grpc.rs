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
        let (reply, rx) = oneshot::channel();
        self.send(Call::Line { line, label, reply })?;
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
fn show(key: &[u8]) -> String {
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
    fn label(&self, what: &str) -> String {
        format!("node{} {what}", self.node)
    }

    async fn gateway(
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

type Stream2<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

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
fn keep(event: &crate::pb::mvccpb::Event, filters: &[i32]) -> bool {
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
                        tokio::spawn(forward(wid, c.filters.clone(), items, tx.clone()));
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
    filters: Vec<i32>,
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
        if tx.send(Ok(resp)).await.is_err() || end {
            return;
        }
    }
}

#[tonic::async_trait]
impl pb::cluster_server::Cluster for Member {
    async fn member_add(
        &self,
        _r: Request<pb::MemberAddRequest>,
    ) -> Result<Response<pb::MemberAddResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: MemberAdd is not served yet",
        ))
    }

    async fn member_remove(
        &self,
        _r: Request<pb::MemberRemoveRequest>,
    ) -> Result<Response<pb::MemberRemoveResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: MemberRemove is not served yet",
        ))
    }

    async fn member_update(
        &self,
        _r: Request<pb::MemberUpdateRequest>,
    ) -> Result<Response<pb::MemberUpdateResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: MemberUpdate is not served",
        ))
    }

    async fn member_list(
        &self,
        _r: Request<pb::MemberListRequest>,
    ) -> Result<Response<pb::MemberListResponse>, Status> {
        let v = self
            .gateway(
                "/v3/cluster/member/list",
                serde_json::json!({}),
                "MemberList".into(),
            )
            .await?;
        let mut members = convert::members(&v);
        for m in &mut members {
            // The member's real client URL, where a client can reach it.
            let node = m
                .name
                .strip_prefix("node")
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(url) = node.and_then(|n| self.urls.get(&n)) {
                m.client_ur_ls = vec![url.clone()];
            }
        }
        Ok(Response::new(pb::MemberListResponse {
            header: Some(convert::header(&v)),
            members,
        }))
    }

    async fn member_promote(
        &self,
        _r: Request<pb::MemberPromoteRequest>,
    ) -> Result<Response<pb::MemberPromoteResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: MemberPromote is not served yet",
        ))
    }
}

#[tonic::async_trait]
impl pb::maintenance_server::Maintenance for Member {
    async fn alarm(
        &self,
        _r: Request<pb::AlarmRequest>,
    ) -> Result<Response<pb::AlarmResponse>, Status> {
        // No alarms: raftlab has no disk to fill and no corruption check.
        let h = self.handle.header(self.node).await?;
        Ok(Response::new(pb::AlarmResponse {
            header: Some(h),
            alarms: Vec::new(),
        }))
    }

    async fn status(
        &self,
        _r: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let v = self
            .gateway(
                "/v3/maintenance/status",
                serde_json::json!({}),
                "Status".into(),
            )
            .await?;
        Ok(Response::new(convert::status(&v)))
    }

    async fn defragment(
        &self,
        _r: Request<pb::DefragmentRequest>,
    ) -> Result<Response<pb::DefragmentResponse>, Status> {
        // Nothing to defragment in memory: a no-op that answers as etcd does.
        let h = self.handle.header(self.node).await?;
        Ok(Response::new(pb::DefragmentResponse { header: Some(h) }))
    }

    async fn hash(
        &self,
        _r: Request<pb::HashRequest>,
    ) -> Result<Response<pb::HashResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: Hash is not served (use HashKV)",
        ))
    }

    async fn hash_kv(
        &self,
        r: Request<pb::HashKvRequest>,
    ) -> Result<Response<pb::HashKvResponse>, Status> {
        let rev = r.into_inner().revision;
        let node = self.node;
        let out =
            self.handle
                .peek(move |pg| {
                    let (compact, h) = member_header(pg, node);
                    let hash =
                        pg.cluster().state_machine(node).ok().map(|sm| {
                            hash_store(&sm.store, if rev > 0 { rev } else { h.revision })
                        });
                    (compact, h, hash)
                })
                .await?;
        let (compact, h, hash) = out;
        let Some(hash) = hash else {
            return Err(Status::unavailable(format!(
                "node {node} is down: connection refused"
            )));
        };
        Ok(Response::new(pb::HashKvResponse {
            header: Some(header(h)),
            hash,
            compact_revision: compact,
        }))
    }

    type SnapshotStream = Stream2<pb::SnapshotResponse>;

    async fn snapshot(
        &self,
        _r: Request<pb::SnapshotRequest>,
    ) -> Result<Response<Self::SnapshotStream>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: Snapshot is not served",
        ))
    }

    async fn move_leader(
        &self,
        r: Request<pb::MoveLeaderRequest>,
    ) -> Result<Response<pb::MoveLeaderResponse>, Status> {
        let target = r.into_inner().target_id;
        let line = format!("move-leader --endpoints=node{} {target:x}", self.node);
        let a = self
            .handle
            .line(line, self.label(&format!("MoveLeader {target:x}")))
            .await?;
        if a.failed {
            let msg = a
                .text
                .lines()
                .find_map(|l| l.strip_prefix("Error: "))
                .unwrap_or(a.text.trim())
                .to_string();
            return Err(convert::status_error(&msg));
        }
        let h = self.handle.header(self.node).await?;
        Ok(Response::new(pb::MoveLeaderResponse { header: Some(h) }))
    }

    async fn downgrade(
        &self,
        _r: Request<pb::DowngradeRequest>,
    ) -> Result<Response<pb::DowngradeResponse>, Status> {
        Err(Status::unimplemented(
            "raftlab serve: Downgrade is not served",
        ))
    }
}

/// A CRC-32 (Castagnoli, as etcd's HashKV) over every key and value revision up to `rev`, from
/// the member's store (a stand-in for etcd's bbolt hash: equal members hash equal).
fn hash_store(store: &kv::Store, rev: i64) -> u32 {
    let req = kv::RangeRequest {
        key: vec![0],
        range_end: vec![0],
        revision: rev.min(store.current_revision()),
        ..Default::default()
    };
    let mut crc = !0u32;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
            }
        }
    };
    if let Ok(r) = store.range(&req) {
        for kv in &r.kvs {
            feed(&kv.key);
            feed(&kv.mod_revision.to_le_bytes());
            feed(&kv.value);
        }
    }
    !crc
}
