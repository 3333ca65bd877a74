//! One simulated node: a raft-rs `RawNode` over our durable storage, plus its state machine.
//!
//! The node never sends or schedules anything itself: `handle_ready` returns what raft-rs asked
//! for (messages, appends, applies, read states) as a value, and the cluster acts on it.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use protobuf::Message as PbMessage;
use raft::eraftpb::{ConfChange, ConfChangeV2, ConfState, Entry, EntryType, Message};
use raft::{RawNode, ReadOnlyOption};
use serde::Serialize;

use crate::config::{ClusterConfig, ReadMode};
use crate::invariants::EntryId;
use crate::rng::election_timeout;
use crate::state_machine::{ApplyContext, StateMachine};
use crate::storage::DurableStorage;
use crate::trace::{Role, StableHasher};

/// Whether a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum NodeStatus {
    /// Running.
    Up,
    /// Frozen: no ticks, incoming messages wait; nothing is lost.
    Paused,
    /// Crashed: only durable state remains.
    Crashed,
}

impl NodeStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Up => "up",
            NodeStatus::Paused => "paused",
            NodeStatus::Crashed => "crashed",
        }
    }
}

/// Something waiting at a paused node.
#[derive(Clone, Debug)]
pub enum Inbound {
    /// A Raft message (network id, message).
    Msg(u64, Message),
    /// A client proposal (request id, command).
    Propose(u64, Vec<u8>),
    /// A client linearizable read (request id).
    Read(u64),
}

/// The volatile state of a running node: lost on a crash.
#[derive(Clone)]
pub struct Live<SM: StateMachine> {
    /// The raft-rs node (holds the durable storage).
    pub raw: RawNode<DurableStorage>,
    /// The in-memory state machine.
    pub sm: SM,
    /// Configuration as of `applied`.
    pub conf_state: ConfState,
    /// Last applied index.
    pub applied: u64,
    /// Current role.
    pub role: Role,
    /// Known leader (0 = none).
    pub leader: u64,
    seed: u64,
    /// Hash entries for the invariant checker (off when it is off).
    hash_entries: bool,
    min_timeout: usize,
    max_timeout: usize,
    /// The election timeout last computed, with the term it is for (computing it hashes).
    timeout: Option<(u64, usize)>,
    /// PLANTED BUG (`ClusterConfig::planted_apply_before_commit`): apply on append, and the
    /// last index so applied (its entries are skipped when they come committed).
    apply_before_commit: bool,
    early_applied: u64,
}

/// An entry applied by a node.
#[derive(Clone, Debug)]
pub struct Applied<O> {
    /// Index, term, hash.
    pub entry: EntryId,
    /// The client request that proposed it, if any.
    pub request: Option<u64>,
    /// The state machine's output (normal entries with data).
    pub output: Option<O>,
    /// An error applying a configuration change.
    pub conf_error: Option<String>,
    /// The number of voters after a configuration change this entry made.
    pub voters: Option<usize>,
}

/// Entries a node persisted in one ready.
#[derive(Clone, Debug)]
pub struct Appended {
    /// Last index before the append.
    pub last_before: u64,
    /// Term of the entry before the first appended one.
    pub prev_term: u64,
    /// First entry appended (index, term).
    pub first: (u64, u64),
    /// Last entry appended (index, term).
    pub last: (u64, u64),
    /// Every entry, for the invariant checker (empty when it is off).
    pub entries: Vec<EntryId>,
}

/// Everything one `Ready` asked for, as a value.
#[derive(Debug)]
pub struct ReadyOutput<O> {
    /// Messages to send, sorted by destination then type (docs/architecture.md, "Determinism").
    pub messages: Vec<Message>,
    /// New (role, leader) if either changed.
    pub soft: Option<(Role, u64)>,
    /// Snapshot installed from the leader, by index.
    pub snapshot_installed: Option<u64>,
    /// Entries persisted.
    pub appended: Option<Appended>,
    /// New commit index.
    pub committed: Option<u64>,
    /// Entries applied.
    pub applied: Vec<Applied<O>>,
    /// Linearizable reads ready: (request id, read index).
    pub read_states: Vec<(u64, u64)>,
    /// A snapshot taken (log compacted) at this index.
    pub snapshot_taken: Option<u64>,
}

impl<O> Default for ReadyOutput<O> {
    fn default() -> Self {
        ReadyOutput {
            messages: Vec::new(),
            soft: None,
            snapshot_installed: None,
            appended: None,
            committed: None,
            applied: Vec::new(),
            read_states: Vec::new(),
            snapshot_taken: None,
        }
    }
}

/// Appends `more` to `messages` in order, taking `more`'s buffer when `messages` is empty (most
/// readies send from only one of their message lists).
fn append_messages(messages: &mut Vec<Message>, more: Vec<Message>) {
    if messages.is_empty() {
        *messages = more;
    } else {
        messages.extend(more);
    }
}

/// Encodes a request id as an entry or read context.
pub fn encode_ctx(id: u64) -> Vec<u8> {
    id.to_le_bytes().to_vec()
}

/// Decodes a request id from an entry or read context.
pub fn decode_ctx(ctx: &[u8]) -> Option<u64> {
    let b: [u8; 8] = ctx.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Hash identifying an entry's content (type, data, context).
pub fn entry_hash(e: &Entry) -> u64 {
    let mut h = StableHasher::default();
    (e.get_entry_type() as i32).hash(&mut h);
    h.write(&e.data);
    h.write(&e.context);
    h.finish()
}

fn entry_id(e: &Entry, hash: bool) -> EntryId {
    EntryId {
        index: e.index,
        term: e.term,
        hash: if hash { entry_hash(e) } else { 0 },
    }
}

/// Decodes a configuration change entry into the change itself.
pub fn decode_conf_change(e: &Entry) -> Result<ConfChangeV2, String> {
    match e.get_entry_type() {
        EntryType::EntryConfChange => {
            let cc = ConfChange::parse_from_bytes(&e.data).map_err(|err| err.to_string())?;
            Ok(raft_proto::ConfChangeI::into_v2(cc))
        }
        EntryType::EntryConfChangeV2 => {
            ConfChangeV2::parse_from_bytes(&e.data).map_err(|err| err.to_string())
        }
        EntryType::EntryNormal => Err("not a configuration change".into()),
    }
}

impl<SM: StateMachine> Live<SM> {
    /// Starts (or restarts) node `id` from its durable storage.
    ///
    /// # Errors
    /// raft-rs refusing the configuration, or a snapshot the state machine cannot read.
    pub fn start(id: u64, storage: DurableStorage, cfg: &ClusterConfig) -> Result<Self, String> {
        let snap = storage.snapshot_ref();
        let applied = snap.get_metadata().index;
        let conf_state = snap.get_metadata().get_conf_state().clone();
        let sm = if applied == 0 {
            SM::default()
        } else {
            SM::from_image(storage.image().as_ref())?
        };
        let rc = raft::Config {
            id,
            election_tick: cfg.raft.election_tick,
            heartbeat_tick: cfg.raft.heartbeat_tick,
            applied,
            max_size_per_msg: cfg.raft.max_size_per_msg,
            max_inflight_msgs: cfg.raft.max_inflight_msgs,
            check_quorum: cfg.raft.check_quorum,
            pre_vote: cfg.raft.pre_vote,
            read_only_option: match cfg.raft.read_mode {
                ReadMode::Safe => ReadOnlyOption::Safe,
                ReadMode::LeaseBased => ReadOnlyOption::LeaseBased,
            },
            ..Default::default()
        };
        rc.validate().map_err(|e| e.to_string())?;
        let min_timeout = rc.min_election_tick();
        let max_timeout = rc.max_election_tick();
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raw = RawNode::new(&rc, storage, &logger).map_err(|e| e.to_string())?;
        let mut live = Live {
            raw,
            sm,
            conf_state,
            applied,
            role: Role::Follower,
            leader: 0,
            seed: cfg.seed,
            hash_entries: cfg.check_invariants,
            min_timeout,
            max_timeout,
            timeout: None,
            apply_before_commit: cfg.planted_apply_before_commit,
            early_applied: 0,
        };
        live.fix_timeout();
        Ok(live)
    }

    /// Overwrites raft-rs's randomized election timeout (drawn from `thread_rng`) with a pure
    /// function of (seed, node, term). Called after every call into the `RawNode`.
    pub fn fix_timeout(&mut self) {
        let term = self.raw.raft.term;
        let t = match self.timeout {
            Some((at, t)) if at == term => t,
            _ => {
                let t = election_timeout(
                    self.seed,
                    self.raw.raft.id,
                    term,
                    self.min_timeout,
                    self.max_timeout,
                );
                self.timeout = Some((term, t));
                t
            }
        };
        if self.raw.raft.randomized_election_timeout() != t {
            self.raw.raft.set_randomized_election_timeout(t);
        }
    }

    /// Current term.
    pub fn term(&self) -> u64 {
        self.raw.raft.term
    }

    /// The durable storage.
    pub fn store(&self) -> &DurableStorage {
        self.raw.store()
    }

    /// Handles one `Ready` in raft-rs's documented order. `None` if there was nothing to do.
    ///
    /// # Errors
    /// Storage refusing an append or a snapshot the state machine cannot read (both bugs).
    pub fn handle_ready(
        &mut self,
        now: u64,
        compaction_threshold: u64,
    ) -> Result<Option<ReadyOutput<SM::Output>>, String> {
        if !self.raw.has_ready() {
            return Ok(None);
        }
        let mut out = ReadyOutput::default();
        let mut rd = self.raw.ready();
        if let Some(ss) = rd.ss() {
            let role = Role::from(ss.raft_state);
            if role != self.role || ss.leader_id != self.leader {
                self.role = role;
                self.leader = ss.leader_id;
                out.soft = Some((role, ss.leader_id));
            }
        }
        out.messages = rd.take_messages();
        if !rd.snapshot().is_empty() {
            let snap = rd.snapshot().clone();
            let index = snap.get_metadata().index;
            self.sm.install_snapshot(&snap.data)?;
            self.conf_state = snap.get_metadata().get_conf_state().clone();
            self.applied = index;
            let image = self.sm.snapshot();
            self.raw.mut_store().apply_snapshot(snap, image);
            out.snapshot_installed = Some(index);
        }
        let committed = rd.take_committed_entries();
        self.apply_entries(committed, now, &mut out);
        if !rd.entries().is_empty() {
            let store = self.raw.store();
            let first_index = rd.entries()[0].index;
            let last_before = raft::Storage::last_index(store).unwrap_or(0);
            let prev_term = store.term_of(first_index.saturating_sub(1)).unwrap_or(0);
            let ents = rd.entries();
            let first = (ents[0].index, ents[0].term);
            let last = ents.last().map_or(first, |e| (e.index, e.term));
            let ids = if self.hash_entries {
                ents.iter().map(|e| entry_id(e, true)).collect()
            } else {
                Vec::new()
            };
            self.raw.mut_store().append(rd.entries())?;
            if self.apply_before_commit {
                // PLANTED BUG (off by default): apply what was appended, uncommitted.
                let early = rd.entries().to_vec();
                self.apply_early(early, now, &mut out);
            }
            out.appended = Some(Appended {
                last_before,
                prev_term,
                first,
                last,
                entries: ids,
            });
        }
        if let Some(hs) = rd.hs() {
            if hs.commit != self.raw.store().hard_state().commit {
                out.committed = Some(hs.commit);
            }
            let hs = hs.clone();
            self.raw.mut_store().set_hard_state(hs);
        }
        append_messages(&mut out.messages, rd.take_persisted_messages());
        for rs in rd.take_read_states() {
            if let Some(id) = decode_ctx(&rs.request_ctx) {
                out.read_states.push((id, rs.index));
            }
        }
        let mut light = self.raw.advance(rd);
        if let Some(commit) = light.commit_index() {
            self.raw.mut_store().set_commit(commit);
            out.committed = Some(commit);
        }
        append_messages(&mut out.messages, light.take_messages());
        let committed = light.take_committed_entries();
        self.apply_entries(committed, now, &mut out);
        self.raw.advance_apply();
        if compaction_threshold > 0
            && self.applied >= self.raw.store().snapshot_index() + compaction_threshold
        {
            let data = self.sm.snapshot();
            let cs = self.conf_state.clone();
            let applied = self.applied;
            self.raw.mut_store().compact_to(applied, cs, data)?;
            out.snapshot_taken = Some(applied);
        }
        self.fix_timeout();
        crate::msg_order::sort_messages(&mut out.messages);
        Ok(Some(out))
    }

    /// PLANTED BUG (off by default): applies normal entries as soon as they are appended.
    fn apply_early(&mut self, entries: Vec<Entry>, now: u64, out: &mut ReadyOutput<SM::Output>) {
        let from = self.applied.max(self.early_applied);
        let early: Vec<Entry> = entries
            .into_iter()
            .filter(|e| e.index > from && e.get_entry_type() == EntryType::EntryNormal)
            .collect();
        let (applied, last) = (self.applied, early.last().map(|e| e.index));
        self.apply_entries(early, now, out);
        self.applied = applied;
        self.early_applied = last.unwrap_or(self.early_applied);
    }

    /// A leader that a membership change has just removed stops leading, as an etcd member
    /// removed from the cluster stops; the remaining members elect a new leader once their
    /// election timeouts run out. raft-rs leaves such a leader in charge (its
    /// `post_conf_change` marks the case untested), and it panics the next time it advances the
    /// commit index without a progress entry of its own.
    fn step_down_if_removed(&mut self) {
        let raft = &mut self.raw.raft;
        if raft.state == raft::StateRole::Leader && !raft.prs().conf().voters().contains(raft.id) {
            let term = raft.term;
            raft.become_follower(term, raft::INVALID_ID);
        }
    }

    fn apply_entries(&mut self, entries: Vec<Entry>, now: u64, out: &mut ReadyOutput<SM::Output>) {
        out.applied.reserve(entries.len());
        for e in entries {
            if e.index <= self.early_applied && e.get_entry_type() == EntryType::EntryNormal {
                // PLANTED BUG (apply before commit): already applied on append.
                self.applied = self.applied.max(e.index);
                continue;
            }
            let mut applied = Applied {
                entry: entry_id(&e, self.hash_entries),
                request: decode_ctx(&e.context),
                output: None,
                conf_error: None,
                voters: None,
            };
            match e.get_entry_type() {
                EntryType::EntryNormal => {
                    if !e.data.is_empty() {
                        let ctx = ApplyContext {
                            node: self.raw.raft.id,
                            index: e.index,
                            term: e.term,
                            time_ms: now,
                            is_leader: self.role == Role::Leader,
                        };
                        applied.output = Some(self.sm.apply(&ctx, &e.data));
                    }
                }
                EntryType::EntryConfChange | EntryType::EntryConfChangeV2 => {
                    let res = decode_conf_change(&e).and_then(|cc| {
                        self.raw
                            .apply_conf_change(&cc)
                            .map_err(|err| err.to_string())
                    });
                    match res {
                        Ok(cs) => {
                            applied.voters = Some(cs.voters.len());
                            self.conf_state = cs.clone();
                            // A joining node must find itself in the snapshot it is sent.
                            let data = self.sm.snapshot();
                            self.raw.mut_store().set_serving_snapshot(e.index, cs, data);
                            self.step_down_if_removed();
                        }
                        Err(err) => applied.conf_error = Some(err),
                    }
                }
            }
            self.applied = e.index;
            out.applied.push(applied);
        }
    }
}

/// A node's lifecycle as an explicit state machine.
#[derive(Clone)]
pub enum NodeState<SM: StateMachine> {
    /// Running.
    Running(Box<Live<SM>>),
    /// Frozen with everything in memory; inbound work waits.
    Paused(Box<Live<SM>>, VecDeque<Inbound>),
    /// Crashed: only the durable storage survives.
    Crashed(Box<DurableStorage>),
}

impl<SM: StateMachine> NodeState<SM> {
    /// Status of this state.
    pub fn status(&self) -> NodeStatus {
        match self {
            NodeState::Running(_) => NodeStatus::Up,
            NodeState::Paused(..) => NodeStatus::Paused,
            NodeState::Crashed(_) => NodeStatus::Crashed,
        }
    }

    /// The live node, running or paused.
    pub fn live(&self) -> Option<&Live<SM>> {
        match self {
            NodeState::Running(l) | NodeState::Paused(l, _) => Some(l),
            NodeState::Crashed(_) => None,
        }
    }

    /// The live node if running.
    pub fn running_mut(&mut self) -> Option<&mut Live<SM>> {
        match self {
            NodeState::Running(l) => Some(l),
            _ => None,
        }
    }

    /// The durable storage, whatever the state.
    pub fn storage(&self) -> &DurableStorage {
        match self {
            NodeState::Running(l) | NodeState::Paused(l, _) => l.store(),
            NodeState::Crashed(s) => s,
        }
    }
}
