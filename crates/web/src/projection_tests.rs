use super::*;
use etcd::planted::PlantedBugs;
use sim::ClusterConfig;

use etcd::session::Session;

fn session(nodes: usize, seed: u64) -> Session {
    Session::new(ClusterConfig::new(nodes, seed), PlantedBugs::NONE).expect("a cluster")
}

#[test]
fn the_first_leader_opens_a_term_span_and_a_crash_closes_it() {
    let mut e = session(3, 1);
    e.run_until(3_000).expect("runs");
    let mut scan = TraceScan::default();
    assert!(scan.scan(e.cluster().trace(), 0.0).is_empty());
    let t = scan.take_timeline().expect("a leader was elected");
    let leader = e.cluster().leader().expect("a leader by 3 s");
    let last = t.spans.last().expect("a span");
    assert_eq!((last.node, last.end), (leader, None));
    assert!(scan.take_timeline().is_none(), "taken once");

    e.exec(&format!("crash {leader}"));
    e.run_until(3_500).expect("runs");
    scan.scan(e.cluster().trace(), 1.0);
    let t = scan.take_timeline().expect("changed");
    let span = t
        .spans
        .iter()
        .rfind(|s| s.node == leader)
        .expect("its span");
    assert!(
        span.end.is_some(),
        "the crash ends its term on the timeline"
    );
    assert!(t
        .marks
        .iter()
        .any(|m| m.kind == MarkKind::Fault && m.text == format!("crash {leader}")));
}

#[test]
fn reading_twice_reads_each_event_once() {
    let mut e = session(3, 2);
    e.run_until(2_000).expect("runs");
    let mut scan = TraceScan::default();
    scan.scan(e.cluster().trace(), 0.0);
    let first = scan.take_timeline();
    scan.scan(e.cluster().trace(), 0.0);
    assert!(first.is_some());
    assert!(scan.take_timeline().is_none(), "nothing new");
}

#[test]
fn rewinding_keeps_the_past_up_to_the_moment() {
    let mut e = session(3, 1);
    e.run_until(3_000).expect("runs");
    let leader = e.cluster().leader().expect("a leader");
    e.exec(&format!("crash {leader}"));
    e.run_until(8_000).expect("runs");
    let mut scan = TraceScan::default();
    scan.scan(e.cluster().trace(), 0.0);
    let all = scan.take_timeline().expect("a timeline");
    let crash_at = all
        .marks
        .iter()
        .find(|m| m.kind == MarkKind::Fault)
        .expect("the crash")
        .time_ms;
    let view = e.cluster().view();
    scan.rewind(crash_at - 1, e.cluster().trace().total(), &view);
    let t = scan.take_timeline().expect("rewound");
    assert!(t.marks.iter().all(|m| m.time_ms < crash_at));
    assert!(t.spans.iter().all(|s| s.start < crash_at));
    assert_eq!(t.spans.last().and_then(|s| s.end), None, "open again");
}

#[test]
fn the_log_window_follows_the_tail_or_starts_where_asked() {
    let mut e = session(3, 1);
    e.run_until(3_000).expect("runs");
    for i in 0..40 {
        e.exec(&format!("put k{i} v"));
    }
    e.run_until(6_000).expect("runs");
    let view = e.cluster().view();
    let max = view.nodes.iter().map(|n| n.last_index).max().unwrap_or(0);
    assert!(max > LOG_CELLS, "enough entries to scroll");
    let tail = log_window(e.cluster(), &view, None, &[]);
    assert_eq!((tail.to, tail.max_index), (max, max));
    assert_eq!(tail.from, max - LOG_CELLS + 1);
    assert_eq!(tail.rows.len(), 3);
    let leader = view.leader.expect("a leader");
    let row = |w: &LogWindow, n: u64| w.rows.iter().find(|r| r.node == n).cloned();
    assert_eq!(row(&tail, leader).and_then(|r| r.progress), None);
    assert!(tail
        .rows
        .iter()
        .filter(|r| r.node != leader)
        .all(|r| r.progress.is_some()));

    let over = [Overwrite {
        node: leader,
        first: 1,
        last: 3,
        wall: 0.0,
    }];
    let start = log_window(e.cluster(), &view, Some(0), &over);
    assert_eq!((start.from, start.to), (1, LOG_CELLS));
    assert_eq!(
        row(&start, leader).map(|r| r.overwritten),
        Some(vec![1, 2, 3])
    );
    let late = log_window(e.cluster(), &view, Some(u64::MAX), &[]);
    assert_eq!(late.from, tail.from, "clamped to the tail");
}

#[test]
fn overwrites_fade_and_drops_are_bounded() {
    let mut scan = TraceScan::default();
    scan.overwrites.push(Overwrite {
        node: 1,
        first: 2,
        last: 2,
        wall: 0.0,
    });
    scan.expire(OVERWRITE_SHOW_MS - 1.0);
    assert_eq!(scan.overwrites().len(), 1);
    scan.expire(OVERWRITE_SHOW_MS);
    assert!(scan.overwrites().is_empty());

    let mut d: Vec<DropMark> = (0..100)
        .map(|i| DropMark {
            msg: i,
            from: 1,
            to: 2,
            wall: 0.0,
        })
        .collect();
    keep_drops(&mut d);
    assert_eq!(d.len(), DROPS_KEEP);
    assert_eq!(d[0].msg, 100 - DROPS_KEEP as u64, "the newest kept");
}

#[test]
fn counters_add_reads_and_writes() {
    let mut e = session(3, 1);
    e.run_until(3_000).expect("runs");
    e.exec("put a 1");
    e.exec("get a");
    e.run_until(4_000).expect("runs");
    let st = e.cluster().stats();
    let c = counters(st);
    assert_eq!(c.ok, st.writes_ok + st.reads_ok);
    assert_eq!(c.elections, st.leaders.len() as u64);
    assert!(c.ok >= 1 && c.events == st.events);
}
