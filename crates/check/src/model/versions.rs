//! A persistent list of one key's past versions, newest first, so that reads at an older
//! revision can be checked. Clones share structure; equality and hashing are cheap when
//! the lists share their tails.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::history::Revision;

#[derive(Debug)]
struct Node {
    revision: Revision,
    /// `None` is a tombstone (the key was deleted at `revision`).
    value: Option<Arc<str>>,
    /// Hash of this node and everything older.
    hash: u64,
    prev: Option<Arc<Node>>,
}

/// One key's versions, newest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Versions(Option<Arc<Node>>);

impl Versions {
    /// Record that the key got `value` (or was deleted, `None`) at `revision`.
    pub(crate) fn push(&self, revision: Revision, value: Option<Arc<str>>) -> Versions {
        let prev_hash = self.0.as_ref().map_or(0, |n| n.hash);
        let mut h = crate::hash::FxHasher::default();
        (prev_hash, revision, &value).hash(&mut h);
        Versions(Some(Arc::new(Node {
            revision,
            value,
            hash: h.finish(),
            prev: self.0.clone(),
        })))
    }

    /// The key's `(value, mod_revision)` as of `revision`, or `None` if it did not exist then.
    pub(crate) fn at(&self, revision: Revision) -> Option<(Arc<str>, Revision)> {
        let mut node = self.0.as_deref();
        while let Some(n) = node {
            if n.revision <= revision {
                return n.value.clone().map(|v| (v, n.revision));
            }
            node = n.prev.as_deref();
        }
        None
    }
}

impl PartialEq for Versions {
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (self.0.as_ref(), other.0.as_ref());
        loop {
            match (a, b) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if Arc::ptr_eq(x, y) {
                        return true;
                    }
                    if x.hash != y.hash || x.revision != y.revision || x.value != y.value {
                        return false;
                    }
                    a = x.prev.as_ref();
                    b = y.prev.as_ref();
                }
                _ => return false,
            }
        }
    }
}

impl Eq for Versions {}

impl Hash for Versions {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.as_ref().map_or(0, |n| n.hash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_equality() {
        let v = Versions::default()
            .push(2, Some("a".into()))
            .push(4, None)
            .push(6, Some("b".into()));
        assert_eq!(v.at(1), None);
        assert_eq!(v.at(3), Some(("a".into(), 2)));
        assert_eq!(v.at(5), None);
        assert_eq!(v.at(9), Some(("b".into(), 6)));
        let w = Versions::default()
            .push(2, Some("a".into()))
            .push(4, None)
            .push(6, Some("b".into()));
        assert_eq!(v, w);
        assert_ne!(v, w.push(7, None));
    }
}
