//! What the session's commands did, in the system's own terms, for readers outside it: the
//! `harness` crate folds this log into the checkers' histories (client operations, watch
//! streams, lock holds), and "Why?" finds the leader's expiry revokes in it. The playground
//! only appends; it never judges.
//!
//! The log keeps what a history needs and no more: every started command with its parsed
//! request and the member it went to, the answers to the unary operations those commands made,
//! the responses of the watches they opened, the locks they took and let go, and the revokes the
//! leader proposed for expired leases. It also keeps the committed log as it was before each
//! compaction the session asked for, since a compaction makes the store forget it.

use std::collections::{BTreeMap, BTreeSet};

use kv::{Event, WatchCreateRequest, WatchResponse};

use super::{CommandId, Playground};
use crate::ctl::Command;
use crate::service::ExpiryRevoke;
use crate::service::{OpEvent, OpId, OpResult};

/// One entry of the session log.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    /// A command started: its line, the member it went to, what it asks and, for a unary
    /// request, the service operation that carries it.
    Started {
        /// The command.
        command: CommandId,
        /// The line as shown (shared with the command's output and the session's lines).
        line: std::sync::Arc<str>,
        /// The member the request went to (the leader for a line without `--endpoints`).
        member: u64,
        /// The parsed request.
        request: Command,
        /// The unary operation the command made, if it made one.
        op: Option<OpId>,
        /// Virtual time (ms).
        at_ms: u64,
    },
    /// The leader proposed a revoke for an expired lease (an operation of the server itself).
    ExpiryRevoke(ExpiryRevoke),
    /// The answer to a logged operation (a command's unary request or an expiry revoke).
    Answered {
        /// The operation.
        op: OpId,
        /// Its result.
        result: OpResult,
        /// Virtual time (ms).
        at_ms: u64,
    },
    /// A `watch` command opened a watch at a member.
    WatchOpened {
        /// The command.
        command: CommandId,
        /// The watch's operation.
        op: OpId,
        /// The member.
        member: u64,
        /// The create request.
        request: WatchCreateRequest,
    },
    /// A response of an open watch (its `created` response included).
    WatchResponse {
        /// The watch's operation.
        op: OpId,
        /// The response.
        response: WatchResponse,
        /// Virtual time it arrived (ms).
        at_ms: u64,
    },
    /// An open watch ended without a cancel response: its command ended, or its member was lost.
    WatchClosed {
        /// The watch's operation.
        op: OpId,
    },
    /// A `lock` command or a gateway `/v3/lock/lock` line took the lock.
    LockAcquired {
        /// The command.
        command: CommandId,
        /// The lock's key (the waiter key that won).
        key: Vec<u8>,
        /// Virtual time (ms).
        at_ms: u64,
    },
    /// A command that held a lock ended (unlocked, cancelled, or its session lost), or a
    /// gateway `/v3/lock/unlock` of a gateway lock's key was sent.
    LockReleased {
        /// The command.
        command: CommandId,
        /// Virtual time (ms).
        at_ms: u64,
    },
}

/// The log of a session (see the module's documentation).
#[derive(Clone, Debug, Default)]
pub struct SessionLog {
    /// A persistent vector: a clone of the playground (a checkpoint) shares it.
    events: imbl::Vector<SessionEvent>,
    /// Logged operations whose answer has not come.
    awaited: BTreeSet<OpId>,
    /// Watches still delivering.
    watching: BTreeSet<OpId>,
    /// Commands holding a lock.
    holding: BTreeSet<CommandId>,
    /// Gateway locks held (`/v3/lock/lock` answered): the lock key and the command that took
    /// it, which holds it until a `/v3/lock/unlock` of the key.
    gateway_holds: BTreeMap<Vec<u8>, CommandId>,
    /// The committed log up to `kept_rev`, kept when the session asked for a compaction.
    kept: imbl::Vector<Event>,
    /// The last revision in `kept` (0: nothing kept).
    kept_rev: i64,
}

impl SessionLog {
    /// Every entry so far, oldest first.
    pub fn events(&self) -> &imbl::Vector<SessionEvent> {
        &self.events
    }

    /// Whether watch `op` still delivers.
    pub fn is_watching(&self, op: OpId) -> bool {
        self.watching.contains(&op)
    }

    pub(super) fn started(&mut self, event: SessionEvent) {
        if let SessionEvent::Started { op: Some(op), .. } = &event {
            self.awaited.insert(*op);
        }
        self.events.push_back(event);
    }

    pub(super) fn expiry_revoke(&mut self, e: ExpiryRevoke) {
        self.awaited.insert(e.op);
        self.events.push_back(SessionEvent::ExpiryRevoke(e));
    }

    pub(super) fn watch_opened(
        &mut self,
        command: CommandId,
        op: OpId,
        member: u64,
        request: WatchCreateRequest,
    ) {
        self.watching.insert(op);
        self.events.push_back(SessionEvent::WatchOpened {
            command,
            op,
            member,
            request,
        });
    }

    /// Logs what a service event means to the session's operations and watches.
    pub(super) fn observe(&mut self, e: &OpEvent, now: u64) {
        match e {
            OpEvent::Done(op, result) => {
                if self.awaited.remove(op) {
                    self.events.push_back(SessionEvent::Answered {
                        op: *op,
                        result: result.clone(),
                        at_ms: now,
                    });
                }
            }
            OpEvent::Watch(op, _, resp) => {
                if !self.watching.contains(op) {
                    return;
                }
                // A cancel response ends the stream (the `created` response of a watch refused
                // at once does not: its command ends it).
                if resp.canceled && !resp.created {
                    self.watching.remove(op);
                }
                self.events.push_back(SessionEvent::WatchResponse {
                    op: *op,
                    response: resp.clone(),
                    at_ms: now,
                });
            }
            OpEvent::WatchLost(op, _) => self.watch_closed(*op),
        }
    }

    /// Watch `op` ended (cancelled, failed or lost): it delivers nothing more.
    pub(super) fn watch_closed(&mut self, op: OpId) {
        if self.watching.remove(&op) {
            self.events.push_back(SessionEvent::WatchClosed { op });
        }
    }

    pub(super) fn lock_acquired(&mut self, command: CommandId, key: &[u8], now: u64) {
        self.holding.insert(command);
        self.events.push_back(SessionEvent::LockAcquired {
            command,
            key: key.to_vec(),
            at_ms: now,
        });
    }

    /// Gateway lock line `command` was answered with lock key `key` at `now`: it holds the
    /// lock (the line itself ends) until an unlock of the key.
    pub(super) fn gateway_lock_acquired(&mut self, command: CommandId, key: &[u8], now: u64) {
        // A lease that holds the lock locking again gets the same key: the same hold.
        if self.gateway_holds.contains_key(key) {
            return;
        }
        self.gateway_holds.insert(key.to_vec(), command);
        self.events.push_back(SessionEvent::LockAcquired {
            command,
            key: key.to_vec(),
            at_ms: now,
        });
    }

    /// A gateway unlock of `key` was sent at `now`: the gateway lock that holds the key lets
    /// go (the client stops relying on it when it asks to unlock).
    pub(super) fn gateway_unlock(&mut self, key: &[u8], now: u64) {
        if let Some(command) = self.gateway_holds.remove(key) {
            self.events.push_back(SessionEvent::LockReleased {
                command,
                at_ms: now,
            });
        }
    }

    /// Command `command` ended at `now`: if it held a lock, it let go.
    pub(super) fn command_ended(&mut self, command: CommandId, now: u64) {
        if self.holding.remove(&command) {
            self.events.push_back(SessionEvent::LockReleased {
                command,
                at_ms: now,
            });
        }
    }
}

impl Playground {
    /// The session log: what the session's commands did, for recorders and explanations.
    pub fn session_log(&self) -> &SessionLog {
        &self.session_log
    }

    /// After `start` (before its events are processed): logs command `id`, with the unary
    /// operation it made, if any.
    pub(super) fn log_started(&mut self, id: CommandId, member: u64, request: Command) {
        let op = self.calls.iter().find_map(|(call, r)| {
            (r.0 == id && matches!(r.1, super::commands::Role::Single(_)))
                .then(|| self.client.op_of(*call))
                .flatten()
        });
        let line = self
            .outputs
            .get(&id)
            .map(|o| o.line.clone())
            .unwrap_or_default();
        let at_ms = self.now();
        self.session_log.started(SessionEvent::Started {
            command: id,
            line,
            member,
            request,
            op,
            at_ms,
        });
    }

    /// Keeps the committed log so far (a compaction is about to forget it).
    pub(super) fn keep_log_before_compaction(&mut self) {
        let Ok(log) = self.committed_log() else {
            return;
        };
        if let Some(last) = log.last() {
            self.session_log.kept_rev = last.kv.mod_revision;
        }
        self.session_log.kept = log.into_iter().collect();
    }

    /// The committed log: every event of the run in revision order, as the store of the member
    /// that has applied the most entries replays it, after what the session kept of it before
    /// its compactions.
    ///
    /// # Errors
    /// No member is running, or the store was compacted past what the session kept (the events
    /// before it are gone), in words.
    pub fn committed_log(&self) -> std::result::Result<Vec<Event>, String> {
        let kept = &self.session_log;
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
