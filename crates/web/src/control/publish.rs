//! Each frame (and after each action): what the cluster looks like now, through
//! [`crate::projection`], into the signals the components read, each only when it changed.
//! The picture follows every event; the logs and the timeline, which are read rather than
//! watched, a few times a second while playing.

use leptos::prelude::*;

use super::Controller;
use crate::projection::{self, DROP_SHOW_MS};

/// Wall ms between refreshes of the logs and the timeline while playing.
const SLOW_MS: f64 = 125.0;
/// Wall ms a toast stays.
const TOAST_MS: f64 = 2_500.0;

/// What was published last.
pub(super) struct Shown {
    /// Events (run and traced) of the picture on screen.
    events: u64,
    /// Virtual time of the picture on screen.
    time: u64,
    /// Whether the logs on screen are older than the picture.
    logs_stale: bool,
    /// Wall ms of the last refresh of the logs and the timeline.
    last_slow: f64,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            events: u64::MAX,
            time: u64::MAX,
            logs_stale: true,
            last_slow: f64::NEG_INFINITY,
        }
    }
}

impl Shown {
    /// Everything is published again at the next sync.
    pub(super) fn invalidate(&mut self) {
        self.events = u64::MAX;
        self.logs_stale = true;
        self.last_slow = f64::NEG_INFINITY;
    }
}

impl Controller {
    /// Reads the new trace events and refreshes every signal that changed (`wall`: this
    /// frame's wall time).
    pub(super) fn sync(&mut self, wall: f64) {
        self.ui.wall.set(wall);
        let clock = self.clock.drawn(self.session.now());
        if self.ui.clock.get_untracked() != clock {
            self.ui.clock.set(clock);
        }
        let slowed = self.ui.playing.get_untracked() && self.clock.slowed(wall);
        if self.ui.slowed.get_untracked() != slowed {
            self.ui.slowed.set(slowed);
        }
        let drops = self.scan.scan(self.session.cluster().trace(), wall);
        if !drops.is_empty() {
            self.ui.drops.update(|d| {
                d.extend(drops);
                projection::keep_drops(d);
            });
        }
        let c = self.session.cluster();
        let events = c.stats().events + c.trace().total();
        if events != self.shown.events || c.now() != self.shown.time {
            self.shown.events = events;
            self.shown.time = c.now();
            self.ui.view.set(c.view());
            self.shown.logs_stale = true;
            self.ui.counters.set(projection::counters(c.stats()));
        }
        // The logs and the timeline are read, not watched: refresh them a few times a second
        // while playing (every time when paused), which keeps frames short on big clusters.
        let playing = self.ui.playing.get_untracked();
        // Fast runs change the logs every frame: refresh them half as often there.
        let every = match self.ui.speed.get_untracked() > 4.0 {
            true => 2.0 * SLOW_MS,
            false => SLOW_MS,
        };
        let last = self.shown.last_slow;
        if !playing || wall - last >= every || wall < last {
            self.shown.last_slow = wall;
            if self.shown.logs_stale {
                self.shown.logs_stale = false;
                self.publish_logs();
            }
            if let Some(t) = self.scan.take_timeline() {
                self.ui.timeline.set(t);
            }
            let now = self.session.now();
            if self.ui.slow_now.get_untracked() != now {
                self.ui.slow_now.set(now);
            }
        }
        // Every frame while a lesson is open: the clock stops in the frame its step is done.
        self.refresh_lesson(false);
        let session = self.session.point();
        if self.ui.session.get_untracked() != session {
            self.ui.session.set(session);
        }
        if self
            .ui
            .toast
            .with_untracked(|t| t.as_ref().is_some_and(|(_, at)| wall - at > TOAST_MS))
        {
            self.ui.toast.set(None);
        }
        self.sync_console();
        let w = self.session.watches();
        if self.ui.watches.with_untracked(|x| *x != w) {
            self.ui.watches.set(w);
        }
        let l = self.session.leases();
        if self.ui.leases.with_untracked(|x| *x != l) {
            self.ui.leases.set(l);
        }
        let planted = self.session.planted();
        if self.ui.planted.get_untracked() != planted {
            self.ui.planted.set(planted);
        }
        self.ui
            .drops
            .update(|d| d.retain(|m| wall - m.wall < DROP_SHOW_MS));
        self.scan.expire(wall);
    }

    fn publish_logs(&mut self) {
        let w = self.ui.view.with_untracked(|view| {
            projection::log_window(
                self.session.cluster(),
                view,
                self.ui.log_from.get_untracked(),
                self.scan.overwrites(),
            )
        });
        if self.ui.logs.with_untracked(|l| *l != w) {
            self.ui.logs.set(w);
        }
    }
}
