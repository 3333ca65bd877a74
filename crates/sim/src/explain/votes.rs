//! Votes and pre-votes: what a voter did with a request, and why, from its rebuilt state.

use super::replay::{request_before, response_to, MsgRecord, NodeModel, Replay};
use super::{ids, secs, Case, Params, Refusal, Source, Why};
use crate::trace::{MsgKind, Role, TraceEvent};

/// What a voter would do with a (pre-)vote request, from its rebuilt state.
enum Decision {
    Grant,
    Refuse(Refusal),
    Ignore(Refusal),
}

/// Whether `req` asks for votes in an election that a leadership transfer started (raft-rs
/// marks such requests, and voters skip the check-quorum lease for them).
fn transfer_campaign(r: &Replay, req: &MsgRecord) -> bool {
    req.summary.kind == MsgKind::Vote
        && r.msgs.values().any(|m| {
            m.summary.kind == MsgKind::TimeoutNow
                && m.to == req.from
                && m.summary.term + 1 == req.summary.term
                && m.delivered.is_some_and(|(_, s)| s < req.sent.1)
        })
}

fn decide(
    voter: &NodeModel,
    id: u64,
    req: &MsgRecord,
    p: &Params,
    at: u64,
    force: bool,
) -> Decision {
    let s = &req.summary;
    let pre = s.kind == MsgKind::PreVote;
    let mut voted = voter.votes.get(&s.term).copied();
    let mut leader = voter.leader;
    if s.term > voter.term {
        if p.check_quorum && voter.leader != 0 && !force {
            let leads = voter.role == Role::Leader;
            let reset = voter
                .heard_leader
                .map_or(voter.timer_reset, |(t, _)| t.max(voter.timer_reset));
            if leads || at.saturating_sub(reset) < p.election_ms() {
                return Decision::Ignore(Refusal::Lease(if leads { id } else { voter.leader }));
            }
        }
        if !pre {
            voted = None;
            leader = 0;
        }
    } else if s.term < voter.term {
        return if pre {
            Decision::Refuse(Refusal::StaleTerm)
        } else {
            Decision::Ignore(Refusal::StaleTerm)
        };
    }
    let can_vote =
        voted == Some(req.from) || (voted.is_none() && leader == 0) || (pre && s.term > voter.term);
    if !can_vote {
        return Decision::Refuse(match voted {
            Some(v) if v != req.from => Refusal::AlreadyVoted(v),
            _ => Refusal::KnowsLeader(leader),
        });
    }
    let (vt, vi) = (voter.log.last_term(), voter.log.last_index());
    if s.log_term > vt || (s.log_term == vt && s.index >= vi) {
        Decision::Grant
    } else {
        Decision::Refuse(Refusal::LogBehind)
    }
}

fn vote_word(kind: MsgKind) -> &'static str {
    match kind {
        MsgKind::PreVote | MsgKind::PreVoteResp => "pre-vote",
        _ => "vote",
    }
}

/// What the voter of request `req` did and why.
pub(super) fn vote_outcome(events: &[TraceEvent], p: &Params, req: &MsgRecord) -> Why {
    let (c, v, s) = (req.from, req.to, &req.summary);
    let pre = s.kind == MsgKind::PreVote;
    let w = vote_word(s.kind);
    let asked = format!(
        "Node {c} asked node {v} for its {w} in term {}; node {c}'s log ends at term {}, index {}.",
        s.term, s.log_term, s.index
    );
    let Some((at, seq)) = req.delivered else {
        return Why::new(
            Case::Lost,
            format!("Node {c} asked node {v} for its {w} in term {}.", s.term),
        )
        .detail(campaign_note(pre));
    };
    let before = Replay::until(events, seq);
    let voter = &before.model(v);
    let (vt, vi) = (voter.log.last_term(), voter.log.last_index());
    let all = Replay::until(events, u64::MAX);
    let resp_kind = if pre {
        MsgKind::PreVoteResp
    } else {
        MsgKind::VoteResp
    };
    let resp = response_to(events, &all, seq, v, c, resp_kind);
    let force = transfer_campaign(&before, req);
    let decision = decide(voter, v, req, p, at, force);
    let logs = format!(
        "node {v}'s log ends at term {vt}, index {vi}; node {c}'s at term {}, index {}",
        s.log_term, s.index
    );
    let mut why = match (resp.map(|r| r.summary.reject), decision) {
        (Some(false), Decision::Grant) => {
            let mut why = Why::new(
                Case::VoteGranted,
                format!("Node {v} granted node {c}'s {w} for term {}.", s.term),
            )
            .detail(format!(
                "Node {c}'s log is at least as up to date as node {v}'s: {logs} (§5.4.1)."
            ))
            .source(Source::Paper("5.4.1"));
            if force {
                why = why
                    .detail(format!(
                        "Node {c} campaigns because the leader handed leadership to it: such a \
                         request passes the check-quorum lease."
                    ))
                    .source(Source::Thesis("3.10"));
            }
            if pre {
                why = why
                    .detail(
                        "A pre-vote changes no term and records no vote: it only tells the \
                         pre-candidate that it could win, so a node cut off from the others \
                         cannot disrupt them with ever higher terms.",
                    )
                    .source(Source::Thesis("9.6"));
            } else {
                why = why
                    .detail(format!(
                        "Node {v} had not voted for another node in term {}: each node votes \
                         for at most one candidate per term, first come first served (§5.2).",
                        s.term
                    ))
                    .source(Source::Paper("5.2"));
            }
            why
        }
        (Some(true), Decision::Refuse(r)) => refused(Case::VoteRefused(r), r, c, v, req, &logs)
            .detail(format!("Node {v} answered with a refusal at {}.", secs(at))),
        (None, Decision::Ignore(r)) => refused(Case::VoteIgnored(r), r, c, v, req, &logs),
        (observed, _) => {
            let did = match observed {
                Some(false) => "granted",
                Some(true) => "refused",
                None => "did not answer",
            };
            Why::new(
                Case::Unknown,
                format!("Node {v} {did} node {c}'s {w} request for term {}.", s.term),
            )
            .detail(format!(
                "The kept trace does not tell why ({logs}; node {v} was at term {}).",
                voter.term
            ))
        }
    };
    why.details.insert(0, asked);
    why
}

fn campaign_note(pre: bool) -> &'static str {
    if pre {
        "A pre-candidate asks every voter whether it would vote before raising its term."
    } else {
        "A candidate asks every voter for its vote, sending the index and term of its last \
         entry so voters can check its log is up to date (§5.4.1)."
    }
}

fn refused(case: Case, r: Refusal, c: u64, v: u64, req: &MsgRecord, logs: &str) -> Why {
    let s = &req.summary;
    let w = vote_word(s.kind);
    let t = s.term;
    match r {
        Refusal::LogBehind => Why::new(
            case,
            format!("Node {v} refused node {c}'s {w}: {logs}."),
        )
        .detail(
            "A voter grants only a candidate whose log is at least as up to date as its own: \
             the later last term wins, and with equal last terms the longer log (§5.4.1). So \
             a new leader always holds every committed entry.",
        )
        .source(Source::Paper("5.4.1")),
        Refusal::AlreadyVoted(x) => Why::new(
            case,
            if x == v {
                format!("Node {v} refused node {c}'s vote: it is a candidate in term {t} itself and voted for itself.")
            } else {
                format!("Node {v} refused node {c}'s vote: it had already voted for node {x} in term {t}.")
            },
        )
        .detail(
            "Each node votes for at most one candidate per term, first come first served, so \
             two candidates cannot both win a term (§5.2).",
        )
        .source(Source::Paper("5.2")),
        Refusal::KnowsLeader(l) => Why::new(
            case,
            format!("Node {v} refused node {c}'s {w}: it already follows node {l} as leader of term {t}."),
        )
        .detail("raft-rs grants a vote in the voter's own term only if it has not voted and knows no leader yet.")
        .source(Source::RaftRs("Raft::step (can_vote)")),
        Refusal::StaleTerm => {
            let how = if case == Case::VoteRefused(r) { "refused" } else { "ignored" };
            Why::new(
                case,
                format!("Node {v} {how} node {c}'s {w} for term {t}: node {v} is already in a later term."),
            )
            .detail(
                "A request with a stale term is turned down (§5.1); a refused pre-vote carries \
                 the voter's term so the pre-candidate catches up.",
            )
            .source(Source::Paper("5.1"))
        }
        Refusal::Lease(l) => {
            let who = if l == v {
                format!("node {v} is itself the leader")
            } else {
                format!("node {v} heard from leader {l} less than an election timeout ago")
            };
            Why::new(
                case,
                format!("Node {v} ignored node {c}'s {w} request for term {t}: {who}, so it believes the leader is alive."),
            )
            .detail(
                "With check-quorum, a node that has heard from a current leader within the \
                 election timeout neither raises its term nor votes: a node that was cut off \
                 cannot depose a working leader when it comes back.",
            )
            .source(Source::Thesis("4.2.3"))
            .source(Source::RaftRs("check_quorum lease in Raft::step"))
        }
    }
}

pub(super) fn vote_response(
    events: &[TraceEvent],
    p: &Params,
    all: &Replay,
    rec: &MsgRecord,
) -> Why {
    let kinds = if rec.summary.kind == MsgKind::PreVoteResp {
        [MsgKind::PreVote]
    } else {
        [MsgKind::Vote]
    };
    let Some(req) = request_before(all, rec.sent.1, rec.to, rec.from, &kinds) else {
        return Why::new(
            Case::Unknown,
            format!(
                "Node {} answered node {}'s {} request; the request is no longer in the kept \
                 trace.",
                rec.from,
                rec.to,
                vote_word(rec.summary.kind)
            ),
        );
    };
    let mut why = vote_outcome(events, p, &req);
    if let Some((_, seq)) = rec.delivered {
        if !rec.summary.reject {
            let grants = all
                .msgs
                .values()
                .filter(|m| m.to == rec.to && m.summary.kind == rec.summary.kind)
                .filter(|m| m.summary.term == rec.summary.term && !m.summary.reject)
                .filter(|m| m.delivered.is_some_and(|(_, s)| s <= seq))
                .map(|m| m.from)
                .collect::<std::collections::BTreeSet<_>>();
            why = why.detail(format!(
                "With it node {} had grants from node(s) {} besides its own; it needs {} of {} \
                 voters.",
                rec.to,
                ids(&grants.into_iter().collect::<Vec<_>>()),
                p.majority_at(rec.to, seq),
                p.voters_at(rec.to, seq)
            ));
        }
    }
    why
}
