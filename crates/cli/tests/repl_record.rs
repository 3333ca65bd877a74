//! `raftlab repl --record FILE`: the session, kept as the page keeps it, written as a scenario
//! that `raftlab run --scenario` replays to the trace hash the repl reached; `help` and `cancel`
//! answered as the page answers them.

use std::io::Write;
use std::process::{Command, Stdio};

fn raftlab(args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("finishes");
    writer.join().expect("writer");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_recorded_repl_session_replays_to_its_trace_hash() {
    let dir = std::env::temp_dir().join(format!("raftlab-repl-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.scenario");
    let file = path.to_str().unwrap();
    let input = "put a 1\nwatch a\nput a 2\ncancel\ncancel 9\nhelp\ncrash leader\nrun 3s\nput a 3\ntick 5\nget a\n";
    let (code, out) = raftlab(
        &["repl", "--nodes", "5", "--seed", "4", "--record", file],
        input,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PUT\na\n2\n"), "{out}");
    assert!(out.contains("Error: no such running command"), "{out}");
    assert!(out.contains("etcdctl commands"), "{out}");
    assert!(out.ends_with("a\n3\n"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    for line in ["watch a", "cancel", "cancel 9", "run 3s", "tick 5"] {
        assert!(
            text.lines().any(|l| l.ends_with(&format!(" {line}"))),
            "{line} is recorded:\n{text}"
        );
    }
    let want = text
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("# trace hash "))
        .and_then(|l| l.split(' ').next())
        .expect("the recording names its trace hash")
        .to_string();
    let (code, replayed) = raftlab(&["run", "--scenario", file], "");
    assert_eq!(code, 0, "{replayed}");
    assert!(
        replayed.contains(&format!("trace hash: {want}")),
        "{want}\n{replayed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_that_cannot_be_written_is_one_line_and_exit_2() {
    let (code, out) = raftlab(
        &["repl", "--record", "/nonexistent-dir/s.scenario"],
        "put a 1\n",
    );
    assert_eq!((code, out.as_str()), (2, "OK\n"));
}
