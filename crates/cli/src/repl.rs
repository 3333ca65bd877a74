//! `raftlab repl`: etcdctl command lines (and fault/time lines) on standard input, etcdctl's
//! output on standard output, on a simulated cluster in virtual time. The session is the
//! page's ([`etcd::session::Session`]): the same lines answered the same way, and with
//! `--record FILE` the same scenario text as the page's export.

use std::io::{BufRead, Read, Write};

use clap::Args;
use etcd::planted::PlantedBugs;
use etcd::repl::{EOF_IN_TXN, LINE_LIMIT_MS};
use etcd::session::Session;
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
    /// Write the session as a scenario file at the end of the input (`raftlab run --scenario`
    /// and the page's Import replay it to the same trace hash).
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
}

/// Runs `raftlab repl`; returns the exit status.
pub fn main(args: ReplArgs) -> i32 {
    let cfg = ClusterConfig::new(args.nodes as usize, args.seed);
    let mut session = match Session::new(cfg, PlantedBugs::NONE) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("raftlab: {e}");
            return 2;
        }
    };
    // As a client waits for a freshly started cluster.
    if let Err(e) = session.wait_for_leader(10_000) {
        eprintln!("raftlab: {e}");
        return 1;
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut bytes = Vec::new();
    let mut number = 0usize;
    loop {
        bytes.clear();
        match (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("raftlab: cannot read standard input: {e}");
                return 2;
            }
        }
        number += 1;
        if bytes.len() > MAX_LINE_BYTES {
            // Too long to be a command: skip to the end of the line, say so, go on.
            if !bytes.ends_with(b"\n") && skip_line(&mut input).is_err() {
                eprintln!("raftlab: cannot read standard input");
                return 2;
            }
            let _ = writeln!(
                out,
                "Error: input line {number} is longer than {} MiB; the line is ignored",
                MAX_LINE_BYTES >> 20
            );
            continue;
        }
        if bytes.ends_with(b"\n") {
            bytes.pop();
        }
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
        // A line that is not UTF-8 is refused alone; the session goes on.
        let line = match std::str::from_utf8(&bytes) {
            Ok(l) => l,
            Err(_) => {
                if args.echo {
                    let _ = writeln!(out, "> {}", String::from_utf8_lossy(&bytes));
                }
                let _ = writeln!(out, "{}", not_utf8(number));
                let _ = out.flush();
                continue;
            }
        };
        let t = line.trim();
        if !session.needs_more() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if args.echo {
            let _ = writeln!(out, "> {line}");
        }
        match line_of(&mut session, line) {
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
    // A txn still open at the end of the input: etcdctl's interactive reader says `Error: EOF`.
    if session.needs_more() {
        let _ = out.write_all(EOF_IN_TXN.as_bytes());
    }
    let _ = out.flush();
    match args.record {
        Some(path) => match std::fs::write(&path, recording(&session)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("raftlab: cannot write {}: {e}", path.display());
                2
            }
        },
        None => 0,
    }
}

/// The session as a scenario, with the trace hash its replay reaches as the last line (as
/// `raftlab serve` records).
fn recording(session: &Session) -> String {
    let mut text = session.export("raftlab repl");
    text.push_str(&format!(
        "# trace hash {} (raftlab run --scenario FILE prints the same)\n",
        session.cluster().trace_hash()
    ));
    text
}

/// Runs one line as the page's console does with `execUntilDone`: starts it, runs until it
/// settles (for at most [`LINE_LIMIT_MS`] of virtual time), and returns what the session
/// answered itself (a `cancel` finding nothing to stop) and everything printed meanwhile.
fn line_of(session: &mut Session, line: &str) -> Result<String, String> {
    let mark = session.printed();
    let id = session.exec(line);
    let mut out = String::new();
    if let Some(id) = id {
        if session.is_note(id) {
            out.push_str(session.output(id).map_or("", |o| o.text.as_str()));
        } else {
            session.run_until_settled(id, LINE_LIMIT_MS)?;
        }
    }
    out.push_str(&session.printed_since(mark));
    Ok(out)
}

/// The longest input line read as a command (bytes): far above etcd's 1.5 MiB request limit,
/// so that a too-large request meets etcd's own error, but bounded.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// Reads and drops the rest of a line (through its newline or the end of the input).
fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// The one-line error for input line `number` that is not UTF-8 text.
fn not_utf8(number: usize) -> String {
    format!("Error: input line {number} is not UTF-8 text; the line is ignored")
}
