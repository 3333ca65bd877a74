//! Behaviour of the simulated cluster under faults, with real assertions on Raft's behaviour.

mod common;

use common::*;
use sim::{Action, ClusterConfig, NodeStatus, Outcome, RequestError, Role, StateMachine};

#[test]
fn healthy_cluster_elects_one_leader_quickly() {
    for seed in 0..20 {
        let mut c = cluster(5, seed);
        let leader = elect(&mut c, 3_000);
        // Within two election timeouts plus pre-vote round trips.
        assert!(c.now() <= 3_000);
        c.run_for(2_000).unwrap();
        assert_eq!(
            c.leader(),
            Some(leader),
            "leadership is stable when healthy (seed {seed})"
        );
        let leaders: Vec<_> = c
            .node_ids()
            .into_iter()
            .filter(|n| c.role(*n).unwrap().0 == Role::Leader)
            .collect();
        assert_eq!(leaders, vec![leader]);
        for n in c.node_ids() {
            assert_eq!(c.role(n).unwrap().2, leader, "node {n} knows the leader");
        }
    }
}

#[test]
fn writes_commit_everywhere_and_reads_see_them() {
    let mut c = cluster(5, 7);
    let leader = elect(&mut c, 3_000);
    let d = propose_wait(&mut c, leader, "a=1");
    assert!(written(&d), "{d:?}");
    // Forwarded from a follower.
    let follower = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    let d = propose_wait(&mut c, follower, "b=2");
    let Outcome::Written { index, .. } = d.outcome else {
        panic!("{d:?}")
    };
    c.run_for(500).unwrap();
    for n in c.node_ids() {
        assert!(c.commit_index(n).unwrap() >= index);
        assert_eq!(c.applied_index(n), c.commit_index(n));
        assert_eq!(c.state_machine(n).unwrap().count, 2);
    }
    let digests: Vec<u64> = c
        .node_ids()
        .iter()
        .map(|n| c.state_machine(*n).unwrap().digest())
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]));
    let id = c.read(follower, ());
    let d = wait(&mut c, id);
    let Outcome::Read { answer, .. } = d.outcome else {
        panic!("{d:?}")
    };
    assert_eq!(answer, (2, b"b=2".to_vec()));
}

#[test]
fn isolated_leader_loses_and_its_entries_are_replaced() {
    let mut c = cluster(5, 11);
    let old = elect(&mut c, 3_000);
    assert!(written(&propose_wait(&mut c, old, "before")));
    let old_term = c.role(old).unwrap().1;
    let rest: Vec<u64> = c.node_ids().into_iter().filter(|n| *n != old).collect();
    c.apply(Action::Partition(vec![vec![old], rest.clone()]))
        .unwrap();
    let commit_before = c.commit_index(old).unwrap();
    // The old leader accepts a proposal but cannot commit it.
    let lost = c.propose(old, b"lost".to_vec());
    let new = {
        c.run_until_pred(10_000, |c| {
            rest.iter()
                .any(|n| c.role(*n).map(|r| r.0) == Some(Role::Leader))
        })
        .unwrap();
        rest.iter()
            .copied()
            .find(|n| c.role(*n).unwrap().0 == Role::Leader)
            .expect("majority elects")
    };
    let new_term = c.role(new).unwrap().1;
    assert!(new_term > old_term);
    assert!(written(&propose_wait(&mut c, new, "after")));
    assert_eq!(
        c.commit_index(old).unwrap(),
        commit_before,
        "old leader committed nothing"
    );
    // With check-quorum the old leader steps down on its own within an election timeout or two.
    assert!(c
        .run_until_pred(2_000, |c| c.role(old).unwrap().0 != Role::Leader)
        .unwrap());
    assert_eq!(c.commit_index(old).unwrap(), commit_before);
    let old_last = c.node_view(old).unwrap().last_index;
    assert!(
        old_last > commit_before,
        "old leader holds an uncommitted entry"
    );
    c.apply(Action::Heal).unwrap();
    c.run_for(3_000).unwrap();
    let (role, term, leader) = c.role(old).unwrap();
    assert_eq!(role, Role::Follower);
    assert!(term >= new_term);
    assert_eq!(leader, c.leader().unwrap());
    // Logs agree again: the uncommitted "lost" entry was replaced.
    let entries = |n| c.log_entries(n, 0, u64::MAX);
    for n in c.node_ids() {
        assert_eq!(entries(n), entries(new), "node {n} log differs");
        assert!(!entries(n).iter().any(|e| e.desc == "lost"));
    }
    let done = c.take_completions();
    let lost_done = done
        .iter()
        .find(|d| d.id == lost)
        .expect("lost proposal ended");
    assert!(matches!(
        lost_done.outcome,
        Outcome::Failed(RequestError::LeaderChanged | RequestError::Timeout)
    ));
}

#[test]
fn crashed_node_restarts_from_durable_state_and_catches_up() {
    let mut c = cluster(3, 5);
    let leader = elect(&mut c, 3_000);
    let victim = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    assert!(written(&propose_wait(&mut c, leader, "one")));
    c.run_for(300).unwrap();
    let term_before = c.role(victim).unwrap().1;
    let log_before = c.log_entries(victim, 0, u64::MAX);
    c.apply(Action::Crash(victim)).unwrap();
    assert_eq!(c.status(victim).unwrap(), NodeStatus::Crashed);
    assert!(c.state_machine(victim).is_err());
    // Requests to a crashed node fail at once.
    let d = propose_wait(&mut c, victim, "nope");
    assert!(matches!(
        d.outcome,
        Outcome::Failed(RequestError::NodeDown(_))
    ));
    for i in 0..5 {
        assert!(written(&propose_wait(&mut c, leader, &format!("w{i}"))));
    }
    c.apply(Action::Restart(victim)).unwrap();
    // Durable state survived: same term and log prefix.
    assert!(c.role(victim).unwrap().1 >= term_before);
    let after = c.log_entries(victim, 0, u64::MAX);
    assert_eq!(&after[..log_before.len()], &log_before[..]);
    c.run_for(2_000).unwrap();
    assert_eq!(c.applied_index(victim), c.applied_index(leader));
    assert_eq!(
        c.state_machine(victim).unwrap(),
        c.state_machine(leader).unwrap()
    );
}

#[test]
fn lagging_follower_receives_a_snapshot() {
    let mut cfg = ClusterConfig::new(3, 9);
    cfg.raft.compaction_threshold = 10;
    let mut c = with(cfg);
    let leader = elect(&mut c, 3_000);
    let lagger = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    c.apply(Action::Crash(lagger)).unwrap();
    for i in 0..40 {
        assert!(written(&propose_wait(&mut c, leader, &format!("x{i}"))));
    }
    let leader_first = c.node_view(leader).unwrap().first_index;
    assert!(
        leader_first > 20,
        "leader compacted its log (first index {leader_first})"
    );
    c.apply(Action::Restart(lagger)).unwrap();
    c.run_for(3_000).unwrap();
    let installs = snapshot_installs(&c);
    assert!(
        installs.iter().any(|(n, i)| *n == lagger && *i >= 20),
        "{installs:?}"
    );
    assert_eq!(c.state_machine(lagger).unwrap().count, 40);
    assert_eq!(
        c.state_machine(lagger).unwrap(),
        c.state_machine(leader).unwrap()
    );
}

#[test]
fn membership_changes_go_through_joint_consensus() {
    let mut c = cluster(3, 21);
    let leader = elect(&mut c, 3_000);
    assert!(written(&propose_wait(&mut c, leader, "pre")));
    c.apply(Action::AddVoter(4)).unwrap();
    let mut saw_joint = false;
    let ok = c
        .run_until_pred(5_000, |c| {
            let v = c.node_view(4);
            v.is_some_and(|v| v.voter && v.applied >= c.applied_index(leader).unwrap_or(0))
        })
        .unwrap();
    assert!(ok, "node 4 joined and caught up");
    for e in c.log_entries(leader, 0, u64::MAX) {
        if e.kind == "conf" && e.desc == "leave joint" {
            saw_joint = true;
        }
    }
    assert!(
        saw_joint,
        "a leave-joint entry shows the joint configuration was used"
    );
    assert_eq!(c.state_machine(4).unwrap().count, 1);
    // Let the joint configuration be left before the next change (raft-rs allows one at a time).
    c.run_for(1_000).unwrap();
    let victim = c
        .node_ids()
        .into_iter()
        .find(|n| *n != leader && *n != 4)
        .unwrap();
    c.apply(Action::Remove(victim)).unwrap();
    c.run_for(2_000).unwrap();
    let lv = c.node_view(c.leader().unwrap()).unwrap();
    assert!(
        !lv.progress.iter().any(|p| p.id == victim),
        "{:?}",
        lv.progress
    );
    assert_eq!(lv.progress.len(), 3);
    let l = c.leader().unwrap();
    assert!(written(&propose_wait(&mut c, l, "post")));
    // A learner gets the data but does not vote.
    c.apply(Action::AddLearner(5)).unwrap();
    c.run_for(2_000).unwrap();
    let v5 = c.node_view(5).unwrap();
    assert!(v5.learner && !v5.voter);
    assert_eq!(c.state_machine(5).unwrap().count, 2);
    c.apply(Action::Promote(5)).unwrap();
    c.run_for(2_000).unwrap();
    assert!(c.node_view(5).unwrap().voter);
}

#[test]
fn held_messages_arrive_in_release_order() {
    let mut c = cluster(3, 4);
    let leader = elect(&mut c, 3_000);
    let f = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    c.run_for(200).unwrap();
    c.apply(Action::Hold {
        from: leader,
        to: f,
    })
    .unwrap();
    c.run_for(350).unwrap();
    let held: Vec<u64> = c
        .view()
        .links
        .iter()
        .find(|l| l.from == leader && l.to == f)
        .map(|l| l.held.clone())
        .unwrap();
    assert!(
        held.len() >= 3,
        "heartbeats pile up on the held link: {held:?}"
    );
    // Release the third, then the first; discard the second.
    let order = [held[2], held[0]];
    for m in order {
        c.apply(Action::Release {
            from: leader,
            to: f,
            msg: Some(m),
        })
        .unwrap();
    }
    c.apply(Action::Discard {
        from: leader,
        to: f,
        msg: Some(held[1]),
    })
    .unwrap();
    c.run_for(100).unwrap();
    let delivered: Vec<u64> = c
        .trace()
        .events()
        .filter_map(|e| match e.kind {
            sim::TraceKind::Deliver { msg, .. } if order.contains(&msg) => Some(msg),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, order.to_vec());
    assert!(c.trace().events().any(|e| matches!(
        e.kind,
        sim::TraceKind::Drop { msg, reason: sim::trace::DropReason::Discarded, .. } if msg == held[1]
    )));
    assert!(c
        .apply(Action::Release {
            from: f,
            to: leader,
            msg: None
        })
        .is_err());
}

#[test]
fn paused_node_keeps_everything_and_catches_up() {
    let mut c = cluster(3, 8);
    let leader = elect(&mut c, 3_000);
    let f = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    c.apply(Action::Pause(f)).unwrap();
    let applied = c.applied_index(f).unwrap();
    assert!(written(&propose_wait(&mut c, leader, "while paused")));
    assert_eq!(c.applied_index(f).unwrap(), applied, "frozen");
    c.apply(Action::Resume(f)).unwrap();
    c.run_for(1_000).unwrap();
    assert_eq!(c.applied_index(f), c.applied_index(leader));
}

#[test]
fn stale_leader_cannot_serve_linearizable_reads() {
    let mut c = cluster(5, 12);
    let old = elect(&mut c, 3_000);
    let rest: Vec<u64> = c.node_ids().into_iter().filter(|n| *n != old).collect();
    c.apply(Action::Partition(vec![vec![old], rest])).unwrap();
    let id = c.read(old, ());
    let d = wait(&mut c, id);
    assert!(matches!(d.outcome, Outcome::Failed(_)), "{d:?}");
}

#[test]
fn transfer_leadership() {
    let mut c = cluster(3, 13);
    let leader = elect(&mut c, 3_000);
    let target = c.node_ids().into_iter().find(|n| *n != leader).unwrap();
    c.apply(Action::TransferLeader(target)).unwrap();
    c.run_for(1_000).unwrap();
    assert_eq!(c.leader(), Some(target));
}

#[test]
fn bad_actions_are_refused_and_change_nothing() {
    let mut c = cluster(3, 1);
    elect(&mut c, 3_000);
    let before = c.trace_hash();
    assert!(c.apply(Action::Crash(9)).is_err());
    assert!(c.apply(Action::Cut { from: 1, to: 1 }).is_err());
    assert!(c
        .apply(Action::Partition(vec![vec![1, 2], vec![2, 3]]))
        .is_err());
    assert!(c.apply(Action::Partition(vec![vec![1, 2, 3]])).is_err());
    assert!(c.apply(Action::Resume(1)).is_err());
    assert!(c.apply(Action::Restart(1)).is_err());
    assert_eq!(c.trace_hash(), before);
    assert!(sim::Cluster::<sim::DigestMachine>::new(ClusterConfig::new(0, 1)).is_err());
    assert!(sim::Cluster::<sim::DigestMachine>::new(ClusterConfig::new(52, 1)).is_err());
}
