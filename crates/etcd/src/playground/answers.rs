//! The way up: a client event becomes etcdctl's output for the command that made the call.

use super::commands::{GatewayKind, GatherKind, Render, Role, Task};
use super::{CommandId, CommandState, Playground};
use crate::client::{CallId, Event, EventKind, Member, Reply, StatusResponse};
use crate::ctl::{
    self, EndpointHashKvRow, EndpointHealthRow, EndpointStatusRow, MemberRow, OutputFormat,
};
use crate::service::Header;

/// A member as etcdctl lists it: `unstarted` until it has client URLs.
pub(super) fn member_row(m: &Member) -> MemberRow {
    MemberRow {
        id: m.id,
        status: if m.client_urls.is_empty() {
            "unstarted"
        } else {
            "started"
        }
        .into(),
        name: m.name.clone(),
        peer_urls: m.peer_urls.clone(),
        client_urls: m.client_urls.clone(),
        is_learner: m.is_learner,
    }
}

/// A member's status as a row of `endpoint status`.
pub(super) fn status_row(endpoint: String, s: &StatusResponse) -> EndpointStatusRow {
    EndpointStatusRow {
        endpoint,
        id: s.header.member_id,
        version: s.version.clone(),
        db_size: s.db_size,
        is_leader: s.is_leader,
        is_learner: s.is_learner,
        raft_term: s.raft_term,
        raft_index: s.raft_index,
        raft_applied_index: s.raft_applied_index,
        errors: s.errors.clone(),
        cluster_id: s.header.cluster_id,
        revision: s.header.revision,
        leader: s.leader,
        db_size_in_use: s.db_size_in_use,
    }
}

/// The lock or leader key as etcdctl reads it back and prints it (`get`).
fn held_key(key: &[u8], rev: i64, lease: i64, value: &[u8]) -> kv::RangeResponse {
    kv::RangeResponse {
        kvs: vec![kv::KeyValue {
            key: key.to_vec(),
            create_revision: rev,
            mod_revision: rev,
            version: 1,
            value: value.to_vec(),
            lease,
        }],
        count: 1,
        ..Default::default()
    }
}

impl Playground {
    /// Routes a client event to the command that made the call.
    pub(super) fn on_client_event(&mut self, e: Event) {
        let Some((cmd, role)) = self.calls.get(&e.call).map(|r| (**r).clone()) else {
            return;
        };
        let over = match (&role, &e.kind) {
            // A gateway lock or campaign says it waits before it answers.
            (Role::Single(_), EventKind::Waiting) => false,
            (Role::Single(_) | Role::Member, _) => true,
            (_, EventKind::Failed(_) | EventKind::Closed | EventKind::Elapsed) => true,
            (_, EventKind::Reply(Reply::Watch(w))) => w.canceled,
            _ => false,
        };
        if over {
            self.calls.remove(&e.call);
        }
        match role {
            Role::Single(render) => self.on_single(cmd, &render, e.kind),
            Role::Member => self.on_member_answer(cmd, e.call, e.kind),
            Role::Stream => self.on_stream(cmd, e.kind),
        }
    }

    fn on_single(&mut self, id: CommandId, render: &Render, kind: EventKind) {
        let result = match kind {
            EventKind::Reply(r) => Ok(r),
            EventKind::Failed(e) => Err(e),
            // A gateway lock or campaign queued behind others: settled until it answers.
            EventKind::Waiting => return self.settle(id),
            _ => return,
        };
        if let Render::KeepAliveOnce(_) = render {
            if result.is_ok() {
                self.settle(id);
            }
        }
        if let (Render::Gateway(GatewayKind::Lock), Ok(Reply::Lock(l))) = (render, &result) {
            let now = self.now();
            self.session_log.gateway_lock_acquired(id, &l.key, now);
        }
        match self.render(render, result) {
            Ok(text) => {
                self.print(id, &text);
                self.finish(id);
            }
            Err(msg) => self.fail(id, &msg),
        }
    }

    /// The text of a finished short command, or the error to print.
    fn render(&self, render: &Render, r: Result<Reply, String>) -> Result<String, String> {
        // etcdctl wraps the errors of `lease grant` and `lease revoke`.
        self.render_result(render, r).map_err(|e| match render {
            Render::LeaseGrant(_) => format!("failed to grant lease ({e})"),
            Render::LeaseRevoke(..) => format!("failed to revoke lease ({e})"),
            _ => e,
        })
    }

    fn render_result(&self, render: &Render, r: Result<Reply, String>) -> Result<String, String> {
        if let Render::Gateway(kind) = render {
            return Ok(self.render_gateway(*kind, r));
        }
        use ctl::format as f;
        let r = r?;
        let h = |h: &Header| -> ctl::Header { *h };
        Ok(match (render, &r) {
            (Render::Get(fm, pvo, ko), Reply::Range(g)) => {
                f::get(&h(&g.header), &g.body(), *fm, *pvo, *ko)
            }
            (Render::TimeToLive(fm, keys), Reply::LeaseTimeToLive(t)) => {
                f::lease_ttl(&h(&t.header), &t.info(), *keys, *fm)
            }
            (Render::LeaseList(fm), Reply::LeaseLeases(l)) => {
                let ids: Vec<i64> = l.leases.iter().map(|s| s.id).collect();
                f::lease_list(&h(&l.header), &ids, *fm)
            }
            (Render::KeepAliveOnce(fm), Reply::LeaseKeepAlive(k)) => {
                f::lease_keepalive(&h(&k.header), k.id, k.ttl, *fm)
            }
            (Render::Put(fm), Reply::Put(p)) => {
                let body = kv::PutResponse {
                    prev_kv: p.prev_kv.clone(),
                };
                f::put(&h(&p.header), &body, *fm)
            }
            (Render::Del(fm), Reply::DeleteRange(d)) => {
                let body = kv::DeleteRangeResponse {
                    deleted: d.deleted,
                    prev_kvs: d.prev_kvs.clone(),
                };
                f::del(&h(&d.header), &body, *fm)
            }
            (Render::Txn(fm), Reply::Txn(t)) => {
                let body = kv::TxnResponse {
                    succeeded: t.succeeded,
                    responses: t.responses.clone(),
                };
                f::txn(&h(&t.header), &body, *fm)
            }
            (Render::LeaseGrant(fm), Reply::LeaseGrant(g)) => {
                f::lease_grant(&h(&g.header), g.id, g.ttl, *fm)
            }
            (Render::LeaseRevoke(fm, id), Reply::LeaseRevoke(r)) => {
                f::lease_revoke(&h(&r.header), *id, *fm)
            }
            (Render::Compaction(rev), Reply::Compaction(_)) => f::compaction(*rev),
            (Render::MemberList(fm), Reply::MemberList(m)) => {
                let rows: Vec<MemberRow> = m.members.iter().map(member_row).collect();
                f::member_list(&h(&m.header), &rows, *fm)
            }
            (Render::MemberAdd(fm), Reply::MemberAdd(a)) => {
                let mut member = member_row(&a.member);
                member.status = "unstarted".into();
                if *fm == OutputFormat::Json {
                    // etcd's answer does not know the name (etcdctl prints it in ETCD_NAME).
                    member.name.clear();
                }
                let rows: Vec<MemberRow> = a.members.iter().map(member_row).collect();
                f::member_add(&h(&a.header), &member, &rows, *fm)
            }
            (Render::MemberChange(hex, fm), Reply::MemberRemove(m)) => {
                let rows: Vec<MemberRow> = m.members.iter().map(member_row).collect();
                f::member_remove(&h(&m.header), *hex, &rows, *fm)
            }
            (Render::MemberChange(hex, fm), Reply::MemberPromote(m)) => {
                let rows: Vec<MemberRow> = m.members.iter().map(member_row).collect();
                f::member_promote(&h(&m.header), *hex, &rows, *fm)
            }
            (Render::MemberChange(hex, fm), Reply::MemberUpdate(m)) => {
                let rows: Vec<MemberRow> = m.members.iter().map(member_row).collect();
                f::member_update(&h(&m.header), *hex, &rows, *fm)
            }
            (Render::MemberChange(hex, fm), Reply::MoveLeader(m)) => {
                let from = m.header.member_id;
                f::move_leader(from, *hex, *fm)
            }
            (_, other) => return Err(format!("unexpected result {other:?}")),
        })
    }

    /// An event of a long-running command's call.
    fn on_stream(&mut self, id: CommandId, kind: EventKind) {
        let Some(task) = self.tasks.get(&id).map(|t| (**t).clone()) else {
            return;
        };
        if let EventKind::Failed(e) = &kind {
            return self.fail(id, e);
        }
        match (task, kind) {
            (Task::Watch { format, .. }, EventKind::Reply(Reply::Watch(w))) => {
                if w.created {
                    self.settle(id);
                }
                if w.canceled {
                    let reason = if w.compact_revision > 0 {
                        "watch was canceled (etcdserver: mvcc: required revision has been compacted)"
                    } else {
                        "watch was canceled"
                    };
                    self.print(id, reason);
                    // etcdctl's watch loop then ends with this line.
                    self.print(id, &ctl::format::watch_end());
                    if let Some(o) = self.output_mut(id) {
                        o.state = CommandState::Failed;
                    }
                    self.forget(id);
                } else {
                    // Events, or a progress notification (`watch --progress-notify`).
                    let text = ctl::format::watch(&w.header, &w.body(), format);
                    self.print(id, &text);
                }
            }
            (Task::KeepAlive { format, lease }, EventKind::Reply(Reply::LeaseKeepAlive(k))) => {
                let text = ctl::format::lease_keepalive(&k.header, lease, k.ttl, format);
                self.print(id, &text);
                self.settle(id);
            }
            (Task::KeepAlive { lease, .. }, EventKind::Closed) => {
                self.print(id, &format!("lease {lease:016x} expired or revoked."));
                self.finish(id);
            }
            (Task::Sleep, EventKind::Elapsed) => self.finish(id),
            (Task::Recipe { format, .. }, EventKind::Reply(Reply::Lock(l))) => {
                let now = self.now();
                self.session_log.lock_acquired(id, &l.key, now);
                let resp = held_key(&l.key, l.create_revision, l.lease, &[]);
                let text = ctl::format::get(&l.header, &resp, format, false, false);
                self.print(id, &text);
                self.settle(id);
            }
            (Task::Recipe { format, value, .. }, EventKind::Reply(Reply::Campaign(c))) => {
                let l = &c.leader;
                let resp = held_key(&l.key, l.rev, l.lease, &value);
                let text = ctl::format::get(&c.header, &resp, format, false, false);
                self.print(id, &text);
                self.settle(id);
            }
            (Task::Observe { format }, EventKind::Reply(Reply::Observe(r))) => {
                let text = ctl::format::get(&r.header, &r.body(), format, false, false);
                self.print(id, &text);
                self.settle(id);
            }
            (_, EventKind::Waiting) => self.settle(id),
            _ => {}
        }
    }

    /// One member's answer to an `endpoint` command; prints when all are in.
    fn on_member_answer(&mut self, id: CommandId, call: CallId, kind: EventKind) {
        let now = self.now();
        let Some(Task::Gather(g)) = self.tasks.get_mut(&id).map(|t| &mut **t) else {
            return;
        };
        let result = match kind {
            EventKind::Reply(r) => Ok(r),
            EventKind::Failed(e) => Err(e),
            _ => return,
        };
        let node = g.nodes.get(&call).copied().unwrap_or(0);
        g.answers.push((node, now, result));
        g.pending = g.pending.saturating_sub(1);
        if g.pending == 0 {
            self.gathered(id);
        }
    }

    /// Prints an `endpoint` command once every member answered.
    pub(super) fn gathered(&mut self, id: CommandId) {
        let Some(Task::Gather(g)) = self.tasks.get(&id).map(|t| (**t).clone()) else {
            return;
        };
        let name = |n: u64| {
            g.names
                .get(&n)
                .cloned()
                .unwrap_or_else(|| format!("node{n}"))
        };
        match g.kind {
            GatherKind::Status => {
                let mut rows = Vec::new();
                let mut errors = Vec::new();
                for (n, _, r) in &g.answers {
                    match r {
                        Ok(Reply::Status(s)) => rows.push(status_row(name(*n), s)),
                        Ok(_) => {}
                        Err(e) => errors.push(format!(
                            "Failed to get the status of endpoint {} ({e})",
                            name(*n)
                        )),
                    }
                }
                let mut out = ctl::format::endpoint_status(&rows, g.format);
                for e in errors {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&e);
                    out.push('\n');
                }
                self.print(id, &out);
                self.finish(id);
            }
            GatherKind::HashKv => {
                let rows: Vec<EndpointHashKvRow> = g
                    .answers
                    .iter()
                    .filter_map(|(n, _, r)| match r {
                        Ok(Reply::HashKv(hk)) => Some(EndpointHashKvRow {
                            endpoint: name(*n),
                            header: hk.header,
                            hash: hk.hash,
                            compact_revision: hk.compact_revision,
                        }),
                        _ => None,
                    })
                    .collect();
                let text = ctl::format::endpoint_hashkv(&rows, g.format);
                self.print(id, &text);
                self.finish(id);
            }
            GatherKind::Health => {
                let mut rows: Vec<EndpointHealthRow> = g
                    .answers
                    .iter()
                    .map(|(n, at, r)| {
                        let (health, error) = match r {
                            Ok(Reply::Health(h)) if h.health => (true, None),
                            Err(e) => (false, Some(e.clone())),
                            _ => (false, Some("unexpected answer".to_string())),
                        };
                        EndpointHealthRow {
                            endpoint: name(*n),
                            health,
                            took_ms: at - g.started,
                            error,
                        }
                    })
                    .collect();
                order::sort_by(&mut rows, |a, b| a.endpoint.cmp(&b.endpoint));
                let all_ok = rows.iter().all(|r| r.health);
                let text = ctl::format::endpoint_health(&rows, g.format);
                self.print(id, &text);
                // The text already ends with "Error: unhealthy cluster" when one is unhealthy.
                self.end(id, all_ok);
            }
        }
    }
}
