//! A map from increasing ids to values, stored as a ring of slots: inserting the newest id and
//! removing any id are O(1), and iteration is in id order. Fits the messages in flight, whose ids
//! are handed out in order and which mostly leave in about the order they came.

use std::collections::VecDeque;

/// Values keyed by ids that are inserted in increasing order.
#[derive(Clone, Debug)]
pub struct IdRing<T> {
    /// Id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<T>>,
    len: usize,
}

impl<T> Default for IdRing<T> {
    fn default() -> Self {
        IdRing {
            base: 0,
            slots: VecDeque::new(),
            len: 0,
        }
    }
}

impl<T> IdRing<T> {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, id: u64) -> Option<usize> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        (i < self.slots.len()).then_some(i)
    }

    /// Inserts `value` under `id`.
    ///
    /// # Panics
    /// If `id` is not above every id inserted before (ids must increase).
    pub fn insert(&mut self, id: u64, value: T) {
        if self.slots.is_empty() {
            self.base = id;
        }
        let end = self.base + self.slots.len() as u64;
        assert!(id >= end, "ids must increase: {id} after {end}");
        for _ in end..id {
            self.slots.push_back(None);
        }
        self.slots.push_back(Some(value));
        self.len += 1;
    }

    /// The value under `id`.
    pub fn get(&self, id: u64) -> Option<&T> {
        self.slot(id).and_then(|i| self.slots[i].as_ref())
    }

    /// The value under `id`, mutably.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        self.slot(id).and_then(|i| self.slots[i].as_mut())
    }

    /// Whether `id` is present.
    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// Removes and returns the value under `id`.
    pub fn remove(&mut self, id: u64) -> Option<T> {
        let i = self.slot(id)?;
        let v = self.slots[i].take()?;
        self.len -= 1;
        self.trim();
        Some(v)
    }

    /// Drops empty slots at both ends. Usually the removed value was the oldest and the slot
    /// after it is taken, so one empty slot goes, and popping it costs less than a drain.
    fn trim(&mut self) {
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        while matches!(self.slots.back(), Some(None)) {
            self.slots.pop_back();
        }
    }

    /// Keeps only the values for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(|v| !keep(v)) {
                *s = None;
                self.len -= 1;
            }
        }
        self.trim();
    }

    /// (id, value) pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let base = self.base;
        (base..)
            .zip(self.slots.iter())
            .filter_map(|(id, s)| Some((id, s.as_ref()?)))
    }

    /// (id, value) pairs in id order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut T)> {
        let base = self.base;
        (base..)
            .zip(self.slots.iter_mut())
            .filter_map(|(id, s)| Some((id, s.as_mut()?)))
    }

    /// Values in id order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn insert_get_remove_in_any_order() {
        let mut r = IdRing::new();
        r.insert(3, "a");
        r.insert(4, "b");
        r.insert(7, "c");
        assert_eq!(r.len(), 3);
        assert_eq!(r.get(5), None);
        assert_eq!(r.remove(4), Some("b"));
        assert_eq!(r.remove(4), None);
        assert_eq!(r.remove(3), Some("a"));
        assert_eq!(r.values().collect::<Vec<_>>(), [&"c"]);
        assert_eq!(r.get(2), None);
        r.insert(9, "d");
        r.retain(|v| *v != "c");
        assert_eq!(r.values().collect::<Vec<_>>(), [&"d"]);
        assert_eq!(r.remove(9), Some("d"));
        assert!(r.is_empty());
        r.insert(20, "e");
        assert_eq!(r.get(20), Some(&"e"));
    }

    #[test]
    #[should_panic(expected = "ids must increase")]
    fn refuses_an_old_id() {
        let mut r = IdRing::new();
        r.insert(5, ());
        r.insert(5, ());
    }

    /// Behaves as a BTreeMap under a long seeded mix of increasing inserts and removals.
    #[test]
    fn matches_a_btreemap() {
        let (mut r, mut m) = (IdRing::new(), BTreeMap::new());
        let (mut next, mut x) = (1u64, 11u64);
        for _ in 0..20_000 {
            x = crate::rng::mix64(x);
            let k = (x >> 8) % 6;
            match x % 7 {
                0..=2 => {
                    next += k;
                    r.insert(next, next * 10);
                    m.insert(next, next * 10);
                    next += 1;
                }
                3..=5 => {
                    let id = next.saturating_sub(k + 1);
                    assert_eq!(r.remove(id), m.remove(&id));
                }
                _ => {
                    r.retain(|v| v % 5 != k);
                    m.retain(|_, v| *v % 5 != k);
                }
            }
            assert_eq!(r.len(), m.len());
            assert!(r.values().eq(m.values()));
            assert!(r.iter().eq(m.iter().map(|(k, v)| (*k, v))));
            if let Some((_, v)) = r.iter_mut().nth(k as usize) {
                *v += 5;
                *m.values_mut().nth(k as usize).unwrap() += 5;
            }
        }
    }
}
