//! What a store still holds: every revision its key index knows and every revision its backend
//! keeps, so that a checker can compare them with what etcd's compaction rules say must be kept.

use std::collections::BTreeMap;

use crate::revision::Revision;
use crate::store::Store;

/// The revisions a store holds (see [`Store::held`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// The store revision.
    pub revision: i64,
    /// The compaction point (0: never compacted).
    pub compact_revision: i64,
    /// Per key, the revisions its index knows, oldest first (every generation's).
    pub index: BTreeMap<Vec<u8>, Vec<Revision>>,
    /// The revisions the backend keeps, ascending, each with whether it is a tombstone.
    pub backend: Vec<(Revision, bool)>,
}

impl Store {
    /// Every revision the store holds, in its index and in its backend.
    pub fn held(&self) -> Held {
        Held {
            revision: self.current_rev,
            compact_revision: self.compact_rev,
            index: self
                .index
                .iter()
                .map(|(k, ki)| {
                    let revs = ki.generations.iter().flat_map(|g| g.revs.iter().copied());
                    (k.clone(), revs.collect())
                })
                .collect(),
            backend: self
                .backend
                .iter()
                .map(|(r, rec)| (*r, rec.tombstone))
                .collect(),
        }
    }
}
