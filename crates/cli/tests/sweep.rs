//! `raftlab sweep`: same seeds, same verdicts (whatever the number of jobs); one-line errors.

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

/// The verdict lines (per seed and the table), without wall-clock figures or file paths.
fn verdicts(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with("wall ") && !l.trim_start().starts_with("wrote "))
        .map(str::to_string)
        .collect()
}

#[test]
fn same_seeds_same_verdicts() {
    let dir = std::env::temp_dir().join(format!("raftlab-sweep-test-{}", std::process::id()));
    let dir = dir.to_string_lossy().into_owned();
    let args = |jobs: &'static str| {
        vec![
            "sweep",
            "--seeds",
            "40",
            "--from",
            "7",
            "--nodes",
            "3",
            "--workload",
            "watch",
            "--list",
            "--jobs",
            jobs,
            "--out",
            &dir,
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<String>>()
    };
    let run = |jobs| {
        let a = args(jobs);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        raftlab(&a)
    };
    let (c1, o1, e1) = run("2");
    let (c2, o2, _) = run("2");
    let (c3, o3, _) = run("1");
    assert!(c1 == 0 || c1 == 1, "{e1}");
    assert_eq!((c1, verdicts(&o1)), (c2, verdicts(&o2)));
    assert_eq!((c1, verdicts(&o1)), (c3, verdicts(&o3)));
    assert!(
        o1.lines().filter(|l| l.starts_with("seed ")).count() >= 40,
        "{o1}"
    );
    assert!(o1.contains("checker"), "{o1}");
    assert!(o1.contains("linearizability"), "{o1}");
    assert!(o1.contains("seeds/s"), "{o1}");
    if c1 == 1 {
        // A failing seed prints its replay command and writes its files.
        assert!(
            o1.contains("replay: raftlab sweep --seeds 1 --from "),
            "{o1}"
        );
        assert!(o1.contains(".history.jsonl"), "{o1}");
        assert!(o1.contains(".html"), "{o1}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lock_sweep_reports_expected_anomalies_without_failing() {
    let (code, out, err) = raftlab(&[
        "sweep",
        "--seeds",
        "60",
        "--workload",
        "lock",
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("lock "), "{out}");
    assert!(out.contains("verdict: ok"), "{out}");
}

#[test]
fn bad_arguments_get_one_line_and_status_2() {
    for args in [
        &["sweep", "--nodes", "4"][..],
        &["sweep", "--workload", "bank"][..],
        &["sweep", "--seeds", "0"][..],
        &["sweep", "--duration", "soon"][..],
    ] {
        let (code, out, err) = raftlab(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("raftlab: "), "{err}");
    }
}
