//! "Why?" explanations on scenarios that produce each case (see `sim::explain`).

use etcd::scenario::{builtin, parse};
use sim::explain::{self, Case, Params, Refusal};
use sim::{MsgKind, TraceEvent, TraceKind};

/// Runs a built-in scenario or a scenario text to its end; its kept trace and parameters.
fn run(text: &str) -> (Vec<TraceEvent>, Params) {
    let s = parse(text).expect("scenario parses");
    let (pg, _) = s.run().expect("scenario runs");
    let events: Vec<TraceEvent> = pg.cluster().trace().events().cloned().collect();
    (events, Params::of_cluster(pg.cluster()))
}

fn builtin(name: &str) -> (Vec<TraceEvent>, Params) {
    match builtin::get(name) {
        Some(text) => run(text),
        None => run(&std::fs::read_to_string(format!("tests/cases/why/{name}.txt")).unwrap()),
    }
}

/// Every message of `kinds` with its explanation.
fn messages(events: &[TraceEvent], p: &Params, kinds: &[MsgKind]) -> Vec<(u64, explain::Why)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Send { msg, summary, .. } if kinds.contains(&summary.kind) => {
                Some((*msg, explain::message(events, p, *msg)))
            }
            _ => None,
        })
        .collect()
}

/// The first message of `kinds` whose explanation is of `case`.
fn first_case(events: &[TraceEvent], p: &Params, kinds: &[MsgKind], case: Case) -> explain::Why {
    messages(events, p, kinds)
        .into_iter()
        .map(|(_, w)| w)
        .find(|w| w.case == case)
        .unwrap_or_else(|| panic!("no {case:?} among {kinds:?}"))
}

/// The events up to and including the first one that `pred` picks.
fn until(events: &[TraceEvent], pred: impl Fn(&TraceKind) -> bool) -> Vec<TraceEvent> {
    let end = events
        .iter()
        .position(|e| pred(&e.kind))
        .expect("event happens");
    events[..=end].to_vec()
}

#[test]
fn election_timeout_fires_with_its_randomized_value() {
    let (events, p) = builtin("01-leader-election");
    // The first node to become a pre-candidate: its timer ran out.
    let first = events
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::PreCandidate,
                term,
                ..
            } => Some((node, term)),
            _ => None,
        })
        .expect("someone campaigns");
    let upto = until(
        &events,
        |k| matches!(k, TraceKind::Role { node, role: sim::Role::PreCandidate, .. } if *node == first.0),
    );
    let why = explain::node(&upto, &p, first.0);
    assert_eq!(why.case, Case::ElectionTimeout, "{}", why.text());
    let ticks = p.timeout_ticks(first.0, first.1);
    assert!(
        why.headline
            .contains(&format!("is {ticks} ticks ({} ms)", ticks as u64 * 100)),
        "{}",
        why.headline
    );
    assert!(why.text().contains("§5.2"));
    // The leader's explanation tells the election it won and how it began.
    let leader = events
        .iter()
        .rev()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::Leader,
                ..
            } => Some(node),
            _ => None,
        })
        .unwrap();
    let why = explain::node(&events, &p, leader);
    assert_eq!(why.case, Case::Elected, "{}", why.text());
    assert!(
        why.headline.contains("a majority (3 of 5 voters)"),
        "{}",
        why.headline
    );
    assert!(
        why.text().contains("election timeout fired"),
        "{}",
        why.text()
    );
}

#[test]
fn votes_granted_and_refused_name_their_rule() {
    let (events, p) = builtin("split-vote");
    let kinds = [MsgKind::Vote, MsgKind::VoteResp];
    let refused = first_case(
        &events,
        &p,
        &kinds,
        Case::VoteRefused(Refusal::AlreadyVoted(2)),
    );
    assert!(
        refused
            .headline
            .contains("it is a candidate in term 2 itself and voted for itself"),
        "{}",
        refused.headline
    );
    assert!(refused.text().contains("§5.2"));
    let granted = first_case(&events, &p, &kinds, Case::VoteGranted);
    assert!(
        granted.text().contains("at least as up to date"),
        "{}",
        granted.text()
    );

    // A candidate whose log lacks a committed entry is refused (§5.4.1).
    let (events, p) = builtin("stale-log-vote");
    let why = first_case(&events, &p, &kinds, Case::VoteRefused(Refusal::LogBehind));
    assert!(
        why.headline
            .contains("log ends at term 2, index 3; node 1's at term 2, index 2"),
        "{}",
        why.headline
    );
    assert!(why.text().contains("§5.4.1"));
}

#[test]
fn pre_votes_inside_the_check_quorum_lease_are_ignored() {
    let (events, p) = builtin("asymmetric-check-quorum");
    let why = first_case(
        &events,
        &p,
        &[MsgKind::PreVote],
        Case::VoteIgnored(Refusal::Lease(2)),
    );
    assert!(
        why.headline.contains("ignored node 1's pre-vote"),
        "{}",
        why.headline
    );
    assert!(why.text().contains("check-quorum"), "{}", why.text());
    // Node 3 still hears from leader 2: it ignores node 1 too, naming the leader.
    let by_follower = messages(&events, &p, &[MsgKind::PreVote])
        .into_iter()
        .map(|(_, w)| w)
        .find(|w| w.headline.starts_with("Node 3 ignored"))
        .expect("node 3 ignores the pre-vote");
    assert!(
        by_follower.headline.contains("heard from leader 2"),
        "{}",
        by_follower.headline
    );
}

#[test]
fn a_leader_without_a_majority_steps_down_by_check_quorum() {
    let (events, p) = builtin("04-minority-partition");
    // The leader of term 2, isolated with one follower, steps down in the same term.
    let leader = events
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::Leader,
                term: 2,
                ..
            } => Some(node),
            _ => None,
        })
        .unwrap();
    let upto = until(
        &events,
        |k| matches!(k, TraceKind::Role { node, role: sim::Role::Follower, term: 2, leader: 0 } if *node == leader),
    );
    let why = explain::node(&upto, &p, leader);
    assert_eq!(why.case, Case::CheckQuorumStepDown, "{}", why.text());
    assert!(
        why.headline.contains("fewer than a majority (3 of 5)"),
        "{}",
        why.headline
    );
}

#[test]
fn rejected_appends_and_the_leaders_back_off() {
    let (events, p) = builtin("follower-behind");
    let why = first_case(&events, &p, &[MsgKind::Append], Case::AppendRejected);
    assert!(
        why.text().contains("log ends at index 2, before index 5"),
        "{}",
        why.text()
    );
    assert!(
        why.text().contains("The leader backed off"),
        "{}",
        why.text()
    );
    assert!(
        why.text().contains("next index 3 instead of 6"),
        "{}",
        why.text()
    );
    let resp = first_case(&events, &p, &[MsgKind::AppendResp], Case::AppendRejected);
    assert!(
        resp.headline.contains("rejected leader 3's append"),
        "{}",
        resp.headline
    );
    let ok = first_case(&events, &p, &[MsgKind::Append], Case::AppendAccepted);
    assert!(ok.text().contains("accepted"), "{}", ok.text());
}

#[test]
fn the_commit_index_advances_on_a_majoritys_match_index() {
    let (events, p) = builtin("02-log-replication");
    let why = first_case(&events, &p, &[MsgKind::AppendResp], Case::CommitAdvanced);
    assert!(
        why.text().contains("commit index advanced to"),
        "{}",
        why.text()
    );
    assert!(why.text().contains("match indexes: node"), "{}", why.text());
    assert!(why.text().contains("§5.4.2"));
    // The same from the entry's side.
    let leader = events.iter().rev().find_map(|e| match e.kind {
        TraceKind::Role {
            node,
            role: sim::Role::Leader,
            ..
        } => Some(node),
        _ => None,
    });
    let why = explain::entry(&events, &p, leader.unwrap(), 3);
    assert_eq!(why.case, Case::Entry, "{}", why.text());
    assert!(why.text().contains("It was committed at"), "{}", why.text());
    assert!(why.text().contains("A client asked node"), "{}", why.text());
}

#[test]
fn entries_overwritten_after_a_heal() {
    let (events, p) = builtin("04-minority-partition");
    let old = events
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::Leader,
                term: 2,
                ..
            } => Some(node),
            _ => None,
        })
        .unwrap();
    let why = explain::entry(&events, &p, old, 3);
    assert_eq!(why.case, Case::Overwritten, "{}", why.text());
    assert!(
        why.headline.contains("(of term 2) was replaced by leader"),
        "{}",
        why.headline
    );
    assert!(
        why.text().contains("never been committed"),
        "{}",
        why.text()
    );
}

#[test]
fn a_read_index_round() {
    let (events, p) = builtin("follower-read");
    let why = first_case(&events, &p, &[MsgKind::ReadIndex], Case::ReadIndex);
    assert!(
        why.headline
            .starts_with("Node 1 asks leader 3 for a read index"),
        "{}",
        why.headline
    );
    assert!(why.text().contains("answered at"), "{}", why.text());
    assert!(why.text().contains("§6.4"));
    let resp = first_case(&events, &p, &[MsgKind::ReadIndexResp], Case::ReadIndex);
    assert!(resp.headline.contains("read index"), "{}", resp.headline);
}

#[test]
fn a_snapshot_instead_of_entries() {
    let (events, p) = builtin("11-snapshots");
    let why = first_case(&events, &p, &[MsgKind::Snapshot], Case::SnapshotSent);
    assert!(
        why.headline.contains("node 3 needs entries from index 3"),
        "{}",
        why.headline
    );
    assert!(
        why.headline.contains("log now starts at index"),
        "{}",
        why.headline
    );
    assert!(
        why.text().contains("compacted its log up to index"),
        "{}",
        why.text()
    );
    assert!(why.text().contains("§7"));
}

#[test]
fn a_higher_term_deposes_a_leader() {
    let (events, p) = builtin("05-prevote-checkquorum");
    let deposed = events
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::Leader,
                ..
            } => Some(node),
            _ => None,
        })
        .unwrap();
    let upto = until(
        &events,
        |k| matches!(k, TraceKind::Role { node, role: sim::Role::Follower, .. } if *node == deposed),
    );
    let why = explain::node(&upto, &p, deposed);
    assert_eq!(why.case, Case::HigherTerm, "{}", why.text());
    assert!(why.text().contains("§5.1"));
}

#[test]
fn messages_not_in_the_trace_are_said_to_be_missing() {
    let (events, p) = builtin("01-leader-election");
    let why = explain::message(&events, &p, u64::MAX);
    assert_eq!(why.case, Case::Unknown);
    assert!(why.headline.contains("not in the kept trace"));
    // A trace that lost its start says so.
    let why = explain::node(&events[events.len() / 2..], &p, 1);
    assert!(
        why.text().contains("The kept trace starts at"),
        "{}",
        why.text()
    );
}

#[test]
fn majorities_follow_membership_changes() {
    // Three voters, then a fourth promoted: commits count 2 of 3 before, 3 of 4 after.
    let (events, p) = builtin("membership-commit");
    let commits: Vec<String> = messages(&events, &p, &[MsgKind::AppendResp])
        .into_iter()
        .filter(|(_, w)| w.case == Case::CommitAdvanced)
        .map(|(_, w)| w.text())
        .collect();
    let first = commits.first().expect("a commit before the change");
    let last = commits.last().expect("a commit after the change");
    assert!(first.contains("a majority (2 of 3 voters)"), "{first}");
    assert!(last.contains("a majority (3 of 4 voters)"), "{last}");
    // The leader's election, from before the change, still counts the first configuration.
    let leader = events
        .iter()
        .find_map(|e| match e.kind {
            TraceKind::Role {
                node,
                role: sim::Role::Leader,
                ..
            } => Some(node),
            _ => None,
        })
        .unwrap();
    let why = explain::node(&events, &p, leader);
    assert!(why.text().contains("(2 of 3 voters)"), "{}", why.text());
}
