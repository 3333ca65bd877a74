//! The event queue: events on the virtual clock, popped in (time, sequence) order. The sequence
//! number makes the order total, so the same pushes always pop in the same order.
//!
//! Events live in one FIFO bucket per virtual millisecond: pushes come in sequence order, so a
//! bucket is already sorted. The buckets of the next [`SLOTS`] milliseconds form a calendar (a
//! ring indexed by time, with a bitmap of the buckets that hold something), which covers message
//! latencies and ticks; buckets further ahead wait in a sorted map and move into the ring, whole,
//! when the ring reaches their time. Events pushed with `push_late` (request timeouts: one per
//! request, nearly always stale, due in push order) wait in a sorted side lane instead. All share
//! one sequence, so the order is that of a single sorted queue.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};

/// Milliseconds of virtual time the calendar covers (a power of two, a multiple of 64).
pub(super) const SLOTS: usize = 256;
const MASK: u64 = SLOTS as u64 - 1;
const WORDS: usize = SLOTS / 64;

/// An event due at `at`, the `seq`-th one pushed.
#[derive(Debug, Clone)]
struct Due<E> {
    at: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Due<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<E> Eq for Due<E> {}

impl<E> PartialOrd for Due<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Due<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// One millisecond's events: (seq, event) in push order.
type Bucket<E> = VecDeque<(u64, E)>;

/// A min-queue of events by (time, push order).
#[derive(Debug, Clone)]
pub(super) struct EventQueue<E> {
    /// The calendar: the bucket of time `t` in `[base, base + SLOTS)` at `t % SLOTS`.
    ring: Vec<Bucket<E>>,
    /// Bit `i` set when `ring[i]` holds an event.
    occupied: [u64; WORDS],
    /// The earliest time the calendar holds (no bucketed event is due before it).
    base: u64,
    /// Events in the calendar.
    in_ring: usize,
    /// Buckets due at `base + SLOTS` or later, by time.
    ahead: BTreeMap<u64, Bucket<E>>,
    /// Emptied buckets kept for reuse (saves an allocation per distinct time).
    spare: Vec<Bucket<E>>,
    /// Events pushed late, sorted by (time, seq).
    late: VecDeque<Due<E>>,
    seq: u64,
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub(super) fn new() -> Self {
        EventQueue {
            ring: (0..SLOTS).map(|_| VecDeque::new()).collect(),
            occupied: [0; WORDS],
            base: 0,
            in_ring: 0,
            ahead: BTreeMap::new(),
            spare: Vec::new(),
            late: VecDeque::new(),
            seq: 0,
        }
    }

    fn window_end(&self) -> u64 {
        self.base.saturating_add(SLOTS as u64)
    }

    /// Schedules `event` at `at`, after everything already scheduled at `at`.
    pub(super) fn push(&mut self, at: u64, event: E) {
        if at < self.base {
            // Before the calendar (the cluster never asks this: it pushes at `now` or later).
            self.push_late(at, event);
            return;
        }
        let seq = self.seq;
        self.seq += 1;
        if at < self.window_end() {
            let slot = (at & MASK) as usize;
            self.ring[slot].push_back((seq, event));
            self.occupied[slot / 64] |= 1 << (slot % 64);
            self.in_ring += 1;
            return;
        }
        let spare = &mut self.spare;
        self.ahead
            .entry(at)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back((seq, event));
    }

    /// Schedules `event` at `at` like `push`, for an event that is usually due after everything
    /// pushed so far and in push order (cheap then; correct in any case).
    pub(super) fn push_late(&mut self, at: u64, event: E) {
        let due = Due {
            at,
            seq: self.seq,
            event,
        };
        self.seq += 1;
        if self.late.back().is_none_or(|b| *b <= due) {
            self.late.push_back(due);
        } else {
            let i = self.late.partition_point(|d| *d <= due);
            self.late.insert(i, due);
        }
    }

    /// Time of the earliest event in the calendar: the first occupied bucket from `base` on.
    #[inline]
    fn first_in_ring(&self) -> Option<u64> {
        let start = (self.base & MASK) as usize;
        if self.occupied[start / 64] & (1 << (start % 64)) != 0 {
            return Some(self.base);
        }
        if self.in_ring == 0 {
            return None;
        }
        for k in 0..=WORDS {
            let w = (start / 64 + k) % WORDS;
            let mut bits = self.occupied[w];
            if k == 0 {
                bits &= !0u64 << (start % 64);
            } else if k == WORDS {
                // Back at the first word: the bits before `start`, the end of the window.
                bits &= !(!0u64 << (start % 64));
            }
            if bits != 0 {
                let slot = w * 64 + bits.trailing_zeros() as usize;
                return Some(self.base + ((slot + SLOTS - start) % SLOTS) as u64);
            }
        }
        None
    }

    /// Time of the earliest bucketed event.
    #[inline]
    fn first_bucket_time(&self) -> Option<u64> {
        self.first_in_ring()
            .or_else(|| self.ahead.first_key_value().map(|(at, _)| *at))
    }

    /// Sequence number of the first event of the bucket due at `at` (the earliest bucket).
    fn first_seq(&self, at: u64) -> Option<u64> {
        let bucket = if at < self.window_end() {
            &self.ring[(at & MASK) as usize]
        } else {
            self.ahead.get(&at)?
        };
        bucket.front().map(|(seq, _)| *seq)
    }

    /// Whether the side lane holds the earliest event, given the earliest bucket's time.
    #[inline]
    fn late_first(&self, bucketed: Option<u64>) -> bool {
        match (bucketed, self.late.front()) {
            (Some(at), Some(l)) => {
                l.at < at || (l.at == at && self.first_seq(at).is_none_or(|seq| l.seq < seq))
            }
            (None, Some(_)) => true,
            _ => false,
        }
    }

    /// Time of the earliest event.
    pub(super) fn next_time(&self) -> Option<u64> {
        let bucketed = self.first_bucket_time();
        if self.late_first(bucketed) {
            self.late.front().map(|d| d.at)
        } else {
            bucketed
        }
    }

    /// Moves the calendar's start to `at` (no bucketed event is due before it) and the buckets
    /// that now fall inside it into the ring. Their slots are free: a slot's previous time is
    /// before `at`.
    fn advance(&mut self, at: u64) {
        self.base = at;
        let end = self.window_end();
        while let Some(first) = self.ahead.first_entry() {
            if *first.key() >= end {
                break;
            }
            let (t, bucket) = first.remove_entry();
            let slot = (t & MASK) as usize;
            self.in_ring += bucket.len();
            self.occupied[slot / 64] |= 1 << (slot % 64);
            let empty = std::mem::replace(&mut self.ring[slot], bucket);
            self.spare.push(empty);
        }
    }

    /// Removes the earliest event, with its time.
    pub(super) fn pop(&mut self) -> Option<(u64, E)> {
        let bucketed = self.first_bucket_time();
        if self.late_first(bucketed) {
            return self.late.pop_front().map(|d| (d.at, d.event));
        }
        let at = bucketed?;
        if at != self.base {
            self.advance(at);
        }
        let slot = (at & MASK) as usize;
        let bucket = &mut self.ring[slot];
        let (_, event) = bucket.pop_front()?;
        self.in_ring -= 1;
        if bucket.is_empty() {
            self.occupied[slot / 64] &= !(1 << (slot % 64));
        }
        Some((at, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_push_order() {
        let mut q = EventQueue::new();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        q.push(3, "x");
        assert_eq!(q.next_time(), Some(1));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(1, "a"), (1, "b"), (3, "x"), (5, "c"), (5, "d")]);
        assert_eq!(q.next_time(), None);
    }

    #[test]
    fn same_order_as_a_sorted_map() {
        // The queue must pop exactly as a BTreeMap keyed by (time, seq) would (trace hashes
        // depend on it).
        let mut q = EventQueue::new();
        let mut m = std::collections::BTreeMap::new();
        let mut x = 7u64;
        for seq in 0..2_000u64 {
            x = crate::rng::mix64(x);
            let at = x % 50;
            if (x >> 20).is_multiple_of(4) {
                // Mostly in order, sometimes not.
                q.push_late(at + seq / 8, seq);
                m.insert((at + seq / 8, seq), seq);
                continue;
            }
            q.push(at, seq);
            m.insert((at, seq), seq);
            if x.is_multiple_of(3) {
                assert_eq!(q.pop().map(|(_, s)| s), m.pop_first().map(|(_, s)| s));
            }
        }
        while let Some((k, v)) = m.pop_first() {
            assert_eq!(q.pop(), Some((k.0, v)));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn same_order_as_a_sorted_map_far_ahead_and_behind() {
        // Times spread over many calendar windows (buckets wait ahead, then move in), and pushes
        // before the calendar's start: still the order of a map keyed by (time, seq).
        let mut q = EventQueue::new();
        let mut m = std::collections::BTreeMap::new();
        let (mut now, mut x) = (0u64, 9u64);
        for seq in 0..5_000u64 {
            x = crate::rng::mix64(x);
            let at = match x % 5 {
                0 => now + x % (4 * SLOTS as u64),
                1 => now.saturating_sub(x % 3),
                2 => now + SLOTS as u64 - 1 + x % 3,
                _ => now + (x >> 8) % 12,
            };
            q.push(at, seq);
            m.insert((at, seq), seq);
            if (x >> 16) % 3 != 0 {
                assert_eq!(q.next_time(), m.keys().next().map(|k| k.0));
                let popped = q.pop();
                assert_eq!(popped, m.pop_first().map(|(k, v)| (k.0, v)));
                now = now.max(popped.map_or(now, |p| p.0));
            }
        }
        while let Some((k, v)) = m.pop_first() {
            assert_eq!(q.pop(), Some((k.0, v)));
        }
        assert_eq!(q.pop(), None);
        assert_eq!(q.next_time(), None);
    }
}
