//! `raftlab run`: a headless run with a summary and the trace hash.

use clap::{Args, ValueEnum};
use sim::nemesis::{headless_run, NemesisConfig};
use sim::time::{format_ms, parse_duration};
use sim::{ClusterConfig, Invariant, ReadMode};

/// Which nemesis drives the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Nemesis {
    /// Client load only.
    None,
    /// Seeded partitions, crashes, pauses, drops, delays, cut links and leader transfers.
    Random,
}

/// Options of `raftlab run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Number of nodes (1 to 51).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=51))]
    pub nodes: u64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Virtual time to run, e.g. 60s, 500ms, 2m.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: u64,
    /// Fault injection.
    #[arg(long, value_enum, default_value_t = Nemesis::None)]
    pub nemesis: Nemesis,
    /// Let the nemesis change membership too.
    #[arg(long)]
    pub membership: bool,
    /// Client proposals per virtual second.
    #[arg(long, default_value_t = 20)]
    pub load: u64,
    /// Election timeout in ticks.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub election_tick: u64,
    /// Heartbeat interval in ticks.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=999))]
    pub heartbeat_tick: u64,
    /// Turn pre-vote off.
    #[arg(long)]
    pub no_pre_vote: bool,
    /// Turn check-quorum off.
    #[arg(long)]
    pub no_check_quorum: bool,
    /// ReadIndex mode.
    #[arg(long, value_enum, default_value_t = ReadArg::Safe)]
    pub read_mode: ReadArg,
    /// Compact the log every N applied entries (0 = never).
    #[arg(long, default_value_t = 1000)]
    pub compaction: u64,
    /// Run a scenario file (or a built-in one by name, e.g. `split-vote`) instead of a
    /// nemesis run; its header sets nodes, seed and options, so the other options of a
    /// nemesis run are refused with it rather than silently ignored.
    #[arg(long, conflicts_with_all = [
        "nodes", "seed", "duration", "nemesis", "membership", "load", "election_tick",
        "heartbeat_tick", "no_pre_vote", "no_check_quorum", "read_mode", "compaction",
    ])]
    pub scenario: Option<String>,
}

/// ReadIndex mode on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadArg {
    /// ReadIndex confirmed by a quorum.
    Safe,
    /// Leader lease.
    Lease,
}

impl RunArgs {
    /// The cluster configuration these options describe.
    pub fn config(&self) -> ClusterConfig {
        let mut cfg = ClusterConfig::new(self.nodes as usize, self.seed);
        cfg.raft.election_tick = self.election_tick as usize;
        cfg.raft.heartbeat_tick = self.heartbeat_tick as usize;
        cfg.raft.pre_vote = !self.no_pre_vote;
        cfg.raft.check_quorum = !self.no_check_quorum;
        cfg.raft.read_mode = match self.read_mode {
            ReadArg::Safe => ReadMode::Safe,
            ReadArg::Lease => ReadMode::LeaseBased,
        };
        cfg.raft.compaction_threshold = self.compaction;
        cfg
    }

    /// The command line that replays this run.
    pub fn replay_command(&self) -> String {
        let mut s = format!(
            "raftlab run --nodes {} --seed {} --duration {}ms --nemesis {} --load {}",
            self.nodes,
            self.seed,
            self.duration,
            match self.nemesis {
                Nemesis::None => "none",
                Nemesis::Random => "random",
            },
            self.load
        );
        if self.membership {
            s.push_str(" --membership");
        }
        if self.election_tick != 10 {
            s.push_str(&format!(" --election-tick {}", self.election_tick));
        }
        if self.heartbeat_tick != 1 {
            s.push_str(&format!(" --heartbeat-tick {}", self.heartbeat_tick));
        }
        if self.no_pre_vote {
            s.push_str(" --no-pre-vote");
        }
        if self.no_check_quorum {
            s.push_str(" --no-check-quorum");
        }
        if self.read_mode == ReadArg::Lease {
            s.push_str(" --read-mode lease");
        }
        if self.compaction != 1000 {
            s.push_str(&format!(" --compaction {}", self.compaction));
        }
        s
    }
}

const INVARIANTS: [Invariant; 6] = [
    Invariant::ElectionSafety,
    Invariant::LeaderAppendOnly,
    Invariant::LogMatching,
    Invariant::LeaderCompleteness,
    Invariant::StateMachineSafety,
    Invariant::CommitMonotonic,
];

/// Reads a scenario file, refusing one larger than the command line accepts before reading it
/// whole.
fn read_scenario(name: &str) -> std::io::Result<String> {
    use std::io::Read;
    let limit = etcd::scenario::MAX_SCENARIO_FILE_BYTES;
    let mut text = String::new();
    std::fs::File::open(name)?
        .take(limit as u64 + 1)
        .read_to_string(&mut text)?;
    if text.len() > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            limit >> 20
        )));
    }
    Ok(text)
}

/// Runs a scenario; returns the exit status.
fn run_scenario(name: &str) -> i32 {
    let text = match read_scenario(name) {
        Ok(t) => t,
        Err(e) => match etcd::scenario::builtin::get(name) {
            Some(t) => t.to_string(),
            None => {
                eprintln!("raftlab: cannot read scenario {name}: {e}");
                return 2;
            }
        },
    };
    // A file of any size up to the command line's cap (a recorded hour fits); the bound on
    // what it may make the simulation do is the same as for a share link.
    let scenario = match etcd::scenario::parse_file(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("raftlab: {name}: {e}");
            return 2;
        }
    };
    let c = &scenario.config;
    println!(
        "raftlab scenario: {} ({} nodes, seed {})",
        if scenario.title.is_empty() {
            name
        } else {
            &scenario.title
        },
        c.nodes,
        c.seed
    );
    let outcome = match scenario.run() {
        Ok((_, o)) => o,
        Err(e @ etcd::Error::Other(_)) => {
            // The scenario went past the bound on its work (the error names the line).
            eprintln!("raftlab: {name}: {e}");
            return 2;
        }
        Err(e) => {
            eprintln!("raftlab: {e}");
            eprintln!("replay: raftlab run --scenario {name}");
            return 1;
        }
    };
    for (i, step) in outcome.steps.iter().enumerate() {
        if !step.title.is_empty() {
            println!("\n## {}. {}", i + 1, step.title);
        }
        print!("{}", step.transcript);
        for (line, what, ok) in &step.expects {
            println!(
                "expect (line {line}) {what}: {}",
                if *ok { "ok" } else { "FAILED" }
            );
        }
    }
    println!("\nvirtual time: {}", format_ms(outcome.time_ms));
    println!("trace hash: {}", outcome.trace_hash);
    if outcome.passed() {
        0
    } else {
        1
    }
}

/// Runs `raftlab run`; returns the exit status.
pub fn main(args: RunArgs) -> i32 {
    if let Some(name) = &args.scenario {
        return run_scenario(name);
    }
    let cfg = args.config();
    if let Err(e) = cfg.validate() {
        eprintln!("raftlab: {e}");
        return 2;
    }
    let nem = NemesisConfig {
        faults: args.nemesis == Nemesis::Random,
        membership: args.membership,
        proposals_per_sec: args.load,
        ..NemesisConfig::default()
    };
    println!(
        "raftlab run: {} nodes, seed {}, {} of virtual time, nemesis {}",
        args.nodes,
        args.seed,
        format_ms(args.duration),
        if args.nemesis == Nemesis::Random {
            "random"
        } else {
            "none"
        }
    );
    let c = match headless_run(cfg, nem, args.duration) {
        Ok(c) => c,
        Err(sim::Error::Invariant(v)) => {
            println!("last events before the violation:");
            for e in &v.recent {
                println!("  {:>8} {:?}", format_ms(e.time_ms), e.kind);
            }
            println!("invariants: VIOLATED");
            eprintln!("raftlab: {v}");
            eprintln!("replay: {}", args.replay_command());
            return 1;
        }
        Err(e) => {
            eprintln!("raftlab: {e}");
            return 2;
        }
    };
    let s = c.stats();
    println!("leaders elected: {}", s.leaders.len());
    for l in &s.leaders {
        println!(
            "  {:>8}  node {:<2} term {}",
            format_ms(l.time_ms),
            l.node,
            l.term
        );
    }
    println!("entries committed: {} (highest commit index)", s.max_commit);
    println!(
        "client requests: {} submitted, {} written, {} failed or timed out",
        s.requests, s.writes_ok, s.failed
    );
    println!(
        "messages: {} sent, {} delivered, {} dropped, {} duplicated",
        s.sent, s.delivered, s.dropped, s.duplicated
    );
    println!("faults injected: {}", s.faults);
    println!(
        "invariants: ok ({})",
        INVARIANTS
            .iter()
            .map(|i| i.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("trace events: {}", c.trace().total());
    println!("trace hash: {}", c.trace_hash());
    0
}
