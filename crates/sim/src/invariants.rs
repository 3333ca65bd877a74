//! Raft's safety properties (Raft paper, figure 3), checked from observations as a run goes.
//!
//! The checker stands apart from the nodes: it sees only what the cluster reports (who became
//! leader, what was appended, committed and applied), so a test can feed it a broken history
//! directly and watch it fire.

use std::fmt;

use serde::Serialize;

use crate::chunked::Chunked;
use crate::id_map::IdMap;
use crate::trace::TraceEvent;

/// The safety properties checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Invariant {
    /// At most one leader per term.
    ElectionSafety,
    /// A leader never overwrites or deletes entries in its log.
    LeaderAppendOnly,
    /// Two logs with an entry of the same index and term agree on it and on all before it.
    LogMatching,
    /// A leader's log holds every entry committed before its term.
    LeaderCompleteness,
    /// No two nodes apply different entries at the same index.
    StateMachineSafety,
    /// A node's commit index never decreases.
    CommitMonotonic,
}

impl Invariant {
    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "election safety",
            Invariant::LeaderAppendOnly => "leader append-only",
            Invariant::LogMatching => "log matching",
            Invariant::LeaderCompleteness => "leader completeness",
            Invariant::StateMachineSafety => "state machine safety",
            Invariant::CommitMonotonic => "commit index monotonic",
        }
    }
}

/// A failed invariant with what is needed to reproduce it.
#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    /// Which property.
    pub invariant: Invariant,
    /// What exactly went wrong.
    pub detail: String,
    /// Seed of the run.
    pub seed: u64,
    /// Virtual time of detection.
    pub time_ms: u64,
    /// The trace events that led to it (the latest ones).
    pub recent: Vec<TraceEvent>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant violated: {} at {} ms (seed {}): {}",
            self.invariant.name(),
            self.time_ms,
            self.seed,
            self.detail
        )
    }
}

/// A failed check before the cluster adds seed, time and events.
pub type Failure = (Invariant, String);

/// One entry as the checker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryId {
    /// Log index.
    pub index: u64,
    /// Term.
    pub term: u64,
    /// Hash of type, data and context.
    pub hash: u64,
}

/// Checks the invariants incrementally.
#[derive(Clone, Debug, Default)]
pub struct InvariantChecker {
    /// term -> its leader.
    leaders: IdMap<u64>,
    /// index -> (term, entry hash, term of the entry before) of each entry seen there. These
    /// two grow with the session: chunked, so that a clone of the cluster (a checkpoint)
    /// shares them.
    entries: Chunked<Vec<(u64, u64, u64)>>,
    /// index -> (term, hash) of the entry applied there.
    applied: Chunked<Option<(u64, u64)>>,
    /// node -> its commit index.
    commits: IdMap<u64>,
    /// node -> the term it leads (0 while it does not: terms start at 1).
    leading: IdMap<u64>,
}

impl InvariantChecker {
    /// A fresh checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Highest index known to be committed (applied somewhere) and its term.
    pub fn highest_committed(&self) -> Option<(u64, u64)> {
        let last = self.applied.len().checked_sub(1)?;
        self.applied.get(last)?.map(|(t, _)| (last, t))
    }

    /// `node` became leader of `term`. `term_at(i)` gives the term of entry `i` in its log (None
    /// if it does not hold it); `snapshot_index` is the index its snapshot covers.
    ///
    /// # Errors
    /// Election safety or leader completeness.
    pub fn became_leader(
        &mut self,
        node: u64,
        term: u64,
        snapshot_index: u64,
        term_at: &dyn Fn(u64) -> Option<u64>,
    ) -> Result<(), Failure> {
        if let Some(other) = self.leaders.get(&term) {
            if *other != node {
                return Err((
                    Invariant::ElectionSafety,
                    format!("nodes {other} and {node} both lead term {term}"),
                ));
            }
        }
        self.leaders.insert(term, node);
        self.leading.insert(node, term);
        if let Some((idx, t)) = self.highest_committed() {
            if idx > snapshot_index {
                match term_at(idx) {
                    Some(have) if have == t => {}
                    have => {
                        return Err((
                            Invariant::LeaderCompleteness,
                            format!(
                                "node {node} leads term {term} without committed entry {idx} \
                                 (term {t}); its log has {}",
                                have.map_or("nothing".to_string(), |h| format!("term {h}"))
                            ),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// `node` stopped leading.
    pub fn stepped_down(&mut self, node: u64) {
        if let Some(t) = self.leading.get_mut(&node) {
            *t = 0;
        }
    }

    /// `node` persisted `entries` (contiguous). `prev_term` is the term of the entry before the
    /// first one in its log; `last_before` its last index before the append.
    ///
    /// # Errors
    /// Leader append-only or log matching.
    pub fn appended(
        &mut self,
        node: u64,
        last_before: u64,
        prev_term: u64,
        entries: &[EntryId],
    ) -> Result<(), Failure> {
        let Some(first) = entries.first() else {
            return Ok(());
        };
        if let Some(term) = self.leading.get(&node).filter(|t| **t != 0) {
            if first.index <= last_before {
                return Err((
                    Invariant::LeaderAppendOnly,
                    format!(
                        "leader {node} (term {term}) overwrote its log from index {} (last was {last_before})",
                        first.index
                    ),
                ));
            }
        }
        let mut prev = prev_term;
        for e in entries {
            let seen = self.entries.get_mut(e.index);
            match seen.iter().find(|(t, _, _)| *t == e.term) {
                Some((_, hash, pt)) if *hash != e.hash || *pt != prev => {
                    return Err((
                        Invariant::LogMatching,
                        format!(
                            "node {node} holds entry {}/{} that differs from another log's entry \
                             with the same index and term",
                            e.index, e.term
                        ),
                    ));
                }
                Some(_) => {}
                None => seen.push((e.term, e.hash, prev)),
            }
            prev = e.term;
        }
        Ok(())
    }

    /// `node`'s commit index is now `commit`.
    ///
    /// # Errors
    /// Commit monotonic.
    pub fn committed(&mut self, node: u64, commit: u64) -> Result<(), Failure> {
        let before = self.commits.get_or_insert_with(node, || 0);
        if commit < *before {
            return Err((
                Invariant::CommitMonotonic,
                format!("node {node} commit index went from {before} back to {commit}"),
            ));
        }
        *before = commit;
        Ok(())
    }

    /// `node` applied `entry`.
    ///
    /// # Errors
    /// State machine safety.
    pub fn applied(&mut self, node: u64, entry: EntryId) -> Result<(), Failure> {
        match self.applied.get(entry.index).copied().flatten() {
            Some((t, h)) if t != entry.term || h != entry.hash => Err((
                Invariant::StateMachineSafety,
                format!(
                    "node {node} applied entry {} of term {} but another node applied term {t} there",
                    entry.index, entry.term
                ),
            )),
            Some(_) => Ok(()),
            None => {
                *self.applied.get_mut(entry.index) = Some((entry.term, entry.hash));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: u64, term: u64, hash: u64) -> EntryId {
        EntryId { index, term, hash }
    }

    #[test]
    fn two_leaders_in_one_term() {
        let mut c = InvariantChecker::new();
        c.became_leader(1, 3, 0, &|_| None).unwrap();
        c.became_leader(1, 3, 0, &|_| None).unwrap();
        let err = c.became_leader(2, 3, 0, &|_| None).unwrap_err();
        assert_eq!(err.0, Invariant::ElectionSafety);
        assert!(err.1.contains("both lead term 3"));
    }

    #[test]
    fn leader_overwriting_its_log() {
        let mut c = InvariantChecker::new();
        c.became_leader(1, 2, 0, &|_| None).unwrap();
        c.appended(1, 0, 0, &[e(1, 2, 10), e(2, 2, 11)]).unwrap();
        let err = c.appended(1, 2, 2, &[e(2, 2, 12)]).unwrap_err();
        assert_eq!(err.0, Invariant::LeaderAppendOnly);
        // A follower may truncate.
        c.appended(3, 2, 2, &[e(2, 2, 11)]).unwrap();
    }

    #[test]
    fn same_index_and_term_different_entry() {
        let mut c = InvariantChecker::new();
        c.appended(1, 0, 0, &[e(1, 1, 10), e(2, 1, 11)]).unwrap();
        c.appended(2, 0, 0, &[e(1, 1, 10), e(2, 1, 11)]).unwrap();
        let err = c
            .appended(3, 0, 0, &[e(1, 1, 10), e(2, 1, 99)])
            .unwrap_err();
        assert_eq!(err.0, Invariant::LogMatching);
        // Same entry but a different predecessor term also breaks log matching.
        let err = c.appended(4, 1, 7, &[e(2, 1, 11)]).unwrap_err();
        assert_eq!(err.0, Invariant::LogMatching);
    }

    #[test]
    fn committed_entry_that_changes() {
        let mut c = InvariantChecker::new();
        c.applied(1, e(5, 2, 50)).unwrap();
        c.applied(2, e(5, 2, 50)).unwrap();
        let err = c.applied(3, e(5, 3, 51)).unwrap_err();
        assert_eq!(err.0, Invariant::StateMachineSafety);
    }

    #[test]
    fn leader_missing_committed_entry() {
        let mut c = InvariantChecker::new();
        c.applied(1, e(7, 2, 70)).unwrap();
        c.became_leader(2, 3, 0, &|i| (i <= 7).then_some(2))
            .unwrap();
        let err = c
            .became_leader(3, 4, 0, &|i| (i <= 6).then_some(2))
            .unwrap_err();
        assert_eq!(err.0, Invariant::LeaderCompleteness);
        let err = c.became_leader(4, 5, 0, &|_| Some(1)).unwrap_err();
        assert_eq!(err.0, Invariant::LeaderCompleteness);
        // Covered by the snapshot: fine.
        c.became_leader(5, 6, 7, &|_| None).unwrap();
    }

    #[test]
    fn commit_going_backwards() {
        let mut c = InvariantChecker::new();
        c.committed(1, 5).unwrap();
        c.committed(1, 5).unwrap();
        c.committed(2, 1).unwrap();
        let err = c.committed(1, 4).unwrap_err();
        assert_eq!(err.0, Invariant::CommitMonotonic);
    }
}
