//! The bound on a scenario's work: how much virtual time and how many simulation events one
//! scenario (a file, a share link, a recording imported in the page) may ask for.
//!
//! The parser refuses, with the line number, anything that asks for more in so many words:
//! `@until` and `at` past [`MAX_VIRTUAL_MS`] or [`MAX_EVENTS`], and `sleep`, `run` and `tick`
//! lines that add up to more than [`MAX_VIRTUAL_MS`] (a lower bound of the virtual time the
//! scenario reaches, so such a file is turned away before anything runs). What the parser cannot
//! know (a command that waits for a cluster that cannot answer) is bounded as the scenario runs:
//! after every line, virtual time and events are checked against the same bound, and a run that
//! goes past it stops with an error naming the line.
//!
//! The figures: the longest built-in scenario covers 17 virtual seconds and 1,611 events (the
//! test `bounds.rs` pins that every one stays under a tenth of the bound); an hour recorded
//! with a put every second and a leader crash every ten minutes is 540,218 events on 5 members
//! and 6,223,742 on 51 (`bounds.rs`, `events_in_a_recorded_hour`). The bound allows two virtual
//! hours and 20 million events: the largest recorded hour with room.

use crate::ctl::Command;

/// The most virtual time a scenario may cover (ms): two hours.
pub const MAX_VIRTUAL_MS: u64 = 2 * 3_600_000;

/// The most simulation events a scenario may run (and the largest `@N` event count it may
/// give).
pub const MAX_EVENTS: u64 = 20_000_000;

/// `ms` in words: `850ms`, `12.3s`, `4m05s`, and whole hours and minutes past an hour (`2h`,
/// `100000h`, `2h10m`).
pub(super) fn span(ms: u64) -> String {
    if ms < 3_600_000 {
        return sim::time::format_ms(ms);
    }
    let (h, m) = (ms / 3_600_000, ms % 3_600_000 / 60_000);
    if m == 0 {
        format!("{h}h")
    } else {
        format!("{h}h{m}m")
    }
}

/// Why a virtual time `ms` given on a line is refused, if it is.
pub(super) fn time_refused(ms: u64) -> Option<String> {
    (ms > MAX_VIRTUAL_MS).then(|| {
        format!(
            "time {} is past the {} of virtual time a scenario may cover",
            span(ms),
            span(MAX_VIRTUAL_MS)
        )
    })
}

/// Why an event count `n` given on a line is refused, if it is.
pub(super) fn events_refused(n: u64) -> Option<String> {
    (n > MAX_EVENTS)
        .then(|| format!("event count {n} is past the {MAX_EVENTS} events a scenario may run"))
}

/// The virtual time a command asks for in so many words, with ticks of `tick_ms`: `run` and
/// `tick` run to their end at once; `sleep` holds up the lines after it only if it is untimed
/// (a timed line starts and the next one comes at its own time).
pub(super) fn asks_for(command: &Command, tick_ms: u64, timed: bool) -> u64 {
    match command {
        Command::Sleep { ms } if !timed => *ms,
        Command::Run { ms } => *ms,
        Command::Tick { n } => n.saturating_mul(tick_ms),
        _ => 0,
    }
}

/// Why a scenario whose lines ask for at least `reached` ms of virtual time is refused, if it is.
pub(super) fn total_refused(reached: u64) -> Option<String> {
    (reached > MAX_VIRTUAL_MS).then(|| {
        format!(
            "the scenario asks for {} of virtual time by this line, more than the {} a scenario may cover",
            span(reached),
            span(MAX_VIRTUAL_MS)
        )
    })
}

/// Why a run that stands at `now_ms` after `events` events has gone past the bound, if it has.
pub(crate) fn run_refused(now_ms: u64, events: u64) -> Option<String> {
    if now_ms > MAX_VIRTUAL_MS {
        return Some(format!(
            "the run went past the {} of virtual time a scenario may cover",
            span(MAX_VIRTUAL_MS)
        ));
    }
    events_refused(events)
        .map(|_| format!("the run went past the {MAX_EVENTS} events a scenario may run"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_durations() {
        assert_eq!(span(850), "850ms");
        assert_eq!(span(MAX_VIRTUAL_MS), "2h");
        assert_eq!(span(360_000_000_000), "100000h");
        assert_eq!(span(7_800_000), "2h10m");
    }

    #[test]
    fn refusals_name_the_bound() {
        assert_eq!(time_refused(MAX_VIRTUAL_MS), None);
        assert!(time_refused(MAX_VIRTUAL_MS + 1).unwrap().contains("2h"));
        assert_eq!(events_refused(MAX_EVENTS), None);
        assert!(events_refused(u64::MAX)
            .unwrap()
            .contains("18446744073709551615"));
        assert_eq!(
            asks_for(&Command::Tick { n: u64::MAX }, 100, false),
            u64::MAX
        );
        assert_eq!(asks_for(&Command::Sleep { ms: 5 }, 100, false), 5);
        assert_eq!(asks_for(&Command::Sleep { ms: 5 }, 100, true), 0);
        assert_eq!(asks_for(&Command::Run { ms: 5 }, 100, true), 5);
        assert!(total_refused(u64::MAX).is_some());
        assert_eq!(run_refused(MAX_VIRTUAL_MS, MAX_EVENTS), None);
        assert!(run_refused(0, MAX_EVENTS + 1).unwrap().contains("events"));
    }
}
