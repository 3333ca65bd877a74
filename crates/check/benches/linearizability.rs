//! Benchmark: checking a valid 10,000-operation history of 16 clients over 10 keys.

use criterion::{criterion_group, criterion_main, Criterion};

use check::generate::{generate, GenConfig};
use check::{check_with, CheckOptions, Verdict};

fn history() -> check::History {
    generate(
        2026,
        &GenConfig {
            ops: 10_000,
            clients: 16,
            keys: 10,
            max_latency_ms: 40,
            ..GenConfig::default()
        },
    )
}

fn bench(c: &mut Criterion) {
    let h = history();
    let mut group = c.benchmark_group("linearizability");
    group.sample_size(10);
    for (name, per_key_pass) in [
        ("10k_ops_16_clients_10_keys", true),
        ("10k_global_only", false),
    ] {
        let options = CheckOptions {
            per_key_pass,
            ..CheckOptions::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let report = check_with(&h, &options).expect("valid history");
                assert_eq!(report.verdict, Verdict::Linearizable);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
