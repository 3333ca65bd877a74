//! A log of values at consecutive positions, cheap to clone: the values sit in fixed-size
//! chunks behind `Arc`s, so a clone (a checkpoint of the cluster, a crashed node's durable
//! state) shares them, and the log that goes on copies only the chunk it appends to, once.
//! The log grows at its end, may be cut back at its end (a conflicting suffix) and lets go of
//! its start (compaction); lookups are a subtraction and a shift, as in a `Vec`.
//!
//! Chunks sit at fixed positions (a multiple of the chunk size), so two logs holding the same
//! values hold them in equal chunks: [`ChunkedLog::push_sealing`] hands each chunk it fills to
//! a caller that may swap it for an equal one another log filled (Raft's members all hold the
//! same entries).
//!
//! ```
//! use sim::chunked_log::ChunkedLog;
//!
//! let mut log = ChunkedLog::starting_at(5);
//! for v in 0..100u64 {
//!     log.push(v);
//! }
//! let kept = log.clone();
//! log.truncate(50);
//! log.push(1_000);
//! log.forget_before(20);
//! assert_eq!((log.first(), log.end(), log.get(50)), (20, 51, Some(&1_000)));
//! assert_eq!((kept.first(), kept.end(), kept.get(50)), (5, 105, Some(&45)));
//! assert_eq!(log.get(19), None);
//! ```

use std::collections::VecDeque;
use std::sync::Arc;

/// Values per chunk, as a power of two.
const SHIFT: u32 = 6;
/// Values per chunk.
const CHUNK: usize = 1 << SHIFT;

/// Values at positions `first()..end()` (see the module's documentation).
#[derive(Clone, Debug)]
pub struct ChunkedLog<T> {
    /// Every chunk but the last holds exactly `CHUNK` values; the last holds 1 to `CHUNK`.
    chunks: VecDeque<Arc<Vec<T>>>,
    /// The position of the first value of the first chunk: a multiple of `CHUNK`.
    base: u64,
    /// The first position held; positions `base..first` are forgotten or padding (in the
    /// first chunk, which may be shared).
    first: u64,
    /// One past the last position held.
    end: u64,
}

impl<T> Default for ChunkedLog<T> {
    fn default() -> Self {
        Self::starting_at(0)
    }
}

impl<T> ChunkedLog<T> {
    /// An empty log whose first value will be at `first`.
    pub fn starting_at(first: u64) -> Self {
        ChunkedLog {
            chunks: VecDeque::new(),
            base: aligned(first),
            first,
            end: first,
        }
    }

    /// The first position held (equal to [`ChunkedLog::end`] when empty).
    pub fn first(&self) -> u64 {
        self.first
    }

    /// One past the last position held.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// How many values are held.
    pub fn len(&self) -> usize {
        (self.end - self.first) as usize
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.end == self.first
    }

    /// The value at `pos`, if held.
    pub fn get(&self, pos: u64) -> Option<&T> {
        if pos < self.first || pos >= self.end {
            return None;
        }
        let off = pos - self.base;
        let chunk = self.chunks.get((off >> SHIFT) as usize)?;
        chunk.get((off as usize) & (CHUNK - 1))
    }

    /// The `i`-th chunk (for tests of sharing).
    #[doc(hidden)]
    pub fn chunk(&self, i: usize) -> Option<&Arc<Vec<T>>> {
        self.chunks.get(i)
    }

    /// The last value held.
    pub fn last(&self) -> Option<&T> {
        self.end.checked_sub(1).and_then(|p| self.get(p))
    }

    /// The values at positions `lo..hi` that are held, in order.
    pub fn range(&self, lo: u64, hi: u64) -> impl Iterator<Item = &T> {
        let lo = lo.max(self.first);
        let hi = hi.min(self.end).max(lo);
        (lo..hi).filter_map(move |p| self.get(p))
    }

    /// Empties the log; its next value will be at `first`.
    pub fn reset(&mut self, first: u64) {
        *self = Self::starting_at(first);
    }

    /// Lets go of the positions before `pos` (at most [`ChunkedLog::end`]).
    pub fn forget_before(&mut self, pos: u64) {
        let pos = pos.min(self.end);
        if pos <= self.first {
            return;
        }
        self.first = pos;
        while let Some(front) = self.chunks.front() {
            let front_end = self.base + front.len() as u64;
            if front_end > self.first {
                break;
            }
            self.chunks.pop_front();
            self.base = front_end;
        }
        if self.chunks.is_empty() {
            self.base = aligned(self.first);
        }
    }
}

/// The chunk boundary at or before `pos`.
fn aligned(pos: u64) -> u64 {
    pos & !(CHUNK as u64 - 1)
}

impl<T: Clone + Default> ChunkedLog<T> {
    /// Appends a value at [`ChunkedLog::end`].
    pub fn push(&mut self, value: T) {
        self.push_sealing(value, |_, _| {});
    }

    /// Appends a value at [`ChunkedLog::end`]; if that fills its chunk, `seal` gets the chunk
    /// and its first position, and may replace it with an equal one.
    pub fn push_sealing(&mut self, value: T, seal: impl FnOnce(u64, &mut Arc<Vec<T>>)) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                if self.chunks.is_empty() {
                    // Padding before the first position, so that chunks sit at fixed positions.
                    chunk.resize(
                        ((self.end - self.base) as usize) & (CHUNK - 1),
                        T::default(),
                    );
                }
                chunk.push(value);
                self.chunks.push_back(Arc::new(chunk));
            }
        }
        self.end += 1;
        let start = self.base + ((self.chunks.len() as u64 - 1) << SHIFT);
        if let Some(last) = self.chunks.back_mut().filter(|c| c.len() == CHUNK) {
            seal(start, last);
        }
    }

    /// Drops the positions from `end` on (nothing if `end` is past the log's end; the log is
    /// emptied if `end` is at or before its first position).
    pub fn truncate(&mut self, end: u64) {
        if end >= self.end {
            return;
        }
        if end <= self.first {
            self.reset(end.max(self.first));
            return;
        }
        let keep = (end - self.base) as usize;
        let whole = keep >> SHIFT;
        let rest = keep & (CHUNK - 1);
        self.chunks.truncate(whole + usize::from(rest > 0));
        if rest > 0 {
            if let Some(last) = self.chunks.back_mut() {
                Arc::make_mut(last).truncate(rest);
            }
        }
        self.end = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same operations on a `ChunkedLog` and on a plain `Vec` model, with clones kept on
    /// the way that must not change afterwards.
    #[test]
    fn agrees_with_a_vec_and_clones_keep_what_they_saw() {
        let mut log: ChunkedLog<u64> = ChunkedLog::starting_at(3);
        let mut model: Vec<u64> = Vec::new();
        let mut model_first = 3u64;
        let mut kept: Vec<(ChunkedLog<u64>, u64, Vec<u64>)> = Vec::new();
        let mut x = 7u64;
        for step in 0..5_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match (x >> 33) % 10 {
                0 => {
                    let cut = model_first + (x >> 40) % (model.len() as u64 + 1);
                    log.truncate(cut);
                    model.truncate((cut - model_first) as usize);
                }
                1 => {
                    let to = model_first + (x >> 40) % (model.len() as u64 + 1);
                    log.forget_before(to);
                    model.drain(..(to - model_first) as usize);
                    model_first = to;
                }
                _ => {
                    log.push(step);
                    model.push(step);
                }
            }
            if step % 500 == 0 {
                kept.push((log.clone(), model_first, model.clone()));
            }
            assert_eq!(log.first(), model_first);
            assert_eq!(log.len(), model.len());
        }
        kept.push((log, model_first, model));
        for (log, first, model) in kept {
            assert_eq!(log.first(), first);
            assert_eq!(log.end(), first + model.len() as u64);
            assert_eq!(log.range(0, u64::MAX).copied().collect::<Vec<_>>(), model);
            assert_eq!(log.get(first.wrapping_sub(1)), None);
            assert_eq!(log.get(log.end()), None);
            assert_eq!(log.last(), model.last());
        }
    }

    #[test]
    fn an_emptied_log_starts_where_it_was_cut() {
        let mut log = ChunkedLog::starting_at(10);
        for v in 0..200 {
            log.push(v);
        }
        log.forget_before(210);
        assert!(log.is_empty());
        assert_eq!((log.first(), log.end()), (210, 210));
        log.push(1);
        assert_eq!(log.get(210), Some(&1));
        log.truncate(100);
        assert_eq!((log.first(), log.end()), (210, 210));
    }

    #[test]
    fn sealed_chunks_sit_at_fixed_positions() {
        let (mut a, mut b) = (ChunkedLog::starting_at(3), ChunkedLog::starting_at(100));
        let mut sealed = Vec::new();
        for v in 3..300u64 {
            a.push_sealing(v, |start, c| {
                sealed.push((start, c.len(), c[0], c[CHUNK - 1]))
            });
            if v >= 100 {
                b.push(v);
            }
        }
        let chunk = CHUNK as u64;
        assert_eq!(sealed[0], (0, CHUNK, 0, chunk - 1), "padded before 3");
        assert_eq!(sealed[1], (chunk, CHUNK, chunk, 2 * chunk - 1));
        assert_eq!(sealed.len(), 300 / CHUNK);
        // Both logs hold position 200 at the same place of the same chunk.
        let at = |l: &ChunkedLog<u64>| ((200 - l.base) >> SHIFT, l.base);
        assert_eq!(
            at(&a).1 + (at(&a).0 << SHIFT),
            at(&b).1 + (at(&b).0 << SHIFT)
        );
        assert_eq!(
            (a.get(200), b.get(200), b.get(99)),
            (Some(&200), Some(&200), None)
        );
    }

    #[test]
    fn a_clone_shares_full_chunks() {
        let mut log = ChunkedLog::starting_at(0);
        for v in 0..(CHUNK as u64 * 4) {
            log.push(v);
        }
        let kept = log.clone();
        log.push(0);
        assert!(Arc::ptr_eq(&log.chunks[0], &kept.chunks[0]));
        assert!(Arc::ptr_eq(&log.chunks[3], &kept.chunks[3]));
    }
}
