//! `raftlab bench-etcd`: puts per wall-clock second through the whole etcd service (client ->
//! leader -> commit -> apply on every member -> response), and the cost of watch fan-out.

use std::time::Instant;

use clap::Args;
use etcd::{EtcdRequest, OpEvent, Service};
use kv::{PutRequest, WatchCreateRequest};
use sim::ClusterConfig;

/// Options of `raftlab bench-etcd`.
#[derive(Args, Debug, Clone)]
pub struct BenchEtcdArgs {
    /// Puts per measurement.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub puts: u64,
    /// Puts kept in flight (batched into one Raft append when they arrive together).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub window: u64,
    /// Watchers for the fan-out measurement.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub watchers: u64,
    /// Measurements per cell; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// Session lengths (puts) of the scaling table: the rate of each, and its ratio to the
    /// first, show whether the cost of a put grows with the history behind it. `0` skips it.
    #[arg(long, num_args = 1.., default_values_t = [5_000u64, 20_000, 80_000],
          value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub scaling: Vec<u64>,
}

fn service(nodes: usize) -> (Service, u64) {
    let mut cfg = ClusterConfig::new(nodes, 1);
    cfg.trace = false;
    cfg.check_invariants = false;
    let mut s = Service::new(cfg).expect("config");
    s.run_until(3_000).expect("run");
    let leader = s.cluster().leader().expect("leader");
    (s, leader)
}

/// Runs `puts` puts with `window` in flight; returns (puts/s, watch events delivered).
fn puts(s: &mut Service, leader: u64, puts: u64, window: u64) -> (f64, u64) {
    let start = Instant::now();
    let (mut sent, mut done, mut events) = (0u64, 0u64, 0u64);
    while done < puts {
        while sent - done < window && sent < puts {
            let req = EtcdRequest::Put(PutRequest {
                key: format!("bench/{:05}", sent % 1000).into_bytes(),
                value: format!("value-{sent}").into_bytes(),
                ..Default::default()
            });
            s.write(leader, req);
            sent += 1;
        }
        s.step().expect("step");
        for e in s.take_events() {
            match e {
                OpEvent::Done(..) => done += 1,
                OpEvent::Watch(_, _, r) => events += r.events.len() as u64,
                OpEvent::WatchLost(..) => {}
            }
        }
    }
    (puts as f64 / start.elapsed().as_secs_f64(), events)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `raftlab bench-etcd`; returns the exit status.
pub fn main(args: BenchEtcdArgs) -> i32 {
    println!(
        "etcd service, puts per wall-clock second, median of {} ({} puts, {} in flight, trace and invariants off)",
        args.repeat, args.puts, args.window
    );
    for nodes in [3usize, 5] {
        let v: Vec<f64> = (0..args.repeat)
            .map(|_| {
                let (mut s, l) = service(nodes);
                puts(&mut s, l, args.puts, args.window).0
            })
            .collect();
        println!("  {nodes} nodes: {:>9.0} puts/s", median(v));
    }
    println!(
        "watch fan-out, 3 nodes: the same puts with {} watchers on the leader (all watching the prefix)",
        args.watchers
    );
    let mut without = Vec::new();
    let mut with = Vec::new();
    let mut delivered = 0;
    for _ in 0..args.repeat {
        let (mut s, l) = service(3);
        without.push(puts(&mut s, l, args.puts, args.window).0);
        let (mut s, l) = service(3);
        for _ in 0..args.watchers {
            s.watch(
                l,
                WatchCreateRequest {
                    key: b"bench/".to_vec(),
                    range_end: kv::prefix_end(b"bench/"),
                    ..Default::default()
                },
            );
        }
        s.take_events();
        let (rate, events) = puts(&mut s, l, args.puts, args.window);
        with.push(rate);
        delivered = events;
    }
    let (a, b) = (median(without), median(with));
    println!("  0 watchers:    {a:>9.0} puts/s");
    println!(
        "  {} watchers: {b:>9.0} puts/s ({delivered} events delivered per run, {:.2} us per event)",
        args.watchers,
        (1.0 / b - 1.0 / a) * 1e6 * args.puts as f64 / delivered.max(1) as f64
    );
    let lengths: Vec<u64> = args.scaling.iter().copied().filter(|n| *n > 0).collect();
    if !lengths.is_empty() {
        scaling(&lengths, args.window, args.repeat);
    }
    0
}

/// The scaling table: puts/s by session length, and each rate over the first length's (1.00
/// means the cost of a put does not grow with the history behind it).
fn scaling(lengths: &[u64], window: u64, repeat: u64) {
    println!(
        "scaling: puts/s by session length, median of {repeat} (ratio: to the {}-put rate)",
        lengths[0]
    );
    print!("{:>8}", "puts");
    for nodes in [3, 5] {
        print!("  {:>9} {:>6}", format!("{nodes} nodes"), "ratio");
    }
    println!();
    let mut first = [0.0f64; 2];
    for (i, &n) in lengths.iter().enumerate() {
        print!("{n:>8}");
        for (j, nodes) in [3usize, 5].into_iter().enumerate() {
            let rate = median(
                (0..repeat)
                    .map(|_| {
                        let (mut s, l) = service(nodes);
                        puts(&mut s, l, n, window).0
                    })
                    .collect(),
            );
            if i == 0 {
                first[j] = rate;
            }
            print!("  {rate:>9.0} {:>6.2}", rate / first[j]);
        }
        println!();
    }
}
