//! The trace hash of every built-in scenario and lesson run to its end, pinned in
//! tests/golden/scenario_hashes.txt, which the browser tests (web/e2e) check too: a scenario
//! replays to the same hash natively and in the browser. Also: a session kept with its `cancel`
//! lines records and replays exactly.
//!
//! After an intended change of behaviour, regenerate the file with
//! `RAFTLAB_BLESS=1 cargo test -p etcd --test scenario_golden`.

use etcd::scenario::{builtin, parse, record_lines, Scenario};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/golden/scenario_hashes.txt"
);

#[test]
fn builtin_scenario_hashes_match_the_golden_file() {
    let mut text = String::from(
        "# name, virtual ms at the end, trace hash: every built-in run to its end (see crates/etcd/tests/scenario_golden.rs)\n",
    );
    for (name, src) in builtin::LESSONS.iter().chain(builtin::CLASSICS) {
        let s = parse(src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (pg, outcome) = s.run().unwrap_or_else(|e| panic!("{name}: {e}"));
        text.push_str(&format!("{name} {} {}\n", pg.now(), outcome.trace_hash));
        // The browser imports through `run_recorded`: the same run.
        let (again, lines) = s.run_recorded().unwrap();
        assert_eq!(again.cluster().trace_hash(), outcome.trace_hash, "{name}");
        // ... and its export replays to the same hash, from text or directly.
        let exported = record_lines(&again, &s.title, &lines);
        let replayed = parse(&exported).unwrap().run().unwrap().1;
        assert_eq!(
            replayed.trace_hash, outcome.trace_hash,
            "{name}\n{exported}"
        );
        let direct = Scenario::from_recording(
            again.cluster().config().clone(),
            again.planted_at_start(),
            "",
            lines.iter().cloned().collect(),
            (again.now(), again.steps()),
        );
        assert_eq!(direct.run().unwrap().1.trace_hash, outcome.trace_hash);
    }
    if std::env::var_os("RAFTLAB_BLESS").is_some() {
        std::fs::write(GOLDEN, &text).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file exists");
    assert_eq!(golden, text);
}

#[test]
fn cancel_lines_are_kept_and_replayed() {
    // A keep-alive changes the trace while it runs, so cancelling it at the wrong point shows.
    let src = "@nodes 3\n@seed 5\nsleep 2s\nlease grant 5\nlease keep-alive 179c1244867daa42\nsleep 3s\ncancel\nwatch k\nput k 1\nat 9s cancel 3\nat 9500ms put k 2\n@until 14s\n";
    let s = parse(src).unwrap();
    let (pg, lines) = s.run_recorded().unwrap();
    assert_eq!(
        pg.cluster().trace_hash(),
        s.run().unwrap().1.trace_hash,
        "the same run as `run`"
    );
    let cancels: Vec<&str> = lines
        .iter()
        .filter(|l| etcd::scenario::is_cancel(&l.line))
        .map(|l| &*l.line)
        .collect();
    assert_eq!(cancels, ["cancel", "cancel 3"]);
    let text = record_lines(&pg, "cancels", &lines);
    let replayed = parse(&text).unwrap().run().unwrap().1;
    assert_eq!(replayed.trace_hash, pg.cluster().trace_hash(), "{text}");
    // Seeking into the recording: before and after the first cancel.
    let rec = Scenario::from_recording(
        pg.cluster().config().clone(),
        pg.planted_at_start(),
        "",
        lines.iter().cloned().collect(),
        (pg.now(), pg.steps()),
    );
    let straight = s.replay_until(12_000).unwrap();
    assert_eq!(
        rec.replay_until(12_000).unwrap().cluster().trace_hash(),
        straight.cluster().trace_hash()
    );
}
