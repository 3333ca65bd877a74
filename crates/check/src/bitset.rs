//! A fixed-size bitset with an incrementally maintained hash (Zobrist style), for the memo
//! cache of linearized-operation sets.

use crate::hash::mix;

/// A set of operation indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    hash: u64,
}

impl Bitset {
    /// An empty set able to hold `0..n`.
    pub(crate) fn new(n: usize) -> Bitset {
        Bitset {
            words: vec![0; n.div_ceil(64)],
            hash: 0,
        }
    }

    /// Add `i` (must be absent).
    pub(crate) fn set(&mut self, i: usize) {
        debug_assert!(!self.get(i));
        self.words[i / 64] |= 1 << (i % 64);
        self.hash ^= mix(i as u64);
    }

    /// Remove `i` (must be present).
    pub(crate) fn clear(&mut self, i: usize) {
        debug_assert!(self.get(i));
        self.words[i / 64] &= !(1 << (i % 64));
        self.hash ^= mix(i as u64);
    }

    /// Whether `i` is in the set.
    pub(crate) fn get(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// A hash of the contents, independent of the order of insertions.
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_contents_only() {
        let mut a = Bitset::new(130);
        let mut b = Bitset::new(130);
        a.set(3);
        a.set(129);
        b.set(129);
        b.set(70);
        b.set(3);
        b.clear(70);
        assert_eq!(a, b);
        assert_eq!(a.hash(), b.hash());
        assert!(a.get(129) && !a.get(70));
    }
}
