//! Starting a server on ports the system picks, so tests running at once never collide.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

/// A server on free ports and what it printed.
pub struct Served {
    pub server: serve::Server,
    pub printed: Arc<Mutex<Vec<String>>>,
}

/// A 3-member cluster at `speed` times real time.
pub fn start(seed: u64, speed: f64) -> Served {
    let printed = Arc::new(Mutex::new(Vec::new()));
    let p2 = printed.clone();
    let sink: serve::Sink = Arc::new(move |l: &str| {
        if let Ok(mut v) = p2.lock() {
            v.push(l.to_string());
        }
    });
    let config = serve::Config {
        nodes: 3,
        seed,
        speed,
        port: 0,
        ..Default::default()
    };
    let server = serve::Server::start(config, sink).expect("server starts");
    Served { server, printed }
}

impl Served {
    /// Member `node`'s URL.
    pub fn url(&self, node: u64) -> String {
        self.server.url(node).expect("member")
    }

    /// The current leader, waiting (in wall time, bounded) until there is one.
    pub fn leader(&self) -> u64 {
        for _ in 0..400 {
            if let Some(Some(l)) = self.server.peek(|pg| pg.cluster().leader()) {
                return l;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("no leader after 10 s of wall time");
    }

    /// A leader other than `old`, waiting (bounded) until there is one.
    pub fn new_leader(&self, old: u64) -> u64 {
        for _ in 0..800 {
            if let Some(Some(l)) = self.server.peek(|pg| pg.cluster().leader()) {
                if l != old {
                    return l;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("no new leader after 20 s of wall time");
    }

    /// Replays the recording so far and checks it reaches the trace hash the live run had.
    pub fn check_replay(&self) {
        let text = self.server.recording().expect("recording");
        let (live, _, outcome) = replay(&text);
        if outcome.trace_hash != live {
            let path = std::env::temp_dir().join(format!("raftlab-serve-replay-{live}.scenario"));
            let _ = std::fs::write(&path, &text);
            let printed = self
                .printed
                .lock()
                .map(|p| p.join("\n"))
                .unwrap_or_default();
            panic!(
                "the replay's trace hash {} differs from the live {live}; recording in {}; the server printed:\n{printed}",
                outcome.trace_hash,
                path.display()
            );
        }
    }
}

/// Replays a recording of `raftlab serve`: the trace hash it names, and the replay's end.
pub fn replay(text: &str) -> (String, etcd::Playground, etcd::scenario::Outcome) {
    let named = text
        .lines()
        .find_map(|l| l.strip_prefix("# trace hash "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the recording names its trace hash")
        .to_string();
    let scenario = etcd::scenario::parse_file(text).expect("the recording parses");
    let (pg, outcome) = scenario.run().expect("the recording replays");
    (named, pg, outcome)
}
