//! Key ranges: etcd's `range_end` convention and the prefix helper.

use std::ops::Bound;

/// Borrowed bounds for `BTreeMap::range` over byte-string keys.
pub(crate) type KeyBounds<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// The `range_end` that selects every key starting with `prefix` (etcd's
/// `GetPrefixRangeEnd`): the prefix with its last byte below 0xff incremented and
/// the rest dropped. If no such byte exists (empty or all-0xff prefix) it returns
/// `[0]`, which means "every key >= key".
///
/// ```
/// assert_eq!(kv::prefix_end(b"foo"), b"fop".to_vec());
/// assert_eq!(kv::prefix_end(b"a\xff"), b"b".to_vec());
/// assert_eq!(kv::prefix_end(b"\xff\xff"), vec![0]);
/// ```
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// A set of keys described the etcd way by `key` and `range_end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRange {
    /// Empty `range_end`: just this key.
    Single(Vec<u8>),
    /// `range_end == [0]`: every key `>=` this one.
    From(Vec<u8>),
    /// `[start, end)`; empty if `end <= start`.
    Between(Vec<u8>, Vec<u8>),
}

impl KeyRange {
    /// Interpret `key` and `range_end` as etcd does.
    pub fn new(key: &[u8], range_end: &[u8]) -> Self {
        if range_end.is_empty() {
            KeyRange::Single(key.to_vec())
        } else if range_end == [0] {
            KeyRange::From(key.to_vec())
        } else {
            KeyRange::Between(key.to_vec(), range_end.to_vec())
        }
    }

    /// Whether `k` is in the range.
    pub fn contains(&self, k: &[u8]) -> bool {
        match self {
            KeyRange::Single(key) => k == key.as_slice(),
            KeyRange::From(key) => k >= key.as_slice(),
            KeyRange::Between(start, end) => k >= start.as_slice() && k < end.as_slice(),
        }
    }

    /// Whether the range selects no key at all.
    pub fn is_empty(&self) -> bool {
        matches!(self, KeyRange::Between(start, end) if end <= start)
    }

    /// Bounds for `BTreeMap::range`, or `None` if the range is empty.
    pub(crate) fn bounds(&self) -> Option<KeyBounds<'_>> {
        match self {
            KeyRange::Single(key) => Some((Bound::Included(key), Bound::Included(key))),
            KeyRange::From(key) => Some((Bound::Included(key), Bound::Unbounded)),
            KeyRange::Between(start, end) if start < end => {
                Some((Bound::Included(start), Bound::Excluded(end)))
            }
            KeyRange::Between(..) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_cases() {
        assert_eq!(prefix_end(b"foo"), b"fop");
        assert_eq!(prefix_end(b"a\xff\xff"), b"b");
        assert_eq!(prefix_end(b"\xff"), vec![0]);
        assert_eq!(prefix_end(b""), vec![0]);
        assert_eq!(prefix_end(&[0]), vec![1]);
    }

    #[test]
    fn range_kinds() {
        let single = KeyRange::new(b"a", b"");
        assert!(single.contains(b"a"));
        assert!(!single.contains(b"ab"));
        let from = KeyRange::new(b"b", &[0]);
        assert!(from.contains(b"b") && from.contains(b"zzz"));
        assert!(!from.contains(b"a"));
        let between = KeyRange::new(b"a", b"c");
        assert!(between.contains(b"a") && between.contains(b"bzz"));
        assert!(!between.contains(b"c"));
        let empty = KeyRange::new(b"c", b"a");
        assert!(empty.is_empty());
        assert!(empty.bounds().is_none());
        assert!(!empty.contains(b"b"));
    }
}
