//! etcd's v3lock and v3election services for one member. Each call is the JSON gateway's curl
//! line (`/v3/lock/lock`, `/v3/election/campaign`, ...), run by the console through
//! `etcd::client`'s recipes, so it is recorded and replays; `Observe` is the console's
//! `elect --listen -w json` line, streamed. A lock or campaign whose client goes away before
//! it answers is cancelled (its key deleted), as etcd gives up a cancelled request.

#![allow(clippy::result_large_err)] // tonic's API passes `Status` by value.

use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::convert;
use crate::driver::{Call, WatchItem};
use crate::grpc::{show, Member, Stream2};
use crate::lines;
use crate::pb::v3electionpb as epb;
use crate::pb::v3lockpb as lpb;

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A gateway body with only the fields that are set.
fn body(fields: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        let zero = match v {
            Value::String(s) => s.is_empty() || s == "0",
            Value::Null => true,
            _ => false,
        };
        if !zero {
            m.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(m)
}

fn leader_json(l: &epb::LeaderKey) -> Value {
    body(&[
        ("name", b64(&l.name)),
        ("key", b64(&l.key)),
        ("rev", json!(l.rev.to_string())),
        ("lease", json!(l.lease.to_string())),
    ])
}

fn leader_key(v: &Value) -> epb::LeaderKey {
    let l = convert::get(v, "leader").unwrap_or(&Value::Null);
    epb::LeaderKey {
        name: convert::bytes(l, "name"),
        key: convert::bytes(l, "key"),
        rev: convert::int(l, "rev"),
        lease: convert::int(l, "lease"),
    }
}

impl Member {
    /// Runs a lock or election gateway request and reads its answer; errors keep the code
    /// etcd's gateway gave them (the recipes' errors are gRPC's `Unknown`, as in etcd).
    async fn recipe(
        &self,
        path: &str,
        body: Value,
        what: &str,
        waits: bool,
    ) -> Result<Value, Status> {
        let line = lines::curl(self.node, path, &body);
        let label = self.label(what);
        let answer = if waits {
            self.handle.waiting_line(line, label).await?
        } else {
            self.handle.line(line, label).await?
        };
        convert::recipe_answer(&answer.text)
    }
}

#[tonic::async_trait]
impl lpb::lock_server::Lock for Member {
    async fn lock(
        &self,
        r: Request<lpb::LockRequest>,
    ) -> Result<Response<lpb::LockResponse>, Status> {
        let r = r.into_inner();
        let b = body(&[
            ("name", b64(&r.name)),
            ("lease", json!(r.lease.to_string())),
        ]);
        let what = format!("Lock {}", show(&r.name));
        let v = self.recipe("/v3/lock/lock", b, &what, true).await?;
        Ok(Response::new(lpb::LockResponse {
            header: Some(convert::header(&v)),
            key: convert::bytes(&v, "key"),
        }))
    }

    async fn unlock(
        &self,
        r: Request<lpb::UnlockRequest>,
    ) -> Result<Response<lpb::UnlockResponse>, Status> {
        let r = r.into_inner();
        let b = body(&[("key", b64(&r.key))]);
        let what = format!("Unlock {}", show(&r.key));
        let v = self.recipe("/v3/lock/unlock", b, &what, false).await?;
        Ok(Response::new(lpb::UnlockResponse {
            header: Some(convert::header(&v)),
        }))
    }
}

#[tonic::async_trait]
impl epb::election_server::Election for Member {
    async fn campaign(
        &self,
        r: Request<epb::CampaignRequest>,
    ) -> Result<Response<epb::CampaignResponse>, Status> {
        let r = r.into_inner();
        let b = body(&[
            ("name", b64(&r.name)),
            ("lease", json!(r.lease.to_string())),
            ("value", b64(&r.value)),
        ]);
        let what = format!("Campaign {}", show(&r.name));
        let v = self.recipe("/v3/election/campaign", b, &what, true).await?;
        Ok(Response::new(epb::CampaignResponse {
            header: Some(convert::header(&v)),
            leader: Some(leader_key(&v)),
        }))
    }

    async fn proclaim(
        &self,
        r: Request<epb::ProclaimRequest>,
    ) -> Result<Response<epb::ProclaimResponse>, Status> {
        let r = r.into_inner();
        let mut b = body(&[("value", b64(&r.value))]);
        if let Some(l) = &r.leader {
            b["leader"] = leader_json(l);
        }
        let name = r.leader.as_ref().map(|l| show(&l.name)).unwrap_or_default();
        let what = format!("Proclaim {name}");
        let v = self
            .recipe("/v3/election/proclaim", b, &what, false)
            .await?;
        Ok(Response::new(epb::ProclaimResponse {
            header: Some(convert::header(&v)),
        }))
    }

    async fn leader(
        &self,
        r: Request<epb::LeaderRequest>,
    ) -> Result<Response<epb::LeaderResponse>, Status> {
        let r = r.into_inner();
        let b = body(&[("name", b64(&r.name))]);
        let what = format!("Leader {}", show(&r.name));
        let v = self.recipe("/v3/election/leader", b, &what, false).await?;
        Ok(Response::new(epb::LeaderResponse {
            header: Some(convert::header(&v)),
            kv: convert::get(&v, "kv").map(convert::kv),
        }))
    }

    type ObserveStream = Stream2<epb::LeaderResponse>;

    async fn observe(
        &self,
        r: Request<epb::LeaderRequest>,
    ) -> Result<Response<Self::ObserveStream>, Status> {
        let name = r.into_inner().name;
        let (sink, mut items) = mpsc::unbounded_channel();
        let (started, started_rx) = oneshot::channel();
        self.handle.send(Call::Watch {
            node: self.node,
            line: lines::observe(self.node, &name),
            label: self.label(&format!("Observe {}", show(&name))),
            sink,
            started,
        })?;
        let Ok(Some(cmd)) = started_rx.await else {
            return Err(Status::unavailable("etcdserver: server stopped"));
        };
        let (tx, rx) = mpsc::channel::<Result<epb::LeaderResponse, Status>>(16);
        let handle = self.handle.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    item = items.recv() => {
                        let out = match item {
                            // Each leader as `elect -l -w json` prints it: a range answer.
                            Some(WatchItem::Response(v)) => {
                                let r = convert::range(&v);
                                Ok(epb::LeaderResponse {
                                    header: r.header,
                                    kv: r.kvs.into_iter().next(),
                                })
                            }
                            Some(WatchItem::Created(_)) => continue,
                            Some(WatchItem::Canceled(reason, ..)) | Some(WatchItem::Failed(reason)) => {
                                Err(convert::status_error(&reason))
                            }
                            None => break,
                        };
                        let end = out.is_err();
                        if tx.send(out).await.is_err() || end {
                            break;
                        }
                    }
                    _ = tx.closed() => break,
                }
            }
            // The client went away (or the stream ended): the observe command ends.
            let _ = handle.send(Call::Cancel(cmd));
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn resign(
        &self,
        r: Request<epb::ResignRequest>,
    ) -> Result<Response<epb::ResignResponse>, Status> {
        let r = r.into_inner();
        let mut b = json!({});
        if let Some(l) = &r.leader {
            b["leader"] = leader_json(l);
        }
        let name = r.leader.as_ref().map(|l| show(&l.name)).unwrap_or_default();
        let what = format!("Resign {name}");
        let v = self.recipe("/v3/election/resign", b, &what, false).await?;
        Ok(Response::new(epb::ResignResponse {
            header: Some(convert::header(&v)),
        }))
    }
}
