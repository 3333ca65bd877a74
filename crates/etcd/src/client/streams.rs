//! The client's streams: watch, keep-alive (etcd's client renews a lease every TTL/3 until
//! it is gone) and observe (an election's leader, as `concurrency.Election.Observe` follows it).

use kv::{RangeRequest, SortOrder, SortTarget, WatchCreateRequest};

use super::{Call, CallId, Client, EventKind, Purpose, RangeResponse, Reply, Timer, WatchResponse};
use crate::service::{OpEvent, OpId, OpResult};

/// A keep-alive stream in progress.
#[derive(Clone, Debug)]
pub(super) struct KeepAlive {
    node: u64,
    lease: i64,
    /// The TTL of the last renewal (0 before the first).
    ttl: i64,
    /// Virtual time of the last renewal (or the start).
    last_ok: u64,
}

/// An observe stream in progress.
#[derive(Clone, Debug)]
pub(super) struct Observe {
    node: u64,
    prefix: Vec<u8>,
    /// The watch on the election's keys, once the first read answered.
    pub(super) watch: Option<OpId>,
    /// The leader last reported (key, value).
    last: Option<(Vec<u8>, Vec<u8>)>,
}

/// `pfx` and the end of its prefix range.
pub(super) fn prefix_range(prefix: &[u8]) -> (Vec<u8>, Vec<u8>) {
    (prefix.to_vec(), kv::prefix_end(prefix))
}

/// etcd's `WithFirstCreate`: the key under `prefix` created first (the lock owner, the leader).
pub(super) fn first_created(prefix: &[u8]) -> RangeRequest {
    let (key, range_end) = prefix_range(prefix);
    RangeRequest {
        key,
        range_end,
        limit: 1,
        sort_order: SortOrder::Ascend,
        sort_target: SortTarget::Create,
        ..Default::default()
    }
}

/// Milliseconds between keep-alives of a lease with `ttl` seconds (etcd's client sends one
/// every TTL/3).
pub(super) fn keepalive_interval_ms(ttl: i64) -> u64 {
    ((ttl.max(1) as u64) * 1000 / 3).max(500)
}

impl Client {
    /// `Watch` create on `node`'s hub: the stream's first message has `created`; it ends when
    /// the server cancels it (`canceled`), its member goes down (failed) or on
    /// [`Client::cancel`] (etcd's `WatchCancelRequest`).
    pub fn watch(&mut self, node: u64, req: WatchCreateRequest) -> CallId {
        let call = self.new_call();
        let op = self.service.watch(node, req);
        self.insert_call(call, Call::Watch { op });
        self.track(op, call, Purpose::Watch);
        call
    }

    /// etcd's `WatchProgressRequest` on the stream of `call`: a message with no events at
    /// the member's current revision (watch id -1, as etcd sends it). False when `call` is
    /// not an open watch.
    pub fn watch_progress(&mut self, node: u64, call: CallId) -> bool {
        if !matches!(
            self.calls.get(&call).map(|c| &**c),
            Some(Call::Watch { .. })
        ) {
            return false;
        }
        let Ok(sm) = self.service.cluster().state_machine(node) else {
            return false;
        };
        let revision = sm.store.current_revision();
        let header = self.service.header(node, revision);
        self.reply(
            call,
            Reply::Watch(WatchResponse {
                header,
                watch_id: kv::watch::BROADCAST_WATCH_ID,
                ..Default::default()
            }),
        );
        true
    }

    pub(super) fn on_watch(&mut self, call: CallId, e: OpEvent) {
        if !self.calls.contains_key(&call) {
            return;
        }
        match e {
            // The hub's `created` message follows as the stream's first.
            OpEvent::Done(_, OpResult::WatchCreated(_)) => {}
            OpEvent::Done(_, OpResult::Failed(e)) | OpEvent::WatchLost(_, e) => self.fail(call, &e),
            OpEvent::Done(..) => {}
            OpEvent::Watch(_, h, resp) => {
                let canceled = resp.canceled;
                self.reply(call, Reply::Watch(WatchResponse::new(h, resp)));
                if canceled {
                    self.end(call);
                }
            }
        }
    }

    /// `LeaseKeepAlive` as etcd's client runs it: a renewal through `node` now and every TTL/3
    /// after, each answer a message; the stream closes when the lease is gone (not found, or
    /// no answer for a whole TTL). Errors in between are retried every 500 ms
    /// ([`EventKind::Waiting`]).
    pub fn lease_keep_alive(&mut self, node: u64, id: i64) -> CallId {
        let call = self.new_call();
        let last_ok = self.now();
        self.insert_call(
            call,
            Call::KeepAlive(KeepAlive {
                node,
                lease: id,
                ttl: 0,
                last_ok,
            }),
        );
        let op = self.service.lease_keepalive(node, id);
        self.track(op, call, Purpose::KeepAlive);
        call
    }

    pub(super) fn keepalive_timer(&mut self, call: CallId) {
        if let Some(Call::KeepAlive(k)) = self.calls.get(&call).map(|c| &**c) {
            let op = self.service.lease_keepalive(k.node, k.lease);
            self.track(op, call, Purpose::KeepAlive);
        }
    }

    pub(super) fn on_keepalive(&mut self, call: CallId, r: OpResult) {
        let Some(Call::KeepAlive(k)) = self.calls.get(&call).map(|c| &**c).cloned() else {
            return;
        };
        let now = self.now();
        match r {
            OpResult::KeepAlive(header, ttl) => {
                self.reply(
                    call,
                    Reply::LeaseKeepAlive(super::LeaseKeepAliveResponse {
                        header,
                        id: k.lease,
                        ttl,
                    }),
                );
                if let Some(Call::KeepAlive(k)) = self.calls.get_mut(&call).map(|c| &mut **c) {
                    k.ttl = ttl;
                    k.last_ok = now;
                }
                self.schedule(now + keepalive_interval_ms(ttl), call, Timer::KeepAlive);
            }
            OpResult::Failed(e) if e.contains("lease not found") => {
                self.emit(call, EventKind::Closed);
                self.end(call);
            }
            OpResult::Failed(_) => {
                if k.ttl > 0 && now.saturating_sub(k.last_ok) >= k.ttl as u64 * 1000 {
                    // No answer for a whole TTL: etcd's client gives the lease up.
                    self.emit(call, EventKind::Closed);
                    self.end(call);
                } else {
                    // etcd's client keeps retrying until the lease's TTL has passed.
                    self.emit(call, EventKind::Waiting);
                    self.schedule(now + 500, call, Timer::KeepAlive);
                }
            }
            _ => {}
        }
    }

    /// v3election `Observe` through `node`: the election's leader now (if any), then each
    /// time it changes, as [`Reply::Observe`]; [`EventKind::Waiting`] when a look found
    /// nothing new.
    pub fn observe(&mut self, node: u64, req: super::LeaderRequest) -> CallId {
        let call = self.new_call();
        let mut prefix = req.name;
        prefix.push(b'/');
        self.insert_call(
            call,
            Call::Observe(Observe {
                node,
                prefix,
                watch: None,
                last: None,
            }),
        );
        self.observe_get(call);
        call
    }

    fn observe_get(&mut self, call: CallId) {
        let Some(Call::Observe(o)) = self.calls.get(&call).map(|c| &**c) else {
            return;
        };
        let req = first_created(&o.prefix);
        let op = self.service.range(o.node, req, false);
        self.track(op, call, Purpose::ObserveGet);
    }

    pub(super) fn on_observe_get(&mut self, call: CallId, r: OpResult) {
        let Some(Call::Observe(o)) = self.calls.get(&call).map(|c| &**c).cloned() else {
            return;
        };
        let (h, resp) = match r {
            OpResult::Read(h, a) => match a.result {
                Ok(resp) => (h, resp),
                Err(e) => return self.fail(call, &e),
            },
            OpResult::Failed(e) => return self.fail(call, &e),
            _ => return,
        };
        let now = resp
            .kvs
            .first()
            .map(|kv| (kv.key.clone(), kv.value.clone()));
        if now.is_some() && now != o.last {
            self.reply(call, Reply::Observe(RangeResponse::new(h, resp)));
        } else {
            self.emit(call, EventKind::Waiting);
        }
        let mut watch = o.watch;
        if watch.is_none() {
            let (key, range_end) = prefix_range(&o.prefix);
            let op = self.service.watch(
                o.node,
                WatchCreateRequest {
                    key,
                    range_end,
                    start_revision: h.revision + 1,
                    ..Default::default()
                },
            );
            self.track(op, call, Purpose::ObserveWatch);
            watch = Some(op);
        }
        if let Some(Call::Observe(o)) = self.calls.get_mut(&call).map(|c| &mut **c) {
            o.watch = watch;
            o.last = now;
        }
    }

    pub(super) fn on_observe_watch(&mut self, call: CallId, e: OpEvent) {
        if !self.calls.contains_key(&call) {
            return;
        }
        match e {
            OpEvent::Watch(_, _, resp) if !resp.events.is_empty() => self.observe_get(call),
            OpEvent::WatchLost(_, e) | OpEvent::Done(_, OpResult::Failed(e)) => self.fail(call, &e),
            _ => {}
        }
    }
}
