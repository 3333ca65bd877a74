//! The linearizability checker: a per-key pass, then the global check.
//!
//! **Design.** etcd revisions are global, so the KV store is not a set of independent
//! per-key objects and P-compositionality (checking each key alone) is not exact for it.
//! The checker therefore runs two passes:
//!
//! 1. *Per-key pass* (a filter, on by default): each key's sub-history is checked against
//!    [`KeyModel`], a relaxation of the full model (values, mod revisions, and revision
//!    order only). Any history the full model accepts passes it, so a per-key failure is a
//!    sound `NotLinearizable` verdict. These searches are small, so value anomalies (stale
//!    reads, lost writes) are found fast and explained in terms of one key, even in histories
//!    whose global search would be expensive.
//! 2. *Global pass* (the verdict): the whole history against [`KvModel`], revisions included.
//!
//! Both passes share one deterministic step budget (a count of model steps, not a wall
//! clock: the checker runs in wasm too, and verdicts must not depend on machine speed). When
//! it runs out the verdict is [`Verdict::Unknown`]. The search can also be driven a bounded
//! number of steps at a time ([`crate::ResumableCheck`]), so that a page can check a long history in
//! slices and stay responsive; the verdict is the same.
//!
//! **Unknown outcomes.** A read with an [`Output::Unknown`] output is dropped. A write with
//! one may have taken effect at any time after its call, or never: it gets an infinite return
//! time, and the search either linearizes it (applied) or leaves it out (never applied).
//! An unknown write whose (unique) value a read observed is first resolved to the revision
//! the read reports (see `patch.rs`), which removes most of the branching. Operations whose times touch (one's
//! return equals the other's call) count as concurrent.

/// The checker's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Some linearization of the history satisfies the model.
    Linearizable,
    /// None does.
    NotLinearizable {
        /// The longest linearizable sequence of operations found (indices into the history).
        /// If the per-key pass found the violation, it holds only operations on that key.
        longest_prefix: Vec<usize>,
        /// An operation that cannot be linearized after `longest_prefix` (index).
        stuck_op: usize,
        /// A human-readable account of the failure.
        explanation: String,
    },
    /// The step budget ran out before an answer was found.
    Unknown,
}

/// Options for [`crate::check_with`].
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Maximum number of model steps over both passes before giving up with
    /// [`Verdict::Unknown`].
    pub max_steps: u64,
    /// Run the per-key pass before the global one.
    pub per_key_pass: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_steps: 20_000_000,
            per_key_pass: true,
        }
    }
}

/// The verdict with some details of how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// A witness linearization (indices into the history) when the verdict is
    /// `Linearizable`. Reads with unknown outputs are not in it; writes with unknown outputs
    /// are in it only if the witness has them take effect.
    pub linearization: Option<Vec<usize>>,
    /// Model steps spent.
    pub steps: u64,
    /// Which pass produced the verdict.
    pub decided_by: Pass,
}

/// A pass of the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Pass {
    /// The per-key pass.
    PerKey,
    /// The global pass.
    Global,
}

pub(crate) fn not_linearizable(
    longest_prefix: Vec<usize>,
    stuck_op: usize,
    explanation: String,
) -> Verdict {
    Verdict::NotLinearizable {
        longest_prefix,
        stuck_op,
        explanation,
    }
}
