//! `raftlab sweep`: many seeds of a random nemesis under a client load, every checker on each.
//!
//! Each seed is a pure function of (seed, nodes, duration, workload), so the verdicts of a sweep
//! do not depend on the number of jobs or the machine. Seeds run in parallel on `--jobs`
//! threads (all cores by default); a progress bar shows seeds/s on a terminal. At the end a
//! table of verdicts per checker; each failing seed prints the command that replays it and
//! writes its history (JSON lines and an HTML timeline), its watch streams and its trace tail
//! under `--out`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Args;
use harness::verify::{self, Report, Status, VerifyOptions};
use harness::workload::{self, Recording, WorkloadConfig, WorkloadKind};
use indicatif::{ProgressBar, ProgressStyle};
use sim::time::{format_ms, parse_duration};
use sim::ClusterConfig;

/// Options of `raftlab sweep`.
#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    /// Number of seeds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub from: u64,
    /// Members: 3, 5 or 7.
    #[arg(long, default_value_t = 5, value_parser = parse_nodes)]
    pub nodes: usize,
    /// Virtual time of load and faults per seed (then every fault is healed and the cluster
    /// settles for 15 s before the end-of-run checks).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: u64,
    /// Client load: kv, watch, lease or lock.
    #[arg(long, default_value = "kv", value_parser = parse_workload)]
    pub workload: WorkloadKind,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Where failing seeds write their history, timeline and trace.
    #[arg(long, default_value = "sweep-failures")]
    pub out: PathBuf,
    /// Print every seed's verdict, one line each, in seed order.
    #[arg(long)]
    pub list: bool,
}

fn parse_nodes(s: &str) -> Result<usize, String> {
    match s {
        "3" => Ok(3),
        "5" => Ok(5),
        "7" => Ok(7),
        _ => Err(format!("{s:?} is not 3, 5 or 7")),
    }
}

fn parse_workload(s: &str) -> Result<WorkloadKind, String> {
    s.parse()
}

/// One seed's outcome.
#[derive(Debug, Clone)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The checkers' report.
    pub report: Report,
    /// Operations in the history.
    pub ops: usize,
    /// Wall time of the simulation.
    pub sim_time: Duration,
    /// Wall time of the checkers.
    pub check_time: Duration,
    /// Files written for a failing seed.
    pub files: Vec<PathBuf>,
}

/// The workload configuration of a sweep seed.
pub fn workload_config(kind: WorkloadKind, duration_ms: u64) -> WorkloadConfig {
    WorkloadConfig {
        duration_ms,
        ..WorkloadConfig::new(kind)
    }
}

/// Runs one seed: the recording and its report.
pub fn run_seed(
    seed: u64,
    nodes: usize,
    w: &WorkloadConfig,
) -> (Recording, Report, Duration, Duration) {
    let t0 = Instant::now();
    let mut cfg = ClusterConfig::new(nodes, seed);
    cfg.trace_capacity = 2_000;
    let rec = match workload::run(cfg, w) {
        Ok(r) => r,
        Err(e) => Recording {
            seed,
            nodes,
            invariant: Some(format!("the run could not start: {e}")),
            ..Default::default()
        },
    };
    let t1 = Instant::now();
    let report = verify::verify(&rec, &VerifyOptions::default());
    (rec, report, t1 - t0, t1.elapsed())
}

fn replay_command(args: &SweepArgs, seed: u64) -> String {
    format!(
        "raftlab sweep --seeds 1 --from {seed} --nodes {} --duration {} --workload {}",
        args.nodes,
        format_ms(args.duration),
        args.workload
    )
}

fn write_failure(dir: &Path, args: &SweepArgs, rec: &Recording, report: &Report) -> Vec<PathBuf> {
    let base = format!("{}-n{}-seed{}", args.workload, args.nodes, rec.seed);
    if std::fs::create_dir_all(dir).is_err() {
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut write = |name: String, body: String| {
        let p = dir.join(name);
        if std::fs::write(&p, body).is_ok() {
            files.push(p);
        }
    };
    write(
        format!("{base}.history.jsonl"),
        check::jsonl::to_json_lines(&rec.history),
    );
    let title = format!("{} — {}", replay_command(args, rec.seed), report.label());
    write(
        format!("{base}.html"),
        verify::timeline_html(rec, report, &title),
    );
    let mut watches = String::new();
    for w in &rec.watches {
        let _ = writeln!(watches, "{}", serde_json::to_string(w).unwrap_or_default());
    }
    if !watches.is_empty() {
        write(format!("{base}.watches.jsonl"), watches);
    }
    let mut trace = String::new();
    let _ = writeln!(trace, "# {}", replay_command(args, rec.seed));
    let _ = writeln!(trace, "# trace hash {}", rec.trace_hash);
    for line in report.to_string().lines() {
        let _ = writeln!(trace, "# {line}");
    }
    for l in &rec.locks {
        let _ = writeln!(trace, "# lock hold {l:?}");
    }
    for line in &rec.trace_tail {
        let _ = writeln!(trace, "{line}");
    }
    write(format!("{base}.trace.txt"), trace);
    files
}

/// Runs the sweep and returns the results in seed order (no printing).
pub fn sweep(args: &SweepArgs, progress: &ProgressBar) -> Vec<SeedResult> {
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(args.seeds as usize)
        .max(1);
    let w = workload_config(args.workload, args.duration);
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel();
    let mut results = BTreeMap::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, w) = (&next, &w);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= args.seeds {
                    break;
                }
                let seed = args.from + i;
                let (rec, report, sim_time, check_time) = run_seed(seed, args.nodes, w);
                let files = if report.failed() {
                    write_failure(&args.out, args, &rec, &report)
                } else {
                    Vec::new()
                };
                let r = SeedResult {
                    seed,
                    ops: rec.history.len(),
                    report,
                    sim_time,
                    check_time,
                    files,
                };
                if tx.send(r).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for r in rx {
            progress.inc(1);
            if r.report.failed() {
                progress.set_message(format!(
                    "{} failing",
                    results
                        .values()
                        .filter(|x: &&SeedResult| x.report.failed())
                        .count()
                        + 1
                ));
            }
            results.insert(r.seed, r);
        }
    });
    results.into_values().collect()
}

/// The verdict table: per checker, how many seeds passed, failed, were undecided or showed an
/// expected anomaly.
pub fn table(results: &[SeedResult]) -> String {
    let mut rows: BTreeMap<&'static str, [u64; 4]> = BTreeMap::new();
    let order = [
        "raft",
        "progress",
        "linearizability",
        "watch",
        "replicas",
        "compaction",
        "durability",
        "leases",
        "lock",
    ];
    for r in results {
        for f in &r.report.findings {
            let row = rows.entry(f.checker).or_default();
            let col = match f.status {
                Status::Pass => 0,
                Status::Fail(_) => 1,
                Status::Unknown => 2,
                Status::Expected(_) => 3,
            };
            row[col] += 1;
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:>8} {:>8} {:>8} {:>9}",
        "checker", "pass", "fail", "unknown", "expected"
    );
    // The known checkers in their order, then any other (so that no checker is ever left out).
    let others = rows.keys().filter(|k| !order.contains(*k)).copied();
    let names: Vec<&str> = order.into_iter().chain(others).collect();
    for name in names {
        if let Some(r) = rows.get(name) {
            let _ = writeln!(
                out,
                "{name:<16} {:>8} {:>8} {:>8} {:>9}",
                r[0], r[1], r[2], r[3]
            );
        }
    }
    out
}

/// `raftlab sweep`.
pub fn main(args: SweepArgs) -> i32 {
    let started = Instant::now();
    let pb = ProgressBar::new(args.seeds);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} seeds  {per_sec}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results = sweep(&args, &pb);
    pb.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    println!(
        "raftlab sweep: {} seeds from {}, {} nodes, {} of {} load under a random nemesis",
        args.seeds,
        args.from,
        args.nodes,
        format_ms(args.duration),
        args.workload
    );
    if args.list {
        for r in &results {
            println!("seed {:>6}  {}", r.seed, r.report.label());
        }
    }
    print!("{}", table(&results));
    let failed: Vec<&SeedResult> = results.iter().filter(|r| r.report.failed()).collect();
    let unknown = results.iter().filter(|r| r.report.unknown()).count();
    let expected = results
        .iter()
        .filter(|r| !r.report.failed() && r.report.label().starts_with("ok (expected"))
        .count();
    let ops: usize = results.iter().map(|r| r.ops).sum();
    let sim: f64 = results.iter().map(|r| r.sim_time.as_secs_f64()).sum();
    let chk: f64 = results.iter().map(|r| r.check_time.as_secs_f64()).sum();
    let max_chk = results
        .iter()
        .map(|r| r.check_time.as_secs_f64())
        .fold(0.0, f64::max);
    println!(
        "seeds: {}  failed: {}  unknown: {}  expected anomalies: {}  operations checked: {ops}",
        results.len(),
        failed.len(),
        unknown,
        expected
    );
    println!(
        "wall {wall:.1} s, {:.1} seeds/s; cpu: simulation {sim:.1} s, checkers {chk:.1} s (slowest seed {max_chk:.2} s)",
        results.len() as f64 / wall.max(1e-9)
    );
    for r in &failed {
        println!();
        println!("seed {} FAILED", r.seed);
        for f in r.report.failures() {
            if let Status::Fail(d) = &f.status {
                println!("  {}: {d}", f.checker);
            }
        }
        println!("  replay: {}", replay_command(&args, r.seed));
        for p in &r.files {
            println!("  wrote {}", p.display());
        }
    }
    if failed.is_empty() {
        println!("verdict: ok");
        0
    } else {
        println!("verdict: {} failing seed(s)", failed.len());
        1
    }
}
