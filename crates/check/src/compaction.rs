//! What a store still holds after compaction, against etcd's rules (`keyIndex.compact` and the
//! backend's `scheduleCompaction` in etcd's `server/storage/mvcc`).
//!
//! A key's changes form generations, each from a creation to a deletion (its tombstone).
//! Compaction at `c` drops every generation whose tombstone is at or below `c`; in the first
//! generation left it keeps the newest revision at or below `c` (the value visible at `c`) and
//! everything after; later generations stay whole. The backend keeps exactly the revisions the
//! index keeps. Successive compactions keep what one compaction at the last point keeps, so the
//! expected contents follow from the committed log, the store revision and the compaction point
//! alone.
//!
//! ```
//! use check::compaction::expected;
//! use check::kv::{Event, EventType, KeyValue, Revision};
//!
//! let ev = |kind, rev| Event {
//!     kind,
//!     kv: KeyValue { key: b"k".to_vec(), mod_revision: rev, ..Default::default() },
//!     prev_kv: None,
//! };
//! // put@2, put@3, delete@4, put@5, put@6
//! let log = [ev(EventType::Put, 2), ev(EventType::Put, 3), ev(EventType::Delete, 4),
//!            ev(EventType::Put, 5), ev(EventType::Put, 6)];
//! let keep = |c| expected(&log, 6, c)[&b"k".to_vec()].iter().map(|r| r.0.main).collect::<Vec<_>>();
//! assert_eq!(keep(0), [2, 3, 4, 5, 6]);
//! assert_eq!(keep(3), [3, 4, 5, 6]);
//! assert_eq!(keep(4), [4, 5, 6]); // the delete at the compaction point stays (etcd #18089)
//! assert_eq!(keep(5), [5, 6]);
//! assert_eq!(keep(6), [6]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use kv::{Event, EventType, Held, Revision};

/// One life of a key: its changes, each with whether it is a tombstone.
type Generation = Vec<(Revision, bool)>;

/// Per key, the revisions (with whether each is a tombstone) that a store at `revision`
/// compacted at `compact` (0: never) holds, from the committed log (every change, in revision
/// order).
pub fn expected(
    log: &[Event],
    revision: i64,
    compact: i64,
) -> BTreeMap<Vec<u8>, Vec<(Revision, bool)>> {
    let mut gens: BTreeMap<&[u8], Vec<Generation>> = BTreeMap::new();
    let mut last = Revision::new(0, -1);
    for e in log.iter().take_while(|e| e.kv.mod_revision <= revision) {
        let main = e.kv.mod_revision;
        let sub = if main == last.main { last.sub + 1 } else { 0 };
        last = Revision::new(main, sub);
        let tomb = e.kind == EventType::Delete;
        let g = gens.entry(&e.kv.key).or_insert_with(|| vec![Vec::new()]);
        g.last_mut().expect("never empty").push((last, tomb));
        if tomb {
            g.push(Vec::new());
        }
    }
    let mut out = BTreeMap::new();
    for (key, g) in gens {
        let end = g.len() - 1;
        let mut gi = 0;
        // A generation whose tombstone is at the compaction point itself stays (etcd since
        // 3.5.16 and 3.4.34, #18089).
        while gi < end && g[gi].last().is_some_and(|t| t.0.main < compact) {
            gi += 1;
        }
        let from = g[gi].iter().rposition(|r| r.0.main <= compact).unwrap_or(0);
        let kept: Vec<(Revision, bool)> = g[gi][from..]
            .iter()
            .chain(g[gi + 1..].iter().flatten())
            .copied()
            .collect();
        if !kept.is_empty() {
            out.insert(key.to_vec(), kept);
        }
    }
    out
}

/// Revisions as `main.sub`, the first ten.
fn show(revs: &[Revision]) -> String {
    let v: Vec<String> = revs
        .iter()
        .take(10)
        .map(|r| format!("{}.{}", r.main, r.sub))
        .collect();
    let more = if revs.len() > 10 { " ..." } else { "" };
    format!("[{}{more}]", v.join(" "))
}

/// What member `node` holds (`held`) against what etcd's rules say it must hold after the
/// changes in `log`: a message per difference. `asked` are the compaction points clients asked
/// for; a member compacted at any other point is wrong too.
pub fn check_held(node: u64, held: &Held, log: &[Event], asked: &BTreeSet<i64>) -> Vec<String> {
    let mut out = Vec::new();
    let c = held.compact_revision;
    if c != 0 && !asked.contains(&c) {
        out.push(format!(
            "node {node} is compacted at revision {c}, which no compaction asked for"
        ));
    }
    let want = expected(log, held.revision, c);
    let keys: BTreeSet<&Vec<u8>> = want.keys().chain(held.index.keys()).collect();
    for key in keys {
        let w: Vec<Revision> = want
            .get(key)
            .map_or(Vec::new(), |v| v.iter().map(|r| r.0).collect());
        let h = held.index.get(key).cloned().unwrap_or_default();
        if w != h {
            out.push(format!(
                "node {node}: after compaction at {c} the index of {:?} {}",
                String::from_utf8_lossy(key),
                difference(&h, &w)
            ));
        }
    }
    let mut backend: Vec<(Revision, bool)> = want.into_values().flatten().collect();
    order::sort(&mut backend);
    if backend != held.backend {
        let h: Vec<Revision> = held.backend.iter().map(|r| r.0).collect();
        let w: Vec<Revision> = backend.iter().map(|r| r.0).collect();
        out.push(format!(
            "node {node}: after compaction at {c} the backend {}",
            difference(&h, &w)
        ));
    }
    out
}

/// What `held` has that etcd drops and lacks that etcd keeps, in words.
fn difference(held: &[Revision], want: &[Revision]) -> String {
    let extra: Vec<Revision> = held.iter().filter(|r| !want.contains(r)).copied().collect();
    let missing: Vec<Revision> = want.iter().filter(|r| !held.contains(r)).copied().collect();
    match (extra.is_empty(), missing.is_empty()) {
        (false, true) => format!("holds {} that etcd drops", show(&extra)),
        (true, false) => format!("lacks {} that etcd keeps", show(&missing)),
        (false, false) => format!(
            "holds {} that etcd drops and lacks {} that etcd keeps",
            show(&extra),
            show(&missing)
        ),
        (true, true) => "holds the right revisions in the wrong order".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kv::{DeleteRangeRequest, PutRequest, RequestOp, Store, TxnRequest};

    fn put(s: &mut Store, k: &str, v: &str) {
        s.put(&PutRequest {
            key: k.into(),
            value: v.into(),
            ..Default::default()
        })
        .unwrap();
    }

    fn del(s: &mut Store, k: &str) {
        s.delete_range(&DeleteRangeRequest {
            key: k.into(),
            ..Default::default()
        })
        .unwrap();
    }

    /// A store with generations, deletes and a multi-key txn; its log.
    fn sample() -> (Store, Vec<Event>) {
        let mut s = Store::new();
        put(&mut s, "a", "1");
        put(&mut s, "b", "1");
        put(&mut s, "a", "2");
        del(&mut s, "a");
        put(&mut s, "c", "1");
        put(&mut s, "a", "3");
        s.txn(&TxnRequest {
            success: vec![
                RequestOp::Put(PutRequest {
                    key: b"b".to_vec(),
                    value: b"2".to_vec(),
                    ..Default::default()
                }),
                RequestOp::Put(PutRequest {
                    key: b"c".to_vec(),
                    value: b"2".to_vec(),
                    ..Default::default()
                }),
            ],
            ..Default::default()
        })
        .unwrap();
        del(&mut s, "c");
        put(&mut s, "a", "4");
        let log = s.events_since(1, b"", &[0]).unwrap();
        (s, log)
    }

    #[test]
    fn the_store_keeps_what_etcd_keeps_at_every_compaction_point() {
        let (store, log) = sample();
        let end = store.current_revision();
        for c in 1..=end {
            let mut s = store.clone();
            s.compact(c).unwrap();
            let asked = BTreeSet::from([c]);
            assert_eq!(
                check_held(1, &s.held(), &log, &asked),
                Vec::<String>::new(),
                "at {c}"
            );
            // And successive compactions keep the same.
            let mut t = store.clone();
            for d in 1..=c {
                t.compact(d).unwrap();
            }
            assert_eq!(t.held(), s.held(), "at {c}");
        }
    }

    #[test]
    fn planted_store_bugs_are_seen() {
        use kv::planted::{scoped, StoreBug, StoreBugs};
        let (store, log) = sample();
        for (bug, c) in [
            (StoreBug::IndexKeepsOneMore, 8),
            (StoreBug::CompactionOneLess, 5),
        ] {
            let mut s = store.clone();
            scoped(StoreBugs::NONE.with(bug), || s.compact(c).unwrap());
            let msgs = check_held(1, &s.held(), &log, &BTreeSet::from([c]));
            assert!(!msgs.is_empty(), "{bug:?}");
        }
        let mut s = store.clone();
        s.compact(5).unwrap();
        let msgs = check_held(1, &s.held(), &log, &BTreeSet::from([4]));
        assert!(msgs[0].contains("no compaction asked for"), "{msgs:?}");
    }
}
