//! The engine's tests: sessions, moves in them, imports.

use super::*;
use crate::planted::PlantedBugs;

fn session_of_5() -> Session {
    Session::new(ClusterConfig::new(5, 7), PlantedBugs::NONE).unwrap()
}

fn run(e: &mut Session, line: &str, ms: u64) -> CommandOutput {
    let id = e.exec(line).expect("a command");
    let t = e.now() + ms;
    e.run_until(t).unwrap();
    e.output(id).unwrap().clone()
}

#[test]
fn put_get_and_faults() {
    let mut e = session_of_5();
    e.run_until(4_000).unwrap();
    assert!(e.cluster().leader().is_some());
    let o = run(&mut e, "put foo bar", 1_000);
    assert_eq!((o.state, o.text.as_str()), (CommandState::Done, "OK\n"));
    let o = run(&mut e, "get foo", 1_000);
    assert_eq!(o.text, "foo\nbar\n");
    let l = e.cluster().leader().unwrap();
    let o = run(&mut e, &format!("crash {l}"), 5_000);
    assert_eq!(o.state, CommandState::Done);
    assert_ne!(e.cluster().leader(), Some(l));
    let o = run(&mut e, "crash x", 0);
    assert_eq!(o.state, CommandState::Failed);
}

/// Replays exported text from scratch (as an import does) and returns its trace hash.
fn replay_hash(text: &str) -> String {
    let e = Session::replay(&Session::parse(text).unwrap()).unwrap();
    e.cluster().trace_hash()
}

#[test]
fn sessions_export_seek_step_back_and_fork() {
    let mut e = session_of_5();
    e.run_until(3_000).unwrap();
    run(&mut e, "put a 1", 500);
    let w = e.exec("watch a").unwrap();
    e.run_until(4_200).unwrap();
    let at_5s = {
        run(&mut e, "partition leader", 800);
        e.run_until(5_000).unwrap();
        e.cluster().trace_hash()
    };
    assert!(e.cancel(w), "the watch was running");
    run(&mut e, "heal", 2_000);
    for _ in 0..7 {
        e.step().unwrap();
    }
    let end = (e.cluster().trace_hash(), e.now(), e.cluster().view().nodes);
    let text = e.export("t");
    assert!(text.contains(&format!("cancel {w}")), "{text}");
    assert_eq!(replay_hash(&text), end.0, "{text}");

    // At the end, seeking to the end or beyond changes nothing.
    e.seek(end.1).unwrap();
    e.seek(u64::MAX).unwrap();
    assert!(!e.point().in_past);
    assert_eq!(e.cluster().trace_hash(), end.0);
    let printed = e.printed();

    // Seek back: a straight run to 5 s; the future is kept and comes back exactly.
    e.seek(5_000).unwrap();
    assert_eq!((e.now(), e.cluster().trace_hash()), (5_000, at_5s.clone()));
    assert!(e.point().in_past);
    assert_eq!(e.point().end_ms, end.1);
    assert_eq!(
        replay_hash(&e.export("t")),
        end.0,
        "export keeps the future"
    );
    e.seek(u64::MAX).unwrap();
    assert_eq!(e.cluster().trace_hash(), end.0);
    assert_eq!(e.cluster().view().nodes, end.2);
    assert!(!e.point().in_past);
    assert_eq!(
        e.printed(),
        printed,
        "the end's own playground, console and all"
    );
    // Again, through a point in between: the end comes back each time.
    e.seek(4_000).unwrap();
    e.seek(6_000).unwrap();
    e.seek(end.1).unwrap();
    assert_eq!((e.now(), e.cluster().trace_hash()), (end.1, end.0.clone()));
    assert!(!e.point().in_past);

    // Step back one event, then again.
    let n = e.cluster().stats().events;
    e.step_back().unwrap();
    e.step_back().unwrap();
    assert!(e.point().in_past);
    assert!(e.cluster().stats().events < n);
    assert!(e.now() > 7_000, "still after every line");

    // Fork at 5 s: the session becomes the past up to 5 s plus new lines.
    e.seek(5_000).unwrap();
    run(&mut e, "put b 2", 1_000);
    assert!(!e.point().in_past);
    let forked = e.export("fork");
    assert!(!forked.contains(&format!("cancel {w}")), "{forked}");
    assert!(forked.contains("put b 2"));
    assert_eq!(replay_hash(&forked), e.cluster().trace_hash(), "{forked}");
}

/// A session of a few lines, ending at 9 s.
fn session() -> Session {
    let mut e = session_of_5();
    e.run_until(3_000).unwrap();
    run(&mut e, "put a 1", 500);
    let w = e.exec("watch a").unwrap();
    run(&mut e, "partition leader", 1_500);
    assert!(e.cancel(w));
    run(&mut e, "heal", 3_500);
    e
}

/// Runs a planned move in slices of a few events, as the page does.
fn in_slices(e: &mut Session, m: Move) {
    match m {
        Move::Replay(mut r) => {
            let mut slices = 0;
            while !r.advance(16).unwrap() {
                slices += 1;
            }
            assert!(slices > 3, "{slices} slices");
            e.arrive(*r);
        }
        Move::Now(goal) => e.arrive_at(goal, None),
        Move::Stay => {}
    }
}

#[test]
fn moves_and_imports_in_slices_land_where_one_go_does() {
    let (mut a, mut b) = (session(), session());
    let end = (a.now(), a.cluster().trace_hash());
    let planned = a.plan_seek(5_000).unwrap();
    in_slices(&mut a, planned);
    b.seek(5_000).unwrap();
    assert_eq!(
        (a.now(), a.cluster().trace_hash()),
        (5_000, b.cluster().trace_hash())
    );
    assert_eq!(a.lines(), b.lines());
    assert_eq!(a.point(), b.point());
    let planned = a.plan_step_back().unwrap();
    in_slices(&mut a, planned);
    b.step_back().unwrap();
    assert_eq!(a.cluster().trace_hash(), b.cluster().trace_hash());
    // Back to the end: the end's own playground, at once.
    let planned = a.plan_seek(u64::MAX).unwrap();
    assert!(matches!(planned, Move::Now(Goal::End)));
    in_slices(&mut a, planned);
    assert_eq!((a.now(), a.cluster().trace_hash()), end);
    assert!(!a.point().in_past);
    // An import in slices is the same run as the exported session.
    let text = a.export("t");
    let mut r = Session::start_import(&Session::parse(&text).unwrap()).unwrap();
    while !r.advance(100).unwrap() {}
    let imported = Session::from_replay(r);
    assert_eq!(imported.cluster().trace_hash(), end.1);
    assert_eq!(imported.export("t"), text);
}

#[test]
fn imports_report_the_line() {
    let err = Session::parse("@nodes 5\nfly away\n").err().unwrap();
    assert!(err.starts_with("scenario line 2:"), "{err}");
    let err = Session::parse("@nodes 52\n").err().unwrap();
    assert!(err.contains("line 1") && err.contains("51"), "{err}");
}

#[test]
fn help_and_watches() {
    let mut e = session_of_5();
    let id = e.exec("help").unwrap();
    assert!(e.output(id).unwrap().text.contains("partition"));
    e.run_until(4_000).unwrap();
    let w = e.exec("watch k").unwrap();
    run(&mut e, "put k v", 1_000);
    let ws = e.watches();
    assert_eq!(ws.len(), 1);
    assert!(ws[0].events.contains("PUT"), "{:?}", ws[0]);
    assert!(e.cancel(w));
    assert!(e.watches().is_empty());
    run(&mut e, "lease grant 10", 1_000);
    assert_eq!(e.leases().len(), 1);
}

/// What the page shows of an engine: trace (hash and kept events), views, console output.
fn shown(e: &Session) -> String {
    let c = e.cluster();
    let trace: Vec<String> = c.trace().events().map(|e| format!("{e:?}")).collect();
    format!(
        "{} {} {} {:?} {:?} {:?} {:?} {:?}\n{}\n{}",
        e.now(),
        c.trace_hash(),
        c.trace().total(),
        e.point(),
        c.view(),
        e.watches(),
        e.leases(),
        e.playground().outputs().collect::<Vec<_>>(),
        e.printed_since(0),
        trace.join("\n")
    )
}

/// A session under the page's background load (a put every 20 ms, given as the page gives
/// them) with faults, a watch, a lease and a cancel.
fn loaded(seed: u64) -> Session {
    let mut e = Session::new(ClusterConfig::new(5, seed), PlantedBugs::NONE).unwrap();
    e.set_checkpoints(400, 64);
    let mut at = 0;
    for n in 0..700u64 {
        at += 20;
        e.run_until(at).unwrap();
        e.client_op(n);
        match n {
            50 => drop(e.exec("watch load/3 --prev-kv")),
            90 => drop(e.exec("lease grant 4")),
            150 => drop(e.exec("partition leader")),
            250 => drop(e.exec("heal")),
            300 => drop(e.exec("cancel 52")),
            400 => drop(e.exec("crash leader")),
            500 => drop(e.exec("restart crashed")),
            _ => {}
        }
    }
    e.run_until(at + 2_000).unwrap();
    e
}

#[test]
fn moves_from_checkpoints_show_what_moves_from_the_start_show() {
    for seed in [3, 8] {
        let mut a = loaded(seed);
        assert!(a.checkpoints().len() > 10, "{}", a.checkpoints().len());
        let mut b = loaded(seed);
        assert_eq!(shown(&a), shown(&b));
        let end = a.now();
        for t in [
            15_000,
            700,
            3_020,
            8_000,
            11_111,
            4_000,
            end - 1,
            end,
            6_001,
        ] {
            b.set_checkpoints(400, 64);
            a.seek(t).unwrap();
            b.seek(t).unwrap();
            assert_eq!(shown(&a), shown(&b), "seed {seed}, {t} ms");
            a.step_back().unwrap();
            b.set_checkpoints(400, 64);
            b.step_back().unwrap();
            assert_eq!(shown(&a), shown(&b), "seed {seed}, {t} ms, back");
        }
        assert!(a.checkpoints().len() > 10);
        // Forked in the past: the checkpoints of the old future go; moves stay exact.
        a.seek(9_000).unwrap();
        b.seek(9_000).unwrap();
        for e in [&mut a, &mut b] {
            e.exec("put forked 1");
            e.run_until(12_000).unwrap();
        }
        b.set_checkpoints(400, 64);
        a.seek(10_000).unwrap();
        b.seek(10_000).unwrap();
        assert_eq!(shown(&a), shown(&b), "seed {seed}, after the fork");
    }
}

#[test]
fn single_steps_right_after_lines_replay_exactly() {
    for seed in [7, 3, 11] {
        let mut e = Session::new(ClusterConfig::new(5, seed), PlantedBugs::NONE).unwrap();
        e.run_until(3_000).unwrap();
        for i in 0..6 {
            e.exec(&format!("put k{i} v{i}")).unwrap();
            for _ in 0..(i + 1) {
                e.step().unwrap();
            }
        }
        e.exec("get k1").unwrap();
        e.step().unwrap();
        let t = e.now() + 1_000;
        e.run_until(t).unwrap();
        let text = e.export("t");
        assert_eq!(
            replay_hash(&text),
            e.cluster().trace_hash(),
            "seed {seed}\n{text}"
        );
    }
}

#[test]
fn single_steps_between_faults_and_watches_replay_exactly() {
    for seed in [7, 3, 11, 21] {
        let mut e = Session::new(ClusterConfig::new(5, seed), PlantedBugs::NONE).unwrap();
        e.run_until(3_000).unwrap();
        e.exec("watch --prefix k").unwrap();
        e.step().unwrap();
        e.exec("partition leader").unwrap();
        for _ in 0..3 {
            e.step().unwrap();
        }
        e.exec("put k1 a").unwrap();
        e.step().unwrap();
        e.step().unwrap();
        let t = e.now() + 700;
        e.run_until(t).unwrap();
        e.exec("heal").unwrap();
        e.step().unwrap();
        e.exec("lease grant 5").unwrap();
        e.exec("put k2 b").unwrap();
        for _ in 0..4 {
            e.step().unwrap();
        }
        e.step_back().unwrap();
        e.exec("put k3 c").unwrap();
        e.step().unwrap();
        let t = e.now() + 2_000;
        e.run_until(t).unwrap();
        let text = e.export("t");
        assert_eq!(
            replay_hash(&text),
            e.cluster().trace_hash(),
            "seed {seed}\n{text}"
        );
    }
}

#[test]
fn run_and_tick_only_schedule_and_whoever_drives_time_runs_there() {
    let mut e = session_of_5();
    e.run_until(3_000).unwrap();
    let t0 = e.now();
    let id = e.exec("run 5s").unwrap();
    // Starting the line runs nothing.
    assert_eq!(e.now(), t0);
    assert_eq!(e.playground().run_target(), Some(t0 + 5_000));
    assert_eq!(e.output(id).unwrap().state, CommandState::Running);
    e.run_until(t0 + 4_999).unwrap();
    assert_eq!(e.output(id).unwrap().state, CommandState::Running);
    e.run_until(t0 + 5_000).unwrap();
    assert_eq!(e.output(id).unwrap().state, CommandState::Done);
    assert_eq!(e.playground().run_target(), None);

    // As the repl waits for a line: its own length, not the line limit.
    let id = e.exec("tick 3").unwrap();
    assert!(e.run_until_settled(id, 0).unwrap());
    assert_eq!(e.now(), t0 + 5_300);
    let id = e.exec("run 10m").unwrap();
    assert!(e.run_until_settled(id, 1_000).unwrap());
    assert_eq!(e.now(), t0 + 5_300 + 600_000);

    // Stepping past the end also ends it, and a `cancel` stops a long one.
    let id = e.exec("run 1ms").unwrap();
    while e.output(id).unwrap().state == CommandState::Running {
        e.step().unwrap();
    }
    let id = e.exec("run 10m").unwrap();
    let t1 = e.now();
    assert!(e.cancel(id));
    assert_eq!((e.now(), e.playground().run_target()), (t1, None));
}

#[test]
fn the_playground_names_the_commands_whose_output_changed() {
    let mut e = session_of_5();
    e.run_until(3_000).unwrap();
    let pg = |e: &Session| e.playground().changed_len();
    let w = e.exec("watch k").unwrap();
    e.run_until(3_500).unwrap();
    let mark = pg(&e);
    let p = e.exec("put k v").unwrap();
    e.run_until(4_500).unwrap();
    let changed: Vec<CommandId> = e.playground().changed_since(mark).collect();
    // The put (started, printed OK, ended) and the watch (printed the event); nothing else.
    assert!(changed.contains(&p) && changed.contains(&w), "{changed:?}");
    assert!(changed.iter().all(|c| [p, w].contains(c)), "{changed:?}");
    // Time alone changes no output.
    let mark = pg(&e);
    e.run_until(6_000).unwrap();
    assert_eq!(e.playground().changed_since(mark).count(), 0);
    // A cancel ends the watch: a change to it.
    assert!(e.cancel(w));
    e.run_until(7_000).unwrap();
    assert_eq!(e.output(w).unwrap().state, CommandState::Done);
    assert!(e.playground().changed_since(mark).any(|c| c == w));
}
