//! The `raftlab` binary on awkward input. `raftlab repl`: a line that is not UTF-8 is refused
//! alone and the session goes on; a txn left open at the end of the input gets etcdctl's
//! `Error: EOF`; a line too long to be a command is refused alone. `raftlab run --scenario`: a
//! file that asks for more work than a scenario may do is refused with its line number (exit 2),
//! without running.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `raftlab repl --echo` on `input`: (exit status, stdout, stderr).
fn repl(input: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(["repl", "--nodes", "3", "--seed", "1", "--echo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("finishes");
    writer.join().expect("writer");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_line_that_is_not_utf8_is_refused_and_the_session_goes_on() {
    let (code, out, err) = repl(b"put a 1\n\xff\nget a\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "> put a 1\nOK\n> \u{fffd}\nError: input line 2 is not UTF-8 text; the line is ignored\n> get a\na\n1\n"
    );
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_txn_open_at_the_end_of_input_prints_etcdctls_eof_error() {
    let (code, out, err) = repl(b"put a 1\ntxn\nvalue(\"a\") = \"1\"\n\nput b 2\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("> put b 2\nError: EOF\n"), "{out}");
    // Nothing of the unfinished txn ran.
    let (_, out, _) = repl(b"txn\n\nput b 2\n");
    assert!(out.ends_with("Error: EOF\n"), "{out}");
    assert!(!out.contains("SUCCESS") && !out.contains("OK"), "{out}");
    // A finished txn is no EOF error.
    let (_, out, _) = repl(b"txn\n\nput b 2\n\n\n");
    assert!(out.contains("SUCCESS") && !out.contains("EOF"), "{out}");
}

#[test]
fn a_line_too_long_to_be_a_command_is_refused_alone() {
    let mut input = b"put a 1\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 9 << 20));
    input.extend(b"\nget a\n");
    let (code, out, err) = repl(&input);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "Error: input line 2 is longer than 8 MiB; the line is ignored\n> get a\na\n1\n"
        ),
        "{}",
        &out[..out.len().min(300)]
    );
}

/// Runs `raftlab run --scenario` on `text` (written to a file): (exit status, stderr). A run
/// still going after a minute counts as hung (the refusals take milliseconds).
fn run_scenario(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("raftlab-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(["run", "--scenario", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("raftlab run --scenario {name} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let _ = std::fs::remove_file(&path);
    (status.code().unwrap_or(-1), err)
}

#[test]
fn scenarios_that_ask_for_too_much_are_refused_with_their_line() {
    let cases = [
        (
            "until.txt",
            "@nodes 3\nput a 1\n@until 100000h\n".to_string(),
            3,
        ),
        (
            "events.txt",
            "@nodes 3\nat 1s@18446744073709551615 put a 1\n".to_string(),
            2,
        ),
        ("sleeps.txt", "sleep 10m\n".repeat(20_000), 13),
        ("runs.txt", "run 10m\n".repeat(20_000), 13),
    ];
    for (name, text, line) in cases {
        let (code, err) = run_scenario(name, &text);
        assert_eq!(code, 2, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains(&format!("scenario line {line}: ")),
            "{name}: {err}"
        );
    }
}
