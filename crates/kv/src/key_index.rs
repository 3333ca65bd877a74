//! The in-memory index of one key's revisions, split into generations
//! (etcd's `keyIndex` / `generation`).
//!
//! A generation is one life of the key: from its creation to its deletion. Every
//! generation but the last ends with a tombstone revision; the last one is empty
//! when the key is currently deleted. Example: put@2, put@3, delete@4, put@5 gives
//! `[{2, 3, 4(t)}, {5}]`.

use std::collections::BTreeSet;

use crate::planted::{self, StoreBug};
use crate::revision::Revision;
use crate::revs::Revs;

/// One life of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Generation {
    /// Main revision of the creation.
    pub created: i64,
    /// Number of revisions in this generation (including a tombstone), as etcd.
    pub ver: i64,
    /// The revisions, ascending; for a closed generation the last is the tombstone. Cloning
    /// the index (a store snapshot) shares them, and a later push copies a short tail, never
    /// the key's whole history.
    pub revs: Revs,
}

/// Every known revision of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyIndex {
    /// The newest revision (put or tombstone).
    pub modified: Revision,
    /// The generations, oldest first; never empty.
    pub generations: Vec<Generation>,
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex {
            modified: Revision::default(),
            generations: vec![Generation::default()],
        }
    }
}

impl KeyIndex {
    /// An index whose first known revision is `rev`, part of a generation created
    /// at `created` that is at version `ver` (used when rebuilding after compaction).
    pub fn restore(created: i64, rev: Revision, ver: i64) -> Self {
        KeyIndex {
            modified: rev,
            generations: vec![Generation {
                created,
                ver,
                revs: Revs::unit(rev),
            }],
        }
    }

    /// An index holding only the tombstone at `rev` (a key deleted at the compaction point,
    /// which compaction keeps: etcd's `restoreTombstone`).
    pub fn restore_tombstone(rev: Revision) -> Self {
        KeyIndex {
            modified: rev,
            generations: vec![
                Generation {
                    created: rev.main,
                    ver: 1,
                    revs: Revs::unit(rev),
                },
                Generation::default(),
            ],
        }
    }

    /// Record a put at `rev`.
    pub fn put(&mut self, rev: Revision) {
        debug_assert!(rev > self.modified, "revisions must increase");
        let g = self.generations.last_mut().expect("never empty");
        if g.revs.is_empty() {
            g.created = rev.main;
        }
        g.revs.push_back(rev);
        g.ver += 1;
        self.modified = rev;
    }

    /// Record a deletion at `rev`: closes the current generation and opens an empty one.
    pub fn tombstone(&mut self, rev: Revision) {
        debug_assert!(
            !self
                .generations
                .last()
                .expect("never empty")
                .revs
                .is_empty(),
            "tombstone of a deleted key"
        );
        self.put(rev);
        self.generations.push(Generation::default());
    }

    /// True if the index knows no revision at all.
    pub fn is_empty(&self) -> bool {
        self.generations.len() == 1 && self.generations[0].revs.is_empty()
    }

    /// True if the key currently exists (not deleted).
    pub fn is_live(&self) -> bool {
        !self
            .generations
            .last()
            .expect("never empty")
            .revs
            .is_empty()
    }

    /// The revision holding the key's value as of store revision `at`, or `None`
    /// if the key did not exist (never created, or deleted) at `at`.
    pub fn get(&self, at: i64) -> Option<Revision> {
        let last = self.generations.len() - 1;
        if self.modified.main <= at && self.modified.main > 0 {
            // The common case, a read at or after the key's newest change: the key holds
            // that revision unless the change was a deletion (then its generation is closed
            // and the last one is empty). No look at the revisions themselves.
            return self.is_live().then_some(self.modified);
        }
        for (i, g) in self.generations.iter().enumerate().rev() {
            let (Some(first), Some(end)) = (g.revs.front(), g.revs.back()) else {
                continue;
            };
            if i != last && end.main <= at {
                // The key was deleted at or before `at` in this generation, and later
                // generations start after `at`.
                return None;
            }
            if end.main <= at {
                // The common case, a read at or after the key's newest revision: no search.
                return Some(*end);
            }
            if first.main <= at {
                // The last revision at or before `at`: the revisions ascend, so a binary
                // search (O(log n) on the persistent vector, where a scan from the back
                // walks the key's whole history).
                // The last revision at or before `at`: a binary search.
                let after = g.revs.partition_point(|r| r.main <= at);
                return g.revs.get(after - 1).copied();
            }
        }
        None
    }

    /// The revision just before `rev` in the same generation (the value a change at
    /// `rev` replaced), `None` if `rev` created the key.
    pub fn prev_in_generation(&self, rev: Revision) -> Option<Revision> {
        let g = self
            .generations
            .iter()
            .find(|g| g.revs.back().is_some_and(|l| *l >= rev))?;
        let pos = g.revs.position(&rev)?;
        pos.checked_sub(1).map(|p| g.revs[p])
    }

    /// Where compaction at `at` cuts: the generation index to keep from and the
    /// index in it of the newest revision `<= at`, as etcd's `doCompact`. A generation whose
    /// tombstone is at `at` itself is kept (etcd since 3.5.16 and 3.4.34: its DELETE is at
    /// the compaction point, which a watch may still start from); `drop_tombstone_at` skips
    /// it as etcd did before (#18089).
    fn compaction_point(&self, at: i64, drop_tombstone_at: bool) -> (usize, Option<usize>) {
        let last = self.generations.len() - 1;
        let mut gi = 0;
        while gi < last {
            let tomb = self.generations[gi].revs.back().expect("closed generation");
            if tomb.main > at || (tomb.main == at && !drop_tombstone_at) {
                break;
            }
            gi += 1;
        }
        let ri = self.generations[gi]
            .revs
            .partition_point(|r| r.main <= at)
            .checked_sub(1);
        (gi, ri)
    }

    /// The revision a compaction at `at` keeps below or at `at` (the value visible
    /// at `at`), `None` if the key did not exist at `at` (etcd's `keep`).
    pub fn keep(&self, at: i64) -> Option<Revision> {
        let last = self.generations.len() - 1;
        let (gi, ri) = self.compaction_point(at, false);
        let g = &self.generations[gi];
        let ri = ri?;
        if ri == g.revs.len() - 1 && gi != last {
            return None; // a tombstone
        }
        Some(g.revs[ri])
    }

    /// Drop every revision at or below `at` except the newest; whole generations that ended
    /// before `at` go (one deleted at `at` keeps its tombstone, as etcd since 3.5.16). The kept revision is added to
    /// `available`. Afterwards the index may be empty (then drop it).
    pub fn compact(&mut self, at: i64, available: &mut BTreeSet<Revision>) {
        // PLANTED BUG (CompactionDropsTombstone, off by default): etcd before 3.5.16.
        let drop_tombstone_at = planted::on(StoreBug::CompactionDropsTombstone);
        let (gi, ri) = self.compaction_point(at, drop_tombstone_at);
        let g = &mut self.generations[gi];
        if let Some(ri) = ri {
            available.insert(g.revs[ri]);
            // PLANTED BUG (IndexKeepsOneMore, off by default): keep one revision too many.
            let extra = usize::from(planted::on(StoreBug::IndexKeepsOneMore));
            g.revs = g.revs.skip(ri.saturating_sub(extra));
        }
        self.generations.drain(..gi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(main: i64) -> Revision {
        Revision::new(main, 0)
    }

    /// put@2, put@3, delete@4, put@6, put@8
    fn sample() -> KeyIndex {
        let mut ki = KeyIndex::default();
        ki.put(r(2));
        ki.put(r(3));
        ki.tombstone(r(4));
        ki.put(r(6));
        ki.put(r(8));
        ki
    }

    #[test]
    fn generations_shape() {
        let ki = sample();
        assert_eq!(ki.generations.len(), 2);
        assert_eq!(ki.generations[0].revs, Revs::from(vec![r(2), r(3), r(4)]));
        assert_eq!(ki.generations[0].created, 2);
        assert_eq!(ki.generations[1].created, 6);
        assert_eq!(ki.generations[1].ver, 2);
        assert!(ki.is_live());
        assert_eq!(ki.modified, r(8));
    }

    #[test]
    fn get_at_revisions() {
        let ki = sample();
        assert_eq!(ki.get(1), None);
        assert_eq!(ki.get(2), Some(r(2)));
        assert_eq!(ki.get(3), Some(r(3)));
        assert_eq!(ki.get(4), None);
        assert_eq!(ki.get(5), None);
        assert_eq!(ki.get(6), Some(r(6)));
        assert_eq!(ki.get(7), Some(r(6)));
        assert_eq!(ki.get(100), Some(r(8)));
    }

    #[test]
    fn prev_revisions() {
        let ki = sample();
        assert_eq!(ki.prev_in_generation(r(2)), None);
        assert_eq!(ki.prev_in_generation(r(3)), Some(r(2)));
        assert_eq!(ki.prev_in_generation(r(4)), Some(r(3)));
        assert_eq!(ki.prev_in_generation(r(6)), None);
        assert_eq!(ki.prev_in_generation(r(8)), Some(r(6)));
    }

    #[test]
    fn compact_inside_generation() {
        let mut ki = sample();
        let mut avail = BTreeSet::new();
        ki.compact(3, &mut avail);
        assert_eq!(avail, BTreeSet::from([r(3)]));
        assert_eq!(ki.generations[0].revs, Revs::from(vec![r(3), r(4)]));
        assert_eq!(ki.get(3), Some(r(3)));
        assert_eq!(ki.get(7), Some(r(6)));
    }

    #[test]
    fn compact_at_a_tombstone_keeps_it_and_past_it_drops_the_generation() {
        // At the tombstone itself (etcd since 3.5.16, #18089) the delete stays.
        let mut ki = sample();
        let mut avail = BTreeSet::new();
        assert_eq!(ki.keep(4), None);
        ki.compact(4, &mut avail);
        assert_eq!(avail, BTreeSet::from([r(4)]));
        assert_eq!(ki.generations.len(), 2);
        assert_eq!(ki.generations[0].revs, Revs::from(vec![r(4)]));
        assert_eq!(ki.get(4), None, "deleted at 4");
        // Past it, the generation goes.
        let mut ki = sample();
        let mut avail = BTreeSet::new();
        assert_eq!(ki.keep(5), None);
        ki.compact(5, &mut avail);
        assert!(avail.is_empty());
        assert_eq!(ki.generations.len(), 1);
        assert_eq!(ki.generations[0].revs, Revs::from(vec![r(6), r(8)]));
        // The planted bug (etcd before 3.5.16) drops the tombstone at the point too.
        let mut ki = sample();
        let mut avail = BTreeSet::new();
        let bug = planted::StoreBugs::NONE.with(StoreBug::CompactionDropsTombstone);
        planted::scoped(bug, || ki.compact(4, &mut avail));
        assert!(avail.is_empty());
        assert_eq!(ki.generations[0].revs, Revs::from(vec![r(6), r(8)]));
    }

    #[test]
    fn compact_deleted_key_empties_index() {
        let mut ki = KeyIndex::default();
        ki.put(r(2));
        ki.tombstone(r(3));
        let mut avail = BTreeSet::new();
        ki.compact(3, &mut avail);
        assert!(!ki.is_empty(), "the delete at the compaction point stays");
        assert_eq!(avail, BTreeSet::from([r(3)]));
        let mut avail = BTreeSet::new();
        ki.compact(4, &mut avail);
        assert!(ki.is_empty());
        assert!(avail.is_empty());
    }

    #[test]
    fn keep_matches_compact() {
        let ki = sample();
        for at in 1..10 {
            let mut avail = BTreeSet::new();
            ki.clone().compact(at, &mut avail);
            // `keep` (what HashKV hashes) skips a tombstone at the point; compaction keeps it.
            let kept = avail.iter().next().copied().filter(|r| r.main != 4);
            assert_eq!(ki.keep(at), kept, "at {at}");
            assert_eq!(ki.keep(at), ki.get(at), "at {at}");
        }
    }
}
