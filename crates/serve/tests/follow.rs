//! `raftlab serve --ui`: the page's files, and the live view's stream. Two followers (one from
//! the start, one joining midway, so through the backlog) read `GET /raftlab/follow` while a
//! client writes through the gateway and a page sends fault lines with `POST /raftlab/line`;
//! replaying the lines each one got, at their virtual time and event count, up to a point the
//! stream reported, reaches the trace hash the stream reported for that point.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd::playground::Recorded;

mod common;

/// One HTTP/1.0 exchange (no chunked body): status, headers, body.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}

/// One Server-Sent Event: its name and data.
type Event = (String, String);

/// Follows `GET /raftlab/follow`: its events arrive on a channel.
fn follow(addr: SocketAddr) -> Receiver<Event> {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET /raftlab/follow HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(s);
        let mut line = String::new();
        // The head.
        while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        let (mut event, mut data) = (String::new(), Vec::<String>::new());
        for l in r.lines() {
            let Ok(l) = l else { break };
            if l.is_empty() {
                if !event.is_empty() && tx.send((event.clone(), data.join("\n"))).is_err() {
                    break;
                }
                event.clear();
                data.clear();
            } else if let Some(e) = l.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = l.strip_prefix("data: ") {
                data.push(d.to_string());
            }
        }
    });
    rx
}

/// What a follower read: the set-up, the lines, the points reported.
#[derive(Default)]
struct Followed {
    setup: String,
    lines: Vec<Recorded>,
    /// (virtual ms, events, trace hash, lines read before it).
    ticks: Vec<(u64, u64, String, usize)>,
}

impl Followed {
    fn take(&mut self, (event, data): Event) {
        match event.as_str() {
            "setup" => self.setup = data,
            "line" => self.lines.push(match data.strip_prefix("+ ") {
                Some(l) => Recorded {
                    at_ms: 0,
                    step: 0,
                    line: l.into(),
                    continuation: true,
                },
                None => {
                    let mut p = data.splitn(3, ' ');
                    let ms = p.next().unwrap().parse().unwrap();
                    let step = p.next().unwrap().parse().unwrap();
                    Recorded {
                        at_ms: ms,
                        step,
                        line: p.next().unwrap_or("").into(),
                        continuation: false,
                    }
                }
            }),
            "tick" => {
                let mut p = data.split(' ');
                let ms = p.next().unwrap().parse().unwrap();
                let n = p.next().unwrap().parse().unwrap();
                let hash = p.next().unwrap().to_string();
                self.ticks.push((ms, n, hash, self.lines.len()));
            }
            other => panic!("unknown event {other}"),
        }
    }

    /// Reads until a point at or after `events` is reported.
    fn until(&mut self, rx: &Receiver<Event>, events: u64) {
        let start = Instant::now();
        while self.ticks.last().is_none_or(|t| t.1 < events) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(e) => self.take(e),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!("the stream stopped before event {events}")
                }
            }
            assert!(start.elapsed() < Duration::from_secs(30));
        }
    }

    /// Replays the lines read up to the last point reported and checks its trace hash.
    fn check_replay(&self) {
        let (ms, n, hash, lines) = self.ticks.last().cloned().expect("a point");
        let s = etcd::scenario::parse(&self.setup).expect("the set-up parses");
        let replay = etcd::scenario::Scenario::from_recording(
            s.config,
            s.planted,
            "",
            self.lines[..lines].iter().cloned().collect(),
            (ms, n),
        );
        let (pg, outcome) = replay.run().expect("the lines replay");
        assert_eq!((pg.now(), pg.steps()), (ms, n));
        assert_eq!(
            outcome.trace_hash, hash,
            "the replay reaches the streamed hash"
        );
    }
}

fn site() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftlab-ui-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dir.join("app_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.join("sub/index.html"), "sub").unwrap();
    dir
}

#[test]
fn the_page_follows_the_served_cluster_and_its_lines_replay() {
    let dir = site();
    let printed = Arc::new(Mutex::new(Vec::<String>::new()));
    let p2 = printed.clone();
    let sink: serve::Sink = Arc::new(move |l: &str| {
        if let Ok(mut v) = p2.lock() {
            v.push(l.to_string());
        }
    });
    let server = serve::Server::start(
        serve::Config {
            nodes: 3,
            seed: 5,
            speed: 4.0,
            port: 0,
            ui: Some(dir.clone()),
            ui_port: 0,
            ..Default::default()
        },
        sink,
    )
    .expect("server starts");
    let ui = server.ui_addr().expect("the page's address");

    // The page's files, and nothing else.
    let (st, head, _) = http(ui, "GET", "/", "");
    assert_eq!(st, 302);
    assert!(
        head.contains("location: /?follow=/raftlab/follow"),
        "{head}"
    );
    let (st, head, body) = http(ui, "GET", "/?follow=/raftlab/follow", "");
    assert_eq!(
        (st, body.as_str()),
        (200, "<!doctype html><title>t</title>")
    );
    assert!(head.contains("content-type: text/html"), "{head}");
    let (st, head, _) = http(ui, "GET", "/app_bg.wasm", "");
    assert_eq!(st, 200);
    assert!(head.contains("content-type: application/wasm"), "{head}");
    assert_eq!(http(ui, "GET", "/sub/", "").2, "sub");
    for bad in ["/../Cargo.toml", "/sub/../../x", "/%2e%2e/x", "/missing.js"] {
        assert_eq!(http(ui, "GET", bad, "").0, 404, "{bad}");
    }

    let first = follow(ui);
    let mut a = Followed::default();
    a.until(&first, 0);
    assert!(
        a.setup.contains("@nodes 3") && a.setup.contains("@seed 5"),
        "{}",
        a.setup
    );

    // A client's write through a member's gateway, and a page's fault lines.
    let member = server.endpoints()[0].1;
    let mut leader = None;
    for _ in 0..400 {
        leader = server.peek(|pg| pg.cluster().leader()).flatten();
        if leader.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(leader.is_some(), "a leader");
    let (st, _, body) = http(
        member,
        "POST",
        "/v3/kv/put",
        r#"{"key":"Zm9v","value":"YmFy"}"#,
    );
    assert_eq!(st, 200, "{body}");
    let (st, _, body) = http(ui, "POST", "/raftlab/line", "partition 1 2,3");
    assert_eq!((st, body.as_str()), (200, "ok\n"));
    let (st, _, body) = http(ui, "POST", "/raftlab/line", "partition nine");
    assert_eq!(st, 400, "{body}");
    assert_eq!(body.trim().lines().count(), 1, "one line: {body}");
    assert_eq!(http(ui, "POST", "/raftlab/line", "a\nb").0, 400);
    assert_eq!(http(ui, "POST", "/raftlab/line", "record x").0, 400);

    // A second page joins: it gets what happened so far at once.
    let second = follow(ui);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(http(ui, "POST", "/raftlab/line", "heal").0, 200);
    let (st, _, body) = http(
        member,
        "POST",
        "/v3/kv/put",
        r#"{"key":"YQ==","value":"Yg=="}"#,
    );
    assert_eq!(st, 200, "{body}");
    let (st, _, status) = http(ui, "GET", "/raftlab/status", "");
    assert_eq!(st, 200);
    let status: serde_json::Value = serde_json::from_str(&status).expect("JSON");
    let events = status["events"].as_u64().expect("events");

    let mut b = Followed::default();
    a.until(&first, events);
    b.until(&second, events);
    let texts = |f: &Followed| {
        f.lines
            .iter()
            .map(|l| l.line.to_string())
            .collect::<Vec<_>>()
    };
    let lines = texts(&a);
    assert!(lines.iter().any(|l| l == "partition 1 2,3"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "heal"), "{lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("/v3/kv/put")).count(),
        2,
        "{lines:?}"
    );
    assert_eq!(
        &texts(&b)[..b.ticks.last().unwrap().3],
        &lines[..b.ticks.last().unwrap().3]
    );
    a.check_replay();
    b.check_replay();
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_folder_without_a_page_is_one_line() {
    let e = serve::Server::start(
        serve::Config {
            port: 0,
            ui: Some("/nonexistent/raftlab/dist".into()),
            ui_port: 0,
            ..Default::default()
        },
        Arc::new(|_: &str| {}),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(e.contains("./scripts/serve.sh") && !e.contains('\n'), "{e}");
}
