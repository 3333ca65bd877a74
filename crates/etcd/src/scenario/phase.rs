//! Where a replay is in its scenario: the state a [`super::Replay`] advances and a
//! [`super::Checkpoint`] keeps, so that a replay resumed from a checkpoint goes on as the one
//! that took it.

use crate::playground::CommandId;

/// What follows reaching a line's point in time.
#[derive(Clone, Copy, Debug)]
pub(super) enum Then {
    /// The line at the cursor runs.
    Line,
    /// The step at the cursor ends (its `@until` reached).
    StepEnd,
}

/// Where the replay is.
#[derive(Clone, Copy, Debug)]
pub(super) enum Phase {
    /// The line at the cursor comes next (or the end of its step).
    Next,
    /// Running events until `n` have run, then on to virtual time `ms`.
    Steps {
        n: u64,
        ms: u64,
        number: usize,
        then: Then,
    },
    /// Running every event up to virtual time `ms` (entered only when the clock is before it).
    Time { ms: u64, number: usize, then: Then },
    /// Waiting for command `id` (an untimed line) to settle, until virtual time `deadline`.
    Settle {
        id: CommandId,
        deadline: u64,
        number: usize,
    },
    /// Past the lines: running on to the goal's time, if the clock is before it (a clock at it
    /// already does not run the events due at that instant) or the run there has begun
    /// (`running`: the clock may reach `ms` with events still due at `ms`).
    TailTime { ms: u64, running: bool },
    /// Past the lines: running on to the goal's event count.
    TailSteps { n: u64 },
    /// The point of the line at the cursor is reached: it is given now (a checkpoint taken
    /// right before a line resumes here).
    Give { number: usize },
    /// Done.
    Done,
}
