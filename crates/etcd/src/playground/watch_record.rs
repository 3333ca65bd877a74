//! The session's watch streams in the watch validators' terms: every `watch` command's create
//! request, the member it went to, its `created` revision and every response after it, with
//! arrival times (as `check::watch` reads them). The browser's Check panel validates them
//! against the committed log.

use std::collections::BTreeMap;

use check::watch::WatchRecord;
use kv::{Event, WatchCreateRequest};
use sim::NodeStatus;

use super::{CommandId, Playground};
use crate::service::{OpEvent, OpId};

/// The watch streams of a session.
#[derive(Debug, Default, Clone)]
pub struct SessionWatches {
    records: Vec<WatchRecord>,
    /// The command that opened each record.
    commands: Vec<CommandId>,
    /// Watches still delivering: operation -> record.
    open: BTreeMap<OpId, usize>,
    /// The committed log up to `kept_rev`, kept when the session asked for a compaction (which
    /// forgets the store's history), so that watches can still be checked afterwards.
    kept: Vec<Event>,
    /// The last revision in `kept` (0: nothing kept).
    kept_rev: i64,
}

impl SessionWatches {
    /// Notes that command `cmd` opened watch `op` on `node` with `request`.
    pub(super) fn started(
        &mut self,
        cmd: CommandId,
        op: OpId,
        node: u64,
        request: WatchCreateRequest,
    ) {
        let client = u32::try_from(node).unwrap_or(u32::MAX);
        self.open.insert(op, self.records.len());
        self.records.push(WatchRecord::new(client, node, request));
        self.commands.push(cmd);
    }

    /// Records what a service event means to an open watch.
    pub(super) fn observe(&mut self, e: &OpEvent, now: u64) {
        match e {
            OpEvent::Watch(op, _, resp) => {
                let Some(&i) = self.open.get(op) else {
                    return;
                };
                if resp.created {
                    self.records[i].created_revision = Some(resp.revision);
                } else {
                    self.records[i].responses.push((now, resp.clone()));
                    if resp.canceled {
                        self.open.remove(op);
                    }
                }
            }
            OpEvent::WatchLost(op, _) => self.closed(*op),
            OpEvent::Done(..) => {}
        }
    }

    /// The watch `op` ended (cancelled, failed or lost): it delivers nothing more.
    pub(super) fn closed(&mut self, op: OpId) {
        self.open.remove(&op);
    }

    /// Every watch of the session, in the order they were opened.
    pub fn records(&self) -> &[WatchRecord] {
        &self.records
    }

    /// The command that opened each record.
    pub fn commands(&self) -> &[CommandId] {
        &self.commands
    }

    /// Events delivered over all watches.
    pub fn events(&self) -> usize {
        self.records.iter().map(|r| r.events().count()).sum()
    }
}

impl Playground {
    /// The session's watch streams.
    pub fn watch_streams(&self) -> &SessionWatches {
        &self.watch_log
    }

    /// The watch records as of now, ready for `check::watch::validate`: a watch still open on a
    /// running member must have delivered everything up to that member's revision.
    pub fn watch_records_now(&self) -> Vec<WatchRecord> {
        let c = self.cluster();
        let mut records = self.watch_log.records.clone();
        for &i in self.watch_log.open.values() {
            let r = &mut records[i];
            if c.status(r.node).ok() == Some(NodeStatus::Up) {
                r.end_revision = c
                    .state_machine(r.node)
                    .ok()
                    .map(|sm| sm.store.current_revision());
            }
        }
        records
    }

    /// Keeps the committed log so far (a compaction is about to forget it).
    pub(super) fn keep_log_before_compaction(&mut self) {
        let Ok(log) = self.committed_log() else {
            return;
        };
        if let Some(last) = log.last() {
            self.watch_log.kept_rev = last.kv.mod_revision;
        }
        self.watch_log.kept = log;
    }

    /// The committed log: every event of the run in revision order, as the store of the member
    /// that has applied the most entries replays it, after what the session kept of it before
    /// its compactions.
    ///
    /// # Errors
    /// No member is running, or the store was compacted past what the session kept (the events
    /// before it are gone), in words.
    pub fn committed_log(&self) -> std::result::Result<Vec<Event>, String> {
        let kept = &self.watch_log;
        let c = self.cluster();
        let best = c
            .node_ids()
            .into_iter()
            .filter(|n| c.state_machine(*n).is_ok())
            .filter_map(|n| c.node_view(n).map(|v| (v.applied, n)))
            .max_by_key(|(applied, n)| (*applied, std::cmp::Reverse(*n)))
            .map(|(_, n)| n)
            .ok_or("no member is running")?;
        let sm = c.state_machine(best).map_err(|e| e.to_string())?;
        let tail = sm
            .store
            .events_since(kept.kept_rev + 1, b"", b"\0")
            .map_err(|_| {
                format!(
                    "the store was compacted at revision {}, so the events before it are gone",
                    sm.store.compact_revision()
                )
            })?;
        Ok(kept.kept.iter().cloned().chain(tail).collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::planted::{PlantedBug, PlantedBugs};
    use crate::Playground;
    use check::watch::{validate, WatchRule};

    fn run(p: &mut Playground, line: &str) {
        let id = p.exec(line).unwrap();
        p.run_until_settled(id, 30_000).unwrap();
    }

    fn session(bugs: PlantedBugs) -> Playground {
        let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 5), bugs).unwrap();
        p.run_until(3_000).unwrap();
        run(&mut p, "put a 0");
        run(&mut p, "watch --prefix a --prev-kv");
        run(&mut p, "watch b");
        for i in 1..12 {
            run(&mut p, &format!("put a{} {i}", i % 3));
        }
        run(&mut p, "del a1");
        run(&mut p, "sleep 500ms");
        assert!(p.cancel(3));
        run(&mut p, "put b x");
        p
    }

    #[test]
    fn watch_streams_are_recorded_and_valid() {
        let p = session(PlantedBugs::NONE);
        let w = p.watch_streams();
        assert_eq!(w.records().len(), 2);
        assert_eq!(w.commands(), [2, 3]);
        assert_eq!(w.records()[0].events().count(), 12);
        assert!(w.records()[0].created_revision.is_some());
        assert_eq!(w.events(), 12, "the cancelled watch saw nothing");
        let records = p.watch_records_now();
        assert_eq!(records[0].end_revision, Some(15), "still open");
        assert_eq!(records[1].end_revision, None, "cancelled");
        let log = p.committed_log().unwrap();
        assert_eq!(log.len(), 14);
        assert_eq!(validate(&records, &log), vec![]);
    }

    #[test]
    fn a_dropped_watch_event_breaks_reliability() {
        let p = session(PlantedBugs::NONE.with(PlantedBug::DropWatchEvent));
        let v = validate(&p.watch_records_now(), &p.committed_log().unwrap());
        assert!(
            v.iter()
                .any(|v| v.rule == WatchRule::Reliable && v.watch == 0),
            "{v:?}"
        );
    }

    #[test]
    fn the_session_keeps_the_log_a_compaction_forgets() {
        let mut p = session(PlantedBugs::NONE);
        let before = p.committed_log().unwrap();
        run(&mut p, "compaction 5");
        assert_eq!(p.committed_log().unwrap(), before);
        run(&mut p, "put b y");
        let after = p.committed_log().unwrap();
        assert_eq!(after.len(), before.len() + 1);
        assert_eq!(&after[..before.len()], &before[..]);
        // The store itself has forgotten it.
        let c = p.cluster();
        let sm = c.state_machine(c.leader().unwrap()).unwrap();
        assert!(sm.store.events_since(1, b"", b"\0").is_err());
    }
}
