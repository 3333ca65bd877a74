//! The native half of the browser benchmark (web/bench.mjs): runs the same seeded headless run
//! that `window.raftlab.headless` runs in the page and prints events per wall-clock second.
//!
//! `cargo run --release -p web --example events_per_sec -- SEED NODES FAULTS MS [REPEAT]`

use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let seed: u64 = arg(0, "1").parse().expect("seed");
    let nodes: usize = arg(1, "5").parse().expect("nodes");
    let faults: bool = arg(2, "true").parse().expect("faults");
    let ms: u64 = arg(3, "60000").parse().expect("virtual ms");
    let repeat: usize = arg(4, "3").parse().expect("repeat");
    let mut rates = Vec::new();
    let mut hash = String::new();
    let mut events = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = web::js_api::headless(seed, nodes, faults, ms);
        let secs = t.elapsed().as_secs_f64();
        events = r.events;
        hash = r.trace_hash.unwrap_or_default();
        rates.push(events as f64 / secs);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "{{\"events\":{events},\"events_per_s\":{median:.0},\"trace_hash\":\"{hash}\",\"runs\":{repeat}}}"
    );
}
