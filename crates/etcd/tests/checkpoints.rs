//! Time travel by checkpoints: a seek that resumes from a checkpoint lands in exactly the state
//! of a replay from the start (trace hash and kept trace events, console output, command
//! outputs, views), for several seeds, goals in time and in events, a session with faults,
//! watches, leases, a txn and a cancel, and checkpoints taken by a replay or by a live run.

use std::sync::Arc;

use etcd::playground::Recorded;
use etcd::scenario::{parse, Checkpoint, Checkpoints, Goal, Replay, Scenario};
use etcd::Playground;

/// Everything a view or the console reads from a playground.
fn state(pg: &Playground) -> String {
    let c = pg.cluster();
    let trace: Vec<String> = c.trace().events().map(|e| format!("{e:?}")).collect();
    let log: Vec<String> = pg.log_since(0).map(|l| format!("{l:?}")).collect();
    format!(
        "{} {} {} {}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{}\n{}",
        pg.now(),
        pg.steps(),
        c.trace_hash(),
        c.trace().total(),
        c.view(),
        pg.outputs().collect::<Vec<_>>(),
        pg.watches(),
        pg.leases(),
        pg.given(),
        log.join("\n"),
        trace.join("\n")
    )
}

fn run(mut r: Replay) -> Playground {
    while !r.advance(97).unwrap() {}
    r.finish().0
}

fn session(seed: u64) -> String {
    format!(
        "@nodes 5\n@seed {seed}\n\
         at 2000ms put a 1\n\
         at 2100ms watch a --prev-kv\n\
         at 2200ms lease grant 5\n\
         at 2600ms put a 2\n\
         at 3000ms partition leader\n\
         at 5500ms put b 1\n\
         at 6000ms heal\n\
         at 6500ms cancel 2\n\
         at 7000ms txn\n\
         value(\"a\") = \"2\"\n\
         \n\
         put c 3\n\
         \n\
         put c 4\n\
         \n\
         at 8000ms crash leader\n\
         at 9000ms put d 1\n\
         at 11000ms restart crashed\n\
         at 12000ms lease grant 3\n\
         at 12500ms lock mylock\n\
         at 14000ms put e 1\n\
         @until 20000ms\n"
    )
}

fn goals() -> Vec<Goal> {
    let mut g: Vec<Goal> = (0..=42)
        .map(|i| Goal::Time(i * 500 + 13 * (i % 3)))
        .collect();
    g.extend([2000, 2100, 7000, 20_000, 25_000].map(Goal::Time));
    g.extend((0..30).map(|i| Goal::Step(i * 737 + 5)));
    g.push(Goal::End);
    g
}

/// Every goal, from the checkpoints and from the start, lands in the same state.
fn compare(s: &Arc<Scenario>, kept: &Checkpoints) -> usize {
    let mut resumed = 0;
    for goal in goals() {
        let direct = run(Replay::shared(s.clone(), goal).unwrap());
        let Some(r) = kept.replay(s, goal) else {
            continue;
        };
        resumed += 1;
        assert_eq!(state(&run(r)), state(&direct), "{goal:?}");
    }
    resumed
}

#[test]
fn seeks_from_checkpoints_land_where_a_replay_from_the_start_does() {
    for seed in [1, 7, 42] {
        let s = Arc::new(parse(&session(seed)).unwrap());
        let mut r = Replay::shared(s.clone(), Goal::End).unwrap();
        r.keep_checkpoints(100);
        while !r.advance(61).unwrap() {}
        let mut kept = Checkpoints::new(100, 1000);
        kept.extend(r.take_checkpoints());
        assert!(kept.len() > 10, "{} checkpoints", kept.len());
        let resumed = compare(&s, &kept);
        assert!(resumed > 60, "seed {seed}: {resumed} goals resumed");
        // Thinned to a few, still exact.
        let mut few = Checkpoints::new(100, 4);
        few.extend(kept.iter().cloned());
        assert!(few.len() <= 4 && few.every() > 100);
        compare(&s, &few);
    }
}

#[test]
fn a_replay_to_a_point_keeps_checkpoints_that_serve_other_points() {
    let s = Arc::new(parse(&session(3)).unwrap());
    let mut r = Replay::shared(s.clone(), Goal::Time(9_000)).unwrap();
    r.keep_checkpoints(200);
    while !r.advance(50).unwrap() {}
    let mut kept = Checkpoints::new(200, 100);
    kept.extend(r.take_checkpoints());
    assert!(compare(&s, &kept) > 40);
}

/// A live run (lines given as time runs: events run in frames and single steps, lines at
/// whatever point, `run_until` only right before a line, as `raftlab serve` does) with a
/// checkpoint before some of its lines; its recording replays from those checkpoints exactly
/// as from the start.
#[test]
fn checkpoints_of_a_live_run_serve_its_recording() {
    for seed in [2, 5, 11] {
        let text = session(seed);
        let script: Vec<(u64, &str)> = text
            .lines()
            .skip(2)
            .filter(|l| !l.starts_with('@'))
            .scan(0, |at, l| {
                if let Some(rest) = l.strip_prefix("at ") {
                    let (ms, line) = rest.split_once("ms ").unwrap();
                    *at = ms.parse().unwrap();
                    Some((*at, line))
                } else {
                    Some((*at, l))
                }
            })
            .collect();
        let s0 = parse(&text).unwrap();
        let mut pg = s0.start().unwrap();
        let mut lines: imbl::Vector<Recorded> = imbl::Vector::new();
        let mut kept = Checkpoints::new(1, 1000);
        let mut frame = 0;
        for (i, (at, line)) in script.iter().enumerate() {
            // Frames of 16 ms up to the line's time, some of them single steps.
            while pg.now() + 16 < *at {
                frame += 1;
                if frame % 7 == 0 {
                    pg.step().unwrap();
                } else {
                    let t = pg.now() + 16;
                    while pg.next_time() <= t {
                        pg.step().unwrap();
                    }
                }
            }
            if !pg.needs_more() {
                pg.run_until(*at).unwrap();
                if i % 2 == 0 {
                    kept.add(Checkpoint::before_line(&pg, &lines));
                }
            }
            if etcd::scenario::is_cancel(line) {
                lines.push_back(Recorded {
                    at_ms: pg.now(),
                    step: pg.steps(),
                    line: (*line).into(),
                    continuation: false,
                });
                pg.cancel_line(line);
            } else {
                let before = pg.given().len();
                pg.exec(line);
                lines.extend(pg.given_since(before).cloned());
            }
        }
        pg.run_until(20_000).unwrap();
        let lines: Vec<Recorded> = lines.into_iter().collect();
        let s = Arc::new(Scenario::from_recording(
            pg.cluster().config().clone(),
            pg.planted_at_start(),
            "",
            lines.iter().cloned().collect(),
            (pg.now(), pg.steps()),
        ));
        let end = run(Replay::shared(s.clone(), Goal::End).unwrap());
        assert_eq!(end.cluster().trace_hash(), pg.cluster().trace_hash());
        assert!(kept.len() > 5);
        assert!(compare(&s, &kept) > 60, "seed {seed}");
    }
}
