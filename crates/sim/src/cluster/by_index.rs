//! The writes a node proposed while it led, by the log index each should land at.
//!
//! Proposals take increasing indices and entries apply in index order, so this is a deque kept
//! in index order: a write is nearly always added at the back and taken from the front. (After
//! a change of leader a node may propose at an index it used before: then it goes in its
//! place, replacing what was there, as a map would.)

use std::collections::VecDeque;

use crate::request::RequestId;

/// Request ids by log index, in index order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ByIndex(VecDeque<(u64, RequestId)>);

impl ByIndex {
    /// Expects write `id` at `index` (replacing any write expected there).
    pub(crate) fn insert(&mut self, index: u64, id: RequestId) {
        if self.0.back().is_none_or(|(last, _)| *last < index) {
            self.0.push_back((index, id));
            return;
        }
        match self.0.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => self.0[at].1 = id,
            Err(at) => self.0.insert(at, (index, id)),
        }
    }

    /// Takes the write expected at `index`, if any.
    pub(crate) fn remove(&mut self, index: u64) -> Option<RequestId> {
        if self.0.front().is_some_and(|(i, _)| *i == index) {
            return self.0.pop_front().map(|(_, id)| id);
        }
        let at = self.0.binary_search_by_key(&index, |(i, _)| *i).ok()?;
        self.0.remove(at).map(|(_, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Behaves as a BTreeMap from index to id under a seeded mix of inserts and removals.
    #[test]
    fn matches_a_btreemap() {
        let (mut a, mut b) = (ByIndex::default(), BTreeMap::new());
        let mut x = 7u64;
        let mut next = 1u64;
        for id in 0..20_000u64 {
            x = crate::rng::mix64(x);
            match x % 5 {
                0..=2 => {
                    // Mostly the next index, sometimes one used before.
                    let index = if x.is_multiple_of(11) {
                        next.saturating_sub(x % 20)
                    } else {
                        next += 1;
                        next
                    };
                    a.insert(index, id);
                    b.insert(index, id);
                }
                _ => {
                    let index = b.keys().next().copied().unwrap_or(0) + (x >> 8) % 3;
                    assert_eq!(a.remove(index), b.remove(&index));
                }
            }
            if id % 64 == 0 {
                assert!(a.0.iter().map(|(i, r)| (i, r)).eq(b.iter()));
            }
        }
        assert!(a.0.iter().map(|(i, r)| (i, r)).eq(b.iter()));
    }
}
