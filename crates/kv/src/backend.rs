//! The store's records by revision (etcd's backend `key` bucket), in memory.
//!
//! Revisions only grow, so the records are an append-only persistent vector (imbl's RRB
//! vector): its chunks are full, where a B-tree that is only ever appended to leaves every
//! leaf half full, and a clone (a store snapshot) is O(1) and shares every chunk. A record
//! keeps its key and value bytes behind `Arc`s: a put shares the key's bytes with the key's
//! previous record, a copied chunk clones pointers rather than bytes, and a record's
//! `mod_revision` is its revision, not stored twice.
//!
//! The members of a simulated cluster write the same records at the same revisions, and run
//! on one thread: a record is kept behind an `Arc`, and the latest records made on the thread
//! are kept here by revision ([`shared`]), so that a member writing a record equal to one
//! another member wrote at the same revision holds that one. Equality is checked in full, so
//! sharing never changes what a store holds, only how many copies of it exist (24 bytes a
//! member for a put instead of 80, natively).

use std::cell::RefCell;
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

/// Records kept for sharing: a follower writes a put's record soon after the leader (within
/// the entries in flight); one further behind makes its own.
const SLOTS: usize = 256;

/// A kept record: where it was written, and the record.
type Kept = Option<(Revision, Arc<Record>)>;

thread_local! {
    static RECENT: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

/// `rec`, written at `rev`, as a shared record: the one made on this thread at `rev` if it is
/// equal (another member's), else a new one, kept for the next member.
pub(crate) fn shared(rev: Revision, rec: Record) -> Arc<Record> {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.is_empty() {
            recent.resize_with(SLOTS, || None);
        }
        let at = (rev
            .main
            .wrapping_add(rev.sub.wrapping_mul(SLOTS as i64 / 2 + 1)) as u64
            % SLOTS as u64) as usize;
        let slot = &mut recent[at];
        if let Some((r, kept)) = slot {
            if *r == rev && **kept == rec {
                return kept.clone();
            }
        }
        let rec = Arc::new(rec);
        *slot = Some((rev, rec.clone()));
        rec
    })
}

/// Every retained record, ascending by revision (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Backend {
    records: Vector<(Revision, Arc<Record>)>,
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

    /// Appends `rec` at `rev`, above every revision held (see [`shared`]).
    pub fn push(&mut self, rev: Revision, rec: Record) {
        let rec = shared(rev, rec);
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
            (i, true) => self.records.get(i).map(|(_, rec)| &**rec),
            _ => None,
        }
    }

    /// Every record, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (&Revision, &Record)> {
        self.records.iter().map(|(r, rec)| (r, &**rec))
    }

    /// The records at or above `start`, ascending.
    pub fn since(&self, start: Revision) -> impl Iterator<Item = (&Revision, &Record)> {
        let (from, _) = self.seek(start);
        self.records
            .focus()
            .narrow(from..)
            .into_iter()
            .map(|(r, rec)| (r, &**rec))
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
        let mut kept: Vector<(Revision, Arc<Record>)> = self
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

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str, version: i64) -> Record {
        Record {
            key: Arc::from(key.as_bytes()),
            value: Arc::from(value.as_bytes()),
            create_revision: 2,
            version,
            lease: 0,
            tombstone: false,
        }
    }

    fn held(b: &Backend, rev: Revision) -> Arc<Record> {
        let (i, found) = b.seek(rev);
        assert!(found);
        b.records[i].1.clone()
    }

    #[test]
    fn members_writing_the_same_record_hold_one_copy_and_a_different_one_its_own() {
        let rev = Revision::new(90_001, 0);
        let (mut a, mut b, mut c) = (Backend::default(), Backend::default(), Backend::default());
        a.push(rev, put("k", "v", 3));
        b.push(rev, put("k", "v", 3));
        assert!(Arc::ptr_eq(&held(&a, rev), &held(&b, rev)), "one copy");
        // Another version at the same revision (a member that diverged): its own record,
        // holding what it wrote.
        c.push(rev, put("k", "v", 4));
        assert!(!Arc::ptr_eq(&held(&a, rev), &held(&c, rev)));
        assert_eq!(c[rev].version, 4);
        assert_eq!(a[rev].version, 3);
        // The same record at another revision is not shared either.
        let next = Revision::new(90_002, 0);
        a.push(next, put("k", "v", 3));
        assert!(!Arc::ptr_eq(&held(&a, next), &held(&b, rev)));
    }
}
