//! One node's watchers (etcd's `watchable_store` + `watcher_group` + the response
//! shaping of `v3rpc/watch.go`).
//!
//! The hub is driven synchronously: call [`WatchHub::notify`] after every applied
//! write, in order, with the write's events and revision. A watcher created with a
//! historical start revision is replayed from the [`Store`] at creation and then
//! receives live events, so it sees every revision exactly once. Responses queue up
//! until [`WatchHub::take_responses`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::KeyRange;
use crate::store::Store;
use crate::types::{Event, EventType};

/// At most this many revisions go into one replay response (etcd's `watchBatchMaxRevs`).
pub const MAX_REVS_PER_RESPONSE: usize = 1000;

/// The watch id etcd uses for a progress response that is not tied to one watcher.
pub const BROADCAST_WATCH_ID: i64 = -1;

/// Event filters (etcdserverpb.WatchCreateRequest.FilterType).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchFilter {
    /// Drop PUT events.
    NoPut,
    /// Drop DELETE events.
    NoDelete,
}

/// A watch create request (etcdserverpb.WatchCreateRequest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WatchCreateRequest {
    /// The key (or first key).
    pub key: Vec<u8>,
    /// Same meaning as [`crate::RangeRequest::range_end`].
    pub range_end: Vec<u8>,
    /// First revision to deliver (inclusive); 0 = current + 1.
    pub start_revision: i64,
    /// Include each event's previous key-value.
    pub prev_kv: bool,
    /// Events to leave out.
    pub filters: Vec<WatchFilter>,
    /// Receive progress responses from [`WatchHub::progress`].
    pub progress_notify: bool,
    /// Requested id; 0 = let the hub choose (first free id counting from 0, as etcd).
    pub watch_id: i64,
}

/// A watch response (etcdserverpb.WatchResponse).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WatchResponse {
    /// The watcher, or [`BROADCAST_WATCH_ID`].
    pub watch_id: i64,
    /// Header revision: the events' revision for live events, the store revision for
    /// created/replay/cancel/progress responses.
    pub revision: i64,
    /// Events, in revision order; one revision is never split across responses.
    pub events: Vec<Event>,
    /// Set (with `canceled`) when the start revision was compacted.
    pub compact_revision: i64,
    /// The response to a create.
    pub created: bool,
    /// The watcher is gone.
    pub canceled: bool,
    /// Why a create failed (etcd's error text), else empty.
    pub cancel_reason: String,
}

#[derive(Clone, Debug)]
struct Watcher {
    range: KeyRange,
    /// The next revision this watcher has to receive.
    next_rev: i64,
    prev_kv: bool,
    filters: Vec<WatchFilter>,
    progress_notify: bool,
    /// No events were sent since the last progress tick (etcd's `progress[id]`).
    progress_due: bool,
}

impl Watcher {
    /// The events of `events` this watcher receives, shaped for it.
    fn select(&self, events: &[Event]) -> Vec<Event> {
        events
            .iter()
            .filter(|e| e.kv.mod_revision >= self.next_rev && self.range.contains(&e.kv.key))
            .filter(|e| {
                !self.filters.iter().any(|f| match f {
                    WatchFilter::NoPut => e.kind == EventType::Put,
                    WatchFilter::NoDelete => e.kind == EventType::Delete,
                })
            })
            .map(|e| {
                let mut e = e.clone();
                if !self.prev_kv {
                    e.prev_kv = None;
                }
                e
            })
            .collect()
    }
}

/// Watchers of one node and their pending responses.
#[derive(Clone, Debug, Default)]
pub struct WatchHub {
    watchers: BTreeMap<i64, Box<Watcher>>,
    next_id: i64,
    revision: i64,
    responses: Vec<WatchResponse>,
}

impl WatchHub {
    /// A hub without watchers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create a watcher. Queues a `created` response; then, for a start revision at
    /// or below the store's compaction point, a response with `compact_revision` set
    /// and `canceled` (the watcher is not kept); otherwise the history from the start
    /// revision up to the current revision, if any.
    ///
    /// Errors ([`Error::EmptyWatcherRange`], [`Error::DuplicateWatchId`]) also queue
    /// the `created` + `canceled` response etcd sends, with id -1 and the error text
    /// as `cancel_reason`.
    pub fn create(&mut self, store: &Store, req: &WatchCreateRequest) -> Result<i64> {
        let cur = store.current_revision();
        self.revision = cur;
        let range = KeyRange::new(&req.key, &req.range_end);
        let check = if range.is_empty() {
            Err(Error::EmptyWatcherRange)
        } else if req.watch_id != 0 && self.watchers.contains_key(&req.watch_id) {
            Err(Error::DuplicateWatchId)
        } else {
            Ok(())
        };
        if let Err(e) = check {
            self.responses.push(WatchResponse {
                watch_id: -1,
                revision: cur,
                created: true,
                canceled: true,
                cancel_reason: e.to_string(),
                ..Default::default()
            });
            return Err(e);
        }
        let id = if req.watch_id != 0 {
            req.watch_id
        } else {
            while self.watchers.contains_key(&self.next_id) {
                self.next_id += 1;
            }
            self.next_id += 1;
            self.next_id - 1
        };
        self.responses.push(WatchResponse {
            watch_id: id,
            revision: cur,
            created: true,
            ..Default::default()
        });
        let start = if req.start_revision == 0 {
            cur + 1
        } else {
            req.start_revision
        };
        self.watchers.insert(
            id,
            Box::new(Watcher {
                range,
                next_rev: start,
                prev_kv: req.prev_kv,
                filters: req.filters.clone(),
                progress_notify: req.progress_notify,
                progress_due: req.progress_notify,
            }),
        );
        self.catch_up(id, store);
        Ok(id)
    }

    /// Bring watcher `id` up to the store's revision from history, or cancel it
    /// with the compact revision if its history is gone.
    fn catch_up(&mut self, id: i64, store: &Store) {
        let cur = store.current_revision();
        let w = &self.watchers[&id];
        if w.next_rev > cur {
            return;
        }
        let (key, end) = match &w.range {
            KeyRange::Single(k) => (k.clone(), Vec::new()),
            KeyRange::From(k) => (k.clone(), vec![0]),
            KeyRange::Between(k, e) => (k.clone(), e.clone()),
        };
        let history = match store.events_since(w.next_rev, &key, &end) {
            Ok(h) => h,
            Err(_) => {
                self.watchers.remove(&id);
                self.responses.push(WatchResponse {
                    watch_id: id,
                    revision: cur,
                    compact_revision: store.compact_revision(),
                    canceled: true,
                    ..Default::default()
                });
                return;
            }
        };
        let events = w.select(&history);
        let w = self.watchers.get_mut(&id).expect("present");
        w.next_rev = cur + 1;
        if !events.is_empty() {
            w.progress_due = false;
        }
        let mut batch: Vec<Event> = Vec::new();
        let mut revs = 0;
        for e in events {
            if batch
                .last()
                .is_none_or(|l| l.kv.mod_revision != e.kv.mod_revision)
            {
                if revs == MAX_REVS_PER_RESPONSE {
                    self.push_events(id, cur, std::mem::take(&mut batch));
                    revs = 0;
                }
                revs += 1;
            }
            batch.push(e);
        }
        if !batch.is_empty() {
            self.push_events(id, cur, batch);
        }
    }

    fn push_events(&mut self, id: i64, revision: i64, events: Vec<Event>) {
        self.responses.push(WatchResponse {
            watch_id: id,
            revision,
            events,
            ..Default::default()
        });
    }

    /// Deliver the events of one applied write at `revision` (call after every
    /// write, in order, even one that changed nothing). Each interested watcher gets
    /// one response with all of its events of that revision.
    pub fn notify(&mut self, events: &[Event], revision: i64) {
        self.revision = self.revision.max(revision);
        let mut out = Vec::new();
        for (id, w) in self.watchers.iter_mut() {
            if w.next_rev > revision {
                continue; // starts later
            }
            let evs = w.select(events);
            w.next_rev = revision + 1;
            if !evs.is_empty() {
                w.progress_due = false;
                out.push((*id, evs));
            }
        }
        for (id, evs) in out {
            self.push_events(id, revision, evs);
        }
    }

    /// Catch every watcher up with `store` from its history (after the store was
    /// replaced by a snapshot, when the individual writes were never notified).
    /// Watchers whose history was compacted are cancelled with the compact revision.
    pub fn resync(&mut self, store: &Store) {
        self.revision = store.current_revision();
        let ids: Vec<i64> = self.watchers.keys().copied().collect();
        for id in ids {
            self.catch_up(id, store);
        }
    }

    /// Cancel a watcher; queues the `canceled` response.
    pub fn cancel(&mut self, id: i64) -> Result<()> {
        self.watchers.remove(&id).ok_or(Error::WatcherNotExist)?;
        self.responses.push(WatchResponse {
            watch_id: id,
            revision: self.revision,
            canceled: true,
            ..Default::default()
        });
        Ok(())
    }

    /// A progress tick (etcd's periodic progress notification): every watcher with
    /// `progress_notify` that received no events since the previous tick gets an
    /// empty response with header `revision`.
    pub fn progress(&mut self, revision: i64) {
        self.revision = self.revision.max(revision);
        let mut due = Vec::new();
        for (id, w) in self.watchers.iter_mut() {
            if !w.progress_notify {
                continue;
            }
            if w.progress_due {
                due.push(*id);
            }
            w.progress_due = true;
        }
        for id in due {
            self.push_events(id, revision, Vec::new());
        }
    }

    /// Whether any watcher asked for progress notifications.
    pub fn wants_progress(&self) -> bool {
        self.watchers.values().any(|w| w.progress_notify)
    }

    /// A client's progress request (etcd's `WatchProgressRequest`): one empty
    /// response with id [`BROADCAST_WATCH_ID`] and header `revision`.
    pub fn request_progress(&mut self, revision: i64) {
        self.revision = self.revision.max(revision);
        self.push_events(BROADCAST_WATCH_ID, revision, Vec::new());
    }

    /// The queued responses, oldest first; the queue is emptied.
    pub fn take_responses(&mut self) -> Vec<WatchResponse> {
        std::mem::take(&mut self.responses)
    }

    /// Ids of the active watchers, ascending.
    pub fn watch_ids(&self) -> Vec<i64> {
        self.watchers.keys().copied().collect()
    }

    /// Number of active watchers.
    pub fn len(&self) -> usize {
        self.watchers.len()
    }

    /// True if no watcher is active.
    pub fn is_empty(&self) -> bool {
        self.watchers.is_empty()
    }
}

#[cfg(test)]
mod tests;
