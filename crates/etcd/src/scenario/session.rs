//! Sessions kept whole: every line a person gave, including the repl's `cancel` lines (which the
//! repl handles without the playground, so they are not in [`Playground::given`]), and the
//! scenario that replays them. The browser keeps its session this way, so that a live, imported
//! or rewound session exports, shares and seeks exactly.
//!
//! ```
//! use etcd::scenario::{parse, record_lines, Scenario};
//!
//! let s = parse("@nodes 3\n@seed 2\nlease grant 10\nlease keep-alive 1\nsleep 2s\ncancel\nsleep 1s\n").unwrap();
//! let (pg, lines) = s.run_recorded().unwrap();
//! assert!(lines.iter().any(|l| &*l.line == "cancel"));
//! let again = Scenario::from_recording(
//!     pg.cluster().config().clone(), pg.planted_at_start(), "", lines.iter().cloned().collect(),
//!     (pg.now(), pg.steps()),
//! );
//! assert_eq!(again.run().unwrap().1.trace_hash, pg.cluster().trace_hash());
//! let text = record_lines(&pg, "", &lines);
//! assert_eq!(parse(&text).unwrap().run().unwrap().1.trace_hash, pg.cluster().trace_hash());
//! ```

use sim::ClusterConfig;

use crate::planted::PlantedBugs;

use super::{Lines, Scenario, Step};
use crate::error::Result;
use crate::playground::{Playground, Recorded};

/// Whether `line` is the repl's `cancel` or `cancel N` (N-th command; commands are numbered
/// from 1 in the order they were started, as the playground numbers its command ids).
pub fn is_cancel(line: &str) -> bool {
    line.trim()
        .strip_prefix("cancel")
        .is_some_and(|r| r.is_empty() || r.starts_with(' '))
}

impl Scenario {
    /// The scenario that replays a recorded session of a cluster built with `config` and
    /// `planted` bugs: each line at its virtual time and event count (continuations of a txn
    /// right after their first line), then on to `until` (virtual ms, events). The same
    /// scenario as `parse(record_lines(..))`, without the text.
    ///
    /// `lines` is the recorded lines as a persistent vector: the scenario reads them where
    /// they are (a session's own vector is shared, not copied; see [`Lines::Recorded`]).
    pub fn from_recording(
        config: ClusterConfig,
        planted: PlantedBugs,
        title: &str,
        lines: imbl::Vector<Recorded>,
        until: (u64, u64),
    ) -> Scenario {
        let lines = Lines::Recorded(lines);
        Scenario {
            title: title.to_string(),
            config,
            planted,
            lesson: false,
            steps: vec![Step {
                lines,
                until: Some((until.0, Some(until.1))),
                ..Step::default()
            }],
        }
    }

    /// Runs every step as [`Scenario::run`] does (the same run, the same trace hash; a
    /// [`super::Replay`] to [`super::Goal::End`] in one go) and
    /// returns the playground with every line it was given, `cancel` lines included, each
    /// with its virtual time and event count: ready for [`super::record_lines`].
    ///
    /// # Errors
    /// An invariant violation.
    pub fn run_recorded(&self) -> Result<(Playground, Vec<Recorded>)> {
        self.replay_to(super::Goal::End)
    }
}
