//! The event queue: events on the virtual clock, popped in (time, sequence) order. The sequence
//! number makes the order total, so the same pushes always pop in the same order.
//!
//! Events live in one FIFO bucket per virtual millisecond: pushes come in sequence order, so a
//! bucket is already sorted, and there are only as many buckets as distinct times ahead (a few
//! latencies' worth), whatever the number of messages in flight. Events pushed with `push_late`
//! (request timeouts: one per request, nearly always stale, due in push order) wait in a sorted
//! side lane instead. Both share one sequence, so the order is that of a single sorted queue.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};

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

/// A min-queue of events by (time, push order).
#[derive(Debug, Clone)]
pub(super) struct EventQueue<E> {
    /// Time -> (seq, event) in push order.
    buckets: BTreeMap<u64, VecDeque<(u64, E)>>,
    /// Emptied buckets kept for reuse (saves an allocation per distinct time).
    spare: Vec<VecDeque<(u64, E)>>,
    /// Events pushed late, sorted by (time, seq).
    late: VecDeque<Due<E>>,
    seq: u64,
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub(super) fn new() -> Self {
        EventQueue {
            buckets: BTreeMap::new(),
            spare: Vec::new(),
            late: VecDeque::new(),
            seq: 0,
        }
    }

    /// Schedules `event` at `at`, after everything already scheduled at `at`.
    pub(super) fn push(&mut self, at: u64, event: E) {
        let seq = self.seq;
        self.seq += 1;
        let spare = &mut self.spare;
        self.buckets
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

    /// (time, seq) of the earliest bucketed event.
    fn first_bucketed(&self) -> Option<(u64, u64)> {
        let (at, bucket) = self.buckets.first_key_value()?;
        bucket.front().map(|(seq, _)| (*at, *seq))
    }

    /// Whether the side lane holds the earliest event.
    fn late_first(&self) -> bool {
        match (self.first_bucketed(), self.late.front()) {
            (Some(b), Some(l)) => (l.at, l.seq) < b,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    /// Time of the earliest event.
    pub(super) fn next_time(&self) -> Option<u64> {
        if self.late_first() {
            self.late.front().map(|d| d.at)
        } else {
            self.first_bucketed().map(|(at, _)| at)
        }
    }

    /// Removes the earliest event, with its time.
    pub(super) fn pop(&mut self) -> Option<(u64, E)> {
        if self.late_first() {
            return self.late.pop_front().map(|d| (d.at, d.event));
        }
        let mut first = self.buckets.first_entry()?;
        let at = *first.key();
        let (_, event) = first.get_mut().pop_front()?;
        if first.get().is_empty() {
            self.spare.push(first.remove());
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
}
