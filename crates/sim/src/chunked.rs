//! A map from dense indexes (log positions) to values, cheap to clone: the values sit in
//! fixed-size chunks behind `Arc`s, so a clone (a checkpoint of the cluster) shares them and a
//! later write copies only the chunk it lands in, once. Lookups are one division away, as in a
//! `Vec`.
//!
//! ```
//! use sim::chunked::Chunked;
//!
//! let mut m: Chunked<u64> = Chunked::default();
//! *m.get_mut(7) = 70;
//! let kept = m.clone();
//! *m.get_mut(7) = 71;
//! assert_eq!((m.get(7), kept.get(7), m.get(8)), (Some(&71), Some(&70), None));
//! ```

use std::sync::Arc;

/// Values per chunk.
const CHUNK: usize = 512;

/// Values at indexes `0..len` (see the module's documentation); an index never written holds
/// `T::default()`.
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: u64,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone + Default> Chunked<T> {
    /// One past the highest index written.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no index was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value at `index`, `None` past [`Chunked::len`].
    pub fn get(&self, index: u64) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let (c, i) = Self::place(index);
        self.chunks.get(c).map(|chunk| &chunk[i])
    }

    /// The value at `index` to change, the map growing to hold it.
    pub fn get_mut(&mut self, index: u64) -> &mut T {
        let (c, i) = Self::place(index);
        while self.chunks.len() <= c {
            self.chunks.push(Arc::new(vec![T::default(); CHUNK]));
        }
        self.len = self.len.max(index + 1);
        &mut Arc::make_mut(&mut self.chunks[c])[i]
    }

    fn place(index: u64) -> (usize, usize) {
        let chunk = CHUNK as u64;
        ((index / chunk) as usize, (index % chunk) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_keep_what_they_saw() {
        let mut m: Chunked<Vec<u64>> = Chunked::default();
        let mut clones = Vec::new();
        for i in 0..3_000u64 {
            m.get_mut(i).push(i);
            if i % 700 == 0 {
                clones.push((i, m.clone()));
            }
        }
        m.get_mut(5).push(99);
        assert_eq!(m.len(), 3_000);
        assert_eq!(m.get(5), Some(&vec![5, 99]));
        assert_eq!(m.get(2_999), Some(&vec![2_999]));
        assert_eq!(m.get(3_000), None);
        for (at, c) in clones {
            assert_eq!(c.len(), at + 1);
            assert_eq!(c.get(5).map(Vec::len), (at >= 5).then_some(1));
            assert_eq!(c.get(at), Some(&vec![at]));
            assert_eq!(c.get(at + 1), None);
        }
    }
}
