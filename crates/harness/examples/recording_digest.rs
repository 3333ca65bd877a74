//! Prints, for each seed of a sweep, a digest of its whole recording and of its verdicts, so
//! two builds can be compared seed by seed (a change meant to be behaviour-preserving must print
//! the same lines): `cargo run --release -p harness --example recording_digest -- [SEEDS]
//! [FROM] [NODES] [WORKLOAD]` (defaults 200, 0, 5, kv).

use std::hash::Hasher;

use harness::verify::{verify, VerifyOptions};
use harness::workload::{self, WorkloadConfig, WorkloadKind};
use sim::trace::StableHasher;
use sim::ClusterConfig;

fn digest(text: &str) -> u64 {
    let mut h = StableHasher::default();
    h.write(text.as_bytes());
    h.finish()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (seeds, from, nodes) = (arg(0, 200), arg(1, 0), arg(2, 5) as usize);
    let kind = match args.get(3).map_or("kv", String::as_str) {
        "watch" => WorkloadKind::Watch,
        "lease" => WorkloadKind::Lease,
        "lock" => WorkloadKind::Lock,
        _ => WorkloadKind::Kv,
    };
    let w = WorkloadConfig {
        duration_ms: 10_000,
        ..WorkloadConfig::new(kind)
    };
    for seed in from..from + seeds {
        let mut cfg = ClusterConfig::new(nodes, seed);
        cfg.trace_capacity = 2_000;
        let rec = workload::run(cfg, &w).expect("run");
        let report = verify(&rec, &VerifyOptions::default());
        println!(
            "seed {seed} trace {} recording {:016x} report {:016x}",
            rec.trace_hash,
            digest(&format!("{rec:?}")),
            digest(&format!("{report:?}"))
        );
    }
}
