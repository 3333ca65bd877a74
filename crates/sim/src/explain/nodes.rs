//! Why a node is in its role and term: the election timeout that fired, the election it won, the
//! term it saw, the check-quorum that deposed it.

use std::collections::BTreeSet;

use super::replay::{NodeModel, Replay};
use super::{ids, note_partial, secs, Case, Params, Source, Why};
use crate::trace::{MsgKind, Role, TraceEvent, TraceKind};

/// Explains node `id`'s current role and term (as of the last kept event).
pub fn node(events: &[TraceEvent], p: &Params, id: u64) -> Why {
    let all = Replay::until(events, u64::MAX);
    let Some(n) = all.get(id) else {
        return Why::new(
            Case::Unknown,
            format!("Node {id} is not in the kept trace."),
        );
    };
    if let Some(why) = down(events, id) {
        return why;
    }
    let why = match n.role {
        Role::Leader => elected(events, p, &all, id, n),
        Role::PreCandidate | Role::Candidate => campaign(events, p, id, n.role_since.1),
        Role::Follower => follower(events, p, &all, id, n),
    };
    note_partial(why, events)
}

/// Crashed or paused by the last fault naming the node.
fn down(events: &[TraceEvent], id: u64) -> Option<Why> {
    let last = events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Fault { what } => {
            let mut w = what.split_whitespace();
            let verb = w.next()?;
            let arg: u64 = w.next()?.parse().ok()?;
            (arg == id && ["crash", "restart", "pause", "resume"].contains(&verb))
                .then(|| (verb.to_string(), e.time_ms))
        }
        _ => None,
    })?;
    let (verb, t) = last;
    let state = match verb.as_str() {
        "crash" => "crashed: it keeps only its durable state (term, vote, log) until restarted",
        "pause" => "paused: frozen with nothing lost; messages to it wait",
        _ => return None,
    };
    Some(Why::new(
        Case::Down,
        format!("Node {id} is {state} (`{verb} {id}` at {}).", secs(t)),
    ))
}

/// The events strictly before `seq` at the same instant.
fn same_instant_before(events: &[TraceEvent], seq: u64) -> impl Iterator<Item = &TraceEvent> {
    let end = events.partition_point(|e| e.seq < seq);
    let time = events.get(end).map_or(0, |e| e.time_ms);
    events[..end]
        .iter()
        .rev()
        .take_while(move |e| e.time_ms == time)
}

/// Why a node started the campaign whose role event is numbered `seq`.
pub(super) fn campaign(events: &[TraceEvent], p: &Params, id: u64, seq: u64) -> Why {
    let before = Replay::until(events, seq);
    let after = Replay::until(events, seq + 1);
    let (b, a) = (&before.model(id), &after.model(id));
    let at = after.now;
    let asked = match a.role {
        Role::PreCandidate => format!(
            "So it became a pre-candidate: it asks the others whether they would vote for it in \
             term {}, without raising its own term yet (pre-vote).",
            a.term + 1
        ),
        _ => format!(
            "So it became a candidate in term {}, voted for itself and asked the others for \
             their votes.",
            a.term
        ),
    };
    for e in same_instant_before(events, seq) {
        match &e.kind {
            TraceKind::Fault { what } if what == &format!("campaign {id}") => {
                return Why::new(
                    Case::Campaign,
                    format!(
                        "Node {id} started an election at {} because it was asked to (`{what}`).",
                        secs(at)
                    ),
                )
                .detail(asked);
            }
            TraceKind::Deliver { msg, to, from } if *to == id => {
                if before
                    .msgs
                    .get(msg)
                    .is_some_and(|m| m.summary.kind == MsgKind::TimeoutNow)
                {
                    return Why::new(
                        Case::Transfer,
                        format!(
                            "Node {id} started an election at {} because leader {from} handed \
                             leadership to it (MsgTimeoutNow).",
                            secs(at)
                        ),
                    )
                    .detail(asked)
                    .source(Source::Thesis("3.10"));
                }
                if b.role == Role::PreCandidate && a.role == Role::Candidate {
                    let grants = grants(&before, id, MsgKind::PreVoteResp, a.term);
                    return Why::new(
                        Case::PreVoteWon,
                        format!(
                            "Node {id} won its pre-vote at {}: node(s) {} said they would vote \
                             for it, which with its own makes a majority ({} of {}).",
                            secs(at),
                            ids(&grants),
                            p.majority_at(id, seq),
                            p.voters_at(id, seq)
                        ),
                    )
                    .detail(asked)
                    .source(Source::Thesis("9.6"));
                }
            }
            _ => {}
        }
    }
    timeout(p, id, b, at).detail(asked)
}

/// The election timer running out.
fn timeout(p: &Params, id: u64, b: &NodeModel, at: u64) -> Why {
    let ticks = p.timeout_ticks(id, b.term);
    let since = match b.heard_leader {
        Some((t, l)) if t >= b.timer_reset => format!(
            "it last heard from leader {l} at {}, {} before",
            secs(t),
            secs(at.saturating_sub(t))
        ),
        _ => format!(
            "its timer last restarted at {} (a role change, a vote it granted or a restart), {} \
             before, and no leader has been heard from since",
            secs(b.timer_reset),
            secs(at.saturating_sub(b.timer_reset))
        ),
    };
    Why::new(
        Case::ElectionTimeout,
        format!(
            "Node {id}'s election timeout fired at {}: {since}. Its randomized election timeout \
             in term {} is {ticks} ticks ({} ms), drawn from {} to {} ticks.",
            secs(at),
            b.term,
            ticks as u64 * p.tick_ms,
            p.election_tick,
            2 * p.election_tick - 1
        ),
    )
    .detail(
        "A follower that hears nothing from a leader for its election timeout assumes there is \
         none and starts an election; each node draws its timeout at random so that one usually \
         fires first and wins before the others wake (§5.2).",
    )
    .source(Source::Paper("5.2"))
    .source(Source::RaftRs(
        "randomized_election_timeout in [election_tick, 2 * election_tick)",
    ))
}

/// Nodes whose grants of `kind` for `term` reached `id`.
fn grants(r: &Replay, id: u64, kind: MsgKind, term: u64) -> Vec<u64> {
    let set: BTreeSet<u64> = r
        .msgs
        .values()
        .filter(|m| m.to == id && m.summary.kind == kind && m.summary.term == term)
        .filter(|m| !m.summary.reject && m.delivered.is_some())
        .map(|m| m.from)
        .collect();
    set.into_iter().collect()
}

fn elected(events: &[TraceEvent], p: &Params, all: &Replay, id: u64, n: &NodeModel) -> Why {
    let (at, seq) = n.role_since;
    let before = Replay::until(events, seq);
    let votes = grants(&before, id, MsgKind::VoteResp, n.term);
    let mut why = Why::new(
        Case::Elected,
        format!(
            "Node {id} won the election for term {} at {}: votes from node(s) {} and its own, a \
             majority ({} of {} voters).",
            n.term,
            secs(at),
            ids(&votes),
            p.majority_at(id, seq),
            p.voters_at(id, seq)
        ),
    )
    .detail(
        "A candidate that gets votes from a majority becomes leader; since each node votes once \
         per term, at most one can win a term (election safety, §5.2).",
    )
    .source(Source::Paper("5.2"));
    // The campaign that led here: the last time it became a (pre-)candidate.
    let start = events
        .iter()
        .take_while(|e| e.seq < seq)
        .filter(|e| {
            matches!(e.kind, TraceKind::Role { node, role, .. }
                if node == id && matches!(role, Role::PreCandidate | Role::Candidate))
        })
        .filter(|e| {
            let r = Replay::until(events, e.seq);
            r.get(id)
                .is_none_or(|m| !matches!(m.role, Role::PreCandidate | Role::Candidate))
        })
        .last();
    if let Some(e) = start {
        let c = campaign(events, p, id, e.seq);
        why = why.detail(format!("How it began: {}", c.headline));
    }
    let _ = all;
    why
}

fn follower(events: &[TraceEvent], p: &Params, all: &Replay, id: u64, n: &NodeModel) -> Why {
    let (at, seq) = n.role_since;
    let before = Replay::until(events, seq);
    let leader_now = if n.leader != 0 {
        let heard = n
            .heard_leader
            .map(|(t, _)| format!(", last heard from at {}", secs(t)))
            .unwrap_or_default();
        format!(
            "It follows node {} as leader of term {}{heard}.",
            n.leader, n.term
        )
    } else {
        format!("It knows no leader in term {} yet.", n.term)
    };
    let Some(b) = before.get(id).filter(|_| seq > 0) else {
        return Why::new(
            Case::Following,
            format!("Node {id} is a follower, as every node starts. {leader_now}"),
        );
    };
    if b.role == Role::Leader && b.term == n.term && p.check_quorum {
        // Who answered in the last election timeout before stepping down.
        let from = at.saturating_sub(p.election_ms());
        let heard: BTreeSet<u64> = before
            .msgs
            .values()
            .filter(|m| m.to == id)
            .filter(|m| matches!(m.summary.kind, MsgKind::HeartbeatResp | MsgKind::AppendResp))
            .filter(|m| m.delivered.is_some_and(|(t, _)| t >= from && t <= at))
            .map(|m| m.from)
            .collect();
        return Why::new(
            Case::CheckQuorumStepDown,
            format!(
                "Node {id} stepped down as leader of term {} at {}: in the last election timeout \
                 ({} ms) it heard from node(s) {} besides itself, fewer than a majority ({} of \
                 {}).",
                n.term,
                secs(at),
                p.election_ms(),
                ids(&heard.into_iter().collect::<Vec<_>>()),
                p.majority_at(id, seq),
                p.voters_at(id, seq)
            ),
        )
        .detail(
            "With check-quorum, a leader checks every election timeout that a majority is still \
             in touch; if not, it steps down, so clients stop talking to a leader that cannot \
             commit and the rest of the cluster can elect a new one.",
        )
        .detail(leader_now)
        .source(Source::Thesis("6.2"))
        .source(Source::RaftRs("check_quorum"));
    }
    if n.term > b.term {
        let cause = same_instant_before(events, seq).find_map(|e| match &e.kind {
            TraceKind::Deliver { msg, from, to } if *to == id => before
                .msgs
                .get(msg)
                .filter(|m| m.summary.term > b.term)
                .map(|m| (*from, m.summary.kind)),
            _ => None,
        });
        if let Some((from, kind)) = cause {
            return Why::new(
                Case::HigherTerm,
                format!(
                    "Node {id} became a follower in term {} at {}: a {} message from node {from} \
                     carried term {}, later than its own term {}.",
                    n.term,
                    secs(at),
                    kind.as_str(),
                    n.term,
                    b.term
                ),
            )
            .detail(
                "A node that sees a later term adopts it and becomes a follower: its own term \
                 is out of date (§5.1).",
            )
            .detail(leader_now)
            .source(Source::Paper("5.1"));
        }
    }
    let _ = all;
    Why::new(
        Case::Following,
        format!("Node {id} is a follower since {}. {leader_now}", secs(at)),
    )
    .detail(
        "A follower takes entries from the leader of its term and resets its election timer \
         each time it hears from it (§5.2).",
    )
    .source(Source::Paper("5.2"))
}
