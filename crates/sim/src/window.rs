//! A bounded window of the latest values, cheap to clone: the values sit in fixed-size chunks
//! behind `Arc`s, so a clone (a checkpoint of the cluster) shares them, and the window it came
//! from copies at most the one chunk it is still filling, once, when it next pushes.
//!
//! ```
//! use sim::window::Window;
//!
//! let mut w = Window::new(3);
//! for i in 0..5 {
//!     w.push(i);
//! }
//! let kept = w.clone();
//! w.push(5);
//! assert_eq!(w.iter().copied().collect::<Vec<_>>(), vec![3, 4, 5]);
//! assert_eq!(kept.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
//! ```

use std::collections::VecDeque;
use std::sync::Arc;

/// Values per chunk.
const CHUNK: usize = 256;

/// The latest `capacity` values pushed, oldest first (see the module's documentation).
#[derive(Clone, Debug)]
pub struct Window<T> {
    capacity: usize,
    /// Every chunk but the last holds exactly `CHUNK` values.
    chunks: VecDeque<Arc<Vec<T>>>,
    /// Values of the first chunk that have left the window.
    skip: usize,
    len: usize,
}

impl<T: Clone> Window<T> {
    /// An empty window keeping at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> Self {
        Window {
            capacity: capacity.max(1),
            chunks: VecDeque::new(),
            skip: 0,
            len: 0,
        }
    }

    /// Appends `value`; the oldest value leaves when the window is full.
    pub fn push(&mut self, value: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push_back(Arc::new(chunk));
            }
        }
        self.len += 1;
        if self.len > self.capacity {
            self.len -= 1;
            self.skip += 1;
            if self.skip == CHUNK {
                self.chunks.pop_front();
                self.skip = 0;
            }
        }
    }

    /// Values kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Values in the window.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`th value, oldest first.
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let at = self.skip + i;
        self.chunks.get(at / CHUNK)?.get(at % CHUNK)
    }

    /// The values, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        (0..self.len).map(move |i| {
            let at = self.skip + i;
            &self.chunks[at / CHUNK][at % CHUNK]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_across_chunks_and_clones() {
        let mut w = Window::new(600);
        let mut clones = Vec::new();
        for i in 0..2_000u32 {
            w.push(i);
            if i % 333 == 0 {
                clones.push((i, w.clone()));
            }
        }
        assert_eq!(w.len(), 600);
        assert!(w.iter().copied().eq(1_400..2_000));
        assert!(w.iter().rev().copied().eq((1_400..2_000).rev()));
        assert_eq!(w.get(0), Some(&1_400));
        assert_eq!(w.get(600), None);
        // Each clone still holds the window as it was when taken.
        for (at, c) in clones {
            let first = (at + 1).saturating_sub(600);
            assert!(c.iter().copied().eq(first..=at), "clone at {at}");
        }
    }
}
