//! Cluster and maintenance calls: member list/add/remove/promote, move-leader, status and
//! hash-kv. They read and change the simulated cluster directly (etcd answers them from the
//! member's own state, or through its own membership machinery), so they answer at once.

use std::collections::{BTreeMap, BTreeSet};

use sim::{Action, NodeStatus, Role};

use super::{
    Call, CallId, Client, HashKvResponse, Member, MemberAddRequest, MemberAddResponse,
    MemberListResponse, MemberPromoteResponse, MemberRemoveResponse, MemberUpdateResponse,
    MoveLeaderResponse, Reply, StatusResponse, Timer,
};
use crate::ids;
use crate::machine::EtcdQuery;

/// The version string members report.
pub const VERSION: &str = "3.5.1";

/// How often a membership change waiting for the previous one retries (virtual ms).
const MEMBERSHIP_POLL_MS: u64 = 10;
/// How long a membership change waits for the previous one before `request timed out`.
const MEMBERSHIP_TIMEOUT_MS: u64 = 7_000;

/// A member added by `member_add`, as given.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AddedMember {
    name: String,
    peer_urls: Vec<String>,
    /// The Raft index of the change that added it: it has started once it applied that.
    index: u64,
    learner: bool,
}

/// What the client knows of membership beyond the cluster's configuration.
#[derive(Clone, Debug, Default)]
pub(super) struct Members {
    added: BTreeMap<u64, Box<AddedMember>>,
    /// Removed members (no longer listed, as etcd answers once applied).
    removed: BTreeSet<u64>,
    /// Peer URLs set by `member_update`, by node (such a member is listed as a voter).
    peer_urls: BTreeMap<u64, Vec<String>>,
}

/// Membership changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemberOp {
    Remove,
    Promote,
    MoveLeader,
}

/// A membership change waiting for the previous one to be applied.
#[derive(Clone, Debug)]
pub(super) struct Membership {
    member: u64,
    op: MemberOp,
    deadline: u64,
}

impl Client {
    /// Member id of node `node`.
    pub fn member_id(&self, node: u64) -> u64 {
        ids::member_id(self.service.seed(), node)
    }

    /// The node of a member id (or of a node number given as one).
    pub fn node_of_member(&self, member: u64) -> Option<u64> {
        let nodes = self.service.cluster().node_ids();
        ids::node_of_member(self.service.seed(), &nodes, member)
    }

    /// The members in the current configuration, ordered by member id as etcd lists them. A
    /// member added by `member_add` has no name and no client URLs until it has applied the
    /// change that added it (etcdctl calls it `unstarted`).
    pub fn members(&self) -> Vec<Member> {
        let c = self.service.cluster();
        let mut rows = Vec::new();
        for n in c.node_ids() {
            let Some(v) = c.node_view(n) else { continue };
            let added = self.members.added.get(&n);
            if self.members.removed.contains(&n) || !(v.voter || v.learner || added.is_some()) {
                continue;
            }
            let started = added.is_none_or(|a| v.applied >= a.index);
            let peer_urls = match self.members.peer_urls.get(&n) {
                Some(urls) => urls.clone(),
                None => added.map_or_else(
                    || vec![format!("http://node{n}:2380")],
                    |a| a.peer_urls.clone(),
                ),
            };
            let name = added.map_or_else(|| format!("node{n}"), |a| a.name.clone());
            rows.push(Member {
                id: self.member_id(n),
                name: if started { name } else { String::new() },
                peer_urls,
                client_urls: if started {
                    vec![format!("http://node{n}:2379")]
                } else {
                    Vec::new()
                },
                // etcd 3.5.1's MemberUpdate replaces the member's Raft attributes with the
                // peer URLs alone: a learner updated is listed as a voter from then on (it
                // stays a learner to Raft).
                is_learner: !self.members.peer_urls.contains_key(&n)
                    && (v.learner || (!v.voter && added.is_some_and(|a| a.learner))),
            });
        }
        order::sort_by_key(&mut rows, |m| m.id);
        rows
    }

    fn revision_at(&self, node: u64) -> i64 {
        self.service
            .cluster()
            .read_local(node, &EtcdQuery::Revision)
            .map_or(0, |a| a.revision)
    }

    fn leader_last_index(&self) -> u64 {
        let c = self.service.cluster();
        c.leader()
            .and_then(|l| c.node_view(l))
            .map_or(0, |v| v.last_index)
    }

    /// `MemberList`, as member `node` sees the configuration.
    pub fn member_list(&mut self, node: u64) -> CallId {
        let call = self.new_call();
        let header = self.service.header(node, self.revision_at(node));
        let members = self.members();
        self.reply(
            call,
            Reply::MemberList(MemberListResponse { header, members }),
        );
        call
    }

    /// `MemberAdd`: a new node joins (through joint consensus), listed at once without a
    /// name until it has started.
    pub fn member_add(&mut self, req: MemberAddRequest) -> CallId {
        let call = self.new_call();
        let taken = self
            .members()
            .iter()
            .any(|m| m.peer_urls.iter().any(|u| req.peer_urls.contains(u)));
        if taken {
            self.fail(call, "etcdserver: Peer URLs already exists");
            return call;
        }
        let new = self
            .service
            .cluster()
            .node_ids()
            .last()
            .copied()
            .unwrap_or(0)
            + 1;
        let learner = req.is_learner;
        let action = if learner {
            Action::AddLearner(new)
        } else {
            Action::AddVoter(new)
        };
        if let Err(e) = self.service.cluster_mut().apply(action) {
            self.fail(call, &e.to_string());
            return call;
        }
        let index = self.leader_last_index();
        self.members.added.insert(
            new,
            Box::new(AddedMember {
                // A member added with no name (gRPC's MemberAdd has none) starts as `nodeN`.
                name: if req.name.is_empty() {
                    format!("node{new}")
                } else {
                    req.name.clone()
                },
                peer_urls: req.peer_urls.clone(),
                index,
                learner,
            }),
        );
        let leader = self.service.cluster().leader().unwrap_or(new);
        let member = Member {
            id: self.member_id(new),
            name: req.name,
            peer_urls: req.peer_urls,
            client_urls: Vec::new(),
            is_learner: learner,
        };
        let mut members = self.members();
        if !members.iter().any(|m| m.id == member.id) {
            members.push(member.clone());
        }
        for m in &mut members {
            if m.id == member.id {
                m.is_learner = learner;
            }
        }
        let header = self.service.header(leader, 0);
        self.reply(
            call,
            Reply::MemberAdd(MemberAddResponse {
                header,
                member,
                members,
            }),
        );
        call
    }

    /// `MemberRemove` of member `id` (a member id, or a node number).
    pub fn member_remove(&mut self, id: u64) -> CallId {
        self.start_member_change(id, MemberOp::Remove)
    }

    /// `MemberPromote` of learner `id`.
    pub fn member_promote(&mut self, id: u64) -> CallId {
        self.start_member_change(id, MemberOp::Promote)
    }

    /// `MemberUpdate`: member `id` (a member id, or a node number) gets `peer_urls` (as
    /// given: etcd checks only that no other member has one of them). The simulated network
    /// does not use URLs, so nothing else changes.
    pub fn member_update(&mut self, id: u64, peer_urls: Vec<String>) -> CallId {
        let call = self.new_call();
        let node = self
            .node_of_member(id)
            .filter(|n| !self.members.removed.contains(n));
        let Some(node) = node else {
            self.fail(call, "etcdserver: member not found");
            return call;
        };
        let member = self.member_id(node);
        let taken = self
            .members()
            .iter()
            .filter(|m| m.id != member)
            .any(|m| m.peer_urls.iter().any(|u| peer_urls.contains(u)));
        if taken {
            self.fail(call, "etcdserver: Peer URLs already exists");
            return call;
        }
        self.members.peer_urls.insert(node, peer_urls);
        let leader = self.service.cluster().leader().unwrap_or(node);
        let header = self.service.header(leader, 0);
        let members = self.members();
        self.reply(
            call,
            Reply::MemberUpdate(MemberUpdateResponse { header, members }),
        );
        call
    }

    /// `MoveLeader` to member `target`.
    pub fn move_leader(&mut self, target: u64) -> CallId {
        self.start_member_change(target, MemberOp::MoveLeader)
    }

    fn start_member_change(&mut self, member: u64, op: MemberOp) -> CallId {
        let call = self.new_call();
        self.member_change(call, member, op);
        call
    }

    pub(super) fn membership_timer(&mut self, call: CallId) {
        if let Some(Call::Membership(m)) = self.calls.get(&call).map(|c| &**c).cloned() {
            self.member_change(call, m.member, m.op);
        }
    }

    /// Retries a membership change refused because the previous one is still in progress
    /// (etcd answers `member add` only once applied, so a following change never sees that).
    fn retry_membership(&mut self, call: CallId, member: u64, op: MemberOp) {
        let deadline = match self.calls.get(&call).map(|c| &**c) {
            Some(Call::Membership(m)) => m.deadline,
            _ => self.now() + MEMBERSHIP_TIMEOUT_MS,
        };
        if self.now() >= deadline {
            return self.fail(call, "etcdserver: request timed out");
        }
        self.insert_call(
            call,
            Call::Membership(Membership {
                member,
                op,
                deadline,
            }),
        );
        let at = self.now() + MEMBERSHIP_POLL_MS;
        self.schedule(at, call, Timer::Membership);
    }

    fn member_change(&mut self, call: CallId, member: u64, op: MemberOp) {
        let Some(node) = self.node_of_member(member) else {
            return self.fail(call, "etcdserver: member not found");
        };
        let is_learner = self
            .service
            .cluster()
            .node_view(node)
            .is_some_and(|v| v.learner);
        if op == MemberOp::Promote && !is_learner {
            return self.fail(call, "etcdserver: can only promote a learner member");
        }
        let leader = self.service.cluster().leader().unwrap_or(node);
        let header = self.service.header(leader, 0);
        let action = match op {
            MemberOp::Remove => Action::Remove(node),
            MemberOp::Promote => Action::Promote(node),
            MemberOp::MoveLeader => Action::TransferLeader(node),
        };
        if let Err(e) = self.service.cluster_mut().apply(action) {
            let e = e.to_string();
            if e.contains("already in progress") && op != MemberOp::MoveLeader {
                return self.retry_membership(call, member, op);
            }
            return self.fail(call, &e);
        }
        if op == MemberOp::Remove {
            self.members.added.remove(&node);
            self.members.removed.insert(node);
        }
        // The members after the change, as etcd answers (it answers once it is applied).
        let mut members = self.members();
        if op == MemberOp::Promote {
            let promoted = self.member_id(node);
            for m in members.iter_mut().filter(|m| m.id == promoted) {
                m.is_learner = false;
            }
        }
        let reply = match op {
            MemberOp::Remove => Reply::MemberRemove(MemberRemoveResponse { header, members }),
            MemberOp::Promote => Reply::MemberPromote(MemberPromoteResponse { header, members }),
            MemberOp::MoveLeader => Reply::MoveLeader(MoveLeaderResponse { header }),
        };
        self.calls.remove(&call);
        self.reply(call, reply);
    }

    /// `Status` of member `node`: fails with `no such member`, or `context deadline
    /// exceeded` when it is not running.
    pub fn status(&mut self, node: u64) -> CallId {
        let call = self.new_call();
        let c = self.service.cluster();
        let seed = self.service.seed();
        let Some(v) = c.node_view(node) else {
            self.fail(call, "no such member");
            return call;
        };
        if v.status != NodeStatus::Up {
            self.fail(call, "context deadline exceeded");
            return call;
        }
        let sm = c.state_machine(node).expect("up");
        let db_size = sm.store.snapshot().len() as i64;
        let revision = sm.store.current_revision();
        let status = StatusResponse {
            header: self.service.header(node, revision),
            version: VERSION.into(),
            db_size,
            leader: c.leader().map_or(0, |l| ids::member_id(seed, l)),
            raft_index: v.last_index,
            raft_term: v.term,
            raft_applied_index: v.applied,
            errors: Vec::new(),
            db_size_in_use: db_size,
            is_learner: v.learner,
            is_leader: v.role == Some(Role::Leader),
        };
        self.reply(call, Reply::Status(status));
        call
    }

    /// `HashKV` of member `node` at `revision` (0: its current revision).
    pub fn hash_kv(&mut self, node: u64, revision: i64) -> CallId {
        let call = self.new_call();
        let c = self.service.cluster();
        let sm = match c.state_machine(node) {
            Ok(sm) => sm,
            Err(e) => {
                let e = e.to_string();
                self.fail(call, &e);
                return call;
            }
        };
        let current = sm.store.current_revision();
        let at = if revision <= 0 { current } else { revision };
        match sm.store.hash_kv(at) {
            Ok((hash, compact_revision)) => {
                let r = HashKvResponse {
                    header: self.service.header(node, current),
                    hash,
                    // etcd's compaction point is -1 before the first compaction.
                    compact_revision: if compact_revision == 0 {
                        -1
                    } else {
                        compact_revision
                    },
                };
                self.reply(call, Reply::HashKv(r));
            }
            Err(e) => {
                let e = e.to_string();
                self.fail(call, &e);
            }
        }
        call
    }
}
