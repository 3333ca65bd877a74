//! The determinism rule across platforms (docs/architecture.md, "Determinism"): the wasm build must
//! reproduce the trace hashes the native build pinned in tests/golden/trace_hashes.txt.
//! Runs under Node with wasm-bindgen-test-runner:
//! `cargo test -p sim --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use sim::nemesis::{headless_run, NemesisConfig};
use sim::ClusterConfig;
use wasm_bindgen_test::wasm_bindgen_test;

const GOLDEN: &str = include_str!("../../../tests/golden/trace_hashes.txt");

#[wasm_bindgen_test]
fn wasm_trace_hashes_equal_native() {
    let mut checked = 0;
    for line in GOLDEN.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let seed: u64 = f[0].parse().unwrap();
        let nodes: usize = f[1].parse().unwrap();
        let faults: bool = f[2].parse().unwrap();
        let nem = NemesisConfig {
            faults,
            ..NemesisConfig::default()
        };
        let c = headless_run(ClusterConfig::new(nodes, seed), nem, 20_000).expect("run passes");
        assert_eq!(
            c.trace_hash(),
            f[3],
            "seed {seed}, {nodes} nodes, faults {faults}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "golden file has cases");
}
