//! A playground session in the checkers' terms, read from its [`SessionLog`]: the client
//! operations (one client per member; the leader's expiry revokes are operations of
//! [`SERVER_CLIENT`]; failed or timed-out writes are unknown outcomes), the watch streams with
//! their arrival times, the lock holds, and the leases alive now. The playground only logs what
//! its commands did; turning that into histories happens here, apart from the system.
//!
//! ```
//! use etcd::Playground;
//! let mut pg = Playground::new(sim::ClusterConfig::new(3, 1)).unwrap();
//! pg.run_until(3_000).unwrap();
//! let id = pg.exec("put a 1").unwrap();
//! pg.run_until_settled(id, 30_000).unwrap();
//! let h = harness::session::SessionHistory::of(&pg);
//! assert_eq!(h.operations.len(), 1);
//! ```

mod meaning;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use check::history::{Input, Operation, Output};
use check::lock::LockHold;
use check::replicas::LeaseAlive;
use check::watch::WatchRecord;
use etcd::playground::{SessionEvent, SessionLog};
use etcd::{CommandId, OpId, Playground};
use sim::NodeStatus;

pub use meaning::{meaning, txn, Meaning};

use crate::history::{Recorder, SERVER_CLIENT};

/// A session's histories, as the checkers read them.
#[derive(Clone, Debug, Default)]
pub struct SessionHistory {
    /// The client operations (pending ones have no return time and an unknown output).
    pub operations: Vec<Operation>,
    /// Lines that changed the key space in ways the model does not know.
    pub unmodelled: Vec<String>,
    /// Every watch stream, in the order they were opened; one still open on a running member
    /// must have delivered everything up to that member's revision (its `end_revision`).
    pub watches: Vec<WatchRecord>,
    /// The command that opened each watch.
    pub watch_commands: Vec<CommandId>,
    /// The line of the command that opened each watch.
    pub watch_lines: Vec<String>,
    /// Every lock hold, in the order the locks were taken (open ones have no release). The
    /// client of a hold is the lock command's number (as `cancel N` counts it).
    pub locks: Vec<LockHold>,
    /// The leases alive on the leader now, with when each was last renewed; `None` without a
    /// leader (nobody expires leases then).
    pub leases_alive: Option<Vec<LeaseAlive>>,
}

impl SessionHistory {
    /// The histories of `pg`'s session so far.
    pub fn of(pg: &Playground) -> Self {
        let mut h = Self::from_log(pg.session_log());
        let c = pg.cluster();
        for (r, open) in h.watches.iter_mut().zip(open_watches(pg)) {
            if open && c.status(r.node).ok() == Some(NodeStatus::Up) {
                r.end_revision = c
                    .state_machine(r.node)
                    .ok()
                    .map(|sm| sm.store.current_revision());
            }
        }
        h.leases_alive = leases_alive(pg);
        h
    }

    /// The histories a log holds (without what only the live cluster knows: the end revisions
    /// of open watches, the leases alive).
    pub fn from_log(log: &SessionLog) -> Self {
        let mut rec = Recorder::default();
        let mut h = SessionHistory::default();
        let mut watch_of: BTreeMap<OpId, usize> = BTreeMap::new();
        let mut hold_of: BTreeMap<CommandId, usize> = BTreeMap::new();
        for e in log.events() {
            match e {
                SessionEvent::Started {
                    line,
                    member,
                    request,
                    op,
                    at_ms,
                    ..
                } => match meaning(request) {
                    Meaning::Ignore => {}
                    Meaning::Unmodelled => h.unmodelled.push(line.to_string()),
                    Meaning::Op(input) => {
                        if let Some(op) = op {
                            let client = u32::try_from(*member).unwrap_or(u32::MAX);
                            rec.call(*op, client, input, *at_ms);
                        }
                    }
                },
                SessionEvent::ExpiryRevoke(e) => {
                    let input = Input::LeaseRevoke { id: e.lease };
                    rec.call(e.op, SERVER_CLIENT, input, e.time_ms);
                }
                SessionEvent::Answered { op, result, at_ms } => {
                    let server_chosen =
                        matches!(rec.input(*op), Some(Input::LeaseGrant { id: 0, .. }));
                    if let Some(Output::Unknown) = rec.answer(*op, result, *at_ms) {
                        if server_chosen {
                            // A lease that may exist with an ID nobody learned: the model
                            // cannot follow it.
                            h.unmodelled
                                .push("lease grant (no answer: its lease ID is unknown)".into());
                        }
                    }
                }
                SessionEvent::WatchOpened {
                    command,
                    op,
                    member,
                    request,
                } => {
                    let client = u32::try_from(*member).unwrap_or(u32::MAX);
                    watch_of.insert(*op, h.watches.len());
                    h.watches
                        .push(WatchRecord::new(client, *member, request.clone()));
                    h.watch_commands.push(*command);
                    h.watch_lines.push(line_of(log, *command));
                }
                SessionEvent::WatchResponse {
                    op,
                    response,
                    at_ms,
                } => {
                    if let Some(&i) = watch_of.get(op) {
                        if response.created {
                            h.watches[i].created_revision = Some(response.revision);
                        } else {
                            h.watches[i].responses.push((*at_ms, response.clone()));
                        }
                    }
                }
                SessionEvent::WatchClosed { .. } => {}
                SessionEvent::LockAcquired {
                    command,
                    key,
                    at_ms,
                } => {
                    hold_of.insert(*command, h.locks.len());
                    h.locks.push(LockHold {
                        client: u32::try_from(*command).unwrap_or(u32::MAX),
                        key: String::from_utf8_lossy(key).into_owned(),
                        acquired_ms: *at_ms,
                        released_ms: None,
                    });
                }
                SessionEvent::LockReleased { command, at_ms } => {
                    if let Some(i) = hold_of.remove(command) {
                        h.locks[i].released_ms = Some(*at_ms);
                    }
                }
            }
        }
        h.operations = rec.history().to_vec();
        h
    }

    /// Events delivered over all watches.
    pub fn watch_events(&self) -> usize {
        self.watches.iter().map(|r| r.events().count()).sum()
    }
}

/// The line of command `command`, as its `Started` entry logged it.
fn line_of(log: &SessionLog, command: CommandId) -> String {
    log.events()
        .iter()
        .rev()
        .find_map(|e| match e {
            SessionEvent::Started {
                command: c, line, ..
            } if *c == command => Some(line.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// For each watch of the log, in order, whether it still delivers.
fn open_watches(pg: &Playground) -> Vec<bool> {
    let log = pg.session_log();
    log.events()
        .iter()
        .filter_map(|e| match e {
            SessionEvent::WatchOpened { op, .. } => Some(log.is_watching(*op)),
            _ => None,
        })
        .collect()
}

/// The leases alive on `pg`'s leader now, for `check::replicas::lingering_leases`: each with
/// when it was last renewed (its expiry minus its TTL: a grant, a keep-alive, or the leader
/// change that renewed every lease); `None` without a leader.
pub fn leases_alive(pg: &Playground) -> Option<Vec<LeaseAlive>> {
    let c = pg.cluster();
    let sm = c.state_machine(c.leader()?).ok()?;
    Some(
        sm.lessor
            .leases()
            .into_iter()
            .filter_map(|id| sm.lessor.lookup(id))
            .filter_map(|l| {
                let expiry = l.expiry_ms?;
                let ttl_ms = u64::try_from(l.ttl).unwrap_or(0) * 1000;
                Some(LeaseAlive {
                    id: l.id,
                    ttl_s: l.ttl,
                    renewed_ms: expiry.saturating_sub(ttl_ms),
                })
            })
            .collect(),
    )
}
