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
        self.ui.picture.wall.set(wall);
        let clock = self.clock.drawn(self.session.now());
        if self.ui.picture.clock.get_untracked() != clock {
            self.ui.picture.clock.set(clock);
        }
        let slowed = self.ui.clock.playing.get_untracked() && self.clock.slowed(wall);
        if self.ui.clock.slowed.get_untracked() != slowed {
            self.ui.clock.slowed.set(slowed);
        }
        let drops = self.scan.scan(self.session.cluster().trace(), wall);
        if !drops.is_empty() {
            self.ui.picture.drops.update(|d| {
                d.extend(drops);
                projection::keep_drops(d);
            });
        }
        let c = self.session.cluster();
        let events = c.stats().events + c.trace().total();
        if events != self.shown.events || c.now() != self.shown.time {
            self.shown.events = events;
            self.shown.time = c.now();
            self.ui.picture.view.set(c.view());
            self.shown.logs_stale = true;
            self.ui
                .picture
                .counters
                .set(projection::counters(c.stats()));
        }
        // The logs and the timeline are read, not watched: refresh them a few times a second
        // while playing (every time when paused), which keeps frames short on big clusters.
        let playing = self.ui.clock.playing.get_untracked();
        // Fast runs change the logs every frame: refresh them half as often there.
        let every = match self.ui.clock.speed.get_untracked() > 4.0 {
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
                self.ui.session.timeline.set(t);
            }
            let now = self.session.now();
            if self.ui.session.slow_now.get_untracked() != now {
                self.ui.session.slow_now.set(now);
            }
        }
        // Every frame while a lesson is open: the clock stops in the frame its step is done.
        self.refresh_lesson(false);
        let session = self.session.point();
        if self.ui.session.point.get_untracked() != session {
            self.ui.session.point.set(session);
        }
        if self
            .ui
            .session
            .toast
            .with_untracked(|t| t.as_ref().is_some_and(|(_, at)| wall - at > TOAST_MS))
        {
            self.ui.session.toast.set(None);
        }
        self.sync_console();
        let w = self.session.watches();
        if self.ui.panels.watches.with_untracked(|x| *x != w) {
            self.ui.panels.watches.set(w);
        }
        let l = self.session.leases();
        if self.ui.panels.leases.with_untracked(|x| *x != l) {
            self.ui.panels.leases.set(l);
        }
        let planted = self.session.planted();
        if self.ui.panels.planted.get_untracked() != planted {
            self.ui.panels.planted.set(planted);
        }
        self.ui
            .picture
            .drops
            .update(|d| d.retain(|m| wall - m.wall < DROP_SHOW_MS));
        self.scan.expire(wall);
    }

    fn publish_logs(&mut self) {
        let w = self.ui.picture.view.with_untracked(|view| {
            projection::log_window(
                self.session.cluster(),
                view,
                self.ui.logs.from.get_untracked(),
                self.scan.overwrites(),
            )
        });
        if self.ui.logs.window.with_untracked(|l| *l != w) {
            self.ui.logs.window.set(w);
        }
    }
}
