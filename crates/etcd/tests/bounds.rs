//! The bound on a scenario's work: what asks for too much is refused by the parser with its line
//! number before anything runs; what only turns out to be too much as it runs stops at the
//! bound with its line number; every built-in lesson stays far inside it.

use etcd::scenario::bound::{MAX_EVENTS, MAX_VIRTUAL_MS};
use etcd::scenario::{builtin, parse, parse_file, share, MAX_SCENARIO_BYTES};

/// The link from the issue: `@nodes 3`, `put a 1`, `@until 100000h`.
const FREEZING_LINK: &str = "#s=c8jLT0ktVjDmKigtUUhUMORyKM0rycxRMDQAgQwuAA";

fn refused(text: &str) -> (usize, String) {
    let e = parse(text).expect_err("refused");
    (e.line, e.to_string())
}

#[test]
fn the_links_from_the_issue_are_refused_with_their_line() {
    let text = share::decode(FREEZING_LINK).unwrap();
    assert!(text.contains("@until 100000h"), "{text}");
    let (line, e) = refused(&text);
    assert_eq!(line, 3, "{e}");
    assert_eq!(
        e,
        "scenario line 3: time 100000h is past the 2h of virtual time a scenario may cover"
    );
    let (line, e) = refused("@nodes 3\nat 1s@18446744073709551615 put a 1\n");
    assert_eq!(line, 2, "{e}");
    assert!(
        e.contains("event count 18446744073709551615 is past the 20000000 events"),
        "{e}"
    );
}

#[test]
fn many_small_waits_are_refused_at_the_line_that_goes_past_the_bound() {
    // 12 lines of 10 minutes are the whole 2 hours; the 13th goes past it.
    for line in ["sleep 10m", "run 10m", "tick 6000"] {
        let text = format!("{line}\n").repeat(MAX_SCENARIO_BYTES / (line.len() + 1));
        let (n, e) = refused(&text);
        assert_eq!(n, 13, "{line}: {e}");
        assert!(e.contains("more than the 2h a scenario may cover"), "{e}");
        assert!(e.contains("2h10m"), "{e}");
    }
    // With a slower tick, fewer ticks reach the bound.
    let (n, _) = refused(&"@option tick=1s\ntick 6000\ntick 6000\n".repeat(2));
    assert_eq!(n, 3);
    // Timed lines count from their own time: `at` past the bound is refused, within it not.
    assert_eq!(refused("at 2h1s put a 1\n").0, 1);
    let (n, e) = refused("at 1h put a 1\nrun 10m\nat 115m put a 2\nsleep 10m\n");
    assert_eq!(n, 4, "{e}");
    assert!(parse("at 1h put a 1\nat 119m sleep 10m\n@until 2h\n").is_ok());
    assert_eq!(refused("@until 7201s\n").0, 1);
    assert_eq!(refused("@until 1s@20000001\n").0, 1);
}

#[test]
fn exactly_the_bound_is_accepted() {
    let s = parse(&"run 10m\n".repeat(12)).unwrap();
    assert_eq!(s.steps[0].lines.len(), 12);
    assert!(parse(&format!("@until {}ms@{MAX_EVENTS}\n", MAX_VIRTUAL_MS)).is_ok());
}

#[test]
fn files_on_the_command_line_may_be_larger_than_a_link_but_not_longer() {
    // An hour recorded with a line every 100 ms: over 1 MiB, too large for a link.
    let mut text = String::from("@nodes 3\n@seed 1\n");
    for i in 0..36_000u64 {
        text.push_str(&format!(
            "at {}ms@{} put k{} v{i}\n",
            i * 100,
            i * 40,
            i % 7
        ));
    }
    text.push_str("@until 1h\n");
    assert!(text.len() > MAX_SCENARIO_BYTES);
    assert_eq!(parse(&text).unwrap_err().line, 0);
    let s = parse_file(&text).unwrap();
    assert_eq!(s.steps[0].lines.len(), 36_000);
    // The same work bound applies to files.
    text.push_str("at 3h put a 1\n");
    assert_eq!(parse_file(&text).unwrap_err().line, 36_004);
}

#[test]
fn a_run_that_goes_past_the_bound_stops_with_the_line() {
    // The parser cannot know that these event counts are reached only hours later: `at 1s@N`
    // waits for N events, which three idle members take far longer than 2 h to produce.
    let s = parse(&format!(
        "@nodes 3\nput a 1\nat 1s@{MAX_EVENTS} put b 2\nget a\n"
    ))
    .unwrap();
    let e = s.run().map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        e,
        "scenario line 3: the run went past the 2h of virtual time a scenario may cover"
    );
    // The page's import replays the same way (and stops the same way).
    assert!(s.run_recorded().is_err());
}

#[test]
fn every_built_in_scenario_stays_far_inside_the_bound() {
    let (mut max_ms, mut max_events) = (0, 0);
    for (name, text) in builtin::LESSONS.iter().chain(builtin::CLASSICS) {
        let s = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (pg, _) = s.run().unwrap_or_else(|e| panic!("{name}: {e}"));
        max_ms = max_ms.max(pg.now());
        max_events = max_events.max(pg.steps());
    }
    println!("longest built-in scenario: {max_ms} ms, most events: {max_events}");
    assert!(max_ms < MAX_VIRTUAL_MS / 10, "{max_ms}");
    assert!(max_events < MAX_EVENTS / 10, "{max_events}");
}

/// The figures the bound is derived from: events in a recorded hour (a put every second, a
/// fault every ten minutes) on 5 and on 51 members.
/// `cargo test --release -p etcd --test bounds -- --ignored --nocapture`
#[test]
#[ignore]
fn events_in_a_recorded_hour() {
    for nodes in [5, 51] {
        let mut text = format!("@nodes {nodes}\n@seed 1\n");
        for s in 0..3_600u64 {
            text.push_str(&format!("at {}ms put k{} v{s}\n", s * 1_000 + 500, s % 10));
            if s % 600 == 300 {
                text.push_str(&format!("at {}ms crash leader\n", s * 1_000 + 700));
                text.push_str(&format!("at {}ms restart crashed\n", s * 1_000 + 900));
            }
        }
        text.push_str("@until 1h\n");
        let t = std::time::Instant::now();
        let (pg, _) = parse_file(&text).unwrap().run().unwrap();
        println!(
            "{nodes} members, an hour: {} events, {:.1} s",
            pg.steps(),
            t.elapsed().as_secs_f64()
        );
    }
}
