//! The in-memory index of one key's revisions, split into generations
//! (etcd's `keyIndex` / `generation`).
//!
//! A generation is one life of the key: from its creation to its deletion. Every
//! generation but the last ends with a tombstone revision; the last one is empty
//! when the key is currently deleted. Example: put@2, put@3, delete@4, put@5 gives
//! `[{2, 3, 4(t)}, {5}]`.

use std::collections::BTreeSet;

use imbl::Vector;

use crate::planted::{self, StoreBug};
use crate::revision::Revision;

/// One life of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Generation {
    /// Main revision of the creation.
    pub created: i64,
    /// Number of revisions in this generation (including a tombstone), as etcd.
    pub ver: i64,
    /// The revisions, ascending; for a closed generation the last is the tombstone. A
    /// persistent vector: cloning the index (a store snapshot) shares it, and a later push
    /// copies one chunk, never the key's whole history.
    pub revs: Vector<Revision>,
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
                revs: Vector::unit(rev),
            }],
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
        for (i, g) in self.generations.iter().enumerate().rev() {
            let (Some(first), Some(end)) = (g.revs.front(), g.revs.back()) else {
                continue;
            };
            if i != last && end.main <= at {
                // The key was deleted at or before `at` in this generation, and later
                // generations start after `at`.
                return None;
            }
            if first.main <= at {
                return g.revs.iter().rev().find(|r| r.main <= at).copied();
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
        let pos = g.revs.binary_search(&rev).ok()?;
        pos.checked_sub(1).map(|p| g.revs[p])
    }

    /// Where compaction at `at` cuts: the generation index to keep from and the
    /// index in it of the newest revision `<= at`, as etcd's `doCompact`.
    fn compaction_point(&self, at: i64) -> (usize, Option<usize>) {
        let last = self.generations.len() - 1;
        let mut gi = 0;
        while gi < last {
            let tomb = self.generations[gi].revs.back().expect("closed generation");
            if tomb.main > at {
                break;
            }
            gi += 1;
        }
        let ri = self.generations[gi].revs.iter().rposition(|r| r.main <= at);
        (gi, ri)
    }

    /// The revision a compaction at `at` keeps below or at `at` (the value visible
    /// at `at`), `None` if the key did not exist at `at` (etcd's `keep`).
    pub fn keep(&self, at: i64) -> Option<Revision> {
        let last = self.generations.len() - 1;
        let (gi, ri) = self.compaction_point(at);
        let g = &self.generations[gi];
        let ri = ri?;
        if ri == g.revs.len() - 1 && gi != last {
            return None; // a tombstone
        }
        Some(g.revs[ri])
    }

    /// Drop every revision at or below `at` except the one visible at `at`; whole
    /// generations that ended at or before `at` go. The kept revision is added to
    /// `available`. Afterwards the index may be empty (then drop it).
    pub fn compact(&mut self, at: i64, available: &mut BTreeSet<Revision>) {
        let last = self.generations.len() - 1;
        let (mut gi, ri) = self.compaction_point(at);
        let g = &mut self.generations[gi];
        if let Some(ri) = ri {
            available.insert(g.revs[ri]);
            // PLANTED BUG (IndexKeepsOneMore, off by default): keep one revision too many.
            let extra = usize::from(planted::on(StoreBug::IndexKeepsOneMore));
            g.revs = g.revs.skip(ri.saturating_sub(extra));
            if g.revs.len() == 1 && gi != last {
                // Only the tombstone is left: the key did not exist at `at`.
                available.remove(&g.revs[0]);
                gi += 1;
            }
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
        assert_eq!(ki.generations[0].revs, Vector::from(vec![r(2), r(3), r(4)]));
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
        assert_eq!(ki.generations[0].revs, Vector::from(vec![r(3), r(4)]));
        assert_eq!(ki.get(3), Some(r(3)));
        assert_eq!(ki.get(7), Some(r(6)));
    }

    #[test]
    fn compact_at_tombstone_drops_generation() {
        for at in [4, 5] {
            let mut ki = sample();
            let mut avail = BTreeSet::new();
            assert_eq!(ki.keep(at), None);
            ki.compact(at, &mut avail);
            assert!(avail.is_empty(), "at {at}");
            assert_eq!(ki.generations.len(), 1);
            assert_eq!(ki.generations[0].revs, Vector::from(vec![r(6), r(8)]));
        }
    }

    #[test]
    fn compact_deleted_key_empties_index() {
        let mut ki = KeyIndex::default();
        ki.put(r(2));
        ki.tombstone(r(3));
        let mut avail = BTreeSet::new();
        ki.compact(3, &mut avail);
        assert!(ki.is_empty());
        assert!(avail.is_empty());
    }

    #[test]
    fn keep_matches_compact() {
        let ki = sample();
        for at in 1..10 {
            let mut avail = BTreeSet::new();
            ki.clone().compact(at, &mut avail);
            assert_eq!(ki.keep(at), avail.iter().next().copied(), "at {at}");
            assert_eq!(ki.keep(at), ki.get(at), "at {at}");
        }
    }
}
