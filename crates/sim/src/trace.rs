//! The trace: every observable step of a run as an event with its virtual time.
//!
//! Memory is bounded (a ring of the latest events); the running hash covers every event ever
//! recorded, so two runs agree on the hash only if they agreed on every event.

use std::hash::{Hash, Hasher};

use serde::Serialize;

use std::sync::Arc;

use crate::trace_pack::PackedEvents;
use crate::window::Window;

/// A node's Raft role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Role {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asking for pre-votes (no term bump yet).
    PreCandidate,
    /// Asking for votes in a new term.
    Candidate,
    /// Leads the term.
    Leader,
}

impl Role {
    /// Lower-case name, as shown in the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

impl From<raft::StateRole> for Role {
    fn from(r: raft::StateRole) -> Self {
        match r {
            raft::StateRole::Follower => Role::Follower,
            raft::StateRole::PreCandidate => Role::PreCandidate,
            raft::StateRole::Candidate => Role::Candidate,
            raft::StateRole::Leader => Role::Leader,
        }
    }
}

/// The kind of a Raft message, as labelled in the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum MsgKind {
    /// MsgAppend.
    Append,
    /// MsgAppendResponse.
    AppendResp,
    /// MsgHeartbeat.
    Heartbeat,
    /// MsgHeartbeatResponse.
    HeartbeatResp,
    /// MsgRequestVote.
    Vote,
    /// MsgRequestVoteResponse.
    VoteResp,
    /// MsgRequestPreVote.
    PreVote,
    /// MsgRequestPreVoteResponse.
    PreVoteResp,
    /// MsgSnapshot.
    Snapshot,
    /// MsgPropose (forwarded proposal).
    Propose,
    /// MsgReadIndex.
    ReadIndex,
    /// MsgReadIndexResp.
    ReadIndexResp,
    /// MsgTransferLeader.
    TransferLeader,
    /// MsgTimeoutNow.
    TimeoutNow,
    /// Anything else.
    Other,
}

impl MsgKind {
    /// Short label.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgKind::Append => "append",
            MsgKind::AppendResp => "append-resp",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::HeartbeatResp => "heartbeat-resp",
            MsgKind::Vote => "vote",
            MsgKind::VoteResp => "vote-resp",
            MsgKind::PreVote => "pre-vote",
            MsgKind::PreVoteResp => "pre-vote-resp",
            MsgKind::Snapshot => "snapshot",
            MsgKind::Propose => "propose",
            MsgKind::ReadIndex => "read-index",
            MsgKind::ReadIndexResp => "read-index-resp",
            MsgKind::TransferLeader => "transfer-leader",
            MsgKind::TimeoutNow => "timeout-now",
            MsgKind::Other => "other",
        }
    }
}

impl From<raft::eraftpb::MessageType> for MsgKind {
    fn from(t: raft::eraftpb::MessageType) -> Self {
        use raft::eraftpb::MessageType as T;
        match t {
            T::MsgAppend => MsgKind::Append,
            T::MsgAppendResponse => MsgKind::AppendResp,
            T::MsgHeartbeat => MsgKind::Heartbeat,
            T::MsgHeartbeatResponse => MsgKind::HeartbeatResp,
            T::MsgRequestVote => MsgKind::Vote,
            T::MsgRequestVoteResponse => MsgKind::VoteResp,
            T::MsgRequestPreVote => MsgKind::PreVote,
            T::MsgRequestPreVoteResponse => MsgKind::PreVoteResp,
            T::MsgSnapshot => MsgKind::Snapshot,
            T::MsgPropose => MsgKind::Propose,
            T::MsgReadIndex => MsgKind::ReadIndex,
            T::MsgReadIndexResp => MsgKind::ReadIndexResp,
            T::MsgTransferLeader => MsgKind::TransferLeader,
            T::MsgTimeoutNow => MsgKind::TimeoutNow,
            _ => MsgKind::Other,
        }
    }
}

/// The fields of a message that a person looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MsgSummary {
    /// Message kind.
    pub kind: MsgKind,
    /// Sender's term.
    pub term: u64,
    /// Log term (of the entry before `index` for appends; of the last entry for votes).
    pub log_term: u64,
    /// Index field.
    pub index: u64,
    /// Leader commit index carried.
    pub commit: u64,
    /// Number of entries carried.
    pub entries: u32,
    /// Rejection flag of responses.
    pub reject: bool,
    /// Snapshot index for MsgSnapshot.
    pub snapshot_index: u64,
}

impl MsgSummary {
    /// Summarises a raft-rs message.
    pub fn of(m: &raft::eraftpb::Message) -> Self {
        MsgSummary {
            kind: m.get_msg_type().into(),
            term: m.term,
            log_term: m.log_term,
            index: m.index,
            commit: m.commit,
            entries: m.entries.len() as u32,
            reject: m.reject,
            snapshot_index: m.snapshot.as_ref().map_or(0, |s| s.get_metadata().index),
        }
    }
}

/// Why a message was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DropReason {
    /// The link was cut (or partitioned) when it arrived.
    LinkCut,
    /// The link's drop probability.
    Random,
    /// The destination was crashed.
    NodeDown,
    /// A person dropped it from a held link.
    Discarded,
    /// The destination no longer exists.
    UnknownNode,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TraceKind {
    /// A message entered the network.
    Send {
        msg: u64,
        from: u64,
        to: u64,
        summary: MsgSummary,
    },
    /// A message reached its destination.
    Deliver { msg: u64, from: u64, to: u64 },
    /// A message was lost.
    Drop {
        msg: u64,
        from: u64,
        to: u64,
        reason: DropReason,
    },
    /// The network duplicated a message.
    Duplicate { msg: u64, copy: u64 },
    /// A message is waiting on a held link.
    Held { msg: u64, from: u64, to: u64 },
    /// A node's role, term or known leader changed.
    Role {
        node: u64,
        role: Role,
        term: u64,
        leader: u64,
    },
    /// A node persisted entries `first..=last` (the last of term `term`).
    Append {
        node: u64,
        first: u64,
        last: u64,
        term: u64,
    },
    /// A node's commit index advanced.
    Commit { node: u64, index: u64 },
    /// A node applied entries up to `index`.
    Apply { node: u64, index: u64 },
    /// A node took a snapshot at `index` and compacted its log.
    SnapshotTaken { node: u64, index: u64 },
    /// A node installed a snapshot from the leader.
    SnapshotInstalled { node: u64, index: u64 },
    /// A client request entered a node.
    Request { id: u64, node: u64, what: String },
    /// A client request ended.
    Response { id: u64, node: u64, outcome: String },
    /// A fault or user action.
    Fault { what: String },
    /// A Raft safety invariant failed.
    Violation { invariant: String, detail: String },
}

/// One trace event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TraceEvent {
    /// Position in the whole run (0-based).
    pub seq: u64,
    /// Virtual time in ms.
    pub time_ms: u64,
    /// What happened.
    pub kind: TraceKind,
}

/// FNV-1a 64 over a platform-independent encoding: `usize`/`isize` are widened to 64 bits so the
/// same events hash the same on 64-bit native and 32-bit wasm.
///
/// Integers hash their low bytes one by one and their zero high bytes in one multiplication
/// (a zero byte leaves FNV-1a's xor unchanged, so `k` of them multiply the state by the prime
/// to the `k`th power): the same value as byte by byte, with fewer dependent multiplications,
/// since most integers in a trace (times, ids, indexes, discriminants) are small.
#[derive(Clone, Debug)]
pub struct StableHasher(u64);

/// FNV-1a's 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// `FNV_PRIME` to the powers 0 to 8 (wrapping).
const FNV_PRIME_POW: [u64; 9] = {
    let mut pow = [1u64; 9];
    let mut k = 1;
    while k < 9 {
        pow[k] = pow[k - 1].wrapping_mul(FNV_PRIME);
        k += 1;
    }
    pow
};

impl StableHasher {
    /// Hashes the `width` little-endian bytes of `i` (`i` fits in them).
    #[inline]
    fn write_int(&mut self, i: u64, width: usize) {
        let significant = 8 - (i.leading_zeros() / 8) as usize;
        let mut h = self.0;
        for b in &i.to_le_bytes()[..significant] {
            h = (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME);
        }
        self.0 = h.wrapping_mul(FNV_PRIME_POW[width - significant]);
    }
}

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.write_int(u64::from(i), 2);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_int(u64::from(i), 4);
    }
    fn write_u64(&mut self, i: u64) {
        self.write_int(i, 8);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
}

/// The bounded trace with its running hash.
#[derive(Clone, Debug)]
pub struct Trace {
    enabled: bool,
    /// The latest events; a clone of the cluster (a checkpoint) shares them.
    events: Window<TraceEvent>,
    /// The latest events packed instead (a checkpoint's, see [`Trace::pack`]); `events` is
    /// empty meanwhile.
    packed: Option<Arc<PackedEvents>>,
    total: u64,
    hasher: StableHasher,
}

impl Trace {
    /// A trace keeping at most `capacity` events; `enabled = false` records and hashes nothing.
    pub fn new(enabled: bool, capacity: usize) -> Self {
        Trace {
            enabled,
            events: Window::new(capacity),
            packed: None,
            total: 0,
            hasher: StableHasher::default(),
        }
    }

    /// Whether events are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records an event at `time_ms`.
    #[inline]
    pub fn record(&mut self, time_ms: u64, kind: TraceKind) {
        // The check inline, the recording not: a trace that is off costs one branch per call.
        if self.enabled {
            self.record_event(time_ms, kind);
        }
    }

    #[inline(never)]
    fn record_event(&mut self, time_ms: u64, kind: TraceKind) {
        debug_assert!(self.packed.is_none(), "a packed trace records nothing");
        let ev = TraceEvent {
            seq: self.total,
            time_ms,
            kind,
        };
        ev.hash(&mut self.hasher);
        self.total += 1;
        self.events.push(ev);
    }

    /// Packs the events kept into bytes (about a tenth of their size, see
    /// [`crate::trace_pack`]), for a checkpoint that keeps them while the run goes on: until
    /// [`Trace::unpack`], the trace holds no events in memory and must record none.
    pub fn pack(&mut self) {
        if self.packed.is_none() {
            let packed = PackedEvents::pack(self.events.iter());
            self.events = Window::new(self.events.capacity());
            self.packed = Some(Arc::new(packed));
        }
    }

    /// The events kept, back from [`Trace::pack`], as they were.
    pub fn unpack(&mut self) {
        if let Some(packed) = self.packed.take() {
            for e in packed.unpack() {
                self.events.push(e);
            }
        }
    }

    /// Whether the events kept are packed (see [`Trace::pack`]).
    pub fn is_packed(&self) -> bool {
        self.packed.is_some()
    }

    /// Hash of every event recorded so far.
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// The hash as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash())
    }

    /// Events recorded in the whole run.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The events still in memory, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &TraceEvent> + ExactSizeIterator {
        self.events.iter()
    }

    /// Events with `seq >= from` still in memory.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &TraceEvent> {
        self.events.iter().filter(move |e| e.seq >= from)
    }

    /// The last `n` events.
    pub fn last(&self, n: usize) -> Vec<TraceEvent> {
        let skip = self.events.len().saturating_sub(n);
        self.events.iter().skip(skip).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_but_hash_covers_all() {
        let mut a = Trace::new(true, 3);
        let mut b = Trace::new(true, 100);
        for i in 0..10 {
            a.record(i, TraceKind::Commit { node: 1, index: i });
            b.record(i, TraceKind::Commit { node: 1, index: i });
        }
        assert_eq!(a.events().len(), 3);
        assert_eq!(a.total(), 10);
        assert_eq!(a.hash(), b.hash());
        b.record(11, TraceKind::Commit { node: 1, index: 11 });
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn a_packed_trace_unpacks_to_the_same_window() {
        let mut a = Trace::new(true, 5);
        for i in 0..8 {
            a.record(i, TraceKind::Commit { node: 1, index: i });
        }
        let mut b = a.clone();
        b.pack();
        assert!(b.is_packed());
        assert_eq!((b.events().len(), b.total(), b.hash()), (0, 8, a.hash()));
        b.unpack();
        assert!(!b.is_packed());
        a.record(9, TraceKind::Commit { node: 2, index: 9 });
        b.record(9, TraceKind::Commit { node: 2, index: 9 });
        assert!(a.events().eq(b.events()));
        assert_eq!((b.events().len(), b.hash()), (5, a.hash()));
    }

    #[test]
    fn order_matters() {
        let mut a = Trace::new(true, 10);
        let mut b = Trace::new(true, 10);
        a.record(1, TraceKind::Commit { node: 1, index: 1 });
        a.record(1, TraceKind::Commit { node: 2, index: 1 });
        b.record(1, TraceKind::Commit { node: 2, index: 1 });
        b.record(1, TraceKind::Commit { node: 1, index: 1 });
        assert_ne!(a.hash(), b.hash());
    }

    /// Integers hash exactly as their little-endian bytes do.
    #[test]
    fn integers_hash_as_their_bytes() {
        let mut x = 11u64;
        for shift in 0..=64u32 {
            for _ in 0..50 {
                x = crate::rng::mix64(x);
                let v = x.checked_shr(shift).unwrap_or(0);
                let (mut fast, mut slow) = (StableHasher(x), StableHasher(x));
                fast.write_u64(v);
                slow.write(&v.to_le_bytes());
                assert_eq!(fast.finish(), slow.finish(), "u64 {v}");
                fast.write_u32(v as u32);
                slow.write(&(v as u32).to_le_bytes());
                assert_eq!(fast.finish(), slow.finish(), "u32 {v}");
                fast.write_u16(v as u16);
                slow.write(&(v as u16).to_le_bytes());
                assert_eq!(fast.finish(), slow.finish(), "u16 {v}");
            }
        }
    }

    #[test]
    fn stable_hasher_known_value() {
        // FNV-1a 64 of "a" is a published test vector.
        let mut h = StableHasher::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
    }
}
