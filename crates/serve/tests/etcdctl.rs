//! Real `etcdctl` 3.5.1 and `curl` against `raftlab serve`: the article's commands, unchanged
//! but for the endpoints. etcdctl comes from `ensure_etcd` in scripts/lib.sh
//! ($RAFTLAB_ETCD_DIR, default ~/.cache/raftlab/etcd-3.5.1); without it (or without curl) the
//! test says so and checks nothing else.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn etcdctl_path() -> Option<PathBuf> {
    let dir = std::env::var("RAFTLAB_ETCD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/raftlab/etcd-3.5.1")
        });
    let p = dir.join("etcdctl");
    p.exists().then_some(p)
}

struct Ctl {
    bin: PathBuf,
    endpoint: String,
}

impl Ctl {
    /// Runs etcdctl with `args`; returns (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(&self.bin)
            .arg(format!("--endpoints={}", self.endpoint))
            .args(args)
            .env("ETCDCTL_API", "3")
            .output()
            .expect("etcdctl runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "etcdctl {args:?} failed: {out}{err}");
        out
    }
}

#[test]
fn etcdctl_runs_the_articles_commands() {
    let Some(bin) = etcdctl_path() else {
        eprintln!("skipped: no etcdctl 3.5.1 (scripts/lib.sh ensure_etcd installs it)");
        return;
    };
    let s = common::start(5, 2.0);
    let leader = s.leader();
    let ctl = Ctl {
        bin,
        endpoint: s.url(leader),
    };
    assert_eq!(ctl.ok(&["put", "foo", "bar"]), "OK\n");
    assert_eq!(ctl.ok(&["put", "foo2", "bar2"]), "OK\n");
    assert_eq!(ctl.ok(&["get", "foo"]), "foo\nbar\n");
    assert_eq!(
        ctl.ok(&["get", "--prefix", "foo"]),
        "foo\nbar\nfoo2\nbar2\n"
    );
    assert_eq!(ctl.ok(&["del", "foo2"]), "1\n");
    // watch: started in the background, then a put it must print.
    let mut watch = Command::new(&ctl.bin)
        .arg(format!("--endpoints={}", ctl.endpoint))
        .args(["watch", "foo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("etcdctl watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    // The watch may start after the put: put until it prints (bounded).
    let mut printed = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.by_ref().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    for i in 0..20 {
        ctl.ok(&["put", "foo", &format!("v{i}")]);
        if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
            printed.push(l);
            while let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
                printed.push(l);
            }
            break;
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    assert_eq!(
        printed.first().map(String::as_str),
        Some("PUT"),
        "{printed:?}"
    );
    assert_eq!(
        printed.get(1).map(String::as_str),
        Some("foo"),
        "{printed:?}"
    );
    // lease grant, put --lease, keep-alive --once.
    let out = ctl.ok(&["lease", "grant", "60"]);
    let id = out
        .split_whitespace()
        .nth(1)
        .expect("lease <id> granted with TTL(60s)")
        .to_string();
    assert!(out.ends_with("granted with TTL(60s)\n"), "{out}");
    assert_eq!(ctl.ok(&["put", "--lease", &id, "leased", "x"]), "OK\n");
    let ka = ctl.ok(&["lease", "keep-alive", "--once", &id]);
    assert_eq!(ka, format!("lease {id} keepalived with TTL(60)\n"));
    let ttl = ctl.ok(&["lease", "timetolive", &id, "--keys"]);
    assert!(ttl.contains("attached keys([leased])"), "{ttl}");
    // endpoint health and status against every member.
    let all: Vec<String> = (1..=3).map(|n| s.url(n)).collect();
    let ctl_all = Ctl {
        bin: ctl.bin.clone(),
        endpoint: all.join(","),
    };
    let health = ctl_all.ok(&["endpoint", "health"]);
    assert_eq!(health.matches("is healthy").count(), 3, "{health}");
    let table = ctl_all.ok(&["endpoint", "status", "--write-out=table"]);
    assert!(table.contains("IS LEADER"), "{table}");
    assert_eq!(table.matches("|   3.5.1 |").count(), 3, "{table}");
    assert_eq!(
        table.matches("|      true |").count(),
        1,
        "one leader: {table}"
    );
    let members = ctl.ok(&["member", "list"]);
    assert_eq!(members.lines().count(), 3, "{members}");
    for url in &all {
        assert!(
            members.contains(url.as_str()),
            "client URLs are the served ones: {members}"
        );
    }
    // etcdctl member update, as against etcd 3.5.1: `Member <%16x> updated in cluster <%16x>`.
    let id = members
        .lines()
        .next()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let out = ctl.ok(&[
        "member",
        "update",
        &id,
        "--peer-urls=http://127.0.0.1:42390",
    ]);
    assert!(
        out.starts_with(&format!("Member {id:>16} updated in cluster ")),
        "{out}"
    );
    let members = ctl.ok(&["member", "list"]);
    assert!(
        members
            .lines()
            .any(|l| l.starts_with(&id) && l.contains(", http://127.0.0.1:42390, ")),
        "{members}"
    );
    let (ok, _, err) = ctl.run(&["member", "update", &id, "--peer-urls=notaurl"]);
    assert!(!ok);
    assert!(
        err.contains("Error: URL scheme must be http, https, unix, or unixs: notaurl"),
        "{err}"
    );
    s.check_replay();
}

#[test]
fn curl_lines_against_the_gateway() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipped: no curl");
        return;
    }
    let s = common::start(6, 2.0);
    let leader = s.leader();
    let url = s.url(leader);
    let curl = |args: &[&str]| -> String {
        let out = Command::new("curl").args(args).output().expect("curl runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The article's lines, unchanged but for the address.
    let put = curl(&[
        "-L",
        &format!("{url}/v3/kv/put"),
        "-X",
        "POST",
        "-d",
        r#"{"key": "Zm9v", "value": "YmFy"}"#,
    ]);
    assert!(put.contains("\"revision\""), "{put}");
    let range = curl(&[
        "-L",
        &format!("{url}/v3/kv/range"),
        "-X",
        "POST",
        "-d",
        r#"{"key": "Zm9v"}"#,
    ]);
    let v: serde_json::Value = serde_json::from_str(&range).expect("JSON");
    assert_eq!(v["kvs"][0]["value"], "YmFy");
    assert_eq!(v["count"], "1");
    let grant = curl(&[
        "-L",
        &format!("{url}/v3/lease/grant"),
        "-X",
        "POST",
        "-d",
        r#"{"TTL": 30}"#,
    ]);
    let g: serde_json::Value = serde_json::from_str(&grant).expect("JSON");
    assert_eq!(g["TTL"], "30");
    let status = curl(&[
        "-L",
        &format!("{url}/v3/maintenance/status"),
        "-X",
        "POST",
        "-d",
        "{}",
    ]);
    let st: serde_json::Value = serde_json::from_str(&status).expect("JSON");
    assert_eq!(st["version"], "3.5.1");
    let del = curl(&[
        "-L",
        &format!("{url}/v3/kv/deleterange"),
        "-X",
        "POST",
        "-d",
        r#"{"key": "Zm9v"}"#,
    ]);
    assert!(del.contains("\"deleted\":\"1\""), "{del}");
    assert_eq!(
        curl(&["-s", &format!("{url}/health")]).trim(),
        r#"{"health":"true","reason":""}"#
    );
    assert!(curl(&["-s", &format!("{url}/version")]).contains("\"etcdserver\":\"3.5.1\""));
    // Malformed JSON: etcd's error and code, with HTTP 400, and the server goes on serving.
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{url}/v3/kv/put"),
            "-d",
            "{nope",
        ])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "400");
    let bad = curl(&["-s", &format!("{url}/v3/kv/put"), "-d", "{nope"]);
    assert!(bad.contains("\"code\":3"), "{bad}");
    let again = curl(&[
        "-s",
        &format!("{url}/v3/kv/range"),
        "-d",
        r#"{"key": "Zm9v"}"#,
    ]);
    assert!(again.contains("\"header\""), "{again}");
    s.check_replay();
}
