//! 500 random-nemesis seeds pass every Raft invariant, and the clusters converge afterwards.
//! A failure prints the seed and the command that replays it.

use sim::nemesis::{headless_run, NemesisConfig};
use sim::{ClusterConfig, StateMachine};

fn check_seed(seed: u64, nodes: usize, membership: bool) {
    let nem = NemesisConfig {
        membership,
        ..NemesisConfig::default()
    };
    let mut c = match headless_run(ClusterConfig::new(nodes, seed), nem, 10_000) {
        Ok(c) => c,
        Err(e) => panic!(
            "seed {seed}: {e}\nreplay: cargo run -p cli --release -- run --nodes {nodes} --seed {seed} --duration 10s --nemesis random"
        ),
    };
    // Faults undone: the cluster must converge (same applied state on every live node).
    c.run_for(10_000).unwrap();
    let leader = c
        .leader()
        .unwrap_or_else(|| panic!("seed {seed}: no leader after healing"));
    let want = c.state_machine(leader).unwrap().digest();
    let applied = c.applied_index(leader).unwrap();
    for n in c.node_ids() {
        if c.node_view(n).is_some_and(|v| v.voter || v.learner) {
            assert_eq!(
                c.applied_index(n),
                Some(applied),
                "seed {seed}: node {n} behind"
            );
            assert_eq!(
                c.state_machine(n).unwrap().digest(),
                want,
                "seed {seed}: node {n} diverged"
            );
        }
    }
}

#[test]
fn five_hundred_seeds_pass_invariants() {
    for seed in 0..500 {
        let nodes = [3, 5, 7][(seed % 3) as usize];
        check_seed(seed, nodes, seed % 5 == 0);
    }
}
