//! `raftlab`: the simulation core, headless.

mod bench;
mod bench_etcd;
mod repl;
mod run;
mod serve;
mod sweep;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the simulation allocates many small, short-lived
/// values (messages, entries, events), where glibc's malloc spent over a third of a
/// `bench-etcd` run. Native only; the page keeps the wasm default. Built with `no_thp`: with
/// transparent huge pages, every page mimalloc purged and touched again came back as a 2 MB
/// page the kernel zeroed whole (a sixth of a long `bench-etcd` run); 4 KB pages cost a
/// fraction of that (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// raftlab: an etcd-style cluster on raft-rs, simulated deterministically.
#[derive(Parser, Debug)]
#[command(name = "raftlab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a cluster headless and print a summary; the last line is the trace hash.
    Run(run::RunArgs),
    /// Measure committed proposals per wall-clock second against bare raft-rs.
    Bench(bench::BenchArgs),
    /// Measure puts per second through the etcd service and the cost of watch fan-out.
    BenchEtcd(bench_etcd::BenchEtcdArgs),
    /// Read etcdctl command lines (and fault/time lines) on stdin; print etcdctl's output.
    Repl(repl::ReplArgs),
    /// Run many seeds of a random nemesis under a client load and every checker on each.
    Sweep(sweep::SweepArgs),
    /// Serve etcd's v3 gRPC API and JSON gateway to real clients (etcdctl, curl, client
    /// libraries); fault lines on stdin; a recording that `run --scenario` replays.
    Serve(serve::ServeArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    print!("{e}");
                    std::process::exit(0);
                }
                _ => {
                    // One line: clap's first line, without the usage block.
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or("error: invalid arguments");
                    eprintln!("raftlab: {}", first.trim_start_matches("error: "));
                    std::process::exit(2);
                }
            }
        }
    };
    let code = match cli.command {
        Command::Run(args) => run::main(args),
        Command::Bench(args) => bench::main(args),
        Command::Repl(args) => repl::main(args),
        Command::BenchEtcd(args) => bench_etcd::main(args),
        Command::Sweep(args) => sweep::main(args),
        Command::Serve(args) => serve::main(args),
    };
    std::process::exit(code);
}
