//! One stable sort for the whole wasm bundle.
//!
//! `slice::sort_by` is generic over the element type and the comparator, so every call site with
//! its own closure compiles the whole of the standard library's driftsort again: about 4 KB of
//! wasm each, and the playground had sixteen of them. Here the standard sort runs once, on a
//! `Vec<u32>` of indices with a `dyn` comparator; what is left per element type is a few dozen
//! instructions that apply the resulting permutation with swaps.
//!
//! The result is exactly what `slice::sort_by` gives: a stable sort (equal elements keep their
//! order), which keeps traces deterministic whichever sort a call site used before.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` stably by `cmp`, like `v.sort_by(cmp)`.
pub fn sort_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    if v.len() < 2 {
        return;
    }
    let perm = {
        let items: &[T] = v;
        permutation(items.len(), &mut |a, b| cmp(&items[a], &items[b]))
    };
    permute(v, perm);
}

/// Sorts `v` stably by the key `f` gives, like `v.sort_by_key(f)`.
pub fn sort_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut f: F) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` in ascending order, like `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Collects `items` into a set by inserting them one by one: `collect()` into a `BTreeSet` sorts
/// them first, with one more copy of the standard sort per element type.
pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// Collects `items` into a map by inserting them one by one (a later pair wins, as with
/// `collect()`), without the sort that `collect()` into a `BTreeMap` compiles per type.
pub fn map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(items);
    map
}

/// The order in which `n` elements should stand: `result[i]` is the index of the element that
/// belongs at position `i`. Not generic, so the standard sort behind it is compiled once.
#[inline(never)]
fn permutation(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    let n = u32::try_from(n).expect("order::sort_by: more than u32::MAX elements");
    let mut idx: Vec<u32> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a as usize, b as usize));
    idx
}

/// Rearranges `v` so that position `i` holds what stood at `perm[i]`, following each cycle of
/// the permutation with swaps (`perm` is used up as the record of what is done).
fn permute<T>(v: &mut [T], mut perm: Vec<u32>) {
    const DONE: u32 = u32::MAX;
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = perm[at];
            if from == DONE {
                break;
            }
            perm[at] = DONE;
            let from = from as usize;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Same result as the standard library's stable sort, including the order of ties
        /// (the second field tells equal keys apart).
        #[test]
        fn matches_std_stable_sort(mut v in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            sort_by_key(&mut v, |p| p.0);
            prop_assert_eq!(v, want);
        }

        #[test]
        fn sorts_owned_values(mut v in proptest::collection::vec(".{0,4}", 0..60)) {
            let mut want = v.clone();
            want.sort();
            sort(&mut v);
            prop_assert_eq!(v, want);
        }
    }

    #[test]
    fn set_and_map_collect_like_collect() {
        let pairs = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
        assert_eq!(map(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(set([5, 1, 5, 3]), BTreeSet::from([1, 3, 5]));
    }

    #[test]
    fn descending_comparator_and_tiny_inputs() {
        let mut v = vec![3, 1, 2];
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, [3, 2, 1]);
        let mut one = [7];
        sort(&mut one);
        assert_eq!(one, [7]);
        let mut none: [u8; 0] = [];
        sort(&mut none);
    }
}
