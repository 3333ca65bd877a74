//! Our `raft::Storage`: the durable part of a node.
//!
//! Every write is synchronous (as etcd fsyncs its WAL before acknowledging), so everything held
//! here survives a crash: hard state, the log after the last snapshot, and the last snapshot
//! (metadata plus the applied state machine's image). What a crash loses lives elsewhere: the
//! `RawNode` (roles, progress, unstable entries, pending reads) and the in-memory state machine.
//! The storage is a plain value: `Clone` shares the log's full chunks (see
//! [`crate::chunked_log`]) and the snapshot image, which is immutable (see [`crate::Image`]);
//! that is what a crash and a checkpoint keep.
//!
//! The snapshot is held as a value: its bytes are produced only when raft-rs asks for the
//! snapshot to send it to a follower ([`raft::Storage::snapshot`]).

use std::cell::RefCell;
use std::sync::Arc;

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot, SnapshotMetadata};
use raft::{GetEntriesContext, RaftState, StorageError};

use crate::chunked_log::ChunkedLog;
use crate::state_machine::SharedImage;

/// Full log chunks kept per thread, by their first index, for the next member to share.
const SLOTS: usize = 64;

/// A kept chunk: its first index, and the chunk.
type Kept = Option<(u64, Arc<Vec<Entry>>)>;

thread_local! {
    static RECENT: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

/// A log chunk just filled, starting at index `start`: swapped for the equal chunk another
/// member filled at `start` on this thread, if there is one; else kept for the next member.
/// The members of a cluster hold the same entries, so they hold one copy of them. Equality is
/// checked in full, so what a log holds never changes.
fn share_chunk(start: u64, chunk: &mut Arc<Vec<Entry>>) {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.is_empty() {
            recent.resize_with(SLOTS, || None);
        }
        let slot = &mut recent[((start / 64) % SLOTS as u64) as usize];
        match slot {
            Some((s, kept)) if *s == start && (Arc::ptr_eq(kept, chunk) || **kept == **chunk) => {
                *chunk = kept.clone();
            }
            _ => *slot = Some((start, chunk.clone())),
        }
    });
}

/// The empty image of a node that has no snapshot yet.
fn no_image() -> SharedImage {
    Arc::new(Vec::<u8>::new())
}

/// Durable state of one node.
#[derive(Clone, Debug)]
pub struct DurableStorage {
    hard_state: HardState,
    /// Conf state as of the snapshot index; later conf changes are replayed from the log.
    conf_state: ConfState,
    /// The last snapshot's metadata (its data stays empty). Index 0 means none.
    snapshot: Snapshot,
    /// The last snapshot's state machine image.
    image: SharedImage,
    /// Entries after `snapshot.metadata.index`, contiguous, at their indexes.
    entries: ChunkedLog<Entry>,
    /// A newer snapshot to send to followers, taken without compacting (after a configuration
    /// change, so that a node that just joined finds itself in the snapshot's configuration).
    serving: Option<(Snapshot, SharedImage)>,
}

impl Default for DurableStorage {
    fn default() -> Self {
        DurableStorage {
            hard_state: HardState::default(),
            conf_state: ConfState::default(),
            snapshot: Snapshot::default(),
            image: no_image(),
            entries: ChunkedLog::starting_at(1),
            serving: None,
        }
    }
}

impl DurableStorage {
    /// A bootstrapped member of the initial cluster: a snapshot at `index`/`term` holding the
    /// initial configuration and state machine, as etcd and TiKV bootstrap.
    pub fn bootstrap(conf_state: ConfState, index: u64, term: u64, image: SharedImage) -> Self {
        let mut snapshot = Snapshot::default();
        let mut meta = SnapshotMetadata::default();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(conf_state.clone());
        snapshot.set_metadata(meta);
        let mut hard_state = HardState::default();
        hard_state.term = term;
        hard_state.commit = index;
        DurableStorage {
            hard_state,
            conf_state,
            snapshot,
            image,
            entries: ChunkedLog::starting_at(index + 1),
            serving: None,
        }
    }

    /// An empty storage for a node that joins later; it learns everything from a snapshot.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The persisted hard state.
    pub fn hard_state(&self) -> &HardState {
        &self.hard_state
    }

    /// Persists a new hard state.
    pub fn set_hard_state(&mut self, hs: HardState) {
        self.hard_state = hs;
    }

    /// Persists a new commit index (from a light ready).
    pub fn set_commit(&mut self, commit: u64) {
        self.hard_state.commit = commit;
    }

    /// The last snapshot's metadata (its `data` is empty: see [`DurableStorage::image`]).
    pub fn snapshot_ref(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The last snapshot's state machine image.
    pub fn image(&self) -> &SharedImage {
        &self.image
    }

    /// Index of the last snapshot (0 if none).
    pub fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    /// The entries held after the snapshot, in index order.
    pub fn entries_ref(&self) -> impl Iterator<Item = &Entry> {
        self.entries.range(0, u64::MAX)
    }

    /// The index of the last entry held, or the snapshot's when none is.
    pub fn last_index_held(&self) -> u64 {
        self.last()
    }

    /// The held entries with index in `lo..hi`, in order.
    pub fn entries_between(&self, lo: u64, hi: u64) -> impl Iterator<Item = &Entry> {
        self.entries.range(lo, hi)
    }

    fn first(&self) -> u64 {
        self.snapshot_index() + 1
    }

    fn last(&self) -> u64 {
        self.entries.end() - 1
    }

    /// Appends entries, truncating any conflicting suffix first.
    ///
    /// # Errors
    /// Returns an error string if the entries would leave a gap or overwrite compacted entries.
    pub fn append(&mut self, ents: &[Entry]) -> Result<(), String> {
        let Some(first_new) = ents.first().map(|e| e.index) else {
            return Ok(());
        };
        if first_new < self.first() {
            return Err(format!(
                "append at {first_new} overwrites compacted log (first index {})",
                self.first()
            ));
        }
        if first_new > self.last() + 1 {
            return Err(format!(
                "append at {first_new} leaves a gap after last index {}",
                self.last()
            ));
        }
        self.entries.truncate(first_new);
        for e in ents {
            self.entries.push_sealing(e.clone(), share_chunk);
        }
        Ok(())
    }

    /// Installs a snapshot received from the leader: the log is replaced by it. `image` is the
    /// state machine as restored from the snapshot's bytes.
    pub fn apply_snapshot(&mut self, mut snap: Snapshot, image: SharedImage) {
        snap.data = Default::default();
        let meta = snap.get_metadata();
        self.hard_state.term = self.hard_state.term.max(meta.term);
        self.hard_state.commit = self.hard_state.commit.max(meta.index);
        self.conf_state = meta.get_conf_state().clone();
        self.entries.reset(meta.index + 1);
        self.snapshot = snap;
        self.image = image;
        self.serving = None;
    }

    /// Keeps a snapshot at `index` to send to followers, without compacting the log.
    pub fn set_serving_snapshot(&mut self, index: u64, conf_state: ConfState, image: SharedImage) {
        let Some(term) = self.term_of(index) else {
            return;
        };
        let mut meta = SnapshotMetadata::default();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(conf_state);
        let mut snap = Snapshot::default();
        snap.set_metadata(meta);
        self.serving = Some((snap, image));
    }

    /// Takes a snapshot at `index` (which must be applied and in the log) with the given
    /// configuration and state machine bytes, then drops the entries it covers.
    ///
    /// # Errors
    /// Returns an error string if `index` is outside the log.
    pub fn compact_to(
        &mut self,
        index: u64,
        conf_state: ConfState,
        image: SharedImage,
    ) -> Result<(), String> {
        if index <= self.snapshot_index() {
            return Ok(());
        }
        if index > self.last() {
            return Err(format!(
                "compact to {index} beyond last index {}",
                self.last()
            ));
        }
        let term = self.term_of(index).ok_or("term unavailable")?;
        let mut meta = SnapshotMetadata::default();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(conf_state.clone());
        let mut snap = Snapshot::default();
        snap.set_metadata(meta);
        self.entries.forget_before(index + 1);
        self.snapshot = snap;
        self.image = image;
        self.conf_state = conf_state;
        if self
            .serving
            .as_ref()
            .is_some_and(|(s, _)| s.get_metadata().index <= index)
        {
            self.serving = None;
        }
        Ok(())
    }

    /// Term of the entry at `idx`, if known (the snapshot index counts).
    pub fn term_of(&self, idx: u64) -> Option<u64> {
        let snap = self.snapshot.get_metadata();
        if idx == snap.index {
            return Some(snap.term);
        }
        if idx < self.first() || idx > self.last() {
            return None;
        }
        self.entries.get(idx).map(|e| e.term)
    }

    /// Entry at `idx`, if held.
    pub fn entry(&self, idx: u64) -> Option<&Entry> {
        self.entries.get(idx)
    }
}

impl raft::Storage for DurableStorage {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState {
            hard_state: self.hard_state.clone(),
            conf_state: self.conf_state.clone(),
        })
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        if low < self.first() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let mut ents: Vec<Entry> = self.entries.range(low, high).cloned().collect();
        raft::util::limit_size(&mut ents, max_size.into());
        Ok(ents)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        if idx < self.snapshot_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        self.term_of(idx)
            .ok_or(raft::Error::Store(StorageError::Unavailable))
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.first())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.last())
    }

    /// The snapshot to send to a follower: the only place its bytes are produced.
    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        let (snap, image) = match &self.serving {
            Some((s, i)) => (s, i),
            None => (&self.snapshot, &self.image),
        };
        if snap.get_metadata().index < request_index {
            return Err(raft::Error::Store(
                StorageError::SnapshotTemporarilyUnavailable,
            ));
        }
        let mut out = snap.clone();
        out.data = image.encode().into();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::Storage;

    fn ent(index: u64, term: u64) -> Entry {
        let mut e = Entry::default();
        e.index = index;
        e.term = term;
        e
    }

    fn boot() -> DurableStorage {
        let mut cs = ConfState::default();
        cs.voters = vec![1, 2, 3];
        DurableStorage::bootstrap(cs, 1, 1, Arc::new(b"init".to_vec()))
    }

    #[test]
    fn bootstrap_state() {
        let s = boot();
        assert_eq!(s.first_index().unwrap(), 2);
        assert_eq!(s.last_index().unwrap(), 1);
        assert_eq!(s.term(1).unwrap(), 1);
        assert_eq!(s.initial_state().unwrap().conf_state.voters, vec![1, 2, 3]);
        assert_eq!(s.initial_state().unwrap().hard_state.commit, 1);
    }

    #[test]
    fn append_truncates_conflicts_and_rejects_gaps() {
        let mut s = boot();
        s.append(&[ent(2, 1), ent(3, 1), ent(4, 1)]).unwrap();
        s.append(&[ent(3, 2)]).unwrap();
        assert_eq!(s.last_index().unwrap(), 3);
        assert_eq!(s.term(3).unwrap(), 2);
        assert!(s.append(&[ent(9, 2)]).is_err());
        assert!(s.append(&[ent(1, 2)]).is_err());
    }

    #[test]
    fn compaction_keeps_term_of_snapshot_index() {
        let mut s = boot();
        s.append(&[ent(2, 1), ent(3, 2), ent(4, 2)]).unwrap();
        s.compact_to(3, ConfState::default(), Arc::new(b"sm".to_vec()))
            .unwrap();
        assert_eq!(s.first_index().unwrap(), 4);
        assert_eq!(s.term(3).unwrap(), 2);
        assert!(s.term(2).is_err());
        assert!(s
            .entries(2, 4, None, GetEntriesContext::empty(false))
            .is_err());
        assert_eq!(s.snapshot(0, 2).unwrap().get_metadata().index, 3);
        // The bytes exist only in what is sent; the storage keeps the image.
        assert_eq!(&s.snapshot(0, 2).unwrap().data[..], b"sm");
        assert!(s.snapshot_ref().data.is_empty());
        assert!(s.snapshot(4, 2).is_err());
    }

    #[test]
    fn members_share_equal_chunks_and_keep_their_own() {
        let (mut a, mut b, mut c) = (boot(), boot(), boot());
        let ents: Vec<Entry> = (2..300).map(|i| ent(i, 1)).collect();
        a.append(&ents).unwrap();
        b.append(&ents).unwrap();
        // c diverges at 150: its chunks from there are its own.
        c.append(&ents[..148]).unwrap();
        c.append(&(150..300).map(|i| ent(i, 2)).collect::<Vec<_>>())
            .unwrap();
        let chunk = |s: &DurableStorage, i: usize| s.entries.chunk(i).cloned();
        assert!(Arc::ptr_eq(&chunk(&a, 1).unwrap(), &chunk(&b, 1).unwrap()));
        assert!(Arc::ptr_eq(&chunk(&a, 1).unwrap(), &chunk(&c, 1).unwrap()));
        assert!(!Arc::ptr_eq(&chunk(&a, 3).unwrap(), &chunk(&c, 3).unwrap()));
        assert_eq!(c.term(200).unwrap(), 2);
        assert_eq!(a.term(200).unwrap(), 1);
        // A shared chunk changed by one member is copied: the other keeps its entries.
        b.append(&[ent(100, 3)]).unwrap();
        assert_eq!((a.term(100).unwrap(), b.term(100).unwrap()), (1, 3));
        assert_eq!(a.last_index().unwrap(), 299);
    }

    #[test]
    fn clone_is_deep() {
        let mut s = boot();
        let saved = s.clone();
        s.append(&[ent(2, 1)]).unwrap();
        assert_eq!(saved.last_index().unwrap(), 1);
        assert_eq!(s.last_index().unwrap(), 2);
    }
}
