//! The watchers of the kv, watch and lease loads: watch streams of the typed client, each
//! recorded as a [`WatchRecord`], resumed on another member when theirs is lost.

use check::watch::WatchRecord;
use kv::{WatchCreateRequest, WatchFilter};
use sim::NodeStatus;

use etcd::client::{CallId, Event as ClientEvent, EventKind, Reply};

use super::{Driver, Role};
use crate::workload::config::WorkloadKind;
use crate::workload::frame::pick;

/// A watcher: one watch stream at a time, re-created when it is lost.
#[derive(Clone, Debug)]
pub(super) struct Watcher {
    client: u32,
    /// The current stream: its record (an index into the recording's watches) and call.
    current: Option<(usize, CallId)>,
    /// When to (re)create the watch.
    next_at: Option<u64>,
    /// The record lost last (to resume from).
    lost: Option<usize>,
}

impl Watcher {
    /// Watcher `client`, whose first watch starts at `start_at`.
    pub(super) fn new(client: u32, start_at: u64) -> Self {
        Watcher {
            client,
            current: None,
            next_at: Some(start_at),
            lost: None,
        }
    }

    /// Whether it (re)creates its watch at `now`.
    pub(super) fn due(&self, now: u64) -> bool {
        self.next_at.is_some_and(|t| t <= now)
    }

    /// When it (re)creates its watch next (never, while one is open).
    pub(super) fn next_due(&self) -> u64 {
        self.next_at.unwrap_or(u64::MAX)
    }
}

impl Driver {
    /// Watcher `wi` creates its watch on a member that is up: a new one, or the one it lost,
    /// from the revision after the last it saw.
    pub(super) fn create_watch(&mut self, wi: usize) {
        let now = self.client.now();
        self.watchers[wi].next_at = None;
        let nodes: Vec<u64> = {
            let c = self.client.service().cluster();
            c.node_ids()
                .into_iter()
                .filter(|n| c.status(*n).ok() == Some(NodeStatus::Up))
                .collect()
        };
        let Some(node) = pick(&mut self.rng, &nodes) else {
            self.watchers[wi].next_at = Some(now + 300);
            return;
        };
        let (request, resumes) = match self.watchers[wi].lost {
            Some(prev) => {
                let p = &self.out.watches[prev];
                let mut req = p.request.clone();
                req.start_revision = match (p.last_event_revision(), p.start_revision()) {
                    (Some(last), _) => last + 1,
                    (None, Some(start)) => start,
                    (None, None) => p.request.start_revision,
                };
                (req, Some(prev))
            }
            None => (self.new_watch_request(node), None),
        };
        let call = self.client.watch(node, request.clone());
        let record = self.out.watches.len();
        let mut r = WatchRecord::new(self.watchers[wi].client, node, request);
        r.resumes = resumes;
        self.out.watches.push(r);
        self.roles.insert(
            call,
            Role::Watch {
                watcher: wi,
                record,
            },
        );
        self.watchers[wi].current = Some((record, call));
        self.drain();
    }

    fn new_watch_request(&mut self, node: u64) -> WatchCreateRequest {
        let current = self
            .client
            .service()
            .cluster()
            .state_machine(node)
            .map_or(1, |sm| sm.store.current_revision());
        let (key, range_end) = match self.rng.below(10) {
            0..=4 => (b"k".to_vec(), b"l".to_vec()),
            5..=7 => (self.key().into_bytes(), Vec::new()),
            _ => (b"k".to_vec(), vec![0]),
        };
        let start_revision = if self.rng.chance(0.4) {
            self.rng.range_inclusive(1, current.max(1) as u64) as i64
        } else {
            0
        };
        let filters = match self.rng.below(8) {
            0 => vec![WatchFilter::NoPut],
            1 => vec![WatchFilter::NoDelete],
            _ => Vec::new(),
        };
        WatchCreateRequest {
            key,
            range_end,
            start_revision,
            prev_kv: self.rng.chance(0.5),
            filters,
            // Only the watch workload asks (the other workloads' runs stay as they were).
            progress_notify: self.w.kind == WorkloadKind::Watch && self.rng.chance(0.5),
            ..Default::default()
        }
    }

    /// A message of watcher `wi`'s stream (recorded as `record`): the created message gives
    /// the start revision; others are recorded; a cancel ends the stream, a failure (its
    /// member lost) has it resumed elsewhere.
    pub(super) fn on_watch(&mut self, wi: usize, record: usize, e: ClientEvent) {
        match e.kind {
            EventKind::Reply(Reply::Watch(resp)) => {
                if resp.created {
                    self.out.watches[record].created_revision = Some(resp.header.revision);
                    return;
                }
                let canceled = resp.canceled;
                let responses = &mut self.out.watches[record].responses;
                responses.push((e.at_ms, resp.into_body()));
                if canceled {
                    self.watch_ended(wi, e.call, record, false);
                }
            }
            EventKind::Failed(_) => self.watch_ended(wi, e.call, record, true),
            _ => {}
        }
    }

    fn watch_ended(&mut self, wi: usize, call: CallId, record: usize, resume: bool) {
        self.roles.remove(&call);
        let delay = self.rng.range_inclusive(100, 800);
        let now = self.client.now();
        let w = &mut self.watchers[wi];
        w.current = None;
        if resume {
            w.lost = Some(record);
            w.next_at = Some(now + delay);
        }
    }

    /// At the end of the run, the watches still open: their member's final revision bounds
    /// what they must have seen.
    pub(super) fn close_watches(&mut self) {
        let c = self.client.service().cluster();
        for w in &self.watchers {
            if let Some((record, _)) = w.current {
                let node = self.out.watches[record].node;
                if c.status(node).ok() == Some(NodeStatus::Up) {
                    let rev = c.state_machine(node).map(|sm| sm.store.current_revision());
                    self.out.watches[record].end_revision = rev.ok();
                }
            }
        }
    }
}
