//! The Python `etcd3` client (PyPI `etcd3` 0.12 with `protobuf<3.21` and `grpcio`, installed
//! by `scripts/lib.sh`'s `ensure_py_etcd3` into $RAFTLAB_PY_ETCD3_DIR, default
//! ~/.cache/raftlab/py-etcd3) against `raftlab serve`: the article's example
//! (`tests/python/article.py`). Without that Python (or a python3 that imports etcd3) the test
//! says why and skips; `scripts/test.sh` installs it, so CI runs it. The session replays.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A Python that imports `etcd3`.
fn python() -> Option<PathBuf> {
    let dir = std::env::var_os("RAFTLAB_PY_ETCD3_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/raftlab/py-etcd3"))
        });
    let mut candidates: Vec<PathBuf> = dir.map(|d| d.join("bin/python")).into_iter().collect();
    candidates.push(PathBuf::from("python3"));
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import etcd3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn the_articles_python_example() {
    let Some(py) = python() else {
        eprintln!(
            "skipped: no Python with the etcd3 package (scripts/lib.sh's ensure_py_etcd3 installs it)"
        );
        return;
    };
    let s = common::start(41, 2.0);
    let leader = s.leader();
    let addr = s
        .server
        .endpoints()
        .iter()
        .find(|(n, _)| *n == leader)
        .map(|(_, a)| *a)
        .expect("the leader's address");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/article.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the Python example did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    let expected = [
        "get dooot /key 1",
        "prefix /prefix/a=1 /prefix/b=2",
        "watch PutEvent /watched hello",
        "txn True dot",
        "lease 10 True ['/leased']",
        "revoked None",
        "locked True",
        "unlocked False",
        "deleted None",
        "status 3.5.1 True",
        "members 3",
    ];
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(got, expected, "stderr:\n{stderr}");
    s.check_replay();
}
