//! `raftlab repl`: etcdctl command lines (and fault/time lines) on standard input, etcdctl's
//! output on standard output, on a simulated cluster in virtual time.

use std::io::{BufRead, Write};

use clap::Args;
use etcd::{Playground, Repl};
use sim::ClusterConfig;

/// Options of `raftlab repl`.
#[derive(Args, Debug, Clone)]
pub struct ReplArgs {
    /// Number of nodes (1 to 51).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=51))]
    pub nodes: u64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Echo each input line as `> line` before its output (a transcript).
    #[arg(long)]
    pub echo: bool,
}

/// Runs `raftlab repl`; returns the exit status.
pub fn main(args: ReplArgs) -> i32 {
    let cfg = ClusterConfig::new(args.nodes as usize, args.seed);
    let pg = match Playground::new(cfg) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("raftlab: {e}");
            return 2;
        }
    };
    let mut repl = match Repl::new(pg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("raftlab: {e}");
            return 1;
        }
    };
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("raftlab: input is not UTF-8");
            return 2;
        };
        let t = line.trim();
        if !repl.playground().needs_more() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if args.echo {
            let _ = writeln!(out, "> {line}");
        }
        match repl.line(&line) {
            Ok(text) => {
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("raftlab: {e}");
                eprintln!(
                    "replay: raftlab repl --nodes {} --seed {} < SCRIPT",
                    args.nodes, args.seed
                );
                return 1;
            }
        }
    }
    0
}
