//! The controller at the follow pace, driven by synthetic animation frames (16 ms of wall time
//! each): after `put foo bar`, every append the leader sends stays in flight for at least half a
//! second of wall time, while the run is the same as at a steady pace (same trace hash at the
//! same virtual time).

use std::collections::BTreeMap;

use web::control::{self, Control};
use web::model::{Origin, Settings};
use web::pace::Pace;

const FRAME: f64 = 16.0;

struct Clock(f64, Control);

impl Clock {
    fn frame(&mut self) -> f64 {
        self.0 += FRAME;
        self.1.frame(self.0);
        self.0
    }

    fn now(&self) -> u64 {
        self.1.with_session(|e| e.now()).expect("installed")
    }
}

fn leader(ctl: Control) -> Option<u64> {
    ctl.with_session(|e| e.cluster().view().leader)
        .expect("installed")
}

/// Frames until virtual time `t` (at most `max` frames).
fn frames_until(c: &mut Clock, t: u64, max: usize) {
    for _ in 0..max {
        if c.now() >= t {
            return;
        }
        c.frame();
    }
    panic!("virtual time {} never reached {t}", c.now());
}

#[test]
fn each_append_of_a_put_is_in_flight_for_half_a_second_of_wall_time() {
    let settings = Settings {
        nodes: 5,
        seed: 3,
        ..Settings::default()
    };
    let (ctl, _ui) = control::install(settings).expect("installs");
    let mut c = Clock(0.0, ctl);
    c.frame();
    // Elect a leader quickly (a steady pace at 25x), then settle at the default pace.
    ctl.play(Some(25.0));
    frames_until(&mut c, 3_000, 10_000);
    let l = leader(ctl).expect("a leader by 3 s");
    ctl.play(Some(1.0));
    assert!(web::pace::slows(Pace::Follow, 1.0));
    for _ in 0..200 {
        c.frame();
    }
    let id = ctl
        .exec(
            &format!("put --endpoints=node{l} foo bar"),
            Origin::Script,
            None,
        )
        .expect("a command");
    // Wall ms each append is seen in flight, frame by frame.
    let mut seen: BTreeMap<u64, (u64, f64, f64)> = BTreeMap::new();
    let mut done_at = None;
    for _ in 0..2_000 {
        let ts = c.frame();
        let msgs = ctl
            .with_session(|e| e.cluster().in_flight())
            .expect("installed");
        for m in msgs {
            if m.summary.kind == sim::MsgKind::Append && m.summary.entries > 0 && m.from == l {
                let e = seen.entry(m.id).or_insert((m.to, ts, ts));
                e.2 = ts;
            }
        }
        let finished = ctl
            .with_session(|e| {
                e.output(id)
                    .is_some_and(|o| o.state != etcd::session::CommandState::Running)
            })
            .expect("installed");
        if finished && done_at.is_none() {
            done_at = Some(ts);
        }
        if done_at.is_some_and(|d| ts - d > 1_000.0) {
            break;
        }
    }
    assert!(done_at.is_some(), "the put never completed");
    let to: Vec<u64> = seen.values().map(|v| v.0).collect();
    assert_eq!(to.len(), 4, "one append per follower: {seen:?}");
    for (msg, (to, first, last)) in &seen {
        assert!(
            last - first >= 500.0,
            "append {msg} to {to} was in flight for {} ms of wall time",
            last - first
        );
    }
    // The put took a few seconds of wall time, not minutes.
    let took = done_at.expect("done") - seen.values().map(|v| v.1).fold(f64::MAX, f64::min);
    assert!(took < 6_000.0, "{took}");
}

/// The trace hash at 4 s of a 3-node run with `put a 1` given at 3 s, played on screen from
/// 3 s to 3.4 s at `pace`.
fn run_with(pace: Pace) -> String {
    let settings = Settings {
        nodes: 3,
        seed: 5,
        ..Settings::default()
    };
    let (ctl, _ui) = control::install(settings).expect("installs");
    ctl.set_pace(pace);
    let mut c = Clock(0.0, ctl);
    c.frame();
    ctl.pause();
    ctl.run_for(3_000);
    ctl.exec("put a 1", Origin::Script, None);
    ctl.play(Some(1.0));
    frames_until(&mut c, 3_400, 100_000);
    ctl.pause();
    ctl.run_for(4_000 - c.now());
    assert_eq!(c.now(), 4_000);
    ctl.with_session(|e| e.cluster().view().trace_hash)
        .expect("installed")
}

#[test]
fn the_pace_bends_wall_time_only() {
    let follow = std::thread::spawn(|| run_with(Pace::Follow))
        .join()
        .expect("runs");
    let steady = std::thread::spawn(|| run_with(Pace::Steady))
        .join()
        .expect("runs");
    assert_eq!(follow, steady);
}
