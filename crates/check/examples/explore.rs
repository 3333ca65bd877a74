//! Check many generated histories and report the costly ones:
//! `cargo run --release -p check --example explore -- [seeds] [ops] [unknown%]`.

use check::generate::{generate, GenConfig, Rng};
use check::{check_with, CheckOptions, Verdict};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let seeds = args.first().copied().unwrap_or(200);
    let max_ops = args.get(1).copied().unwrap_or(150);
    let max_unknown = args.get(2).copied().unwrap_or(20);
    let mut rng = Rng::new(1);
    let mut worst = 0;
    for seed in 0..seeds {
        let config = GenConfig {
            ops: 1 + rng.below(max_ops) as usize,
            clients: 1 + rng.below(9) as u32,
            keys: 1 + rng.below(4) as usize,
            max_latency_ms: 15,
            unknown_write_percent: rng.below(max_unknown + 1),
            failed_read_percent: 5,
            leases: std::env::var("NOLEASES").is_err(),
            historical_reads: std::env::var("NOHIST").is_err(),
            range_deletes: std::env::var("RANGEDEL").is_ok(),
            txns: std::env::var("TXNS").is_ok(),
        };
        let h = generate(seed, &config);
        for per_key_pass in [true, false] {
            let options = CheckOptions {
                max_steps: 2_000_000,
                per_key_pass,
            };
            let report = check_with(&h, &options).expect("valid");
            if report.verdict != Verdict::Linearizable || report.steps > 50_000 {
                println!(
                    "seed {seed} per_key {per_key_pass} {config:?}: {:?} in {} steps",
                    report.verdict, report.steps
                );
            }
            worst = worst.max(report.steps);
        }
    }
    println!("worst: {worst} steps");
}
