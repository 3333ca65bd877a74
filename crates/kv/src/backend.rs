//! The store's records by revision (etcd's backend `key` bucket), in memory.
//!
//! Revisions only grow, so the records are an append-only persistent vector (imbl's RRB
//! vector): its chunks are full, where a B-tree that is only ever appended to leaves every
//! leaf half full, and a clone (a store snapshot) is O(1) and shares every chunk. A record
//! keeps its key and value bytes behind `Arc`s: a put shares the key's bytes with the key's
//! previous record, a copied chunk clones pointers rather than bytes, and a record's
//! `mod_revision` is its revision, not stored twice.

use std::sync::Arc;

use imbl::Vector;

use crate::revision::Revision;
use crate::types::KeyValue;

/// One stored change: the key-value written at a revision, or a tombstone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The key.
    pub key: Arc<[u8]>,
    /// The value (empty for a tombstone).
    pub value: Arc<[u8]>,
    /// Revision of the key's creation (0 for a tombstone).
    pub create_revision: i64,
    /// The key's version (0 for a tombstone).
    pub version: i64,
    /// The key's lease (0 for a tombstone).
    pub lease: i64,
    /// True if this change deleted the key.
    pub tombstone: bool,
}

impl Record {
    /// The tombstone of `key`.
    pub fn tombstone(key: Arc<[u8]>) -> Self {
        Record {
            key,
            value: Arc::from(&[][..]),
            create_revision: 0,
            version: 0,
            lease: 0,
            tombstone: true,
        }
    }

    /// The record of `kv` (its `mod_revision` is the revision it is stored at).
    pub fn from_kv(kv: &KeyValue, tombstone: bool) -> Self {
        Record {
            key: Arc::from(kv.key.as_slice()),
            value: Arc::from(kv.value.as_slice()),
            create_revision: kv.create_revision,
            version: kv.version,
            lease: kv.lease,
            tombstone,
        }
    }

    /// The key-value stored at `rev` (a tombstone's: only the key and `mod_revision`).
    pub fn kv(&self, rev: Revision) -> KeyValue {
        KeyValue {
            key: self.key.to_vec(),
            create_revision: self.create_revision,
            mod_revision: rev.main,
            version: self.version,
            value: self.value.to_vec(),
            lease: self.lease,
        }
    }

    /// The logical size of the record: its key and value bytes.
    pub fn size(&self) -> usize {
        self.key.len() + self.value.len()
    }
}

/// Every retained record, ascending by revision (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Backend {
    records: Vector<(Revision, Record)>,
}

impl Backend {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// The newest record's revision.
    pub fn last_revision(&self) -> Option<Revision> {
        self.records.back().map(|(r, _)| *r)
    }

    /// Appends `rec` at `rev`, above every revision held.
    pub fn push(&mut self, rev: Revision, rec: Record) {
        debug_assert!(
            self.last_revision().is_none_or(|l| l < rev),
            "revisions grow"
        );
        self.records.push_back((rev, rec));
    }

    /// The index of the first record at or above `rev`, and whether it is at `rev`.
    fn seek(&self, rev: Revision) -> (usize, bool) {
        // Without compaction and multi-change txns, a record's index is its distance from the
        // first revision: try that before a binary search.
        let first = match self.records.front() {
            Some((f, _)) => *f,
            None => return (0, false),
        };
        let guess = usize::try_from(rev.main - first.main).ok();
        if let Some((i, (r, _))) = guess.and_then(|i| Some((i, self.records.get(i)?))) {
            if *r == rev {
                return (i, true);
            }
        }
        match self.records.binary_search_by(|(r, _)| r.cmp(&rev)) {
            Ok(i) => (i, true),
            Err(i) => (i, false),
        }
    }

    /// The record at `rev`.
    pub fn get(&self, rev: Revision) -> Option<&Record> {
        match self.seek(rev) {
            (i, true) => self.records.get(i).map(|(_, rec)| rec),
            _ => None,
        }
    }

    /// Every record, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (&Revision, &Record)> {
        self.records.iter().map(|(r, rec)| (r, rec))
    }

    /// The records at or above `start`, ascending.
    pub fn since(&self, start: Revision) -> impl Iterator<Item = (&Revision, &Record)> {
        let (from, _) = self.seek(start);
        self.records
            .focus()
            .narrow(from..)
            .into_iter()
            .map(|(r, rec)| (r, rec))
    }

    /// The records at or below `end`, ascending.
    pub fn through(&self, end: Revision) -> impl Iterator<Item = (&Revision, &Record)> {
        self.iter().take_while(move |(r, _)| **r <= end)
    }

    /// Of the records at or below `end`, keeps only those for which `keep` is true; the newer
    /// ones stay as they are (shared with any clone).
    pub fn retain_through(&mut self, end: Revision, keep: impl Fn(&Revision, &Record) -> bool) {
        let (split, at) = self.seek(end);
        let newer = self.records.split_off(split + usize::from(at));
        let mut kept: Vector<(Revision, Record)> = self
            .records
            .iter()
            .filter(|(r, rec)| keep(r, rec))
            .cloned()
            .collect();
        kept.append(newer);
        self.records = kept;
    }

    /// True if both share their records (a clone not changed since).
    #[cfg(test)]
    pub fn ptr_eq(&self, other: &Self) -> bool {
        self.records.ptr_eq(&other.records)
    }
}

impl std::ops::Index<Revision> for Backend {
    type Output = Record;

    fn index(&self, rev: Revision) -> &Record {
        self.get(rev).expect("a record at an indexed revision")
    }
}
