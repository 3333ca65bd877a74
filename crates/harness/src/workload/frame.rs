//! What the workload loops share: when to stop (the end, a violation, a livelock), how to move on, and the end-of-run part of a recording.

use check::replicas::{LeaseAlive, ReplicaState};
use sim::rng::SimRng;
use sim::NodeStatus;

use etcd::client::Client as EtcdClient;
use etcd::machine::EtcdMachine;

use super::config::Recording;

/// The member whose store has the highest revision (ties: the lowest id).
pub(super) fn most_advanced(c: &sim::Cluster<EtcdMachine>) -> Option<u64> {
    c.node_ids()
        .into_iter()
        .filter_map(|n| {
            c.state_machine(n)
                .ok()
                .map(|sm| (sm.store.current_revision(), n))
        })
        .max_by_key(|(r, n)| (*r, std::cmp::Reverse(*n)))
        .map(|(_, n)| n)
}

/// The end-of-run part of a recording: log, replicas, leases, trace.
pub(super) fn finish(rec: &mut Recording, c: &sim::Cluster<EtcdMachine>, load_end: u64) {
    rec.end_ms = c.now();
    rec.trace_hash = c.trace_hash();
    rec.trace_tail = c
        .trace()
        .last(300)
        .iter()
        .map(|e| format!("{:>8} ms  {:?}", e.time_ms, e.kind))
        .collect();
    rec.faults = c.stats().faults;
    rec.elections = c.stats().leaders.len();
    if let Some(v) = c.violation() {
        rec.invariant = Some(format!(
            "{} at {} ms: {}",
            v.invariant.name(),
            v.time_ms,
            v.detail
        ));
    }
    for n in c.node_ids() {
        if c.status(n).ok() != Some(NodeStatus::Up) {
            continue;
        }
        let Ok(sm) = c.state_machine(n) else { continue };
        let revision = sm.store.current_revision();
        let (hash, compact_revision) = sm.store.hash_kv(revision).unwrap_or((0, 0));
        rec.replicas.push(ReplicaState {
            node: n,
            revision,
            hash,
            compact_revision,
            leases: sm.lessor.leases(),
        });
        rec.held.push((n, sm.store.held()));
    }
    let Some(best) = most_advanced(c) else { return };
    let sm = c.state_machine(best).expect("most advanced member is up");
    rec.log = sm.store.events_since(1, b"", &[0]).unwrap_or_default();
    let last_leader = c.stats().leaders.last().map_or(0, |l| l.time_ms);
    let renewed = (load_end + c.config().request_timeout_ms).max(last_leader);
    rec.leases_alive = sm
        .lessor
        .leases()
        .into_iter()
        .map(|id| LeaseAlive {
            id,
            ttl_s: sm.lessor.lookup(id).map_or(0, |l| l.ttl),
            renewed_ms: renewed,
        })
        .collect();
}

/// Steps at one virtual instant after which a run counts as livelocked.
const MAX_STEPS_AT_ONE_INSTANT: u64 = 200_000;

/// Notices virtual time standing still.
#[derive(Default)]
struct Watchdog {
    at: u64,
    steps: u64,
}

/// Interval of watch progress notifications in workloads.
pub(super) const WATCH_PROGRESS_MS: u64 = 1_000;

impl Watchdog {
    /// Counts a step at `now`; a message if time has stood still for too long.
    fn step(&mut self, now: u64) -> Option<String> {
        if now != self.at {
            self.at = now;
            self.steps = 0;
        }
        self.steps += 1;
        (self.steps > MAX_STEPS_AT_ONE_INSTANT).then(|| {
            format!("virtual time stood still at {now} ms for {MAX_STEPS_AT_ONE_INSTANT} steps")
        })
    }
}

/// The frame shared by the workload loops: when to stop, and how to move on.
pub(super) struct LoopGuard {
    end: u64,
    watchdog: Watchdog,
}

impl LoopGuard {
    pub(super) fn new(end: u64) -> Self {
        LoopGuard {
            end,
            watchdog: Watchdog::default(),
        }
    }

    /// Whether the loop stops at the client's current time: the end, a violation, or time that
    /// stood still (recorded in `out`).
    pub(super) fn stop(&mut self, d: &EtcdClient, out: &mut Recording) -> bool {
        let now = d.now();
        if now >= self.end || d.service().cluster().violation().is_some() {
            return true;
        }
        if let Some(stall) = self.watchdog.step(now) {
            out.stalled = Some(stall);
            return true;
        }
        false
    }

    /// Runs the next event if one is due by `due` (at least 1 ms ahead), else moves the clock
    /// to `due`. False when the run stopped (an invariant violation).
    pub(super) fn advance(d: &mut EtcdClient, due: u64) -> bool {
        let due = due.max(d.now() + 1);
        let res = if d.next_time() <= due {
            d.step()
        } else {
            d.run_until(due)
        };
        res.is_ok()
    }
}

pub(super) fn nodes_not_crashed(c: &sim::Cluster<EtcdMachine>) -> Vec<u64> {
    c.node_ids()
        .into_iter()
        .filter(|n| c.status(*n).ok() != Some(NodeStatus::Crashed))
        .collect()
}

pub(super) fn pick<T: Copy>(rng: &mut SimRng, v: &[T]) -> Option<T> {
    (!v.is_empty()).then(|| v[rng.below(v.len() as u64) as usize])
}
