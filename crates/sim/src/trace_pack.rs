//! Trace events packed into bytes, for a checkpoint of a cluster: a checkpoint keeps the
//! events its trace held when it was taken (a view of the past needs them), but the live run
//! soon lets go of them, so a checkpoint holds them alone. Packed, an event takes about a
//! tenth of its 88 bytes: the sequence number and time as the difference from the event before
//! (usually 1 and 0), message ids and log indexes as the signed difference from the last one
//! seen, the rest as variable-length integers; then the bytes are deflated, which takes them to
//! about a third again (about 4 bytes an event).
//!
//! ```
//! use sim::trace_pack::PackedEvents;
//! use sim::{TraceEvent, TraceKind};
//!
//! let events = vec![
//!     TraceEvent { seq: 7, time_ms: 100, kind: TraceKind::Commit { node: 2, index: 40 } },
//!     TraceEvent { seq: 8, time_ms: 103, kind: TraceKind::Fault { what: "crash 2".into() } },
//! ];
//! let packed = PackedEvents::pack(events.iter());
//! assert_eq!(packed.unpack().collect::<Vec<_>>(), events);
//! ```

use crate::trace::{DropReason, MsgKind, MsgSummary, Role, TraceEvent, TraceKind};

/// Deflate's level for the packed bytes: its fastest, which takes them to about a third (2 ms
/// for 20,000 events natively; level 6 takes them to a quarter in 10 ms).
const DEFLATE_LEVEL: u8 = 1;

/// Events in packed form (see the module's documentation).
#[derive(Clone, Debug, Default)]
pub struct PackedEvents {
    bytes: Vec<u8>,
    len: usize,
}

/// The running values that fields are coded against.
#[derive(Default)]
struct Base {
    seq: u64,
    time: u64,
    msg: u64,
    index: u64,
}

impl PackedEvents {
    /// Packs `events`, in order.
    pub fn pack<'a>(events: impl Iterator<Item = &'a TraceEvent>) -> Self {
        let mut w = Writer {
            out: Vec::new(),
            base: Base::default(),
        };
        let mut len = 0;
        for e in events {
            w.event(e);
            len += 1;
        }
        let mut bytes = miniz_oxide::deflate::compress_to_vec(&w.out, DEFLATE_LEVEL);
        bytes.shrink_to_fit();
        PackedEvents { bytes, len }
    }

    /// The events, in the order packed.
    pub fn unpack(&self) -> impl Iterator<Item = TraceEvent> {
        // The bytes are this module's own deflate output, never outside input.
        let raw = miniz_oxide::inflate::decompress_to_vec(&self.bytes)
            .expect("packed trace events inflate");
        let mut r = Reader {
            bytes: &raw,
            at: 0,
            base: Base::default(),
        };
        let events: Vec<TraceEvent> = (0..self.len).map(|_| r.event()).collect();
        events.into_iter()
    }

    /// Events packed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is packed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the packed events take.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

const MSG_KINDS: [MsgKind; 15] = [
    MsgKind::Append,
    MsgKind::AppendResp,
    MsgKind::Heartbeat,
    MsgKind::HeartbeatResp,
    MsgKind::Vote,
    MsgKind::VoteResp,
    MsgKind::PreVote,
    MsgKind::PreVoteResp,
    MsgKind::Snapshot,
    MsgKind::Propose,
    MsgKind::ReadIndex,
    MsgKind::ReadIndexResp,
    MsgKind::TransferLeader,
    MsgKind::TimeoutNow,
    MsgKind::Other,
];

const ROLES: [Role; 4] = [
    Role::Follower,
    Role::PreCandidate,
    Role::Candidate,
    Role::Leader,
];

const REASONS: [DropReason; 5] = [
    DropReason::LinkCut,
    DropReason::Random,
    DropReason::NodeDown,
    DropReason::Discarded,
    DropReason::UnknownNode,
];

fn number_of<T: PartialEq>(all: &[T], v: &T) -> u64 {
    all.iter().position(|x| x == v).unwrap_or(0) as u64
}

struct Writer {
    out: Vec<u8>,
    base: Base,
}

impl Writer {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn msg(&mut self, m: u64) {
        self.uint(zigzag(m.wrapping_sub(self.base.msg) as i64));
        self.base.msg = m;
    }

    fn index(&mut self, i: u64) {
        self.uint(zigzag(i.wrapping_sub(self.base.index) as i64));
        self.base.index = i;
    }

    fn text(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    fn event(&mut self, e: &TraceEvent) {
        let tag: u8 = match &e.kind {
            TraceKind::Send { .. } => 0,
            TraceKind::Deliver { .. } => 1,
            TraceKind::Drop { .. } => 2,
            TraceKind::Duplicate { .. } => 3,
            TraceKind::Held { .. } => 4,
            TraceKind::Role { .. } => 5,
            TraceKind::Append { .. } => 6,
            TraceKind::Commit { .. } => 7,
            TraceKind::Apply { .. } => 8,
            TraceKind::SnapshotTaken { .. } => 9,
            TraceKind::SnapshotInstalled { .. } => 10,
            TraceKind::Request { .. } => 11,
            TraceKind::Response { .. } => 12,
            TraceKind::Fault { .. } => 13,
            TraceKind::Violation { .. } => 14,
        };
        self.out.push(tag);
        self.uint(e.seq.wrapping_sub(self.base.seq));
        self.base.seq = e.seq;
        self.uint(e.time_ms.wrapping_sub(self.base.time));
        self.base.time = e.time_ms;
        match &e.kind {
            TraceKind::Send {
                msg,
                from,
                to,
                summary,
            } => {
                self.msg(*msg);
                self.uint(*from);
                self.uint(*to);
                self.uint(number_of(&MSG_KINDS, &summary.kind));
                self.uint(summary.term);
                self.uint(summary.log_term);
                self.index(summary.index);
                self.index(summary.commit);
                self.uint(u64::from(summary.entries));
                self.uint(u64::from(summary.reject));
                self.index(summary.snapshot_index);
            }
            TraceKind::Deliver { msg, from, to } | TraceKind::Held { msg, from, to } => {
                self.msg(*msg);
                self.uint(*from);
                self.uint(*to);
            }
            TraceKind::Drop {
                msg,
                from,
                to,
                reason,
            } => {
                self.msg(*msg);
                self.uint(*from);
                self.uint(*to);
                self.uint(number_of(&REASONS, reason));
            }
            TraceKind::Duplicate { msg, copy } => {
                self.msg(*msg);
                self.msg(*copy);
            }
            TraceKind::Role {
                node,
                role,
                term,
                leader,
            } => {
                self.uint(*node);
                self.uint(number_of(&ROLES, role));
                self.uint(*term);
                self.uint(*leader);
            }
            TraceKind::Append {
                node,
                first,
                last,
                term,
            } => {
                self.uint(*node);
                self.index(*first);
                self.index(*last);
                self.uint(*term);
            }
            TraceKind::Commit { node, index }
            | TraceKind::Apply { node, index }
            | TraceKind::SnapshotTaken { node, index }
            | TraceKind::SnapshotInstalled { node, index } => {
                self.uint(*node);
                self.index(*index);
            }
            TraceKind::Request { id, node, what } => {
                self.uint(*id);
                self.uint(*node);
                self.text(what);
            }
            TraceKind::Response { id, node, outcome } => {
                self.uint(*id);
                self.uint(*node);
                self.text(outcome);
            }
            TraceKind::Fault { what } => self.text(what),
            TraceKind::Violation { invariant, detail } => {
                self.text(invariant);
                self.text(detail);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    base: Base,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes[self.at];
        self.at += 1;
        b
    }

    fn uint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    fn small(&mut self) -> usize {
        self.uint() as usize
    }

    fn msg(&mut self) -> u64 {
        self.base.msg = self.base.msg.wrapping_add(unzigzag(self.uint()) as u64);
        self.base.msg
    }

    fn index(&mut self) -> u64 {
        self.base.index = self.base.index.wrapping_add(unzigzag(self.uint()) as u64);
        self.base.index
    }

    fn text(&mut self) -> String {
        let n = self.small();
        let s = String::from_utf8_lossy(&self.bytes[self.at..self.at + n]).into_owned();
        self.at += n;
        s
    }

    fn event(&mut self) -> TraceEvent {
        let tag = self.byte();
        self.base.seq = self.base.seq.wrapping_add(self.uint());
        self.base.time = self.base.time.wrapping_add(self.uint());
        let kind = match tag {
            0 => TraceKind::Send {
                msg: self.msg(),
                from: self.uint(),
                to: self.uint(),
                summary: MsgSummary {
                    kind: MSG_KINDS[self.small()],
                    term: self.uint(),
                    log_term: self.uint(),
                    index: self.index(),
                    commit: self.index(),
                    entries: self.uint() as u32,
                    reject: self.uint() != 0,
                    snapshot_index: self.index(),
                },
            },
            1 => TraceKind::Deliver {
                msg: self.msg(),
                from: self.uint(),
                to: self.uint(),
            },
            2 => TraceKind::Drop {
                msg: self.msg(),
                from: self.uint(),
                to: self.uint(),
                reason: REASONS[self.small()],
            },
            3 => TraceKind::Duplicate {
                msg: self.msg(),
                copy: self.msg(),
            },
            4 => TraceKind::Held {
                msg: self.msg(),
                from: self.uint(),
                to: self.uint(),
            },
            5 => TraceKind::Role {
                node: self.uint(),
                role: ROLES[self.small()],
                term: self.uint(),
                leader: self.uint(),
            },
            6 => TraceKind::Append {
                node: self.uint(),
                first: self.index(),
                last: self.index(),
                term: self.uint(),
            },
            7 => TraceKind::Commit {
                node: self.uint(),
                index: self.index(),
            },
            8 => TraceKind::Apply {
                node: self.uint(),
                index: self.index(),
            },
            9 => TraceKind::SnapshotTaken {
                node: self.uint(),
                index: self.index(),
            },
            10 => TraceKind::SnapshotInstalled {
                node: self.uint(),
                index: self.index(),
            },
            11 => TraceKind::Request {
                id: self.uint(),
                node: self.uint(),
                what: self.text(),
            },
            12 => TraceKind::Response {
                id: self.uint(),
                node: self.uint(),
                outcome: self.text(),
            },
            13 => TraceKind::Fault { what: self.text() },
            _ => TraceKind::Violation {
                invariant: self.text(),
                detail: self.text(),
            },
        };
        TraceEvent {
            seq: self.base.seq,
            time_ms: self.base.time,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<TraceKind> {
        let summary = |kind, i: u64| MsgSummary {
            kind,
            term: 3 + i,
            log_term: 2,
            index: 1_000_000 + i,
            commit: 999_990,
            entries: 7,
            reject: i % 2 == 1,
            snapshot_index: i * 5,
        };
        let mut kinds: Vec<TraceKind> = MSG_KINDS
            .iter()
            .enumerate()
            .map(|(i, k)| TraceKind::Send {
                msg: 40 + i as u64,
                from: 1,
                to: 9,
                summary: summary(*k, i as u64),
            })
            .collect();
        kinds.extend(REASONS.iter().map(|r| TraceKind::Drop {
            msg: 3,
            from: 2,
            to: 1,
            reason: *r,
        }));
        kinds.extend(ROLES.iter().map(|r| TraceKind::Role {
            node: 4,
            role: *r,
            term: 12,
            leader: 5,
        }));
        kinds.extend([
            TraceKind::Deliver {
                msg: 41,
                from: 1,
                to: 9,
            },
            TraceKind::Duplicate { msg: 41, copy: 77 },
            TraceKind::Held {
                msg: u64::MAX,
                from: 3,
                to: 4,
            },
            TraceKind::Append {
                node: 2,
                first: 5,
                last: 9,
                term: 2,
            },
            TraceKind::Commit { node: 2, index: 9 },
            TraceKind::Apply { node: 2, index: 0 },
            TraceKind::SnapshotTaken {
                node: 1,
                index: u64::MAX,
            },
            TraceKind::SnapshotInstalled { node: 3, index: 4 },
            TraceKind::Request {
                id: 8,
                node: 2,
                what: "put k v".into(),
            },
            TraceKind::Response {
                id: 8,
                node: 2,
                outcome: "ok, é".into(),
            },
            TraceKind::Fault {
                what: String::new(),
            },
            TraceKind::Violation {
                invariant: "log matching".into(),
                detail: "at 3".into(),
            },
        ]);
        kinds
    }

    #[test]
    fn every_kind_comes_back_as_it_was() {
        let events: Vec<TraceEvent> = every_kind()
            .into_iter()
            .enumerate()
            .map(|(i, kind)| TraceEvent {
                seq: 1_000 + i as u64 * (i as u64 % 3),
                time_ms: u64::MAX - 50 + i as u64 / 2,
                kind,
            })
            .collect();
        let packed = PackedEvents::pack(events.iter());
        assert_eq!(packed.len(), events.len());
        assert_eq!(packed.unpack().collect::<Vec<_>>(), events);
    }

    #[test]
    fn a_run_packs_small_and_comes_back() {
        let mut c: crate::Cluster<crate::DigestMachine> =
            crate::Cluster::new(crate::ClusterConfig::new(5, 7)).unwrap();
        c.run_for(3_000).unwrap();
        for i in 0..50u8 {
            let leader = c.leader().unwrap_or(1);
            c.propose(leader, vec![i; 20]);
            c.run_for(40).unwrap();
        }
        let events: Vec<TraceEvent> = c.trace().events().cloned().collect();
        let packed = PackedEvents::pack(events.iter());
        assert!(events.len() > 1_000);
        assert!(packed.bytes() < events.len() * 16, "{}", packed.bytes());
        assert!(packed.unpack().eq(events.into_iter()));
    }
}
