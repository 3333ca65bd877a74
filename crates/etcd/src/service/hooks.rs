//! The service's verification hooks: the planted bugs in force (see [`crate::planted`]), and
//! a record of the revokes the leader proposes for expired leases, for histories.

use sim::ClusterConfig;

use super::{OpId, Service};
use crate::planted::{PlantedBug, PlantedBugs};

/// A lease revoke the leader proposed because the lease expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryRevoke {
    /// The internal operation (its `OpEvent::Done` reports the outcome).
    pub op: OpId,
    /// The lease.
    pub lease: i64,
    /// The member that proposed it.
    pub node: u64,
    /// Virtual time of the proposal.
    pub time_ms: u64,
}

/// The service's verification hooks: planted bugs, and a record of the leader's expiry revokes
/// for histories (off unless asked for, so a long browser session keeps no such list).
#[derive(Clone, Debug, Default)]
pub(crate) struct Hooks {
    pub(crate) bugs: PlantedBugs,
    /// Bugs planted in every member's store (kv's own hooks).
    pub(crate) store: kv::planted::StoreBugs,
    dropped_watch_event: bool,
    record_expiries: bool,
    expiries: Vec<ExpiryRevoke>,
}

/// Revision from which [`PlantedBug::DropWatchEvent`] looks for an event to drop (so that the
/// watchers of a run exist and have seen something first).
const DROP_FROM_REVISION: i64 = 8;

impl Hooks {
    /// [`PlantedBug::FollowerLocalRead`] and [`PlantedBug::LeaderLocalRead`]: whether a
    /// linearizable read at a member that does (or does not) believe it leads is to be served
    /// locally.
    pub(crate) fn read_locally(&self, leads: bool) -> bool {
        let bug = match leads {
            true => PlantedBug::LeaderLocalRead,
            false => PlantedBug::FollowerLocalRead,
        };
        self.bugs.contains(bug)
    }

    /// The bugs planted in every member's store now: kv's own, plus
    /// [`kv::planted::StoreBug::CompactionDropsTombstone`] for
    /// [`PlantedBug::CompactionLosesDelete`].
    pub(crate) fn store_bugs(&self) -> kv::planted::StoreBugs {
        match self.bugs.contains(PlantedBug::CompactionLosesDelete) {
            true => self
                .store
                .with(kv::planted::StoreBug::CompactionDropsTombstone),
            false => self.store,
        }
    }

    /// [`PlantedBug::DropWatchEvent`]: drops one event of the first live watch response at or
    /// after [`DROP_FROM_REVISION`]; returns whether the response still goes out.
    pub(crate) fn filter_watch(&mut self, r: &mut kv::WatchResponse) -> bool {
        if !self.bugs.contains(PlantedBug::DropWatchEvent)
            || self.dropped_watch_event
            || r.events.is_empty()
            || r.revision < DROP_FROM_REVISION
        {
            return true;
        }
        self.dropped_watch_event = true;
        r.events.remove(0);
        !r.events.is_empty()
    }

    /// Records a revoke the leader proposed for an expired lease (if recording is on).
    pub(crate) fn expiry(&mut self, e: ExpiryRevoke) {
        if self.record_expiries {
            self.expiries.push(e);
        }
    }
}

impl Service {
    /// A service with `bugs` planted (the simulator's part goes into `config` first).
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn with_planted_bugs(mut config: ClusterConfig, bugs: PlantedBugs) -> crate::Result<Self> {
        bugs.configure(&mut config);
        let mut s = Service::new(config)?;
        s.set_planted_bugs(bugs);
        Ok(s)
    }

    /// Switches the service's planted bugs (not [`PlantedBug::ApplyBeforeCommit`], which is the
    /// simulator's and fixed when the cluster is built: see [`PlantedBugs::configure`]).
    pub fn set_planted_bugs(&mut self, bugs: PlantedBugs) {
        self.hooks.bugs = bugs;
    }

    /// Plants `bugs` in every member's store (kv's planted bugs: see [`kv::planted`]), for the
    /// checkers' tests; none by default.
    pub fn set_store_bugs(&mut self, bugs: kv::planted::StoreBugs) {
        self.hooks.store = bugs;
    }

    /// The planted bugs in force (the simulator's included).
    pub fn planted_bugs(&self) -> PlantedBugs {
        let mut b = self.hooks.bugs;
        if self.cluster().config().planted_apply_before_commit {
            b = b.with(PlantedBug::ApplyBeforeCommit);
        }
        b
    }

    /// Starts recording the revokes the leader proposes for expired leases (see
    /// [`Service::take_expiry_revokes`]).
    pub fn record_expiry_revokes(&mut self) {
        self.hooks.record_expiries = true;
    }

    /// The expiry revokes recorded since the last call.
    pub fn take_expiry_revokes(&mut self) -> Vec<ExpiryRevoke> {
        std::mem::take(&mut self.hooks.expiries)
    }
}
