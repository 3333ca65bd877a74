//! The clock's pace: how much virtual time one frame of wall time covers.
//!
//! At the default pace ([`Pace::Follow`]) and at speeds up to 1×, the clock slows down by
//! itself while a message that matters (append, vote, pre-vote, snapshot, read-index, a
//! proposal, a transfer, and their responses; not heartbeats) is in flight, so that each such
//! message takes at least [`FOLLOW_WALL_MS`] of wall time to cross, and catches up to the
//! chosen speed between them: slow motion around the interesting moments. Nothing about the
//! run changes: every message is still sent and delivered at its real virtual times, and the
//! election timers count virtual time as always; only the mapping from virtual to wall time
//! bends. Above 1× (and at [`Pace::Steady`]) virtual time runs at the chosen speed.
//!
//! Everything here is a pure function of plain values, tested natively; the controller feeds
//! it the messages in flight and runs what [`plan`] says.
//!
//! ```
//! use web::pace::{plan, rate, Flight, Pace, Plan, FOLLOW_WALL_MS};
//! // An append sent at 1000 ms arriving at 1004 ms: at 1×, 4 virtual ms take 700 wall ms.
//! let flights = [Flight { id: 9, sent: 1000, deliver: 1004, seen: 1000.0 }];
//! let r = rate(Pace::Follow, 1.0, &flights, 1000.0);
//! assert!((r - 4.0 / FOLLOW_WALL_MS).abs() < 1e-12);
//! // A 16 ms frame moves the clock a little, short of the delivery.
//! assert!(matches!(plan(r, 1000.0, 16.0, Some(1004)), Plan::Glide { .. }));
//! ```

use sim::MsgKind;

/// How virtual time runs on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Pace {
    /// Slow motion around the messages that matter, at 1× and below (the default).
    #[default]
    Follow,
    /// Virtual time runs at the chosen speed, whatever is in flight.
    Steady,
}

impl Pace {
    /// The name `window.raftlab.pace()` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Pace::Follow => "follow",
            Pace::Steady => "steady",
        }
    }

    /// The pace named `s` (`follow` or `steady`).
    pub fn parse(s: &str) -> Option<Pace> {
        match s {
            "follow" => Some(Pace::Follow),
            "steady" => Some(Pace::Steady),
            _ => None,
        }
    }
}

/// Wall ms a message that matters takes to cross at the follow pace (at least).
pub const FOLLOW_WALL_MS: f64 = 700.0;

/// The follow pace slows the clock only at this speed and below: faster speeds are for getting
/// somewhere, not for watching each message.
pub const FOLLOW_MAX_SPEED: f64 = 1.0;

/// Whether the follow pace waits for a message of this kind. Heartbeats (and their responses)
/// flow all the time and carry nothing new; they are drawn, quieter, at the speed of the clock.
pub fn matters(kind: MsgKind) -> bool {
    !matches!(
        kind,
        MsgKind::Heartbeat | MsgKind::HeartbeatResp | MsgKind::Other
    )
}

/// A message the follow pace waits for: in flight from `sent` to `deliver` (virtual ms), on
/// screen since `seen` (the clock when it first was, at least `sent`: a line typed in the middle
/// of a virtual millisecond sends at its start).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flight {
    /// Message id.
    pub id: u64,
    /// Sent at.
    pub sent: u64,
    /// Arrives at.
    pub deliver: u64,
    /// On screen since (virtual ms, fractional).
    pub seen: f64,
}

/// Whether the pace slows the clock at `speed`.
pub fn slows(pace: Pace, speed: f64) -> bool {
    pace == Pace::Follow && speed.is_finite() && speed <= FOLLOW_MAX_SPEED
}

/// Virtual ms per wall ms at virtual time `t`: `speed`, or slower while a message in `flights`
/// is still on its way (each one then stays on screen for at least [`FOLLOW_WALL_MS`]).
pub fn rate(pace: Pace, speed: f64, flights: &[Flight], t: f64) -> f64 {
    if !slows(pace, speed) {
        return speed;
    }
    flights
        .iter()
        .filter(|f| f.deliver as f64 > t)
        .map(|f| (f.deliver as f64 - f.seen.max(f.sent as f64)).max(0.01) / FOLLOW_WALL_MS)
        .fold(speed, f64::min)
}

/// What the clock does next within a frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plan {
    /// Run everything due at virtual time `at`, which takes `wall` ms of the frame to reach.
    RunTo {
        /// Virtual ms.
        at: u64,
        /// Wall ms spent getting there.
        wall: f64,
    },
    /// Nothing is due before the frame ends: the clock moves to `to` (fractional virtual ms).
    Glide {
        /// Virtual ms (fractional).
        to: f64,
    },
}

/// From virtual time `t` at `rate`, with `wall` ms of the frame left and the next thing due at
/// `next`: run up to it, or glide to where the frame ends.
pub fn plan(rate: f64, t: f64, wall: f64, next: Option<u64>) -> Plan {
    let reach = t + wall.max(0.0) * rate.max(0.0);
    match next {
        Some(at) if at as f64 <= reach => Plan::RunTo {
            at,
            wall: if rate > 0.0 {
                ((at as f64 - t).max(0.0) / rate).min(wall)
            } else {
                wall
            },
        },
        _ => Plan::Glide { to: reach },
    }
}

/// Where a message is on its lane at virtual time `t`: 0 at the sender, 1 at the receiver.
/// A held message (no delivery time) waits near its sender.
pub fn progress(sent: u64, deliver: Option<u64>, t: f64) -> f64 {
    match deliver {
        Some(d) if d > sent => ((t - sent as f64) / (d - sent) as f64).clamp(0.0, 1.0),
        Some(_) => 1.0,
        None => 0.12,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: u64, sent: u64, deliver: u64) -> Flight {
        Flight {
            id,
            sent,
            deliver,
            seen: sent as f64,
        }
    }

    /// Walks the clock frame by frame as the controller does, delivering messages at their
    /// times; returns the wall ms each message spent in flight.
    fn simulate(pace: Pace, speed: f64, msgs: &[Flight], frame: f64) -> Vec<f64> {
        let mut t = 0.0_f64;
        let mut wall = 0.0_f64;
        let mut seen = vec![(None::<f64>, None::<f64>); msgs.len()];
        while seen.iter().any(|s| s.1.is_none()) && wall < 1e7 {
            let mut left = frame;
            loop {
                let live: Vec<Flight> = msgs
                    .iter()
                    .copied()
                    .filter(|m| m.sent as f64 <= t && m.deliver as f64 > t)
                    .collect();
                let next = msgs
                    .iter()
                    .flat_map(|m| [m.sent, m.deliver])
                    .filter(|x| *x as f64 > t)
                    .min();
                let r = rate(pace, speed, &live, t);
                match plan(r, t, left, next) {
                    Plan::RunTo { at, wall: w } => {
                        left -= w;
                        t = at as f64;
                        for (i, m) in msgs.iter().enumerate() {
                            if m.sent == at {
                                seen[i].0 = Some(wall + frame - left);
                            }
                            if m.deliver == at {
                                seen[i].1 = Some(wall + frame - left);
                            }
                        }
                    }
                    Plan::Glide { to } => {
                        t = to;
                        break;
                    }
                }
            }
            wall += frame;
        }
        seen.iter()
            .map(|(a, b)| b.unwrap_or(f64::NAN) - a.unwrap_or(0.0))
            .collect()
    }

    #[test]
    fn messages_that_matter_cross_in_at_least_the_follow_time() {
        // A put on three nodes: two appends out, two responses back, overlapping.
        let msgs = [f(1, 10, 12), f(2, 10, 19), f(3, 12, 15), f(4, 19, 21)];
        for wall in simulate(Pace::Follow, 1.0, &msgs, 16.0) {
            assert!(wall >= FOLLOW_WALL_MS - 1e-6, "{wall}");
            assert!(wall < 3.0 * FOLLOW_WALL_MS, "{wall}");
        }
        // At a steady pace the same messages cross in a few ms, as before.
        for wall in simulate(Pace::Steady, 1.0, &msgs, 16.0) {
            assert!(wall <= 16.0, "{wall}");
        }
        // Above 1× the follow pace does not slow the clock.
        for wall in simulate(Pace::Follow, 10.0, &msgs, 16.0) {
            assert!(wall <= 16.0, "{wall}");
        }
    }

    #[test]
    fn the_clock_catches_up_between_messages() {
        assert_eq!(rate(Pace::Follow, 1.0, &[], 0.0), 1.0);
        // Delivered already: no longer slows anything.
        assert_eq!(rate(Pace::Follow, 1.0, &[f(1, 0, 5)], 5.0), 1.0);
        // Slower speeds are never made faster.
        assert_eq!(rate(Pace::Follow, 0.001, &[f(1, 0, 5)], 1.0), 0.001);
        // A zero-latency message still lets time move.
        assert!(rate(Pace::Follow, 1.0, &[f(1, 3, 3)], 2.0) > 0.0);
        // Seen late (sent at the start of the millisecond a line was typed in): its time on
        // screen counts from when it was seen.
        let late = Flight {
            seen: 10.5,
            ..f(1, 10, 12)
        };
        assert_eq!(rate(Pace::Follow, 1.0, &[late], 10.5), 1.5 / FOLLOW_WALL_MS);
        // As fast as possible is never paced.
        assert!(rate(Pace::Follow, f64::INFINITY, &[f(1, 0, 5)], 1.0).is_infinite());
    }

    #[test]
    fn plan_runs_what_is_due_within_the_frame() {
        assert_eq!(
            plan(1.0, 100.0, 16.0, Some(110)),
            Plan::RunTo {
                at: 110,
                wall: 10.0
            }
        );
        assert_eq!(plan(1.0, 100.0, 16.0, Some(120)), Plan::Glide { to: 116.0 });
        assert_eq!(plan(1.0, 100.0, 16.0, None), Plan::Glide { to: 116.0 });
        // Something due now costs no wall time.
        assert_eq!(
            plan(0.01, 100.0, 16.0, Some(100)),
            Plan::RunTo { at: 100, wall: 0.0 }
        );
    }

    #[test]
    fn progress_along_the_lane() {
        assert_eq!(progress(10, Some(20), 15.0), 0.5);
        assert_eq!(progress(10, Some(20), 25.0), 1.0);
        assert_eq!(progress(10, Some(10), 10.0), 1.0);
        assert_eq!(progress(10, None, 50.0), 0.12);
        assert_eq!(Pace::parse(Pace::Steady.as_str()), Some(Pace::Steady));
        assert_eq!(Pace::parse("fast"), None);
        assert!(matters(MsgKind::Append) && matters(MsgKind::VoteResp));
        assert!(!matters(MsgKind::Heartbeat) && !matters(MsgKind::HeartbeatResp));
    }
}
