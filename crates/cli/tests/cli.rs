//! The `raftlab` binary: summaries, replayable hashes, and one-line errors with exit status 2.

use std::process::Command;

fn raftlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_summary_and_hash_last() {
    let args = [
        "run",
        "--nodes",
        "5",
        "--seed",
        "42",
        "--duration",
        "20s",
        "--nemesis",
        "random",
    ];
    let (code, out, err) = raftlab(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("leaders elected:"), "{out}");
    assert!(out.contains("invariants: ok"), "{out}");
    assert!(out.contains("faults injected:"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("trace hash: "), "{last}");
    let hash = last.trim_start_matches("trace hash: ");
    assert_eq!(hash.len(), 16);
    // The CLI's run is the golden run: same hash as pinned for native and wasm.
    let golden = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/trace_hashes.txt"
    ))
    .unwrap();
    assert!(
        golden.lines().any(|l| l == format!("42 5 true {hash}")),
        "{hash} not in golden file"
    );
    // Same command, same output.
    let (_, again, _) = raftlab(&args);
    assert_eq!(out, again);
    let (_, other, _) = raftlab(&[
        "run",
        "--nodes",
        "5",
        "--seed",
        "43",
        "--duration",
        "20s",
        "--nemesis",
        "random",
    ]);
    assert_ne!(other.lines().last(), out.lines().last());
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for args in [
        vec!["run", "--nodes", "0"],
        vec!["run", "--nodes", "52"],
        vec!["run", "--bogus"],
        vec!["run", "--duration", "ten"],
        vec!["run", "--duration", "5"],
        vec!["run", "--seed", "-1"],
        vec!["run", "--election-tick", "1"],
        vec!["run", "--heartbeat-tick", "10"],
        vec!["fly"],
        vec!["bench", "--nodes", "0"],
        // A scenario's header sets nodes, seed and options: run flags are refused with it.
        vec!["run", "--scenario", "split-vote", "--nodes", "7"],
        vec!["run", "--scenario", "split-vote", "--seed", "9"],
        vec!["run", "--scenario", "split-vote", "--nemesis", "random"],
    ] {
        let (code, out, err) = raftlab(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("raftlab: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_run_flag_with_a_scenario_is_named() {
    let (code, _, err) = raftlab(&["run", "--scenario", "split-vote", "--seed", "9"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--scenario") && err.contains("--seed"),
        "{err}"
    );
    let (code, out, _) = raftlab(&["run", "--scenario", "split-vote"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn help_exits_zero() {
    let (code, out, _) = raftlab(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("run"));
}
