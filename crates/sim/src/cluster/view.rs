//! A compact, serialisable picture of the cluster for a UI or a summary.

use serde::Serialize;

use super::Cluster;
use crate::network::{InFlightView, LinkMode};
use crate::node::{decode_conf_change, NodeStatus};
use crate::state_machine::StateMachine;
use crate::trace::Role;

/// One log entry as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// Index.
    pub index: u64,
    /// Term.
    pub term: u64,
    /// "normal", "empty" (a new leader's no-op) or "conf".
    pub kind: &'static str,
    /// Short description of the command.
    pub desc: String,
}

/// A leader's view of one peer's replication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerProgress {
    /// Peer id.
    pub id: u64,
    /// Highest index known replicated.
    pub matched: u64,
    /// Next index to send.
    pub next: u64,
    /// Probe, Replicate or Snapshot.
    pub state: String,
}

/// One node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    /// Id.
    pub id: u64,
    /// up, paused or crashed.
    pub status: NodeStatus,
    /// Role (crashed nodes show their last persisted term and no role).
    pub role: Option<Role>,
    /// Current term.
    pub term: u64,
    /// Vote in the current term (0 = none).
    pub vote: u64,
    /// Known leader (0 = none).
    pub leader: u64,
    /// Commit index.
    pub commit: u64,
    /// Applied index (crashed: the snapshot index it will restart from).
    pub applied: u64,
    /// First index still in the log.
    pub first_index: u64,
    /// Last index in the log.
    pub last_index: u64,
    /// Index of the last snapshot.
    pub snapshot_index: u64,
    /// Whether it is a voter in its latest known configuration.
    pub voter: bool,
    /// Whether it is a learner.
    pub learner: bool,
    /// Election timer: ticks elapsed and the randomized timeout (followers and candidates).
    pub election_elapsed: u64,
    /// The randomized election timeout in ticks.
    pub election_timeout: u64,
    /// Replication progress of peers (leaders only).
    pub progress: Vec<PeerProgress>,
}

/// A link that is not healthy and default.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkView {
    /// Sender.
    pub from: u64,
    /// Receiver.
    pub to: u64,
    /// Mode.
    pub mode: LinkMode,
    /// Held message ids, oldest first.
    pub held: Vec<u64>,
    /// Whether the link has its own drop/latency settings.
    pub custom: bool,
}

/// The whole cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterView {
    /// Virtual time.
    pub time_ms: u64,
    /// Seed.
    pub seed: u64,
    /// The node leading in the highest term.
    pub leader: Option<u64>,
    /// Nodes by id.
    pub nodes: Vec<NodeView>,
    /// Links not in their default state.
    pub links: Vec<LinkView>,
    /// Messages in the network.
    pub in_flight: Vec<InFlightView>,
    /// Trace hash so far.
    pub trace_hash: String,
}

impl<SM: StateMachine> Cluster<SM> {
    /// A picture of one node.
    pub fn node_view(&self, id: u64) -> Option<NodeView> {
        let node = self.nodes.get(&id)?;
        let store = node.state.storage();
        let hs = store.hard_state();
        let first_index = store.snapshot_index() + 1;
        let last_index = store.last_index_held();
        let mut v = NodeView {
            id,
            status: node.state.status(),
            role: None,
            term: hs.term,
            vote: hs.vote,
            leader: 0,
            commit: hs.commit,
            applied: store.snapshot_index(),
            first_index,
            last_index,
            snapshot_index: store.snapshot_index(),
            voter: false,
            learner: false,
            election_elapsed: 0,
            election_timeout: 0,
            progress: Vec::new(),
        };
        if let Some(live) = node.state.live() {
            let r = &live.raw.raft;
            v.role = Some(live.role);
            v.term = r.term;
            v.vote = r.vote;
            v.leader = live.leader;
            v.commit = r.raft_log.committed;
            v.applied = live.applied;
            v.last_index = r.raft_log.last_index();
            v.election_elapsed = r.election_elapsed as u64;
            v.election_timeout = r.randomized_election_timeout() as u64;
            let conf = r.prs().conf();
            v.voter = conf.voters().contains(id);
            v.learner = conf.learners().contains(&id);
            if live.role == Role::Leader {
                // In id order: the ids sorted (a sort of plain `u64`s, which the bundle has
                // anyway), then each one's progress.
                let mut ids: Vec<u64> = r.prs().iter().map(|(pid, _)| *pid).collect();
                ids.sort();
                v.progress = ids
                    .into_iter()
                    .filter_map(|pid| {
                        let p = r.prs().get(pid)?;
                        Some(PeerProgress {
                            id: pid,
                            matched: p.matched,
                            next: p.next_idx,
                            state: format!("{:?}", p.state),
                        })
                    })
                    .collect();
            }
        } else {
            let cs = store.snapshot_ref().get_metadata().get_conf_state();
            v.voter = cs.voters.contains(&id);
            v.learner = cs.learners.contains(&id);
        }
        Some(v)
    }

    /// Log entries of node `id` with index in `[from, to]` that are still held (durable log).
    pub fn log_entries(&self, id: u64, from: u64, to: u64) -> Vec<EntryView> {
        let Some(node) = self.nodes.get(&id) else {
            return Vec::new();
        };
        node.state
            .storage()
            .entries_between(from, to.saturating_add(1))
            .map(|e| {
                let (kind, desc) = match e.get_entry_type() {
                    raft::eraftpb::EntryType::EntryNormal if e.data.is_empty() => {
                        ("empty", String::new())
                    }
                    raft::eraftpb::EntryType::EntryNormal => ("normal", SM::describe(&e.data)),
                    _ => (
                        "conf",
                        decode_conf_change(e)
                            .map(|cc| {
                                cc.changes
                                    .iter()
                                    .map(|c| format!("{:?} {}", c.get_change_type(), c.node_id))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .map(|s| {
                                if s.is_empty() {
                                    "leave joint".to_string()
                                } else {
                                    s
                                }
                            })
                            .unwrap_or_else(|e| e),
                    ),
                };
                EntryView {
                    index: e.index,
                    term: e.term,
                    kind,
                    desc,
                }
            })
            .collect()
    }

    /// A picture of the whole cluster.
    pub fn view(&self) -> ClusterView {
        ClusterView {
            time_ms: self.now,
            seed: self.config.seed,
            leader: self.leader(),
            nodes: self
                .nodes
                .keys()
                .filter_map(|id| self.node_view(*id))
                .collect(),
            links: self
                .network
                .links()
                .filter(|(_, l)| l.mode != LinkMode::Healthy || l.config.is_some())
                .map(|((from, to), l)| LinkView {
                    from,
                    to,
                    mode: l.mode,
                    held: l.held.iter().copied().collect(),
                    custom: l.config.is_some(),
                })
                .collect(),
            in_flight: self.network.in_flight(),
            trace_hash: self.trace.hash_hex(),
        }
    }

    /// Every message in the network.
    pub fn in_flight(&self) -> Vec<InFlightView> {
        self.network.in_flight()
    }
}
