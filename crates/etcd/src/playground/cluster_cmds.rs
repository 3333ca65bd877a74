//! Cluster commands: endpoint status/health/hashkv, member list/add/remove/promote, move-leader.

use sim::{Action, NodeStatus, Role};

use super::tasks::{MemberOp, Task, Timer};
use super::{CommandId, Playground};
use crate::ctl::{
    self, EndpointHashKvRow, EndpointHealthRow, EndpointStatusRow, MemberRow, OutputFormat, Target,
};
use crate::ids;
use crate::machine::EtcdQuery;
use crate::service::OpResult;

/// A member added by `member add`, as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddedMember {
    /// Its name (shown once it has started).
    pub name: String,
    /// Its peer URLs.
    pub peer_urls: Vec<String>,
    /// The Raft index of the change that added it: it has started once it applied that.
    pub index: u64,
    /// Added as a learner.
    pub learner: bool,
}

/// How often a membership change waiting for the previous one retries (virtual ms).
const MEMBERSHIP_POLL_MS: u64 = 10;
/// How long a membership change waits for the previous one before `request timed out`.
const MEMBERSHIP_TIMEOUT_MS: u64 = 7_000;

/// The version string members report.
pub const VERSION: &str = "3.5.1";

impl Playground {
    fn endpoints(&self, target: &Target) -> Vec<u64> {
        match target {
            Target::Node(n) => vec![*n],
            Target::Default => self.service.cluster().node_ids(),
        }
    }

    /// The endpoints a cluster command asks, with their names as etcdctl prints them: as given
    /// (`node1`), or with `--cluster` every member's client URL, ordered by member id as etcd
    /// lists its members.
    fn named_endpoints(&self, target: &Target, cluster: bool) -> Vec<(u64, String)> {
        if !cluster {
            return self
                .endpoints(target)
                .into_iter()
                .map(|n| (n, format!("node{n}")))
                .collect();
        }
        let mut nodes: Vec<u64> = self
            .member_rows()
            .iter()
            .filter(|m| m.status == "started")
            .filter_map(|m| {
                ids::node_of_member(
                    self.service.seed(),
                    &self.service.cluster().node_ids(),
                    m.id,
                )
            })
            .collect();
        order::sort_by(&mut nodes, |a, b| {
            self.member_hex(*a).cmp(&self.member_hex(*b))
        });
        nodes
            .into_iter()
            .map(|n| (n, format!("http://node{n}:2379")))
            .collect()
    }

    fn member_hex(&self, node: u64) -> u64 {
        ids::member_id(self.service.seed(), node)
    }

    /// `endpoint status`: one row per reachable member, an error line for the others.
    pub(super) fn endpoint_status(
        &self,
        target: &Target,
        cluster: bool,
        f: OutputFormat,
    ) -> String {
        let (rows, errors) = self.status_rows_and_errors(target, cluster);
        let mut out = ctl::format::endpoint_status(&rows, f);
        for e in errors {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&e);
            out.push('\n');
        }
        out
    }

    /// Status rows of the reachable members among `target`.
    pub(super) fn status_rows(&self, target: &Target) -> Vec<EndpointStatusRow> {
        self.status_rows_and_errors(target, false).0
    }

    fn status_rows_and_errors(
        &self,
        target: &Target,
        cluster: bool,
    ) -> (Vec<EndpointStatusRow>, Vec<String>) {
        let c = self.service.cluster();
        let seed = self.service.seed();
        let leader = c.leader();
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for (n, name) in self.named_endpoints(target, cluster) {
            let Some(v) = c.node_view(n) else {
                errors.push(format!(
                    "Failed to get the status of endpoint {name} (no such member)"
                ));
                continue;
            };
            if v.status != NodeStatus::Up {
                errors.push(format!(
                    "Failed to get the status of endpoint {name} (context deadline exceeded)"
                ));
                continue;
            }
            let sm = c.state_machine(n).expect("up");
            let db_size = sm.store.snapshot().len() as i64;
            rows.push(EndpointStatusRow {
                endpoint: name,
                id: ids::member_id(seed, n),
                version: VERSION.into(),
                db_size,
                is_leader: v.role == Some(Role::Leader),
                is_learner: v.learner,
                raft_term: v.term,
                raft_index: v.last_index,
                raft_applied_index: v.applied,
                errors: Vec::new(),
                cluster_id: ids::cluster_id(seed),
                revision: sm.store.current_revision(),
                leader: leader.map_or(0, |l| ids::member_id(seed, l)),
                db_size_in_use: db_size,
            });
        }
        (rows, errors)
    }

    /// `endpoint health`: a linearizable read through each member, like etcdctl's.
    pub(super) fn start_health(
        &mut self,
        id: CommandId,
        target: &Target,
        cluster: bool,
        format: OutputFormat,
    ) {
        let nodes = self.named_endpoints(target, cluster);
        self.tasks.insert(
            id,
            Task::Health {
                pending: nodes.len(),
                rows: Vec::new(),
                started: self.now(),
                format,
                names: order::map(nodes.iter().cloned()),
            },
        );
        for (n, _) in nodes {
            let op = self.service.range(
                n,
                kv::RangeRequest {
                    key: b"health".to_vec(),
                    ..Default::default()
                },
                false,
            );
            self.track(op, id, super::tasks::Purpose::Health(n));
        }
    }

    /// Records one member's health answer; prints the table when all are in.
    pub(super) fn on_health(&mut self, id: CommandId, node: u64, r: &OpResult) {
        let now = self.now();
        let Some(Task::Health {
            pending,
            rows,
            started,
            format,
            names,
        }) = self.tasks.get_mut(&id)
        else {
            return;
        };
        let format = *format;
        let endpoint = names
            .get(&node)
            .cloned()
            .unwrap_or_else(|| format!("node{node}"));
        let took_ms = now - *started;
        rows.push(match r {
            OpResult::Read(_, a) if a.result.is_ok() => EndpointHealthRow {
                endpoint: endpoint.clone(),
                health: true,
                took_ms,
                error: None,
            },
            OpResult::Failed(e) => EndpointHealthRow {
                endpoint: endpoint.clone(),
                health: false,
                took_ms,
                error: Some(e.clone()),
            },
            _ => EndpointHealthRow {
                endpoint: endpoint.clone(),
                health: false,
                took_ms,
                error: Some("unexpected answer".into()),
            },
        });
        *pending -= 1;
        if *pending == 0 {
            let mut rows = std::mem::take(rows);
            order::sort_by(&mut rows, |a, b| a.endpoint.cmp(&b.endpoint));
            let all_ok = rows.iter().all(|r| r.health);
            let text = ctl::format::endpoint_health(&rows, format);
            self.print(id, &text);
            // The text already ends with "Error: unhealthy cluster" when one is unhealthy.
            self.end(id, all_ok);
        }
    }

    /// `endpoint hashkv`.
    pub(super) fn hashkv(
        &self,
        target: &Target,
        cluster: bool,
        rev: i64,
        f: OutputFormat,
    ) -> String {
        let c = self.service.cluster();
        let mut rows = Vec::new();
        for (n, name) in self.named_endpoints(target, cluster) {
            let Ok(sm) = c.state_machine(n) else { continue };
            let at = if rev <= 0 {
                sm.store.current_revision()
            } else {
                rev
            };
            if let Ok((hash, compact_revision)) = sm.store.hash_kv(at) {
                rows.push(EndpointHashKvRow {
                    endpoint: name,
                    header: self.service.header(n, sm.store.current_revision()).into(),
                    hash,
                    // etcd's compaction point is -1 before the first compaction.
                    compact_revision: if compact_revision == 0 {
                        -1
                    } else {
                        compact_revision
                    },
                });
            }
        }
        ctl::format::endpoint_hashkv(&rows, f)
    }

    /// `member list`, as the member `node` sees the configuration.
    pub(super) fn member_list(&self, node: u64, f: OutputFormat) -> String {
        let h = self.service.header(node, self.revision_at(node));
        ctl::format::member_list(&h.into(), &self.member_rows(), f)
    }

    /// The members in the current configuration, ordered by member id as etcd lists them. A
    /// member added by `member add` is `unstarted` (no name, no client URLs) until it has
    /// applied the change that added it.
    pub(super) fn member_rows(&self) -> Vec<MemberRow> {
        let c = self.service.cluster();
        let mut rows = Vec::new();
        for n in c.node_ids() {
            let Some(v) = c.node_view(n) else { continue };
            let added = self.members_added.get(&n);
            if self.members_removed.contains(&n) || !(v.voter || v.learner || added.is_some()) {
                continue;
            }
            let started = added.is_none_or(|a| v.applied >= a.index);
            let peer_urls = added.map_or_else(
                || vec![format!("http://node{n}:2380")],
                |a| a.peer_urls.clone(),
            );
            let name = added.map_or_else(|| format!("node{n}"), |a| a.name.clone());
            rows.push(MemberRow {
                id: self.member_hex(n),
                status: if started { "started" } else { "unstarted" }.into(),
                name: if started { name } else { String::new() },
                peer_urls,
                client_urls: if started {
                    vec![format!("http://node{n}:2379")]
                } else {
                    Vec::new()
                },
                is_learner: v.learner || (!v.voter && added.is_some_and(|a| a.learner)),
            });
        }
        order::sort_by_key(&mut rows, |m| m.id);
        rows
    }

    /// Retries a membership change refused because the previous one is still in progress
    /// (etcd answers `member add` only once applied, so a following change never sees that).
    fn retry_membership(&mut self, id: CommandId, member: u64, op: MemberOp) {
        let deadline = match self.tasks.get(&id) {
            Some(Task::Membership { deadline, .. }) => *deadline,
            _ => self.now() + MEMBERSHIP_TIMEOUT_MS,
        };
        if self.now() >= deadline {
            return self.fail(id, "etcdserver: request timed out");
        }
        self.tasks.insert(
            id,
            Task::Membership {
                member,
                op,
                deadline,
            },
        );
        let at = self.now() + MEMBERSHIP_POLL_MS;
        self.schedule(at, id, Timer::Membership);
    }

    /// The retry timer of [`Self::retry_membership`].
    pub(super) fn check_membership(&mut self, id: CommandId) {
        if let Some(Task::Membership { member, op, .. }) = self.tasks.get(&id).cloned() {
            self.member_change(id, member, op);
        }
    }

    fn leader_last_index(&self) -> u64 {
        let c = self.service.cluster();
        c.leader()
            .and_then(|l| c.node_view(l))
            .map_or(0, |v| v.last_index)
    }

    fn revision_at(&self, node: u64) -> i64 {
        self.service
            .cluster()
            .read_local(node, &EtcdQuery::Revision)
            .map_or(0, |a| a.revision)
    }

    /// `member add`: a new node joins (through joint consensus), listed at once as
    /// `unstarted` with the peer URLs given.
    pub(super) fn member_add(
        &mut self,
        id: CommandId,
        name: String,
        peer_urls: Vec<String>,
        learner: bool,
    ) {
        let taken = self
            .member_rows()
            .iter()
            .any(|m| m.peer_urls.iter().any(|u| peer_urls.contains(u)));
        if taken {
            return self.fail(id, "etcdserver: Peer URLs already exists");
        }
        let new = self
            .service
            .cluster()
            .node_ids()
            .last()
            .copied()
            .unwrap_or(0)
            + 1;
        let action = if learner {
            Action::AddLearner(new)
        } else {
            Action::AddVoter(new)
        };
        match self.service.cluster_mut().apply(action) {
            Ok(()) => {
                let index = self.leader_last_index();
                self.members_added.insert(
                    new,
                    AddedMember {
                        name: name.clone(),
                        peer_urls: peer_urls.clone(),
                        index,
                        learner,
                    },
                );
                let leader = self.service.cluster().leader().unwrap_or(new);
                let member = MemberRow {
                    id: self.member_hex(new),
                    status: "unstarted".into(),
                    name,
                    peer_urls,
                    client_urls: Vec::new(),
                    is_learner: learner,
                };
                let mut members = self.member_rows();
                if !members.iter().any(|m| m.id == member.id) {
                    members.push(member.clone());
                }
                for m in &mut members {
                    if m.id == member.id {
                        m.is_learner = learner;
                    }
                }
                let h = self.service.header(leader, 0);
                let text =
                    ctl::format::member_add(&h.into(), &member, &members, OutputFormat::Simple);
                self.print(id, &text);
                self.finish(id);
            }
            Err(e) => self.fail(id, &e.to_string()),
        }
    }

    /// `member remove|promote ID` and `move-leader ID` (hex member id, or a node number).
    pub(super) fn member_change(&mut self, id: CommandId, member: u64, op: MemberOp) {
        let nodes = self.service.cluster().node_ids();
        let Some(node) = ids::node_of_member(self.service.seed(), &nodes, member) else {
            return self.fail(id, "etcdserver: member not found");
        };
        let is_learner = self
            .service
            .cluster()
            .node_view(node)
            .is_some_and(|v| v.learner);
        if op == MemberOp::Promote && !is_learner {
            return self.fail(id, "etcdserver: can only promote a learner member");
        }
        let hex = self.member_hex(node);
        let leader = self.service.cluster().leader().unwrap_or(node);
        let h: ctl::Header = self.service.header(leader, 0).into();
        let action = match op {
            MemberOp::Remove => Action::Remove(node),
            MemberOp::Promote => Action::Promote(node),
            MemberOp::MoveLeader => Action::TransferLeader(node),
        };
        let from = self.member_hex(leader);
        if let Err(e) = self.service.cluster_mut().apply(action) {
            let e = e.to_string();
            if e.contains("already in progress") && op != MemberOp::MoveLeader {
                return self.retry_membership(id, member, op);
            }
            return self.fail(id, &e);
        }
        let members = self.member_rows();
        let f = OutputFormat::Simple;
        let text = match op {
            MemberOp::Remove => ctl::format::member_remove(&h, hex, &members, f),
            MemberOp::Promote => ctl::format::member_promote(&h, hex, &members, f),
            MemberOp::MoveLeader => ctl::format::move_leader(&h, from, hex, f),
        };
        if op == MemberOp::Remove {
            self.members_added.remove(&node);
            self.members_removed.insert(node);
        }
        self.print(id, &text);
        self.finish(id);
    }
}
