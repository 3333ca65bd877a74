//! The revisions of one generation of a key, ascending: a persistent list of full leaves for
//! the settled part ([`crate::leaves`]) and a short tail for the newest ones. A store snapshot
//! clones every key index it shares, so the first put to a key after a snapshot copies the
//! key's index: with the tail, that copy is at most [`WIDTH`] revisions, and settling a full
//! tail copies only the branches on the path to its leaf, never the key's whole history.

use crate::leaves::{Leaves, WIDTH};
use crate::revision::Revision;

/// A generation's revisions (see the module's documentation).
#[derive(Debug, Default)]
pub(crate) struct Revs {
    settled: Leaves<Revision>,
    tail: Vec<Revision>,
}

impl Clone for Revs {
    /// A clone is made to be pushed to (the first put to a key after a snapshot shared it):
    /// its tail has room for that push.
    fn clone(&self) -> Self {
        let mut tail = Vec::with_capacity(self.tail.len() + 1);
        tail.extend_from_slice(&self.tail);
        Revs {
            settled: self.settled.clone(),
            tail,
        }
    }
}

impl Revs {
    /// A list holding only `rev`.
    pub fn unit(rev: Revision) -> Self {
        Revs {
            settled: Leaves::default(),
            tail: vec![rev],
        }
    }

    /// Appends `rev` (greater than every revision held).
    pub fn push_back(&mut self, rev: Revision) {
        if let Ok(full) = <[Revision; WIDTH]>::try_from(self.tail.as_slice()) {
            self.settled.push(full);
            self.tail.clear();
        }
        self.tail.push(rev);
    }

    /// Revisions held.
    pub fn len(&self) -> usize {
        self.settled.len() + self.tail.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th revision.
    pub fn get(&self, i: usize) -> Option<&Revision> {
        match i.checked_sub(self.settled.len()) {
            None => self.settled.get(i),
            Some(t) => self.tail.get(t),
        }
    }

    /// The oldest revision.
    pub fn front(&self) -> Option<&Revision> {
        self.get(0)
    }

    /// The newest revision.
    pub fn back(&self) -> Option<&Revision> {
        self.tail
            .last()
            .or_else(|| self.settled.get(self.settled.len().checked_sub(1)?))
    }

    /// Every revision, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Revision> + ExactSizeIterator {
        (0..self.len()).map(move |i| &self[i])
    }

    /// The position of the first revision for which `pred` is false (the revisions are
    /// ascending, so `pred` must hold for a prefix).
    pub fn partition_point(&self, pred: impl Fn(&Revision) -> bool) -> usize {
        let settled = self.settled.len();
        match settled
            .checked_sub(1)
            .and_then(|last| self.settled.get(last))
        {
            // The point is in the settled part: a binary search there.
            Some(last) if !pred(last) => {
                let (mut lo, mut hi) = (0, settled);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if pred(self.settled.get(mid).expect("in range")) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            }
            _ => settled + self.tail.partition_point(pred),
        }
    }

    /// The position of `rev`, if held.
    pub fn position(&self, rev: &Revision) -> Option<usize> {
        let i = self.partition_point(|r| r < rev);
        (self.get(i) == Some(rev)).then_some(i)
    }

    /// The list without its first `n` revisions (rebuilt: compaction's cost is its own).
    pub fn skip(&self, n: usize) -> Self {
        let mut kept = Revs::default();
        for rev in self.iter().skip(n) {
            kept.push_back(*rev);
        }
        kept
    }
}

impl std::ops::Index<usize> for Revs {
    type Output = Revision;

    fn index(&self, i: usize) -> &Revision {
        self.get(i).expect("revision index in range")
    }
}

impl PartialEq for Revs {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Revs {}

impl From<Vec<Revision>> for Revs {
    fn from(revs: Vec<Revision>) -> Self {
        let mut r = Revs::default();
        for rev in revs {
            r.push_back(rev);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(main: i64) -> Revision {
        Revision::new(main, 0)
    }

    #[test]
    fn behaves_as_a_sorted_vector_across_the_tail() {
        let all: Vec<Revision> = (1..=50).map(|m| r(m * 2)).collect();
        let mut revs = Revs::default();
        for (n, rev) in all.iter().enumerate() {
            let before = revs.clone();
            revs.push_back(*rev);
            // A clone taken before is unchanged.
            assert_eq!(before.len(), n);
            assert!(before.iter().eq(all[..n].iter()));
        }
        assert!(revs.iter().eq(all.iter()));
        assert!(revs.iter().rev().eq(all.iter().rev()));
        assert_eq!((revs.front(), revs.back()), (Some(&r(2)), Some(&r(100))));
        for (i, rev) in all.iter().enumerate() {
            assert_eq!(revs[i], *rev);
            assert_eq!(revs.position(rev), Some(i));
            assert_eq!(revs.position(&r(rev.main + 1)), None);
            assert_eq!(revs.partition_point(|x| x.main <= rev.main), i + 1);
        }
        assert_eq!(revs.partition_point(|x| x.main < 1), 0);
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 32, 33, 41, 48, 49, 50] {
            let kept = revs.skip(n);
            assert!(kept.iter().eq(all[n..].iter()), "skip {n}");
            assert_eq!(kept, Revs::from(all[n..].to_vec()));
        }
        assert_ne!(revs.skip(1), revs);
    }
}
