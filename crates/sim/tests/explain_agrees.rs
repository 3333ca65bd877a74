//! The "Why?" explainer rebuilds each voter's state from the trace and predicts what raft-rs
//! decided. Under a random nemesis (partitions, crashes, pauses, drops, duplicates), every vote
//! and pre-vote it explains must agree with what the voter really did, and every rejected append
//! must be explained by the follower's rebuilt log: an explanation that disagrees with the real
//! messages would be invented.

use sim::explain::{self, Case, Params};
use sim::nemesis::{headless_run, NemesisConfig};
use sim::{ClusterConfig, MsgKind, TraceEvent, TraceKind};

fn explained(seed: u64, nodes: usize, pre_vote: bool) -> (usize, usize) {
    let mut cfg = ClusterConfig::new(nodes, seed);
    cfg.raft.pre_vote = pre_vote;
    let c = headless_run(cfg, NemesisConfig::default(), 12_000).expect("run passes invariants");
    let events: Vec<TraceEvent> = c.trace().events().cloned().collect();
    assert_eq!(events[0].seq, 0, "the whole trace is kept");
    let p = Params::of_cluster(&c);
    let (mut votes, mut rejects) = (0, 0);
    for e in &events {
        let TraceKind::Send { msg, summary, .. } = &e.kind else {
            continue;
        };
        match summary.kind {
            MsgKind::Vote | MsgKind::PreVote => {
                let why = explain::message(&events, &p, *msg);
                assert_ne!(why.case, Case::Unknown, "seed {seed}: {}", why.text());
                votes += 1;
            }
            MsgKind::AppendResp if summary.reject => {
                let why = explain::message(&events, &p, *msg);
                assert!(
                    matches!(why.case, Case::AppendRejected),
                    "seed {seed}: {}",
                    why.text()
                );
                assert!(
                    why.headline.contains("ends at index") || why.headline.contains("has term"),
                    "seed {seed}: the rebuilt log explains the rejection: {}",
                    why.text()
                );
                rejects += 1;
            }
            _ => {}
        }
    }
    (votes, rejects)
}

#[test]
fn vote_and_append_explanations_agree_with_what_raft_rs_did() {
    let mut total = (0, 0);
    for (seed, nodes, pre_vote) in (1..=8u64).map(|s| (s, [3, 5, 7][s as usize % 3], s % 2 == 0)) {
        let (v, r) = explained(seed, nodes, pre_vote);
        total = (total.0 + v, total.1 + r);
    }
    assert!(total.0 > 50, "enough votes explained: {total:?}");
    assert!(total.1 > 0, "some rejected appends explained: {total:?}");
}
