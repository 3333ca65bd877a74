//! Known answers for the watch validators: faithful streams pass, and each broken rule is
//! caught.

use super::*;
use kv::KeyValue;

fn put(rev: i64, key: &str, value: &str, prev: Option<KeyValue>) -> Event {
    let (create, version) = match &prev {
        Some(p) => (p.create_revision, p.version + 1),
        None => (rev, 1),
    };
    Event {
        kind: EventType::Put,
        kv: KeyValue {
            key: key.into(),
            create_revision: create,
            mod_revision: rev,
            version,
            value: value.into(),
            lease: 0,
        },
        prev_kv: prev,
    }
}

fn del(rev: i64, key: &str, prev: KeyValue) -> Event {
    Event {
        kind: EventType::Delete,
        kv: KeyValue {
            key: key.into(),
            mod_revision: rev,
            ..Default::default()
        },
        prev_kv: Some(prev),
    }
}

/// rev 2: put a=1; rev 3: put b=1 and put c=1 (one txn); rev 4: put a=2; rev 5: delete b.
fn log() -> Vec<Event> {
    let a1 = put(2, "a", "1", None);
    let b1 = put(3, "b", "1", None);
    let c1 = put(3, "c", "1", None);
    let a2 = put(4, "a", "2", Some(a1.kv.clone()));
    let db = del(5, "b", b1.kv.clone());
    vec![a1, b1, c1, a2, db]
}

fn strip(mut e: Event) -> Event {
    e.prev_kv = None;
    e
}

fn resp(events: Vec<Event>) -> WatchResponse {
    WatchResponse {
        revision: events.last().map_or(0, |e| e.kv.mod_revision),
        events,
        ..Default::default()
    }
}

fn all_keys(start: i64, prev_kv: bool) -> WatchRecord {
    WatchRecord::new(
        7,
        1,
        WatchCreateRequest {
            key: b"\0".to_vec(),
            range_end: b"\0".to_vec(),
            start_revision: start,
            prev_kv,
            ..Default::default()
        },
    )
}

/// The faithful stream of everything from revision 1, one response per revision.
fn faithful(prev_kv: bool) -> WatchRecord {
    let mut rec = all_keys(1, prev_kv);
    let l = log();
    let shape = |e: &Event| if prev_kv { e.clone() } else { strip(e.clone()) };
    rec.responses = vec![
        (10, resp(vec![shape(&l[0])])),
        (11, resp(vec![shape(&l[1]), shape(&l[2])])),
        (12, resp(vec![shape(&l[3])])),
        (13, resp(vec![shape(&l[4])])),
    ];
    rec
}

fn rules(records: &[WatchRecord]) -> Vec<WatchRule> {
    validate(records, &log()).iter().map(|v| v.rule).collect()
}

#[test]
fn faithful_streams_pass() {
    assert_eq!(rules(&[faithful(false)]), vec![]);
    assert_eq!(rules(&[faithful(true)]), vec![]);
    // A prefix of the stream is fine too (the watcher has not caught up yet).
    let mut r = faithful(true);
    r.responses.truncate(2);
    assert_eq!(rules(&[r]), vec![]);
    // start_revision 0: starts after the created revision.
    let mut r = all_keys(0, false);
    r.created_revision = Some(3);
    r.responses = vec![(5, resp(vec![strip(log()[3].clone())]))];
    assert_eq!(rules(&[r]), vec![]);
}

#[test]
fn reordered_events_break_ordered() {
    let mut r = faithful(false);
    r.responses.swap(2, 3);
    assert!(rules(&[r]).contains(&WatchRule::Ordered));
}

#[test]
fn duplicated_events_break_unique() {
    let mut r = faithful(false);
    let again = r.responses[2].clone();
    r.responses.push(again);
    let got = rules(&[r]);
    assert!(got.contains(&WatchRule::Unique), "{got:?}");
}

#[test]
fn split_revision_breaks_atomic() {
    let mut r = faithful(false);
    let (t, mut both) = r.responses[1].clone();
    let second = both.events.pop().unwrap();
    r.responses[1] = (t, both);
    r.responses.insert(2, (t, resp(vec![second])));
    assert_eq!(rules(&[r]), vec![WatchRule::Atomic]);
    // A revision delivered partly and never completed is atomic's and reliable's concern.
    let mut r = faithful(false);
    r.responses[1].1.events.pop();
    let got = rules(&[r]);
    assert!(got.contains(&WatchRule::Atomic), "{got:?}");
    assert!(got.contains(&WatchRule::Reliable), "{got:?}");
}

#[test]
fn gap_breaks_reliable() {
    let mut r = faithful(false);
    r.responses.remove(2);
    assert_eq!(rules(&[r]), vec![WatchRule::Reliable]);
    // Missing the very first revision.
    let mut r = faithful(false);
    r.responses.remove(0);
    assert_eq!(rules(&[r]), vec![WatchRule::Reliable]);
}

#[test]
fn open_watch_must_reach_the_end() {
    let mut r = faithful(false);
    r.end_revision = Some(5);
    assert_eq!(rules(&[r.clone()]), vec![]);
    // Silently stopped after revision 4.
    r.responses.pop();
    assert_eq!(rules(&[r]), vec![WatchRule::Reliable]);
}

#[test]
fn resumed_watch_must_continue_exactly() {
    let full = faithful(false);
    let mut lost = full.clone();
    lost.responses.truncate(2);
    let mut good = all_keys(4, false);
    good.resumes = Some(0);
    good.responses = full.responses[2..].to_vec();
    assert_eq!(rules(&[lost.clone(), good.clone()]), vec![]);
    // Resumed one revision too late: revision 4 is lost.
    let mut late = all_keys(5, false);
    late.resumes = Some(0);
    late.responses = full.responses[3..].to_vec();
    assert_eq!(rules(&[lost.clone(), late]), vec![WatchRule::Resumable]);
    // Resumed at the right revision, but the member skipped revision 4.
    let mut skip = good.clone();
    skip.responses.remove(0);
    assert_eq!(rules(&[lost, skip]), vec![WatchRule::Resumable]);
}

#[test]
fn wrong_prev_kv_is_caught() {
    // Asked for prev_kv, did not get it.
    let mut r = faithful(true);
    r.responses[2].1.events[0].prev_kv = None;
    assert_eq!(rules(&[r]), vec![WatchRule::PrevKv]);
    // Did not ask, got it anyway.
    let mut r = faithful(false);
    r.responses[2].1.events[0].prev_kv = Some(log()[0].kv.clone());
    assert_eq!(rules(&[r]), vec![WatchRule::PrevKv]);
    // Wrong previous version.
    let mut r = faithful(true);
    r.responses[2].1.events[0].prev_kv = Some(log()[1].kv.clone());
    assert_eq!(rules(&[r]), vec![WatchRule::PrevKv]);
}

#[test]
fn filters_and_range_are_enforced() {
    let l = log();
    // NoDelete watcher that got a delete.
    let mut r = all_keys(1, false);
    r.request.filters = vec![WatchFilter::NoDelete];
    r.responses = vec![
        (1, resp(vec![strip(l[0].clone())])),
        (2, resp(vec![strip(l[1].clone()), strip(l[2].clone())])),
        (3, resp(vec![strip(l[3].clone())])),
        (4, resp(vec![strip(l[4].clone())])),
    ];
    assert_eq!(rules(&[r.clone()]), vec![WatchRule::Filter]);
    r.responses.pop();
    assert_eq!(rules(&[r]), vec![]);
    // A single-key watch on "a" that got "c".
    let mut r = all_keys(1, false);
    r.request.key = b"a".to_vec();
    r.request.range_end = Vec::new();
    r.responses = vec![
        (1, resp(vec![strip(l[0].clone())])),
        (2, resp(vec![strip(l[2].clone())])),
        (3, resp(vec![strip(l[3].clone())])),
    ];
    assert_eq!(rules(&[r]), vec![WatchRule::Filter]);
}

#[test]
fn events_not_in_the_log_are_caught() {
    // A value that was never committed (e.g. applied before commit, then overwritten).
    let mut r = faithful(false);
    r.responses[2].1.events[0].kv.value = b"ghost".to_vec();
    assert_eq!(rules(&[r]), vec![WatchRule::Log]);
    // A revision beyond the log.
    let mut r = faithful(false);
    r.responses.push((20, resp(vec![put(6, "z", "1", None)])));
    assert_eq!(rules(&[r]), vec![WatchRule::Log]);
}

proptest::proptest! {
    /// Arbitrary (broken) streams against arbitrary logs: the validator never panics, and a
    /// faithful replay of the log always passes.
    #[test]
    fn never_panics_and_replays_pass(
        raw in proptest::collection::vec((1i64..12, 0u8..4, proptest::bool::ANY), 0..30),
        cut in proptest::collection::vec(0usize..30, 0..6),
        start in 0i64..6,
    ) {
        let log: Vec<Event> = {
            let mut v: Vec<Event> = raw.iter().map(|(rev, k, is_del)| {
                let key = format!("k{k}");
                if *is_del { del(*rev, &key, KeyValue::default()) } else { put(*rev, &key, "v", None) }
            }).collect();
            v.sort_by(|a, b| (a.kv.mod_revision, &a.kv.key).cmp(&(b.kv.mod_revision, &b.kv.key)));
            v.dedup_by(|a, b| a.kv.mod_revision == b.kv.mod_revision && a.kv.key == b.kv.key);
            v
        };
        let mut rec = all_keys(start.max(1), false);
        let mut events: Vec<Event> = log.iter().filter(|e| e.kv.mod_revision >= start.max(1)).cloned().map(strip).collect();
        // One response per revision: a faithful replay.
        let mut responses: Vec<(u64, WatchResponse)> = Vec::new();
        for e in &events {
            match responses.last_mut() {
                Some((_, r)) if r.revision == e.kv.mod_revision => r.events.push(e.clone()),
                _ => responses.push((0, resp(vec![e.clone()]))),
            }
        }
        rec.responses = responses;
        proptest::prop_assert!(validate(&[rec.clone()], &log).is_empty());
        // Broken: drop or swap arbitrary events.
        for c in cut {
            let n = events.len(); if c < n { events.swap(c, n - 1 - c); events.remove(c / 2 % n); }
        }
        rec.responses = events.into_iter().map(|e| (0, resp(vec![e]))).collect();
        let _ = validate(&[rec], &log);
    }
}

#[test]
fn progress_must_not_go_back() {
    let mut r = faithful(false);
    let mut p = WatchResponse {
        revision: 2,
        ..Default::default()
    };
    r.responses.insert(3, (12, p.clone()));
    assert_eq!(rules(&[r]), vec![WatchRule::Bookmark]);
    // A progress at 4 claims revisions up to 4 were delivered, but 4 was skipped.
    let mut r = faithful(false);
    r.responses.remove(2);
    p.revision = 4;
    r.responses.insert(2, (12, p));
    assert_eq!(rules(&[r]), vec![WatchRule::Reliable]);
}
