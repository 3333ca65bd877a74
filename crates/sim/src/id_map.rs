//! A small ordered map from node ids to values, looked up on every simulated message. Ids are
//! kept sorted (iteration is in id order, like a `BTreeMap`); when ids are 1..=n, as they are
//! unless members were added with other ids, a lookup is one index and one comparison.

use std::ops::Index;

/// An ordered map from `u64` ids to values.
#[derive(Clone, Debug)]
pub struct IdMap<V> {
    keys: Vec<u64>,
    values: Vec<V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            keys: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<V> IdMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn position(&self, id: u64) -> Result<usize, usize> {
        // Dense ids: id n sits at position n - 1.
        if let Some(i) = id.checked_sub(1).and_then(|i| usize::try_from(i).ok()) {
            if self.keys.get(i) == Some(&id) {
                return Ok(i);
            }
        }
        self.keys.binary_search(&id)
    }

    /// Inserts or replaces the value for `id`; returns the old one.
    pub fn insert(&mut self, id: u64, value: V) -> Option<V> {
        match self.position(id) {
            Ok(i) => Some(std::mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.keys.insert(i, id);
                self.values.insert(i, value);
                None
            }
        }
    }

    /// The value for `id`.
    #[inline]
    pub fn get(&self, id: &u64) -> Option<&V> {
        self.position(*id).ok().map(|i| &self.values[i])
    }

    /// The value for `id`, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: &u64) -> Option<&mut V> {
        self.position(*id).ok().map(|i| &mut self.values[i])
    }

    /// The value for `id`, inserted with `make` if missing.
    #[inline]
    pub fn get_or_insert_with(&mut self, id: u64, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.position(id) {
            Ok(i) => i,
            Err(i) => {
                self.keys.insert(i, id);
                self.values.insert(i, make());
                i
            }
        };
        &mut self.values[i]
    }

    /// Removes the value for `id` and returns it.
    pub fn remove(&mut self, id: &u64) -> Option<V> {
        let i = self.position(*id).ok()?;
        self.keys.remove(i);
        Some(self.values.remove(i))
    }

    /// The entry with the highest id.
    pub fn last(&self) -> Option<(u64, &V)> {
        Some((*self.keys.last()?, self.values.last()?))
    }

    /// (id, value) pairs in ascending id order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&u64, &mut V)> {
        self.keys.iter().zip(self.values.iter_mut())
    }

    /// Whether `id` has a value.
    pub fn contains_key(&self, id: &u64) -> bool {
        self.position(*id).is_ok()
    }

    /// Ids in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.keys.iter()
    }

    /// (id, value) pairs in ascending id order.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &V)> {
        self.keys.iter().zip(self.values.iter())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl<V> Index<&u64> for IdMap<V> {
    type Output = V;

    fn index(&self, id: &u64) -> &V {
        self.get(id).expect("no entry for this id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn dense_and_sparse_ids_behave_as_a_btreemap() {
        let (mut a, mut b) = (IdMap::new(), BTreeMap::new());
        let mut x = 5u64;
        for step in 0..3_000u64 {
            x = crate::rng::mix64(x);
            // Mostly small dense ids, sometimes far ones (members added with large ids).
            let id = if x.is_multiple_of(10) {
                x % 1_000_000
            } else {
                x % 12
            };
            assert_eq!(a.insert(id, step), b.insert(id, step));
            let probe = (x >> 32) % 14;
            assert_eq!(a.get(&probe), b.get(&probe));
            assert_eq!(a.contains_key(&probe), b.contains_key(&probe));
            if let Some(v) = a.get_mut(&probe) {
                *v += 1;
                *b.get_mut(&probe).unwrap() += 1;
            }
            assert_eq!(a.len(), b.len());
        }
        assert!(a.iter().eq(b.iter()));
        *a.get_or_insert_with(77, || 0) += 5;
        *a.get_or_insert_with(77, || 0) += 5;
        *b.entry(77).or_insert(0) += 5;
        *b.entry(77).or_insert(0) += 5;
        for ((_, x), (_, y)) in a.iter_mut().zip(b.iter_mut()) {
            *x += 1;
            *y += 1;
        }
        assert!(a.iter().eq(b.iter()));
        assert!(a.keys().eq(b.keys()));
        let first = *b.keys().next().unwrap();
        assert_eq!(a[&first], b[&first]);
        assert_eq!(a.last(), b.last_key_value().map(|(k, v)| (*k, v)));
        for id in [first, 77, 5, 1_000_001] {
            assert_eq!(a.remove(&id), b.remove(&id));
        }
        assert!(a.iter().eq(b.iter()));
    }
}
