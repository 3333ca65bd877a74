//! etcd's Cluster and Maintenance services for one member: membership changes run as the
//! gateway's curl lines (recorded, replayed); answers that do not touch the cluster (alarms,
//! defragment, hashes) are computed from the playground as it stands.

#![allow(clippy::result_large_err)] // tonic's API passes `Status` by value.

use tonic::{Request, Response, Status};

use crate::convert;
use crate::grpc::{header, Member, Stream2};
use crate::pb::etcdserverpb as pb;

#[tonic::async_trait]
impl pb::cluster_server::Cluster for Member {
    async fn member_add(
        &self,
        r: Request<pb::MemberAddRequest>,
    ) -> Result<Response<pb::MemberAddResponse>, Status> {
        let r = r.into_inner();
        let mut body = serde_json::json!({ "peerURLs": r.peer_ur_ls });
        if r.is_learner {
            body["isLearner"] = true.into();
        }
        let label = format!("MemberAdd {}", r.peer_ur_ls.join(","));
        let v = self.gateway("/v3/cluster/member/add", body, label).await?;
        let member = convert::get(&v, "member").map(convert::member);
        Ok(Response::new(pb::MemberAddResponse {
            header: Some(convert::header(&v)),
            member,
            members: self.reachable(convert::members(&v)),
        }))
    }

    async fn member_remove(
        &self,
        r: Request<pb::MemberRemoveRequest>,
    ) -> Result<Response<pb::MemberRemoveResponse>, Status> {
        let id = r.into_inner().id;
        let body = serde_json::json!({ "ID": id.to_string() });
        let label = format!("MemberRemove {id:x}");
        let v = self
            .gateway("/v3/cluster/member/remove", body, label)
            .await?;
        Ok(Response::new(pb::MemberRemoveResponse {
            header: Some(convert::header(&v)),
            members: self.reachable(convert::members(&v)),
        }))
    }

    async fn member_update(
        &self,
        r: Request<pb::MemberUpdateRequest>,
    ) -> Result<Response<pb::MemberUpdateResponse>, Status> {
        let r = r.into_inner();
        let body = serde_json::json!({ "ID": r.id.to_string(), "peerURLs": r.peer_ur_ls });
        let label = format!("MemberUpdate {:x} {}", r.id, r.peer_ur_ls.join(","));
        let v = self
            .gateway("/v3/cluster/member/update", body, label)
            .await?;
        Ok(Response::new(pb::MemberUpdateResponse {
            header: Some(convert::header(&v)),
            members: self.reachable(convert::members(&v)),
        }))
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
        Ok(Response::new(pb::MemberListResponse {
            header: Some(convert::header(&v)),
            members: self.reachable(convert::members(&v)),
        }))
    }

    async fn member_promote(
        &self,
        r: Request<pb::MemberPromoteRequest>,
    ) -> Result<Response<pb::MemberPromoteResponse>, Status> {
        let id = r.into_inner().id;
        let body = serde_json::json!({ "ID": id.to_string() });
        let label = format!("MemberPromote {id:x}");
        let v = self
            .gateway("/v3/cluster/member/promote", body, label)
            .await?;
        Ok(Response::new(pb::MemberPromoteResponse {
            header: Some(convert::header(&v)),
            members: self.reachable(convert::members(&v)),
        }))
    }
}

impl Member {
    /// The members with the client URLs where a client reaches them (`nodeN`'s served port).
    fn reachable(&self, mut members: Vec<pb::Member>) -> Vec<pb::Member> {
        for m in &mut members {
            let node = m
                .name
                .strip_prefix("node")
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(url) = node.and_then(|n| self.urls.get(&n)) {
                m.client_ur_ls = vec![url.clone()];
            }
        }
        members
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
        // The store's own hash, etcd's algorithm (CRC-32 Castagnoli over the keys and values
        // up to the revision): equal members hash equal, as in etcd.
        let out = self
            .handle
            .peek(move |pg| {
                let sm = pg.cluster().state_machine(node).ok()?;
                let current = sm.store.current_revision();
                let at = if rev <= 0 { current } else { rev };
                let header = pg.service().header(node, current);
                Some((header, sm.store.hash_kv(at).map_err(|e| e.to_string())))
            })
            .await?;
        let Some((h, hashed)) = out else {
            return Err(Status::unavailable(format!(
                "node {node} is down: connection refused"
            )));
        };
        let (hash, compact) = hashed.map_err(|e| {
            let e = if e.starts_with("mvcc:") {
                format!("etcdserver: {e}")
            } else {
                e
            };
            convert::status_error(&e)
        })?;
        Ok(Response::new(pb::HashKvResponse {
            header: Some(header(h)),
            hash,
            // etcd's compaction point is -1 before the first compaction.
            compact_revision: if compact == 0 { -1 } else { compact },
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
