//! A step's command lines: parsed from a scenario's text, or a recorded session's lines read
//! where they are. A long session seeks through a scenario of its own lines; reading them in
//! place (the session's persistent vector, shared) keeps that scenario from copying every line
//! of an hour.

use imbl::Vector;

use super::Line;
use crate::playground::Recorded;

/// A step's command lines (see the module's documentation).
#[derive(Clone, Debug, PartialEq)]
pub enum Lines {
    /// Lines parsed from a scenario's text.
    Parsed(Vec<Line>),
    /// A recording's lines: line `i` is numbered `i + 1`, runs at its recorded time and event
    /// count, and reads as recorded (trimmed, unless it continues a multi-line command).
    Recorded(Vector<Recorded>),
}

impl Default for Lines {
    fn default() -> Self {
        Lines::Parsed(Vec::new())
    }
}

impl Lines {
    /// How many lines there are.
    pub fn len(&self) -> usize {
        match self {
            Lines::Parsed(v) => v.len(),
            Lines::Recorded(v) => v.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Line `i` (0-based).
    pub fn get(&self, i: usize) -> Option<Line> {
        match self {
            Lines::Parsed(v) => v.get(i).cloned(),
            Lines::Recorded(v) => v.get(i).map(|r| recorded_line(i, r)),
        }
    }

    /// Every line, in order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Line> + '_> {
        match self {
            Lines::Parsed(v) => Box::new(v.iter().cloned()),
            Lines::Recorded(v) => Box::new(v.iter().enumerate().map(|(i, r)| recorded_line(i, r))),
        }
    }

    /// The latest time a line runs at, if one has a time. A recording's times never go back,
    /// so its last timed line has it.
    pub fn max_at_ms(&self) -> Option<u64> {
        match self {
            Lines::Parsed(v) => v.iter().filter_map(|l| l.at_ms).max(),
            Lines::Recorded(v) => v.iter().rev().find(|r| !r.continuation).map(|r| r.at_ms),
        }
    }

    /// Appends a parsed line (a recording's lines become parsed ones first).
    pub fn push(&mut self, line: Line) {
        if let Lines::Recorded(v) = self {
            let parsed = v.iter().enumerate().map(|(i, r)| recorded_line(i, r));
            *self = Lines::Parsed(parsed.collect());
        }
        if let Lines::Parsed(v) = self {
            v.push(line);
        }
    }
}

/// Recorded line `r`, the `i`-th (0-based), as a scenario line.
fn recorded_line(i: usize, r: &Recorded) -> Line {
    let (at_ms, at_step) = match r.continuation {
        true => (None, None),
        false => (Some(r.at_ms), Some(r.step)),
    };
    let trimmed = r.line.trim();
    Line {
        number: i + 1,
        at_ms,
        at_step,
        text: if r.continuation || trimmed.len() == r.line.len() {
            r.line.clone()
        } else {
            trimmed.into()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at_ms: u64, line: &str, continuation: bool) -> Recorded {
        Recorded {
            at_ms,
            step: at_ms * 10,
            line: line.into(),
            continuation,
        }
    }

    #[test]
    fn a_recording_reads_as_the_lines_it_records() {
        let mut lines = Lines::Recorded(Vector::from(vec![
            rec(5, " txn ", false),
            rec(6, " put a 1", true),
            rec(9, "get a", false),
        ]));
        let line = |n: usize, at: Option<u64>, text: &str| Line {
            number: n,
            at_ms: at,
            at_step: at.map(|a| a * 10),
            text: text.into(),
        };
        let want = vec![
            line(1, Some(5), "txn"),
            line(2, None, " put a 1"),
            line(3, Some(9), "get a"),
        ];
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.iter().collect::<Vec<_>>(), want);
        assert_eq!(lines.get(3), None);
        assert_eq!(lines.max_at_ms(), Some(9));
        lines.push(line(4, None, "del a"));
        assert!(matches!(&lines, Lines::Parsed(v) if v[..3] == want[..] && v.len() == 4));
    }
}
