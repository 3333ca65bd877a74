//! Why a message was sent, and what its receiver did with it and why.

use super::replay::{caused_by, request_before, response_to, MsgRecord, NodeModel, Replay};
use super::votes::{vote_outcome, vote_response};
use super::{ids, note_partial, secs, Case, Params, Source, Why};
use crate::trace::{DropReason, MsgKind, TraceEvent, TraceKind};

/// Explains message `msg` (its network id, as in the trace's `Send` events).
pub fn message(events: &[TraceEvent], p: &Params, msg: u64) -> Why {
    let all = Replay::until(events, u64::MAX);
    let Some(rec) = all.msgs.get(&msg) else {
        return note_partial(
            Why::new(
                Case::Unknown,
                format!("Message {msg} is not in the kept trace."),
            ),
            events,
        );
    };
    let why = match rec.summary.kind {
        MsgKind::Vote | MsgKind::PreVote => vote_outcome(events, p, rec),
        MsgKind::VoteResp | MsgKind::PreVoteResp => vote_response(events, p, &all, rec),
        MsgKind::Append => append(events, &all, rec),
        MsgKind::AppendResp => append_response(events, p, &all, rec),
        MsgKind::Heartbeat | MsgKind::HeartbeatResp => heartbeat(events, p, rec),
        MsgKind::Snapshot => snapshot(events, rec),
        MsgKind::ReadIndex | MsgKind::ReadIndexResp => read_index(&all, rec),
        MsgKind::Propose => Why::new(
            Case::Forwarded,
            format!(
                "Node {} forwards a client's proposal to node {}, the leader it knows: only the \
                 leader appends new entries to the log.",
                rec.from, rec.to
            ),
        )
        .source(Source::Paper("5.3")),
        MsgKind::TimeoutNow | MsgKind::TransferLeader => Why::new(
            Case::Transfer,
            format!(
                "Leader {} hands leadership to node {}: once node {}'s log is up to date the \
                 leader tells it to start an election at once, without waiting for its election \
                 timeout and past the check-quorum lease.",
                rec.from, rec.to, rec.to
            ),
        )
        .source(Source::Thesis("3.10")),
        MsgKind::Other => Why::new(
            Case::Unknown,
            format!(
                "Node {} sent node {} an internal message.",
                rec.from, rec.to
            ),
        ),
    };
    note_partial(with_fate(why, rec), events)
}

/// Adds what became of a message that was not delivered.
fn with_fate(why: Why, rec: &MsgRecord) -> Why {
    match (rec.delivered, rec.dropped) {
        (_, Some((t, reason))) => {
            let how = match reason {
                DropReason::LinkCut => "the link was cut",
                DropReason::Random => "the link's drop rate lost it",
                DropReason::NodeDown => "its receiver was crashed",
                DropReason::Discarded => "a person dropped it from a held link",
                DropReason::UnknownNode => "its receiver no longer exists",
            };
            why.detail(format!("It never arrived: at {} {how}.", secs(t)))
        }
        (None, None) if rec.held => why.detail("It is waiting on a held link."),
        (None, None) => why.detail("It is still in flight."),
        _ => why,
    }
}

fn append(events: &[TraceEvent], all: &Replay, rec: &MsgRecord) -> Why {
    let (l, f, s) = (rec.from, rec.to, &rec.summary);
    let sent = if s.entries == 1 {
        format!(
            "Leader {l} (term {}) sends node {f} entry {}, with the index and term of the entry \
             just before it (index {}, term {}) so node {f} can check that its log matches up to \
             there (§5.3).",
            s.term,
            s.index + 1,
            s.index,
            s.log_term
        )
    } else if s.entries > 1 {
        format!(
            "Leader {l} (term {}) sends node {f} entries {} to {}, with the index and term of \
             the entry just before them (index {}, term {}) so node {f} can check that its log \
             matches up to there (§5.3).",
            s.term,
            s.index + 1,
            s.index + u64::from(s.entries),
            s.index,
            s.log_term
        )
    } else {
        format!(
            "Leader {l} (term {}) sends node {f} an empty append after index {} (term {}), \
             carrying its commit index {}: it probes where node {f}'s log matches its own, or \
             tells node {f} what is committed (§5.3).",
            s.term, s.index, s.log_term, s.commit
        )
    };
    let Some((_, seq)) = rec.delivered else {
        return Why::new(Case::AppendAccepted, sent).source(Source::Paper("5.3"));
    };
    match response_to(events, all, seq, f, l, MsgKind::AppendResp) {
        Some(resp) => {
            let mut why = append_verdict(events, all, rec, resp, String::new());
            why.details.retain(|d| !d.is_empty());
            why.details
                .insert(0, std::mem::replace(&mut why.headline, sent));
            why
        }
        None => Why::new(Case::Unknown, sent)
            .detail(format!(
                "Node {f} did not answer it (it may be in a later term)."
            ))
            .source(Source::Paper("5.3")),
    }
}

/// The follower's verdict on append `req` (answered by `resp`) and the leader's next move.
fn append_verdict(
    events: &[TraceEvent],
    all: &Replay,
    req: &MsgRecord,
    resp: &MsgRecord,
    lead: String,
) -> Why {
    let (l, f, s) = (req.from, req.to, &req.summary);
    let seq = req.delivered.map_or(0, |(_, s)| s);
    let before = Replay::until(events, seq);
    let follower = before.get(f);
    if resp.summary.term > s.term {
        return Why::new(
            Case::HigherTerm,
            format!(
                "Node {f} refused leader {l}'s append: node {f} is in term {}, later than the \
                 leader's term {}; the answer tells leader {l} to step down (§5.1).",
                resp.summary.term, s.term
            ),
        )
        .detail(lead)
        .source(Source::Paper("5.1"));
    }
    if !resp.summary.reject {
        let mut why = Why::new(
            Case::AppendAccepted,
            format!(
                "Node {f} accepted leader {l}'s append: its log holds index {} with term {}, so \
                 by log matching everything up to there agrees with the leader's log; it now \
                 matches the leader up to index {}.",
                s.index, s.log_term, resp.summary.index
            ),
        )
        .detail(lead)
        .source(Source::Paper("5.3"));
        if let Some(fm) = follower {
            if s.index < fm.commit {
                why = why.detail(format!(
                    "Node {f} had already committed up to {}, so it only reported that.",
                    fm.commit
                ));
            }
        }
        return why;
    }
    let why_not = match follower {
        Some(fm) => match fm.log.term_of(s.index) {
            None if fm.log.last_index() < s.index => {
                format!(
                    "node {f}'s log ends at index {}, before index {}",
                    fm.log.last_index(),
                    s.index
                )
            }
            Some(t) if t != s.log_term => format!(
                "node {f}'s entry at index {} has term {t}, not {}",
                s.index, s.log_term
            ),
            _ => format!(
                "node {f}'s log does not hold index {} with term {}",
                s.index, s.log_term
            ),
        },
        None => format!(
            "node {f}'s log does not hold index {} with term {}",
            s.index, s.log_term
        ),
    };
    let mut why = Why::new(
        Case::AppendRejected,
        format!("Node {f} rejected leader {l}'s append: {why_not}."),
    )
    .detail(lead)
    .detail(
        "A follower accepts entries only if its log holds the entry just before them with the \
         same term (log matching, §5.3); otherwise it refuses, with a hint of where its log \
         could match.",
    )
    .source(Source::Paper("5.3"));
    // The leader's next move: its next append (or snapshot) to the follower.
    if let Some((_, dseq)) = resp.delivered {
        let next = all
            .msgs
            .values()
            .filter(|m| m.from == l && m.to == f && m.sent.1 > dseq)
            .filter(|m| matches!(m.summary.kind, MsgKind::Append | MsgKind::Snapshot))
            .min_by_key(|m| m.sent.1);
        match next {
            Some(n) if n.summary.kind == MsgKind::Snapshot => {
                why = why.detail(format!(
                    "The leader backed off below the start of its own log and sent a snapshot \
                     (index {}) at {}.",
                    n.summary.snapshot_index,
                    secs(n.sent.0)
                ));
            }
            Some(n) => {
                why = why
                    .detail(format!(
                        "The leader backed off: its next append to node {f}, at {}, starts after \
                         index {} (term {}) instead of after index {} (next index {} instead of \
                         {}).",
                        secs(n.sent.0),
                        n.summary.index,
                        n.summary.log_term,
                        s.index,
                        n.summary.index + 1,
                        s.index + 1
                    ))
                    .source(Source::RaftRs("handle_append_response (reject hint)"));
            }
            None => {}
        }
    }
    why
}

fn append_response(events: &[TraceEvent], p: &Params, all: &Replay, rec: &MsgRecord) -> Why {
    let kinds = [MsgKind::Append, MsgKind::Snapshot];
    let Some(req) = request_before(all, rec.sent.1, rec.to, rec.from, &kinds) else {
        return Why::new(
            Case::Unknown,
            format!(
                "Node {} answered an append from node {}; the append is no longer in the kept \
                 trace.",
                rec.from, rec.to
            ),
        );
    };
    if req.summary.kind == MsgKind::Snapshot {
        return Why::new(
            Case::SnapshotSent,
            format!(
                "Node {} installed leader {}'s snapshot (up to index {}) and reports that its log \
                 now matches the leader's up to index {}; the leader goes on from there with \
                 entries (§7).",
                rec.from, rec.to, req.summary.snapshot_index, rec.summary.index
            ),
        )
        .source(Source::Paper("7"));
    }
    let mut why = append_verdict(events, all, &req, rec, String::new());
    why.details.retain(|d| !d.is_empty());
    if let Some((_, seq)) = rec.delivered {
        let commit = caused_by(events, seq).find_map(|e| match e.kind {
            TraceKind::Commit { node, index } if node == rec.to => Some(index),
            _ => None,
        });
        if let Some(index) = commit {
            let leader = Replay::until(events, seq + 1);
            if let Some(lm) = leader.get(rec.to) {
                why = why.detail(commit_sentence(rec.to, lm, index, seq, p));
                why.case = Case::CommitAdvanced;
                why = why.source(Source::Paper("5.4.2"));
            }
        }
    }
    why
}

/// "Leader 1's commit index advanced to 7: ..." from the leader's match indexes.
///
/// `seq` is the trace event of the commit (the leader counts the majority of its configuration
/// then).
pub(super) fn commit_sentence(
    leader: u64,
    lm: &NodeModel,
    index: u64,
    seq: u64,
    p: &Params,
) -> String {
    let mut holders: Vec<u64> = lm
        .matched
        .iter()
        .filter(|(_, m)| **m >= index)
        .map(|(id, _)| *id)
        .collect();
    holders.push(leader);
    holders.sort();
    holders.dedup();
    let matches: Vec<String> = lm
        .matched
        .iter()
        .map(|(id, m)| format!("node {id} at {m}"))
        .collect();
    format!(
        "Leader {leader}'s commit index advanced to {index}: nodes {} hold the log up to index \
         {index}, a majority ({} of {} voters); the leader's match indexes: {}, and its own log \
         ends at {}. A leader commits an index once a majority's match index reaches it and the \
         entry there is from its own term, which commits every entry before it too (§5.3, \
         §5.4.2).",
        ids(&holders),
        p.majority_at(leader, seq),
        p.voters_at(leader, seq),
        if matches.is_empty() {
            "none".to_string()
        } else {
            matches.join(", ")
        },
        lm.log.last_index()
    )
}

fn heartbeat(events: &[TraceEvent], p: &Params, rec: &MsgRecord) -> Why {
    let (a, b, s) = (rec.from, rec.to, &rec.summary);
    if s.kind == MsgKind::HeartbeatResp {
        return Why::new(
            Case::Heartbeat,
            format!(
                "Node {a} answers leader {b}'s heartbeat in term {}.",
                s.term
            ),
        )
        .detail(
            "The leader counts these answers: with check-quorum it steps down if fewer than a \
             majority answered within an election timeout, and a ReadIndex read waits for a \
             majority of answers to prove the leader still leads (§6.4).",
        )
        .source(Source::Paper("6.4"))
        .source(Source::RaftRs("check_quorum"));
    }
    let mut why = Why::new(
        Case::Heartbeat,
        format!(
            "Leader {a} (term {}) sends node {b} a heartbeat: leaders send one every {} tick(s) \
             ({} ms), so followers know the leader is alive and their election timers do not \
             run out (§5.2).",
            s.term,
            p.heartbeat_tick,
            p.heartbeat_tick as u64 * p.tick_ms
        ),
    )
    .detail(format!(
        "It carries commit index {}: the leader's commit index, capped at what node {b} is known \
         to hold.",
        s.commit
    ))
    .source(Source::Paper("5.2"));
    let read_now = events.iter().any(|e| {
        e.time_ms == rec.sent.0
            && match &e.kind {
                TraceKind::Request { node, what, .. } => *node == a && what.starts_with("read"),
                TraceKind::Deliver { to, msg, .. } => {
                    *to == a
                        && Replay::until(events, e.seq + 1)
                            .msgs
                            .get(msg)
                            .is_some_and(|m| m.summary.kind == MsgKind::ReadIndex)
                }
                _ => false,
            }
    });
    if read_now {
        why = why
            .detail(
                "This round also confirms that the leader still leads, for a linearizable read \
                 waiting on ReadIndex (§6.4).",
            )
            .source(Source::Paper("6.4"));
    }
    why
}

fn snapshot(events: &[TraceEvent], rec: &MsgRecord) -> Why {
    let (l, f, s) = (rec.from, rec.to, &rec.summary);
    let before = Replay::until(events, rec.sent.1);
    let first = before.get(l).map_or(0, |m| m.log.base + 1);
    let flast = before.get(f).map(|m| m.log.last_index());
    let compacted = events
        .iter()
        .take_while(|e| e.seq < rec.sent.1)
        .filter_map(|e| match e.kind {
            TraceKind::SnapshotTaken { node, index } if node == l => Some((e.time_ms, index)),
            _ => None,
        })
        .last();
    let mut why = Why::new(
        Case::SnapshotSent,
        format!(
            "Leader {l} sends node {f} its snapshot (up to index {}) instead of entries: node \
             {f} needs entries {}, but the leader's log now starts at index {first}.",
            s.snapshot_index,
            flast.map_or("the leader no longer has".to_string(), |i| format!(
                "from index {}",
                i + 1
            ))
        ),
    )
    .detail(
        "Entries a leader has compacted into a snapshot can only be sent as that snapshot; the \
         follower replaces its state with it, then takes the rest of the log as usual (§7).",
    )
    .source(Source::Paper("7"))
    .source(Source::RaftRs(
        "maybe_send_append sends MsgSnapshot when the entries are compacted",
    ));
    if let Some((t, i)) = compacted {
        why = why.detail(format!(
            "Leader {l} compacted its log up to index {i} at {}.",
            secs(t)
        ));
    }
    why
}

fn read_index(all: &Replay, rec: &MsgRecord) -> Why {
    let (a, b, s) = (rec.from, rec.to, &rec.summary);
    let rule = "A linearizable read must not return stale data: the leader notes its commit \
                index, confirms with a round of heartbeats that a majority still follows it, and \
                the read is served once that index is applied (§6.4; raft-rs ReadOnlySafe).";
    if s.kind == MsgKind::ReadIndexResp {
        return Why::new(
            Case::ReadIndex,
            format!(
                "Leader {a} answers node {b}'s ReadIndex request with read index {}: node {b} \
                 serves the read once it has applied index {}.",
                s.index, s.index
            ),
        )
        .detail(rule)
        .source(Source::Paper("6.4"));
    }
    let mut why = Why::new(
        Case::ReadIndex,
        format!(
            "Node {a} asks leader {b} for a read index: a follower cannot answer a linearizable \
             read from its own state, which may be behind."
        ),
    )
    .detail(rule)
    .source(Source::Paper("6.4"))
    .source(Source::RaftRs("ReadOnlySafe"));
    if let Some((_, seq)) = rec.delivered {
        let resp = all
            .msgs
            .values()
            .filter(|m| m.from == b && m.to == a && m.summary.kind == MsgKind::ReadIndexResp)
            .filter(|m| m.sent.1 > seq)
            .min_by_key(|m| m.sent.1);
        if let Some(r) = resp {
            let acks: std::collections::BTreeSet<u64> = all
                .msgs
                .values()
                .filter(|m| m.to == b && m.summary.kind == MsgKind::HeartbeatResp)
                .filter(|m| m.delivered.is_some_and(|(_, d)| d > seq && d < r.sent.1))
                .map(|m| m.from)
                .collect();
            why = why.detail(format!(
                "Leader {b} answered at {} with read index {} after heartbeat answers from \
                 node(s) {}.",
                secs(r.sent.0),
                r.summary.index,
                ids(&acks.into_iter().collect::<Vec<_>>())
            ));
        }
    }
    why
}
