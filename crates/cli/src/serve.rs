//! `raftlab serve`: the simulated cluster for real etcd clients (etcdctl, curl, client
//! libraries), with fault lines on standard input and a recording that replays.

use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use clap::Args;

/// Options of `raftlab serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Number of members (1 to 51).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=51))]
    pub nodes: u64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Virtual time per wall-clock time (2: twice as fast as real time).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// First port: 2379 gives etcd's 2379, 22379, 32379 (up to six members), another gives
    /// consecutive ports from it, 0 lets the system choose.
    #[arg(long, default_value_t = 2379)]
    pub port: u16,
    /// Where the recording is written on exit, on Ctrl-C and on `record`.
    #[arg(long, default_value = "raftlab-serve.scenario")]
    pub record: String,
    /// Do not print each client request as it completes.
    #[arg(long)]
    pub quiet: bool,
    /// Also serve the built page (trunk's dist/, default ./dist), which follows the served
    /// cluster live and sends the faults clicked in it back as lines.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "dist")]
    pub ui: Option<std::path::PathBuf>,
    /// The page's port with --ui (0 lets the system choose).
    #[arg(long, default_value_t = 8080)]
    pub ui_port: u16,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.001..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!("invalid speed {s:?} (a number from 0.001 to 1000)")),
    }
}

fn write_recording(path: &str, text: &str) {
    match std::fs::write(path, text) {
        Ok(()) => println!("recording written to {path} (replay: raftlab run --scenario {path})"),
        Err(e) => eprintln!("raftlab: cannot write {path}: {e}"),
    }
}

/// Runs `raftlab serve`; returns the exit status.
pub fn main(args: ServeArgs) -> i32 {
    let quiet = args.quiet;
    let sink: serve::Sink = Arc::new(move |line: &str| {
        // Client requests are the lines with ` -> ` (completed) or `Watch`.
        if quiet && (line.contains(" -> ") || line.contains(" Watch ")) {
            return;
        }
        println!("{line}");
    });
    let config = serve::Config {
        nodes: args.nodes,
        seed: args.seed,
        speed: args.speed,
        listen: args.listen,
        port: args.port,
        ui: args.ui.clone(),
        ui_port: args.ui_port,
        ..Default::default()
    };
    let server = match serve::Server::start(config, sink) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("raftlab: {e}");
            return 1;
        }
    };
    let eps: Vec<String> = server
        .endpoints()
        .iter()
        .map(|(n, a)| format!("node{n}=http://{a}"))
        .collect();
    println!(
        "raftlab serve: {} members, seed {}: {}",
        args.nodes,
        args.seed,
        eps.join(" ")
    );
    let list: Vec<String> = server
        .endpoints()
        .iter()
        .map(|(_, a)| a.to_string())
        .collect();
    println!(
        "try: etcdctl --endpoints={} endpoint status -w table",
        list.join(",")
    );
    if let Some(a) = server.ui_addr() {
        println!(
            "live view: http://{a}/?follow={} (the page follows this cluster; faults clicked there come back here)",
            serve::ui::FOLLOW_PATH
        );
    }
    println!("fault and time lines on standard input (partition 1 2,3; heal; crash 2; ...); `record` writes the recording; Ctrl-C stops");
    let server = Arc::new(server);
    let s2 = server.clone();
    let path = args.record.clone();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let t = line.trim();
            if t == "record" || t.starts_with("record ") {
                let p = t.strip_prefix("record").unwrap_or("").trim();
                let p = if p.is_empty() { path.as_str() } else { p };
                if let Some(text) = s2.recording() {
                    write_recording(p, &text);
                }
                continue;
            }
            if t.len() > 64 * 1024 {
                eprintln!("raftlab: line too long (over 64 KiB), ignored");
                continue;
            }
            s2.input(&line);
        }
    });
    serve::wait_for_interrupt();
    println!("stopping");
    let text = match Arc::try_unwrap(server) {
        Ok(s) => s.stop(),
        Err(s) => s.recording().unwrap_or_default(),
    };
    write_recording(&args.record, &text);
    0
}
