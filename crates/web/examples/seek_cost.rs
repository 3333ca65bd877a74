//! Native figures for time travel in a long session: builds a session as the page does under
//! its background load (5 nodes, seed 3, a put every 20 ms, given through the session), then
//! seeks to points spread over it, first from the checkpoints the session kept, then from the
//! start (checkpoints dropped), and prints each seek's wall time and the checkpoints kept.
//!
//! `cargo run --release -p web --example seek_cost -- MINUTES [FROM_START]`

use std::time::Instant;

use etcd::planted::PlantedBugs;
use etcd::session::Session;
use sim::ClusterConfig;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let minutes: u64 = a.first().map_or(10, |m| m.parse().expect("minutes"));
    let from_start = a.get(1).is_some_and(|f| f == "true");
    let mut config = ClusterConfig::new(5, 3);
    config.trace_capacity = etcd::session::TRACE_KEEP;
    let mut e = Session::new(config, PlantedBugs::NONE).expect("session");
    if std::env::var_os("NO_CHECKPOINTS").is_some() {
        e.set_checkpoints(u64::MAX / 4, 2);
    }
    let w = Instant::now();
    let end = minutes * 60_000;
    let mut at = 0;
    let mut n = 0;
    while at < end {
        e.run_until(at).expect("run");
        e.client_op(n);
        n += 1;
        at += 20;
    }
    e.run_until(end).expect("run");
    println!(
        "built {minutes} min: {} events, {} lines in {:.1} s; {} checkpoints every {} events; RSS {:.0} MB",
        e.point().steps,
        e.lines().len(),
        w.elapsed().as_secs_f64(),
        e.checkpoints().len(),
        e.checkpoints().every(),
        rss_mb()
    );
    let points: Vec<u64> = [0.02, 0.5, 0.97, 0.25, 0.75]
        .iter()
        .map(|f| (end as f64 * f) as u64)
        .collect();
    for &t in &points {
        if from_start {
            e.set_checkpoints(u64::MAX / 4, 2);
        }
        let w = Instant::now();
        e.seek(t).expect("seek");
        let ms = w.elapsed().as_secs_f64() * 1000.0;
        println!(
            "seek to {:.1} min ({}): {ms:.0} ms; {} checkpoints; RSS {:.0} MB",
            t as f64 / 60_000.0,
            if from_start {
                "from the start"
            } else {
                "from checkpoints"
            },
            e.checkpoints().len(),
            rss_mb()
        );
    }
    let w = Instant::now();
    e.seek(u64::MAX).expect("seek");
    println!(
        "back to the end: {:.0} ms",
        w.elapsed().as_secs_f64() * 1000.0
    );
}
