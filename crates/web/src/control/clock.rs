//! The clock: advances virtual time from animation frames at the chosen speed and pace (see
//! [`crate::pace`]), runs the background load and the due "Show me" lines on the way, and
//! answers play, pause, step and run. It measures how the run keeps up (achieved speed, work
//! per frame).

use std::collections::VecDeque;

use leptos::prelude::*;

use super::{follow, now_wall, Control, Controller, Stop};
use crate::model::Perf;
use crate::pace::{self, Flight, Plan};
use etcd::session::CommandId;

/// Wall ms of simulation per frame at most (the rest of the frame is for rendering).
const FRAME_BUDGET_MS: f64 = 10.0;
/// Frames whose work is kept for [`Control::frame_work_p95`].
const FRAMES_KEPT: usize = 600;
/// The most virtual time [`Control::run_until`] runs.
const RUN_UNTIL_LIMIT_MS: u64 = 60_000;

/// What the clock keeps between frames.
pub(super) struct Clock {
    /// The last frame's timestamp (None: the next frame starts the count).
    last_ts: Option<f64>,
    /// The fraction of a virtual ms run on screen but not yet by the cluster.
    carry: f64,
    /// When the background load writes next (virtual ms).
    next_load_at: u64,
    /// Background writes so far (the next one's key and value).
    load_n: u64,
    /// The messages that matter in flight (what the follow pace waits for).
    flights: Vec<Flight>,
    /// Wall ms of the last frame the pace slowed the clock in.
    slowed_at: f64,
    /// (wall ms, virtual ms, events) of the frames of the last second.
    perf_window: VecDeque<(f64, u64, u64)>,
    /// Work of the last frames, in whole microseconds.
    frame_us: VecDeque<u64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            last_ts: None,
            carry: 0.0,
            next_load_at: 0,
            load_n: 0,
            flights: Vec::new(),
            slowed_at: f64::NEG_INFINITY,
            perf_window: VecDeque::new(),
            frame_us: VecDeque::new(),
        }
    }
}

impl Clock {
    /// A new cluster: time starts again from its beginning.
    pub(super) fn restart(&mut self) {
        self.carry = 0.0;
        self.last_ts = None;
        self.next_load_at = 0;
    }

    /// The next frame starts the count of wall time again (time did not run since the last).
    pub(super) fn restart_frames(&mut self) {
        self.last_ts = None;
    }

    /// After a move in the session to virtual time `now`.
    pub(super) fn moved(&mut self, now: u64) {
        self.next_load_at = now;
        self.carry = 0.0;
    }

    /// The background load writes from virtual time `now` on.
    pub(super) fn load_from(&mut self, now: u64) {
        self.next_load_at = now;
    }

    /// Virtual time as drawn, from the cluster's `now`.
    pub(super) fn drawn(&self, now: u64) -> f64 {
        now as f64 + self.carry
    }

    /// Whether the pace slowed the clock within the last second, at wall time `wall`.
    pub(super) fn slowed(&self, wall: f64) -> bool {
        wall - self.slowed_at < 1_000.0
    }
}

/// Why `run_until` found nothing, in words: `what` did not happen while `leader` led (or no
/// one did), with the background load on or off.
pub fn nothing_happened(what: Until, leader: Option<u64>, load: bool) -> String {
    match (what, leader) {
        (Until::LeaderChange, Some(l)) => format!(
            "node {l} is a healthy leader: its heartbeats reach a majority, so no follower's election timer fires. Crash or isolate it to see one"
        ),
        (Until::LeaderChange, None) => "no node can win a majority of votes (is every group of the partition smaller than a majority?)".to_string(),
        (Until::Commit, None) => "there is no leader, and only a leader commits (a majority must elect one first)".to_string(),
        (Until::Commit, Some(_)) if !load => "nothing was written: type a put, or turn on the background load".to_string(),
        (Until::Commit, Some(l)) => format!(
            "node {l} leads but cannot reach a majority to commit what is written"
        ),
    }
}

/// What `run_until` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// A new leader.
    LeaderChange,
    /// Any node's commit index rising.
    Commit,
}

impl Control {
    /// One animation frame: advance virtual time, then refresh the signals.
    pub fn frame(self, ts: f64) {
        self.with(|c| c.frame(ts));
    }

    /// Starts playing at `speed` (virtual ms per wall ms; infinity = as fast as possible).
    pub fn play(self, speed: Option<f64>) {
        if self.following_refuses() {
            return;
        }
        self.stop_replay(Stop::Action);
        self.with(|c| {
            if let Some(s) = speed.filter(|s| *s > 0.0) {
                c.ui.clock.speed.set(s);
            }
            c.clock.restart_frames();
            c.ui.clock.playing.set(true);
        });
    }

    /// Sets how virtual time runs on screen (see [`crate::pace`]).
    pub fn set_pace(self, p: pace::Pace) {
        self.with(|c| c.ui.clock.pace.set(p));
    }

    /// Pauses.
    pub fn pause(self) {
        self.with(|c| c.ui.clock.playing.set(false));
    }

    /// Play or pause.
    pub fn toggle(self) {
        match self.with(|c| c.playing()).unwrap_or(false) {
            true => self.pause(),
            false => self.play(None),
        }
    }

    /// Pauses and runs `n` events.
    pub fn step(self, n: u64) {
        if self.following_refuses() {
            return;
        }
        self.stop_replay(Stop::Action);
        self.with(|c| {
            c.ui.clock.playing.set(false);
            c.clock.carry = 0.0;
            for _ in 0..n {
                if c.guard(|e| e.step()) {
                    break;
                }
            }
            c.sync(now_wall());
        });
    }

    /// Runs `ms` of virtual time at once.
    pub fn run_for(self, ms: u64) {
        if self.following_refuses() {
            return;
        }
        self.stop_replay(Stop::Action);
        self.with(|c| {
            c.clock.carry = 0.0;
            let t = c.session.now().saturating_add(ms);
            c.advance_to(t, f64::INFINITY);
            c.sync(now_wall());
        });
    }

    /// Pauses and runs until the next leader change or commit (at most a minute of virtual
    /// time); says why when neither came.
    pub fn run_until(self, what: Until) {
        if self.following_refuses() {
            return;
        }
        self.stop_replay(Stop::Action);
        self.with(|c| c.run_until(what));
    }

    /// Runs the clock until command `cmd` completes or settles, for at most `limit_ms` of
    /// virtual time, as `raftlab repl` does with each line (`window.raftlab.execUntilDone`); a
    /// paused page stays paused. Returns whether it completed or settled.
    pub fn settle(self, cmd: CommandId, limit_ms: u64) -> bool {
        if follow::active() {
            return false;
        }
        self.with(|c| {
            c.clock.carry = 0.0;
            let r = c.session.run_until_settled(cmd, limit_ms);
            let settled = r.as_ref().is_ok_and(|s| *s);
            if !c.halt_on(r.map(|_| ())) {
                c.sync(now_wall());
            }
            settled
        })
        .unwrap_or(false)
    }

    /// p95 of the last frames' work (simulation and signal updates), in ms.
    pub fn frame_work_p95(self) -> f64 {
        self.with(|c| {
            // Whole microseconds: a sort of plain `u64`s, which the bundle has anyway.
            let mut v: Vec<u64> = c.clock.frame_us.iter().copied().collect();
            if v.is_empty() {
                return 0.0;
            }
            v.sort();
            v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)] as f64 / 1000.0
        })
        .unwrap_or(0.0)
    }
}

impl Control {
    /// Sets the background client load (writes per virtual second).
    pub fn set_load(self, per_s: f64) {
        self.with(|c| {
            c.ui.clock.load.set(per_s.max(0.0));
            c.clock.load_from(c.session.now());
        });
    }
}

impl Controller {
    /// Stops virtual time on screen (a done lesson step, a move in time, a stopped run).
    pub(super) fn stop_clock(&self) {
        self.ui.clock.playing.set(false);
    }

    /// Starts virtual time on screen (a lesson's "Show me").
    pub(super) fn start_clock(&self) {
        self.ui.clock.playing.set(true);
    }

    fn run_until(&mut self, what: Until) {
        self.stop_clock();
        self.clock.carry = 0.0;
        let leaders = self.session.cluster().stats().leaders.len();
        let commit = self.session.cluster().stats().max_commit;
        let start = self.session.now();
        let deadline = start + RUN_UNTIL_LIMIT_MS;
        let mut hit = false;
        while self.session.now() < deadline {
            let s = self.session.cluster().stats();
            hit = match what {
                Until::LeaderChange => s.leaders.len() != leaders,
                Until::Commit => s.max_commit != commit,
            };
            if hit || self.guard(|e| e.step()) {
                break;
            }
            if self.session.next_time().is_none() {
                break;
            }
        }
        if !hit && !self.halted {
            // Say so, and why, rather than leave a minute of virtual time unexplained.
            let ran = sim::time::format_ms(self.session.now() - start);
            let leader = self.session.cluster().leader();
            let why = nothing_happened(what, leader, self.ui.clock.load.get_untracked() > 0.0);
            let what = match what {
                Until::LeaderChange => "leader change",
                Until::Commit => "commit",
            };
            self.note(format!("No {what} in {ran} of virtual time: {why}."));
        }
        self.sync(now_wall());
    }

    /// Runs events up to virtual time `t` within `budget_ms` of wall time. Returns whether it
    /// got there.
    pub(super) fn advance_to(&mut self, t: u64, budget_ms: f64) -> bool {
        let start = now_wall();
        let mut n = 0u32;
        let load = self.ui.clock.load.get_untracked();
        loop {
            if self.halted {
                return false;
            }
            let next = self.session.next_time().unwrap_or(u64::MAX);
            if self.lessons.scripting() {
                if let Some(at) = self.feed_script().filter(|at| *at <= t && *at <= next) {
                    if self.guard(|e| e.run_until(at)) {
                        return false;
                    }
                    continue;
                }
            }
            let next = self.session.next_time().unwrap_or(u64::MAX);
            let due = self.clock.next_load_at;
            if load > 0.0 && due <= t && due <= next {
                let at = due.max(self.session.now());
                if self.guard(|e| e.run_until(at)) {
                    return false;
                }
                self.session.client_op(self.clock.load_n);
                self.clock.load_n += 1;
                self.clock.next_load_at = at + ((1000.0 / load).round() as u64).max(1);
                continue;
            }
            if next > t {
                break;
            }
            n += 1;
            if n.is_multiple_of(32) && budget_ms.is_finite() && now_wall() - start > budget_ms {
                return false;
            }
            if self.guard(|e| e.step()) {
                return false;
            }
        }
        !self.guard(|e| e.run_until(t))
    }

    fn frame(&mut self, ts: f64) {
        let t0 = now_wall();
        let dt = self
            .clock
            .last_ts
            .map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
        self.clock.last_ts = Some(ts);
        if follow::active() {
            self.follow_frame();
        } else if let Some(t) = self
            .session
            .playground()
            .run_target()
            .filter(|_| !self.halted)
        {
            // A `run` or `tick` line: fast-forward to its end over frames, paused or not.
            self.clock.carry = 0.0;
            self.advance_to(t, FRAME_BUDGET_MS);
        } else if self.ui.clock.playing.get_untracked() && !self.halted {
            let speed = self.ui.clock.speed.get_untracked();
            if speed.is_infinite() {
                self.advance_to(u64::MAX - 1, FRAME_BUDGET_MS);
            } else if pace::slows(self.ui.clock.pace.get_untracked(), speed) {
                self.paced(dt, speed, t0, ts);
            } else {
                self.clock.carry += dt * speed;
                let whole = self.clock.carry.floor();
                self.clock.carry -= whole;
                let target = self.session.now() + whole as u64;
                if !self.advance_to(target, FRAME_BUDGET_MS) {
                    // Could not keep up: drop the backlog rather than spiral.
                    self.clock.carry = 0.0;
                }
            }
        }
        self.sync(ts);
        let work = now_wall() - t0;
        let k = &mut self.clock;
        k.frame_us.push_back((work * 1000.0).round() as u64);
        if k.frame_us.len() > FRAMES_KEPT {
            k.frame_us.pop_front();
        }
        let c = self.session.cluster();
        k.perf_window.push_back((ts, c.now(), c.stats().events));
        while k
            .perf_window
            .front()
            .is_some_and(|(w, _, _)| ts - *w > 1_000.0)
        {
            k.perf_window.pop_front();
        }
        if let (Some(a), Some(b)) = (k.perf_window.front(), k.perf_window.back()) {
            let span = b.0 - a.0;
            if span > 200.0 {
                self.ui.clock.perf.set(Perf {
                    achieved: (b.1 - a.1) as f64 / span,
                    events_per_s: (b.2 - a.2) as f64 * 1000.0 / span,
                });
            }
        }
    }

    /// One frame at the follow pace: `dt` wall ms, split between runs up to what is due and
    /// glides in between, each at the rate the messages in flight allow (see [`crate::pace`]).
    fn paced(&mut self, dt: f64, speed: f64, t0: f64, ts: f64) {
        let pace = self.ui.clock.pace.get_untracked();
        let mut left = dt;
        let mut slowed = false;
        // Bounded: each round runs what is due at one virtual instant, or ends the frame.
        for _ in 0..100_000 {
            if self.halted {
                break;
            }
            let now = self.session.now();
            // A line just given (a put, a fault) does its work when time is run, without an
            // event of its own to stop at: run it at this instant first, so that what it sends
            // is seen before time moves, and then move at most a virtual millisecond at a time.
            if self.guard(|e| e.run_until(now)) {
                break;
            }
            let next = Some(self.next_due().map_or(now + 1, |n| n.min(now + 1)));
            self.track_flights();
            let t = self.clock.drawn(now);
            let rate = pace::rate(pace, speed, &self.clock.flights, t);
            slowed |= rate < speed;
            match pace::plan(rate, t, left, next) {
                Plan::RunTo { at, wall } => {
                    left -= wall;
                    self.clock.carry = 0.0;
                    if !self.advance_to(at, FRAME_BUDGET_MS) || now_wall() - t0 > FRAME_BUDGET_MS {
                        break;
                    }
                }
                Plan::Glide { to } => {
                    let whole = to.floor().max(now as f64);
                    if whole as u64 > now {
                        self.advance_to(whole as u64, FRAME_BUDGET_MS);
                    }
                    self.clock.carry = (to - whole).clamp(0.0, 0.999_999);
                    break;
                }
            }
        }
        if slowed {
            self.clock.slowed_at = ts;
        }
    }

    /// The virtual time of the next thing due: an event, a "Show me" line, the background load
    /// (lines of the lesson that are due now are started here).
    fn next_due(&mut self) -> Option<u64> {
        let mut next = self.session.next_time();
        let min = |a: Option<u64>, b: u64| Some(a.map_or(b, |a| a.min(b)));
        if self.lessons.scripting() {
            if let Some(at) = self.feed_script() {
                next = min(next, at);
            }
        }
        if self.ui.clock.load.get_untracked() > 0.0 {
            next = min(next, self.clock.next_load_at.max(self.session.now()));
        }
        next
    }

    /// Reads the messages the follow pace waits for from the network (only at the follow pace
    /// and 1x or slower, where a frame runs few events): those on their way to be delivered
    /// (not those on a cut link, which will be lost), each on screen since it was first seen.
    fn track_flights(&mut self) {
        let t = self.clock.drawn(self.session.now());
        let cut: Vec<(u64, u64)> = self.ui.picture.view.with_untracked(|v| {
            v.links
                .iter()
                .filter(|l| l.mode == sim::network::LinkMode::Cut)
                .map(|l| (l.from, l.to))
                .collect()
        });
        let before = std::mem::take(&mut self.clock.flights);
        self.clock.flights = self
            .session
            .cluster()
            .in_flight()
            .into_iter()
            .filter(|m| pace::matters(m.summary.kind) && !cut.contains(&(m.from, m.to)))
            .filter_map(|m| {
                let d = m.deliver_at?;
                let seen = before
                    .iter()
                    .find(|f| f.id == m.id)
                    .map_or(t.max(m.sent_at as f64), |f| f.seen);
                Some(Flight {
                    id: m.id,
                    sent: m.sent_at,
                    deliver: d,
                    seen,
                })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_happened_says_why() {
        assert!(nothing_happened(Until::LeaderChange, Some(2), false)
            .starts_with("node 2 is a healthy leader"));
        assert!(nothing_happened(Until::LeaderChange, None, true).starts_with("no node can win"));
        assert!(nothing_happened(Until::Commit, None, true).starts_with("there is no leader"));
        assert!(nothing_happened(Until::Commit, Some(1), false).starts_with("nothing was written"));
        assert!(nothing_happened(Until::Commit, Some(1), true).starts_with("node 1 leads but"));
    }

    #[test]
    fn a_move_restarts_the_load_where_it_landed() {
        let mut k = Clock {
            carry: 0.5,
            ..Clock::default()
        };
        k.moved(1_234);
        assert_eq!((k.carry, k.next_load_at), (0.0, 1_234));
        assert_eq!(k.drawn(10), 10.0);
        assert!(!k.slowed(0.0), "never slowed yet");
    }
}
