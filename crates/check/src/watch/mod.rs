//! Watch validators, after the rules of etcd's robustness tests (`tests/robustness/validate`).
//!
//! A [`WatchRecord`] is what one client saw from one watch: the create request, the member it
//! talked to, the store revision the member reported when the watch was created, and every
//! response in the order it arrived. [`validate`] checks a set of records against the
//! *committed log*: every event of the run, in revision order, as a replay of the final store
//! gives it (kv's `Store::events_since(1, b"", b"\0")` on a member that has applied everything).
//!
//! The rules ([`WatchRule`]):
//! - **ordered**: event revisions never go down, within a response and across responses;
//! - **unique**: no (revision, key) event is delivered twice;
//! - **atomic**: a revision is never split over two responses, and a response that carries a
//!   revision carries every event of it the watch selects;
//! - **reliable**: from the start revision up to the last revision delivered (or, for a watch
//!   still open at the end, its member's final revision), no event the watch selects is missing;
//! - **resumable**: a watch re-created after its member was lost (with `start_revision` = last
//!   revision seen + 1) continues the sequence exactly: nothing lost, nothing repeated;
//! - **prev_kv**: `prev_kv` is present exactly when asked for and the key existed, and equals
//!   the key's previous version in the log (an event at the watch's start revision may lack it:
//!   a watch may start at the compaction point, and etcd reads `prev_kv` at the revision
//!   before, which is compacted);
//! - **filter**: only keys in the watched range, no PUT under `NoPut`, no DELETE under
//!   `NoDelete`;
//! - **log**: every delivered event is the committed log's event at that revision and key (a
//!   watcher never sees an uncommitted or made-up change), so every watcher sees the same
//!   sequence;
//! - **bookmark**: a progress response (no events) reports a header revision no lower than any
//!   event delivered before it, and no event delivered after it is at or below it.
//!
//! ```
//! use check::watch::{validate, WatchRecord, WatchRule};
//! use kv::{Event, EventType, KeyValue, WatchCreateRequest, WatchResponse};
//!
//! let put = |rev: i64, key: &str| Event {
//!     kind: EventType::Put,
//!     kv: KeyValue { key: key.into(), create_revision: rev, mod_revision: rev, version: 1,
//!                    value: b"v".to_vec(), lease: 0 },
//!     prev_kv: None,
//! };
//! let log = vec![put(2, "a"), put(3, "b")];
//! let resp = |events: Vec<Event>| WatchResponse {
//!     revision: events.last().map_or(0, |e| e.kv.mod_revision), events, ..Default::default()
//! };
//! let mut rec = WatchRecord::new(1, 1, WatchCreateRequest {
//!     key: b"a".to_vec(), range_end: b"\0".to_vec(), start_revision: 1, ..Default::default()
//! });
//! rec.responses = vec![(10, resp(vec![put(2, "a")])), (20, resp(vec![put(3, "b")]))];
//! assert!(validate(&[rec.clone()], &log).is_empty());
//! // Drop the first response: the second one leaves a gap.
//! rec.responses.remove(0);
//! assert_eq!(validate(&[rec], &log)[0].rule, WatchRule::Reliable);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kv::{Event, EventType, KeyRange, WatchCreateRequest, WatchFilter, WatchResponse};
use serde::{Deserialize, Serialize};

/// What one client saw from one watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRecord {
    /// The client that watched.
    pub client: u32,
    /// The member the watch was created on.
    pub node: u64,
    /// The create request.
    pub request: WatchCreateRequest,
    /// The store revision the member reported in its `created` response (a watch with
    /// `start_revision` 0 starts right after it). `None` if no created response arrived.
    pub created_revision: Option<i64>,
    /// Every response after the `created` one, with its arrival time (virtual ms).
    pub responses: Vec<(u64, WatchResponse)>,
    /// If this watch resumes another one (that record's index) after its member was lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<usize>,
    /// If the watch was still open at the end of the run: its member's store revision then.
    /// Every event the watch selects up to it must have been delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_revision: Option<i64>,
}

impl WatchRecord {
    /// A record with no responses yet.
    pub fn new(client: u32, node: u64, request: WatchCreateRequest) -> Self {
        WatchRecord {
            client,
            node,
            request,
            created_revision: None,
            responses: Vec::new(),
            resumes: None,
            end_revision: None,
        }
    }

    /// The first revision this watch must deliver, if known.
    pub fn start_revision(&self) -> Option<i64> {
        if self.request.start_revision > 0 {
            Some(self.request.start_revision)
        } else {
            self.created_revision.map(|r| r + 1)
        }
    }

    /// Revision of the last event delivered.
    pub fn last_event_revision(&self) -> Option<i64> {
        self.events().last().map(|e| e.kv.mod_revision)
    }

    /// Every event delivered, in arrival order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.responses.iter().flat_map(|(_, r)| r.events.iter())
    }

    fn selects(&self, range: &KeyRange, e: &Event) -> bool {
        range.contains(&e.kv.key)
            && !self.request.filters.iter().any(|f| match f {
                WatchFilter::NoPut => e.kind == EventType::Put,
                WatchFilter::NoDelete => e.kind == EventType::Delete,
            })
    }
}

/// A watch guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchRule {
    /// Revisions never go down.
    Ordered,
    /// No event twice.
    Unique,
    /// A revision is delivered whole, in one response.
    Atomic,
    /// No gap from the start revision.
    Reliable,
    /// A resumed watch continues exactly where the lost one stopped.
    Resumable,
    /// `prev_kv` is right.
    PrevKv,
    /// Range and filters are honoured.
    Filter,
    /// Every event is the committed log's.
    Log,
    /// Progress responses are consistent with the events.
    Bookmark,
}

impl WatchRule {
    /// Lower-case name, as etcd's robustness tests name the property.
    pub fn name(self) -> &'static str {
        match self {
            WatchRule::Ordered => "ordered",
            WatchRule::Unique => "unique",
            WatchRule::Atomic => "atomic",
            WatchRule::Reliable => "reliable",
            WatchRule::Resumable => "resumable",
            WatchRule::PrevKv => "prev_kv",
            WatchRule::Filter => "filter",
            WatchRule::Log => "log",
            WatchRule::Bookmark => "bookmark",
        }
    }
}

impl fmt::Display for WatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken guarantee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchViolation {
    /// The rule.
    pub rule: WatchRule,
    /// Index of the watch record.
    pub watch: usize,
    /// Its client.
    pub client: u32,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for WatchViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "watch #{} (client {}): {}: {}",
            self.watch, self.client, self.rule, self.detail
        )
    }
}

/// The committed log, indexed by revision.
struct Log<'a> {
    by_rev: BTreeMap<i64, Vec<&'a Event>>,
}

impl<'a> Log<'a> {
    fn new(events: &'a [Event]) -> Self {
        let mut by_rev: BTreeMap<i64, Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_rev.entry(e.kv.mod_revision).or_default().push(e);
        }
        Log { by_rev }
    }

    fn get(&self, rev: i64, key: &[u8]) -> Option<&'a Event> {
        self.by_rev
            .get(&rev)?
            .iter()
            .copied()
            .find(|e| e.kv.key == key)
    }

    /// Events the record selects at revisions in `[from, to]`, in log order.
    fn selected(&self, rec: &WatchRecord, range: &KeyRange, from: i64, to: i64) -> Vec<&'a Event> {
        if from > to {
            return Vec::new();
        }
        self.by_rev
            .range(from..=to)
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|e| rec.selects(range, e))
            .collect()
    }
}

fn show_key(k: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(k))
}

fn show_event(e: &Event) -> String {
    match e.kind {
        EventType::Put => format!(
            "PUT {}={:?} @{}",
            show_key(&e.kv.key),
            String::from_utf8_lossy(&e.kv.value),
            e.kv.mod_revision
        ),
        EventType::Delete => format!("DELETE {} @{}", show_key(&e.kv.key), e.kv.mod_revision),
    }
}

/// Whether a delivered event carries the same change as the log's (a DELETE event carries only
/// its key and revision).
fn same_change(got: &Event, want: &Event) -> bool {
    if got.kind != want.kind || got.kv.key != want.kv.key {
        return false;
    }
    match got.kind {
        EventType::Put => got.kv == want.kv,
        EventType::Delete => got.kv.mod_revision == want.kv.mod_revision,
    }
}

/// Check every record against the committed log; an empty result means every guarantee held.
/// Violations come in record order, at most one per rule and record (the first).
pub fn validate(records: &[WatchRecord], log: &[Event]) -> Vec<WatchViolation> {
    let log = Log::new(log);
    let mut out = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let mut found: BTreeMap<WatchRule, String> = BTreeMap::new();
        let mut flag = |rule: WatchRule, detail: String| {
            found.entry(rule).or_insert(detail);
        };
        validate_one(records, rec, &log, &mut flag);
        out.extend(found.into_iter().map(|(rule, detail)| WatchViolation {
            rule,
            watch: i,
            client: rec.client,
            detail,
        }));
    }
    out
}

fn validate_one(
    records: &[WatchRecord],
    rec: &WatchRecord,
    log: &Log<'_>,
    flag: &mut dyn FnMut(WatchRule, String),
) {
    let range = KeyRange::new(&rec.request.key, &rec.request.range_end);
    let mut last_rev = 0i64;
    let mut seen: BTreeSet<(i64, Vec<u8>)> = BTreeSet::new();
    let mut revs_done: BTreeSet<i64> = BTreeSet::new();
    let mut progress = 0i64;
    for (at, resp) in &rec.responses {
        if resp.events.is_empty() {
            if !resp.canceled && !resp.created && resp.revision < last_rev {
                flag(
                    WatchRule::Bookmark,
                    format!(
                        "progress at {at} ms reports revision {} after an event at {last_rev}",
                        resp.revision
                    ),
                );
            }
            if !resp.canceled && !resp.created {
                progress = progress.max(resp.revision);
            }
            continue;
        }
        let mut revs_here: BTreeSet<i64> = BTreeSet::new();
        for e in &resp.events {
            let rev = e.kv.mod_revision;
            if rev < last_rev {
                flag(
                    WatchRule::Ordered,
                    format!(
                        "{} at {at} ms after an event at revision {last_rev}",
                        show_event(e)
                    ),
                );
            }
            if rev <= progress {
                flag(
                    WatchRule::Bookmark,
                    format!(
                        "{} at {at} ms after a progress at {progress}",
                        show_event(e)
                    ),
                );
            }
            last_rev = last_rev.max(rev);
            if !seen.insert((rev, e.kv.key.clone())) {
                flag(
                    WatchRule::Unique,
                    format!("{} delivered twice (again at {at} ms)", show_event(e)),
                );
            }
            if revs_done.contains(&rev) && !revs_here.contains(&rev) {
                flag(
                    WatchRule::Atomic,
                    format!("revision {rev} split over responses (again at {at} ms)"),
                );
            }
            revs_here.insert(rev);
            if !rec.selects(&range, e) {
                flag(
                    WatchRule::Filter,
                    format!("{} is outside the watch's range or filters", show_event(e)),
                );
            }
            match log.get(rev, &e.kv.key) {
                None => flag(
                    WatchRule::Log,
                    format!("{} at {at} ms is not in the committed log", show_event(e)),
                ),
                Some(want) if !same_change(e, want) => flag(
                    WatchRule::Log,
                    format!(
                        "{} at {at} ms, but the committed log has {}",
                        show_event(e),
                        show_event(want)
                    ),
                ),
                Some(want) => {
                    let expected = if rec.request.prev_kv {
                        want.prev_kv.as_ref()
                    } else {
                        None
                    };
                    // At the start revision, which may be the compaction point, the previous
                    // value may be gone (etcd then sends none).
                    let at_start = rev == rec.request.start_revision && e.prev_kv.is_none();
                    if e.prev_kv.as_ref() != expected && !at_start {
                        flag(
                            WatchRule::PrevKv,
                            format!(
                                "{}: prev_kv {:?}, expected {:?}",
                                show_event(e),
                                e.prev_kv.as_ref().map(|p| p.mod_revision),
                                expected.map(|p| p.mod_revision)
                            ),
                        );
                    }
                }
            }
        }
        // Atomic: every selected event of each revision of this response is in it.
        for &rev in &revs_here {
            let want = log.selected(rec, &range, rev, rev).len();
            let got = resp
                .events
                .iter()
                .filter(|e| e.kv.mod_revision == rev)
                .count();
            if got < want {
                flag(
                    WatchRule::Atomic,
                    format!("response at {at} ms has {got} of the {want} events of revision {rev}"),
                );
            }
        }
        revs_done.extend(revs_here);
    }
    // Reliable / resumable: from the start revision up to the last delivered one, the
    // delivered events are exactly the log's selected events.
    let rule = if rec.resumes.is_some() {
        WatchRule::Resumable
    } else {
        WatchRule::Reliable
    };
    if let Some(prev) = rec.resumes.and_then(|p| records.get(p)) {
        if let (Some(last), Some(start)) = (prev.last_event_revision(), rec.start_revision()) {
            if start != last + 1 {
                flag(
                    WatchRule::Resumable,
                    format!("resumed at revision {start}, but the lost watch's last event was at {last}"),
                );
            }
        }
    }
    let Some(start) = rec.start_revision() else {
        return;
    };
    let horizon = rec
        .last_event_revision()
        .unwrap_or(0)
        .max(progress)
        .max(rec.end_revision.unwrap_or(0));
    let want = log.selected(rec, &range, start, horizon);
    let got = order::set(
        rec.events()
            .map(|e| (e.kv.mod_revision, e.kv.key.as_slice())),
    );
    if let Some(missing) = want
        .iter()
        .find(|e| !got.contains(&(e.kv.mod_revision, e.kv.key.as_slice())))
    {
        flag(
            rule,
            format!(
                "{} (between start revision {start} and revision {horizon}) was never delivered",
                show_event(missing)
            ),
        );
    }
    if let Some(early) = rec.events().find(|e| e.kv.mod_revision < start) {
        flag(
            rule,
            format!("{} is before the start revision {start}", show_event(early)),
        );
    }
}

#[cfg(test)]
mod tests;
