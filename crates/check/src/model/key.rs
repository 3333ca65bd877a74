//! A one-key relaxation of [`super::KvModel`], used to check each key's sub-history alone.
//!
//! The global revision couples keys, so a per-key check cannot check revision values exactly.
//! It checks what holds for any one key in any linearization the full model accepts:
//! - values: a read sees the last value written (or absence after a delete);
//! - the key's mod revision: a read reports the revision of the write it sees, when known;
//! - revision order: revisions seen in linearization order never decrease, a write that
//!   changes the store gets a revision above all seen before, a read's header revision is at
//!   least the mod revision it reports.
//!
//! Leases are ignored (a put with a lease is a put; a rejected one a no-op): the checker leaves
//! keys that a lease revoke may delete out of the per-key pass.

use std::sync::Arc;

use super::{Model, Outcome};
use crate::history::{Input, Output, Revision};

/// A state of [`KeyModel`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct KeyState {
    /// The key's value and mod revision (`None` if written by a write of unknown outcome whose
    /// revision nobody has seen yet); `None` if the key is absent.
    pub current: Option<(Arc<str>, Option<Revision>)>,
    /// The highest revision seen so far on this key (0 at first).
    pub floor: Revision,
}

/// The per-key relaxation of [`super::KvModel`]; see the module docs. Every operation checked
/// against it must concern one key (`Put`, `PutWithLease`, `Get` at the latest revision,
/// `Delete`, `Cas`); others are accepted as no-ops.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyModel;

impl KeyModel {
    fn write(
        &self,
        state: &KeyState,
        value: Option<&str>,
        revision: Revision,
    ) -> Outcome<KeyState> {
        if revision <= state.floor {
            return Outcome::Illegal;
        }
        Outcome::Changed(KeyState {
            current: value.map(|v| (v.into(), Some(revision))),
            floor: revision,
        })
    }

    fn unknown_write(&self, state: &KeyState, value: Option<&str>) -> Outcome<KeyState> {
        let next = KeyState {
            current: value.map(|v| (v.into(), None)),
            floor: state.floor,
        };
        if next == *state {
            Outcome::Unchanged
        } else {
            Outcome::Either(next)
        }
    }

    /// Whether a CAS expecting `expected` could succeed / fail from `state`.
    fn cas_could(&self, state: &KeyState, expected: Revision) -> (bool, bool) {
        match (&state.current, expected) {
            (None, 0) => (true, false),
            (None, _) => (false, true),
            (Some(_), 0) => (false, true),
            (Some((_, None)), _) => (true, true),
            (Some((_, Some(m))), e) => (*m == e, *m != e),
        }
    }
}

impl Model for KeyModel {
    type State = KeyState;

    fn init(&self) -> KeyState {
        KeyState::default()
    }

    fn step(&self, state: &KeyState, input: &Input, output: &Output) -> Outcome<KeyState> {
        match (input, output) {
            (Input::Put { value, .. } | Input::PutWithLease { value, .. }, Output::Unknown) => {
                self.unknown_write(state, Some(value))
            }
            (
                Input::Put { value, .. } | Input::PutWithLease { value, .. },
                Output::Put { revision },
            ) => self.write(state, Some(value), *revision),
            (Input::Delete { .. }, Output::Unknown) => self.unknown_write(state, None),
            (Input::Delete { .. }, Output::Delete { deleted, revision }) => {
                match (*deleted, &state.current) {
                    (1, Some(_)) => self.write(state, None, *revision),
                    (0, None) => read_revision(state, *revision),
                    _ => Outcome::Illegal,
                }
            }
            (
                Input::Cas {
                    expected_mod_revision,
                    value,
                    ..
                },
                out,
            ) => {
                let (could_succeed, could_fail) = self.cas_could(state, *expected_mod_revision);
                match out {
                    Output::Unknown if could_succeed => self.unknown_write(state, Some(value)),
                    Output::Cas {
                        succeeded: true,
                        revision,
                    } if could_succeed => self.write(state, Some(value), *revision),
                    Output::Cas {
                        succeeded: false,
                        revision,
                    } if could_fail => read_revision(state, *revision),
                    Output::Unknown => Outcome::Unchanged,
                    _ => Outcome::Illegal,
                }
            }
            (Input::Get { revision: r, .. }, Output::Get { kv, revision })
                if r.is_none_or(|r| r <= 0) =>
            {
                match (&state.current, kv) {
                    (None, None) => read_revision(state, *revision),
                    (Some((v, m)), Some((ov, om))) => {
                        let ok = &**v == ov.as_str()
                            && m.is_none_or(|m| m == *om)
                            && *om <= *revision
                            && *revision >= state.floor;
                        match ok {
                            false => Outcome::Illegal,
                            true => Outcome::Changed(KeyState {
                                current: Some((v.clone(), Some(*om))),
                                floor: *revision,
                            })
                            .unless_same(state),
                        }
                    }
                    _ => Outcome::Illegal,
                }
            }
            _ => Outcome::Unchanged,
        }
    }

    fn progress(&self, state: &KeyState) -> i64 {
        state.floor
    }

    fn ceiling(&self, input: &Input, output: &Output) -> Option<i64> {
        match input {
            Input::Put { .. }
            | Input::PutWithLease { .. }
            | Input::Delete { .. }
            | Input::Cas { .. } => super::revision_ceiling(input, output),
            Input::Get { revision: r, .. } if r.is_none_or(|r| r <= 0) => {
                super::revision_ceiling(input, output)
            }
            _ => None,
        }
    }

    fn explain(&self, state: &KeyState, input: &Input, output: &Output) -> String {
        let current = match &state.current {
            None => "absent".to_string(),
            Some((v, Some(m))) => format!("{v:?} (mod {m})"),
            Some((v, None)) => format!("{v:?} (mod unknown)"),
        };
        format!(
            "{} observed {}, but the key is {current} and the highest revision seen is {}",
            super::store::describe_input(input),
            super::store::describe_output(output),
            state.floor
        )
    }
}

/// A read-only outcome with header revision `revision`.
fn read_revision(state: &KeyState, revision: Revision) -> Outcome<KeyState> {
    if revision < state.floor {
        return Outcome::Illegal;
    }
    Outcome::Changed(KeyState {
        current: state.current.clone(),
        floor: revision,
    })
    .unless_same(state)
}

impl Outcome<KeyState> {
    /// `Unchanged` instead of `Changed(s)` when `s` equals `state`.
    fn unless_same(self, state: &KeyState) -> Self {
        match self {
            Outcome::Changed(s) if s == *state => Outcome::Unchanged,
            other => other,
        }
    }
}
