//! Same seed, same trace hash; different seed, different hash; and the native hashes recorded
//! in tests/golden/trace_hashes.txt, which the wasm test checks too.

use sim::nemesis::{headless_run, NemesisConfig};
use sim::ClusterConfig;

fn run(seed: u64, nodes: usize, faults: bool) -> String {
    let nem = NemesisConfig {
        faults,
        ..NemesisConfig::default()
    };
    headless_run(ClusterConfig::new(nodes, seed), nem, 20_000)
        .expect("run passes invariants")
        .trace_hash()
}

#[test]
fn same_seed_same_hash() {
    for seed in [1, 42, 1234] {
        assert_eq!(run(seed, 5, true), run(seed, 5, true), "seed {seed}");
    }
}

#[test]
fn different_seeds_different_hashes() {
    let hashes: std::collections::BTreeSet<String> = (0..10).map(|s| run(s, 5, true)).collect();
    assert_eq!(hashes.len(), 10);
    assert_ne!(run(1, 5, true), run(1, 3, true));
    assert_ne!(run(1, 5, true), run(1, 5, false));
}

/// The golden file is what the wasm build must reproduce. If this fails after an intended
/// change of behaviour, regenerate it with `RAFTLAB_BLESS=1 cargo test -p sim --test determinism`.
#[test]
fn golden_hashes_match() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/trace_hashes.txt"
    );
    let mut lines = Vec::new();
    for (seed, nodes, faults) in sim::nemesis::GOLDEN_CASES {
        lines.push(format!(
            "{seed} {nodes} {faults} {}",
            run(*seed, *nodes, *faults)
        ));
    }
    let text = lines.join("\n") + "\n";
    if std::env::var_os("RAFTLAB_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("golden file exists");
    assert_eq!(golden, text);
}

/// A cluster cloned mid-run (a checkpoint) goes on exactly as the original: same trace hash,
/// for runs with faults, at several cluster sizes and clone points.
#[test]
fn a_clone_continues_as_the_original() {
    use sim::nemesis::RandomNemesis;
    for (seed, nodes, at) in [(1, 5, 3_000), (42, 3, 9_999), (2026, 7, 15_000)] {
        let cfg = ClusterConfig::new(nodes, seed);
        let mut original = sim::Cluster::<sim::DigestMachine>::new(cfg).unwrap();
        let mut nemesis = RandomNemesis::new(seed, NemesisConfig::default());
        nemesis.drive(&mut original, at).unwrap();
        let mut copy = original.clone();
        let mut copy_nemesis = nemesis.clone();
        for (c, n) in [
            (&mut original, &mut nemesis),
            (&mut copy, &mut copy_nemesis),
        ] {
            n.drive(c, 20_000).unwrap();
            n.undo(c).unwrap();
        }
        assert_eq!(original.trace_hash(), copy.trace_hash(), "seed {seed}");
        assert_eq!(
            original.trace_hash(),
            run(seed, nodes, true),
            "a run cloned at {at} ms equals one never cloned"
        );
    }
}
