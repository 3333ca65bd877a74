//! Client requests: proposals (forwarded by raft-rs or refused) and ReadIndex reads.

use super::{Cluster, Event, NodeState, Pending, PendingKind};
use crate::node::{encode_ctx, Inbound};
use crate::request::{Completion, Outcome, RequestError, RequestId};
use crate::state_machine::StateMachine;
use crate::trace::{Role, TraceKind};

impl<SM: StateMachine> Cluster<SM> {
    fn new_request(&mut self, node: u64, kind: PendingKind<SM::Query>, what: String) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        self.stats.requests += 1;
        self.trace
            .record(self.now, TraceKind::Request { id, node, what });
        self.pending.insert(id, Pending { node, kind });
        let deadline = self.now + self.config.request_timeout_ms;
        self.queue.push_late(deadline, Event::Timeout(id));
        id
    }

    /// Proposes `data` at `node`, as a client connected to it would. The request ends in a
    /// completion (see `take_completions`): written once `node` applies it, or failed.
    pub fn propose(&mut self, node: u64, data: Vec<u8>) -> RequestId {
        let what = if self.trace.enabled() {
            format!("propose {}", SM::describe(&data))
        } else {
            String::new()
        };
        let id = self.new_request(node, PendingKind::Write, what);
        match self.nodes.get_mut(&node).map(|n| &mut n.state) {
            None | Some(NodeState::Crashed(_)) => {
                self.finish(id, Outcome::Failed(RequestError::NodeDown(node)))
            }
            Some(NodeState::Paused(_, inbox)) => inbox.push_back(Inbound::Propose(id, data)),
            Some(NodeState::Running(_)) => self.do_propose(node, id, data),
        }
        id
    }

    pub(super) fn do_propose(&mut self, node: u64, id: RequestId, data: Vec<u8>) {
        if !self.pending.contains(id) {
            return;
        }
        let forward = self.config.raft.forward_proposals;
        let Some(live) = self
            .nodes
            .get_mut(&node)
            .and_then(|n| n.state.running_mut())
        else {
            return;
        };
        if live.role != Role::Leader && live.leader == 0 {
            // As etcd's raft node blocks proposals while no leader is known: wait for one (or
            // for the request timeout).
            self.parked
                .get_or_insert_with(node, Vec::new)
                .push(Inbound::Propose(id, data));
            return;
        }
        if live.role != Role::Leader && !forward {
            let err = RequestError::NotLeader {
                leader: Some(live.leader),
            };
            self.finish(id, Outcome::Failed(err));
            return;
        }
        let res = live.raw.propose(encode_ctx(id), data);
        live.fix_timeout();
        match res {
            Ok(()) => {
                if live.role == Role::Leader {
                    let index = live.raw.raft.raft_log.last_index();
                    self.expected
                        .get_or_insert_with(node, Default::default)
                        .insert(index, id);
                }
                self.dirty.insert(node);
            }
            Err(_) => {
                let leader = live.leader;
                let err = if leader == 0 {
                    RequestError::NoLeader
                } else {
                    RequestError::NotLeader {
                        leader: Some(leader),
                    }
                };
                self.finish(id, Outcome::Failed(err));
            }
        }
    }

    /// A linearizable read of `query` at `node` through raft-rs ReadIndex: answered once `node`
    /// has applied up to the index the leader confirmed.
    pub fn read(&mut self, node: u64, query: SM::Query) -> RequestId {
        let what = if self.trace.enabled() {
            format!("read {query:?}")
        } else {
            String::new()
        };
        let now = self.now;
        let id = self.new_request(
            node,
            PendingKind::Read {
                query,
                index: None,
                asked_at: now,
            },
            what,
        );
        self.reads_waiting += 1;
        match self.nodes.get_mut(&node).map(|n| &mut n.state) {
            None | Some(NodeState::Crashed(_)) => {
                self.finish(id, Outcome::Failed(RequestError::NodeDown(node)))
            }
            Some(NodeState::Paused(_, inbox)) => inbox.push_back(Inbound::Read(id)),
            Some(NodeState::Running(_)) => self.do_read(node, id),
        }
        id
    }

    pub(super) fn do_read(&mut self, node: u64, id: RequestId) {
        if !self.pending.contains(id) {
            return;
        }
        let Some(live) = self
            .nodes
            .get_mut(&node)
            .and_then(|n| n.state.running_mut())
        else {
            return;
        };
        if live.leader == 0 {
            self.parked
                .get_or_insert_with(node, Vec::new)
                .push(Inbound::Read(id));
            return;
        }
        live.raw.read_index(encode_ctx(id));
        live.fix_timeout();
        self.dirty.insert(node);
    }

    /// Answers `query` from `node`'s local state now (etcd's serializable read: may be stale).
    ///
    /// # Errors
    /// `UnknownNode` or `NodeNotUp`.
    pub fn read_local(&self, node: u64, query: &SM::Query) -> crate::Result<SM::Answer> {
        Ok(self.state_machine(node)?.query(query))
    }

    /// Re-asks ReadIndex for reads at `node` that got no answer for a while.
    pub(super) fn retry_reads(&mut self, node: u64) {
        let now = self.now;
        let due: Vec<RequestId> = self
            .pending
            .iter_mut()
            .filter(|(_, p)| p.node == node)
            .filter_map(|(id, p)| match &mut p.kind {
                PendingKind::Read {
                    index: None,
                    asked_at,
                    ..
                } if *asked_at + super::READ_INDEX_RETRY_MS <= now => {
                    *asked_at = now;
                    Some(id)
                }
                _ => None,
            })
            .collect();
        let parked: Vec<RequestId> = self
            .parked
            .get(&node)
            .map(|v| {
                v.iter()
                    .filter_map(|i| match i {
                        Inbound::Read(id) => Some(*id),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for id in due {
            if !parked.contains(&id) {
                self.do_read(node, id);
            }
        }
    }

    /// Retries the requests parked at `node` while it knew no leader.
    pub(super) fn unpark(&mut self, node: u64) {
        let Some(items) = self.parked.remove(&node) else {
            return;
        };
        for item in items {
            match item {
                Inbound::Propose(id, data) => self.do_propose(node, id, data),
                Inbound::Read(id) => self.do_read(node, id),
                Inbound::Msg(..) => {}
            }
        }
    }

    pub(super) fn on_timeout(&mut self, id: RequestId) {
        if self.pending.contains(id) {
            self.finish(id, Outcome::Failed(RequestError::Timeout));
        }
    }

    /// Fails every request waiting at `node` (it crashed).
    pub(super) fn fail_requests_at(&mut self, node: u64) {
        let ids: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.node == node)
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.finish(id, Outcome::Failed(RequestError::NodeDown(node)));
        }
        self.expected.remove(&node);
        self.parked.remove(&node);
    }

    pub(super) fn finish(&mut self, id: RequestId, outcome: Outcome<SM::Output, SM::Answer>) {
        let Some(p) = self.pending.remove(id) else {
            return;
        };
        if matches!(p.kind, PendingKind::Read { .. }) {
            self.reads_waiting -= 1;
        }
        match &outcome {
            Outcome::Written { .. } => self.stats.writes_ok += 1,
            Outcome::Read { .. } => self.stats.reads_ok += 1,
            Outcome::Failed(_) => self.stats.failed += 1,
        }
        // The text only for a trace that keeps it (no formatting when the trace is off).
        if self.trace.enabled() {
            let text = match &outcome {
                Outcome::Written { index, .. } => format!("written at {index}"),
                Outcome::Read { index, .. } => format!("read at {index}"),
                Outcome::Failed(e) => e.to_string(),
            };
            self.trace.record(
                self.now,
                TraceKind::Response {
                    id,
                    node: p.node,
                    outcome: text,
                },
            );
        }
        self.completions.push_back(Completion {
            id,
            node: p.node,
            time_ms: self.now,
            outcome,
        });
    }
}
