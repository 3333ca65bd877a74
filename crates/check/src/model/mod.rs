//! Sequential specifications that histories are checked against.
//!
//! - [`KvModel`]: the full etcd model, global store revision included. Its verdict is the
//!   checker's verdict.
//! - [`KeyModel`]: a relaxation of [`KvModel`] restricted to one key, which ignores the global
//!   revision except for its ordering. Every history [`KvModel`] accepts, projected onto one
//!   key, is accepted by [`KeyModel`]; so a per-key failure proves a global failure.

mod key;
mod store;
mod txn;
mod versions;

use std::fmt::Debug;
use std::hash::Hash;

use crate::history::{Input, Output};

pub use key::{KeyModel, KeyState};
pub use store::{describe_input, describe_output, KeyValue, KvModel, KvState};

/// What applying one operation (with its observed output) to one state can lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<S> {
    /// The output is impossible from this state: the operation cannot be linearized here.
    Illegal,
    /// Legal, and the state is unchanged.
    Unchanged,
    /// Legal, and the state becomes this one.
    Changed(S),
    /// The outcome is unknown: the operation may have had no effect, or it may have led here.
    /// (The search gives such operations no deadline and explores "no effect" by never
    /// linearizing them.)
    Either(S),
}

/// A sequential specification: a deterministic state machine whose transitions are labelled
/// by (input, output) pairs.
pub trait Model {
    /// A state of the specification. Equal states must behave identically from then on.
    type State: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Apply `input`, observed to produce `output`, to `state`.
    fn step(&self, state: &Self::State, input: &Input, output: &Output) -> Outcome<Self::State>;

    /// Say in one line why `output` is (or is not) what `input` produces from `state`.
    fn explain(&self, state: &Self::State, input: &Input, output: &Output) -> String;

    /// A measure of progress that never decreases along any sequence of steps (etcd: the
    /// store revision). Together with [`Model::ceiling`] it lets the search prune states
    /// that have gone too far for an operation still waiting to be linearized.
    fn progress(&self, _state: &Self::State) -> i64 {
        i64::MIN
    }

    /// The largest progress a state may have for (`input`, `output`) to be applied to it
    /// (etcd: a read's header revision, one less than a write's revision), if known.
    fn ceiling(&self, _input: &Input, _output: &Output) -> Option<i64> {
        None
    }
}

/// etcd's ceiling: the header revision a response reports bounds the store revision before
/// the request (exclusive for a write that raised it). Shared by both models.
pub(crate) fn revision_ceiling(input: &Input, output: &Output) -> Option<i64> {
    match (input, output) {
        // Either branch may or may not have changed something.
        (Input::Txn { .. }, Output::Cas { revision, .. }) => Some(*revision),
        (_, Output::Put { revision }) => Some(revision - 1),
        (_, Output::Get { revision, .. } | Output::Range { revision, .. }) => Some(*revision),
        (_, Output::Delete { deleted, revision }) => Some(revision - i64::from(*deleted > 0)),
        (
            _,
            Output::Cas {
                succeeded,
                revision,
            },
        ) => Some(revision - i64::from(*succeeded)),
        // A revoke raises the revision only if it deleted keys: bound by its revision.
        (_, Output::Lease { revision, .. }) => Some(*revision),
        // A compaction does not raise the revision.
        (_, Output::Compact { revision }) => Some(*revision),
        (_, Output::Rejected { .. } | Output::Unknown) => None,
    }
}
